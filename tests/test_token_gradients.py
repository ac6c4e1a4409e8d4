"""The one-hot tokens of ``gumbel_tutorial.token_gradients`` (chapter 12, section 12.8): exactly
the sample forward, and backward the estimates of chapter 12's categorical estimators."""

from __future__ import annotations

import numpy as np
import pytest

from gumbel_tutorial.gumbel import gumbel_softmax
from gumbel_tutorial.models import SequenceGenerator
from gumbel_tutorial.reinmax import reinmax_at
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.token_gradients import TOKEN_GRADIENTS, hard_token

K = 5
THETA = np.log([0.1, 0.15, 0.2, 0.25, 0.3]).astype(np.float32)
TARGET = tf.constant([0.05, 0.1, 0.2, 0.3, 0.35])


def f(z: tf.Tensor) -> tf.Tensor:
    """A cubic, so that no estimator is exact by accident (chapter 4)."""
    return tf.reduce_sum(tf.abs(z - TARGET) ** 3, axis=-1)


def token_gradients(method: str, n: int, temperature: float = 1.0, seed: int = 0,
                    num_conditional: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """``n`` tokens of ``THETA`` and the gradient of ``f(token)`` to each row's logits."""
    logits = tf.tile(THETA[None], [n, 1])
    step_seed = tf.constant([seed, 1], tf.int32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        relaxed = gumbel_softmax(logits, temperature, seed=step_seed)
        token = hard_token(logits, relaxed, temperature, step_seed, method, num_conditional)
        values = f(token)
    return token.numpy(), tape.gradient(values, logits).numpy()


@pytest.mark.parametrize("method", TOKEN_GRADIENTS)
def test_forward_is_the_argmax_of_the_relaxed_sample(method):
    logits = tf.tile(THETA[None], [200, 1])
    relaxed = gumbel_softmax(logits, 0.5, seed=(3, 4))
    token = hard_token(logits, relaxed, 0.5, tf.constant([3, 4]), method).numpy()
    np.testing.assert_array_equal(token, tf.one_hot(tf.argmax(relaxed, -1), K).numpy())


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_reinmax_token_gives_reinmax_estimate(temperature):
    z, grads = token_gradients("reinmax", 500, temperature)
    logits = tf.tile(THETA[None], [500, 1])
    expected = reinmax_at(f, logits, tf.constant(z), tf.constant(temperature))
    np.testing.assert_allclose(grads, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_straight_through_token_is_the_relaxed_jacobian_at_the_sample():
    temperature, n = 0.7, 300
    logits = tf.tile(THETA[None], [n, 1])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        relaxed = gumbel_softmax(logits, temperature, seed=(0, 1))
    z = tf.one_hot(tf.argmax(relaxed, -1), K)
    with tf.GradientTape() as slope_tape:
        slope_tape.watch(z)
        values = f(z)
    slope = slope_tape.gradient(values, z)
    _, grads = token_gradients("straight_through", n, temperature)
    expected = tape.gradient(relaxed, logits, output_gradients=slope)
    np.testing.assert_allclose(grads, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_gumbel_rao_keeps_straight_through_mean_and_lowers_its_variance():
    """Rao-Blackwellization: same mean as straight-through (within 4 standard errors, every
    component), a smaller variance (never larger, by the theorem), over 40,000 tokens at
    temperature 0.5."""
    n = 40_000
    _, st = token_gradients("straight_through", n, 0.5, seed=11)
    _, gr = token_gradients("gumbel_rao", n, 0.5, seed=12, num_conditional=10)
    standard_error = np.sqrt(st.var(0) / n + gr.var(0) / n)
    assert np.all(np.abs(st.mean(0) - gr.mean(0)) < 4 * standard_error)
    assert gr.var(0).sum() < 0.8 * st.var(0).sum()  # measured: 0.65 of it
    assert np.all(np.isfinite(gr))


def test_gumbel_rao_token_draws_its_conditional_noise_from_the_step_seed():
    a = token_gradients("gumbel_rao", 50, seed=5)[1]
    np.testing.assert_array_equal(a, token_gradients("gumbel_rao", 50, seed=5)[1])
    assert not np.array_equal(a, token_gradients("gumbel_rao", 50, seed=6)[1])


def test_bad_method_and_count_are_named():
    logits = tf.constant(THETA[None])
    relaxed = gumbel_softmax(logits, 1.0, seed=(1, 2))
    with pytest.raises(ValueError, match="^method must"):
        hard_token(logits, relaxed, 1.0, tf.constant([1, 2]), "rebar")
    with pytest.raises(ValueError, match="^num_conditional must"):
        hard_token(logits, relaxed, 1.0, tf.constant([1, 2]), "gumbel_rao", num_conditional=0)
    with pytest.raises(ValueError, match="^token_gradient must"):
        SequenceGenerator(8, 6, 4).generate(2, 1.0, seed=(1, 2), token_gradient="rebar")
