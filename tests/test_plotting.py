"""The offline temperature explorer of chapter 3 (the browser test moves its slider)."""

import json
import re

import numpy as np
import pytest

from gumbel_tutorial.plotting import simplex_explorer


def test_explorer_holds_every_temperature_and_draws_the_first():
    corners = np.eye(3)[[0, 1, 2, 0]]
    page = simplex_explorer({2.0: np.full((4, 3), 1 / 3), 0.5: corners}, ("a", "b", "c"), "demo")
    data = json.loads(re.search(r"var data = (\{.*?\});", page).group(1))
    assert data["temperatures"] == [0.5, 2.0]  # sorted, the slider's order
    assert len(data["frames"]) == 2 and all(len(frame) == 4 for frame in data["frames"])
    # The first temperature's samples are the one-hot corners: bottom left, bottom right, top.
    assert data["frames"][0][:3] == [[0.0, 0.866], [1.0, 0.866], [0.5, 0.0]]
    assert data["frames"][1][0] == [0.5, 0.577]  # the centre of the triangle
    circles = re.findall(r'<circle cx="([^"]+)" cy="([^"]+)"', page)
    assert [(float(x), float(y)) for x, y in circles] == [tuple(p) for p in data["frames"][0]]
    assert 'id="demo"' in page and 'type="range"' in page and 'max="1"' in page


@pytest.mark.parametrize(
    "samples, element_id, match",
    [
        ({}, "ok", "at least one temperature"),
        ({1.0: np.ones((2, 2))}, "ok", r"shape \(n, 3\)"),
        ({1.0: np.ones((2, 3)), 2.0: np.ones((3, 3))}, "ok", "same number of samples"),
        ({0.0: np.ones((2, 3))}, "ok", "temperature"),
        ({1.0: np.ones((2, 3))}, "1bad id", "element_id"),
    ],
)
def test_explorer_rejects_bad_input(samples, element_id, match):
    with pytest.raises(ValueError, match=match):
        simplex_explorer(samples, element_id=element_id)
