"""The training loop: many compiled steps per call, progress, history and resuming (chapters 7-9).

Training steps run inside one compiled ``tf.function`` loop, up to ``Trainer.chunk`` iterations
per call from Python, so the many small steps do not each pay Python's dispatch cost. Randomness
comes from one ``tf.random.Generator`` per run, so a checkpoint holds the exact random state and a
resumed run continues where it stopped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from tqdm import tqdm

from . import checkpoints
from .checks import check_callable, check_positive_int
from .runtime import tf
from .seeds import check_root, derive_seed


class Trainer:
    """A compiled training step run in a resumable loop (chapters 7-9).

    Subclasses define ``history_keys``, the public :meth:`train_step` (one iteration: graph code
    that returns those scalars and advances ``self.step``) and the objects to checkpoint. Two ways
    to run it: :meth:`advance` runs a given number of *further* iterations; :meth:`train` runs until
    a given *total*, with a progress bar, a checkpoint every ``checkpoint_every`` iterations
    (weights, optimizers, random state, step, wall time, and the history written atomically), and
    resumes from the last checkpoint when run again.
    """

    history_keys: tuple[str, ...] = ()
    description = "train"
    chunk = 100

    def __init__(self, seed: int) -> None:
        self.rng = tf.random.Generator.from_seed(derive_seed(check_root(seed, "seed"), "trainer"))
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.wall_seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="wall_seconds")
        self.history: dict[str, list[float]] = {key: [] for key in self.history_keys}
        self._compiled = tf.function(self._steps)

    def train_step(self) -> dict[str, tf.Tensor]:
        """One training iteration; returns the scalars named in ``history_keys``."""
        raise NotImplementedError

    def _trackables(self) -> dict[str, Any]:
        raise NotImplementedError

    def _postfix(self, record: dict[str, float]) -> dict[str, str]:
        return {key: f"{value:.3f}" for key, value in record.items()}

    def _steps(self, count: tf.Tensor) -> tf.Tensor:
        """``count`` iterations in one graph loop; their scalars as ``[count, len(history_keys)]``."""
        history = tf.TensorArray(tf.float32, size=count)
        for i in tf.range(count):
            values = self.train_step()
            history = history.write(i, tf.stack([tf.cast(values[key], tf.float32) for key in self.history_keys]))
        return history.stack()

    def advance(self, count: int) -> np.ndarray:
        """Run ``count`` further iterations in one compiled call; record them and return their
        scalars, one row each.

        Raises ``FloatingPointError`` naming the first iteration with a non-finite value.
        """
        count = check_positive_int(count, "count")
        start = int(self.step.numpy())
        values = self._compiled(tf.constant(count, tf.int32)).numpy()
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
        on_checkpoint: Callable[[int], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Train until ``iterations`` iterations are done in all, resuming from ``checkpoint_dir``.

        ``iterations`` must be a positive integer (0 raises ``ValueError``); a run that has already
        done them returns at once. ``on_checkpoint(step)`` is called after every checkpoint, and
        once after resuming from one (so it must not mind a second call for the same step).
        """
        total = check_positive_int(iterations, "iterations")
        check_positive_int(checkpoint_every, "checkpoint_every")
        if on_checkpoint is not None:
            check_callable(on_checkpoint, "on_checkpoint")
        manager = None
        if checkpoint_dir is not None:
            manager = checkpoints.checkpoint_manager(
                checkpoint_dir, **self._trackables(), rng=self.rng, step=self.step, wall_seconds=self.wall_seconds
            )
            restored = checkpoints.restore(manager, self.history_keys, self.step)
            if restored is not None:
                self.history = restored
                if on_checkpoint is not None:
                    on_checkpoint(int(self.step.numpy()))
        step = int(self.step.numpy())
        clock = time.perf_counter()
        with tqdm(total=total, initial=step, disable=not progress, desc=self.description, unit="it") as bar:
            while step < total:
                boundary = min(total, (step // checkpoint_every + 1) * checkpoint_every)
                count = min(self.chunk, boundary - step)
                values = self.advance(count)
                step += count
                bar.update(count)
                bar.set_postfix(self._postfix(dict(zip(self.history_keys, values[-1].tolist()))))
                if manager is not None and step == boundary:
                    self.wall_seconds.assign_add(time.perf_counter() - clock)
                    clock = time.perf_counter()
                    self._save(manager)
                    if on_checkpoint is not None:
                        on_checkpoint(step)
        self.wall_seconds.assign_add(time.perf_counter() - clock)
        return self.history_arrays()

    def history_arrays(self) -> dict[str, np.ndarray]:
        """The recorded history, one float array per quantity, one entry per iteration."""
        return {key: np.asarray(values, dtype=np.float64) for key, values in self.history.items()}

    def _save(self, manager: tf.train.CheckpointManager) -> None:
        checkpoints.save(manager, int(self.step.numpy()), self.history_arrays())
