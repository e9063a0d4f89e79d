"""Run one page's blocks as the test run does, and report every output that differs.

    python tests/run_page.py docs/04-quantization.md             # this CPU as it is
    python tests/run_page.py --capped-to-avx2 docs/04-quantization.md
    python tests/run_page.py --through-last-tolerant --json OUT.json docs/03-lora-basics.md

Unlike the test run, a block whose output differs does not stop the page:
every block runs (an exception still stops it, later blocks may need its
names), so one run lists every output this CPU prints differently.  With
``--capped-to-avx2`` the script runs itself again with torch's dispatch
capped to AVX2 (``ftlab.cpu.CAPPED_TO_AVX2``): the same machine then
computes like a CPU without AVX-512 or AMX.  tests/test_any_cpu.py runs it
that way on the pages whose outputs carry a tolerance.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import pages  # noqa: E402

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}


def harness_environment() -> dict:
    """What conftest.py sets for the test run: offline, the network guard, this venv first on PATH."""
    netguard = str(pages.ROOT / "tests" / "netguard")
    return {
        **OFFLINE,
        "FTLAB_CACHE": os.environ.get("FTLAB_CACHE", str(pages.ROOT / ".cache" / "ftlab")),
        "PYTHONPATH": os.pathsep.join([netguard] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                                     if p and p != netguard]),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }


def run_block(page: pages.Page, block, namespace: dict) -> str:
    """Run one block the way the test run does; return what it printed."""
    if block.syntax == "python":
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(block.code, f"{page.path}:block@{block.lineno}", "exec"), namespace)
        return buffer.getvalue()
    result = subprocess.run(block.code, shell=True, cwd=pages.ROOT, capture_output=True, text=True,
                            executable="/bin/bash" if block.syntax == "bash" else None, check=True)
    return result.stdout


def blocks_to_run(page: pages.Page, through_last_tolerant: bool) -> list:
    runnable = [b for b in page.runnable if pages._skip_reason(b.marks) is None]
    if not through_last_tolerant:
        return runnable
    tolerant = [i for i, b in enumerate(runnable) if pages.tolerance_of(b) is not None]
    return runnable[: tolerant[-1] + 1] if tolerant else []


def run_page(path: Path, *, through_last_tolerant: bool = False) -> list[dict]:
    """One entry per block run: its line, whether it is tolerant, and what differs."""
    page = pages.load_page(path)
    if page.problems:
        raise SystemExit("\n".join(page.problems))
    namespace: dict = {"__name__": "__main__"}
    report = []
    for block in blocks_to_run(page, through_last_tolerant):
        print(f"  {path.name}: block at line {block.lineno} ...", file=sys.stderr, flush=True)
        try:
            output = run_block(page, block, namespace)
        except Exception:  # later blocks may need this one's names: stop the page here
            report.append({"line": block.lineno, "tolerant": False, "printed": "",
                           "problems": [f"{path}:{block.lineno}: the block raised\n{traceback.format_exc()}"]})
            break
        entry = {"line": page.output_lines.get(block.lineno, block.lineno),
                 "tolerant": pages.tolerance_of(block) is not None, "printed": output, "problems": []}
        if block.expected_output is not None and not pages.output_matches(block, output):
            entry["problems"] = [pages.describe_mismatch(page, block, output)]
        report.append(entry)
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--capped-to-avx2", action="store_true", help="cap torch's CPU dispatch to AVX2")
    parser.add_argument("--through-last-tolerant", action="store_true",
                        help="stop after the last block that carries a tolerance mark")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    from ftlab import cpu

    if os.environ.get("FTLAB_RUN_PAGE_CHILD") != "1":
        # Run in a fresh process with the test run's environment (offline, network guard) and,
        # if asked, the caps: torch reads them when it loads its kernels.
        env = {**os.environ, **harness_environment(), "FTLAB_RUN_PAGE_CHILD": "1"}
        if args.capped_to_avx2:
            env.update(cpu.CAPPED_TO_AVX2)
        return subprocess.run([sys.executable, __file__, *argv], env=env).returncode
    os.chdir(pages.ROOT)
    print(f"CPU: {cpu.describe()}", file=sys.stderr)
    reports = {str(path): run_page(path.resolve(), through_last_tolerant=args.through_last_tolerant)
               for path in args.pages}
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu.describe(), "pages": reports}, indent=1), encoding="utf-8")
    problems = [p for report in reports.values() for entry in report for p in entry["problems"]]
    print("\n\n".join(problems) if problems else "every shown output matched", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
