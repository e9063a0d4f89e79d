"""Run the code blocks of the site's pages exactly as MkDocs renders them.

Pages include their code from ``snippets/`` and ``src/`` with
pymdownx.snippets.  pytest-codeblocks reads raw Markdown, where an include is
just a line starting with ``--8<--``, so we first expand each page with
pymdownx's own snippet preprocessor, configured from ``mkdocs.yml`` through
MkDocs' own config loader, and only then hand the text to pytest-codeblocks'
parser.

Running differs from pytest-codeblocks' plugin in one way, on purpose: the
blocks of a page share one namespace and run once, in order, like a reader
pasting them into one interpreter.  (The plugin gives each block a fresh
namespace, and its ``cont`` marker re-executes all earlier code, which would
train every model on a page several times over.)  Printed output is compared
with the block's expected output exactly as the plugin compares it.
"""

from __future__ import annotations

import io
import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
from mkdocs.config import load_config
from pytest_codeblocks import CodeBlock, extract_from_buffer

ROOT = Path(__file__).resolve().parents[1]
EXECUTED_SYNTAXES = {"python", "bash", "sh"}
INCLUDE_MARK = "--8<--"
# Info strings that look like code pytest-codeblocks would run, but that it
# skips silently because they are not exactly "python", "bash" or "sh".
_RUNNABLE_LOOKING = re.compile(r"^(py|python\d?|ipython|bash|sh|shell|zsh|console|pycon)\b", re.I)


class PageError(Exception):
    """A page that cannot be tested as written; the message names file, line and rule."""


@lru_cache(maxsize=1)
def site_config():
    """mkdocs.yml, parsed by MkDocs itself (so !!python/name tags resolve)."""
    return load_config(str(ROOT / "mkdocs.yml"))


def _snippet_preprocessor():
    config = site_config()
    md = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )
    return md.preprocessors["snippet"]


def expand(page: Path) -> str:
    """The page's Markdown with every ``--8<--`` include replaced, as MkDocs does it.

    Snippet paths are relative to the project root, like ``mkdocs build``.
    """
    import os

    text = page.read_text(encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        lines = _snippet_preprocessor().run(text.split("\n"))
    except Exception as error:  # SnippetMissingError and friends
        raise PageError(f"{page}: snippet include failed: {error}") from error
    finally:
        os.chdir(cwd)
    return "\n".join(lines)


def unexpanded_includes(page: Path, expanded: str) -> list[str]:
    """Lines still holding an include marker after expansion (a silent no-op in MkDocs)."""
    return [
        f"{page}:{number}: rule unexpanded-include: {line.strip()!r} was not replaced"
        for number, line in enumerate(expanded.split("\n"), start=1)
        if line.lstrip().startswith(INCLUDE_MARK)
    ]


def _fence_info_strings(expanded: str):
    """(line number, info string) of every opening fence, in order."""
    fence = None
    for number, line in enumerate(expanded.split("\n"), start=1):
        stripped = line.strip()
        if fence is None:
            match = re.match(r"^(`{3,})(.*)$", stripped)
            if match:
                fence = match.group(1)
                yield number, match.group(2).strip()
        elif stripped.startswith(fence) and stripped.strip("`") == "":
            fence = None


def _skip_reason(marks: list[str]) -> str | None:
    for mark in marks:
        if mark.startswith("pytest.mark.skip"):
            match = re.search(r"reason\s*=\s*(['\"])(.+?)\1", mark)
            return match.group(2) if match else ""
    return None


def silently_skipped_fences(page: Path, expanded: str, blocks: list[CodeBlock]) -> list[str]:
    """Fences that look like runnable code but pytest-codeblocks would not collect."""
    skipped = {b.lineno for b in blocks if _skip_reason(b.marks)}
    problems = []
    for number, info in _fence_info_strings(expanded):
        if info in EXECUTED_SYNTAXES or not _RUNNABLE_LOOKING.match(info):
            continue
        if number in skipped:
            continue
        problems.append(
            f"{page}:{number}: rule runnable-fence: fence info string {info!r} is skipped by "
            f"pytest-codeblocks; write exactly 'python', 'bash' or 'sh', or mark the block "
            f"<!-- pytest.mark.skip(reason=\"...\") --> with the reason also in the page text"
        )
    return problems


def invisible_skip_reasons(page: Path, expanded: str, blocks: list[CodeBlock]) -> list[str]:
    """Skipped blocks whose reason the reader cannot see on the page."""
    visible = re.sub(r"<!--.*?-->", "", expanded, flags=re.S)
    problems = []
    for block in blocks:
        reason = _skip_reason(block.marks)
        if reason is None:
            continue
        if not reason or reason not in visible:
            problems.append(
                f"{page}:{block.lineno}: rule visible-skip-reason: a skipped block needs "
                f"reason=\"...\" and the same words in the page text (got {reason!r})"
            )
    return problems


@dataclass
class Page:
    path: Path
    expanded: str
    blocks: list[CodeBlock]  # every block pytest-codeblocks found, any syntax
    problems: list[str]

    @property
    def runnable(self) -> list[CodeBlock]:
        return [b for b in self.blocks if b.syntax in EXECUTED_SYNTAXES]


def load_page(path: Path) -> Page:
    """Expand and parse one page; ``problems`` lists every rule it breaks."""
    try:
        expanded = expand(path)
    except PageError as error:
        return Page(path, "", [], [str(error)])
    problems = unexpanded_includes(path, expanded)
    try:
        blocks = extract_from_buffer(io.StringIO(expanded))
    except RuntimeError as error:
        return Page(path, expanded, [], problems + [f"{path}: rule codeblock-syntax: {error}"])
    problems += silently_skipped_fences(path, expanded, blocks)
    problems += invisible_skip_reasons(path, expanded, blocks)
    return Page(path, expanded, blocks, problems)


def output_matches(block: CodeBlock, output: str) -> bool:
    """pytest-codeblocks' comparison of printed and expected output."""
    expected = block.expected_output
    if block.expected_output_ignore_whitespace:
        return re.sub(r"\s+", "", expected) == re.sub(r"\s+", "", output)
    return expected == output


def describe_mismatch(page: Path, block: CodeBlock, output: str) -> str:
    return (
        f"{page}:{block.lineno}: rule expected-output: the block printed\n"
        f"```\n{output}```\nbut the page shows\n```\n{block.expected_output}```"
    )


def all_pages() -> list[Path]:
    return sorted((ROOT / "docs").rglob("*.md"))


def shell_quote(path: Path) -> str:
    return shlex.quote(str(path))
