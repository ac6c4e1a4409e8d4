"""The book's notebooks as the tests read them: the stored JSON, never executed."""

import json
import pathlib

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))


def cells(path: pathlib.Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def code_cells(path: pathlib.Path) -> list[dict]:
    return [c for c in cells(path) if c["cell_type"] == "code"]


def markdown(path: pathlib.Path) -> str:
    """The text of every markdown cell, one after another."""
    return "\n\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "markdown")
