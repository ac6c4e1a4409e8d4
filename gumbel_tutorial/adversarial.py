"""What the book's two sequence GANs share: the data, the discriminator, the optimizers and the
run length (chapters 8 and 10). Each subclass brings its generator and its ``train_step``."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from . import grammar
from .checks import check_bool, check_learning_rate, check_positive_int
from .loop import Trainer
from .models import SequenceDiscriminator, SequenceGenerator
from .runtime import tf
from .seeds import check_root, derive_seed


@dataclasses.dataclass(frozen=True)
class AdversarialConfig:
    """The settings both sequence GANs share, with the paper's defaults (chapters 8 and 10)."""

    iterations: int = 20_000
    hidden_size: int = 64
    batch_size: int = 200
    learning_rate: float = 1e-3
    minibatch_features: bool = False
    length: int = grammar.MAX_LEN
    dataset_size: int = grammar.DATASET_SIZE
    data_seed: int = 0

    def __post_init__(self) -> None:
        for name in ("iterations", "hidden_size", "batch_size", "length", "dataset_size"):
            check_positive_int(getattr(self, name), name)
        check_learning_rate(self.learning_rate)
        check_bool(self.minibatch_features, "minibatch_features")
        check_root(self.data_seed, "data_seed")


class AdversarialTrainer(Trainer):
    """A generator and chapter 8's discriminator, each with its own Adam, on the grammar data."""

    def __init__(self, config: AdversarialConfig, generator: SequenceGenerator, seed: int) -> None:
        super().__init__(seed)
        self.config = config
        self.training_strings = grammar.sample_dataset(config.dataset_size, config.length, seed=config.data_seed)
        self.data = tf.constant(grammar.encode(self.training_strings, config.length))
        self.generator = generator
        self.discriminator = SequenceDiscriminator(
            config.hidden_size, grammar.VOCAB_SIZE, config.length, init_seed=derive_seed(seed, "discriminator_init"),
            minibatch_features=config.minibatch_features,
        )
        self.g_optimizer = keras.optimizers.Adam(config.learning_rate)
        self.d_optimizer = keras.optimizers.Adam(config.learning_rate)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def _trackables(self) -> dict[str, Any]:
        return {
            "generator": self.generator, "discriminator": self.discriminator,
            "g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer,
        }

    def train(
        self,
        iterations: int | None = None,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1_000,
        progress: bool = True,
        on_checkpoint: Callable[[int], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Train up to ``iterations`` (``None``: the config's), resuming from ``checkpoint_dir``;
        ``on_checkpoint`` as in :meth:`Trainer.train`.

        ``iterations`` must be a positive integer: 0 raises ``ValueError`` rather than meaning
        the default.
        """
        total = check_positive_int(self.config.iterations if iterations is None else iterations, "iterations")
        self._before_training(checkpoint_dir, progress)
        return super().train(total, checkpoint_dir, checkpoint_every, progress, on_checkpoint)

    def _before_training(self, checkpoint_dir: str | os.PathLike[str] | None, progress: bool) -> None:
        """Work a subclass does once before its iterations (chapter 10's pre-training); none here."""

    def _real_tokens(self, seed: tf.Tensor) -> tf.Tensor:
        """A mini-batch ``[batch, length]`` of training strings, drawn with replacement."""
        cfg = self.config
        index = tf.random.stateless_uniform([cfg.batch_size], seed=seed, maxval=cfg.dataset_size, dtype=tf.int32)
        return tf.gather(self.data, index)

    @staticmethod
    def _record(
        d_loss: tf.Tensor, g_loss: tf.Tensor, real_logits: tf.Tensor, fake_logits: tf.Tensor, **extra: tf.Tensor
    ) -> dict[str, tf.Tensor]:
        """An iteration's scalars: both losses, the mean D on real and on generated strings, extras."""
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            **extra,
        }
