"""Chapter 9's exact distribution metrics against a brute-force enumeration of the sampler."""

import itertools
import math
from collections import Counter, defaultdict

import numpy as np
import pytest

from gumbel_tutorial import grammar
from gumbel_tutorial.metrics import DISTRIBUTION_METRICS, distribution_metrics
from gumbel_tutorial.perfect import expected_unique
from gumbel_tutorial.truth import true_distribution, true_probability


def _trees(k):
    """Every derivation-tree shape with ``k`` operator nodes (operators still unlabelled)."""
    if k == 0:
        return ["x"]
    return [("?", left, right) for i in range(k) for left in _trees(i) for right in _trees(k - 1 - i)]


def _label(tree, ops):
    if tree == "x":
        return "x", ops
    left, ops = _label(tree[1], ops)
    op, ops = ops[0], ops[1:]
    right, ops = _label(tree[2], ops)
    return left + op + right, ops


def _enumerate(length):
    """The sampler's law, derivation by derivation: P(k) * 1/Catalan(k) * 4**-k for each tree."""
    probs = grammar.default_operator_probs(length)
    table = defaultdict(float)
    for k, p_k in enumerate(probs):
        shapes = _trees(k)
        assert len(shapes) == math.comb(2 * k, k) // (k + 1)
        for shape, ops in itertools.product(shapes, itertools.product(grammar.OPERATORS, repeat=k)):
            sentence, rest = _label(shape, "".join(ops))
            assert rest == ""
            table[grammar.pad(sentence, length)] += p_k / len(shapes) * 4.0 ** -k
    return dict(table)


@pytest.mark.parametrize("length", [1, 5, 12])
def test_true_distribution_matches_brute_force(length):
    truth, brute = true_distribution(length), _enumerate(length)
    assert truth.keys() == brute.keys()
    assert len(truth) == grammar.count_valid(length)
    assert all(math.isclose(truth[s], brute[s], rel_tol=1e-12) for s in truth)
    assert math.isclose(sum(truth.values()), 1.0, rel_tol=1e-12)
    assert all(grammar.is_valid(s) for s in truth)


def test_paper_grammar_has_1365_strings_and_invalid_ones_have_no_mass():
    truth = true_distribution()
    assert len(truth) == 1_365
    assert true_probability(grammar.pad("x+x*x")) == pytest.approx(1 / 6 / 16)
    assert true_probability(grammar.pad("x+")) == 0.0
    # Every string of up to 7 symbols is valid exactly when it has true probability.
    for n in range(1, 8):
        for symbols in itertools.product("x+-*/", repeat=n):
            s = grammar.pad("".join(symbols))
            assert (true_probability(s) > 0) == grammar.is_valid(s) == (s in truth)


def test_metrics_by_hand():
    x = grammar.pad("x")
    only_x = distribution_metrics([x] * 4)
    assert list(only_x) == list(DISTRIBUTION_METRICS)
    assert only_x["valid_mass"] == 1.0
    assert only_x["coverage"] == pytest.approx(1 / 6)
    assert only_x["true_tv"] == pytest.approx(0.5 * ((1 - 1 / 6) + (1 - 1 / 6)))
    half_bad = distribution_metrics([x, grammar.pad("x+")])
    assert half_bad["valid_mass"] == 0.5 and half_bad["coverage"] == pytest.approx(1 / 6)
    # 0.5 * (|1/2 - 1/6| + 1/2 (the invalid string) + 5/6 (the mass never hit)) = 5/6
    assert half_bad["true_tv"] == pytest.approx(5 / 6)


SAMPLES = 10_000


@pytest.fixture(scope="module")
def samples() -> list[str]:
    return grammar.sample_dataset(SAMPLES, seed=123)


def _coverage_mean_and_sd(n: int) -> tuple[float, float]:
    """Exact mean and SD of the coverage sum_s p_s 1[s drawn] of n draws from the truth.

    String s is missed with probability q_s = (1 - p_s)^n, and s and t both with (1 - p_s - p_t)^n,
    so Cov(1[s drawn], 1[t drawn]) = q_s q_t ((1 - p_s - p_t)^n / (q_s q_t) - 1). The strings
    with k operators share p_k = 4^-k / 6, so the sums run over the 6 values of k.
    """
    strings_of = Counter(true_distribution().values())  # p_k: its 4^k strings
    probs, count = np.array(list(strings_of)), np.array(list(strings_of.values()))
    missed = np.exp(n * np.log1p(-probs))
    variance = np.sum(count * probs**2 * missed * (1 - missed))
    p, q = probs[:, None], probs[None, :]
    covariance = np.outer(missed, missed) * np.expm1(n * np.log1p(-p * q / ((1 - p) * (1 - q))))
    pairs = np.outer(count, count) - np.diag(count)  # ordered pairs of distinct strings
    variance += np.sum(pairs * p * q * covariance)
    return float(np.sum(count * probs * (1 - missed))), math.sqrt(variance)


def _tv_mean_and_sd(n: int) -> tuple[float, float]:
    """Mean (exact) and SD (simulated) of the plug-in TV 1/2 sum_s |X_s / n - p_s| of n draws.

    X_s ~ Binomial(n, p_s), whose mean absolute deviation is De Moivre's
    E|X - np| = 2 v C(n, v) p^v (1 - p)^(n - v + 1) with v = floor(np) + 1. The SD comes from
    2,000 multinomial draws with a fixed seed (relative error about 1.6%).
    """
    probs = np.array(list(true_distribution().values()))
    v = np.floor(n * probs) + 1
    log_choose = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
                           for k in v])
    deviation = 2 * v * np.exp(log_choose + v * np.log(probs) + (n - v + 1) * np.log1p(-probs))
    counts = np.random.default_rng(0).multinomial(n, probs, size=2_000)
    simulated = 0.5 * np.abs(counts / n - probs).sum(axis=1)
    return float(0.5 * deviation.sum() / n), float(simulated.std(ddof=1))


def test_perfect_sampler_is_close_and_matches_the_expected_uniqueness(samples):
    result = distribution_metrics(samples)
    assert result["valid_mass"] == 1.0
    # Within 4 SD of a perfect sampler's: coverage 0.9670 +- 0.0020, true_tv 0.1036 +- 0.0029.
    coverage, coverage_sd = _coverage_mean_and_sd(SAMPLES)
    assert abs(result["coverage"] - coverage) < 4 * coverage_sd, (result, coverage, coverage_sd)
    tv, tv_sd = _tv_mean_and_sd(SAMPLES)
    assert abs(result["true_tv"] - tv) < 4 * tv_sd, (result, tv, tv_sd)
    # A perfect sampler's uniqueness at 1,000 samples (the issue states 0.357).
    assert expected_unique(1_000) == pytest.approx(0.357, abs=5e-4)


def test_sampler_draws_operator_counts_and_operators_with_the_grammars_probabilities(samples):
    """The operator count k is uniform on 0..5, and the operator in each slot uniform on + - * /:
    every count within 4 binomial standard errors of its expectation."""
    sentences = [s.rstrip(grammar.PAD) for s in samples]
    k_counts = Counter(len(s) // 2 for s in sentences)
    k_probs = grammar.default_operator_probs()
    for k, p in enumerate(k_probs):
        assert abs(k_counts[k] - SAMPLES * p) < 4 * math.sqrt(SAMPLES * p * (1 - p)), (k, k_counts)
    for slot in range(1, len(k_probs)):  # the slot-th operator, at index 2 * slot - 1
        drawn = Counter(s[2 * slot - 1] for s in sentences if len(s) > 2 * slot)
        total, p = sum(drawn.values()), 1 / len(grammar.OPERATORS)
        for op in grammar.OPERATORS:
            assert abs(drawn[op] - total * p) < 4 * math.sqrt(total * p * (1 - p)), (slot, drawn)


@pytest.mark.parametrize("bad", [[], ["x"], [grammar.pad("x"), "x+x"]])
def test_bad_samples_are_rejected(bad):
    with pytest.raises(ValueError, match="samples"):
        distribution_metrics(bad)


@pytest.mark.parametrize("length", [0, -1, 2.5])
def test_bad_length_is_rejected(length):
    with pytest.raises(ValueError, match="length"):
        true_distribution(length)
