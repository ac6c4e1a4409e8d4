"""Checks that strict nbval alone lets through.

nbval compares nothing for a code cell stored without an execution count, so an unexecuted
notebook would pass it. Every notebook must therefore be a fresh top-to-bottom run (execution
counts 1..N), store no error, and hold no log or warning noise that readers of the book would see.
"""

import json
import pathlib
import re

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(p for p in BOOK.glob("*.ipynb"))
NOISE = re.compile(
    r"(^[IWEF]\d{4} \d\d:\d\d:\d\d|absl::InitializeLog|oneDNN custom operations|cudart_stub"
    r"|Could not find cuda drivers|WARNING:tensorflow|Warning:|DeprecationWarning|UserWarning"
    r"|RuntimeWarning|FutureWarning|Traceback)",
    re.M,
)


def code_cells(path: pathlib.Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def output_texts(cell: dict) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            texts.append("".join(out["text"]))
        for mime in ("text/plain", "text/html"):
            texts.append("".join(out.get("data", {}).get(mime, "")))
    return texts


def test_book_has_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_in_order(path):
    counts = [c["execution_count"] for c in code_cells(path)]
    assert None not in counts, f"{path.name}: {counts.count(None)} code cell(s) never executed"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: counts {counts} are not 1..N"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_errors_or_noise(path):
    for i, cell in enumerate(code_cells(path)):
        kinds = [out["output_type"] for out in cell.get("outputs", [])]
        assert "error" not in kinds, f"{path.name}: code cell {i} stores an error"
        for text in output_texts(cell):
            match = NOISE.search(text)
            assert match is None, f"{path.name}: code cell {i} stores noise {match.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_followed_by_assertions(path):
    cells = code_cells(path)
    for i, cell in enumerate(cells):
        if "".join(cell["source"]).lstrip().startswith("# NBVAL_IGNORE_OUTPUT"):
            following = "".join(cells[i + 1]["source"]) if i + 1 < len(cells) else ""
            assert "assert" in following, (
                f"{path.name}: ignored cell {i} is not followed by a cell that asserts its result"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_listed_in_toc(path):
    toc = (BOOK.parent / "_toc.yml").read_text()
    assert f"book/{path.stem}" in toc, f"{path.name} is not in _toc.yml"
