"""The inputs the discriminator sees: smoothed and relaxed real symbols (chapters 5 and 8).

The paper does not show the discriminator exact one-hot vectors, which no Gumbel-softmax sample
can match. It smooths each real symbol and then draws a Gumbel-softmax sample from the smoothed
distribution at the generator's temperature, so real and generated vectors look alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .checks import Seed, check_interval
from .grammar import MAX_LEN, OPERATORS, VOCAB_SIZE
from .gumbel import gumbel_softmax
from .runtime import tf


def smooth(one_hot: Any, confidence: Any = 0.9) -> tf.Tensor:
    """One-hot vectors with ``confidence`` on their symbol and the rest spread evenly (chapters 5, 8).

    The paper puts about 0.9 on the correct character and ``(1 - 0.9) / (d - 1)`` on each other
    one. ``confidence`` is a number in (0, 1], or a tensor that broadcasts against ``one_hot``.
    """
    if isinstance(confidence, bool) or (isinstance(confidence, int | float) and not 0.0 < confidence <= 1.0):
        raise ValueError(f"confidence must be a number in (0, 1], got {confidence!r}")
    one_hot = tf.convert_to_tensor(one_hot, tf.float32)
    rest = (1.0 - confidence) / (one_hot.shape[-1] - 1)
    return confidence * one_hot + rest * (1.0 - one_hot)


def smooth_one_hot(tokens: Any, vocab_size: int, confidence: float = 0.9) -> tf.Tensor:
    """:func:`smooth` applied to the one-hot vectors of integer ``tokens`` (chapter 8)."""
    return smooth(tf.one_hot(tokens, vocab_size), confidence)


def relaxed_real_inputs(
    tokens: Any, vocab_size: int, confidence: float, temperature: Any, seed: Seed = None
) -> tf.Tensor:
    """The paper's input noise: smooth each true symbol to ``confidence``, then draw a
    Gumbel-softmax sample at ``temperature`` (chapter 8).

    The argmax of each vector is an exact sample of the smoothed categorical, so every real symbol
    is replaced by another one with probability ``1 - confidence``, at any temperature.
    """
    smoothed = smooth_one_hot(tokens, vocab_size, confidence)
    return gumbel_softmax(tf.math.log(smoothed), temperature, seed=seed)


def noisy_valid_share(confidence: float, length: int = MAX_LEN) -> float:
    """The share of real strings of up to ``length`` symbols that stay valid after the paper's
    input noise at ``confidence`` (chapter 9): eq. (noisy-valid) of chapter 8, where a string
    with ``k`` operators stays valid if its ``length - k`` other positions keep their symbol and
    each operator keeps it or becomes another operator, averaged over the data's uniform ``k``
    (0 to ``(length - 1) // 2``). Double flips that form another sentence are ignored."""
    c = check_interval(confidence, "confidence", 0.0, 1.0)
    stay_operator = c + (len(OPERATORS) - 1) / (VOCAB_SIZE - 1) * (1 - c)  # 0.6 * (1 - c)
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be an int >= 1, got {length!r}")
    return float(np.mean([c ** (length - k) * stay_operator**k for k in range((length - 1) // 2 + 1)]))
