"""Argument checks shared by the package: every bad input names the argument and the allowed range."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np

from .runtime import tf

Seed = Any  # None, a Python int (stateful) or a pair of ints / int32[2] tensor (stateless)


def check_logits(logits: Any, name: str = "logits") -> tf.Tensor:
    """Return ``logits`` as a floating tensor whose last axis holds at least 2 categories."""
    if isinstance(logits, tf.Tensor | tf.Variable):
        tensor = tf.convert_to_tensor(logits)
    else:
        array = np.asarray(logits)
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
        raise ValueError(f"{name} needs a last axis of at least 2 categories, got {categories}")
    return tensor


def check_temperature(temperature: Any, name: str = "temperature") -> Any:
    """Check that a temperature is finite and > 0.

    Python numbers, NumPy values and eager tensors are checked at once and raise ``ValueError``;
    a symbolic tensor inside ``tf.function`` is checked when the graph runs.
    """
    if isinstance(temperature, bool):
        raise TypeError(f"{name} must be a number, got a bool")
    if isinstance(temperature, tf.Tensor | tf.Variable) and not tf.executing_eagerly():
        tf.debugging.assert_positive(temperature, message=f"{name} must be > 0")
        return tf.debugging.assert_all_finite(temperature, f"{name} must be finite")
    try:
        values = np.asarray(temperature, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a number, got {temperature!r}") from exc
    if not np.all(np.isfinite(values)) or not np.all(values > 0):
        raise ValueError(f"{name} must be finite and > 0, got {temperature!r}")
    return temperature


def check_learning_rate(rate: Any, name: str = "learning_rate") -> float:
    """Return ``rate`` as a float, raising ``ValueError`` unless it is a finite number > 0 (chapters 5-8)."""
    is_number = isinstance(rate, int | float | np.floating) and not isinstance(rate, bool)
    if not is_number or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {rate!r}")
    return float(rate)


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


def check_probabilities(probs: Any, name: str = "probs") -> np.ndarray:
    """Return ``probs`` as a float64 vector of >= 2 non-negative entries summing to 1."""
    array = np.asarray(probs, dtype=np.float64)
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"{name} must be a vector of at least 2 probabilities, got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{name} must be finite and non-negative, got {array.tolist()}")
    if not math.isclose(float(array.sum()), 1.0, abs_tol=1e-6):
        raise ValueError(f"{name} must sum to 1, got a sum of {array.sum():.6f}")
    return array
