"""Chapter 12's estimators against exact gradients, and the identities their papers state.

Every estimator of ``CATEGORICAL_ESTIMATORS`` that claims to be unbiased must put the mean of
100,000 estimates within 4 standard errors of the exact gradient (enumerated over all K**D
outcomes) in every component, on problems that together cover K = 2, 5 and 10, flat and peaked
logits, a quadratic, a cubic and a small random network, and D = 3 variables. The seeds are
fixed, so each check is one draw: an unbiased estimator fails one component with odds of about
6e-5, a biased one (last test) passes with none of the margins seen here.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

import gumbel_tutorial as gt
from gumbel_tutorial import categorical, estimators
from gumbel_tutorial.conditional_gumbel import conditional_gumbel
from gumbel_tutorial.control_variates import fit_surrogate
from gumbel_tutorial.reinmax import reinmax_at
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.without_replacement import unordered_set_gradient

REGISTRY = estimators.CATEGORICAL_ESTIMATORS
UNBIASED = sorted(name for name, record in REGISTRY.items() if record.unbiased)
BIASED = sorted(name for name, record in REGISTRY.items() if not record.unbiased)
REPETITIONS, CHUNK = 100_000, 25_000


def logits_for(categories: int, variables: int, kind: str) -> np.ndarray:
    """Flat (all zero) or peaked logits ``[D, K]``: one entry 4, the others a fixed N(0, 0.25)
    draw, so the top category has probability 0.85-0.98 and none less than about 0.01 (rarer
    ones would be missing from 100,000 draws, and the standard error would not see them)."""
    if kind == "flat":
        return np.zeros((variables, categories), np.float32)
    rng = np.random.default_rng(categories + variables)
    logits = rng.normal(0, 0.5, size=(variables, categories))
    logits[np.arange(variables), rng.integers(categories, size=variables)] = 4.0
    return logits.astype(np.float32)


def objective(kind: str, shape: tuple[int, ...]) -> categorical.Objective:
    target = np.random.default_rng(7).uniform(0, 1, shape).astype(np.float32)
    if kind == "mlp":
        return categorical.random_mlp(shape, seed=3)
    return categorical.quadratic(target) if kind == "quadratic" else categorical.cubic(target)


# (K, D, logits, objective): each level of each factor appears at least once.
PROBLEMS = [(2, 1, "flat", "quadratic"), (5, 1, "peaked", "cubic"), (10, 1, "flat", "mlp"),
            (10, 1, "peaked", "quadratic"), (5, 3, "peaked", "mlp")]
BINARY_PROBLEMS = [(2, 1, "flat", "quadratic"), (2, 1, "peaked", "cubic"), (2, 3, "flat", "mlp"),
                   (2, 3, "peaked", "mlp")]


def setup(categories: int, variables: int, logits_kind: str, f_kind: str):
    """Logits of one row (``[K]`` or ``[D, K]``), the objective and its exact gradient."""
    theta = logits_for(categories, variables, logits_kind)
    theta = theta[0] if variables == 1 else theta
    f = objective(f_kind, theta.shape)
    exact = estimators.exact_categorical_gradient(f, theta[None])[1].numpy()[0]
    return theta, f, exact


def many(name: str, f, theta: np.ndarray, seed: int, repetitions: int = REPETITIONS, **settings) -> np.ndarray:
    """``repetitions`` independent estimates, computed in chunks of the same shape."""
    rows = np.broadcast_to(theta, (min(CHUNK, repetitions), *theta.shape))
    samples = REGISTRY[name].min_samples  # the fewest each estimator allows
    chunks = [REGISTRY[name].estimate(f, rows, samples, (seed, i), **settings).numpy()
              for i in range(max(1, repetitions // CHUNK))]
    return np.concatenate(chunks)


def worst_z(grads: np.ndarray, exact: np.ndarray) -> float:
    """The largest ``|mean - exact|`` in standard errors (float32 rounding allowed for)."""
    grads = grads.astype(np.float64)  # a float32 mean of 1e5 numbers is off in the 4th digit
    error = np.abs(grads.mean(axis=0) - exact) - 1e-6 * (1 + np.abs(exact))
    standard_error = grads.std(axis=0) / np.sqrt(len(grads))
    return float(np.max(np.where(error > 0, error / np.maximum(standard_error, 1e-30), 0.0)))


CASES = [pytest.param(name, problem, id=f"{name}-K{problem[0]}-D{problem[1]}-{problem[2]}-{problem[3]}")
         for name in UNBIASED
         for problem in (BINARY_PROBLEMS if REGISTRY[name].binary else PROBLEMS)]


@pytest.mark.parametrize("name, problem", CASES)
def test_unbiased_estimators_match_the_exact_gradient(name, problem):
    theta, f, exact = setup(*problem)
    grads = many(name, f, theta, seed=11)
    assert grads.shape == (REPETITIONS, *theta.shape)
    assert worst_z(grads, exact) < 4


def test_biased_estimators_are_biased_on_the_cubic():
    theta, f, exact = setup(5, 1, "peaked", "cubic")
    for name in BIASED:
        assert worst_z(many(name, f, theta, seed=12, repetitions=CHUNK), exact) > 10, name


def test_relax_is_unbiased_for_any_surrogate():
    theta, f, exact = setup(5, 3, "peaked", "mlp")
    weights = tf.constant(np.random.default_rng(5).normal(size=(3, 5)), tf.float32)

    def surrogate(u):  # an arbitrary function of the perturbed logits
        return 3.0 * tf.reduce_sum(tf.sin(u * weights), axis=[-2, -1])

    grads = many("RELAX", f, theta, seed=13, surrogate=surrogate, temperature=0.3, scale=-2.0)
    assert worst_z(grads, exact) < 4


def test_fitted_surrogate_keeps_relax_finite_and_unbiased():
    theta, f, exact = setup(5, 1, "peaked", "cubic")
    network = fit_surrogate(f, np.broadcast_to(theta, (64, 5)), seed=(1, 2), steps=30)
    grads = many("RELAX", f, theta, seed=14, surrogate=network)
    assert np.isfinite(grads).all() and worst_z(grads, exact) < 4


def test_exact_gradient_of_several_variables():
    # A sum over variables has, for each variable, the gradient of that variable alone.
    theta = logits_for(4, 3, "peaked")
    target = np.random.default_rng(0).uniform(size=(3, 4)).astype(np.float32)
    objective_value, grad = estimators.exact_categorical_gradient(categorical.cubic(target), theta[None])
    alone = [estimators.exact_categorical_gradient(categorical.cubic(t), th[None]) for th, t in zip(theta, target)]
    np.testing.assert_allclose(grad.numpy()[0], np.concatenate([g.numpy() for _, g in alone]), atol=1e-6)
    assert float(objective_value[0]) == pytest.approx(sum(float(v[0]) for v, _ in alone), rel=1e-5)


@pytest.mark.parametrize("rows", [np.array([[0.3, -1.0, 2.0, 0.0]]), np.array([[0.0, 0.0, 0.0, 0.0]])])
def test_conditional_gumbel_matches_rejection_sampling(rows):
    logits = rows.astype(np.float32)
    for chosen in (int(np.argmax(logits)), int(np.argmin(logits))):
        draws = conditional_gumbel(logits, tf.one_hot([chosen], 4), seed=(3, chosen), num_samples=20_000)
        draws = draws.numpy()[:, 0]
        free = gt.sample_gumbel([400_000, 4], seed=(4, chosen)).numpy() + logits
        kept = free[np.argmax(free, axis=-1) == chosen][:20_000]
        assert np.all(np.argmax(draws, axis=-1) == chosen)
        for k in range(4):  # each coordinate's law, Kolmogorov-Smirnov at level 1e-4
            assert stats.ks_2samp(draws[:, k], kept[:, k]).pvalue > 1e-4, (chosen, k)


def test_conditional_gumbel_keeps_rows_apart():
    # Two rows with different logits and samples: each row's draws depend on its own row only.
    logits = np.array([[5.0, 0.0, 0.0], [0.0, 0.0, -5.0]], np.float32)
    sample = tf.one_hot([1, 2], 3)
    both = conditional_gumbel(logits, sample, seed=(5, 6), num_samples=4000).numpy()
    alone = conditional_gumbel(logits[1:], sample[1:], seed=(5, 6), num_samples=4000).numpy()
    assert np.all(np.argmax(both, axis=-1) == [1, 2])
    # The chosen entry's maximum is Gumbel(logsumexp) of its own row.
    lse = np.log(np.exp(logits).sum(axis=1))
    assert np.abs(both[:, :, [1, 2]].diagonal(axis1=1, axis2=2).mean(axis=0) - (lse + np.euler_gamma)).max() < 0.06
    assert stats.ks_2samp(both[:, 1, 0], alone[:, 0, 0]).pvalue > 1e-4


def test_gumbel_rao_with_one_draw_is_straight_through():
    theta, f, _ = setup(5, 1, "peaked", "cubic")
    st = many("straight-through", f, theta, seed=15, repetitions=50_000, temperature=0.5)
    variances = {}
    for draws in (1, 4, 32):
        gr = many("Gumbel-Rao", f, theta, seed=16 + draws, repetitions=50_000, temperature=0.5,
                  num_conditional=draws)
        # the same mean as straight-through, within 4 standard errors of the difference
        se = np.sqrt(st.var(axis=0) / len(st) + gr.var(axis=0) / len(gr))
        assert np.all(np.abs(st.mean(axis=0) - gr.mean(axis=0)) < 4 * se + 1e-7), draws
        variances[draws] = gr.var(axis=0).sum()
        if draws == 1:  # the same law, component by component
            for k in range(5):
                assert stats.ks_2samp(st[:, k], gr[:, k]).pvalue > 1e-4, k
            assert 0.9 < variances[1] / st.var(axis=0).sum() < 1.1
    assert variances[1] > variances[4] > variances[32]


@pytest.mark.parametrize("problem", [(3, 1, "peaked", "mlp"), (5, 3, "peaked", "cubic")])
def test_indecater_of_one_variable_is_exact(problem):
    theta, f, exact = setup(*problem)
    # One variable: the sum over its K values is the exact gradient. A cubic is a sum over the
    # variables, so each variable's term does not depend on the others' samples: exact too.
    grads = many("IndeCateR", f, theta, seed=17, repetitions=100)
    np.testing.assert_allclose(grads, np.broadcast_to(exact, grads.shape), atol=1e-5)


def expected_reinmax(f, theta: np.ndarray, temperature: float) -> np.ndarray:
    """``E[ReinMax]`` exactly: its estimate at every outcome, weighted by the outcome's probability."""
    logits = tf.constant(theta[None])  # [1, D, K]
    variables, categories = theta.shape
    index = np.indices((categories,) * variables).reshape(variables, -1).T  # [N, D]
    outcomes = tf.one_hot(index, categories)[:, None]  # [N, 1, D, K]
    probs = np.exp(tf.reduce_sum(tf.nn.log_softmax(logits) * outcomes, axis=[-2, -1]).numpy())  # [N, 1]
    at = reinmax_at(f, logits, outcomes, tf.constant(temperature)).numpy()  # [N, 1, D, K]
    return np.einsum("nr,nrdk->dk", probs, at)


def test_reinmax_is_exact_in_expectation_for_a_quadratic():
    # Liu et al. (2023): ReinMax approximates the gradient to second order (Heun's rule), so at
    # temperature 1 its mean is the exact gradient of any quadratic f; for a cubic it is not.
    rng = np.random.default_rng(8)
    theta = (2.0 * rng.normal(size=(2, 4))).astype(np.float32)
    a = tf.constant(rng.normal(size=(8, 8)), tf.float32)
    b = tf.constant(rng.normal(size=8), tf.float32)

    def coupled_quadratic(z):  # z^T A z + b^T z over both variables together
        flat = tf.reshape(z, tf.concat([tf.shape(z)[:-2], [8]], axis=0))
        return tf.reduce_sum(flat * tf.linalg.matvec(a, flat), -1) + tf.linalg.matvec(flat, b)

    exact = estimators.exact_categorical_gradient(coupled_quadratic, theta[None])[1].numpy()[0]
    np.testing.assert_allclose(expected_reinmax(coupled_quadratic, theta, 1.0), exact, atol=2e-5)
    cubic = categorical.cubic(rng.uniform(size=(2, 4)).astype(np.float32))
    exact_cubic = estimators.exact_categorical_gradient(cubic, theta[None])[1].numpy()[0]
    assert np.abs(expected_reinmax(cubic, theta, 1.0) - exact_cubic).max() > 1e-2
    assert np.abs(expected_reinmax(coupled_quadratic, theta, 2.0) - exact).max() > 1e-2


EXTREME_LOGITS = {5: 50.0 * np.array([[1.0, -1.0, 0.3, -0.6, 0.9]], np.float32),
                  2: np.array([[50.0, -50.0], [-50.0, 50.0]], np.float32)}
EXTREME_OBJECTIVES = {k: (categorical.cubic(np.full(k, 0.3, np.float32)), categorical.random_mlp((k,)))
                      for k in EXTREME_LOGITS}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_no_nan_or_inf_at_extreme_settings(name):
    record = REGISTRY[name]
    logits = EXTREME_LOGITS[2 if record.binary else 5]
    for temperature in (1e-3, 1e-2, 1.0, 10.0) if record.temperature else (None,):
        settings = {} if temperature is None else {"temperature": temperature}
        for f in EXTREME_OBJECTIVES[logits.shape[-1]]:
            grads = record.estimate(f, np.repeat(logits, 50, axis=0), 3, (1, 2), **settings)
            assert np.isfinite(grads.numpy()).all(), (temperature, f)


def test_registry_records():
    assert set(REGISTRY) == {"REINFORCE", "REINFORCE + LOO", "relaxed GS", "straight-through", "REBAR",
                             "RELAX", "Gumbel-Rao", "ReinMax", "DisARM", "ARSM", "IndeCateR",
                             "unordered set"}
    assert set(UNBIASED) == {"REINFORCE", "REINFORCE + LOO", "REBAR", "RELAX", "DisARM", "ARSM", "IndeCateR",
                             "unordered set"}
    assert {name for name, record in REGISTRY.items() if record.min_samples == 2} == {
        "REINFORCE + LOO", "unordered set"}
    assert REGISTRY["ARSM"].evaluations(2, 10, 3) == 2 * 46
    assert REGISTRY["IndeCateR"].evaluations(2, 10, 3) == 60
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGISTRY["REBAR"].unbiased = False


BAD = [("f", 3, "f"), ("logits", np.zeros(5, np.float32), "logits"),
       ("logits", np.full((2, 5), np.nan, np.float32), "logits"),
       ("logits", np.full((2, 5), -np.inf, np.float32), "logits"), ("num_samples", 0, "num_samples"),
       ("seed", (1, 2, 3), "seed")]


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_bad_input_names_the_argument(name):
    record = REGISTRY[name]
    k = 2 if record.binary else 5
    good = {"f": categorical.cubic(np.zeros(k, np.float32)), "logits": np.zeros((2, k), np.float32),
            "num_samples": 2, "seed": (1, 2)}
    for argument, value, named in BAD:
        with pytest.raises(ValueError, match=rf"^{named} must"):
            record.estimate(**{**good, argument: value})
    if record.temperature:
        for value in (0.0, -1.0, np.nan, "hot"):
            with pytest.raises(ValueError, match=r"^temperature must"):
                record.estimate(**good, temperature=value)
    if record.binary:
        with pytest.raises(ValueError, match=r"^logits must have 2 categories"):
            record.estimate(**{**good, "logits": np.zeros((2, 3), np.float32)})


def test_bad_settings_name_the_setting():
    good = (categorical.cubic(np.zeros(5, np.float32)), np.zeros((2, 5), np.float32), 2, (1, 2))
    with pytest.raises(ValueError, match=r"^num_conditional must"):
        REGISTRY["Gumbel-Rao"].estimate(*good, num_conditional=0)
    with pytest.raises(ValueError, match=r"^surrogate must"):
        REGISTRY["RELAX"].estimate(*good, surrogate=3)
    with pytest.raises(ValueError, match=r"^scale must"):
        REGISTRY["REBAR"].estimate(*good, scale=np.nan)


def test_over_outcomes_of_one_variable_is_the_estimator_itself():
    theta = logits_for(5, 1, "peaked")  # [1, 5]: D = 1
    rows = np.broadcast_to(theta, (50, 1, 5))
    f = categorical.cubic(np.full((1, 5), 0.3, np.float32))
    joint = REGISTRY["unordered set"].estimate(f, rows, 3, (4, 5)).numpy()
    direct = unordered_set_gradient(lambda z: f(z[..., None, :]), rows[:, 0], 3, "within_set", seed=(4, 5))
    np.testing.assert_allclose(joint[:, 0], direct.numpy(), rtol=1e-5, atol=1e-7)


def test_unordered_set_with_every_outcome_is_the_exact_gradient():
    # Without replacement there are only K**D outcomes to draw: asked for more, it draws all
    # of them, and a set that is always the same gives the exact gradient every time.
    theta, f, exact = setup(2, 1, "peaked", "cubic")
    grads = REGISTRY["unordered set"].estimate(f, np.broadcast_to(theta, (10, 2)), 4, (1, 2)).numpy()
    np.testing.assert_allclose(grads, np.broadcast_to(exact, grads.shape), rtol=1e-4, atol=1e-6)
    assert REGISTRY["unordered set"].evaluations(4, 2, 1) == 2
