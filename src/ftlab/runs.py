"""Where cached work lives, how it is keyed, and how it is written.

Everything ftlab keeps between runs (the converted base model, trained runs,
scored answers, precision rows, embeddings, merged models) lives under
:func:`cache_root` and follows three rules, each with one home here:

* **One fingerprint.**  A cache entry's name carries :func:`fingerprint` of
  everything that decides its content: the caller's own parts (a config, a
  recipe version, a data hash), the model's name, and the versions of the
  packages whose code computed it.  The model is a required argument, so no
  key can leave it out.
* **Written whole or not at all.**  Files go through :func:`write_atomically`,
  folders through :func:`fill_folder`: a run killed half-way leaves a
  ``.partial`` file or a dot-folder behind, never an entry that looks complete.
* **Nothing of ftlab below.**  This module imports only the standard library
  and :mod:`ftlab.versions`, so every other module may use it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path

from ftlab.versions import installed_version

# The packages whose code trains and runs the models.  A key names the ones
# its result depends on; a new version of any of them makes a new entry.
TRAINING_STACK = ("torch", "transformers", "peft", "trl")
# What generates a base model's answers (no adapter, no trainer).
ANSWERING_STACK = ("torch", "transformers")
KEY_LENGTH = 12  # hex digits: 48 bits, no collision among a cache's few hundred entries
# A line a command run by fill_by_command writes on stderr to say how far it has got.
PROGRESS = "ftlab-progress"
# A training run's record, written last into its folder: a folder that has it is complete.
RUN_LOG = "ftlab-run.json"


def cache_root() -> Path:
    """Folder for converted models, trained runs and scored answers (``FTLAB_CACHE``)."""
    configured = os.environ.get("FTLAB_CACHE")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "ftlab"


def fingerprint(parts: dict, *, model: str, packages: tuple[str, ...] = TRAINING_STACK) -> str:
    """A short hash of ``parts``, the model's name and the installed versions of ``packages``.

    ``parts`` must be JSON-serializable (other values are written with
    ``str``); key order does not matter.
    """
    record = {
        **parts,
        "model": model,
        "versions": {package: installed_version(package) for package in packages},
    }
    text = json.dumps(record, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def digest(data: bytes | str) -> str:
    """The full sha256 of some data (a training file, the postings scored)."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary_path)``, then move the file to ``path`` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One writer's partial file per process: two builds writing at once never share one.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    write(partial)
    os.replace(partial, path)


def write_text_atomically(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically, only when it differs: unchanged files keep their date."""
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return path
    write_atomically(path, lambda partial: partial.write_text(text, encoding="utf-8"))
    return path


def fill_folder(target: Path, fill: Callable[[Path], object]) -> Path:
    """Call ``fill(empty_folder)``, then move the folder to ``target`` in one step.

    The folder is made next to ``target`` (same file system, so the move is
    one rename); an older ``target`` is replaced as a whole.  If ``fill``
    raises, nothing at ``target`` changes.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fill(staging)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def fill_by_command(target: Path, command: list[str], *, what: str, check=None) -> Path:
    """Run ``command + [folder]`` to fill a fresh folder (see :func:`fill_folder`); ``check(folder)`` may refuse it.

    Training runs in a process of its own, so that its peak memory is its own.
    Its :func:`report_progress` lines draw a progress bar here, on stderr (a
    terminal's or a notebook's); the rest of its stderr is kept for the error
    message if it fails.
    """

    def run_command(staging: Path) -> None:
        returncode, last_lines = _run_with_progress(command + [str(staging)], what)
        if returncode != 0:
            raise RuntimeError(f"{what} failed (exit {returncode}):\n" + "".join(last_lines)[-3000:])
        if check is not None:
            check(staging)

    return fill_folder(target, run_command)


def cached_run(target: Path, command: list[str], *, what: str, fresh: bool = False, check=None) -> Path:
    """The run folder ``target``, made by ``command`` (see :func:`fill_by_command`) unless already complete."""
    if (Path(target) / RUN_LOG).is_file() and not fresh:
        return Path(target)
    return fill_by_command(target, command, what=what, check=check)


def run_log(run: Path) -> dict:
    """What a training process recorded in its run folder: config, key, losses, times, peak memory."""
    return json.loads((Path(run) / RUN_LOG).read_text())


def write_run_log(folder: Path, log: dict, *, started: float, load_before: float) -> None:
    """Complete a run folder: ``log`` plus what this process cost, written last.

    ``started`` is this process's ``time.perf_counter()`` at its start and
    ``load_before`` the 1-minute load average then: other work on the machine
    slows training down, so how busy it was is kept with the times.
    """
    import resource
    import time

    log = log | {
        "wall_seconds": time.perf_counter() - started,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        # ru_maxrss is in KiB on Linux: the largest resident set this process
        # reached, model loading and training together.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    (Path(folder) / RUN_LOG).write_text(json.dumps(log, indent=2))


def report_progress(done: int, total: int) -> None:
    """Called by a command that :func:`fill_by_command` runs: ``done`` of ``total`` steps are over."""
    print(f"{PROGRESS} {done} {total}", file=sys.stderr, flush=True)


def _run_with_progress(argv: list[str], what: str) -> tuple[int, deque]:
    from tqdm import tqdm

    last_lines: deque = deque(maxlen=100)
    bar = None
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        for line in process.stderr:
            if not line.startswith(PROGRESS + " "):
                last_lines.append(line)
                continue
            done, total = map(int, line.split()[1:3])
            if bar is None:
                bar = tqdm(total=total, desc=what, unit="step", file=sys.stderr)
            bar.update(done - bar.n)
    if bar is not None:
        bar.close()
    return process.returncode, last_lines


def cached_json(path: Path, make: Callable[[], object], *, matches: Callable[[object], bool] = lambda _: True):
    """The JSON stored at ``path`` if ``matches(stored)``, else ``make()`` written there first."""
    path = Path(path)
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if matches(stored):
            return stored
    value = make()
    write_text_atomically(path, json.dumps(value))
    return value
