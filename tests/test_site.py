"""The built site: strict build, no raw includes, every code block was tested.

The ``site`` fixture (tests/conftest.py) builds it once per run.
"""

import html
import re
from pathlib import Path

import nbformat

import notebooks
from pages import EXECUTED_SYNTAXES, all_pages, load_page

ROOT = Path(__file__).resolve().parents[1]
CODE_BLOCK = re.compile(
    r'<div class="(?:language-([\w-]+) )?highlight"><pre><span></span><code>(.*?)</code></pre></div>',
    re.S,
)
# Files shown as data (configs), not code to run; anything else must be tested.
DATA_LANGUAGES = {"yaml", "toml", "json", "jinja"}
# A code cell of a notebook page, as mkdocs-jupyter renders it.
NOTEBOOK_CELL = re.compile(r'<div class="highlight-ipynb hl-python"><pre><span></span>(.*?)</pre></div>', re.S)


def normalized(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").splitlines())


def html_code_blocks(page_html: str):
    for language, body in CODE_BLOCK.findall(page_html):
        yield language or None, normalized(html.unescape(re.sub(r"<[^>]+>", "", body)))


def executed_texts() -> tuple[set[str], set[str]]:
    """Code the page tests execute, and the outputs they check."""
    code, outputs = set(), set()
    for path in all_pages():
        for block in load_page(path).blocks:
            if block.syntax in EXECUTED_SYNTAXES:
                code.add(normalized(block.code))
                if block.expected_output is not None:
                    outputs.add(normalized(block.expected_output))
    return code, outputs


def test_no_raw_include_reaches_the_site(site):
    leaks = [
        str(path.relative_to(site))
        for path in site.rglob("*")
        if path.suffix in {".html", ".json"} and "--8&lt;--" in path.read_text(errors="ignore")
        or path.suffix in {".html", ".json"} and "--8<--" in path.read_text(errors="ignore")
    ]
    assert leaks == []


def test_every_page_is_built(site):
    for page in all_pages():
        relative = page.relative_to(ROOT / "docs").with_suffix("")
        built = site / "index.html" if relative.name == "index" else site / relative / "index.html"
        assert built.is_file(), f"{page} has no page in the built site"


def test_every_code_block_in_the_site_was_tested(site):
    code, outputs = executed_texts()
    untested = []
    for page_html in site.rglob("*.html"):
        for language, text in html_code_blocks(page_html.read_text()):
            if language in DATA_LANGUAGES or text in code or text in outputs:
                continue
            untested.append(f"{page_html.relative_to(site)}: ({language}) {text[:80]!r}")
    assert untested == []
    assert code, "no executed code found at all: the HTML pattern is probably stale"


def notebook_pages(site: Path) -> list[Path]:
    return sorted((site / notebooks.SITE_FOLDER).glob("*/index.html"))


def notebook_cells(page_html: str) -> list[str]:
    return [normalized(html.unescape(re.sub(r"<[^>]+>", "", body))) for body in NOTEBOOK_CELL.findall(page_html)]


def is_run_of_lines(part: str, whole: str) -> bool:
    """``part``'s lines appear in ``whole`` consecutively (blank lines aside)."""
    needle = [line for line in part.splitlines() if line.strip()]
    hay = [line for line in whole.splitlines() if line.strip()]
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))


def test_every_notebook_cell_is_code_the_pages_run(site):
    """A notebook page shows only its script's sections, cut at section markers.

    Its cells are not whole page blocks (a section holding a nested section
    becomes several cells), so each must be a consecutive run of lines of a
    block the page tests executed.  tests/test_notebooks.py checks them and runs one.
    """
    code, _ = executed_texts()
    pages = notebook_pages(site)
    assert len(pages) == len(notebooks.page_scripts()), "a page script has no notebook page"
    untested, stray = [], []
    for page_html in pages:
        text = page_html.read_text()
        cells = notebook_cells(text)
        assert cells, f"{page_html.relative_to(site)}: no code cell found: the HTML pattern is probably stale"
        untested += [
            f"{page_html.relative_to(site)}: {cell[:80]!r}"
            for cell in cells
            if not any(is_run_of_lines(cell, block) for block in code)
        ]
        # Every <pre> on the page is a code cell: no other code, no outputs
        # (nothing is executed while building the site).
        if text.count("<pre") != len(cells) or 'class="jp-OutputArea' in text:
            stray.append(str(page_html.relative_to(site)))
    assert untested == []
    assert stray == []


def test_every_notebook_can_be_downloaded(site):
    for notebook in notebooks.site_notebooks():
        download = site / notebook.download_uri
        assert download.is_file(), f"{notebook.download_uri} is missing from the site"
        cells = [c.source for c in nbformat.reads(download.read_text(), as_version=4).cells if c.cell_type == "code"]
        assert cells == [c.code for c in notebooks.code_cells(notebook.script)]


def test_the_run_of_lines_check():
    assert is_run_of_lines("b = 2\nc = 3", "a = 1\nb = 2\n\nc = 3")
    assert not is_run_of_lines("a = 1\nc = 3", "a = 1\nb = 2\nc = 3")


def test_the_check_recognises_material_code_blocks():
    sample = (
        '<div class="language-python highlight"><pre><span></span><code>'
        '<span class="n">x</span> <span class="o">=</span> <span class="s2">&quot;a&lt;b&quot;</span>\n'
        "</code></pre></div>"
    )
    assert list(html_code_blocks(sample)) == [("python", 'x = "a<b"')]
