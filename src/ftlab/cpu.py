"""Which CPU this is, and which of its instruction sets torch's kernels may use.

fp32 training gives the same numbers on every x86-64 CPU the site was checked
on, but anything that goes through bf16, int8 or 4-bit kernels, or compares
two float paths, differs in its last digits with the instruction set the
kernels dispatch to: AMX and AVX-512 BF16 have bf16 dot products of their
own, AVX2 has none.  So results record the CPU and the level, and caches of
results that depend on it are keyed by it.

The dispatch can be capped from outside, which makes one machine compute like
an older one (the test run uses it to check the pages on a second ISA)::

    ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 ATEN_CPU_CAPABILITY=avx2
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path

# From least to most capable; each level implies the ones before it.
LEVELS = ("baseline", "AVX2", "AVX-512", "AVX-512 BF16", "AMX")
# The /proc/cpuinfo flag that first makes each level available.
_LEVEL_FLAGS = {"AVX2": "avx2", "AVX-512": "avx512f", "AVX-512 BF16": "avx512_bf16", "AMX": "amx_bf16"}
# The environment variables that cap torch's dispatch, and what their values mean.
CAP_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY")
CAPPED_TO_AVX2 = {name: ("avx2" if name == "ATEN_CPU_CAPABILITY" else "AVX2") for name in CAP_VARIABLES}
_CAP_VALUES = {
    "SSE41": "baseline", "SSE4_2": "baseline", "DEFAULT": "baseline",
    "AVX": "baseline", "AVX2": "AVX2", "AVX2_VNNI": "AVX2", "AVX2_VNNI_2": "AVX2",
    "AVX512": "AVX-512", "AVX512_CORE": "AVX-512", "AVX512_E1": "AVX-512", "AVX512_E2": "AVX-512",
    "AVX512_CORE_VNNI": "AVX-512", "AVX512_CORE_BF16": "AVX-512 BF16", "AVX512_E3": "AVX-512 BF16",
    "AVX10_1_512": "AVX-512 BF16", "AVX512_CORE_FP16": "AVX-512 BF16",
    "AVX512_CORE_AMX": "AMX", "AVX512_E4": "AMX", "AVX10_1_512_AMX": "AMX",
    "AVX512_CORE_AMX_FP16": "AMX", "AVX10_1_512_AMX_FP16": "AMX", "ALL": "AMX",
}


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def cpu_model() -> str:
    """The model string, for example 'AMD EPYC' or 'Intel(R) Xeon(R) Platinum 8480+'."""
    for line in _cpuinfo():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _cpuinfo_field(name: str) -> str:
    for line in _cpuinfo():
        if line.split(":", 1)[0].strip() == name:
            return line.split(":", 1)[1].strip()
    return "unknown"


def cpu_vendor() -> str:
    return _cpuinfo_field("vendor_id")


def cpu_flags() -> set[str]:
    for line in _cpuinfo():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def hardware_isa(flags: set[str] | None = None) -> str:
    """The most capable level of LEVELS this CPU has."""
    flags = cpu_flags() if flags is None else flags
    have = [level for level, flag in _LEVEL_FLAGS.items() if flag in flags]
    return have[-1] if have else "baseline"


def dispatch_cap(environ=None) -> str | None:
    """The lowest level the cap variables allow, or None when none is set."""
    environ = os.environ if environ is None else environ
    caps = []
    for name in CAP_VARIABLES:
        value = environ.get(name, "").strip().upper()
        if value:
            if value not in _CAP_VALUES:
                raise ValueError(f"{name}={environ[name]!r}: not a level this module knows "
                                 f"(one of {', '.join(sorted(_CAP_VALUES))})")
            caps.append(_CAP_VALUES[value])
    return min(caps, key=LEVELS.index) if caps else None


def dispatch_isa(flags: set[str] | None = None, environ=None) -> str:
    """The level torch's kernels dispatch to: the hardware's, lowered by any cap."""
    level, cap = hardware_isa(flags), dispatch_cap(environ)
    return level if cap is None else min(level, cap, key=LEVELS.index)


def numerics() -> dict:
    """What a floating-point-kernel dependent result depends on, for cache keys.

    The level alone is not enough: two AMD EPYC generations with the same
    level gave different bf16 perplexities (kernel blocking follows the
    caches), so the CPU's family and model numbers are part of it too.
    """
    return {
        "isa": dispatch_isa(), "vendor": cpu_vendor(),
        "family": _cpuinfo_field("cpu family"), "model": _cpuinfo_field("model"),
    }


def numerics_tag() -> str:
    """A short hash of :func:`numerics`, for folder and file names."""
    return hashlib.sha256(json.dumps(numerics(), sort_keys=True).encode()).hexdigest()[:8]


def describe() -> str:
    """'AMD EPYC, AVX-512 BF16, no AMX', with the cap when one is set."""
    level, dispatched = hardware_isa(), dispatch_isa()
    text = f"{cpu_model()}, {level}" + ("" if level == "AMX" else ", no AMX")
    return text if dispatched == level else f"{text}, dispatch capped to {dispatched}"
