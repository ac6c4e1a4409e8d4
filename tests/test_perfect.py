"""Chapter 9's perfect@n reference: what n exact draws from p show, against enumeration and simulation."""

import itertools
import math

import numpy as np
import pytest

from gumbel_tutorial.perfect import distinct_count_moments, expected_coverage, expected_tv, expected_unique
from gumbel_tutorial.truth import true_distribution


def enumerate_draws(n: int, length: int) -> tuple[float, float, float]:
    """The exact means of the plug-in TV, the coverage and the unique share of ``n`` draws from p,
    summed over every one of the len(p)**n sequences of draws."""
    truth = true_distribution(length)
    probs = np.array(list(truth.values()))
    tv = coverage = unique = 0.0
    for draw in itertools.product(range(len(probs)), repeat=n):
        weight = float(np.prod(probs[list(draw)]))
        counts = np.bincount(draw, minlength=len(probs))
        tv += weight * 0.5 * np.abs(counts / n - probs).sum()
        coverage += weight * probs[counts > 0].sum()
        unique += weight * np.count_nonzero(counts) / n
    return tv, coverage, unique


@pytest.mark.parametrize("n, length", [(1, 5), (2, 3), (4, 3), (2, 5), (3, 5)])
def test_expected_tv_and_coverage_match_enumeration(n, length):
    tv, coverage, unique = enumerate_draws(n, length)
    assert expected_tv(n, length) == pytest.approx(tv, rel=1e-12)
    assert expected_coverage(n, length) == pytest.approx(coverage, rel=1e-12)
    assert expected_unique(n, length) == pytest.approx(unique, rel=1e-12)
    assert distinct_count_moments(n, length)[0] == pytest.approx(unique * n, rel=1e-12)


def test_one_draw_by_hand():
    # Length 3 has p(x) = 1/2 and p(x op x) = 1/8 for each of the 4 operators. One draw s leaves
    # TV = (1 - p_s + 1 - p_s) / 2 = 1 - p_s, so E[TV] = 1 - sum p_s**2 = 1 - (1/4 + 4/64) = 11/16,
    # and covers mass p_s, so E[coverage] = sum p_s**2 = 5/16.
    assert expected_tv(1, 3) == pytest.approx(11 / 16, rel=1e-12)
    assert expected_coverage(1, 3) == pytest.approx(5 / 16, rel=1e-12)


@pytest.mark.parametrize("length", [1, 3, 5, 12])
def test_one_draw_has_one_distinct_string_and_no_spread(length):
    # The variance is a sum of ~len(p)**2 terms that cancel to 0; rounding must not make it NaN.
    mean, sd = distinct_count_moments(1, length)
    assert mean == pytest.approx(1.0, rel=1e-12)
    assert 0.0 <= sd < 1e-5


def de_moivre_tv(n: int, length: int) -> float:
    """E[TV] from De Moivre's mean absolute deviation of a binomial, E|X - np| =
    2 v C(n, v) p**v (1 - p)**(n - v + 1) with v = floor(np) + 1, a closed form independent of the
    binomial sums in :func:`expected_tv`."""
    probs = np.array(list(true_distribution(length).values()))
    v = np.floor(n * probs) + 1
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in v])
    deviation = 2 * v * np.exp(log_choose + v * np.log(probs) + (n - v + 1) * np.log1p(-probs))
    return float(0.5 * deviation.sum() / n)


@pytest.mark.parametrize("n", [1, 7, 100, 1_000, 10_000])
def test_expected_tv_matches_de_moivres_closed_form(n):
    assert expected_tv(n) == pytest.approx(de_moivre_tv(n, 12), rel=1e-9)


def test_paper_grammar_at_ten_thousand_draws_matches_simulation():
    """2,000 simulated samples of 10,000 exact draws from p (length 12, 1,365 strings): the mean
    plug-in TV and the mean coverage lie within 4 standard errors of the exact expectations."""
    probs = np.array(list(true_distribution().values()))
    n, runs = 10_000, 2_000
    counts = np.random.default_rng(7).multinomial(n, probs, size=runs)
    tv = 0.5 * np.abs(counts / n - probs).sum(axis=1)
    coverage = (probs * (counts > 0)).sum(axis=1)
    for name, values, exact in [("tv", tv, expected_tv(n)), ("coverage", coverage, expected_coverage(n))]:
        standard_error = values.std(ddof=1) / math.sqrt(runs)
        assert abs(values.mean() - exact) < 4 * standard_error, (name, values.mean(), exact, standard_error)
    # The figures chapter 9 quotes: about 0.104 and 0.967 (and the paper's sample size, 0.357 unique).
    assert expected_tv(n) == pytest.approx(0.1036, abs=5e-4)
    assert expected_coverage(n) == pytest.approx(0.9670, abs=5e-4)


def test_more_draws_fit_p_better():
    ns = [1, 10, 100, 1_000, 10_000, 100_000]
    tvs, coverages = [expected_tv(n) for n in ns], [expected_coverage(n) for n in ns]
    assert all(a > b for a, b in zip(tvs, tvs[1:])) and tvs[0] == pytest.approx(1 - np.sum(
        np.array(list(true_distribution().values())) ** 2), rel=1e-12)
    assert all(a < b for a, b in zip(coverages, coverages[1:])) and coverages[-1] < 1.0


@pytest.mark.parametrize("function", [expected_tv, expected_coverage, expected_unique, distinct_count_moments])
@pytest.mark.parametrize("n", [0, -1, 2.5, True, "10", None])
def test_bad_n_names_itself(function, n):
    with pytest.raises(ValueError, match=r"^n must"):
        function(n)


@pytest.mark.parametrize("function", [expected_tv, expected_coverage])
@pytest.mark.parametrize("length", [0, 2.5, True])
def test_bad_length_names_itself(function, length):
    with pytest.raises(ValueError, match=r"^length must"):
        function(10, length)
