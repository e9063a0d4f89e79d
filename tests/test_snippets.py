"""Page scripts: none hides code the pages do not show.

Each script also runs whole in a fresh process: as its notebook, in a fresh
kernel, from the repository root (tests/test_notebooks.py), which replaced
running ``python snippets/NN_name.py`` here (same code, once instead of twice).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = sorted((ROOT / "snippets").glob("*.py"))
SECTION = re.compile(r"^\s*# --8<-- \[(start|end):([\w-]+)\]\s*$")
INCLUDE = re.compile(r'--8<--\s+"([^":]+)(?::([\w-]+))?"')


def sections(path: Path) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """``{name: (first line, last line)}`` and the rule violations of the markers."""
    found, open_at, problems = {}, {}, []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = SECTION.match(line)
        if not match:
            continue
        kind, name = match.groups()
        if kind == "start":
            if name in open_at or name in found:
                problems.append(f"{path.name}:{number}: rule unique-section: '{name}' starts twice")
            open_at[name] = number
        elif name not in open_at:
            problems.append(f"{path.name}:{number}: rule section-order: '{name}' ends before it starts")
        else:
            found[name] = (open_at.pop(name), number)
    problems += [f"{path.name}:{n}: rule section-closed: '{s}' never ends" for s, n in open_at.items()]
    return found, problems


def hidden_lines(path: Path) -> list[str]:
    """Code outside every section: a page would run without showing it."""
    text = path.read_text()
    spans, _ = sections(path)
    shown = {n for first, last in spans.values() for n in range(first, last + 1)}
    docstring = set()
    tree = ast.parse(text)
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        docstring = set(range(tree.body[0].lineno, tree.body[0].end_lineno + 1))
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if number in shown or number in docstring or not stripped or stripped.startswith("#"):
            continue
        if stripped == "from __future__ import annotations":
            continue
        problems.append(f"{path.name}:{number}: rule no-hidden-code: {stripped!r} is in no section")
    return problems


def included_sections() -> set[tuple[str, str | None]]:
    included = set()
    for page in (ROOT / "docs").rglob("*.md"):
        included |= set(INCLUDE.findall(page.read_text()))
    return {(file, section or None) for file, section in included}


@pytest.mark.parametrize("script", SNIPPETS, ids=[s.name for s in SNIPPETS])
def test_every_line_is_shown_on_a_page(script):
    spans, problems = sections(script)
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
    _, marker_problems = sections(bad)
    assert marker_problems == [
        "bad.py:6: rule section-order: 'b' ends before it starts",
        "bad.py:7: rule section-closed: 'c' never ends",
    ]
    assert hidden_lines(bad) == ["bad.py:2: rule no-hidden-code: 'import os  # hidden' is in no section"]
