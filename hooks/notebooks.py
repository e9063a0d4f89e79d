"""Page scripts as Jupyter notebooks, generated at build time, never committed.

Each page script ``snippets/NN_name.py`` is cut into sections by marker lines
(``# --8<-- [start:NAME]`` / ``# --8<-- [end:NAME]``), and the pages include
those sections.  A notebook made from the same file is therefore the page's
own code, cell by cell:

* the module docstring becomes the first (Markdown) cell, under a title;
* every stretch of code between two top-level marker lines becomes one code
  cell, the marker lines themselves dropped;
* indented markers (a section inside a function body) are dropped without
  cutting, so no cell ever holds half a statement;
* code outside every section is refused, as ``tests/test_snippets.py``
  refuses it: a notebook must not run anything the pages do not show.

This module is also the MkDocs hook that puts the notebooks on the site
(``hooks:`` in mkdocs.yml).  At each build it writes the notebooks under
``.cache/notebooks/`` (outside ``docs/``, so ``mkdocs serve`` does not see
its own output as a change and rebuild forever) and registers them as pages
for mkdocs-jupyter, which renders them without executing anything.  The test
run checks them and executes one (tests/test_notebooks.py).
"""

from __future__ import annotations

import ast
import html
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ftlab.runs import write_text_atomically

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = ROOT / "snippets"
DOCS = ROOT / "docs"
# Outside docs/ on purpose: see the module docstring.
GENERATED = ROOT / ".cache" / "notebooks"
# Where notebook pages live on the site; mkdocs.yml's mkdocs-jupyter
# `include: ["notebooks/*.ipynb"]` matches files in a folder of this name.
SITE_FOLDER = GENERATED.name
PAGE_SCRIPT = re.compile(r"^\d\d_[\w]+\.py$")
SECTION_MARKER = re.compile(r"^(\s*)# --8<-- \[(start|end):([\w-]+)\]\s*$")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class NotebookError(ValueError):
    """A page script that cannot become a notebook; the message names file, line and rule."""


def page_scripts(snippets: Path = SNIPPETS) -> list[Path]:
    """Every page script, ``NN_name.py``, in page order."""
    return sorted(p for p in snippets.glob("*.py") if PAGE_SCRIPT.match(p.name))


def _docstring_lines(tree: ast.Module) -> set[int]:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return set(range(first.lineno, first.end_lineno + 1))
    return set()


def _is_allowed_outside_sections(stripped: str) -> bool:
    # Comments and blank lines between sections carry no behaviour; the
    # __future__ import must stay first in a script and means nothing in a cell.
    return not stripped or stripped.startswith("#") or stripped == "from __future__ import annotations"


@dataclass(frozen=True)
class Cell:
    line: int  # where the cell's first line is in the script
    code: str


def section_spans(script: Path) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """``{name: (start line, end line)}`` of a script's sections, and what is wrong with its markers."""
    found, open_at, problems = {}, {}, []
    for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), start=1):
        marker = SECTION_MARKER.match(line)
        if not marker:
            continue
        _, kind, name = marker.groups()
        if kind == "start":
            if name in open_at or name in found:
                problems.append(f"{script}:{number}: rule unique-section: '{name}' starts twice")
            open_at[name] = number
        elif name not in open_at:
            problems.append(f"{script}:{number}: rule section-order: '{name}' ends before it starts")
        else:
            found[name] = (open_at.pop(name), number)
    problems += [f"{script}:{number}: rule section-closed: {name} never ends" for name, number in open_at.items()]
    return found, problems


def hidden_lines(script: Path) -> list[str]:
    """Code outside every section: a page would run it without showing it.  One problem per line."""
    text = script.read_text(encoding="utf-8")
    spans, _ = section_spans(script)
    shown = {number for first, last in spans.values() for number in range(first, last + 1)}
    docstring = _docstring_lines(ast.parse(text, filename=str(script)))
    return [
        f"{script}:{number}: rule no-hidden-code: {line.strip()!r} is in no section, so no page shows it"
        for number, line in enumerate(text.splitlines(), start=1)
        if number not in shown and number not in docstring and not _is_allowed_outside_sections(line.strip())
    ]


def code_cells(script: Path) -> list[Cell]:
    """The script's code, cut into cells at its top-level section markers."""
    text = script.read_text(encoding="utf-8")
    try:
        ast.parse(text, filename=str(script))
    except SyntaxError as error:
        raise NotebookError(f"{script}:{error.lineno}: rule python-syntax: {error.msg}") from error
    problems = section_spans(script)[1] + hidden_lines(script)
    if problems:
        raise NotebookError(problems[0])
    cells: list[Cell] = []
    current: list[tuple[int, str]] = []
    open_sections: list[str] = []

    def close_cell():
        while current and not current[0][1].strip():
            current.pop(0)
        code = "\n".join(line for _, line in current).rstrip()
        if code.strip():
            cells.append(Cell(current[0][0], code))
        current.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        marker = SECTION_MARKER.match(line)
        if marker:
            indent, kind, name = marker.groups()
            if not indent:
                close_cell()
            if kind == "start":
                open_sections.append(name)
            else:
                open_sections.remove(name)
        elif open_sections:
            current.append((number, line))
    close_cell()
    for cell in cells:
        try:
            compile(cell.code, str(script), "exec", flags=ast.PyCF_ONLY_AST)
        except SyntaxError as error:
            raise NotebookError(
                f"{script}:{cell.line}: rule whole-statements: the cell starting here is not valid "
                f"Python on its own ({error.msg}); put top-level section markers between statements"
            ) from error
    return cells


def build_notebook(script: Path, title: str | None = None) -> nbformat.NotebookNode:
    """The notebook for one page script: an introduction cell, then its code cells."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree) or ""
    heading = f"# {title}" if title else f"# {script.name}"
    intro = (
        f"{heading}\n\n{docstring}\n\n"
        f"Generated from `snippets/{script.name}` in the site's repository: the same code, "
        f"cell by cell, that the page shows and the tests run. Start Jupyter at the root of "
        f"the repository with the project's `.venv` (`make install`), so that relative paths "
        f"and the offline model resolve as they do in the tests."
    ).strip()
    cells = [nbformat.v4.new_markdown_cell(intro)]
    cells += [nbformat.v4.new_code_cell(cell.code) for cell in code_cells(script)]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    # Stable cell ids: the same script gives byte-identical notebooks, so a
    # rebuild does not rewrite files nor invalidate mkdocs-jupyter's cache.
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{script.stem}-{index}"
    nbformat.validate(notebook)
    return notebook


def notebook_text(script: Path, title: str | None = None) -> str:
    return nbformat.writes(build_notebook(script, title), version=4) + "\n"


# --------------------------------------------------------------------------
# Which page shows which script, and its title in the navigation.


def including_page(script: Path, docs: Path = DOCS) -> Path | None:
    """The first page (in file order) that includes a section of ``script``."""
    needle = f'--8<-- "{script.name}'
    for page in sorted(docs.rglob("*.md")):
        if needle in page.read_text(encoding="utf-8"):
            return page
    return None


def _nav_titles(nav, titles=None) -> dict[str, str]:
    titles = {} if titles is None else titles
    for entry in nav or []:
        if isinstance(entry, dict):
            for title, target in entry.items():
                if isinstance(target, str):
                    titles[target] = title
                else:
                    _nav_titles(target, titles)
    return titles


@dataclass(frozen=True)
class SiteNotebook:
    script: Path
    page: Path | None  # docs page that shows the script's code
    page_title: str | None  # its title in the navigation

    @property
    def title(self) -> str:
        """'03 LoRA basics (notebook)'; the home page's script is named after itself."""
        if self.page_title and self.page is not None and self.page.name != "index.md":
            return f"{self.page_title} (notebook)"
        number, _, words = self.script.stem.partition("_")
        return f"{number} {words.replace('_', ' ').capitalize()} (notebook)"

    @property
    def page_uri(self) -> str:
        """The notebook page's source path in the site, e.g. ``notebooks/03_lora_basics.ipynb``."""
        return f"{SITE_FOLDER}/{self.script.stem}.ipynb"

    @property
    def download_uri(self) -> str:
        """The downloadable file, next to the rendered page."""
        return f"{SITE_FOLDER}/{self.script.stem}/{self.script.stem}.ipynb"


def site_notebooks(nav=None, docs: Path = DOCS, snippets: Path = SNIPPETS) -> list[SiteNotebook]:
    titles = _nav_titles(nav)
    notebooks = []
    for script in page_scripts(snippets):
        page = including_page(script, docs)
        page_title = titles.get(page.relative_to(docs).as_posix()) if page else None
        notebooks.append(SiteNotebook(script, page, page_title))
    return notebooks


# --------------------------------------------------------------------------
# MkDocs hook events.  mkdocs-jupyter wraps notebook files in its own
# on_files, so ours must run first to hand it the generated files.

try:
    from mkdocs.plugins import event_priority
    from mkdocs.structure.files import File
    from mkdocs.utils import get_relative_url
except ImportError:  # the converter works without MkDocs installed
    event_priority = None

if event_priority is not None:

    _by_page_uri: dict[str, SiteNotebook] = {}
    NAV_SECTION = "Notebooks"

    def on_config(config):
        # A "Notebooks" section listing every page script's notebook, derived
        # from snippets/ so that a new page script cannot be left out of it.
        nav = _chapter_nav(config["nav"])
        entries = [
            {notebook.title: notebook.page_uri}
            for notebook in site_notebooks(nav, Path(config["docs_dir"]))
        ]
        config["nav"] = nav + [{NAV_SECTION: entries}]
        return config

    @event_priority(100)
    def on_files(files, config):
        _by_page_uri.clear()
        for notebook in site_notebooks(_chapter_nav(config["nav"]), Path(config["docs_dir"])):
            text = notebook_text(notebook.script, notebook.title)
            write_text_atomically(GENERATED.parent / notebook.page_uri, text)
            # The page: mkdocs-jupyter renders it (its include pattern
            # matches the real file's path, .../notebooks/NN_name.ipynb).
            # A plain File rooted in .cache/ (not File.generated): mkdocs-jupyter's
            # wrapper recomputes abs_src_path from src_dir, which generated files lack.
            files.append(File(notebook.page_uri, src_dir=str(GENERATED.parent),
                              dest_dir=config["site_dir"], use_directory_urls=config["use_directory_urls"]))
            # The download: an ordinary file, so Markdown links to it are
            # checked by `mkdocs build --strict` like any other link.
            files.append(File.generated(config, notebook.download_uri, content=text))
            _by_page_uri[notebook.page_uri] = notebook
        return files

    def _chapter_nav(nav):
        return [entry for entry in nav or [] if not (isinstance(entry, dict) and NAV_SECTION in entry)]

    def on_page_content(content, page, config, files):
        notebook = _by_page_uri.get(page.file.src_uri)
        if notebook is None:
            return content
        button, note = _notebook_header(notebook, page, files)
        # The note goes under the notebook's title (its first cell's <h1>).
        end_of_title = content.find("</h1>")
        if end_of_title < 0:
            return button + note + content
        cut = end_of_title + len("</h1>")
        return button + content[:cut] + note + content[cut:]

    def on_serve(server, config, builder):
        # The notebooks are built from snippets/: rebuild when a script changes.
        server.watch(str(SNIPPETS))
        return server


def _notebook_header(notebook: SiteNotebook, page, files) -> tuple[str, str]:
    """A download button (styled like Material's edit button), and a line linking the page."""
    import material

    download = html.escape(get_relative_url(notebook.download_uri, page.file.url))
    icon = (Path(material.__file__).parent / "templates/.icons/material/download.svg").read_text()
    button = (
        f'<a href="{download}" download="{notebook.script.stem}.ipynb" '
        f'title="Download the notebook" class="md-content__button md-icon">{icon}</a>'
    )
    shown_on = ""
    chapter = files.get_file_from_path(notebook.page.relative_to(DOCS).as_posix()) if notebook.page else None
    if chapter is not None:
        link = html.escape(get_relative_url(chapter.url, page.file.url))
        shown_on = f'The page <a href="{link}">{html.escape(notebook.page_title or chapter.url)}</a> explains this code.'
    note = (
        f"<p>{shown_on.strip()} "
        f'<a href="{download}" download="{notebook.script.stem}.ipynb">Download the notebook</a>. '
        f"Nothing was executed to build this page; the test run executes every cell.</p>"
    )
    return button + "\n", note + "\n"
