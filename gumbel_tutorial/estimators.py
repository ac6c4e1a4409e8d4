"""Gradient estimators for an expectation ``E_q[f(z)]`` (chapter 1; discrete ones in chapter 4).

Every estimator is vectorized over a batch of parameters: pass ``loc``/``scale`` with a leading
batch axis of size ``R`` (copies of the same value) and you get ``R`` independent estimates in one
call, which is how the chapters measure variance over many repetitions.
"""

from __future__ import annotations

from collections.abc import Callable

from .checks import Seed, check_positive_int
from .runtime import tf, tfd

Objective = Callable[[tf.Tensor], tf.Tensor]


def _gaussian(loc: tf.Tensor, scale: tf.Tensor) -> tfd.Normal:
    return tfd.Normal(loc=loc, scale=scale)


def pathwise_gradient(
    f: Objective, loc: tf.Tensor, scale: tf.Tensor, num_samples: int, seed: Seed = None
) -> tuple[tf.Tensor, tf.Tensor]:
    """Reparameterized (pathwise) estimate of the gradient of ``E[f(z)]``, ``z ~ N(loc, scale²)`` (chapter 1).

    ``tfd.Normal`` samples as ``loc + scale * eps``, so the tape differentiates through the sample.
    Returns the gradients with respect to ``loc`` and ``scale``, each shaped like ``loc``.
    """
    num_samples = check_positive_int(num_samples, "num_samples")
    loc = tf.convert_to_tensor(loc, tf.float32)
    scale = tf.convert_to_tensor(scale, tf.float32)
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
    num_samples = check_positive_int(num_samples, "num_samples")
    loc = tf.convert_to_tensor(loc, tf.float32)
    scale = tf.convert_to_tensor(scale, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch([loc, scale])
        dist = _gaussian(loc, scale)
        z = tf.stop_gradient(dist.sample(num_samples, seed=seed))
        surrogate = tf.reduce_sum(tf.reduce_mean(f(z) * dist.log_prob(z), axis=0))
    grad_loc, grad_scale = tape.gradient(surrogate, [loc, scale])
    return grad_loc, grad_scale
