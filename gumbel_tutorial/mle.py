"""The maximum-likelihood reference: an LSTM language model with teacher forcing (chapter 7)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from .checks import check_learning_rate, check_positive_int
from .loop import Trainer
from .models import SequenceGenerator
from .runtime import tf


class MaximumLikelihood(Trainer):
    """Fit a :class:`SequenceGenerator` by maximum likelihood with teacher forcing (chapter 7).

    Each step draws a mini-batch of the integer-encoded ``tokens`` and minimizes the mean
    cross-entropy (nats per symbol) of every next symbol.
    """

    history_keys = ("loss",)
    description = "MLE"

    def __init__(
        self,
        generator: SequenceGenerator,
        tokens: Any,
        batch_size: int = 200,
        learning_rate: float = 1e-3,
        seed: int = 0,
    ) -> None:
        super().__init__(seed)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        check_learning_rate(learning_rate)
        self.data = tf.constant(tokens, dtype=tf.int32)
        if self.data.shape.rank != 2 or self.data.shape[1] != generator.length:
            raise ValueError(f"tokens must have shape (n, {generator.length}), got {tuple(self.data.shape)}")
        self.generator = generator
        self.optimizer = keras.optimizers.Adam(learning_rate)
        self.optimizer.build(generator.trainable_variables)

    def _trackables(self) -> dict[str, Any]:
        return {"generator": self.generator, "optimizer": self.optimizer}

    def train_step(self) -> dict[str, tf.Tensor]:
        """One step of maximum likelihood: a batch, its cross-entropy, one Adam update."""
        variables = self.generator.trainable_variables
        size = tf.shape(self.data)[0]
        index = self.rng.uniform([self.batch_size], maxval=size, dtype=tf.int32)
        batch = tf.gather(self.data, index)
        with tf.GradientTape() as tape:
            logits = self.generator.teacher_forced_logits(batch)
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(batch, logits)
            loss = tf.reduce_mean(losses)
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.step.assign_add(1)
        return {"loss": loss}


def train_mle(
    generator: SequenceGenerator,
    tokens: Any,
    steps: int,
    batch_size: int = 200,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """Fit ``generator`` by maximum likelihood for ``steps`` steps; return each step's loss (chapter 7)."""
    steps = check_positive_int(steps, "steps")
    trainer = MaximumLikelihood(generator, tokens, batch_size, learning_rate, seed)
    return trainer.train(steps, progress=progress)["loss"]
