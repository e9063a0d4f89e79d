"""Write a page's expected outputs from a real run: ``python tests/fill_outputs.py docs/PAGE.md``.

Runs the page's code blocks exactly as the test run does (expanded includes,
one shared namespace, in order) and replaces the ``text`` fence under each
``<!--pytest-codeblocks:expected-output-->`` marker with what the block
printed.  The tests then check those outputs on every run; this tool only
saves copying them by hand.  Review the diff before committing.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import pages  # noqa: E402
from run_page import run_block  # noqa: E402

MARKER = "<!--pytest-codeblocks:expected-output-->"
FENCE = re.compile(r"^(\s*)```(python|bash|sh)\s*$")  # indented inside a collapsed note, too


def run_blocks(page: pages.Page) -> list[str]:
    """Each runnable block's printed output, run as the test run runs it ("" for skipped ones)."""
    namespace: dict = {"__name__": "__page__"}
    outputs = []
    for block in page.runnable:
        if pages._skip_reason(block.marks) is not None:  # the test run skips it: so does this tool
            print(f"  block at line {block.lineno}: skipped", file=sys.stderr, flush=True)
            outputs.append("")
            continue
        print(f"  block at line {block.lineno} ...", file=sys.stderr, flush=True)
        outputs.append(run_block(page, block, namespace))
    return outputs


def fill(path: Path, outputs: list[str]) -> str:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    result, index, block_number = [], 0, -1
    while index < len(lines):
        line = lines[index]
        result.append(line)
        index += 1
        fence = FENCE.match(line)
        if fence:
            indent = fence.group(1)
            block_number += 1
            while not lines[index].strip().startswith("```"):
                result.append(lines[index])
                index += 1
            result.append(lines[index])
            index += 1
            gap = index
            while gap < len(lines) and not lines[gap].strip():
                gap += 1
            if gap < len(lines) and lines[gap].strip() == MARKER:
                result += lines[index : gap + 1]
                result.append(lines[gap + 1])  # the opening ```text
                end = gap + 2
                while not lines[end].strip().startswith("```"):
                    end += 1
                output = outputs[block_number]
                result.append("".join(indent + out if out.strip() else out
                                      for out in output.splitlines(keepends=True)))
                index = end
    return "".join(result)


def main(argv: list[str]) -> int:
    os.chdir(pages.ROOT)
    for name in argv:
        path = Path(name).resolve()
        page = pages.load_page(path)
        if page.problems:
            print("\n".join(page.problems), file=sys.stderr)
            return 1
        path.write_text(fill(path, run_blocks(page)), encoding="utf-8")
        print(f"filled {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
