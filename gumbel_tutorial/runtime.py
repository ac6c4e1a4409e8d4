"""Quiet, reproducible TensorFlow start-up (used by every chapter, introduced in chapter 1).

TensorFlow writes start-up lines (absl, oneDNN, CUDA stubs) straight to the process's file
descriptor 2, some at import and some at the first operation. A Jupyter kernel captures that
descriptor into the cell output, so the lines would end up in the stored notebooks. Importing
this module imports TensorFlow and TensorFlow Probability with descriptor 2 pointed at the null
device, runs one operation so the device start-up happens there too, and then restores it.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import warnings
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _stderr_to_devnull() -> Iterator[None]:
    """Point file descriptor 2 at the null device for the duration of the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _stderr_to_devnull(), warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import numpy as np
    import tensorflow as tf
    import tensorflow_probability as tfp

    tf.get_logger().setLevel("ERROR")
    tf.config.experimental.enable_op_determinism()
    # The first operation starts the CPU device, which logs once more.
    _ = (tf.constant([1.0]) + 1.0).numpy()
    _ = tfp.distributions.Normal(0.0, 1.0).sample(seed=(0, 0)).numpy()

tfd = tfp.distributions


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow at the top of a chapter (chapter 1).

    With TensorFlow's op determinism switched on at import, a chapter that calls this once
    prints the same numbers on every fresh run.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
