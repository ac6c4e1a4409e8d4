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
import time
from collections.abc import Sequence

import numpy as np

from .checks import (
    check_choice, check_interval, check_learning_rate, check_positive_int, check_probabilities,
    check_temperature,
)
from .runtime import tf
from .schedules import ConstantTemperature, ExponentialAnneal, LinearAnneal, TemperatureSchedule
from .seeds import check_root
from .stats import total_variation
from .toy_lanes import DISCRIMINATORS, ToyGANLanes

REAL_DATA = ("hard", "smoothed")
BLOG_PROBS = (0.0, 0.0, 0.1, 0.3, 0.6)


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
        # Above 1/K, the uniform distribution over the K categories, and below 1.
        check_interval(self.smoothing, "smoothing", 1.0 / len(probs), 1.0, closed="neither")
        check_root(self.seed, "seed")

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


SHARED_FIELDS = (
    "true_probs", "batch_size", "learning_rate", "epochs", "batches_per_epoch",
    "generator_steps", "hidden_units", "eval_size", "seed",
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
    group = ToyGANLanes(configs, jit_compile=bool(jit_compile))
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
