"""The toy GAN's compiled graph: many runs as lanes of one XLA computation (chapter 5).

Every replica of every configuration is a *lane*: each variable carries a leading lane axis and
Adam acts element-wise, so lanes never interact, and one ``tf.function`` call (XLA-compiled by
default) runs a whole epoch with its loops over discriminator and generator updates in-graph.
The lanes read their settings through :class:`LaneSettings`, which ``toy_gan.ToyGANConfig``
satisfies; this module never imports ``toy_gan``, so the two import in one direction only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import keras
import numpy as np

from .gumbel import gumbel_max, sample_gumbel
from .losses import discriminator_loss, generator_loss
from .noise import smooth
from .runtime import tf
from .schedules import TemperatureSchedule
from .seeds import derive_seed

DISCRIMINATORS = ("logistic", "mlp")
NOISE_ALGORITHM = "philox"  # measured inside XLA on a CPU: ~6x faster than "auto_select"


class LaneSettings(Protocol):
    """What the lanes read from one configuration (``toy_gan.ToyGANConfig`` has all of it)."""

    true_probs: tuple[float, ...]
    batch_size: int
    learning_rate: float
    batches_per_epoch: int
    generator_steps: int
    temperature: TemperatureSchedule
    discriminator: str
    hidden_units: int
    real_data: str
    smoothing: float
    replicas: int
    eval_size: int
    seed: int

    @property
    def categories(self) -> int: ...


class ToyGANLanes:
    """Variables, optimizers and the compiled epoch of several configurations trained side by side.

    Every replica of every configuration is a *lane*: the generator logits are one ``[lanes, K]``
    variable, the noise of all lanes comes from one random op per use, and the temperature is a
    per-lane vector. Lanes with a logistic discriminator come first, then lanes with an MLP, so
    each discriminator is one batched matrix product over a contiguous slice of lanes.
    """

    def __init__(self, configs: Sequence[LaneSettings], jit_compile: bool = True) -> None:
        self.order = sorted(range(len(configs)), key=lambda i: DISCRIMINATORS.index(configs[i].discriminator))
        self.configs = [configs[i] for i in self.order]
        c = self.configs[0]
        self.c = c
        k = c.categories
        self.lanes = sum(cfg.replicas for cfg in self.configs)
        self.num_logistic = sum(cfg.replicas for cfg in self.configs if cfg.discriminator == "logistic")
        self.num_mlp = self.lanes - self.num_logistic
        self.config_of_lane = np.repeat(np.arange(len(self.configs)), [cfg.replicas for cfg in self.configs])
        self.true_probs = tf.constant(c.true_probs, tf.float32)
        smoothed = np.array([cfg.real_data == "smoothed" for cfg in self.configs])[self.config_of_lane]
        self.any_smoothed = bool(smoothed.any())
        self.smoothed_mask = tf.constant(smoothed[:, None, None])
        self.smoothing = tf.constant(
            np.array([cfg.smoothing for cfg in self.configs], np.float32)[self.config_of_lane][:, None, None]
        )
        self.logits = tf.Variable(tf.ones([self.lanes, k]), name="generator_logits")  # the blog's init
        self.logistic_vars = self._discriminator_vars("logistic", self.num_logistic, stream=0)
        self.mlp_vars = self._discriminator_vars("mlp", self.num_mlp, stream=2)
        self.d_vars = self.logistic_vars + self.mlp_vars
        self.g_opt = keras.optimizers.Adam(c.learning_rate)
        self.d_opt = keras.optimizers.Adam(c.learning_rate)
        self.g_opt.build([self.logits])
        self.d_opt.build(self.d_vars)
        self.run_epoch = tf.function(self._epoch, jit_compile=jit_compile)

    def _discriminator_vars(self, kind: str, lanes: int, stream: int) -> list[tf.Variable]:
        """Glorot-uniform weights and zero biases for ``lanes`` discriminators of one kind."""
        if lanes == 0:
            return []
        k, h, base = self.c.categories, self.c.hidden_units, derive_seed(self.c.seed, "toy_gan")

        def glorot(shape: list[int], offset: int) -> tf.Variable:
            limit = math.sqrt(6.0 / (shape[-2] + shape[-1]))
            draw = tf.random.stateless_uniform(
                shape, seed=[base + 15, stream + offset], minval=-limit, maxval=limit
            )
            return tf.Variable(draw)

        if kind == "logistic":
            return [glorot([lanes, k, 1], 0), tf.Variable(tf.zeros([lanes, 1]))]
        return [
            glorot([lanes, k, h], 0), tf.Variable(tf.zeros([lanes, h])),
            glorot([lanes, h, 1], 1), tf.Variable(tf.zeros([lanes, 1])),
        ]

    def _seed(self, stream: int, counter: tf.Tensor) -> tf.Tensor:
        """A stateless seed per (purpose, step): a group repeats exactly for the same ``seed``.

        Streams: 1 discriminator-step fakes, 2-3 its real data, 4 generator-step fakes,
        5 evaluation fakes, 6-7 evaluation real data, 15 initial weights.
        """
        base = derive_seed(self.c.seed, "toy_gan")
        return tf.stack([tf.constant(base + stream, tf.int32), tf.cast(counter, tf.int32)])

    def temperatures(self, t: tf.Tensor) -> tf.Tensor:
        """Each configuration's temperature at discriminator iteration ``t``, shape ``[configs]``."""
        return tf.stack([tf.cast(cfg.temperature(t), tf.float32) for cfg in self.configs])

    def discriminate(self, x: tf.Tensor) -> tf.Tensor:
        """Discriminator logits ``[lanes, batch]`` for vectors ``[lanes, batch, K]``."""
        outputs = []
        if self.num_logistic:
            w, b = self.logistic_vars
            outputs.append(tf.matmul(x[: self.num_logistic], w) + b[:, None, :])
        if self.num_mlp:
            w1, b1, w2, b2 = self.mlp_vars
            hidden = tf.nn.relu(tf.matmul(x[self.num_logistic :], w1) + b1[:, None, :])
            outputs.append(tf.matmul(hidden, w2) + b2[:, None, :])
        out = outputs[0] if len(outputs) == 1 else tf.concat(outputs, axis=0)
        return out[..., 0]

    def relaxed(self, logits: tf.Tensor, lane_temperature: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Gumbel-softmax samples ``softmax((logits + g) / tau)``, the noise drawn with Philox.

        The same relaxed samples as ``gumbel_softmax`` draws through ``RelaxedOneHotCategorical``,
        but with the random-number algorithm named: XLA on a CPU generates the bits of its default
        ``"auto_select"`` about 6 times slower than those of an explicit ``"philox"`` (0.59 against
        0.09 ms per 8,000 numbers), which at 160 lanes would dominate the epoch.
        """
        noise = sample_gumbel(tf.shape(logits), seed=seed, alg=NOISE_ALGORITHM)
        return tf.nn.softmax((logits + noise) / lane_temperature[..., None], axis=-1)

    def generate(self, n: int, lane_temperature: tf.Tensor, stream: int, counter: tf.Tensor) -> tf.Tensor:
        """``n`` relaxed one-hot samples per lane from the generator's logits, ``[lanes, n, K]``."""
        tiled = tf.broadcast_to(self.logits[:, None, :], [self.lanes, n, self.c.categories])
        return self.relaxed(tiled, lane_temperature, self._seed(stream, counter))

    def real(self, n: int, lane_temperature: tf.Tensor, stream: int, counter: tf.Tensor) -> tf.Tensor:
        """``n`` real vectors per lane: one-hot, or smoothed and relaxed (the paper's input noise)."""
        c = self.c
        log_q = tf.broadcast_to(tf.math.log(self.true_probs), [self.lanes, n, c.categories])
        hard = gumbel_max(log_q, seed=self._seed(stream, counter), alg=NOISE_ALGORITHM)
        if not self.any_smoothed:
            return hard
        smoothed = smooth(hard, self.smoothing)
        relaxed = self.relaxed(tf.math.log(smoothed), lane_temperature, self._seed(stream + 1, counter))
        return tf.where(self.smoothed_mask, relaxed, hard)

    def _d_step(self, t: tf.Tensor, lane_temperature: tf.Tensor) -> tf.Tensor:
        n = self.c.batch_size
        real = self.real(n, lane_temperature, 2, t)
        fake = self.generate(n, lane_temperature, 1, t)
        with tf.GradientTape() as tape:
            loss = discriminator_loss(self.discriminate(real), self.discriminate(fake), axis=-1)
            total = tf.reduce_sum(loss)  # lanes are independent: each gets its own gradient
        self.d_opt.apply_gradients(zip(tape.gradient(total, self.d_vars), self.d_vars))
        return loss

    def _g_step(self, counter: tf.Tensor, lane_temperature: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            fake = self.generate(self.c.batch_size, lane_temperature, 4, counter)
            loss = generator_loss(self.discriminate(fake), "nonsaturating", axis=-1)
            total = tf.reduce_sum(loss)
        self.g_opt.apply_gradients([(tape.gradient(total, self.logits), self.logits)])
        return loss

    def _epoch(self, epoch: tf.Tensor) -> tuple[tf.Tensor, ...]:
        c = self.c
        lane_of = tf.constant(self.config_of_lane, tf.int32)
        d_sum = g_sum = tf.zeros([self.lanes])
        temperature = tf.zeros([len(self.configs)])
        for b in tf.range(c.batches_per_epoch):
            t = epoch * c.batches_per_epoch + b
            temperature = self.temperatures(t)
            lane_temperature = tf.gather(temperature, lane_of)[:, None]  # broadcasts over the batch
            d_sum += self._d_step(t, lane_temperature)
            for j in tf.range(c.generator_steps):
                g_sum += self._g_step(t * c.generator_steps + j, lane_temperature)
        # Evaluate each discriminator on fresh batches (their own seed streams).
        lane_temperature = tf.gather(temperature, lane_of)[:, None]
        real = self.real(c.eval_size, lane_temperature, 6, epoch)
        fake = self.generate(c.eval_size, lane_temperature, 5, epoch)
        accuracy = 0.5 * (
            tf.reduce_mean(tf.cast(self.discriminate(real) > 0.0, tf.float32), axis=-1)
            + tf.reduce_mean(tf.cast(self.discriminate(fake) < 0.0, tf.float32), axis=-1)
        )
        return (
            tf.nn.softmax(self.logits),
            accuracy,
            d_sum / c.batches_per_epoch,
            g_sum / (c.batches_per_epoch * c.generator_steps),
            temperature,
        )
