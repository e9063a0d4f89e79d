"""The notebooks the site offers: generated from the page scripts, and checked here.

A notebook is its page script's sections in file order, and every one of
those sections is also a block on its page, in that order (the rule
section-order-on-page, tests/test_snippets.py), so the page test has already run each cell's code, in the same order, with
the page's other blocks between.  What the page test cannot see is a cell
that leans on a name only a block *between* them defines (an included
``src/`` file, say): such a notebook would fail top to bottom.  That is
checked statically for every notebook (pyflakes' undefined-name analysis of
the cells joined), and one notebook is executed in a fresh kernel to check
the machinery itself: the kernel is a new process of this venv's Python,
started from the repository root with the test environment (offline,
network guard on PYTHONPATH).  Executing every notebook again cost about
five minutes of each test run for no code the pages had not run.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from pyflakes import messages
from pyflakes.checker import Checker

import notebooks

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = notebooks.page_scripts()
# The notebook executed in a fresh kernel: the cheapest page, since it checks
# the kernel and its environment, not the code (the page test runs that).
EXECUTED = "00_meet_the_model.py"
CELL_TIMEOUT_S = 600
UNDEFINED = (messages.UndefinedName, messages.UndefinedLocal, messages.UndefinedExport)


def test_every_page_script_is_offered():
    names = {script.name for script in SCRIPTS}
    assert "00_meet_the_model.py" in names and "03_lora_basics.py" in names
    assert names == {p.name for p in (ROOT / "snippets").glob("[0-9][0-9]_*.py")}


def test_the_kernel_is_this_venvs_python():
    from jupyter_client.manager import KernelManager

    pytest.importorskip("ipykernel")
    manager = KernelManager(kernel_name=notebooks.KERNELSPEC["name"])
    command = manager.format_kernel_cmd()
    assert command[0] == sys.executable, (
        f"kernel '{manager.kernel_name}' ({manager.kernel_spec.resource_dir}) would run "
        f"{command[0]}, not this venv's {sys.executable}; remove the shadowing kernel spec"
    )


def undefined_names(code: str, filename: str) -> list[str]:
    """pyflakes' undefined-name findings for ``code``, as 'line: message'."""
    checker = Checker(ast.parse(code), filename=filename)
    return [f"{m.lineno}: {m.message % m.message_args}" for m in checker.messages if isinstance(m, UNDEFINED)]


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_notebook_defines_every_name_it_uses(script):
    cells = notebooks.code_cells(script)
    assert undefined_names("\n".join(cell.code for cell in cells), script.name) == [], (
        f"{script.relative_to(ROOT)}: a cell uses a name no earlier cell defines (line numbers count the joined cells)"
    )


def test_undefined_names_are_found():
    assert undefined_names("import os\nprint(os.sep, run)\n", "x.py") == ["2: undefined name 'run'"]
    assert undefined_names("run = 1\nprint(run)\n", "x.py") == []


def test_a_notebook_runs_top_to_bottom_in_a_fresh_kernel(tmp_path):
    """The kernel, its environment and working folder, checked on one notebook."""
    script = notebooks.SNIPPETS / EXECUTED
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = notebooks.build_notebook(script)
    client = NotebookClient(
        notebook,
        kernel_name=notebooks.KERNELSPEC["name"],
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(ROOT)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{_failing_cell(script, notebook)}\n{error}", pytrace=False)
    finally:
        # Kept for a look after a failure (pytest keeps the last few tmp dirs).
        nbformat.write(notebook, tmp_path / f"{script.stem}.executed.ipynb")
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in cells), "a cell did not run"


def _failing_cell(script: Path, notebook) -> str:
    lines = [cell.line for cell in notebooks.code_cells(script)]
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    for index, cell in enumerate(code_cells):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return f"{script.relative_to(ROOT)}:{lines[index]}: cell {index + 1} of the notebook failed"
    return f"{script.relative_to(ROOT)}: the notebook failed"


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_cells_hold_exactly_the_scripts_section_code(script):
    """Nothing lost, nothing added: the cells, joined, are the script's section lines."""
    text = script.read_text(encoding="utf-8").splitlines()
    in_section, expected, depth = [], [], 0
    for line in text:
        marker = notebooks.SECTION_MARKER.match(line)
        if marker:
            depth += 1 if marker.group(2) == "start" else -1
            continue
        if depth and line.strip():
            expected.append(line.rstrip())
    for cell in notebooks.code_cells(script):
        in_section += [line.rstrip() for line in cell.code.splitlines() if line.strip()]
    assert in_section == expected


def test_generated_notebooks_are_not_committed():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked == []
    target = notebooks.GENERATED / "00_meet_the_model.ipynb"
    ignored = subprocess.run(["git", "check-ignore", "-q", str(target)], cwd=ROOT)
    assert ignored.returncode == 0, f"{target.parent} must be ignored by git"


# --------------------------------------------------------------------------- the converter


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "09_example.py"
    path.write_text(body)
    return path


def test_sections_become_cells_and_markers_disappear(tmp_path):
    script = _script(
        tmp_path,
        '"""What the page is about."""\n'
        "from __future__ import annotations\n"
        "\n"
        "# --8<-- [start:first]\n"
        "x = 1\n"
        "# --8<-- [end:first]\n"
        "# a comment between sections\n"
        "# --8<-- [start:second]\n"
        "def double(y):\n"
        "    # --8<-- [start:body]\n"
        "    return 2 * y\n"
        "    # --8<-- [end:body]\n"
        "print(double(x))\n"
        "# --8<-- [end:second]\n",
    )
    notebook = notebooks.build_notebook(script, title="09 Example (notebook)")
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds == ["markdown", "code", "code"]
    assert notebook.cells[0].source.startswith("# 09 Example (notebook)\n\nWhat the page is about.")
    assert notebook.cells[1].source == "x = 1"
    # The indented markers are dropped without cutting the function in two.
    assert notebook.cells[2].source == "def double(y):\n    return 2 * y\nprint(double(x))"
    assert [c.line for c in notebooks.code_cells(script)] == [5, 9]
    assert notebook.metadata.kernelspec.name == "python3"


def test_nested_top_level_sections_cut_cells(tmp_path):
    script = _script(
        tmp_path,
        "# --8<-- [start:outer]\n"
        "a = 1\n"
        "# --8<-- [start:inner]\n"
        "b = 2\n"
        "# --8<-- [end:inner]\n"
        "c = 3\n"
        "# --8<-- [end:outer]\n",
    )
    assert [c.code for c in notebooks.code_cells(script)] == ["a = 1", "b = 2", "c = 3"]


def test_same_script_gives_the_same_bytes(tmp_path):
    script = _script(tmp_path, "# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]\n")
    assert notebooks.notebook_text(script) == notebooks.notebook_text(script)


@pytest.mark.parametrize(
    "body, message",
    [
        ("import os\n# --8<-- [start:a]\nx = 1\n# --8<-- [end:a]\n",
         r"09_example.py:1: rule no-hidden-code: 'import os'"),
        ("# --8<-- [end:a]\n", r"09_example.py:1: rule section-order"),
        ("# --8<-- [start:a]\nx = 1\n", r"rule section-closed: a never ends"),
        ("# --8<-- [start:a]\nif True:\n# --8<-- [end:a]\n# --8<-- [start:b]\n    x = 1\n# --8<-- [end:b]\n",
         r"09_example.py:\d: rule (python-syntax|whole-statements)"),
    ],
)
def test_bad_scripts_are_refused_with_file_line_and_rule(tmp_path, body, message):
    with pytest.raises(notebooks.NotebookError, match=message):
        notebooks.build_notebook(_script(tmp_path, body))
