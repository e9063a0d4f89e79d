"""Where a measured number came from: versions, machine, seed, date.

Heavy experiments (benchmarks, the evaluation ladder) run with one command,
write their results as JSON under ``docs/results/`` with this record attached,
and are committed.  Pages print them from the JSON (so the printed output is
deterministic and checked), and the test run re-measures a subset and checks
it against the committed figures.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from pathlib import Path

from ftlab import cpu
from ftlab.versions import KEY_PACKAGES, installed_version

SITE_VARIABLE = "FTLAB_SITE"


def site_root() -> Path:
    """The site's checkout, where ``docs/results`` and ``docs/assets`` live.

    ``$FTLAB_SITE`` if set; else the checkout ftlab is installed from
    (``pip install -e .``, as ``make install`` does); else the nearest folder
    holding ``mkdocs.yml`` from the working directory up, for an install that
    copied the package elsewhere.
    """
    if os.environ.get(SITE_VARIABLE):
        return Path(os.environ[SITE_VARIABLE])
    for folder in (Path(__file__).resolve().parents[2], *(Path.cwd().resolve() / "here").parents):
        if (folder / "mkdocs.yml").is_file():
            return folder
    raise FileNotFoundError(
        f"no checkout of the site (a folder with mkdocs.yml) holds ftlab or the working directory "
        f"{Path.cwd()}: run from inside one, or set {SITE_VARIABLE} to it"
    )


def results_dir() -> Path:
    return site_root() / "docs" / "results"


def assets_dir() -> Path:
    return site_root() / "docs" / "assets"


def provenance(seed: int | None = None, command: str | None = None) -> dict:
    """A record of how and where a result was produced."""
    import torch

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "seed": seed,
        "cpu": cpu.cpu_model(),
        "cpu_vendor": cpu.cpu_vendor(),
        # The level bf16 / int8 / 4-bit kernels ran at: their last digits depend on it.
        "cpu_isa": cpu.hardware_isa(),
        "cpu_dispatch": cpu.dispatch_isa(),
        "cpu_description": cpu.describe(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": "cuda:" + torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "python": platform.python_version(),
        "versions": {name: installed_version(name) for name in KEY_PACKAGES},
    }


def save_results(name: str, results: dict, *, seed: int | None, command: str) -> Path:
    """Write ``docs/results/NAME.json`` with provenance; returns the path."""
    results_dir().mkdir(parents=True, exist_ok=True)
    path = results_dir() / f"{name}.json"
    record = {"provenance": provenance(seed=seed, command=command), "results": results}
    path.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def machine_line(record: dict) -> str:
    """'AMD EPYC (AVX-512 BF16, no AMX), 2 cores': the CPU a committed result was measured on."""
    made = record["provenance"]
    isa = made.get("cpu_isa")
    if isa is None:
        where = f"{made['cpu']} (instruction set not recorded)"
    else:
        where = made.get("cpu_description") or f"{made['cpu']}, {isa}"
        where = where.replace(f"{made['cpu']}, ", f"{made['cpu']} (", 1) + ")"
    return f"{where}, {made['cores']} cores"


def load_results(name: str) -> dict:
    """The committed record ``{"provenance": ..., "results": ...}``."""
    path = results_dir() / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: regenerate it with the command named on the page "
            f"(see 'make results')"
        )
    return json.loads(path.read_text(encoding="utf-8"))
