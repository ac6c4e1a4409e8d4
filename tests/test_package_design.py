"""The package's shape: small modules of one idea each, imported without cycles."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "gumbel_tutorial"
MAX_LINES = 250


def _runtime_imports(path: pathlib.Path) -> set[str]:
    """The package modules that ``path`` imports, ``if TYPE_CHECKING:`` blocks included: an
    import made only for type hints still ties the two modules together (chapter 5's
    ``toy_gan`` and ``toy_lanes`` once did so)."""
    tree = ast.parse(path.read_text())
    found = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_no_module_is_longer_than_the_limit():
    lengths = {p.name: len(p.read_text().splitlines()) for p in PACKAGE.glob("*.py")}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_imports_have_no_cycle():
    graph = {p.stem: _runtime_imports(p) - {"__init__"} for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            assert state.get(target) != "open", " -> ".join([*path, module, target])
            if target not in state:
                visit(target, [*path, module])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    # The sequence GAN's pieces import in the book's order: each only from those before it.
    assert "loop" not in graph["losses"] | graph["noise"] | graph["models"]
    assert "gan" not in graph["loop"] | graph["checkpoints"] | graph["mle"]
