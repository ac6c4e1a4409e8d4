"""Every chapter notebook is paired with a MyST Markdown text in ``book/src/`` that says the same.

The text is what a change is reviewed in; the notebook adds the outputs of a fresh execution (see
the README, "Editing a chapter"). This test fails when the two disagree on any cell.
"""

import jupytext
import pytest
from book_notebooks import BOOK, NOTEBOOKS
from jupytext.compare import compare_notebooks

FORMATS = "ipynb,src//md:myst"


def test_every_notebook_and_every_text_has_its_pair():
    texts = {p.stem for p in (BOOK / "src").glob("*.md")}
    assert NOTEBOOKS and texts == {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_text_and_notebook_agree(notebook):
    stored = jupytext.read(notebook)
    assert stored.metadata["jupytext"]["formats"] == FORMATS
    text = jupytext.read(BOOK / "src" / f"{notebook.stem}.md")
    compare_notebooks(text, stored, fmt="md:myst")
    # compare_notebooks forgives some differences of cell metadata; the tags decide what nbval
    # runs and what readers see, so they must match exactly.
    tags = [[cell.metadata.get("tags", []) for cell in nb.cells] for nb in (text, stored)]
    assert tags[0] == tags[1]
