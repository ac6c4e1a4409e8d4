"""The blog's toy GAN: learn a 5-way distribution through relaxed one-hot samples (chapter 5).

Zeldes (2018) trains a generator that is nothing but 5 logits against a logistic-regression
discriminator, on an endless stream of the numbers 0-4. Every generator sample is a
``RelaxedOneHotCategorical`` (Gumbel-softmax) vector, so the discriminator's gradient reaches the
logits. This module runs that experiment, and the variants chapter 5 measures (a small MLP
discriminator, hard or smoothed real data, constant or annealed temperature), entirely inside
compiled TensorFlow graphs: one ``tf.function`` call (XLA-compiled by default) runs a whole epoch,
its loops over discriminator and generator updates in-graph, so Python runs once per epoch.

``replicas`` independent copies of the GAN (own logits, discriminator, data and noise), and
several configurations at once (:func:`train_side_by_side`), train as *lanes* of one graph: every
variable carries a leading lane axis, and Adam acts element-wise, so lanes never interact.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence

import keras
import numpy as np

from .checks import (
    check_choice, check_learning_rate, check_positive_int, check_probabilities, check_temperature,
)
from .gumbel import gumbel_max, sample_gumbel
from .runtime import tf
from .schedules import ConstantTemperature, ExponentialAnneal, LinearAnneal, TemperatureSchedule
from .seeds import derive_seed
from .stats import total_variation

DISCRIMINATORS = ("logistic", "mlp")
REAL_DATA = ("hard", "smoothed")
BLOG_PROBS = (0.0, 0.0, 0.1, 0.3, 0.6)
NOISE_ALGORITHM = "philox"  # measured inside XLA on a CPU: ~6x faster than "auto_select"


@dataclasses.dataclass(frozen=True)
class ToyGANConfig:
    """Settings of one toy-GAN run; the defaults are the blog's (chapter 5).

    ``temperature`` is a schedule from :mod:`gumbel_tutorial.schedules` (or a positive number,
    turned into a constant schedule) evaluated at the discriminator iteration ``t = 0, 1, ...``
    (``epochs * batches_per_epoch`` of them). ``real_data="smoothed"`` is the paper's input noise:
    each real one-hot vector becomes ``smoothing`` on its symbol and ``(1 - smoothing) / (K - 1)``
    elsewhere, and the log of that goes through Gumbel-softmax at the generator's temperature.
    """

    true_probs: tuple[float, ...] = BLOG_PROBS
    batch_size: int = 10
    learning_rate: float = 0.0007
    epochs: int = 200
    batches_per_epoch: int = 100
    generator_steps: int = 10
    temperature: TemperatureSchedule | float = ConstantTemperature(0.001)
    discriminator: str = "logistic"
    hidden_units: int = 16
    real_data: str = "hard"
    smoothing: float = 0.9
    replicas: int = 1
    eval_size: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        probs = check_probabilities(self.true_probs, "true_probs")
        object.__setattr__(self, "true_probs", tuple(float(p) for p in probs))
        for name in (
            "batch_size", "epochs", "batches_per_epoch", "generator_steps",
            "hidden_units", "replicas", "eval_size",
        ):
            check_positive_int(getattr(self, name), name)
        check_learning_rate(self.learning_rate)
        if not isinstance(self.temperature, ConstantTemperature | LinearAnneal | ExponentialAnneal):
            check_temperature(self.temperature)
            object.__setattr__(self, "temperature", ConstantTemperature(float(self.temperature)))
        check_choice(self.discriminator, "discriminator", DISCRIMINATORS)
        check_choice(self.real_data, "real_data", REAL_DATA)
        if not (isinstance(self.smoothing, int | float) and 1.0 / len(probs) < self.smoothing < 1.0):
            raise ValueError(
                f"smoothing must lie in (1/K, 1) = ({1.0 / len(probs):.3f}, 1), got {self.smoothing!r}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**20:
            raise ValueError(f"seed must be an int in [0, 2**20), got {self.seed!r}")

    @property
    def categories(self) -> int:
        return len(self.true_probs)

    @property
    def discriminator_steps(self) -> int:
        """Discriminator updates in the whole run (the blog: 20,000)."""
        return self.epochs * self.batches_per_epoch

    @property
    def total_steps(self) -> int:
        """Discriminator plus generator updates in the whole run (the blog: 220,000)."""
        return self.discriminator_steps * (1 + self.generator_steps)


@dataclasses.dataclass(frozen=True)
class ToyGANHistory:
    """What a run records after every epoch, as NumPy arrays (chapter 5).

    ``probs[e, r]`` is replica ``r``'s ``softmax(logits)`` after epoch ``e``; ``d_accuracy[e, r]``
    the discriminator's accuracy on ``eval_size`` fresh real and ``eval_size`` fresh generated
    vectors (at that epoch's temperature) after the epoch; ``d_loss`` and ``g_loss`` the mean
    losses over the epoch's updates; ``temperature[e]`` the temperature at the epoch's last
    iteration. ``seconds`` is the wall time of the training loop after compilation.
    """

    config: ToyGANConfig
    probs: np.ndarray
    d_accuracy: np.ndarray
    d_loss: np.ndarray
    g_loss: np.ndarray
    temperature: np.ndarray
    seconds: float

    @property
    def true_probs(self) -> np.ndarray:
        return np.asarray(self.config.true_probs)

    @property
    def final_probs(self) -> np.ndarray:
        """Learned probabilities after the last epoch, shape ``[replicas, K]``."""
        return self.probs[-1]

    @property
    def final_tv(self) -> np.ndarray:
        """Total-variation distance of each replica's final distribution to the truth."""
        return total_variation(self.final_probs, self.true_probs)

    @property
    def steps_per_second(self) -> float:
        """Discriminator plus generator updates per second of training (each advances every lane)."""
        return self.config.total_steps / self.seconds


def _bce(logits: tf.Tensor, label: float) -> tf.Tensor:
    """Mean sigmoid cross-entropy over the batch axis, one value per replica."""
    labels = tf.fill(tf.shape(logits), label)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=-1)


SHARED_FIELDS = (
    "true_probs", "batch_size", "learning_rate", "epochs", "batches_per_epoch",
    "generator_steps", "hidden_units", "eval_size", "seed",
)


class _ToyGANGroup:
    """Variables, optimizers and the compiled epoch of several configurations trained side by side.

    Every replica of every configuration is a *lane*: the generator logits are one ``[lanes, K]``
    variable, the noise of all lanes comes from one random op per use, and the temperature is a
    per-lane vector. Lanes with a logistic discriminator come first, then lanes with an MLP, so
    each discriminator is one batched matrix product over a contiguous slice of lanes.
    """

    def __init__(self, configs: list[ToyGANConfig], jit_compile: bool = True) -> None:
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
        off = (1.0 - self.smoothing) / (c.categories - 1)
        smoothed = self.smoothing * hard + off * (1.0 - hard)
        relaxed = self.relaxed(tf.math.log(smoothed), lane_temperature, self._seed(stream + 1, counter))
        return tf.where(self.smoothed_mask, relaxed, hard)

    def _d_step(self, t: tf.Tensor, lane_temperature: tf.Tensor) -> tf.Tensor:
        n = self.c.batch_size
        real = self.real(n, lane_temperature, 2, t)
        fake = self.generate(n, lane_temperature, 1, t)
        with tf.GradientTape() as tape:
            loss = _bce(self.discriminate(real), 1.0) + _bce(self.discriminate(fake), 0.0)
            total = tf.reduce_sum(loss)  # lanes are independent: each gets its own gradient
        self.d_opt.apply_gradients(zip(tape.gradient(total, self.d_vars), self.d_vars))
        return loss

    def _g_step(self, counter: tf.Tensor, lane_temperature: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            fake = self.generate(self.c.batch_size, lane_temperature, 4, counter)
            loss = _bce(self.discriminate(fake), 1.0)  # the non-saturating generator loss
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


def train_toy_gan(config: ToyGANConfig | None = None, jit_compile: bool = True) -> ToyGANHistory:
    """Train the toy GAN and return its per-epoch history (chapter 5).

    Each epoch is one call of a compiled function whose loops over ``batches_per_epoch``
    discriminator updates and, after each, ``generator_steps`` generator updates run in-graph.
    The first epoch's call also traces and compiles; ``seconds`` counts the other epochs and
    scales up to the whole run, so ``steps_per_second`` is the compiled loop's speed.
    """
    config = ToyGANConfig() if config is None else config
    return train_side_by_side([config], jit_compile=jit_compile)[0]


def train_side_by_side(configs: Sequence[ToyGANConfig], jit_compile: bool = True) -> list[ToyGANHistory]:
    """Train several configurations at once, in one compiled graph (chapter 5).

    The configurations may differ in ``temperature``, ``discriminator``, ``real_data``,
    ``smoothing`` and ``replicas``; everything else (the fields in ``SHARED_FIELDS``, the seed
    included) must agree, since they fix the loop and the shapes. Every lane gets its own
    parameters, optimizer state and noise, so the configurations never interact; but the noise
    of all lanes is cut from shared random draws, so a configuration's numbers depend on which
    group it trained in (a group repeats exactly). The loop costs little more than one
    configuration alone, because tiny steps are dominated by per-operation overhead.
    Returns one history per configuration, in the order given; their ``seconds`` is the group's.
    """
    configs = list(configs)
    if not configs:
        raise ValueError("configs must hold at least one ToyGANConfig")
    for i, config in enumerate(configs):
        if not isinstance(config, ToyGANConfig):
            raise TypeError(f"configs[{i}] must be a ToyGANConfig, got {type(config).__name__}")
        for name in SHARED_FIELDS:
            if getattr(config, name) != getattr(configs[0], name):
                raise ValueError(
                    f"configs trained side by side must share {name}: "
                    f"{getattr(configs[0], name)!r} != {getattr(config, name)!r}"
                )
    group = _ToyGANGroup(configs, jit_compile=bool(jit_compile))
    epochs = configs[0].epochs
    records = []
    start = time.perf_counter()
    for epoch in range(epochs):
        records.append([x.numpy() for x in group.run_epoch(tf.constant(epoch, tf.int32))])
        if epoch == 0:
            start = time.perf_counter()
    elapsed = time.perf_counter() - start
    seconds = elapsed * epochs / (epochs - 1) if epochs > 1 else float("nan")
    probs, accuracy, d_loss, g_loss, temperature = (np.stack(column).astype(np.float64) for column in zip(*records))
    histories: list[ToyGANHistory | None] = [None] * len(configs)
    for position, index in enumerate(group.order):
        lanes = group.config_of_lane == position
        histories[index] = ToyGANHistory(
            config=group.configs[position],
            probs=probs[:, lanes],
            d_accuracy=accuracy[:, lanes],
            d_loss=d_loss[:, lanes],
            g_loss=g_loss[:, lanes],
            temperature=temperature[:, position],
            seconds=seconds,
        )
    return histories  # type: ignore[return-value]
