"""Which versions of the stack the site was verified with.

The home page prints this table from the installed packages, and the test run
checks that what is installed is exactly what ``requirements.lock`` pins, so
the page can never claim versions the tests did not use.
"""

from __future__ import annotations

import platform
import re
from importlib import metadata
from pathlib import Path

# The packages a reader's results depend on, in the order a reader cares.
KEY_PACKAGES = (
    "torch",
    "transformers",
    "peft",
    "trl",
    "bitsandbytes",
    "datasets",
    "accelerate",
    "gguf",
    "mkdocs-material",
    "pytest-codeblocks",
)


def installed_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def verified_with(packages: tuple[str, ...] = KEY_PACKAGES) -> str:
    """A two-column text table: package, installed version."""
    rows = [("python", platform.python_version())]
    rows += [(name, installed_version(name)) for name in packages]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {version}" for name, version in rows)


def read_lock(path: Path) -> dict[str, str]:
    """``name -> version`` from a ``pip freeze``-style pin file (comments ignored)."""
    pins = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if not match:
            raise ValueError(f"{path}:{number}: rule exact-pin: expected 'name==version', got {raw!r}")
        pins[normalize(match.group(1))] = match.group(2)
    return pins


def normalize(name: str) -> str:
    """PEP 503 name normalization, so 'PyYAML' and 'pyyaml' compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()
