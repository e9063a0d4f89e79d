"""The built site: strict build, no raw includes, every code block was tested."""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pages import EXECUTED_SYNTAXES, all_pages, load_page

ROOT = Path(__file__).resolve().parents[1]
CODE_BLOCK = re.compile(
    r'<div class="(?:language-([\w-]+) )?highlight"><pre><span></span><code>(.*?)</code></pre></div>',
    re.S,
)
# Files shown as data (configs), not code to run; anything else must be tested.
DATA_LANGUAGES = {"yaml", "toml", "json", "jinja"}


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return target


def normalized(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").splitlines())


def html_code_blocks(page_html: str):
    for language, body in CODE_BLOCK.findall(page_html):
        yield language or None, normalized(html.unescape(re.sub(r"<[^>]+>", "", body)))


def tested_texts() -> tuple[set[str], set[str]]:
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
    code, outputs = tested_texts()
    untested = []
    for page_html in site.rglob("*.html"):
        for language, text in html_code_blocks(page_html.read_text()):
            if language in DATA_LANGUAGES or text in code or text in outputs:
                continue
            untested.append(f"{page_html.relative_to(site)}: ({language}) {text[:80]!r}")
    assert untested == []
    assert code, "no executed code found at all: the HTML pattern is probably stale"


def test_the_check_recognises_material_code_blocks():
    sample = (
        '<div class="language-python highlight"><pre><span></span><code>'
        '<span class="n">x</span> <span class="o">=</span> <span class="s2">&quot;a&lt;b&quot;</span>\n'
        "</code></pre></div>"
    )
    assert list(html_code_blocks(sample)) == [("python", 'x = "a<b"')]
