"""Sampling without replacement (chapter 11), checked against exact enumeration.

Gumbel-top-k against ``tfd.PlackettLuce`` and against every ordered draw; stochastic beam search
on a generator small enough to enumerate (vocabulary 3, length 3: 27 sequences); priority
sampling and the unordered set estimators against exact expectations and gradients. Each check
uses a fixed seed and a threshold that a correct sampler misses with odds below 1e-4.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

import gumbel_tutorial as gt
from gumbel_tutorial import without_replacement as wr
from gumbel_tutorial.models import SequenceGenerator
from gumbel_tutorial.runtime import tf, tfd

PROBS5 = np.array([0.05, 0.1, 0.15, 0.3, 0.4])
TARGET = tf.constant([0.45, 0.05, 0.3, 0.9, 0.15])


def quadratic(z: tf.Tensor) -> tf.Tensor:
    return tf.reduce_sum((z - TARGET) ** 2, axis=-1)


def ordered_draws(probs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered draw of k distinct items ``[M, k]`` and its Plackett-Luce probability ``[M]``."""
    draws = np.array(list(itertools.permutations(range(len(probs)), k)))
    chosen = probs[draws]
    before = np.cumsum(chosen, axis=1) - chosen  # mass drawn before each position
    return draws, np.prod(chosen / (1.0 - before), axis=1)


def inclusion_by_enumeration(probs: np.ndarray, k: int) -> np.ndarray:
    draws, weights = ordered_draws(probs, k)
    return np.bincount(draws.ravel(), weights=np.repeat(weights, k), minlength=len(probs))


def max_z(counts: np.ndarray, probs: np.ndarray, n: int) -> float:
    """The largest |count - n p| in binomial standard errors."""
    return float(np.max(np.abs(counts - n * probs) / np.sqrt(n * probs * (1 - probs))))


def test_shape_order_and_first_index_is_gumbel_max():
    logits = np.random.default_rng(0).normal(size=(2, 3, 6)).astype(np.float32)
    index = gt.gumbel_top_k(logits, 4, seed=(1, 2))
    assert index.shape == (2, 3, 4) and index.dtype == tf.int32
    perturbed = logits + gt.sample_gumbel(logits.shape, seed=(1, 2)).numpy()
    np.testing.assert_array_equal(index.numpy(), np.argsort(-perturbed, axis=-1)[..., :4])
    first = tf.argmax(gt.gumbel_max(logits, seed=(1, 2)), axis=-1, output_type=tf.int32)
    np.testing.assert_array_equal(index.numpy()[..., 0], first.numpy())


def test_all_24_orders_of_four_items_follow_plackett_luce():
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    n = 100_000
    logits = np.tile(np.log(probs).astype(np.float32), (n, 1))
    orders = gt.gumbel_top_k(logits, 4, seed=(3, 4)).numpy()
    perms = np.array(list(itertools.permutations(range(4))))
    code = {tuple(p): i for i, p in enumerate(perms)}
    counts = np.bincount([code[tuple(o)] for o in orders], minlength=24)
    exact = np.exp(tfd.PlackettLuce(scores=probs).log_prob(perms).numpy())
    np.testing.assert_allclose(exact, ordered_draws(probs, 4)[1], rtol=1e-6)  # TFP: float32
    assert gt.chi_square_test(counts, exact / exact.sum()).p_value > 1e-4


def test_inclusion_probabilities_of_two_of_five_against_enumeration():
    exact = inclusion_by_enumeration(PROBS5, 2)
    assert exact.sum() == pytest.approx(2.0)
    n = 100_000
    index = gt.gumbel_top_k(np.tile(np.log(PROBS5), (n, 1)), 2, seed=(5, 6)).numpy()
    assert np.all(index[:, 0] != index[:, 1])
    assert max_z(np.bincount(index.ravel(), minlength=5), exact, n) < 4.5
    # The same probabilities from the package's integral over the threshold, set by set.
    sets = list(itertools.combinations(range(5), 2))
    set_probs = np.exp(wr.set_log_probability(np.log(PROBS5)[np.array(sets)]).numpy())
    from_sets = [sum(p for s, p in zip(sets, set_probs) if i in s) for i in range(5)]
    np.testing.assert_allclose(from_sets, exact, rtol=1e-10)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_set_probabilities_against_enumeration(k):
    draws, weights = ordered_draws(PROBS5, k)
    by_set: dict[tuple[int, ...], float] = {}
    for draw, weight in zip(draws, weights):
        key = tuple(sorted(draw))
        by_set[key] = by_set.get(key, 0.0) + weight
    keys = list(by_set)
    got = np.exp(wr.set_log_probability(np.log(PROBS5)[np.array(keys)]).numpy())
    np.testing.assert_allclose(got, [by_set[key] for key in keys], rtol=1e-10)


def test_set_probability_is_stable_at_the_extremes():
    # A set that holds nearly all the mass, with the rest's mass given exactly: p(S) ~ 1/2.
    a, b, rest = 1 - 2e-9, 1e-9, 1e-9
    exact = a * b / (1 - a) + b * a / (1 - b)
    got = wr.set_log_probability([math.log1p(-2e-9), math.log(b)], log_rest=math.log(rest))
    assert float(got) == pytest.approx(math.log(exact), abs=1e-6)
    # Two rare items: p(S) ~ 4e-24, far below float32's range of relative precision.
    a, b = 1e-12, 2e-12
    exact = a * b / (1 - a) + b * a / (1 - b)
    assert float(wr.set_log_probability(np.log([a, b]))) == pytest.approx(math.log(exact), abs=1e-6)


def test_log_inclusion_probability_is_finite_and_exact_in_the_tails():
    d = np.array([-700.0, -50.0, -5.0, 0.0, 5.0, 50.0])
    got = wr.log_inclusion_probability(d, 0.0).numpy()
    with np.errstate(divide="ignore"):
        expected = np.where(d < 0, np.log(-np.expm1(-np.exp(d))), np.log1p(-np.exp(-np.exp(d))))
    expected[0] = -700.0  # exp(-700) is 1e-304: log(1 - exp(-x)) = log x to double precision
    assert np.all(np.isfinite(got)) and np.all(np.diff(got) > 0)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_truncated_gumbel_has_the_truncated_law():
    loc, upper, n = 0.5, 1.0, 50_000
    g = wr.truncated_gumbel(tf.fill([n], loc), upper, seed=(7, 8)).numpy()
    assert g.max() <= upper
    gumbel = tfd.Gumbel(np.float64(loc), np.float64(1.0))
    uniform = (gumbel.cdf(g) / gumbel.cdf(np.float64(upper))).numpy()
    assert stats.kstest(uniform, "uniform").pvalue > 1e-4


def test_gumbels_with_max_keep_the_maximum_and_the_argmax_law():
    locations = tf.tile(tf.math.log(tf.constant(PROBS5))[None], [50_000, 1])
    maximum = tf.fill([50_000], tf.constant(2.0, tf.float64))
    g = wr.gumbels_with_max(locations, maximum, seed=(9, 10)).numpy()
    np.testing.assert_allclose(g.max(axis=1), 2.0, rtol=0, atol=1e-12)
    counts = np.bincount(g.argmax(axis=1), minlength=5)
    assert gt.chi_square_test(counts, PROBS5).p_value > 1e-4


@pytest.fixture(scope="module")
def tiny() -> tuple[SequenceGenerator, np.ndarray, np.ndarray]:
    """A language model over 3 symbols and 3 positions, its 27 sequences and their q(s)."""
    generator = SequenceGenerator(8, 3, 3, "none", init_seed=3)
    generator.sample_tokens(1, seed=(0, 0))
    generator.readout.kernel.assign(generator.readout.kernel * 6.0)  # far from uniform
    sequences = np.array(list(itertools.product(range(3), repeat=3)), np.int32)
    q = np.exp(generator.log_prob(tf.constant(sequences)).numpy().astype(np.float64))
    return generator, sequences, q / q.sum()


SETS = 20_000


@pytest.fixture(scope="module")
def beams(tiny) -> tuple[wr.BeamSample, np.ndarray]:
    """20,000 sets of k = 3 sequences from the tiny generator, and their codes in 0..26."""
    sample = wr.stochastic_beam_search(tiny[0], 3, batch_size=SETS, seed=(11, 12))
    return sample, (sample.tokens.numpy() * np.array([9, 3, 1])).sum(axis=-1)


def test_beam_search_draws_distinct_sequences_with_their_probabilities(tiny, beams):
    generator, sequences, q = tiny
    sample, codes = beams
    assert sample.tokens.shape == (SETS, 3, 3) and sample.threshold.shape == (SETS,)
    assert all(len(set(row)) == 3 for row in codes)
    np.testing.assert_allclose(sample.log_probs.numpy(), np.log(q)[codes], atol=1e-5)
    keys = sample.keys.numpy()
    assert np.all(np.diff(keys, axis=1) <= 0) and np.all(keys[:, -1] >= sample.threshold.numpy())


def test_beam_search_frequencies_match_exact_inclusion_probabilities(tiny, beams):
    _, _, q = tiny
    _, codes = beams
    exact = inclusion_by_enumeration(q, 3)  # every one of the 27 * 26 * 25 ordered draws
    assert max_z(np.bincount(codes.ravel(), minlength=27), exact, SETS) < 4.5
    # The first of each set is an ancestral sample of the model.
    assert gt.chi_square_test(np.bincount(codes[:, 0], minlength=27), q).p_value > 1e-4


@pytest.mark.parametrize("weights", ["priority", "unordered_set"])
def test_estimates_of_an_expectation_are_unbiased(tiny, beams, weights):
    _, sequences, q = tiny
    sample, codes = beams
    f = (sequences == 0).sum(axis=1).astype(np.float64)  # how many times symbol 0 occurs
    if weights == "priority":
        w = wr.priority_weights(sample.log_probs, sample.threshold).numpy()
    else:
        w = wr.unordered_set_weights(sample.log_probs).numpy()
    estimates = (w * f[codes]).sum(axis=1)
    standard_error = estimates.std(ddof=1) / math.sqrt(SETS)
    assert abs(estimates.mean() - q @ f) < 4 * standard_error


@pytest.mark.parametrize("baseline", ["none", "within_set"])
def test_unordered_set_gradient_is_unbiased(baseline):
    logits = np.tile(np.log(PROBS5).astype(np.float32), (8_000, 1))
    grads = wr.unordered_set_gradient(quadratic, logits, 3, baseline, seed=(13, 14)).numpy()
    exact = gt.exact_categorical_gradient(quadratic, logits[0])[1].numpy()
    assert grads.shape == logits.shape
    summary = gt.bias_variance(grads, exact)
    assert summary.max_z < 4
    if baseline == "within_set":
        plain = wr.unordered_set_gradient(quadratic, logits, 3, seed=(13, 14)).numpy()
        assert summary.variance < 0.5 * gt.bias_variance(plain, exact).variance


def test_k_equal_to_the_categories_gives_the_exact_gradient():
    logits = np.log(PROBS5).astype(np.float32)[None]
    grads = wr.unordered_set_gradient(quadratic, logits, 5, seed=(15, 16)).numpy()[0]
    exact = gt.exact_categorical_gradient(quadratic, logits[0])[1].numpy()
    np.testing.assert_allclose(grads, exact, atol=1e-6)


def test_bad_inputs_raise_value_errors_naming_the_argument(tiny):
    generator = tiny[0]
    cases = [
        (lambda: gt.gumbel_top_k([0.0, 1.0, 2.0], 4), "k"),
        (lambda: gt.gumbel_top_k([0.0, -np.inf, 2.0], 3), "k"),
        (lambda: gt.gumbel_top_k([0.0, 1.0], 0), "k"),
        (lambda: gt.gumbel_top_k([[0.0], [1.0]], 1), "logits"),
        (lambda: gt.gumbel_top_k([0.0, 1.0], 1, seed="seed"), "seed"),
        (lambda: wr.stochastic_beam_search("model", 2), "generator"),
        (lambda: wr.stochastic_beam_search(generator, 27), "k"),
        (lambda: wr.stochastic_beam_search(generator, 2, batch_size=0), "batch_size"),
        (lambda: wr.unordered_set_gradient(quadratic, np.log(PROBS5), 6), "num_samples"),
        (lambda: wr.unordered_set_gradient(quadratic, np.log(PROBS5), 1, "within_set"), "num_samples"),
        (lambda: wr.unordered_set_gradient(quadratic, np.log(PROBS5), 2, "mean"), "baseline"),
        (lambda: wr.unordered_set_gradient("f", np.log(PROBS5), 2), "f"),
    ]
    for call, argument in cases:
        with pytest.raises(ValueError, match=rf"^{argument} must\b"):
            call()
