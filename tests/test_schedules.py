"""Temperature schedules at the paper's iterations, inside and outside tf.function."""

import math

import numpy as np
import pytest

import gumbel_tutorial as gt
from gumbel_tutorial.runtime import tf


@pytest.mark.parametrize(
    "step, expected", [(0, 5.0), (2_500, 4.0), (5_000, 3.0), (10_000, 1.0), (15_000, 1.0), (19_999, 1.0)]
)
def test_paper_linear_anneal(step, expected):
    assert float(gt.LinearAnneal()(step)) == pytest.approx(expected, abs=1e-6)


def test_linear_anneal_in_graph_matches_eager():
    schedule = gt.LinearAnneal()
    steps = tf.range(0, 20_000, 1_000)
    compiled = tf.function(schedule)(steps).numpy()
    np.testing.assert_allclose(compiled, [float(schedule(int(s))) for s in steps], rtol=1e-6)
    assert np.all(np.diff(compiled) <= 0)


def test_exponential_anneal_has_floor():
    schedule = gt.ExponentialAnneal(start=1.0, rate=1e-4, floor=0.5)
    assert float(schedule(0)) == pytest.approx(1.0)
    assert float(schedule(1_000)) == pytest.approx(math.exp(-0.1), rel=1e-6)
    assert float(schedule(100_000)) == pytest.approx(0.5)


def test_constant():
    values = gt.ConstantTemperature(0.001)(tf.range(3)).numpy()
    np.testing.assert_allclose(values, [0.001] * 3)
    assert float(gt.ConstantTemperature(0.5)(7)) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: gt.ConstantTemperature(0.0),
        lambda: gt.LinearAnneal(start=-1.0),
        lambda: gt.LinearAnneal(end=float("nan")),
        lambda: gt.LinearAnneal(steps=0),
        lambda: gt.ExponentialAnneal(floor=float("inf")),
    ],
)
def test_bad_schedule_arguments(make):
    with pytest.raises(ValueError, match="start|end|steps|floor|value"):
        make()
