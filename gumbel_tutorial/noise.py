"""The inputs the discriminator sees: smoothed and relaxed real symbols (chapters 5 and 8).

The paper does not show the discriminator exact one-hot vectors, which no Gumbel-softmax sample
can match. It smooths each real symbol and then draws a Gumbel-softmax sample from the smoothed
distribution at the generator's temperature, so real and generated vectors look alike.
"""

from __future__ import annotations

from typing import Any

from .checks import Seed
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
