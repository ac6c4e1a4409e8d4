"""Figures a reader can read: one style for the whole book, fonts of at least 10 pt on the page,
and a caption and alt text on every figure (checked on the stored notebooks).

A cell's output is at least 737 px wide at both widths the browser test uses (1280 px and
800 px), and tests/test_book_html.py checks that every figure is shown at its own size there.
"""

from __future__ import annotations

import base64
import pathlib
import re
import struct

import matplotlib
import pytest
from book_notebooks import NOTEBOOKS, code_cells

from gumbel_tutorial.plotting import STYLE

COLUMN_PX = 737  # a cell's output at 800 px, the narrower of the two widths
FONT_KEYS = (
    "font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
    "legend.fontsize", "legend.title_fontsize", "figure.titlesize",
)
# Font sizes, dpi and other style settings belong in the style, not in a chapter.
OVERRIDES = re.compile(
    r"rcParams|plt\.style|\bdpi\s*=|fontsize\s*=\s*(?:[0-9](?:\.\d+)?\b|\"(?:x+-)?small\")"
)


def png_width(data: str) -> int:
    header = base64.b64decode(data[:44])
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">I", header[16:20])[0]


def figures(path: pathlib.Path) -> list[tuple[int, dict, dict]]:
    """(cell index, cell, output) for every image output of the notebook."""
    return [
        (i, cell, out)
        for i, cell in enumerate(code_cells(path))
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]


def test_style_fonts_are_at_least_10pt_on_the_page():
    style = matplotlib.rc_params_from_file(STYLE, use_default_template=False)
    dpi = style["figure.dpi"]
    assert style["figure.figsize"][0] * dpi <= COLUMN_PX - 2  # the crop's padding
    for key in FONT_KEYS:
        size = style[key]
        assert isinstance(size, float), f"{key} must be a size in points, got {size!r}"
        css_pt = size * dpi / 72 * 0.75  # image pixels shown 1:1; a CSS pt is 4/3 px
        assert css_pt >= 10, f"{key} = {size} pt is {css_pt:.1f} pt on the page"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapters_draw_with_the_book_style(path):
    cells = code_cells(path)
    if not figures(path):
        return
    assert "gt.plotting.use_book_style()" in "".join(cells[0]["source"]), (
        f"{path.name} draws figures, so its first cell must call gt.plotting.use_book_style()"
    )
    for i, cell in enumerate(cells):
        match = OVERRIDES.search("".join(cell["source"]))
        assert match is None, f"{path.name}, code cell {i}: {match.group(0)!r} overrides the style"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_fit_the_column_unscaled(path):
    for i, _, out in figures(path):
        width = png_width(out["data"]["image/png"])
        assert width <= COLUMN_PX, f"{path.name}, code cell {i}: a figure {width} px wide"
        assert not out.get("metadata", {}).get("image/png"), (
            f"{path.name}, code cell {i}: a figure with a display size of its own"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_a_caption_and_alt_text(path):
    for i, cell, _ in figures(path):
        options = cell["metadata"].get("mystnb", {})
        caption = options.get("figure", {}).get("caption", "")
        alt = options.get("image", {}).get("alt", "")
        assert len(caption) >= 20, f"{path.name}, code cell {i}: the figure has no caption"
        assert len(alt) >= 20, f"{path.name}, code cell {i}: the figure has no alt text"
    for i, cell in enumerate(code_cells(path)):
        shown = [o for o in cell.get("outputs", []) if o["output_type"] != "stream"]
        if "figure" in cell["metadata"].get("mystnb", {}):
            assert len(shown) == 1, (
                f"{path.name}, code cell {i}: a captioned cell must show exactly one figure "
                f"(myst-nb captions every displayed output), it shows {len(shown)} outputs"
            )
