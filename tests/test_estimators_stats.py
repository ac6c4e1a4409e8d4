"""Chapter 1's Gaussian gradient estimators and chapter 2's chi-square test."""

import math

import numpy as np
import pytest

import gumbel_tutorial as gt
from gumbel_tutorial.runtime import tf

REPS = 4_000


def objective(z):
    return (z - 3.0) ** 2


@pytest.mark.parametrize("estimator", [gt.pathwise_gradient, gt.score_function_gradient])
def test_gaussian_estimators_are_unbiased(estimator):
    loc, scale = tf.fill([REPS], 1.0), tf.fill([REPS], 2.0)
    grad_loc, grad_scale = estimator(objective, loc, scale, 10, seed=(1, 2))
    # Analytic gradient of (mu - 3)^2 + sigma^2 at mu=1, sigma=2.
    for grad, exact in ((grad_loc.numpy(), -4.0), (grad_scale.numpy(), 4.0)):
        assert grad.shape == (REPS,)
        assert abs(grad.mean() - exact) < 5 * grad.std() / math.sqrt(REPS)


def test_pathwise_has_lower_variance_here():
    loc, scale = tf.fill([REPS], 1.0), tf.fill([REPS], 2.0)
    pathwise = gt.pathwise_gradient(objective, loc, scale, 10, seed=(3, 4))[0].numpy()
    score = gt.score_function_gradient(objective, loc, scale, 10, seed=(3, 4))[0].numpy()
    assert score.var() > 3 * pathwise.var()


@pytest.mark.parametrize("num_samples", [0, -3, 2.5, True])
def test_bad_num_samples(num_samples):
    with pytest.raises(ValueError, match="num_samples"):
        gt.pathwise_gradient(objective, 0.0, 1.0, num_samples)


@pytest.mark.parametrize("estimator", [gt.pathwise_gradient, gt.score_function_gradient])
@pytest.mark.parametrize(
    "loc, scale, name",
    [
        (0.0, -1.0, "scale"),
        (0.0, 0.0, "scale"),
        (0.0, float("nan"), "scale"),
        (0.0, float("inf"), "scale"),
        ([0.0, 1.0], [1.0, -2.0], "scale"),
        (float("nan"), 1.0, "loc"),
        (float("inf"), 1.0, "loc"),
        ("zero", 1.0, "loc"),
        (None, 1.0, "loc"),
        (0.0, None, "scale"),
        ([], 1.0, "loc"),
        ([0.0, 1.0, 2.0], [1.0, 2.0], "loc"),  # shapes do not broadcast
    ],
)
def test_gaussian_estimators_validate_parameters(estimator, loc, scale, name):
    with pytest.raises(ValueError, match=name):
        estimator(objective, loc, scale, 10, seed=(1, 2))


@pytest.mark.parametrize("estimator", [gt.pathwise_gradient, gt.score_function_gradient])
def test_gaussian_estimators_validate_objective(estimator):
    with pytest.raises(ValueError, match="f must be callable"):
        estimator("square", 0.0, 1.0, 10)


def test_chi_square_known_value():
    result = gt.chi_square_test([30, 70], [0.5, 0.5])
    # (30-50)^2/50 + (70-50)^2/50 = 16 with 1 degree of freedom; P(chi2_1 > 16) = erfc(sqrt(8)).
    assert result.statistic == pytest.approx(16.0)
    assert result.dof == 1
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(8.0)), rel=1e-3)


@pytest.mark.parametrize(
    "counts, probs, match",
    [
        ([1, 2], [0.5, 0.6], "sum to 1"),
        ([1, 2], [1.5, -0.5], "non-negative"),
        ([1, 2, 3], [0.5, 0.5], "counts"),
        ([1, 2], [1.0, 0.0], "> 0"),
    ],
)
def test_chi_square_bad_input(counts, probs, match):
    with pytest.raises(ValueError, match=match):
        gt.chi_square_test(counts, probs)


def test_set_seed_rejects_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        gt.set_seed(-1)


def test_set_seed_makes_runs_repeatable():
    gt.set_seed(7)
    first = gt.sample_gumbel([3], seed=1).numpy()
    gt.set_seed(7)
    np.testing.assert_array_equal(first, gt.sample_gumbel([3], seed=1).numpy())


@pytest.mark.parametrize("estimator", [gt.pathwise_gradient, gt.score_function_gradient])
def test_gaussian_estimators_accept_symbolic_parameters(estimator):
    compiled = tf.function(lambda loc, scale: estimator(objective, loc, scale, 50, seed=(1, 2)))
    eager = estimator(objective, 0.5, 2.0, 50, seed=(1, 2))
    traced = compiled(tf.constant(0.5), tf.constant(2.0))
    np.testing.assert_allclose([t.numpy() for t in traced], [e.numpy() for e in eager], rtol=1e-5)


def test_trailing_mean_averages_the_window_before_each_entry():
    np.testing.assert_allclose(gt.trailing_mean([1.0, 2.0, 3.0, 4.0], window=2), [1.0, 1.5, 2.5, 3.5])
    series = gt.rng(0).normal(size=50)
    np.testing.assert_allclose(gt.trailing_mean(series, window=1), series)
    np.testing.assert_allclose(gt.trailing_mean(series, window=100), np.cumsum(series) / np.arange(1, 51))
    with pytest.raises(ValueError, match="values must be a non-empty 1-D series"):
        gt.trailing_mean(np.ones((2, 3)))


def test_cosine_of_gradients_row_by_row():
    from gumbel_tutorial.stats import cosine

    exact = np.array([3.0, 4.0])
    assert cosine(exact, 2 * exact) == pytest.approx(1.0)
    assert cosine([4.0, -3.0], exact) == pytest.approx(0.0)
    rows = cosine(np.array([[3.0, 4.0], [-6.0, -8.0], [0.0, 0.0]]), exact)
    np.testing.assert_allclose(rows, [1.0, -1.0, 0.0])  # a zero estimate points nowhere: 0
    with pytest.raises(ValueError, match="a and b"):
        cosine([1.0, 2.0, 3.0], exact)
    with pytest.raises(ValueError, match="b"):
        cosine(exact, [np.nan, 1.0])
