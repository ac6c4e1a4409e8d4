"""Figures shared by several chapters (the simplex plot is introduced in chapter 3)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np

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
