"""Chapter 9's exact metrics of a generator against brute force over every string of a short length.

A generator without noise draws string s with probability q(s), the product along s of the
softmax of its teacher-forced logits. At length 3 or 5 there are only 6**3 = 216 or 6**5 = 7,776
strings, so every figure of :func:`exact_metrics` can be recomputed by summing over all of them,
and the sampler itself can be checked against q.
"""

import itertools
import math

import numpy as np
import pytest
from scipy.special import logsumexp

import gumbel_tutorial as gt
from gumbel_tutorial import grammar
from gumbel_tutorial.metrics import EXACT_METRICS, distribution_metrics, exact_metrics, string_probabilities
from gumbel_tutorial.mle import train_mle
from gumbel_tutorial.models import SequenceGenerator
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.truth import true_distribution


def every_string(length: int) -> list[str]:
    return ["".join(symbols) for symbols in itertools.product(grammar.VOCAB, repeat=length)]


def untrained(length: int, init_seed: int = 3) -> SequenceGenerator:
    generator = SequenceGenerator(8, grammar.VOCAB_SIZE, length, "none", init_seed=init_seed)
    generator.sample_tokens(1, seed=(0, 0))  # builds the variables
    return generator


def fitted(steps: int) -> SequenceGenerator:
    """A length-5 generator after ``steps`` steps of maximum likelihood: 60 steps put about 70%
    of q on valid strings, 200 steps nearly all of it (a q far from uniform either way)."""
    generator = untrained(5)
    data = grammar.encode(grammar.sample_dataset(500, 5, seed=1), 5)
    train_mle(generator, data, steps, batch_size=64, learning_rate=2e-2, seed=0)
    return generator


@pytest.fixture(scope="module")
def generators() -> dict[str, SequenceGenerator]:
    gt.set_seed(1234)
    return {"untrained-3": untrained(3), "untrained-5": untrained(5, init_seed=7),
            "half-5": fitted(60), "fitted-5": fitted(200)}


def brute_force_q(generator: SequenceGenerator, strings: list[str], temperature: float = 1.0) -> np.ndarray:
    """q(s) at ``temperature``: the product of softmax(logits / T) at each symbol, in float64."""
    tokens = grammar.encode(strings, generator.length)
    logits = generator.teacher_forced_logits(tf.constant(tokens)).numpy().astype(np.float64) / temperature
    log_softmax = logits - logsumexp(logits, axis=-1, keepdims=True)
    return np.exp(np.take_along_axis(log_softmax, tokens[..., None], axis=-1)[..., 0].sum(axis=-1))


def brute_force_metrics(q: np.ndarray, strings: list[str], length: int) -> dict[str, float]:
    """Every figure of :func:`exact_metrics` as a sum over *all* strings of ``length`` symbols."""
    truth = true_distribution(length)
    p = np.array([truth.get(s, 0.0) for s in strings])
    valid = np.array([grammar.is_valid(s) for s in strings])
    assert np.array_equal(valid, p > 0)  # the truth puts mass on exactly the valid strings
    valid_mass = q[valid].sum()
    return {
        "valid_mass": valid_mass,
        "true_tv": 0.5 * np.abs(q - p).sum(),
        "kl_p_q": np.sum(p[valid] * np.log(p[valid] / q[valid])),
        "cross_entropy": -np.sum(p[valid] * np.log(q[valid])),
        "nll_oracle": np.sum(q[valid] * -np.log(p[valid])) / valid_mass,
    }


CASES = [("untrained-3", 1.0), ("untrained-3", 0.5), ("untrained-5", 1.0), ("half-5", 1.0), ("fitted-5", 1.0),
         ("fitted-5", 0.5), ("fitted-5", 2.0)]


@pytest.mark.parametrize("name, temperature", CASES)
def test_exact_metrics_match_a_sum_over_every_string(generators, name, temperature):
    generator = generators[name]
    strings = every_string(generator.length)
    q = string_probabilities(generator, strings, temperature)
    assert q.dtype == np.float64 and q.shape == (len(strings),)
    assert q.sum() == pytest.approx(1.0, abs=1e-6)  # q is a distribution over all 6**length strings
    np.testing.assert_allclose(q, brute_force_q(generator, strings, temperature), rtol=1e-5)
    expected = brute_force_metrics(q, strings, generator.length)
    result = exact_metrics(generator, temperature)
    assert tuple(result) == EXACT_METRICS == ("valid_mass", "true_tv", "kl_p_q", "cross_entropy", "nll_oracle")
    assert all(type(v) is float for v in result.values())
    for key in EXACT_METRICS:
        assert result[key] == pytest.approx(expected[key], rel=1e-5, abs=1e-6), key


def test_temperature_changes_q_and_one_is_the_default(generators):
    generator = generators["fitted-5"]
    strings = every_string(5)
    q1 = string_probabilities(generator, strings)
    np.testing.assert_array_equal(q1, string_probabilities(generator, strings, 1.0))
    np.testing.assert_allclose(q1, np.exp(generator.log_prob(tf.constant(grammar.encode(strings, 5))).numpy()),
                               rtol=1e-5)
    # A colder q is sharper, a hotter one flatter: the entropy falls with T.
    entropies = [-np.sum(q * np.log(q)) for q in (string_probabilities(generator, strings, t) for t in (0.5, 1, 2))]
    assert entropies[0] < entropies[1] < entropies[2]
    # Index arrays are decoded, as by every metric (a smaller batch may round float32 differently).
    np.testing.assert_allclose(string_probabilities(generator, grammar.encode(strings[:50], 5)), q1[:50], rtol=1e-5)


def pooled_chi_square(counts: np.ndarray, probs: np.ndarray, n: int) -> gt.ChiSquareResult:
    """Pearson's test with the strings of expected count below 5 pooled into one cell."""
    probs = probs / probs.sum()
    small = n * probs < 5
    if not small.any():
        return gt.chi_square_test(counts, probs)
    return gt.chi_square_test(np.append(counts[~small], counts[small].sum()),
                              np.append(probs[~small], probs[small].sum()))


@pytest.mark.parametrize("name, temperature, seed", [("fitted-5", 0.5, (11, 1)), ("fitted-5", 2.0, (11, 2)),
                                                     ("half-5", 0.7, (11, 3)), ("untrained-3", 0.5, (11, 4))])
def test_samples_at_a_temperature_follow_q_at_that_temperature(generators, name, temperature, seed):
    """The strings sample_tokens draws at T pass a chi-square test against q at T (level 1e-4),
    and fail it against q at 1: the test can see a temperature applied wrongly."""
    generator, n = generators[name], 20_000
    strings = every_string(generator.length)
    index = {s: i for i, s in enumerate(strings)}
    drawn = grammar.decode(generator.sample_tokens(n, seed=seed, temperature=temperature).numpy())
    counts = np.bincount([index[s] for s in drawn], minlength=len(strings))
    at_t = pooled_chi_square(counts, string_probabilities(generator, strings, temperature), n)
    assert at_t.p_value > 1e-4, at_t
    at_one = pooled_chi_square(counts, string_probabilities(generator, strings, 1.0), n)
    assert at_one.p_value < 1e-8, at_one


def test_sample_estimates_converge_to_the_exact_values(generators):
    """100,000 draws, read as their first 1,000, 10,000 and all 100,000: each share of valid
    strings lies within 4 standard errors of the exact valid_mass, and each plug-in TV within the
    bound below of the exact true_tv.

    Plug-in and exact TV are half the L1 distance to p of the empirical q^ and of q, so by the
    triangle inequality |TV^ - TV| <= (sum_valid |q^_s - q_s| + |v^ - v|) / 2. Where each of these
    22 frequencies is within 4 of its standard errors, the gap is within 2 sum(SE). The gap itself
    shrinks too: its mean over the 100 disjoint blocks of 1,000 draws exceeds its mean over the 10
    blocks of 10,000, which exceeds the gap of all 100,000 (each about sqrt(10) times the next in
    expectation; one block's gap alone can be near 0 by chance).
    """
    generator = generators["half-5"]
    exact = exact_metrics(generator)
    assert 0.3 < exact["valid_mass"] < 0.8  # a share far from 0 and 1, where the test has power
    truth = true_distribution(5)
    q_valid = string_probabilities(generator, list(truth))
    cell_sd = np.append(np.sqrt(q_valid * (1 - q_valid)), math.sqrt(exact["valid_mass"] * (1 - exact["valid_mass"])))
    samples = grammar.decode(generator.sample_tokens(100_000, seed=(23, 5)).numpy())

    def gap(block: list[str]) -> float:
        return abs(distribution_metrics(block, length=5)["true_tv"] - exact["true_tv"])

    for n in (1_000, 10_000, 100_000):
        plugin = distribution_metrics(samples[:n], length=5)
        valid_se = math.sqrt(exact["valid_mass"] * (1 - exact["valid_mass"]) / n)
        assert abs(plugin["valid_mass"] - exact["valid_mass"]) < 4 * valid_se, (n, plugin, exact)
        assert gap(samples[:n]) < 2 * cell_sd.sum() / math.sqrt(n), (n, plugin, exact)
    mean_gap = {n: np.mean([gap(samples[i : i + n]) for i in range(0, 100_000, n)]) for n in (1_000, 10_000)}
    assert mean_gap[1_000] > mean_gap[10_000] > gap(samples), (mean_gap, gap(samples))


@pytest.mark.parametrize("noise", ["hidden_and_cell", "hidden_only"])
def test_a_generator_with_noise_has_no_exact_q(noise):
    generator = SequenceGenerator(8, grammar.VOCAB_SIZE, 5, noise, init_seed=0)
    with pytest.raises(ValueError, match=r"^generator must have noise='none'"):
        string_probabilities(generator, [grammar.pad("x", 5)])
    with pytest.raises(ValueError, match=r"^generator must have noise='none'"):
        exact_metrics(generator)


@pytest.mark.parametrize("temperature", [0.0, -1.0, math.nan, math.inf, "1"])
def test_bad_temperature_names_itself(generators, temperature):
    with pytest.raises(ValueError, match=r"^temperature must"):
        string_probabilities(generators["untrained-3"], ["x  "], temperature)
    with pytest.raises(ValueError, match=r"^temperature must"):
        exact_metrics(generators["untrained-3"], temperature)
