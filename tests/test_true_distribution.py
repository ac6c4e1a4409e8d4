"""Chapter 9's exact distribution metrics against a brute-force enumeration of the sampler."""

import itertools
import math
from collections import defaultdict

import pytest

from gumbel_tutorial import grammar
from gumbel_tutorial.metrics import (
    DISTRIBUTION_METRICS,
    distribution_metrics,
    expected_unique,
    true_distribution,
    true_probability,
)


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


def test_perfect_sampler_is_close_and_matches_the_expected_uniqueness():
    samples = grammar.sample_dataset(10_000, seed=123)
    result = distribution_metrics(samples)
    assert result["valid_mass"] == 1.0
    assert result["coverage"] > 0.9  # every string of up to 4 operators has p >= 1/1536
    assert result["true_tv"] < 0.15
    # A perfect sampler's uniqueness at 1,000 samples (the issue states 0.357).
    assert expected_unique(1_000) == pytest.approx(0.357, abs=5e-4)


@pytest.mark.parametrize("bad", [[], ["x"], [grammar.pad("x"), "x+x"]])
def test_bad_samples_are_rejected(bad):
    with pytest.raises(ValueError, match="samples"):
        distribution_metrics(bad)


@pytest.mark.parametrize("length", [0, -1, 2.5])
def test_bad_length_is_rejected(length):
    with pytest.raises(ValueError, match="length"):
        true_distribution(length)
