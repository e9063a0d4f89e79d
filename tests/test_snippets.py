"""Page scripts: none hides code the pages do not show.

A script included by sections must have each of them on its own page, in
file order: then the page test runs every line of the script, in the order
its notebook runs them (tests/test_notebooks.py relies on this instead of
executing every notebook again).
"""

import re
from pathlib import Path

import pytest

from notebooks import hidden_lines, including_page, section_spans

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = sorted((ROOT / "snippets").glob("*.py"))
INCLUDE = re.compile(r'--8<--\s+"([^":]+)(?::([\w-]+))?"')


def included_sections() -> set[tuple[str, str | None]]:
    included = set()
    for page in (ROOT / "docs").rglob("*.md"):
        included |= set(INCLUDE.findall(page.read_text()))
    return {(file, section or None) for file, section in included}


@pytest.mark.parametrize("script", SNIPPETS, ids=[s.name for s in SNIPPETS])
def test_every_line_is_shown_on_a_page(script):
    spans, problems = section_spans(script)
    problems += hidden_lines(script)
    included = included_sections()
    if (script.name, None) not in included:
        problems += [
            f"{script.name}:{first}: rule section-on-page: '{name}' is included by no page"
            for name, (first, _) in spans.items()
            if (script.name, name) not in included
        ]
        problems += section_order_problems(script, list(spans))
    assert problems == []


def section_order_problems(script: Path, sections: list[str], docs: Path = ROOT / "docs") -> list[str]:
    """The script's own page must include each of its sections once, in file order."""
    page = including_page(script, docs)
    text = page.read_text(encoding="utf-8") if page else ""
    shown = [name for file, name in INCLUDE.findall(text) if file == script.name]
    if shown == sections:
        return []
    return [f"{script.name}: rule section-order-on-page: {page.name if page else 'its page'} must include "
            f"each section once, in file order ({', '.join(sections)}); it includes {', '.join(shown)}"]


def test_rules_catch_hidden_code_and_broken_markers(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        '"""Docstring is fine."""\n'
        "import os  # hidden\n"
        "# --8<-- [start:a]\n"
        "x = 1\n"
        "# --8<-- [end:a]\n"
        "# --8<-- [end:b]\n"
        "# --8<-- [start:c]\n"
    )
    _, marker_problems = section_spans(bad)
    assert marker_problems == [
        f"{bad}:6: rule section-order: 'b' ends before it starts",
        f"{bad}:7: rule section-closed: c never ends",
    ]
    assert hidden_lines(bad) == [f"{bad}:2: rule no-hidden-code: 'import os  # hidden' is in no section, so no page shows it"]


def test_a_page_that_shows_sections_out_of_order_is_refused(tmp_path):
    script = tmp_path / "09_demo.py"
    script.write_text("# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]\n# --8<-- [start:b]\ny = 2\n# --8<-- [end:b]\n")
    (tmp_path / "09-demo.md").write_text('--8<-- "09_demo.py:b"\n\n--8<-- "09_demo.py:a"\n')
    assert section_order_problems(script, ["a", "b"], docs=tmp_path) == [
        "09_demo.py: rule section-order-on-page: 09-demo.md must include each section once, "
        "in file order (a, b); it includes b, a"
    ]
    (tmp_path / "09-demo.md").write_text('--8<-- "09_demo.py:a"\n\n--8<-- "09_demo.py:b"\n')
    assert section_order_problems(script, ["a", "b"], docs=tmp_path) == []
