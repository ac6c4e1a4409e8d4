"""What a perfect sampler of the true distribution p shows at n draws: the reference every
sample metric is compared with at the same count ("perfect@n", chapters 6 and 9).

A run whose n valid strings are compared with p carries a sample-size bias of its own: the
plug-in total variation of n exact draws from p is far from 0 (about 0.1 at n = 10,000), and n
draws cover only part of p's mass. These functions give that reference exactly, from the
binomial law of each string's count.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .checks import check_positive_int
from .grammar import MAX_LEN
from .truth import true_distribution


def _distinct_probabilities(length: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct true probabilities and how many strings have each."""
    return np.unique(np.array(list(true_distribution(length).values())), return_counts=True)


def expected_tv(n: int, length: int = MAX_LEN) -> float:
    """The expected plug-in total variation between ``n`` exact draws from p and p (chapter 9).

    String s appears ``C ~ Binomial(n, p_s)`` times, so the expectation is
    ``sum_s E|C/n - p_s| / 2``, summed here over the binomial law.
    """
    n = check_positive_int(n, "n")
    probs, counts = _distinct_probabilities(length)
    k = np.arange(n + 1)
    gaps = [np.sum(stats.binom.pmf(k, n, p) * np.abs(k / n - p)) for p in probs]
    return float(0.5 * np.sum(counts * np.array(gaps)))


def expected_coverage(n: int, length: int = MAX_LEN) -> float:
    """The expected true mass of the distinct strings among ``n`` exact draws from p (chapter 9):
    ``sum_s p_s (1 - (1 - p_s)**n)``."""
    n = check_positive_int(n, "n")
    probs, counts = _distinct_probabilities(length)
    return float(np.sum(counts * probs * (1.0 - (1.0 - probs) ** n)))


def expected_unique(n: int, length: int = MAX_LEN) -> float:
    """The expected :func:`fraction_unique` of ``n`` draws from the true distribution (chapter 9).

    A string of probability ``p`` appears at least once with probability ``1 - (1 - p)**n``.
    """
    n = check_positive_int(n, "n")
    return float(sum(1.0 - (1.0 - p) ** n for p in true_distribution(length).values()) / n)


def distinct_count_moments(n: int, length: int = MAX_LEN) -> tuple[float, float]:
    """The mean and standard deviation of the number of distinct strings among ``n`` draws from
    the true distribution (chapter 6).

    String ``s`` appears with probability ``q_s = 1 - (1 - p_s)**n``; two strings ``s != t``
    both appear with covariance ``(1 - p_s - p_t)**n - (1 - p_s)**n (1 - p_t)**n``.
    """
    n = check_positive_int(n, "n")
    p = np.array(list(true_distribution(length).values()))
    missing = (1.0 - p) ** n
    covariance = (1.0 - p[:, None] - p[None, :]) ** n - np.outer(missing, missing)
    np.fill_diagonal(covariance, missing * (1.0 - missing))
    # Clipped at 0: at n = 1 the variance is 0, and rounding can leave the sum a hair below it.
    return float(np.sum(1.0 - missing)), float(np.sqrt(max(covariance.sum(), 0.0)))
