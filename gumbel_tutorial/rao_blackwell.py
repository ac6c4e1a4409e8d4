"""Rao-Blackwellized estimators: average out part of the noise exactly or by conditioning (chapter 12).

Conditioning an estimator on part of its randomness keeps its mean and never raises its variance
(the Rao-Blackwell theorem). Gumbel-Rao (Paulus, Maddison and Krause, 2021) conditions chapter 3's
straight-through estimator on the sample ``z``: it averages the relaxed sample's Jacobian over
noise drawn *given* ``z`` (:mod:`gumbel_tutorial.conditional_gumbel`), with ``f`` still evaluated
once, at ``z``. The Jacobian is straight-through's, ``d softmax((logits + g) / tau) / d logits``
at the conditional noise ``g``: the conditional sampler itself is not differentiated (doing so
gives another estimator, with a different mean). IndeCateR (De Smet et al., 2023) sums one
variable at a time over all its K values, with the other D - 1 variables sampled: for one
variable (D = 1) that is chapter 4's exact gradient.
"""

from __future__ import annotations

from typing import Any

from .categorical import Objective, check_problem, check_setting, softmax_vjp, tiled
from .checks import Seed, check_positive_int
from .conditional_gumbel import conditional_gumbel
from .gumbel import gumbel_max, sample_gumbel
from .runtime import tf, tfp


@tf.custom_gradient
def pass_through(hard: tf.Tensor, relaxed: tf.Tensor) -> tuple[tf.Tensor, Any]:
    """``hard`` forward, exactly; the upstream gradient goes to ``relaxed`` (straight-through)."""

    def grad(upstream: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return tf.zeros_like(upstream), upstream

    return tf.identity(hard), grad


def gumbel_rao_core(f: Objective, logits: tf.Tensor, num_samples: int, seed: tf.Tensor,
                    temperature: tf.Tensor, num_conditional: int) -> tf.Tensor:
    """One Gumbel-Rao estimate per row of ``logits`` ``[R, D, K]``, ``f`` on
    ``[S, R, D, K]``."""
    noise_seed, conditional_seed = tfp.random.split_seed(seed, n=2)
    g = sample_gumbel(tf.concat([[num_samples], tf.shape(logits)], axis=0),
                      seed=noise_seed)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        log_p = tf.nn.log_softmax(logits)
        # the exact sample
        z = tf.one_hot(tf.argmax(log_p + g, axis=-1), tf.shape(logits)[-1])
        # M draws of u ~ p(u | z), [M, S, R, D, K], each differentiated as
        # u = logits + noise with the noise held fixed, as straight-through does;
        # then their mean relaxed sample
        u_given_z = conditional_gumbel(log_p, z, seed=conditional_seed,
                                       num_samples=num_conditional)
        u_given_z = log_p + tf.stop_gradient(u_given_z - log_p)
        relaxed = tf.reduce_mean(tf.nn.softmax(u_given_z / temperature), axis=0)
        objective = tf.reduce_mean(f(pass_through(z, relaxed)), axis=0)  # f at z, once
    return tape.gradient(objective, logits)


_gumbel_rao = tf.function(gumbel_rao_core, autograph=False)


def gumbel_rao_gradient(f: Objective, logits: Any, num_samples: int, seed: Seed = None,
                        temperature: Any = 1.0, num_conditional: int = 10) -> tf.Tensor:
    """Gumbel-Rao (Paulus et al., 2021), compiled: straight-through with its relaxed sample
    averaged over ``num_conditional`` draws of the noise given the sample (chapter 12).

    Biased like straight-through, with the same mean; one conditional draw is distributed
    exactly as straight-through, and more draws lower the variance.
    """
    problem = check_problem(f, logits, num_samples, seed)
    num_conditional = check_positive_int(num_conditional, "num_conditional")
    gradient = _gumbel_rao(problem.f, problem.logits, problem.num_samples, problem.seed,
                           check_setting(temperature), num_conditional)
    return problem.shaped(gradient)


def indecater_core(f: Objective, logits: tf.Tensor, num_samples: int,
                   seed: tf.Tensor) -> tf.Tensor:
    """One IndeCateR estimate per row of ``logits`` ``[R, D, K]``, ``f`` on
    ``[S, R, D, K]``."""
    _, variables, categories = logits.shape
    z = gumbel_max(tiled(logits, num_samples), seed=seed)  # [S, R, D, K]
    # For every variable d and value k, the samples with variable d set to k:
    # [D, K, S, R, D, K].
    which = tf.reshape(tf.eye(variables), [variables, 1, 1, 1, variables, 1])
    value = tf.reshape(tf.eye(categories), [1, categories, 1, 1, 1, categories])
    changed = z * (1.0 - which) + which * value
    values = f(tf.reshape(changed, tf.concat([[-1], tf.shape(z)[1:]], axis=0)))
    values = tf.reduce_mean(
        tf.reshape(values, [variables, categories, num_samples, -1]), axis=2)
    # sum_k E[f | z_d = k] * d p_d(k): chapter 4's exact gradient, variable by variable.
    return softmax_vjp(tf.nn.softmax(logits), tf.transpose(values, [2, 0, 1]))


_indecater = tf.function(indecater_core, autograph=False)


def indecater_gradient(f: Objective, logits: Any, num_samples: int, seed: Seed = None) -> tf.Tensor:
    """IndeCateR (De Smet et al., 2023), compiled: unbiased, ``num_samples * D * K`` evaluations
    of ``f``; exact for one variable (chapter 12)."""
    problem = check_problem(f, logits, num_samples, seed)
    return problem.shaped(_indecater(problem.f, problem.logits, problem.num_samples, problem.seed))
