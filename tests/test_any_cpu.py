"""The pages hold on a second instruction set, checked on this one machine.

Blocks whose printed numbers go through bf16, int8 or 4-bit kernels, or that
compare two float paths, carry a tolerance mark (tests/pages.py).  The test
run checks them on the CPU it has; this test runs those pages again, each in
one subprocess, with torch's dispatch capped to AVX2
(``ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2
ATEN_CPU_CAPABILITY=avx2``), up to the last tolerant block, and compares
every shown output again: tolerant ones within the same tolerance, the
others exactly.  Trained fp32 runs come from the cache (they reproduce on
every CPU); precision rows and first-step re-runs are computed again under
the cap, since their caches are keyed by the CPU's numerics.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from ftlab import cpu
from pages import all_pages, load_page, tolerance_of

ROOT = Path(__file__).resolve().parents[1]
TOLERANT_PAGES = [p for p in all_pages() if any(tolerance_of(b) for b in load_page(p).runnable)]


def test_some_pages_carry_tolerances():
    # Guards the parametrisation below against silently checking nothing.
    assert {p.name for p in TOLERANT_PAGES} >= {"03-lora-basics.md", "04-quantization.md", "07-scaling.md"}


@pytest.mark.skipif(cpu.hardware_isa() in ("baseline", "AVX2"),
                    reason="this CPU has no more than AVX2: the normal test run is the AVX2 run")
@pytest.mark.parametrize("page", TOLERANT_PAGES, ids=lambda p: p.name)
def test_page_holds_with_dispatch_capped_to_avx2(page):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "run_page.py"), "--capped-to-avx2", "--through-last-tolerant",
         str(page)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, (
        f"{page.name} with the dispatch capped to AVX2:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    )
    assert "every shown output matched" in result.stdout
