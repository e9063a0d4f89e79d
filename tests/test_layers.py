"""ftlab's modules import each other one way: no cycle, counting imports inside functions.

An import inside a function hides a dependency from a reader of the module's
top; it still is one.  So the graph is built from every import statement
anywhere in each module, and must have no cycle.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ftlab"


def ftlab_imports(source: str, modules: set[str]) -> set[str]:
    """The ftlab modules one module's source imports, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "ftlab":
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ftlab."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("ftlab.")}
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = {path.stem for path in package.glob("*.py")}
    return {path.stem: ftlab_imports(path.read_text(encoding="utf-8"), modules) - {path.stem}
            for path in package.glob("*.py")}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node, path):
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target):] + [target] if target in path else [node, target]
            if target not in state and (cycle := visit(target, path + [target])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_no_import_cycle_among_ftlab_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, f"import cycle in src/ftlab: {' -> '.join(cycle)}"


@pytest.mark.parametrize("graph, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"predict": {"train"}, "train": {"predict"}}, ["predict", "train", "predict"]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
])
def test_the_cycle_finder_finds_cycles(graph, cycle):
    assert find_cycle(graph) == cycle


def test_an_import_inside_a_function_counts():
    source = "def f():\n    from ftlab import train\n    import ftlab.predict\n"
    assert ftlab_imports(source, {"train", "predict"}) == {"train", "predict"}


# The package, bottom to top.  A module may import from its own layer and the
# layers below it, never from above (README.md's layout table is this list).
LAYERS = (
    # foundations: versions, the CPU, the one cache key and atomic writes, the
    # LoRA and trainer settings every run shares, text similarity, provenance
    {"versions", "cpu", "similarity", "recipe", "runs", "provenance", "charts"},
    # the running example: data set, offline model, task facts, scores, file checks
    {"jobs", "model", "task", "metrics", "validate", "noisy"},
    # asking a model for answers; training it
    {"predict", "train", "sft", "steplog"},
    # scoring runs; merging an adapter; memory arithmetic
    {"evaluate", "export", "memory"},
    # what the pages run: preference training, quantization, experiments, servers, commands
    {"preference", "quantize", "ladder", "baselines", "bench", "stepprofile", "stepspeed", "sweep", "dataquality", "scaling", "call", "serve", "experiments", "figures", "pagecosts",
     "cli", "model_cli", "predict_cli", "decide", "__init__", "__main__"},
)


def layer_of(module: str) -> int:
    return next(number for number, members in enumerate(LAYERS) if module in members)


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    assert set(import_graph()) - placed == set(), "add the new module to LAYERS (and README.md's layout)"


@pytest.mark.parametrize("module", sorted(set().union(*LAYERS)))
def test_no_module_imports_from_a_layer_above_its_own(module):
    above = {target for target in import_graph().get(module, ()) if layer_of(target) > layer_of(module)}
    assert not above, f"src/ftlab/{module}.py imports {sorted(above)}, which sit in a layer above it"


def late_imports(source: str) -> list[int]:
    """Lines of module-level imports that come after other code (a module bent to suit a page)."""
    late, code_seen = [], False
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if code_seen:
                late.append(node.lineno)
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # the docstring
            code_seen = True
    return late


def test_late_imports_are_found():
    assert late_imports('"""Doc."""\nimport os\nX = 1\nimport sys\n') == [4]


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_every_import_is_at_the_top_of_its_module(path):
    late = late_imports(path.read_text(encoding="utf-8"))
    assert not late, f"{path.name}: imports on lines {late} come after code; move them to the top"


def shown_sections(path: Path) -> dict[str, list[ast.stmt]]:
    """The top-level statements inside each ``--8<--`` section of a module."""
    from notebooks import section_spans

    tree = ast.parse(path.read_text(encoding="utf-8"))
    spans, problems = section_spans(path)
    assert not problems, problems
    sections = {}
    for name, (first, last) in spans.items():
        straddling = [node.lineno for node in tree.body if node.lineno < first < node.end_lineno
                      or node.lineno < last < node.end_lineno]
        assert not straddling, f"{path.name}: section {name!r} cuts through the statement on line {straddling[0]}"
        sections[name] = [node for node in tree.body if first < node.lineno < last]
    return sections


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_a_section_a_page_shows_from_src_is_whole_definitions_or_imports(path):
    """Pages show real code from src/: whole functions and classes (or the imports they need), not fragments."""
    for name, nodes in shown_sections(path).items():
        kinds = {"imports" if isinstance(n, (ast.Import, ast.ImportFrom)) else
                 "definitions" if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)) else
                 type(n).__name__ for n in nodes}
        assert kinds <= {"imports", "definitions"} and kinds, f"{path.name} section {name!r} holds {kinds}"
