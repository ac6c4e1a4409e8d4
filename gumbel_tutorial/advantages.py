"""Each string's weight in a score-function estimate of the discriminator's mean logit
(chapters 10 and 12).

A score-function estimate weights ``d log q(s_j)`` by what string ``s_j`` contributed to the
objective. Without minibatch features that is its own logit; with them every logit depends on
the whole batch, and the weight must count ``s_j``'s effect on the others' logits too.
"""

from __future__ import annotations

from .models import SequenceDiscriminator
from .runtime import tf


def _others(batch_size: int) -> tf.Tensor:
    """``[batch, batch - 1]``: row ``j`` lists every index of the batch but ``j``."""
    columns = tf.range(batch_size - 1)[None, :]
    return columns + tf.cast(columns >= tf.range(batch_size)[:, None], tf.int32)


def advantages(
    discriminator: SequenceDiscriminator, one_hots: tf.Tensor, leave_one_out: bool,
    encoded: tf.Tensor | None = None,
) -> tf.Tensor:
    """Each string's weight ``[batch]`` in a score-function estimate of ``E[a]`` (chapter 10).

    Without minibatch features: the logit ``a(s_j)``, minus the mean logit of the other strings
    if ``leave_one_out``. With them, ``a(s_i)`` depends on every string of the batch, and
    weighting ``log q(s_j)`` by ``a(s_j)`` alone would miss the effect of ``s_j`` on the others'
    logits. With ``T`` the batch's summed logit and ``T_j`` that of the batch without ``s_j`` (its
    features recomputed without it), the weight is ``T - T_j`` (``T - T_j * m / (m - 1)`` with
    ``leave_one_out``): ``T_j`` does not depend on ``s_j``, so both stay unbiased, and without
    minibatch features they equal the two weights above. ``encoded``, if given, is
    ``discriminator.encode(one_hots)``, already computed.
    """
    batch_size = one_hots.shape[0]
    if batch_size < 2 and (leave_one_out or discriminator.minibatch_features):
        raise ValueError(f"one_hots must hold at least 2 strings to leave one out, got {batch_size}")
    if encoded is None:
        encoded = discriminator.encode(one_hots)
    if not discriminator.minibatch_features:
        reward = discriminator.score(encoded, one_hots)
        if leave_one_out:
            reward -= (tf.reduce_sum(reward) - reward) / (batch_size - 1)
        return tf.stop_gradient(reward)
    total = tf.reduce_sum(discriminator.score(encoded, one_hots))

    def total_without(indices: tf.Tensor) -> tf.Tensor:
        kept = tf.gather(one_hots, indices)
        return tf.reduce_sum(discriminator.score(tf.gather(encoded, indices), kept))

    totals_without = tf.vectorized_map(total_without, _others(batch_size))
    scale = batch_size / (batch_size - 1) if leave_one_out else 1.0
    return tf.stop_gradient(total - scale * totals_without)
