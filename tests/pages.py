"""Run the code blocks of the site's pages exactly as MkDocs renders them.

Pages include their code from ``snippets/`` and ``src/`` with
pymdownx.snippets.  pytest-codeblocks reads raw Markdown, where an include is
just a line starting with ``--8<--``, so we first expand each page with
pymdownx's own snippet preprocessor, configured from ``mkdocs.yml`` through
MkDocs' own config loader, and only then hand the text to pytest-codeblocks'
parser.

Running differs from pytest-codeblocks' plugin in two ways, on purpose:

* the blocks of a page share one namespace and run once, in order, like a
  reader pasting them into one interpreter.  (The plugin gives each block a
  fresh namespace, and its ``cont`` marker re-executes all earlier code,
  which would train every model on a page several times over.)
* a block whose printed numbers depend on the CPU's floating-point kernels
  (bf16, int8, 4-bit, two float paths compared) carries a tolerance mark,
  ``<!-- pytest.mark.tolerance(rel=0.01, abs=0.0) -->`` before it.  Its
  output is split into numbers and the text around them: the text (words,
  layout, line breaks) must match exactly, integers too, and each decimal
  number must lie within ``abs + rel * |shown|`` of the number the page
  shows.  The page must say in words, after the output, that these digits
  may differ on another CPU (rule tolerance-stated).  Every other block's
  output is compared exactly, as the plugin compares it.
"""

from __future__ import annotations

import ast
import io
import re
import shlex
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Tolerance:
    """How far a printed decimal number may be from the shown one: ``abs + rel * |shown|``."""

    rel: float = 0.0
    abs: float = 0.0
    integers: bool = False  # True: integers get the tolerance too (counts from bf16 runs)
    # Output lines that start with one of these words are compared on that word
    # only: generated text that goes through bf16 / int8 kernels (page 04's answers).
    text_may_differ: tuple[str, ...] = ()

    def allows(self, shown: float, printed: float) -> bool:
        return abs(printed - shown) <= self.abs + self.rel * abs(shown)

    def __str__(self) -> str:
        text = f"rel {self.rel:g}, abs {self.abs:g}" + (", integers too" if self.integers else "")
        return text + (f", text after {', '.join(self.text_may_differ)}" if self.text_may_differ else "")


TOLERANCE_MARK = "pytest.mark.tolerance"
# A number as the pages print them: 4,884,480 or -0.0963 or +24.9 or 1e-3.
# Digits inside a word (Q8_0, q_proj, step-40's "step") are text, not numbers.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
# The words a page must use, after a tolerant block's output, to tell the reader.
TOLERANCE_STATED = re.compile(r"may differ", re.I)
_STATED_WITHIN_LINES = 12


def parse_tolerance(mark: str) -> Tolerance:
    """``pytest.mark.tolerance(rel=0.01, abs=1e-3)`` -> Tolerance; ValueError naming what is wrong."""
    try:
        call = ast.parse(mark, mode="eval").body
        if not isinstance(call, ast.Call) or call.args:
            raise ValueError("write keyword arguments only")
        values = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
        values["text_may_differ"] = tuple(values.get("text_may_differ", ()))
        return Tolerance(**values)
    except (SyntaxError, ValueError, TypeError) as error:
        raise ValueError(f"{mark!r}: expected pytest.mark.tolerance(rel=..., abs=..., integers=...): {error}") from None


def tolerance_of(block: CodeBlock) -> Tolerance | None:
    marks = [m for m in block.marks if m.startswith(TOLERANCE_MARK)]
    return parse_tolerance(marks[-1]) if marks else None


def _is_integer(number: str) -> bool:
    return not re.search(r"[.eE]", number)


def _as_float(number: str) -> float:
    return float(number.replace(",", ""))


def _layout(text: str) -> str:
    """Text between numbers, with runs of spaces as one (a wider number shifts its column)."""
    return re.sub(r"[ \t]+", " ", text)


def tolerance_problems(shown: str, printed: str, tolerance: Tolerance) -> list[str]:
    """Why ``printed`` is not ``shown`` within ``tolerance``; [] when it is.

    Each problem names the output line, the number, shown and printed.
    """
    problems = []
    shown_lines, printed_lines = shown.split("\n"), printed.split("\n")
    if len(shown_lines) != len(printed_lines):
        return [f"the page shows {len(shown_lines)} lines of output, the block printed {len(printed_lines)}"]
    for number, (want, got) in enumerate(zip(shown_lines, printed_lines), start=1):
        label = want.split(maxsplit=1)[0] if want.strip() else ""
        if label in tolerance.text_may_differ:
            if got.split(maxsplit=1)[:1] != [label]:
                problems.append(f"output line {number}: should start with {label!r}: printed {got!r}")
            continue
        want_numbers, got_numbers = NUMBER.findall(want), NUMBER.findall(got)
        if [_layout(t) for t in NUMBER.split(want)] != [_layout(t) for t in NUMBER.split(got)]:
            problems.append(f"output line {number}: the text differs (only numbers may):\n"
                            f"  shown   {want!r}\n  printed {got!r}")
            continue
        for index, (a, b) in enumerate(zip(want_numbers, got_numbers), start=1):
            exact = _is_integer(a) and _is_integer(b) and not tolerance.integers
            if (a != b) if exact else not tolerance.allows(_as_float(a), _as_float(b)):
                allowed = "integers must match exactly" if exact else f"allowed: {tolerance}"
                problems.append(f"output line {number}, number {index}: shown {a}, printed {b} ({allowed})")
    return problems


@dataclass
class Page:
    path: Path
    expanded: str
    blocks: list[CodeBlock]  # every block pytest-codeblocks found, any syntax
    problems: list[str]
    # block.lineno -> the raw page's line of that block's shown output (for messages)
    output_lines: dict[int, int] = field(default_factory=dict)

    @property
    def runnable(self) -> list[CodeBlock]:
        return [b for b in self.blocks if b.syntax in EXECUTED_SYNTAXES]


EXPECTED_OUTPUT_MARKER = "<!--pytest-codeblocks:expected-output-->"


def shown_output_lines(page: Path, blocks: list[CodeBlock]) -> dict[int, int]:
    """block.lineno -> line of the raw page where its shown output's fence opens.

    Shown outputs are written in the page itself, never included, so the n-th
    expected-output marker of the raw page belongs to the n-th block that has one.
    """
    raw = page.read_text(encoding="utf-8").split("\n")
    markers = [number + 1 for number, line in enumerate(raw, start=1) if line.strip() == EXPECTED_OUTPUT_MARKER]
    with_output = [b.lineno for b in blocks if b.expected_output is not None]
    return dict(zip(with_output, markers))


def tolerance_rules(page: Path, blocks: list[CodeBlock], output_lines: dict[int, int]) -> list[str]:
    """A tolerance mark needs a shown output, valid arguments, and words that tell the reader."""
    raw = page.read_text(encoding="utf-8").split("\n")
    problems = []
    for block in blocks:
        if not any(m.startswith(TOLERANCE_MARK) for m in block.marks):
            continue
        try:
            tolerance_of(block)
        except ValueError as error:
            problems.append(f"{page}:{block.lineno}: rule tolerance-mark: {error}")
            continue
        fence = output_lines.get(block.lineno)
        if fence is None:
            problems.append(f"{page}:{block.lineno}: rule tolerance-mark: a tolerance mark needs a shown output")
            continue
        end = next(n for n in range(fence + 1, len(raw) + 1) if raw[n - 1].strip().startswith("```"))
        after = "\n".join(raw[end:end + _STATED_WITHIN_LINES])
        if not TOLERANCE_STATED.search(re.sub(r"<!--.*?-->", "", after, flags=re.S)):
            problems.append(
                f"{page}:{end}: rule tolerance-stated: the output above is checked within a tolerance; "
                f"say in the {_STATED_WITHIN_LINES} lines after it that its digits may differ on another CPU"
            )
    return problems


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
    output_lines = shown_output_lines(path, blocks)
    problems += silently_skipped_fences(path, expanded, blocks)
    problems += invisible_skip_reasons(path, expanded, blocks)
    problems += tolerance_rules(path, blocks, output_lines)
    return Page(path, expanded, blocks, problems, output_lines)


def output_problems(block: CodeBlock, output: str) -> list[str]:
    """Why the printed output is not what the page shows; [] when it is.

    Exact blocks: pytest-codeblocks' own comparison.  Tolerant blocks: see
    :func:`tolerance_problems`.
    """
    expected = block.expected_output
    tolerance = tolerance_of(block)
    if tolerance is not None:
        return tolerance_problems(expected, output, tolerance)
    if block.expected_output_ignore_whitespace:
        same = re.sub(r"\s+", "", expected) == re.sub(r"\s+", "", output)
    else:
        same = expected == output
    return [] if same else ["the output differs"]


def output_matches(block: CodeBlock, output: str) -> bool:
    return not output_problems(block, output)


def describe_mismatch(page: Page | Path, block: CodeBlock, output: str) -> str:
    path = page.path if isinstance(page, Page) else page
    line = page.output_lines.get(block.lineno, block.lineno) if isinstance(page, Page) else block.lineno
    tolerance = tolerance_of(block)
    rule = f"expected-output within tolerance ({tolerance})" if tolerance else "expected-output"
    details = "\n".join(output_problems(block, output)) if tolerance else ""
    return (
        f"{path}:{line}: rule {rule}: "
        + (f"\n{details}\n" if details else "")
        + f"the block printed\n```\n{output}```\nbut the page shows\n```\n{block.expected_output}```"
    )


def all_pages() -> list[Path]:
    return sorted((ROOT / "docs").rglob("*.md"))


def shell_quote(path: Path) -> str:
    return shlex.quote(str(path))
