"""What running each page's code costs: wall time and peak memory, from an empty cache, pages in order.

    python -m ftlab measure page-costs

Each page runs in a process of its own (``tests/run_page.py``, the test
run's harness: offline, blocks in order, outputs compared), in the order a
reader meets them, all sharing one cache folder that is empty at the start.
So a page's time is what it costs a reader who ran the pages before it:
page 03 trains the adapter, later pages reuse it.  The peak is the largest
resident memory of the page's process and of the training processes it
started (``os.wait4`` reports both).  Each page quotes its own row in a
"What running this page costs" box; ``tests/test_page_costs.py`` checks
the box says what the file says.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ftlab.provenance import load_results, machine_line, save_results, site_root

RESULTS = "page-costs"
COMMAND = "python -m ftlab.pagecosts"  # what `python -m ftlab measure page-costs` runs
# The reader's order: the home page's first block, then the chapter.
PAGES = ("index.md", "01-when-to-finetune.md", "02-data-preparation.md", "03-lora-basics.md",
         "04-quantization.md", "05-sft-dpo-rlhf.md", "06-evaluation.md", "07-scaling.md", "08-serving.md")


def run_one(page: str, cache: Path) -> dict:
    """Run one page's blocks in a fresh process; its seconds, peak memory and exit status."""
    command = [sys.executable, "tests/run_page.py", f"docs/{page}"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=site_root(), env={**os.environ, "FTLAB_CACHE": str(cache)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return {
        "page": page,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),  # Linux reports KiB; MiB, as runs.write_run_log
        "exit_status": os.waitstatus_to_exitcode(status),
    }


def measure() -> dict:
    rows = []
    with tempfile.TemporaryDirectory(prefix="ftlab-page-costs-") as cache:
        for page in PAGES:
            rows.append(run_one(page, Path(cache)))
            print(rows[-1], flush=True)
    results = {"cache": "empty before the first page; each page reuses what the pages before it made",
               "pages": rows}
    save_results(RESULTS, results, seed=None, command=COMMAND)
    return results


def cost_sentence(row: dict, machine: str) -> str:
    """The sentence a page's cost box holds, from its row of the results file."""
    minutes = row["seconds"] / 60
    duration = "Under a minute" if minutes < 1 else f"About {round(minutes)} min"
    return (f"{duration} on {machine}, after the pages before it, from an empty cache; "
            f"peak memory {row['peak_rss_mb'] / 1024:.1f} GB")  # MiB to GiB, as page 03's table shows peaks


def committed_sentences() -> dict[str, str]:
    """``{page file: its cost sentence}`` from the committed results."""
    record = load_results(RESULTS)
    return {row["page"]: cost_sentence(row, machine_line(record)) for row in record["results"]["pages"]}


def main() -> int:
    results = measure()
    failed = [row["page"] for row in results["pages"] if row["exit_status"] != 0]
    if failed:
        print(f"these pages did not run cleanly (see python tests/run_page.py docs/PAGE): {', '.join(failed)}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
