"""Coupled samples: DisARM for binary variables and ARSM for categorical ones (chapter 12).

Chapter 4's leave-one-out baseline drew its samples independently. These estimators draw them
*coupled*, from one shared uniform noise, so that most pairs agree and the differences
``f(z) - f(z')`` that carry the gradient are small. DisARM (Dong, Mnih and Tucker, 2020) pairs a
binary sample ``b = [u < sigmoid(a)]`` with its antithetic twin ``b' = [1 - u < sigmoid(a)]``.
ARSM (Yin, Yue and Zhou, 2019) draws one Dirichlet vector ``pi`` and the K(K-1)/2 samples made by
swapping two of its entries; the argmin of ``pi_i exp(-logits_i)`` is an exact categorical
sample (exponential races: chapter 2's Gumbel-max with ``-log`` of exponentials).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .categorical import Objective, check_problem
from .checks import Seed
from .runtime import tf


def disarm_core(f: Objective, logits: tf.Tensor, num_samples: int,
                seed: tf.Tensor) -> tf.Tensor:
    """One DisARM estimate per row of binary ``logits`` ``[R, D, 2]``, ``f`` on
    ``[S, R, D, 2]``."""
    a = logits[..., 1] - logits[..., 0]  # log-odds of category 1, [R, D]
    u = tf.random.stateless_uniform(
        tf.concat([[num_samples], tf.shape(a)], axis=0), seed)
    b = tf.cast(u < tf.sigmoid(a), tf.int32)  # the sample
    b_twin = tf.cast(1 - u < tf.sigmoid(a), tf.int32)  # its antithetic twin
    difference = f(tf.one_hot(b, 2)) - f(tf.one_hot(b_twin, 2))  # [S, R]
    sign = tf.cast(1 - 2 * b_twin, tf.float32)  # (-1)^b'
    disagree = tf.cast(b != b_twin, tf.float32)
    by_log_odds = 0.5 * difference[..., None] * sign * disagree * tf.sigmoid(tf.abs(a))
    by_log_odds = tf.reduce_mean(by_log_odds, axis=0)  # [R, D]
    return tf.stack([-by_log_odds, by_log_odds], axis=-1)  # d a / d logits = (-1, 1)


_disarm = tf.function(disarm_core, autograph=False)


def disarm_gradient(f: Objective, logits: Any, num_samples: int, seed: Seed = None) -> tf.Tensor:
    """DisARM (Dong et al., 2020), compiled: unbiased, for K = 2 only; ``num_samples`` pairs,
    two evaluations of ``f`` each (chapter 12)."""
    problem = check_problem(f, logits, num_samples, seed)
    if problem.logits.shape[-1] != 2:
        raise ValueError(f"logits must have 2 categories for DisARM, got {problem.logits.shape[-1]}")
    return problem.shaped(_disarm(problem.f, problem.logits, problem.num_samples, problem.seed))


def swaps(categories: int) -> tuple[np.ndarray, np.ndarray]:
    """ARSM's swaps of K entries: the permutation of each (row 0 the identity, then one per pair
    ``c < j``) ``[P, K]``, and the index ``[K, K]`` of the permutation that swaps ``c`` and ``j``."""
    first, second = np.triu_indices(categories, k=1)
    permutations = np.tile(np.arange(categories), (len(first) + 1, 1))
    rows = np.arange(1, len(first) + 1)
    permutations[rows, first], permutations[rows, second] = second, first
    index = np.zeros((categories, categories), np.int32)
    index[first, second] = index[second, first] = rows
    return permutations, index


def arsm_core(f: Objective, logits: tf.Tensor, num_samples: int,
              seed: tf.Tensor) -> tf.Tensor:
    """One ARSM estimate per row of ``logits`` ``[R, D, K]``, ``f`` on
    ``[S, R, D, K]``."""
    categories = logits.shape[-1]
    permutations, index = swaps(categories)
    shape = tf.concat([[num_samples], tf.shape(logits)], axis=0)
    exponentials = -tf.math.log(tf.random.stateless_uniform(shape, seed, minval=1e-30))
    # Dirichlet(1,..,1)
    pi = exponentials / tf.reduce_sum(exponentials, axis=-1, keepdims=True)
    swapped = tf.gather(tf.math.log(pi), permutations, axis=-1)  # [S, R, D, P, K]
    z = tf.one_hot(tf.argmin(swapped - logits[..., None, :], axis=-1), categories)
    # [P, S, R, D, K]: every variable swapped alike
    z = tf.transpose(z, [3, 0, 1, 2, 4])
    values = f(tf.reshape(z, tf.concat([[-1], shape[1:]], axis=0)))  # [P * S, R]
    values = tf.reshape(values, [len(permutations), num_samples, -1])
    # f(z^(c<->j)), [S,R,K,K]
    by_swap = tf.transpose(tf.gather(values, index), [2, 3, 0, 1])
    # minus mean over c
    centered = by_swap - tf.reduce_mean(by_swap, axis=-2, keepdims=True)
    weights = 1.0 / categories - pi  # [S, R, D, K(j)]
    return tf.reduce_mean(tf.einsum("srcj,srdj->srdc", centered, weights), axis=0)


_arsm = tf.function(arsm_core, autograph=False)


def arsm_gradient(f: Objective, logits: Any, num_samples: int, seed: Seed = None) -> tf.Tensor:
    """ARSM (Yin et al., 2019), compiled: unbiased; ``K(K-1)/2 + 1`` evaluations of ``f`` per
    sample, whatever the number of variables D (chapter 12)."""
    problem = check_problem(f, logits, num_samples, seed)
    return problem.shaped(_arsm(problem.f, problem.logits, problem.num_samples, problem.seed))
