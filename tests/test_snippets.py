"""Page scripts: none hides code the pages do not show.

Each script also runs whole in a fresh process: as its notebook, in a fresh
kernel, from the repository root (tests/test_notebooks.py), which replaced
running ``python snippets/NN_name.py`` here (same code, once instead of twice).
"""

import re
from pathlib import Path

import pytest

from notebooks import hidden_lines, section_spans

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
    assert problems == []


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
