"""Chapter 10's gradient draws: REINFORCE is unbiased, the relaxed estimators are less noisy."""

import itertools

import numpy as np
import pytest

from gumbel_tutorial.gradient_draws import ESTIMATORS, gradient_draws, summarize
from gumbel_tutorial.models import SequenceDiscriminator, SequenceGenerator
from gumbel_tutorial.runtime import tf

VOCAB, LENGTH = 3, 2


def tiny_models():
    generator = SequenceGenerator(4, VOCAB, LENGTH, "none", init_seed=11)
    discriminator = SequenceDiscriminator(4, VOCAB, LENGTH, init_seed=12)
    return generator, discriminator


def exact_gradient(generator, discriminator):
    """The gradient of E[a(s)] = sum_s q(s) a(s), enumerating all 9 strings."""
    strings = tf.constant(list(itertools.product(range(VOCAB), repeat=LENGTH)), tf.int32)
    rewards = discriminator(tf.one_hot(strings, VOCAB))
    with tf.GradientTape() as tape:
        objective = tf.reduce_sum(tf.exp(generator.log_prob(strings)) * rewards)
    return [g.numpy() for g in tape.gradient(objective, generator.trainable_variables)]


@pytest.mark.parametrize("estimator", ["reinforce", "reinforce_loo"])
def test_reinforce_is_unbiased(estimator):
    generator, discriminator = tiny_models()
    exact = exact_gradient(generator, discriminator)
    draws = gradient_draws(generator, discriminator, estimator, draws=300, batch_size=40, seed=3)
    mean = np.concatenate([variable.mean(axis=0).ravel() for variable in draws])
    standard_error = np.concatenate(
        [variable.std(axis=0, ddof=1).ravel() / np.sqrt(len(variable)) for variable in draws])
    truth = np.concatenate([value.ravel() for value in exact])
    noisy = standard_error > 0
    # Entries that every draw gives the same value (here zeros of the exact gradient, such as the
    # recurrent kernel's: h_1 = 0 at these weights) must be exact, up to float32 rounding.
    np.testing.assert_allclose(mean[~noisy], truth[~noisy], rtol=1e-5, atol=1e-9)
    z = np.abs(mean - truth)[noisy] / standard_error[noisy]
    assert z.max() < 5.0, (estimator, z.max())
    # The test has power: an estimator of mean 0 would be more than 10 standard errors off in
    # some entry (in 36 entries for reinforce, up to 78 standard errors).
    assert np.max(np.abs(truth[noisy]) / standard_error[noisy]) > 10.0


def test_the_baseline_and_the_relaxation_lower_the_variance():
    generator, discriminator = tiny_models()
    total = {name: sum(summarize(v).variance for v in gradient_draws(
        generator, discriminator, name, draws=100, batch_size=40, seed=4)) for name in ESTIMATORS}
    assert total["reinforce_loo"] < total["reinforce"]
    assert total["gumbel_relaxed"] < total["reinforce_loo"]


def test_summary_of_identical_draws():
    summary = summarize(np.ones((5, 2, 3)), reference_mean=-np.ones((2, 3)))
    assert summary.variance == 0.0 and summary.cosine == pytest.approx(1.0)
    assert summary.cosine_to == pytest.approx(-1.0) and summary.mean_norm == pytest.approx(np.sqrt(6))


def test_bad_arguments():
    generator, discriminator = tiny_models()
    with pytest.raises(ValueError, match="estimator"):
        gradient_draws(generator, discriminator, "rebar", draws=2)
    with pytest.raises(ValueError, match="noise"):
        gradient_draws(SequenceGenerator(4, VOCAB, LENGTH, "hidden_only"), discriminator, "reinforce", 2)
    with pytest.raises(ValueError, match="batch_size"):
        gradient_draws(generator, discriminator, "reinforce_loo", draws=2, batch_size=1)
    with pytest.raises(ValueError, match="draws"):
        summarize(np.ones((1, 3)))
