"""What every categorical gradient estimator shares (chapters 4 and 12).

The problem: ``logits`` of shape ``[R, K]`` (R rows, one categorical variable each) or
``[R, D, K]`` (D independent categorical variables per row), and an objective ``f`` that maps
one-hot or relaxed vectors ``[S, R, (D,) K]`` to values ``[S, R]``. An estimator spends
``num_samples`` samples S on each row and returns one independent estimate of the gradient of
``E[f(z)]`` per row, shaped like ``logits``. Inside, every estimator works on ``[R, D, K]`` (D = 1
for flat logits) and calls ``f`` through :func:`on_variables`, which drops the D axis again.
This module holds the shared checks, the exact gradient by enumeration, the record of the
estimator registry and three test objectives; the registry itself is
``gumbel_tutorial.estimators.CATEGORICAL_ESTIMATORS``.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .checks import (
    Seed, check_callable, check_finite, check_logits, check_positive_int, check_temperature,
)
from .runtime import tf, tfd, tfp
from .seeds import check_seed

Objective = Callable[[tf.Tensor], tf.Tensor]
MAX_OUTCOMES = 100_000  # K**D outcomes that exact_gradient may enumerate


@dataclasses.dataclass(frozen=True)
class Estimator:
    """One entry of ``CATEGORICAL_ESTIMATORS`` (chapter 12).

    ``estimate(f, logits, num_samples, seed, **settings)`` returns one estimate per row;
    ``unbiased`` says whether its mean is the exact gradient for every setting;
    ``evaluations(num_samples, K, D)`` is how many times one estimate evaluates ``f`` (the
    pathwise estimators also backpropagate through each evaluation). ``temperature`` says
    whether it takes a ``temperature`` setting, ``binary`` whether it needs K = 2, and
    ``min_samples`` is the fewest samples it can use.
    """

    estimate: Callable[..., tf.Tensor]
    unbiased: bool
    evaluations: Callable[[int, int, int], int]
    temperature: bool = False
    binary: bool = False
    min_samples: int = 1


@functools.lru_cache(maxsize=256)
def on_variables(f: Objective, flat: bool) -> Objective:
    """``f`` as a function of ``[S, R, D, K]``: for flat logits (``flat``) the D axis of length 1
    is dropped before ``f`` sees it. Cached, so that ``tf.function`` sees the same object."""
    return (lambda z: f(z[..., 0, :])) if flat else f


class Problem(NamedTuple):
    """Checked arguments of an estimator (chapter 12): ``f`` on ``[S, R, D, K]``, float32
    ``logits`` ``[R, D, K]``, ``num_samples``, a stateless ``seed`` tensor, and whether the
    caller's logits were flat ``[R, K]``."""

    f: Objective
    logits: tf.Tensor
    num_samples: int
    seed: tf.Tensor
    flat: bool

    def shaped(self, gradient: tf.Tensor) -> tf.Tensor:
        """A gradient ``[R, D, K]`` in the shape of the caller's logits."""
        return gradient[:, 0] if self.flat else gradient


def check_problem(f: Any, logits: Any, num_samples: Any, seed: Seed) -> Problem:
    """Check an estimator's arguments (chapter 12): ``f`` callable, ``logits`` finite (no
    ``-inf`` either) of shape ``[R, K]`` or ``[R, D, K]``, ``num_samples`` an int >= 1 and a
    seed in TFP's convention; every failure is a ``ValueError`` naming the argument.
    """
    check_callable(f, "f")
    num_samples = check_positive_int(num_samples, "num_samples")
    check_seed(seed)
    logits = check_logits(logits)
    if logits.shape.rank not in (2, 3):
        raise ValueError(f"logits must have shape [R, K] or [R, D, K], got shape {logits.shape}")
    check_finite(logits, "logits")
    flat = logits.shape.rank == 2
    logits = tf.cast(logits[:, None, :] if flat else logits, tf.float32)
    return Problem(on_variables(f, flat), logits, num_samples, tfp.random.sanitize_seed(seed), flat)


def check_setting(temperature: Any) -> tf.Tensor:
    """A temperature setting, checked (finite, > 0) and as a float32 tensor (chapter 12)."""
    return tf.constant(check_temperature(temperature), tf.float32)


def tiled(logits: tf.Tensor, num_samples: int) -> tf.Tensor:
    """``logits`` repeated ``num_samples`` times along a new leading axis."""
    return tf.broadcast_to(logits, tf.concat([[num_samples], tf.shape(logits)], axis=0))


def softmax_vjp(probs: tf.Tensor, upstream: tf.Tensor) -> tf.Tensor:
    """``J^T upstream`` for the softmax Jacobian ``J = diag(p) - p p^T``: ``p * (v - <p, v>)``."""
    return probs * (upstream - tf.reduce_sum(probs * upstream, axis=-1, keepdims=True))


def adapt(estimate: Callable[..., tf.Tensor], temperature: bool = False, **fixed: Any) -> Callable[..., tf.Tensor]:
    """Chapter 4's estimators behind the registry's signature, compiled (chapter 12).

    The returned ``estimate(f, logits, num_samples, seed=None, **settings)`` checks its
    arguments like :func:`check_problem` and passes the fixed and given settings by keyword.
    """
    compiled = tf.function(estimate, autograph=False)

    def adapted(f: Objective, logits: Any, num_samples: int, seed: Seed = None, **settings: Any) -> tf.Tensor:
        problem = check_problem(f, logits, num_samples, seed)
        if temperature:
            settings["temperature"] = check_setting(settings.get("temperature", 1.0))
        return compiled(f, problem.shaped(problem.logits), num_samples=problem.num_samples,
                        seed=problem.seed, **fixed, **settings)

    adapted.__doc__ = f"{estimate.__name__} with {fixed or 'its defaults'}, compiled (chapter 12)."
    return adapted


def outcome_index(categories: int, variables: int) -> np.ndarray:
    """Every one of the K**D outcomes of D variables with K categories, as category indices
    ``[K**D, D]`` (chapter 12); a ``ValueError`` beyond ``MAX_OUTCOMES``."""
    if categories**variables > MAX_OUTCOMES:
        raise ValueError(f"logits must have at most {MAX_OUTCOMES} outcomes K**D, got {categories}**{variables}")
    return np.array(list(itertools.product(range(categories), repeat=variables)))


def over_outcomes(estimate: Callable[..., tf.Tensor], **fixed: Any) -> Callable[..., tf.Tensor]:
    """An estimator of one categorical variable, ``estimate(f, logits [R, N], num_samples,
    seed=..., **fixed)``, behind the registry's signature: D independent variables become one
    variable over their N = K**D joint outcomes, whose logits are sums of theirs, so its
    softmax is their product (chapter 12, for chapter 11's unordered set estimator). It draws
    at most N samples: an estimator without replacement has no more to draw."""

    def joint(f: Objective, logits: Any, num_samples: int, seed: Seed = None) -> tf.Tensor:
        problem = check_problem(f, logits, num_samples, seed)
        _, variables, categories = problem.logits.shape
        index = outcome_index(categories, variables)
        outcomes = tf.one_hot(index, categories)  # [N, D, K]
        with tf.GradientTape() as tape:
            tape.watch(problem.logits)
            joint_logits = tf.einsum("rdk,ndk->rn", problem.logits, outcomes)

        def f_joint(z: tf.Tensor) -> tf.Tensor:  # one-hot [S, R, N] -> [S, R]
            return problem.f(tf.einsum("srn,ndk->srdk", z, outcomes))

        samples = min(problem.num_samples, len(index))
        gradient = estimate(f_joint, joint_logits, samples, seed=problem.seed, **fixed)
        return problem.shaped(tape.gradient(joint_logits, problem.logits, output_gradients=gradient))

    joint.__doc__ = f"{estimate.__name__} with {fixed or 'its defaults'}, over joint outcomes (chapter 12)."
    return joint


def exact_gradient(f: Objective, logits: Any) -> tuple[tf.Tensor, tf.Tensor]:
    """``E[f(z)]`` and its gradient for logits ``[R, D, K]`` by enumerating all K**D outcomes
    (chapter 12; chapter 4 enumerated the K outcomes of one variable).

    ``f`` maps ``[N, R, D, K]`` to ``[N, R]``; the log-probability of an outcome is the sum of
    ``tfd.OneHotCategorical`` log-probabilities over the D variables.
    """
    check_callable(f, "f")
    logits = tf.cast(check_logits(logits), tf.float32)
    if logits.shape.rank != 3:
        raise ValueError(f"logits must have shape [R, D, K], got shape {logits.shape}")
    rows, variables, categories = logits.shape
    index = outcome_index(categories, variables)
    outcomes = tf.one_hot(index, categories)[:, None]  # [N, 1, D, K]
    values = f(tf.broadcast_to(outcomes, [len(index), rows, variables, categories]))  # [N, R]
    with tf.GradientTape() as tape:
        tape.watch(logits)
        log_probs = tfd.OneHotCategorical(logits=logits).log_prob(outcomes)  # [N, R, D]
        objective = tf.reduce_sum(tf.exp(tf.reduce_sum(log_probs, axis=-1)) * values, axis=0)
    return objective, tape.gradient(objective, logits)


def quadratic(target: Any) -> Objective:
    """``f(z) = sum (z - t)^2`` over the last ``target.ndim`` axes (chapters 4 and 12)."""
    target = tf.constant(target, tf.float32)
    axes = list(range(-target.shape.rank, 0))
    return lambda z: tf.reduce_sum((z - target) ** 2, axis=axes)


def cubic(target: Any) -> Objective:
    """``f(z) = sum |z - t|^3``: on the corners like a quadratic, but not one (chapters 4 and 12)."""
    target = tf.constant(target, tf.float32)
    axes = list(range(-target.shape.rank, 0))
    return lambda z: tf.reduce_sum(tf.abs(z - target) ** 3, axis=axes)


def random_mlp(shape: tuple[int, ...], hidden: int = 16, seed: int = 0) -> Objective:
    """A fixed random network ``tanh`` layer -> scalar on inputs of ``shape`` (``(K,)`` or
    ``(D, K)``): a smooth objective that couples the variables (chapter 12)."""
    size = int(np.prod(shape))
    generator = np.random.default_rng(seed)
    w1 = tf.constant(generator.normal(0, 2 / np.sqrt(size), (size, hidden)), tf.float32)
    b1 = tf.constant(generator.normal(0, 0.5, hidden), tf.float32)
    w2 = tf.constant(generator.normal(0, 1 / np.sqrt(hidden), hidden), tf.float32)

    def f(z: tf.Tensor) -> tf.Tensor:
        flat = tf.reshape(z, tf.concat([tf.shape(z)[: -len(shape)], [size]], axis=0))
        return tf.tensordot(tf.tanh(tf.tensordot(flat, w1, axes=1) + b1), w2, axes=1)

    return f
