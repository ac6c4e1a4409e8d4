"""REBAR inside the sequence GAN (chapter 12, section 12.9): both halves are exact in mean
against the enumerated gradient, with and without a noise input and minibatch features, and
the trainer sets ``eta`` from earlier iterations only and resumes exactly."""

import itertools

import numpy as np
import pytest

from gumbel_tutorial.gan import GANConfig, SequenceGAN
from gumbel_tutorial.models import sequence_log_prob
from gumbel_tutorial.runtime import tf, tfp
from gumbel_tutorial.sequence_rebar import (
    rebar_draws, rebar_part_draws, rebar_parts, rebar_paths, score_term, variance_scale,
)
from test_gradient_draws import STRINGS, VOCAB, check_unbiased, exact_gradient, flat, tiny_models


def check_mean_zero(draws, limit=5.0):
    """Every entry of the draws' mean is within ``limit`` standard errors of 0 (exactly 0
    where every draw agrees)."""
    mean = flat(v.mean(axis=0) for v in draws)
    error = flat(v.std(axis=0, ddof=1) / np.sqrt(len(v)) for v in draws)
    np.testing.assert_allclose(mean[error == 0], 0.0, atol=1e-9)
    assert np.max(np.abs(mean[error > 0]) / error[error > 0]) < limit


@pytest.mark.parametrize("noise", ["none", "hidden_and_cell"])
def test_both_halves_are_exact_in_mean(noise):
    generator, discriminator = tiny_models(noise=noise)
    generator.readout.kernel.assign(3.0 * generator.readout.kernel)
    rows = 1 if noise == "none" else 100_000
    exact = exact_gradient(generator, discriminator, rows=rows, seed=(9, 9))
    score, control = rebar_part_draws(generator, discriminator, draws=300, batch_size=40,
                                      temperature=0.5, seed=3)
    check_unbiased(score, exact)
    check_mean_zero(control)
    # The control variate is not zero: at its best eta it removes more than a fifth of the
    # variance of leave-one-out REINFORCE, the score half (a third, here).
    eta = variance_scale(score, control)
    combined = [s - eta * c for s, c in zip(score, control)]
    check_unbiased(combined, exact)
    assert sum(v.var(axis=0).sum() for v in combined) < 0.8 * sum(
        v.var(axis=0).sum() for v in score)


def test_with_minibatch_features_batches_of_two_are_exact_in_mean():
    """The objective is E[mean logit of a batch of 2], enumerated over all 81 batches. A
    consistency check only: at this size the draws cannot tell the weights of
    ``advantages`` from each string's own logit (3 standard errors apart), so those weights
    are checked exactly, by enumeration, in ``test_gradient_draws``."""
    generator, discriminator = tiny_models(minibatch_features=True)
    generator.readout.kernel.assign(3.0 * generator.readout.kernel)
    kernel = discriminator.readout.kernel.numpy()
    kernel[4:] *= 30.0  # the rows that read the batch's spread: make it matter
    discriminator.readout.kernel.assign(kernel)
    index = np.array(list(itertools.product(range(len(STRINGS)), repeat=2)))
    batches = tf.one_hot(tf.gather(tf.constant(STRINGS, tf.int32), index), VOCAB)
    logits = tf.stack([discriminator(b) for b in tf.unstack(batches)])  # [81, 2]
    with tf.GradientTape() as tape:
        log_q = tf.gather(generator.log_prob(tf.constant(STRINGS, tf.int32)), index)
        probability = tf.exp(tf.reduce_sum(log_q, axis=1))
        objective = tf.reduce_sum(probability * tf.reduce_mean(logits, axis=1))
    exact = [g.numpy() for g in tape.gradient(objective, generator.trainable_variables)]
    score, control = rebar_part_draws(generator, discriminator, draws=1500, batch_size=2,
                                      temperature=0.5, seed=4)
    check_mean_zero(control)
    eta = variance_scale(score, control)
    combined = [s - eta * c for s, c in zip(score, control)]
    mean = flat(v.mean(axis=0) for v in combined)
    error = flat(v.std(axis=0, ddof=1) / np.sqrt(len(v)) for v in combined)
    noisy = error > 0
    assert np.max(np.abs(mean - flat(exact))[noisy] / error[noisy]) < 5.0


def test_the_paths_share_their_noise_and_sample_q_theta():
    generator, _ = tiny_models(noise="hidden_and_cell")
    seed = tf.constant([5, 6])
    paths = rebar_paths(generator, 64, 1e-3, seed)
    tokens = np.argmax(paths.tokens, axis=-1)
    # Near temperature 0 both relaxed unrolls are one-hot: y is b, and y~ is b as well,
    # because the conditional noise keeps every argmax.
    np.testing.assert_array_equal(np.argmax(paths.relaxed, axis=-1), tokens)
    np.testing.assert_array_equal(np.argmax(paths.relaxed_given, axis=-1), tokens)
    # log q(b) is that of teacher forcing from the same initial noise.
    init_seed = tfp.random.split_seed(seed, n=3)[0]
    logits = generator.teacher_forced_logits(tf.constant(tokens), seed=init_seed)
    np.testing.assert_allclose(paths.log_q, sequence_log_prob(tokens, logits), rtol=1e-5)


def test_bad_inputs_name_the_argument():
    generator, discriminator = tiny_models(minibatch_features=True)
    with pytest.raises(ValueError, match="batch_size must be >= 2 for a leave-one-out"):
        rebar_part_draws(generator, discriminator, 2, batch_size=1)
    with pytest.raises(ValueError, match="draws"):
        rebar_draws(generator, discriminator, 0)
    with pytest.raises(ValueError, match="control"):
        variance_scale([np.ones((2, 3))], [np.zeros((2, 3))])
    with pytest.raises(ValueError, match="token_gradient='rebar' needs feedback='hard'"):
        GANConfig(token_gradient="rebar", straight_through=True)
    with pytest.raises(ValueError, match="generator_loss='paper'"):
        GANConfig(token_gradient="reinforce_loo", straight_through=True, feedback="hard",
                  generator_loss="nonsaturating")


def rebar_config(**overrides):
    settings = dict(iterations=30, hidden_size=16, batch_size=32, dataset_size=300,
                    feedback="hard", straight_through=True, real_inputs="one_hot",
                    token_gradient="rebar")
    return GANConfig(**{**settings, **overrides})


def test_the_trainer_sets_eta_from_earlier_iterations_and_resumes_exactly(tmp_path):
    straight = SequenceGAN(rebar_config(), seed=3)
    history = straight.train(progress=False)
    assert history["eta"][0] == 1.0 and np.all(np.isfinite(history["eta"]))
    assert len(set(history["eta"][1:])) == 29  # a new eta every iteration
    first = SequenceGAN(rebar_config(), seed=3)
    first.train(iterations=20, checkpoint_dir=tmp_path, checkpoint_every=10, progress=False)
    resumed = SequenceGAN(rebar_config(), seed=3)
    again = resumed.train(checkpoint_dir=tmp_path, checkpoint_every=10, progress=False)
    np.testing.assert_allclose(again["eta"], history["eta"], rtol=1e-5)
    np.testing.assert_allclose(again["d_loss"], history["d_loss"], rtol=1e-5)


def test_the_trainer_step_is_the_estimate_with_the_stored_eta():
    """A generator update is REBAR's halves combined with the ``eta`` of the moving averages
    before it, and negated: the paper's loss is minus the mean logit."""
    gan = SequenceGAN(rebar_config(), seed=1)
    gan.advance(5)
    cross, square = gan.rebar_moments.numpy()
    variables = gan.generator.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        paths = rebar_paths(gan.generator, 8, 1.0, tf.constant([1, 2]))
        parts = rebar_parts(gan.discriminator, paths)
    score = tape.gradient(parts[0], variables)
    control = tape.gradient(parts[1], variables)
    gradients, extra = gan._generator_gradients(tape, None, parts, variables)
    assert float(extra["eta"]) == pytest.approx(cross / square, rel=1e-6)
    for g, s, c in zip(gradients, score, control):
        np.testing.assert_allclose(g, cross / square * c.numpy() - s.numpy(), rtol=1e-5,
                                   atol=1e-7)


def test_the_score_term_alone_is_rebar_at_eta_0():
    """Without the relaxed unrolls (``reinforce_loo``'s training step) the strings and the
    score term's gradient are those of REBAR's first half."""
    gan = SequenceGAN(rebar_config(token_gradient="reinforce_loo"), seed=1)
    assert "eta" not in gan.history_keys
    gan.advance(3)
    seed = tf.constant([3, 4])
    variables = gan.generator.trainable_variables
    with tf.GradientTape() as tape:
        paths = rebar_paths(gan.generator, 8, 1.0, seed, relaxed=False)
        score = score_term(gan.discriminator, paths)
    with tf.GradientTape() as full_tape:
        full = rebar_paths(gan.generator, 8, 1.0, seed)
        full_score, _ = rebar_parts(gan.discriminator, full)
    np.testing.assert_array_equal(paths.tokens, full.tokens)
    for a, b in zip(tape.gradient(score, variables), full_tape.gradient(full_score, variables)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)
