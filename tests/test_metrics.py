"""Chapter 6's sample metrics on hand-made sample sets with hand-computed values."""

import itertools

import numpy as np
import pytest

from gumbel_tutorial.grammar import encode, sample_dataset
from gumbel_tutorial.metrics import (
    METRIC_NAMES,
    evaluate,
    fraction_novel,
    fraction_unique,
    fraction_valid,
    fraction_valid_novel,
    length_distribution,
    length_tv,
    symbol_distribution,
    symbol_tv,
    total_variation,
)
from gumbel_tutorial.perfect import distinct_count_moments
from gumbel_tutorial.truth import true_distribution

# Length-4 strings keep hand computation short.
TRAINING = ["x   ", "x+x ", "x-x ", "x*x "]
SAMPLES = ["x   ", "x+x ", "x+x ", "x/x ", "xx  ", "+x+x"]
# valid: x, x+x, x+x, x/x -> 4 of 6.  unique: 5 distinct of 6.
# novel (all samples): x/x, xx, +x+x -> 3 of 6.  valid and novel: x/x -> 1 of 6.
# lengths: samples 1, 3, 3, 3, 2, 4 -> P(1)=1/6, P(2)=1/6, P(3)=3/6, P(4)=1/6;
#          training 1, 3, 3, 3 -> P(1)=1/4, P(3)=3/4.
# length TV = 0.5 * (|1/6-1/4| + 1/6 + |1/2-3/4| + 1/6) = 0.5 * (1/12 + 1/6 + 1/4 + 1/6) = 1/3.
# symbols: see test_symbol_distribution_and_tv (symbol TV = 1/6).


def test_fractions():
    assert fraction_valid(SAMPLES) == pytest.approx(4 / 6)
    assert fraction_unique(SAMPLES) == pytest.approx(5 / 6)
    assert fraction_novel(SAMPLES, TRAINING) == pytest.approx(3 / 6)
    assert fraction_valid_novel(SAMPLES, TRAINING) == pytest.approx(1 / 6)
    assert fraction_novel(SAMPLES, []) == 1.0


def test_length_distribution_and_tv():
    np.testing.assert_allclose(length_distribution(SAMPLES), [0, 1 / 6, 1 / 6, 3 / 6, 1 / 6])
    np.testing.assert_allclose(length_distribution(TRAINING), [0, 1 / 4, 0, 3 / 4, 0])
    np.testing.assert_allclose(length_distribution(["    "]), [1, 0, 0, 0, 0])
    assert length_tv(SAMPLES, TRAINING) == pytest.approx(1 / 3)
    assert length_tv(TRAINING, TRAINING) == 0.0


def test_symbol_distribution_and_tv():
    # Samples (24 positions): ' ' 3+1+1+1+2+0 = 8, x 1+2+2+2+2+2 = 11, + 0+1+1+0+0+2 = 4, / 1.
    samples_dist = np.array([8, 11, 4, 0, 0, 1]) / 24
    # Training (16 positions): ' ' 3+1+1+1 = 6, x 1+2+2+2 = 7, + 1, - 1, * 1.
    training_dist = np.array([6, 7, 1, 1, 1, 0]) / 16
    np.testing.assert_allclose(symbol_distribution(SAMPLES), samples_dist)
    np.testing.assert_allclose(symbol_distribution(TRAINING), training_dist)
    expected = 0.5 * np.abs(samples_dist - training_dist).sum()
    assert symbol_tv(SAMPLES, TRAINING) == pytest.approx(expected)
    # In 48ths: samples [16, 22, 8, 0, 0, 2], training [18, 21, 3, 3, 3, 0]; |diff| sums to 16.
    assert expected == pytest.approx(1 / 6)


def test_evaluate_keys_order_and_values():
    result = evaluate(SAMPLES, TRAINING)
    assert tuple(result) == METRIC_NAMES == ("valid", "unique", "novel", "length_tv", "symbol_tv")
    assert all(type(v) is float for v in result.values())
    assert result["valid"] == pytest.approx(4 / 6)
    assert result["unique"] == pytest.approx(5 / 6)
    assert result["novel"] == pytest.approx(1 / 2)
    assert result["length_tv"] == pytest.approx(1 / 3)
    assert result["symbol_tv"] == pytest.approx(symbol_tv(SAMPLES, TRAINING))


def test_data_against_itself():
    data = sample_dataset(500, 12, seed=2)
    result = evaluate(data, data)
    assert result["valid"] == 1.0 and result["novel"] == 0.0
    assert result["length_tv"] == 0.0 and result["symbol_tv"] == 0.0


def test_index_arrays_are_decoded():
    codes = encode(SAMPLES, length=4)
    assert evaluate(codes, TRAINING) == evaluate(SAMPLES, TRAINING)


def test_total_variation_disjoint_and_equal():
    assert total_variation([1, 0], [0, 1]) == 1.0
    assert total_variation([0.5, 0.5], [0.5, 0.5]) == 0.0
    with pytest.raises(ValueError, match="same last axis"):
        total_variation([1, 0], [1, 0, 0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: fraction_valid([]),
        lambda: fraction_unique([]),
        lambda: fraction_novel([], TRAINING),
        lambda: length_tv([], TRAINING),
        lambda: symbol_tv([], TRAINING),
        lambda: evaluate([], TRAINING),
    ],
)
def test_empty_samples_raise(call):
    with pytest.raises(ValueError, match="samples must hold at least one"):
        call()


def test_empty_reference_raises():
    with pytest.raises(ValueError, match="reference"):
        length_tv(SAMPLES, [])
    with pytest.raises(ValueError, match="training"):
        evaluate(SAMPLES, [])


def test_bad_symbols_and_types():
    with pytest.raises(ValueError, match=r"'x\+1 '.*not in VOCAB"):
        symbol_distribution(["x   ", "x+1 "])
    with pytest.raises(TypeError, match="single string"):
        fraction_valid("x   ")
    with pytest.raises(TypeError, match="only str"):
        fraction_valid(["x", 3])


@pytest.mark.parametrize(
    "p, q, name",
    [
        ([2, 0], [0, 5], "p"),  # the example: neither sums to 1, and the old code gave 3.5
        ([0.5, 0.5], [0, 5], "q"),
        ([1.5, -0.5], [0.5, 0.5], "p"),  # sums to 1 but has a negative entry
        ([0.5, 0.5], [float("nan"), 1.0], "q"),
        ([], [], "p"),
    ],
)
def test_total_variation_rejects_non_distributions(p, q, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        total_variation(p, q)


def test_distinct_count_moments_match_enumeration():
    """The mean and SD of the number of distinct strings, against every sequence of n draws."""
    truth = true_distribution(5)  # "x", "x+x", ... : 1 + 4 + 16 strings
    strings, probs = list(truth), np.array(list(truth.values()))
    n = 3
    mean = second = 0.0
    for draw in itertools.product(range(len(strings)), repeat=n):
        weight = float(np.prod(probs[list(draw)]))
        count = len(set(draw))
        mean += weight * count
        second += weight * count**2
    expected_mean, expected_sd = distinct_count_moments(n, length=5)
    assert expected_mean == pytest.approx(mean, rel=1e-12)
    assert expected_sd == pytest.approx(np.sqrt(second - mean**2), rel=1e-9)
