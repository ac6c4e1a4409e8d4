"""Chapter 10's gradient draws: each score-function estimator is unbiased for the process it
samples (with or without a noise input, with or without minibatch features), and the relaxed
estimators are less noisy."""

import itertools

import numpy as np
import pytest

from gumbel_tutorial.gradient_draws import (
    ESTIMATORS, SAMPLED_PROCESS, TOKEN_ESTIMATORS, advantages, conditional_log_prob, gradient_draws, noise_seed,
    relaxed_path, summarize,
)
from gumbel_tutorial.models import SequenceDiscriminator, SequenceGenerator, sequence_log_prob
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.seeds import derive_seed

VOCAB, LENGTH = 3, 2
STRINGS = list(itertools.product(range(VOCAB), repeat=LENGTH))


def tiny_models(noise="none", minibatch_features=False):
    generator = SequenceGenerator(4, VOCAB, LENGTH, noise, init_seed=11)
    discriminator = SequenceDiscriminator(4, VOCAB, LENGTH, init_seed=12,
                                          minibatch_features=minibatch_features)
    return generator, discriminator


def flat(arrays):
    return np.concatenate([np.asarray(a).ravel() for a in arrays])


def check_unbiased(draws, exact, limit=5.0, power=10.0):
    """The mean of the draws is within ``limit`` standard errors of ``exact`` in every entry,
    and an estimator of mean 0 would be more than ``power`` standard errors off somewhere."""
    mean = flat(variable.mean(axis=0) for variable in draws)
    standard_error = flat(
        variable.std(axis=0, ddof=1) / np.sqrt(len(variable)) for variable in draws)
    truth = flat(exact)
    noisy = standard_error > 0
    # Entries that every draw gives the same value (zeros of the exact gradient, such as the
    # recurrent kernel's where h_1 = 0) must be exact, up to float32 rounding.
    np.testing.assert_allclose(mean[~noisy], truth[~noisy], rtol=1e-5, atol=1e-9)
    z = np.abs(mean - truth)[noisy] / standard_error[noisy]
    assert z.max() < limit, z.max()
    assert np.max(np.abs(truth[noisy]) / standard_error[noisy]) > power
    return mean, standard_error


def standard_errors_off(target, mean, standard_error):
    """The largest distance, in standard errors, between ``target`` and the draws' mean."""
    noisy = standard_error > 0
    return np.max(np.abs(flat(target) - mean)[noisy] / standard_error[noisy])


def exact_gradient(generator, discriminator, rows=1, seed=(0, 0)):
    """The gradient of E[a(s)] = sum_s q(s) a(s), enumerating all 9 strings. With a noise input,
    averaged over ``rows`` draws of the noise z (row i of every string's batch shares z_i)."""
    rewards = discriminator(tf.one_hot(tf.constant(STRINGS, tf.int32), VOCAB))
    with tf.GradientTape() as tape:
        objective = 0.0
        for k, string in enumerate(STRINGS):
            tokens = tf.constant([string] * rows, tf.int32)
            log_q = sequence_log_prob(tokens, generator.teacher_forced_logits(tokens, seed=seed))
            objective += tf.reduce_mean(tf.exp(log_q)) * rewards[k]
    return [g.numpy() for g in tape.gradient(objective, generator.trainable_variables)]


@pytest.mark.parametrize("estimator", ["reinforce", "reinforce_loo"])
def test_reinforce_is_unbiased(estimator):
    generator, discriminator = tiny_models()
    exact = exact_gradient(generator, discriminator)
    draws = gradient_draws(generator, discriminator, estimator, draws=300, batch_size=40, seed=3)
    check_unbiased(draws, exact)


def test_without_noise_the_conditional_log_prob_is_log_prob():
    generator, _ = tiny_models()
    seed = tf.constant([4, 5])
    tokens = generator.sample_tokens(50, seed=seed)
    np.testing.assert_array_equal(conditional_log_prob(generator, tokens, seed),
                                  generator.log_prob(tokens))


class FixedNoiseGenerator(SequenceGenerator):
    """Every string of a batch starts from the same noise z: the first row's draw."""

    def initial_state(self, batch_size, seed=None):
        shape = tf.stack([batch_size, self.hidden_size])
        return [tf.broadcast_to(s[:1], shape) for s in super().initial_state(1, seed)]


def test_the_conditional_log_prob_is_that_of_the_sampling_noise():
    generator = FixedNoiseGenerator(4, VOCAB, LENGTH, "hidden_and_cell", init_seed=11)
    generator.readout.kernel.assign(4.0 * generator.readout.kernel)  # z matters more
    seed, count = tf.constant([6, 7]), 40_000
    tokens = generator.sample_tokens(count, seed=seed).numpy()
    observed = np.array([np.all(tokens == s, axis=1).sum() for s in STRINGS])
    all_strings = tf.constant(STRINGS, tf.int32)

    def chi_square(log_q):
        expected = count * np.exp(np.asarray(log_q, np.float64))
        return np.sum((observed - expected) ** 2 / expected)

    # Chi-square with 8 degrees of freedom: 26.1 is its 0.1% point.
    assert chi_square(conditional_log_prob(generator, all_strings, seed)) < 26.1
    # The test has power: the probabilities under another z do not fit the counts.
    other = sequence_log_prob(all_strings, generator.teacher_forced_logits(all_strings, seed=seed))
    assert chi_square(other) > 200.0


@pytest.mark.parametrize("estimator", ["reinforce", "reinforce_loo"])
def test_reinforce_with_a_noise_input_is_unbiased(estimator):
    generator, discriminator = tiny_models(noise="hidden_and_cell")
    generator.readout.kernel.assign(4.0 * generator.readout.kernel)
    # E_z of the exact gradient given z, over 100,000 draws of z (its own error is far below
    # that of the 12,000 strings of the draws).
    exact = exact_gradient(generator, discriminator, rows=100_000, seed=(9, 9))
    draws = gradient_draws(generator, discriminator, estimator, draws=300, batch_size=40, seed=3)
    check_unbiased(draws, exact)


def test_advantages_with_minibatch_features_leave_each_string_out():
    _, discriminator = tiny_models(minibatch_features=True)
    one_hots = tf.one_hot(tf.constant(STRINGS * 2, tf.int32)[:13], VOCAB)
    total = float(tf.reduce_sum(discriminator(one_hots)))
    without = np.array([float(tf.reduce_sum(discriminator(tf.concat(
        [one_hots[:j], one_hots[j + 1:]], axis=0)))) for j in range(13)])
    np.testing.assert_allclose(advantages(discriminator, one_hots, False), total - without,
                               atol=1e-5)
    np.testing.assert_allclose(advantages(discriminator, one_hots, True),
                               total - without * 13 / 12, atol=1e-5)
    # Without minibatch features the same formulas give the plain and leave-one-out rewards.
    _, plain = tiny_models()
    reward = plain(one_hots).numpy()
    np.testing.assert_allclose(advantages(plain, one_hots, False), reward)
    np.testing.assert_allclose(advantages(plain, one_hots, True),
                               reward - (reward.sum() - reward) / 12, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("leave_one_out", [False, True])
def test_with_minibatch_features_the_weights_are_unbiased(leave_one_out):
    """With minibatch features the objective is E[mean logit of a batch]; for batches of 2,
    every one of the 81 batches enumerated: the weights' expected score is its gradient."""
    generator, discriminator = tiny_models(minibatch_features=True)
    kernel = discriminator.readout.kernel.numpy()
    kernel[4:] *= 30.0  # the rows that read the batch's spread: make it matter
    discriminator.readout.kernel.assign(kernel)
    index = np.array(list(itertools.product(range(len(STRINGS)), repeat=2)))  # [81, 2]
    batches = tf.one_hot(tf.gather(tf.constant(STRINGS, tf.int32), index), VOCAB)
    logits = tf.stack([discriminator(batch) for batch in tf.unstack(batches)])  # [81, 2]
    weigh = tf.function(lambda batch: advantages(discriminator, batch, leave_one_out))
    weights = tf.stack([weigh(batch) for batch in tf.unstack(batches)])
    with tf.GradientTape(persistent=True) as tape:
        log_q = tf.gather(generator.log_prob(tf.constant(STRINGS, tf.int32)), index)
        probability = tf.exp(tf.reduce_sum(log_q, axis=1))
        targets = {
            "objective": tf.reduce_sum(probability * tf.reduce_mean(logits, axis=1)),
            "estimate": tf.reduce_sum(tf.stop_gradient(probability)
                                      * tf.reduce_mean(weights * log_q, axis=1)),
            # Weighting each string by its own logit alone.
            "naive": tf.reduce_sum(tf.stop_gradient(probability)
                                   * tf.reduce_mean(logits * log_q, axis=1)),
        }
    gradient = {key: flat(tape.gradient(value, generator.trainable_variables))
                for key, value in targets.items()}
    scale = np.abs(gradient["objective"]).max()
    np.testing.assert_allclose(gradient["estimate"], gradient["objective"], atol=1e-4 * scale)
    # The check has power: the naive weights miss each string's effect on the other's logit.
    gap = np.abs(gradient["naive"] - gradient["objective"]).max() / scale
    assert gap > 0.1, gap


@pytest.mark.parametrize("estimator", ["reinforce", "reinforce_loo"])
def test_a_draw_with_minibatch_features_uses_those_weights(estimator):
    generator, discriminator = tiny_models(noise="hidden_and_cell", minibatch_features=True)
    [draw] = zip(*gradient_draws(generator, discriminator, estimator, 1, batch_size=7, seed=8))
    seed = tf.constant([derive_seed(8, "stateless"), 0])
    tokens = generator.sample_tokens(7, seed=seed)
    weights = advantages(discriminator, tf.one_hot(tokens, VOCAB), estimator == "reinforce_loo")
    with tf.GradientTape() as tape:
        surrogate = tf.reduce_mean(weights * conditional_log_prob(generator, tokens, seed))
    expected = tape.gradient(surrogate, generator.trainable_variables)
    np.testing.assert_allclose(flat(draw), flat(expected), rtol=1e-4, atol=1e-6)


def test_the_relaxed_path_is_what_generate_feeds_back():
    generator, _ = tiny_models(noise="hidden_and_cell")
    seed = tf.constant([2, 3])
    vectors = generator.generate(64, 0.5, seed=seed, feedback="relaxed")
    log_vectors, log_density = relaxed_path(generator, 64, 0.5, seed)
    np.testing.assert_allclose(np.exp(log_vectors), vectors, atol=1e-6)
    assert log_density.shape == (64,) and np.all(np.isfinite(log_density))
    assert noise_seed(generator, seed).shape == (2,)


def relaxed_process_gradient(generator, discriminator, temperature, rows=100_000):
    """The gradient of E[a(argmax y_1, argmax y_2)] under the relaxed-feedback process of a
    generator without noise, by another route: given k = argmax y_1, the Gumbel-perturbed logits
    of step 1 are reparameterized (Tucker et al., 2017), and step 2 is enumerated."""
    rewards = tf.reshape(discriminator(tf.one_hot(tf.constant(STRINGS, tf.int32), VOCAB)),
                         [VOCAB, VOCAB])
    u = tf.constant(np.random.default_rng(0).uniform(1e-12, 1.0, (rows, VOCAB)), tf.float32)
    with tf.GradientTape() as tape:
        state = generator.initial_state(1)
        logits, state = generator.step(tf.zeros([1, VOCAB]), state)
        log_p = tf.nn.log_softmax(logits)  # [1, V]
        objective = 0.0
        for k in range(VOCAB):
            # z_k = -log(-log u_k); z_i = -log(-log(u_i) / p_i - log u_k) for i != k.
            top = -tf.math.log(-tf.math.log(u[:, k:k + 1]))
            rest = -tf.math.log(-tf.math.log(u) / tf.exp(log_p) - tf.math.log(u[:, k:k + 1]))
            perturbed = tf.where(tf.range(VOCAB) == k, top, rest)
            y = tf.nn.softmax(perturbed / temperature)
            step2, _ = generator.step(y, [tf.broadcast_to(s, [rows, 4]) for s in state])
            expected = tf.reduce_sum(tf.nn.softmax(step2) * rewards[k], axis=-1)
            objective += tf.exp(log_p[0, k]) * tf.reduce_mean(expected)
    return [g.numpy() for g in tape.gradient(objective, generator.trainable_variables)]


def test_reinforce_on_the_relaxed_process_is_unbiased_for_that_process():
    generator, discriminator = tiny_models()
    generator.readout.kernel.assign(3.0 * generator.readout.kernel)
    temperature = 0.5
    exact = relaxed_process_gradient(generator, discriminator, temperature)
    draws = gradient_draws(generator, discriminator, "reinforce_relaxed_process", draws=400,
                           batch_size=40, temperature=temperature, seed=6)
    mean, standard_error = check_unbiased(draws, exact)
    # The test has power: the process differs from q_theta, whose gradient is many standard
    # errors away.
    one_hot_feedback = exact_gradient(generator, discriminator)
    assert standard_errors_off(one_hot_feedback, mean, standard_error) > 10.0


def test_the_baseline_and_the_relaxation_lower_the_variance():
    generator, discriminator = tiny_models()
    total = {name: sum(summarize(v).variance for v in gradient_draws(
        generator, discriminator, name, draws=100, batch_size=40, seed=4)) for name in ESTIMATORS}
    assert total["reinforce_loo"] < total["reinforce"]
    assert total["gumbel_relaxed"] < total["reinforce_loo"]
    assert set(SAMPLED_PROCESS) == set(ESTIMATORS) | set(TOKEN_ESTIMATORS)


def test_gumbel_rao_in_the_generator_keeps_straight_through_mean_with_less_variance():
    # Given the sampled strings, the conditional noises of different steps are independent, so
    # averaging each step's Jacobian over them keeps the mean of every product of Jacobians.
    generator, discriminator = tiny_models()
    draws = {name: gradient_draws(generator, discriminator, name, draws=300, batch_size=40, seed=5)
             for name in ("straight_through", *TOKEN_ESTIMATORS)}
    means = {name: flat(v.mean(axis=0) for v in d) for name, d in draws.items()}
    errors = {name: flat(v.std(axis=0, ddof=1) / np.sqrt(len(v)) for v in d) for name, d in draws.items()}
    gap = np.abs(means["gumbel_rao"] - means["straight_through"])
    combined = np.sqrt(errors["gumbel_rao"] ** 2 + errors["straight_through"] ** 2)
    assert np.all(gap[combined > 0] < 5 * combined[combined > 0])
    variance = {name: sum(summarize(v).variance for v in d) for name, d in draws.items()}
    assert variance["gumbel_rao"] < variance["straight_through"]
    assert all(np.isfinite(v).all() for v in draws["reinmax"])


def test_summary_of_identical_draws():
    summary = summarize(np.ones((5, 2, 3)), reference_mean=-np.ones((2, 3)))
    assert summary.variance == 0.0 and summary.cosine == pytest.approx(1.0)
    assert summary.cosine_to == pytest.approx(-1.0) and summary.mean_norm == pytest.approx(np.sqrt(6))
    assert summary.snr == np.inf


def test_the_signal_to_noise_ratio_discounts_the_noise_of_the_mean():
    draws = np.random.default_rng(0).normal(0.0, 1.0, (100, 4_000))  # a mean of 0, variance 4,000
    assert abs(summarize(draws).snr) < 0.005  # |mean|^2 / variance alone would be about 0.01
    summary = summarize(draws + 0.5)  # |E g|^2 = 1,000
    assert summary.snr == pytest.approx(0.25, abs=0.01)


def test_bad_arguments():
    generator, discriminator = tiny_models()
    with pytest.raises(ValueError, match="estimator"):
        gradient_draws(generator, discriminator, "rebar", draws=2)
    for estimator in ("reinforce_loo", "reinforce_relaxed_process"):
        with pytest.raises(ValueError, match="batch_size"):
            gradient_draws(generator, discriminator, estimator, draws=2, batch_size=1)
    _, batch_dependent = tiny_models(minibatch_features=True)
    with pytest.raises(ValueError, match="batch_size"):
        gradient_draws(generator, batch_dependent, "reinforce", draws=2, batch_size=1)
    with pytest.raises(ValueError, match="temperature"):
        gradient_draws(generator, discriminator, "reinforce_relaxed_process", 2, temperature=0.0)
    with pytest.raises(ValueError, match="draws"):
        summarize(np.ones((1, 3)))
    with pytest.raises(ValueError, match="temperature"):
        relaxed_path(generator, 4, -1.0, seed=(1, 2))
    with pytest.raises(ValueError, match="batch_size"):
        relaxed_path(generator, 0, 1.0, seed=(1, 2))
    with pytest.raises(ValueError, match="one_hots"):
        advantages(discriminator, tf.one_hot([[0, 1]], VOCAB), leave_one_out=True)
