"""Training loops: the maximum-likelihood LSTM (chapter 7) and Algorithm 1 of the paper (chapter 8).

Training steps run inside one compiled ``tf.function`` loop, up to ``Trainer.chunk`` iterations
per call from Python, so the many small steps do not each pay Python's dispatch cost. Randomness
comes from one ``tf.random.Generator`` per run, so a checkpoint holds the exact random state and a
resumed run continues where it stopped. Long runs checkpoint every ``checkpoint_every``
iterations and write their loss history atomically (temporary file, then rename).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import tempfile
import time
from typing import Any, Literal

import keras
import numpy as np
from tqdm import tqdm

from . import grammar
from .checks import Seed, check_choice, check_learning_rate, check_positive_int, check_temperature
from .gumbel import gumbel_softmax
from .models import FEEDBACKS, NOISE_MODES, Feedback, NoiseMode, SequenceDiscriminator, SequenceGenerator
from .runtime import tf
from .schedules import ConstantTemperature, LinearAnneal
from .seeds import derive_seed

GeneratorLoss = Literal["paper", "nonsaturating"]
GENERATOR_LOSSES = ("paper", "nonsaturating")
RealInputs = Literal["relaxed", "one_hot"]
REAL_INPUTS = ("relaxed", "one_hot")


def smooth_one_hot(tokens: Any, vocab_size: int, confidence: float = 0.9) -> tf.Tensor:
    """Probabilities with ``confidence`` on each true symbol and the rest spread evenly (chapter 8).

    The paper puts about 0.9 on the correct character and ``(1 - 0.9) / (d - 1)`` on each other one.
    """
    if not 0.0 < confidence <= 1.0:
        raise ValueError(f"confidence must be in (0, 1], got {confidence!r}")
    rest = (1.0 - confidence) / (vocab_size - 1)
    return tf.one_hot(tokens, vocab_size, on_value=confidence, off_value=rest)


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


@dataclasses.dataclass(frozen=True)
class GANConfig:
    """Settings of one sequence-GAN run; the defaults are the paper's (chapter 8).

    ``generator_temperature=None`` anneals the generator's Gumbel-softmax temperature linearly from
    ``tau_start`` to ``tau_end`` over ``anneal_fraction`` of the run; a number fixes it (variant
    (c) fixes it at 1). The real inputs are smoothed to ``real_confidence`` and passed through
    Gumbel-softmax at the annealed temperature (``real_inputs="relaxed"``), or shown to the
    discriminator as exact one-hot vectors (``"one_hot"``, for generators whose outputs are
    straight-through one-hots).
    """

    iterations: int = 20_000
    hidden_size: int = 64
    batch_size: int = 200
    generator_batch_size: int | None = None
    learning_rate: float = 1e-3
    tau_start: float = 5.0
    tau_end: float = 1.0
    anneal_fraction: float = 0.5
    generator_temperature: float | None = None
    real_confidence: float = 0.9
    real_inputs: RealInputs = "relaxed"
    noise: NoiseMode = "hidden_and_cell"
    feedback: Feedback = "relaxed"
    straight_through: bool = False
    generator_loss: GeneratorLoss = "paper"
    minibatch_features: bool = False
    length: int = grammar.MAX_LEN
    dataset_size: int = grammar.DATASET_SIZE
    data_seed: int = 0

    def __post_init__(self) -> None:
        for name in ("iterations", "hidden_size", "batch_size", "length", "dataset_size"):
            check_positive_int(getattr(self, name), name)
        if self.generator_batch_size is not None:
            check_positive_int(self.generator_batch_size, "generator_batch_size")
        check_learning_rate(self.learning_rate)
        for name in ("tau_start", "tau_end"):
            check_temperature(getattr(self, name), name)
        if self.generator_temperature is not None:
            check_temperature(self.generator_temperature, "generator_temperature")
        if not 0.0 < self.anneal_fraction <= 1.0:
            raise ValueError(f"anneal_fraction must be in (0, 1], got {self.anneal_fraction!r}")
        if not 0.0 < self.real_confidence <= 1.0:
            raise ValueError(f"real_confidence must be in (0, 1], got {self.real_confidence!r}")
        check_choice(self.real_inputs, "real_inputs", REAL_INPUTS)
        check_choice(self.noise, "noise", NOISE_MODES)
        check_choice(self.feedback, "feedback", FEEDBACKS)
        check_choice(self.generator_loss, "generator_loss", GENERATOR_LOSSES)

    @property
    def real_schedule(self) -> LinearAnneal:
        """Temperature of the real inputs' Gumbel-softmax: the paper's linear anneal."""
        steps = max(1, round(self.anneal_fraction * self.iterations))
        return LinearAnneal(start=self.tau_start, end=self.tau_end, steps=steps)

    @property
    def generator_schedule(self) -> LinearAnneal | ConstantTemperature:
        """Temperature of the generator's Gumbel-softmax."""
        if self.generator_temperature is None:
            return self.real_schedule
        return ConstantTemperature(self.generator_temperature)


def write_atomically(path: pathlib.Path, write: Any) -> None:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it into place.

    A crash mid-write leaves the old file (or none), never a truncated one (chapter 9).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Trainer:
    """A compiled training step run in a resumable loop (chapters 7-9).

    Subclasses define ``history_keys``, the step ``_step`` (graph code returning those scalars and
    advancing ``self.step``) and the objects to checkpoint. The loop runs the step ``chunk`` times
    per compiled call, records every iteration, shows a progress bar, checkpoints every
    ``checkpoint_every`` iterations (weights, optimizers, random state, step, wall time, and the
    history written atomically) and resumes from the last checkpoint when run again.
    """

    history_keys: tuple[str, ...] = ()
    description = "train"
    chunk = 100

    def __init__(self, seed: int) -> None:
        self.rng = tf.random.Generator.from_seed(derive_seed(seed, "trainer"))
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.wall_seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="wall_seconds")
        self.history: dict[str, list[float]] = {key: [] for key in self.history_keys}
        self._run = tf.function(self._run_steps)

    def _step(self) -> dict[str, tf.Tensor]:
        raise NotImplementedError

    def _trackables(self) -> dict[str, Any]:
        raise NotImplementedError

    def _postfix(self, record: dict[str, float]) -> dict[str, str]:
        return {key: f"{value:.3f}" for key, value in record.items()}

    def _run_steps(self, count: tf.Tensor) -> tf.Tensor:
        """``count`` iterations in one graph loop; their scalars as ``[count, len(history_keys)]``."""
        history = tf.TensorArray(tf.float32, size=count)
        for i in tf.range(count):
            values = self._step()
            history = history.write(i, tf.stack([tf.cast(values[key], tf.float32) for key in self.history_keys]))
        return history.stack()

    def run(self, count: int) -> np.ndarray:
        """Run ``count`` compiled iterations; record them and return their scalars, one row each.

        Raises ``FloatingPointError`` naming the first iteration with a non-finite value.
        """
        count = check_positive_int(count, "count")
        start = int(self.step.numpy())
        values = self._run(tf.constant(count, tf.int32)).numpy()
        for key, column in zip(self.history_keys, values.T):
            self.history[key].extend(column.tolist())
        finite = np.isfinite(values).all(axis=1)
        if not finite.all():
            first = int(np.argmin(finite))
            raise FloatingPointError(
                f"non-finite value at iteration {start + first}: {dict(zip(self.history_keys, values[first]))}"
            )
        return values

    def train(
        self,
        iterations: int,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1_000,
        progress: bool = True,
    ) -> dict[str, np.ndarray]:
        """Train until ``iterations`` steps are done in all, resuming from ``checkpoint_dir``."""
        total = check_positive_int(iterations, "iterations")
        check_positive_int(checkpoint_every, "checkpoint_every")
        manager = None
        if checkpoint_dir is not None:
            checkpoint = tf.train.Checkpoint(
                **self._trackables(), rng=self.rng, step=self.step, wall_seconds=self.wall_seconds
            )
            manager = tf.train.CheckpointManager(checkpoint, str(checkpoint_dir), max_to_keep=2)
            self._restore(manager)
        step = int(self.step.numpy())
        clock = time.perf_counter()
        with tqdm(total=total, initial=step, disable=not progress, desc=self.description, unit="it") as bar:
            while step < total:
                boundary = min(total, (step // checkpoint_every + 1) * checkpoint_every)
                count = min(self.chunk, boundary - step)
                values = self.run(count)
                step += count
                bar.update(count)
                bar.set_postfix(self._postfix(dict(zip(self.history_keys, values[-1].tolist()))))
                if manager is not None and step == boundary:
                    self.wall_seconds.assign_add(time.perf_counter() - clock)
                    clock = time.perf_counter()
                    self._save(manager)
        self.wall_seconds.assign_add(time.perf_counter() - clock)
        return self.history_arrays()

    def history_arrays(self) -> dict[str, np.ndarray]:
        """The recorded history, one float array per quantity, one entry per iteration."""
        return {key: np.asarray(values, dtype=np.float64) for key, values in self.history.items()}

    def _save(self, manager: tf.train.CheckpointManager) -> None:
        history = self.history_arrays()
        write_atomically(pathlib.Path(manager.directory) / "history.npz", lambda f: np.savez(f, **history))
        manager.save(checkpoint_number=int(self.step.numpy()))

    def _restore(self, manager: tf.train.CheckpointManager) -> None:
        if manager.latest_checkpoint is None:
            return
        manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        step = int(self.step.numpy())
        with np.load(pathlib.Path(manager.directory) / "history.npz") as saved:
            self.history = {key: saved[key][:step].tolist() for key in self.history_keys}


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

    def _step(self) -> dict[str, tf.Tensor]:
        variables = self.generator.trainable_variables
        index = self.rng.uniform([self.batch_size], maxval=tf.shape(self.data)[0], dtype=tf.int32)
        batch = tf.gather(self.data, index)
        with tf.GradientTape() as tape:
            logits = self.generator.teacher_forced_logits(batch)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(batch, logits))
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


class SequenceGAN(Trainer):
    """Algorithm 1 of Kusner and Hernández-Lobato (2016) with Gumbel-softmax outputs (chapter 8).

    Each iteration draws a mini-batch of real strings and one batch of noise, runs the generator
    once, updates the discriminator on binary cross-entropy, and then updates the generator through
    the same samples on ``-log(D / (1 - D))`` (``"paper"``) or ``-log D`` (``"nonsaturating"``).
    """

    history_keys = ("d_loss", "g_loss", "d_real", "d_fake", "temperature")
    description = "GAN"

    def __init__(self, config: GANConfig, seed: int = 0, generator: SequenceGenerator | None = None) -> None:
        super().__init__(seed)
        self.config = config
        vocab = grammar.VOCAB_SIZE
        self.training_strings = grammar.sample_dataset(config.dataset_size, config.length, seed=config.data_seed)
        self.data = tf.constant(grammar.encode(self.training_strings, config.length))
        self.generator = generator or SequenceGenerator(
            config.hidden_size, vocab, config.length, config.noise, init_seed=derive_seed(seed, "generator_init")
        )
        self.discriminator = SequenceDiscriminator(
            config.hidden_size, vocab, config.length, init_seed=derive_seed(seed, "discriminator_init"),
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

    def _postfix(self, record: dict[str, float]) -> dict[str, str]:
        return {"tau": f"{record['temperature']:.2f}", "d": f"{record['d_loss']:.3f}", "g": f"{record['g_loss']:.3f}"}

    def train(
        self,
        iterations: int | None = None,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1_000,
        progress: bool = True,
    ) -> dict[str, np.ndarray]:
        """Train up to ``iterations`` (``None``: the config's), resuming from ``checkpoint_dir``.

        ``iterations`` must be a positive integer: 0 raises ``ValueError`` rather than meaning
        the default.
        """
        total = self.config.iterations if iterations is None else iterations
        return super().train(total, checkpoint_dir, checkpoint_every, progress)

    def _real_batch(self, seeds: tf.Tensor, temperature: tf.Tensor) -> tf.Tensor:
        cfg = self.config
        index = tf.random.stateless_uniform(
            [cfg.batch_size], seed=seeds[0], maxval=cfg.dataset_size, dtype=tf.int32
        )
        tokens = tf.gather(self.data, index)
        if cfg.real_inputs == "one_hot":
            return tf.one_hot(tokens, grammar.VOCAB_SIZE)
        return relaxed_real_inputs(tokens, grammar.VOCAB_SIZE, cfg.real_confidence, temperature, seed=seeds[1])

    def _step(self) -> dict[str, tf.Tensor]:
        cfg = self.config
        real_temperature = cfg.real_schedule(self.step)
        generator_temperature = cfg.generator_schedule(self.step)
        seeds = tf.unstack(tf.cast(self.rng.make_seeds(3), tf.int32), axis=1)
        real = self._real_batch(seeds, real_temperature)
        fake_batch = cfg.generator_batch_size or cfg.batch_size
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as g_tape:
            fake = self.generator.generate(
                fake_batch, generator_temperature, seed=seeds[2], feedback=cfg.feedback,
                straight_through_output=cfg.straight_through,
            )
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                # One LSTM pass over real and generated sequences together; each batch is scored
                # with its own minibatch statistics.
                encoded = self.discriminator.encode(tf.concat([real, tf.stop_gradient(fake)], axis=0))
                real_logits = self.discriminator.score(encoded[: cfg.batch_size], real)
                fake_logits = self.discriminator.score(encoded[cfg.batch_size :], tf.stop_gradient(fake))
                d_loss = _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)
            with g_tape.stop_recording():
                self.d_optimizer.apply(d_tape.gradient(d_loss, d_vars), d_vars)
            logits = self.discriminator(fake)
            if cfg.generator_loss == "paper":
                g_loss = -tf.reduce_mean(logits)  # -log(D / (1 - D)) = -logit
            else:
                g_loss = _bce(logits, 1.0)
        self.g_optimizer.apply(g_tape.gradient(g_loss, g_vars), g_vars)
        self.step.assign_add(1)
        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            "temperature": generator_temperature,
        }

    def sample_strings(self, n: int, seed: int = 0, temperature: float | None = None) -> list[str]:
        """``n`` generated strings: the argmax of each Gumbel-softmax output (chapter 8).

        The argmax of a Gumbel-softmax sample is an exact sample of that step's softmax, so these
        are the discrete strings the generator defines at ``temperature`` (default: the final one).
        """
        n = check_positive_int(n, "n")
        tau = self.config.generator_schedule(self.config.iterations) if temperature is None else temperature
        vectors = self.generator.generate(n, tau, seed=(derive_seed(seed, "samples"), 1),
                                         feedback=self.config.feedback)
        return grammar.decode(tf.argmax(vectors, axis=-1).numpy())


def _bce(logits: tf.Tensor, label: float) -> tf.Tensor:
    return tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.fill(tf.shape(logits), label), logits=logits)
    )


