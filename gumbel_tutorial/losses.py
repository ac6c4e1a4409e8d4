"""The GAN losses, shared by the toy GAN (chapter 5) and the sequence GAN (chapter 8)."""

from __future__ import annotations

from typing import Any, Literal

from .checks import check_choice
from .runtime import tf

GeneratorLoss = Literal["paper", "nonsaturating"]
GENERATOR_LOSSES = ("paper", "nonsaturating")


def bce(logits: tf.Tensor, label: float, axis: Any = None) -> tf.Tensor:
    """Mean sigmoid cross-entropy of discriminator ``logits`` against a constant ``label`` (chapter 5).

    ``axis=None`` averages everything; ``axis=-1`` keeps one value per leading index (per lane of
    the toy GAN).
    """
    labels = tf.fill(tf.shape(logits), label)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=axis)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor, axis: Any = None) -> tf.Tensor:
    """Binary cross-entropy with real labelled 1 and generated labelled 0 (chapters 5 and 8)."""
    return bce(real_logits, 1.0, axis) + bce(fake_logits, 0.0, axis)


def generator_loss(fake_logits: tf.Tensor, kind: GeneratorLoss = "nonsaturating", axis: Any = None) -> tf.Tensor:
    """The generator's loss on the discriminator's logits for generated samples (chapters 5 and 8).

    ``"nonsaturating"`` is ``-log D`` (Goodfellow et al., 2014); ``"paper"`` is the paper's
    ``-log(D / (1 - D))``, which equals minus the logit.
    """
    check_choice(kind, "kind", GENERATOR_LOSSES)
    if kind == "paper":
        return -tf.reduce_mean(fake_logits, axis=axis)
    return bce(fake_logits, 1.0, axis)
