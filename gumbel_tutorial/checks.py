"""Argument checks shared by the package: every bad input names the argument and the allowed range."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np

from .runtime import tf

Seed = Any  # None, a Python int (stateful) or a pair of ints / int32[2] tensor (stateless)


def check_logits(logits: Any, name: str = "logits") -> tf.Tensor:
    """Return ``logits`` as a floating tensor whose last axis holds at least 2 categories.

    Concrete logits must not hold NaN or ``+inf`` (``-inf`` marks a category of probability 0);
    symbolic ones are checked for dtype and static shape only.
    """
    if isinstance(logits, tf.Tensor | tf.Variable):
        tensor = tf.convert_to_tensor(logits)
    else:
        if isinstance(logits, str | bytes) or logits is None:
            raise ValueError(f"{name} must be an array of floating logits, got {logits!r}")
        try:
            array = np.asarray(logits)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise ValueError(f"{name} must be an array of floating logits, got {logits!r}") from exc
        if array.dtype.kind not in "f":
            raise ValueError(
                f"{name} must have a floating dtype (float16/32/64), got {array.dtype}"
            )
        tensor = tf.convert_to_tensor(array)
    if not tensor.dtype.is_floating:
        raise ValueError(f"{name} must have a floating dtype (float16/32/64), got {tensor.dtype.name}")
    if tensor.shape.rank == 0:
        raise ValueError(f"{name} must have at least one axis (the categories), got a scalar")
    categories = tensor.shape[-1]
    if categories is not None and categories < 2:
        raise ValueError(f"{name} must have a last axis of at least 2 categories, got {categories}")
    if not is_symbolic(tensor):
        values = tensor.numpy()
        if np.any(np.isnan(values)) or np.any(values == np.inf):
            raise ValueError(f"{name} must not hold NaN or +inf (-inf marks an impossible category), got {show(values)}")
    return tensor


def is_symbolic(value: Any) -> bool:
    """True for a tensor or variable without a value yet: one traced inside ``tf.function``.

    Such a value can only be checked by ops in the graph, which this package does not add (they
    raise ``InvalidArgumentError`` in a plain graph and are dropped under XLA); its dtype and
    static shape can still be checked in Python.
    """
    if isinstance(value, tf.Variable):
        return not tf.executing_eagerly()
    return isinstance(value, tf.Tensor) and tf.is_symbolic_tensor(value)


def show(value: Any, limit: int = 200) -> str:
    """``repr(value)``, shortened for large arrays and lists."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...)"


def _real_array(value: Any, name: str, allowed: str) -> np.ndarray:
    """``value`` as a NumPy array of real numbers; bools, strings, None and objects raise ``ValueError``."""
    if isinstance(value, bool | np.bool_ | str | bytes) or value is None:
        raise ValueError(f"{name} must be {allowed}, got {show(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists, unconvertible objects
        raise ValueError(f"{name} must be {allowed}, got {show(value)}") from exc
    if array.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be {allowed}, got {show(value)} (dtype {array.dtype})")
    return array


def check_finite(
    value: Any, name: str, *, positive: bool = False, allow_empty: bool = False
) -> np.ndarray | None:
    """Check that a concrete ``value`` is an array of finite real numbers (all > 0 if ``positive``).

    Python numbers, NumPy values, lists, eager tensors and variables are checked here, in Python,
    and come back as a NumPy array; anything else (a bool, a string, None, NaN, an infinity, an
    empty array unless ``allow_empty``) raises ``ValueError`` naming ``name``. A symbolic tensor
    (inside ``tf.function``) is checked for a real dtype only, adds no op to the graph, and gives
    ``None``.
    """
    allowed = "a finite number > 0 (or an array of them)" if positive else "a finite number (or an array of them)"
    if is_symbolic(value):
        if not (value.dtype.is_floating or value.dtype.is_integer):
            raise ValueError(f"{name} must be {allowed}, got a tensor of dtype {value.dtype.name}")
        return None
    array = _real_array(value, name, allowed)
    if array.size == 0 and not allow_empty:
        raise ValueError(f"{name} must be {allowed}, got an empty array of shape {array.shape}")
    if not np.all(np.isfinite(array)) or (positive and not np.all(array > 0)):
        raise ValueError(f"{name} must be {allowed}, got {show(value)}")
    return array


def check_temperature(temperature: Any, name: str = "temperature") -> Any:
    """Check that a temperature is finite and > 0 (:func:`check_finite`) and return it unchanged.

    A symbolic tensor is checked for its dtype only: no assert ops go into the graph (they raise
    ``InvalidArgumentError`` in a plain graph and vanish under XLA). Graph-time temperatures come
    from :mod:`gumbel_tutorial.schedules`, whose parameters are checked at construction.
    """
    check_finite(temperature, name, positive=True)
    return temperature


def check_bool(value: Any, name: str) -> bool:
    """Return ``value`` as a bool, raising ``ValueError`` unless it is ``True`` or ``False``."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be True or False, got {show(value)}")
    return bool(value)


def check_callable(value: Any, name: str) -> Any:
    """Return ``value`` if it is callable; otherwise raise ``ValueError``."""
    if not callable(value):
        raise ValueError(f"{name} must be callable, got {show(value)}")
    return value


def check_shape(shape: Any, name: str = "shape") -> Any:
    """Check a tensor shape (a list of ints >= 0 or a 1-D integer tensor) and return it unchanged."""
    allowed = "a list of non-negative ints (or a 1-D integer tensor)"
    if is_symbolic(shape):
        if not shape.dtype.is_integer or shape.shape.rank not in (1, None):
            raise ValueError(f"{name} must be {allowed}, got a {shape.dtype.name} tensor of shape {shape.shape}")
        return shape
    if isinstance(shape, str | bytes | bool | np.bool_) or shape is None:
        raise ValueError(f"{name} must be {allowed}, got {show(shape)}")
    try:
        array = np.asarray(shape)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be {allowed}, got {show(shape)}") from exc
    if array.ndim != 1 or (array.size and (array.dtype.kind not in "iu" or np.any(array < 0))):
        raise ValueError(f"{name} must be {allowed}, got {show(shape)}")
    return shape


def check_learning_rate(rate: Any, name: str = "learning_rate") -> float:
    """Return ``rate`` as a float, raising ``ValueError`` unless it is a finite number > 0 (chapters 5-8)."""
    is_number = isinstance(rate, int | float | np.floating) and not isinstance(rate, bool)
    if not is_number or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {rate!r}")
    return float(rate)


def check_interval(value: Any, name: str, low: float, high: float, closed: str = "right") -> float:
    """Return ``value`` as a float in the interval from ``low`` to ``high``, else ``ValueError``.

    ``closed`` says which ends belong to it: ``"right"`` (low, high], ``"left"`` [low, high),
    ``"both"`` or ``"neither"``.
    """
    left, right = ("[" if closed in ("left", "both") else "("), ("]" if closed in ("right", "both") else ")")
    is_number = isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool)
    inside = is_number and (low <= value if left == "[" else low < value) and (
        value <= high if right == "]" else value < high)
    if not inside:
        raise ValueError(f"{name} must be a number in {left}{low:g}, {high:g}{right}, got {value!r}")
    return float(value)


def check_choice(value: Any, name: str, choices: Collection[str]) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise ``ValueError`` listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def check_positive_int(value: Any, name: str) -> int:
    """Return ``value`` as an int, raising ``ValueError`` unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


DISTRIBUTION_ATOL = 1e-6
"""How far from 1 the entries of a distribution may sum: float32 softmax outputs stay within 5e-7."""


def check_distribution(probs: Any, name: str = "probs", *, atol: float = DISTRIBUTION_ATOL) -> np.ndarray:
    """Return ``probs`` as a float64 array of probability distributions over its last axis.

    The one check of distributions in the package. ``probs`` is a non-empty vector (or a stack
    of them, ``[..., k]``) of finite, non-negative real numbers, each vector summing to 1 within
    ``atol`` (default :data:`DISTRIBUTION_ATOL`, ``1e-6``); otherwise ``ValueError`` names
    ``name``. Bools, strings and None raise too.
    """
    array = _real_array(probs, name, "a vector of probabilities").astype(np.float64)
    if array.ndim == 0 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty vector (or a stack of vectors on its last axis) of probabilities, "
            f"got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and non-negative, got {show(array.tolist())}")
    sums = array.sum(axis=-1)
    worst = np.max(np.abs(sums - 1.0))
    if worst > atol:
        bad = float(np.ravel(sums)[np.argmax(np.abs(np.ravel(sums) - 1.0))])
        raise ValueError(f"{name} must sum to 1 (within {atol:g}) on its last axis, got a sum of {bad:.6f}")
    return array


def check_probabilities(probs: Any, name: str = "probs") -> np.ndarray:
    """Return ``probs`` as a float64 vector of >= 2 non-negative entries summing to 1.

    :func:`check_distribution` restricted to a single vector of at least 2 categories (kept for
    its callers: the toy GAN's ``true_probs`` and the chi-square test).
    """
    array = _real_array(probs, name, "a vector of at least 2 probabilities")
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"{name} must be a vector of at least 2 probabilities, got shape {array.shape}")
    return check_distribution(array, name)
