"""Chapter 4's estimators for the gradient of a categorical expectation, against enumeration."""

import math

import numpy as np
import pytest

from gumbel_tutorial import estimators
from gumbel_tutorial.runtime import tf

THETA = np.log(np.array([0.1, 0.2, 0.4, 0.2, 0.1], dtype=np.float32))
TARGET = tf.constant([0.45, 0.05, 0.3, 0.9, 0.15])
REPS = 20_000


def quadratic(z):
    return tf.reduce_sum((z - TARGET) ** 2, axis=-1)


def repeated(reps: int = REPS) -> tf.Tensor:
    return tf.tile(tf.constant(THETA)[None], [reps, 1])


def exact_gradient() -> np.ndarray:
    return estimators.exact_categorical_gradient(quadratic, THETA)[1].numpy()


def test_exact_gradient_matches_closed_form():
    logits = np.array([0.3, -1.2, 0.0, 2.0, 0.5, -0.4], dtype=np.float32)
    v = np.array([1.0, -2.0, 0.5, 3.0, 0.0, 1.5], dtype=np.float32)
    objective, grad = estimators.exact_categorical_gradient(lambda z: tf.reduce_sum(z * v, -1), logits)
    p = np.exp(logits) / np.exp(logits).sum()
    assert float(objective) == pytest.approx(float(p @ v), rel=1e-5)
    # dL/dtheta_j = p_j (v_j - L)
    np.testing.assert_allclose(grad.numpy(), p * (v - p @ v), atol=1e-6)


def test_exact_gradient_is_batched():
    objective, grad = estimators.exact_categorical_gradient(quadratic, repeated(3))
    assert objective.shape == (3,) and grad.shape == (3, 5)
    np.testing.assert_allclose(grad.numpy(), np.tile(exact_gradient(), (3, 1)), atol=1e-7)


@pytest.mark.parametrize("baseline", ["none", "leave_one_out"])
def test_score_function_is_unbiased(baseline):
    grads = estimators.categorical_score_function_gradient(
        quadratic, repeated(), 5, baseline=baseline, seed=(1, 2)
    ).numpy()
    assert grads.shape == (REPS, 5)
    standard_error = grads.std(axis=0) / math.sqrt(REPS)
    # Per component within 5 standard errors (a fixed seed; a false alarm has odds < 1e-5).
    assert np.all(np.abs(grads.mean(axis=0) - exact_gradient()) < 5 * standard_error)
    summary = estimators.bias_variance(grads, exact_gradient())
    assert summary.bias_squared < 5 * summary.noise_floor


def test_leave_one_out_baseline_reduces_variance():
    plain = estimators.categorical_score_function_gradient(quadratic, repeated(), 5, seed=(3, 4))
    loo = estimators.categorical_score_function_gradient(quadratic, repeated(), 5, "leave_one_out", seed=(3, 4))
    assert plain.numpy().var(axis=0).sum() > 3 * loo.numpy().var(axis=0).sum()


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_estimators_are_biased_here(hard):
    grads = estimators.gumbel_softmax_gradient(quadratic, repeated(), 1.0, 5, hard=hard, seed=(5, 6))
    summary = estimators.bias_variance(grads.numpy(), exact_gradient())
    assert summary.bias_squared > 100 * summary.noise_floor


def test_relaxed_bias_shrinks_with_temperature():
    bias = [
        estimators.bias_variance(
            estimators.gumbel_softmax_gradient(quadratic, repeated(), tau, 5, seed=(7, 8)).numpy(),
            exact_gradient(),
        ).bias_squared
        for tau in (0.1, 1.0, 5.0)
    ]
    assert bias[0] < bias[1] < bias[2]


def test_straight_through_equals_relaxed_for_linear_f():
    # The gradient of a linear f is the same constant at a corner and at a relaxed point.
    v = tf.constant([1.0, -2.0, 0.5, 3.0, 0.0])
    linear = lambda z: tf.reduce_sum(z * v, axis=-1)  # noqa: E731
    relaxed = estimators.gumbel_softmax_gradient(linear, repeated(50), 0.5, 4, seed=(9, 10))
    st = estimators.gumbel_softmax_gradient(linear, repeated(50), 0.5, 4, hard=True, seed=(9, 10))
    np.testing.assert_allclose(relaxed.numpy(), st.numpy(), rtol=1e-5, atol=1e-6)


def test_unbatched_logits_and_stateless_seeds():
    a = estimators.gumbel_softmax_gradient(quadratic, THETA, 0.5, 8, seed=(11, 12))
    b = estimators.gumbel_softmax_gradient(quadratic, THETA, 0.5, 8, seed=(11, 12))
    assert a.shape == (5,)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    c = estimators.categorical_score_function_gradient(quadratic, THETA, 8, seed=(11, 12))
    assert c.shape == (5,)


def test_bias_variance_known_values():
    estimates = np.array([[1.0, 0.0], [3.0, 2.0]])
    result = estimators.bias_variance(estimates, [1.0, 1.0])
    # mean (2, 1): bias^2 = 1; variances (ddof=1) 2 + 2 = 4; floor 4 / 2.
    assert result.bias_squared == pytest.approx(1.0)
    assert result.variance == pytest.approx(4.0)
    assert result.noise_floor == pytest.approx(2.0)
    assert result.mse == pytest.approx(5.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: estimators.categorical_score_function_gradient(quadratic, THETA, 0), "num_samples"),
        (lambda: estimators.categorical_score_function_gradient(quadratic, THETA, 1, "leave_one_out"), "num_samples"),
        (lambda: estimators.categorical_score_function_gradient(quadratic, THETA, 4, "mean"), "baseline"),
        (lambda: estimators.gumbel_softmax_gradient(quadratic, THETA, 0.0, 4), "temperature"),
        (lambda: estimators.gumbel_softmax_gradient(quadratic, THETA, 1.0, -2), "num_samples"),
        (lambda: estimators.gumbel_softmax_gradient(quadratic, np.array([1.0], np.float32), 1.0, 2), "logits"),
        (lambda: estimators.exact_categorical_gradient(quadratic, np.array([1, 2, 3])), "logits"),
        (lambda: estimators.bias_variance(np.zeros((1, 5)), np.zeros(5)), "estimates"),
        (lambda: estimators.bias_variance(np.zeros((4, 5)), np.zeros(4)), "exact"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bias_variance_max_z_separates_unbiased_from_biased():
    draws = np.random.default_rng(0).normal(size=(10_000, 5))
    exact = np.zeros(5)
    assert estimators.bias_variance(draws, exact).max_z < 4
    assert estimators.bias_variance(draws + 0.1, exact).max_z > 8  # 0.1 is 10 standard errors
    constant = estimators.bias_variance(np.ones((3, 2)), np.array([1.0, 2.0]))
    assert constant.max_z == np.inf  # zero spread, wrong mean
