"""ReinMax (Liu et al., 2023): straight-through with a second-order correction (chapter 12).

The exact gradient of ``E[f(z)]`` is a sum of differences ``f(e_i) - f(e_j)`` over pairs of
outcomes. Straight-through replaces each difference by a first-order Taylor step from one end
(the forward Euler rule); ReinMax averages the slopes at both ends (Heun's rule, the trapezoid),
which is exact when ``f`` is quadratic. In terms of the sample ``z ~ Cat(p)`` and the softmax
Jacobian ``J(q) = diag(q) - q q^T``, one sample gives

    g = 2 J(q)^T grad f(z) - J(p)^T grad f(z) / 2,   q = (z + softmax(logits / temperature)) / 2.
"""

from __future__ import annotations

from typing import Any

from .categorical import Objective, check_problem, check_setting, softmax_vjp, tiled
from .checks import Seed
from .gumbel import gumbel_max
from .runtime import tf


def reinmax_at(f: Objective, logits: tf.Tensor, z: tf.Tensor,
               temperature: tf.Tensor) -> tf.Tensor:
    """ReinMax's estimate for each given one-hot sample ``z`` ``[S, R, D, K]``
    (chapter 12)."""
    with tf.GradientTape() as tape:
        tape.watch(z)
        values = f(z)
    slope = tape.gradient(values, z)  # grad f(z), one per sample
    p = tf.nn.softmax(logits)
    q = (z + tf.nn.softmax(logits / temperature)) / 2
    return 2 * softmax_vjp(q, slope) - softmax_vjp(p, slope) / 2


def reinmax_core(f: Objective, logits: tf.Tensor, num_samples: int, seed: tf.Tensor,
                 temperature: tf.Tensor) -> tf.Tensor:
    """One ReinMax estimate per row of ``logits`` ``[R, D, K]``: the mean over S samples."""
    z = gumbel_max(tiled(logits, num_samples), seed=seed)
    return tf.reduce_mean(reinmax_at(f, logits, z, temperature), axis=0)


_reinmax = tf.function(reinmax_core, autograph=False)


def reinmax_gradient(f: Objective, logits: Any, num_samples: int, seed: Seed = None,
                     temperature: Any = 1.0) -> tf.Tensor:
    """ReinMax (Liu et al., 2023), compiled; biased, but at ``temperature`` 1 its mean is the
    exact gradient whenever ``f`` is quadratic (chapter 12). The paper recommends
    ``temperature >= 1``."""
    problem = check_problem(f, logits, num_samples, seed)
    gradient = _reinmax(problem.f, problem.logits, problem.num_samples, problem.seed,
                        check_setting(temperature))
    return problem.shaped(gradient)
