"""Long runs that lose no work: atomic files and resumable checkpoints (chapter 9)."""

from __future__ import annotations

import os
import pathlib
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from .runtime import tf


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


def checkpoint_manager(directory: str | os.PathLike[str], **trackables: Any) -> tf.train.CheckpointManager:
    """A manager keeping the last two checkpoints of ``trackables`` in ``directory`` (chapter 9)."""
    checkpoint = tf.train.Checkpoint(**trackables)
    return tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=2)


def save(manager: tf.train.CheckpointManager, step: int, history: dict[str, np.ndarray]) -> None:
    """Write the history (atomically), then the checkpoint numbered ``step``."""
    write_atomically(pathlib.Path(manager.directory) / "history.npz", lambda f: np.savez(f, **history))
    manager.save(checkpoint_number=step)


def restore(manager: tf.train.CheckpointManager, keys: Sequence[str], step: Any) -> dict[str, list[float]] | None:
    """Load the latest checkpoint into its objects; return the history up to the restored step.

    ``step`` is the checkpointed step variable. Returns ``None`` when there is no checkpoint yet.
    """
    if manager.latest_checkpoint is None:
        return None
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    done = int(step.numpy())
    with np.load(pathlib.Path(manager.directory) / "history.npz") as saved:
        return {key: saved[key][:done].tolist() for key in keys}
