"""Figures shared by several chapters: the book's figure style (every chapter, from chapter
1), the simplex plot and its temperature explorer (chapter 3)."""

from __future__ import annotations

import html
import json
import pathlib
import re
from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from .checks import check_temperature

STYLE = pathlib.Path(__file__).with_name("book.mplstyle")
"""The book's matplotlib style file: figures 7.5 in wide at 96 dpi, every font >= 10.5 pt."""


def use_book_style() -> None:
    """Apply the book's figure style (:data:`STYLE`) to every figure drawn after it (chapter 1).

    Fonts, sizes and layout come from the style so that each chapter sets only what its figure
    needs (a height, a number of panels). At 96 dpi a point in the figure is a point on the
    page, and a 720 px figure fits a cell's output unscaled, so the fonts keep their size.
    """
    plt.style.use(STYLE)


# Corners of the 2-simplex drawn as an equilateral triangle.
_CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]])


def simplex_scatter(ax: plt.Axes, points: Any, labels: tuple[str, str, str] = ("1", "2", "3"), **kwargs: Any) -> None:
    """Scatter points of the 3-category simplex (rows summing to 1) on a triangle (chapter 3)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(f"points must have shape (n, 3), got {points.shape}")
    xy = points @ _CORNERS
    outline = np.vstack([_CORNERS, _CORNERS[:1]])
    ax.plot(outline[:, 0], outline[:, 1], color="0.3", linewidth=0.8)
    ax.scatter(xy[:, 0], xy[:, 1], **{"s": 4, "alpha": 0.4, **kwargs})
    for corner, label in zip(_CORNERS, labels, strict=True):
        ax.annotate(label, corner, textcoords="offset points", xytext=(0, -12 if corner[1] == 0 else 4), ha="center")
    ax.set_aspect("equal")
    ax.axis("off")


def simplex_explorer(
    samples_by_temperature: Mapping[float, Any],
    labels: tuple[str, str, str] = ("1", "2", "3"),
    element_id: str = "temperature-explorer",
) -> str:
    """A self-contained HTML slider over precomputed 3-category samples, one set per temperature
    (chapter 3).

    The page needs no server and no network: the samples' triangle coordinates (3 decimals) are
    written into the page, and a few lines of JavaScript move the points when the slider moves.
    Without JavaScript the first temperature's points are shown.
    """
    if not samples_by_temperature:
        raise ValueError("samples_by_temperature must hold at least one temperature")
    if not re.fullmatch(r"[A-Za-z][\w-]*", str(element_id)):
        raise ValueError(f"element_id must be a valid HTML id (a letter, then letters, digits, - or _), got {element_id!r}")
    temperatures = sorted(float(check_temperature(t)) for t in samples_by_temperature)
    frames = []
    for t in temperatures:
        points = np.asarray(samples_by_temperature[t], dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 3 or len(points) == 0:
            raise ValueError(f"the samples at temperature {t:g} must have shape (n, 3), got {points.shape}")
        xy = points @ _CORNERS
        frames.append(np.round(np.column_stack([xy[:, 0], _CORNERS[2, 1] - xy[:, 1]]), 3).tolist())
    if len({len(frame) for frame in frames}) != 1:
        raise ValueError("every temperature must have the same number of samples")
    circles = "".join(f'<circle cx="{x}" cy="{y}" r="0.008"></circle>' for x, y in frames[0])
    corners = [(0.0, 0.866, "end", 0.9), (1.0, 0.866, "start", 0.9), (0.5, 0.0, "middle", -0.03)]
    text = "".join(
        f'<text x="{x}" y="{ty}" text-anchor="{anchor}" font-size="0.05">{html.escape(label)}</text>'
        for (x, _, anchor, ty), label in zip(corners, labels, strict=True)
    )
    data = json.dumps({"temperatures": temperatures, "frames": frames}, separators=(",", ":"))
    return f"""<div id="{element_id}" class="simplex-explorer" style="max-width:420px">
<label>temperature &tau; = <output>{temperatures[0]:g}</output><br>
<input type="range" min="0" max="{len(temperatures) - 1}" step="1" value="0" style="width:100%"
 aria-label="temperature"></label>
<svg viewBox="-0.15 -0.1 1.3 1.05" style="width:100%;height:auto" role="img"
 aria-label="Gumbel-softmax samples on the triangle of 3-category probability vectors">
<polygon points="0,0.866 1,0.866 0.5,0" fill="none" stroke="#555" stroke-width="0.005"></polygon>
{text}<g fill="#1f77b4" fill-opacity="0.4">{circles}</g></svg>
<script>(function () {{
  var data = {data};
  var root = document.getElementById("{element_id}");
  var slider = root.querySelector("input"), shown = root.querySelector("output");
  var dots = root.querySelectorAll("circle");
  slider.addEventListener("input", function () {{
    var frame = data.frames[Number(slider.value)];
    shown.textContent = data.temperatures[Number(slider.value)];
    for (var i = 0; i < dots.length; i++) {{
      dots[i].setAttribute("cx", frame[i][0]);
      dots[i].setAttribute("cy", frame[i][1]);
    }}
  }});
}})();</script>
</div>"""
