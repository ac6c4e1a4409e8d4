"""Gumbel noise, the Gumbel-max trick, Gumbel-softmax and straight-through (chapters 2 and 3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import (
    Seed, check_bool, check_choice, check_logits, check_shape, check_temperature,
)
from .runtime import tf, tfd, tfp
from .seeds import check_seed

ALGORITHMS = ("auto_select", "philox", "threefry")


def sample_gumbel(
    shape: Any, seed: Seed = None, dtype: tf.DType = tf.float32, alg: str = "auto_select"
) -> tf.Tensor:
    """Standard Gumbel noise by inverse transform, ``-log(-log(U))`` (chapter 2).

    ``U`` is uniform on ``(tiny, 1)`` so neither logarithm sees 0. The seed follows TFP's
    convention: ``None`` or an int draws statefully, a pair of ints is stateless. For the same
    stateless seed and the default ``alg`` this is exactly the noise that
    ``RelaxedOneHotCategorical`` adds to its logits. ``alg`` picks TensorFlow's random-number
    algorithm; inside XLA on a CPU, an explicit ``"philox"`` is about 6 times faster than the
    default (chapter 5).
    """
    check_shape(shape)
    check_seed(seed)
    check_choice(alg, "alg", ALGORITHMS)
    try:
        dtype = tf.as_dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype must be a floating TensorFlow dtype, got {dtype!r}") from exc
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating TensorFlow dtype, got {dtype.name}")
    uniform = tf.random.stateless_uniform(
        shape,
        seed=tfp.random.sanitize_seed(seed),
        minval=np.finfo(dtype.as_numpy_dtype).tiny,
        maxval=1.0,
        dtype=dtype,
        alg=alg,
    )
    return -tf.math.log(-tf.math.log(uniform))


def gumbel_max(logits: Any, seed: Seed = None, alg: str = "auto_select") -> tf.Tensor:
    """Exact categorical sample as a one-hot tensor shaped like ``logits`` (chapter 2).

    ``one_hot(argmax(logits + g))`` with ``g`` standard Gumbel noise drawn with ``alg``.
    """
    logits = check_logits(logits)
    check_seed(seed)
    noise = sample_gumbel(tf.shape(logits), seed=seed, dtype=logits.dtype, alg=alg)
    index = tf.argmax(logits + noise, axis=-1)
    return tf.one_hot(index, depth=tf.shape(logits)[-1], dtype=logits.dtype)


@tf.custom_gradient
def _straight_through(relaxed: tf.Tensor) -> tuple[tf.Tensor, Any]:
    hard = tf.one_hot(tf.argmax(relaxed, axis=-1), depth=tf.shape(relaxed)[-1], dtype=relaxed.dtype)

    def grad(upstream: tf.Tensor) -> tf.Tensor:
        return upstream

    return hard, grad


def straight_through(relaxed: tf.Tensor) -> tf.Tensor:
    """One-hot of the largest entry forward, identity gradient backward (chapter 3).

    The forward value is exactly one-hot (no ``y + stop_gradient(h - y)`` rounding), and the
    gradient is that of the relaxed sample. ``relaxed`` must be a floating array with a last
    axis of at least 2 categories.
    """
    check_logits(relaxed, "relaxed")
    return _straight_through(tf.convert_to_tensor(relaxed))


def gumbel_softmax(
    logits: Any, temperature: Any, hard: bool = False, seed: Seed = None
) -> tf.Tensor:
    """A relaxed one-hot sample from ``RelaxedOneHotCategorical`` (chapter 3).

    Equation (4) of Kusner and Hernández-Lobato (2016): ``softmax((logits + g) / temperature)``.
    With ``hard=True`` the forward pass is exactly one-hot and the gradient is the relaxed one
    (the straight-through Gumbel-softmax estimator).
    """
    logits = check_logits(logits)
    temperature = check_temperature(temperature)
    check_bool(hard, "hard")
    check_seed(seed)
    temperature = tf.cast(temperature, logits.dtype)
    sample = tfd.RelaxedOneHotCategorical(temperature, logits=logits).sample(seed=seed)
    return straight_through(sample) if hard else sample


def truncated_gumbel(locations: Any, upper: Any, seed: Seed = None) -> tf.Tensor:
    """``Gumbel(locations)`` samples conditioned on being at most ``upper``: ``-log(exp(-g) +
    exp(-upper))`` of a free sample ``g``, written as ``upper - softplus(upper - g)`` (chapter 11)."""
    locations, upper = tf.cast(locations, tf.float64), tf.cast(upper, tf.float64)
    g = locations + sample_gumbel(tf.shape(locations), seed=seed, dtype=tf.float64)
    return upper - tf.nn.softplus(upper - g)
