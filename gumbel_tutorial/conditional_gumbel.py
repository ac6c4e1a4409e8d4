"""Gumbel noise given the argmax it produced: the top-down construction (chapter 12).

Chapter 2 drew ``u = logits + g`` and kept ``z = argmax u``. REBAR, RELAX and Gumbel-Rao need the
reverse: noise ``u`` drawn *given* the sample ``z``. Two facts of chapter 2 give it top-down. The
maximum of ``u`` is ``Gumbel(logsumexp(logits))`` and independent of which entry attains it; and
given the maximum ``M``, every other entry is its own Gumbel truncated to lie below ``M``. So draw
``M`` for the chosen entry, then each other entry as a truncated Gumbel
(:func:`gumbel_tutorial.gumbel.truncated_gumbel`, chapter 11's top-down step). Every
operation is differentiable in ``logits`` with the sample ``z`` held fixed, which is the
reparameterization these estimators use.
"""

from __future__ import annotations

from typing import Any

from .checks import Seed, check_logits, check_positive_int
from .gumbel import sample_gumbel, truncated_gumbel
from .runtime import tf, tfp
from .seeds import check_seed


def conditional_gumbel(logits: Any, sample: Any, seed: Seed = None,
                       num_samples: int | None = None) -> tf.Tensor:
    """Perturbed logits ``u ~ p(logits + g | argmax = sample)``, shaped like ``logits``
    (chapter 12).

    ``sample`` is one-hot, broadcastable to ``logits`` (``[..., K]``). With
    ``num_samples`` M, M independent draws are stacked on a new leading axis:
    ``[M, ..., K]``. Every reduction runs over the last axis only, so rows never mix.
    """
    logits = check_logits(logits)
    sample = tf.cast(check_logits(sample, "sample"), logits.dtype)
    check_seed(seed)
    shape = tf.broadcast_dynamic_shape(tf.shape(logits), tf.shape(sample))
    if num_samples is not None:
        shape = tf.concat(
            [[check_positive_int(num_samples, "num_samples")], shape], axis=0)
    top_seed, rest_seed = tfp.random.split_seed(tfp.random.sanitize_seed(seed), n=2)
    # The maximum: Gumbel(logsumexp(logits)), placed at the sampled entry.
    g = sample_gumbel(shape, seed=top_seed, dtype=logits.dtype)
    top = tf.reduce_logsumexp(logits, axis=-1, keepdims=True) + tf.reduce_sum(
        sample * g, axis=-1, keepdims=True)
    # The others: Gumbel(logits) truncated below the maximum (computed in float64).
    locations = tf.cast(tf.broadcast_to(logits, shape), tf.float64)
    rest = truncated_gumbel(locations, tf.cast(top, tf.float64), seed=rest_seed)
    return tf.where(sample > 0, top, tf.cast(rest, logits.dtype))
