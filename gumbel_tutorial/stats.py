"""Goodness-of-fit checks for samplers (chapter 2), distances between distributions (chapters 5-9),
the cosine between gradients (chapter 4) and the spread of a statistic over seeds (chapter 5)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .checks import (
    check_choice, check_distribution, check_finite, check_positive_int, check_probabilities,
)
from .runtime import tfd
from .seeds import check_root, rng

STATISTICS = {"mean": np.mean, "median": np.median}


@dataclasses.dataclass(frozen=True)
class ChiSquareResult:
    """Pearson's statistic, its degrees of freedom and the p-value from ``tfd.Chi2``."""

    statistic: float
    dof: int
    p_value: float


def chi_square_test(counts: Any, probs: Any) -> ChiSquareResult:
    """Pearson's chi-square goodness-of-fit test of observed ``counts`` against ``probs`` (chapter 2).

    The p-value is the survival function of ``tfd.Chi2(k - 1)`` at the statistic.
    """
    observed = check_finite(counts, "counts").astype(np.float64)
    expected_probs = check_probabilities(probs)
    if observed.shape != expected_probs.shape or np.any(observed < 0):
        raise ValueError(
            f"counts must be {expected_probs.size} non-negative numbers, one per category; "
            f"got {observed.tolist()}"
        )
    if np.any(expected_probs <= 0):
        raise ValueError("probs must all be > 0 for a chi-square test")
    expected = observed.sum() * expected_probs
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = observed.size - 1
    # float64 keeps tiny p-values (below about 1e-7) from rounding to 0.
    p_value = float(tfd.Chi2(df=np.float64(dof)).survival_function(np.float64(statistic)).numpy())
    return ChiSquareResult(statistic=statistic, dof=dof, p_value=p_value)


def total_variation(p: Any, q: Any) -> float | np.ndarray:
    """``0.5 * sum_k |p_k - q_k|`` over the last axis (chapter 5; the metrics of chapter 6 use it too).

    0 for equal distributions, 1 for disjoint supports. Leading axes broadcast, so a history of
    distributions ``[epochs, k]`` gives one distance per epoch; two vectors give a float. Both
    arguments must be distributions (:func:`~gumbel_tutorial.checks.check_distribution`), so the
    result always lies in [0, 1].
    """
    p_arr, q_arr = check_distribution(p, "p"), check_distribution(q, "q")
    if p_arr.shape[-1:] != q_arr.shape[-1:]:
        raise ValueError(f"p and q must have the same last axis, got shapes {p_arr.shape} and {q_arr.shape}")
    distance = 0.5 * np.abs(p_arr - q_arr).sum(axis=-1)
    return float(distance) if distance.ndim == 0 else distance


def cosine(a: Any, b: Any) -> float | np.ndarray:
    """The cosine of the angle between vectors along the last axis (chapter 4: an estimated
    gradient against the exact one); leading axes broadcast, so ``[R, K]`` estimates against a
    ``[K]`` gradient give ``R`` cosines. A zero vector has no direction, and its cosine is 0."""
    a_arr = check_finite(a, "a").astype(np.float64)
    b_arr = check_finite(b, "b").astype(np.float64)
    if a_arr.ndim == 0 or a_arr.shape[-1:] != b_arr.shape[-1:]:
        raise ValueError(f"a and b must be vectors of one length, got shapes {a_arr.shape} and {b_arr.shape}")
    dot = np.sum(a_arr * b_arr, axis=-1)
    norms = np.linalg.norm(a_arr, axis=-1) * np.linalg.norm(b_arr, axis=-1)
    result = np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
    return float(result) if result.ndim == 0 else result


@dataclasses.dataclass(frozen=True)
class Spread:
    """A metric over seeds: its mean, standard deviation (``ddof=1``) and range (chapter 9).

    Printed as ``mean ±sd``, which fits a table of several metrics in a text column; the range
    is there for claims about every seed.
    """

    mean: float
    sd: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Any) -> Spread:
        """The spread of one value per seed (at least one, all finite; one seed has sd 0)."""
        data = check_finite(values, "values").astype(np.float64)
        if data.ndim != 1:
            raise ValueError(f"values must be a vector, one value per seed, got shape {data.shape}")
        sd = float(data.std(ddof=1)) if data.size > 1 else 0.0
        return cls(float(data.mean()), sd, float(data.min()), float(data.max()))

    def __str__(self) -> str:
        return f"{self.mean:.3f} ±{self.sd:.3f}"


@dataclasses.dataclass(frozen=True)
class Interval:
    """A statistic over replicas and its percentile-bootstrap interval (chapter 5)."""

    statistic: str
    value: float
    low: float
    high: float
    level: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_interval(
    values: Any, statistic: str = "mean", level: float = 0.95, resamples: int = 10_000, seed: int = 0
) -> Interval:
    """The ``statistic`` of ``values`` with a percentile-bootstrap interval at ``level`` (chapter 5).

    ``values`` holds one number per independent replica (seed). The interval comes from
    ``resamples`` resamples with replacement, drawn from :func:`gumbel_tutorial.seeds.rng`.
    """
    data = check_finite(values, "values").astype(np.float64)
    if data.ndim != 1 or data.size < 2:
        raise ValueError(f"values must be a vector of at least 2 finite numbers, got {data.tolist()!r}")
    check_choice(statistic, "statistic", STATISTICS)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0.0 < level < 1.0:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    resamples = check_positive_int(resamples, "resamples")
    function = STATISTICS[statistic]
    index = rng(check_root(seed, "seed")).integers(0, data.size, size=(resamples, data.size))
    replicates = function(data[index], axis=1)
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(replicates, [tail, 100.0 - tail])
    return Interval(statistic, float(function(data)), float(low), float(high), float(level))


def trailing_mean(values: Any, window: int = 200) -> np.ndarray:
    """The mean of each entry of a 1-D series and the ``window - 1`` before it (fewer at the
    start), to read a noisy training curve (chapters 9 and 10)."""
    window = check_positive_int(window, "window")
    series = np.asarray(check_finite(values, "values"), dtype=np.float64)
    if series.ndim != 1 or series.size == 0:
        raise ValueError(f"values must be a non-empty 1-D series, got shape {series.shape}")
    cumulative = np.cumsum(np.insert(series, 0, 0.0))
    end = np.arange(1, series.size + 1)
    begin = np.maximum(end - window, 0)
    return (cumulative[end] - cumulative[begin]) / (end - begin)
