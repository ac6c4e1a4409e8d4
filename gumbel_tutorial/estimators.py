"""Gradient estimators for an expectation ``E_q[f(z)]`` (chapter 1; discrete ones in chapter 4).

Every estimator is vectorized over a batch of parameters: pass ``loc``/``scale`` with a leading
batch axis of size ``R`` (copies of the same value) and you get ``R`` independent estimates in one
call, which is how the chapters measure variance over many repetitions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from .categorical import Estimator, adapt, exact_gradient, over_outcomes
from .checks import (Seed, check_callable, check_choice, check_finite, check_logits, check_positive_int,
                     check_temperature)
from .control_variates import rebar_gradient, relax_gradient
from .coupled import arsm_gradient, disarm_gradient
from .gumbel import gumbel_max, gumbel_softmax
from .rao_blackwell import gumbel_rao_gradient, indecater_gradient
from .reinmax import reinmax_gradient
from .runtime import tf, tfd
from .seeds import check_seed
from .without_replacement import unordered_set_gradient

Objective = Callable[[tf.Tensor], tf.Tensor]


def _gaussian(loc: tf.Tensor, scale: tf.Tensor) -> tfd.Normal:
    return tfd.Normal(loc=loc, scale=scale)


def _gaussian_inputs(
    f: Objective, loc: Any, scale: Any, num_samples: Any, seed: Seed
) -> tuple[int, tf.Tensor, tf.Tensor]:
    """Validate the arguments of the Gaussian estimators; ``loc`` and ``scale`` as float32 tensors.

    ``f`` must be callable, ``loc`` finite, ``scale`` finite and > 0, and their shapes must
    broadcast; every failure is a ``ValueError`` naming the argument.
    """
    check_callable(f, "f")
    num_samples = check_positive_int(num_samples, "num_samples")
    check_seed(seed)
    loc_array = check_finite(loc, "loc")  # None for a symbolic tensor: dtype checked only
    scale_array = check_finite(scale, "scale", positive=True)
    loc = tf.convert_to_tensor(loc if loc_array is None else loc_array, tf.float32)
    scale = tf.convert_to_tensor(scale if scale_array is None else scale_array, tf.float32)
    try:
        tf.broadcast_static_shape(loc.shape, scale.shape)
    except ValueError as exc:
        raise ValueError(
            f"loc and scale must have broadcastable shapes, got {loc.shape} and {scale.shape}"
        ) from exc
    return num_samples, loc, scale


def pathwise_gradient(
    f: Objective, loc: tf.Tensor, scale: tf.Tensor, num_samples: int, seed: Seed = None
) -> tuple[tf.Tensor, tf.Tensor]:
    """Reparameterized (pathwise) estimate of the gradient of ``E[f(z)]``, ``z ~ N(loc, scale²)`` (chapter 1).

    ``tfd.Normal`` samples as ``loc + scale * eps``, so the tape differentiates through the sample.
    Returns the gradients with respect to ``loc`` and ``scale``, each shaped like ``loc``.
    """
    num_samples, loc, scale = _gaussian_inputs(f, loc, scale, num_samples, seed)
    with tf.GradientTape() as tape:
        tape.watch([loc, scale])
        z = _gaussian(loc, scale).sample(num_samples, seed=seed)
        objective = tf.reduce_sum(tf.reduce_mean(f(z), axis=0))
    grad_loc, grad_scale = tape.gradient(objective, [loc, scale])
    return grad_loc, grad_scale


def score_function_gradient(
    f: Objective, loc: tf.Tensor, scale: tf.Tensor, num_samples: int, seed: Seed = None
) -> tuple[tf.Tensor, tf.Tensor]:
    """Score-function (REINFORCE) estimate of the same gradient (chapter 1).

    ``mean(f(z) * grad log q(z))`` with the samples held fixed: it needs only ``log_prob``, so it
    also works for discrete ``z``, at the price of a larger variance.
    """
    num_samples, loc, scale = _gaussian_inputs(f, loc, scale, num_samples, seed)
    with tf.GradientTape() as tape:
        tape.watch([loc, scale])
        dist = _gaussian(loc, scale)
        z = tf.stop_gradient(dist.sample(num_samples, seed=seed))
        surrogate = tf.reduce_sum(tf.reduce_mean(f(z) * dist.log_prob(z), axis=0))
    grad_loc, grad_scale = tape.gradient(surrogate, [loc, scale])
    return grad_loc, grad_scale


# ---------------------------------------------------------------------------------------------
# Chapter 4: estimators for the gradient of E_{z ~ Cat(softmax(logits))}[f(z)] with one-hot z.
#
# ``f`` maps one-hot (or relaxed one-hot) vectors of shape ``[..., K]`` to values of shape
# ``[...]``. Every estimator takes ``logits`` of shape ``[K]`` or ``[R, K]`` (R copies = R
# repetitions) and returns a gradient shaped like ``logits``: one independent estimate per row.
# ---------------------------------------------------------------------------------------------

BASELINES = ("none", "leave_one_out")


def exact_categorical_gradient(f: Objective, logits: Any) -> tuple[tf.Tensor, tf.Tensor]:
    """The exact objective ``sum_k p_k f(e_k)`` and its gradient by enumerating the K outcomes (chapter 4).

    ``p = OneHotCategorical(logits).probs_parameter()`` and the K one-hot vectors ``e_k`` are the
    rows of the identity matrix; ``tf.GradientTape`` differentiates the finite sum. Returns the
    objective (shape ``logits.shape[:-1]``) and the gradient (shaped like ``logits``).
    """
    check_callable(f, "f")
    logits = tf.cast(check_logits(logits), tf.float32)
    if logits.shape.rank == 3:  # [R, D, K]: D variables, K**D outcomes (chapter 12)
        return exact_gradient(f, logits)
    outcomes = tf.eye(tf.shape(logits)[-1], dtype=logits.dtype)
    values = f(outcomes)  # f(e_k) for every outcome k, shape [K]
    with tf.GradientTape() as tape:
        tape.watch(logits)
        probs = tfd.OneHotCategorical(logits=logits).probs_parameter()
        objective = tf.reduce_sum(probs * values, axis=-1)
    return objective, tape.gradient(objective, logits)


def categorical_score_function_gradient(
    f: Objective,
    logits: Any,
    num_samples: int,
    baseline: str = "none",
    seed: Seed = None,
) -> tf.Tensor:
    """REINFORCE estimate ``mean_s (f(z_s) - b_s) grad log p(z_s)``, ``z_s ~ OneHotCategorical`` (chapter 4).

    ``baseline="none"`` uses ``b_s = 0``. ``baseline="leave_one_out"`` uses the mean of ``f`` over
    the *other* ``num_samples - 1`` samples of the same estimate: ``b_s`` does not depend on
    ``z_s``, so ``E[b_s grad log p(z_s)] = 0`` and the estimator stays unbiased (it needs
    ``num_samples >= 2``). Neither variant uses a temperature.
    """
    check_callable(f, "f")
    num_samples = check_positive_int(num_samples, "num_samples")
    check_choice(baseline, "baseline", BASELINES)
    check_seed(seed)
    if baseline == "leave_one_out" and num_samples < 2:
        raise ValueError(f"num_samples must be >= 2 for a leave-one-out baseline, got {num_samples}")
    logits = tf.cast(check_logits(logits), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        dist = tfd.OneHotCategorical(logits=logits, dtype=logits.dtype)
        # Gumbel-max (chapter 2) rather than dist.sample: TensorFlow's stateless categorical
        # kernel draws different samples with a different number of threads.
        tiled = tf.broadcast_to(logits, tf.concat([[num_samples], tf.shape(logits)], axis=0))
        z = tf.stop_gradient(gumbel_max(tiled, seed=seed))  # [S, ..., K]
        values = tf.stop_gradient(f(z))  # [S, ...]
        if baseline == "leave_one_out":
            others = (tf.reduce_sum(values, axis=0, keepdims=True) - values) / (num_samples - 1)
            values = values - others
        log_prob = dist.log_prob(z)  # summed over the D variables of [S, R, D, K] (chapter 12)
        log_prob = tf.reduce_sum(log_prob, axis=list(range(values.shape.rank, log_prob.shape.rank)))
        surrogate = tf.reduce_mean(values * log_prob, axis=0)
    return tape.gradient(surrogate, logits)


def gumbel_softmax_gradient(
    f: Objective,
    logits: Any,
    temperature: Any,
    num_samples: int,
    hard: bool = False,
    seed: Seed = None,
) -> tf.Tensor:
    """Pathwise estimate through Gumbel-softmax samples (chapter 4).

    ``mean_s grad f(y_s)`` with ``y_s = gumbel_softmax(logits, temperature)``: the relaxed
    (Concrete) estimator for ``hard=False``, which is the exact gradient of the *relaxed*
    objective ``E[f(y)]`` and therefore biased for the discrete one; the straight-through
    estimator for ``hard=True``, which evaluates ``f`` at the one-hot sample but backpropagates
    the relaxed sample's gradient (biased too).
    """
    check_callable(f, "f")
    num_samples = check_positive_int(num_samples, "num_samples")
    logits = tf.cast(check_logits(logits), tf.float32)
    check_temperature(temperature)
    check_seed(seed)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        tiled = tf.broadcast_to(logits, tf.concat([[num_samples], tf.shape(logits)], axis=0))
        y = gumbel_softmax(tiled, temperature, hard=hard, seed=seed)  # [S, ..., K]
        objective = tf.reduce_mean(f(y), axis=0)
    return tape.gradient(objective, logits)


@dataclasses.dataclass(frozen=True)
class BiasVariance:
    """Squared bias and variance of R gradient estimates, summed over the K components (chapter 4).

    ``bias_squared = sum_k (mean_r g_rk - exact_k)^2`` and ``variance = sum_k var_r(g_rk)`` (the
    variance of one estimate, ``ddof=1``). ``noise_floor = variance / R`` is what
    ``bias_squared`` averages to for an *unbiased* estimator, from the finite R alone.
    ``max_z`` is the largest ``|mean_r g_rk - exact_k|`` in units of that component's standard
    error: for an unbiased estimator each is roughly standard normal, so a test of unbiasedness
    can ask that none exceed 4.
    ``mse = bias_squared + variance`` is the mean squared error of one estimate.
    """

    bias_squared: float
    variance: float
    noise_floor: float
    repetitions: int
    max_z: float

    @property
    def mse(self) -> float:
        return self.bias_squared + self.variance


def bias_variance(estimates: Any, exact: Any) -> BiasVariance:
    """Summarize ``R`` estimates of shape ``[R, K]`` against the exact gradient of shape ``[K]`` (chapter 4)."""
    estimates = check_finite(estimates, "estimates").astype(np.float64)
    exact = check_finite(exact, "exact").astype(np.float64)
    if estimates.ndim != 2 or estimates.shape[0] < 2:
        raise ValueError(f"estimates must have shape [R, K] with R >= 2, got {estimates.shape}")
    if exact.shape != estimates.shape[1:]:
        raise ValueError(f"exact must have shape {estimates.shape[1:]}, got {exact.shape}")
    repetitions = estimates.shape[0]
    error = np.abs(estimates.mean(axis=0) - exact)
    component_variance = estimates.var(axis=0, ddof=1)
    standard_error = np.sqrt(component_variance / repetitions)
    z = np.divide(error, standard_error, out=np.where(error > 0, np.inf, 0.0), where=standard_error > 0)
    variance = float(np.sum(component_variance))
    return BiasVariance(float(np.sum(error**2)), variance, variance / repetitions, repetitions, float(np.max(z)))


# Chapter 12: every categorical estimator as estimate(f, logits, num_samples, seed, **settings).
ONCE = lambda s, k, d: s  # noqa: E731  (one evaluation of f per sample)
CATEGORICAL_ESTIMATORS: Mapping[str, Estimator] = MappingProxyType({
    "REINFORCE": Estimator(adapt(categorical_score_function_gradient), True, ONCE),
    "REINFORCE + LOO": Estimator(adapt(categorical_score_function_gradient, baseline="leave_one_out"), True, ONCE, min_samples=2),
    "relaxed GS": Estimator(adapt(gumbel_softmax_gradient, True), False, ONCE, True),
    "straight-through": Estimator(adapt(gumbel_softmax_gradient, True, hard=True), False, ONCE, True),
    "REBAR": Estimator(rebar_gradient, True, lambda s, k, d: 3 * s, True),
    "RELAX": Estimator(relax_gradient, True, lambda s, k, d: 3 * s, True),
    "Gumbel-Rao": Estimator(gumbel_rao_gradient, False, ONCE, True),
    "ReinMax": Estimator(reinmax_gradient, False, ONCE, True),
    "DisARM": Estimator(disarm_gradient, True, lambda s, k, d: 2 * s, binary=True),
    "ARSM": Estimator(arsm_gradient, True, lambda s, k, d: s * (k * (k - 1) // 2 + 1)),
    "IndeCateR": Estimator(indecater_gradient, True, lambda s, k, d: s * d * k),
    "unordered set": Estimator(over_outcomes(unordered_set_gradient, baseline="within_set"), True,
                               lambda s, k, d: min(s, k**d), min_samples=2),
})
