"""Quiet, pinned, reproducible TensorFlow start-up (used by every chapter, introduced in chapter 1).

Two jobs, both done before TensorFlow is imported:

* **Pinned numerics.** Stored notebook outputs must re-run to the same digits on every reader's
  x86-64 machine. Several libraries pick their machine code from the CPU they find at run time, so
  the same program rounds differently on an AVX2 machine and on one with AVX-512 or AMX. We cap
  each of them at AVX2 (which nearly every x86-64 machine of the last ten years has), unless the
  user has already set the variable: XLA's code generation (``--xla_cpu_max_isa``), oneDNN's
  kernels (``ONEDNN_MAX_CPU_ISA``, and TensorFlow's oneDNN path off, ``TF_ENABLE_ONEDNN_OPTS=0``,
  since TensorFlow enables it by default only on AVX-512 machines), OpenBLAS's kernels for NumPy
  (``OPENBLAS_CORETYPE``) and NumPy's own SIMD loops (``NPY_DISABLE_CPU_FEATURES``). TensorFlow's
  thread pools are fixed at ``GUMBEL_TUTORIAL_THREADS`` threads (default 2), so a machine with more
  cores splits its reductions the same way. :data:`PINNED` records what was set.
* **Quiet start-up.** TensorFlow writes start-up lines (absl, oneDNN, CUDA stubs) straight to the
  process's file descriptor 2, which a Jupyter kernel captures into the stored cell outputs. We
  import TensorFlow and TensorFlow Probability with descriptor 2 pointed at the null device, run
  one operation so the device start-up happens there too, and then restore it.

Everything importing the package changes in the process, in full: the pinned variables above
and ``TF_CPP_MIN_LOG_LEVEL=3`` in ``os.environ`` (each only if unset), TensorFlow's logger level
(``ERROR``), its thread counts and ``tf.config.experimental.enable_op_determinism()`` (so that a
run repeats exactly). No other module of the package changes process-wide state when imported;
``tests/test_quiet_import.py`` checks it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import warnings
from collections.abc import Iterator

THREADS_VARIABLE = "GUMBEL_TUTORIAL_THREADS"
PINNED_VARIABLES = ("XLA_FLAGS", "ONEDNN_MAX_CPU_ISA", "TF_ENABLE_ONEDNN_OPTS", "OPENBLAS_CORETYPE",
                    "NPY_DISABLE_CPU_FEATURES", THREADS_VARIABLE)
_X86 = platform.machine().lower() in ("x86_64", "amd64")


def _pin_numerics() -> dict[str, str]:
    """Set the numerics variables the user has not set; return the ones in force."""
    if "tensorflow" in sys.modules:
        warnings.warn(
            "TensorFlow was imported before gumbel_tutorial, so the instruction-set pin cannot "
            "apply and printed numbers may differ from the book's; import gumbel_tutorial first",
            RuntimeWarning,
            stacklevel=3,
        )
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    if _X86:
        flags = os.environ.get("XLA_FLAGS", "")
        if "--xla_cpu_max_isa" not in flags:
            os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_max_isa=AVX2".strip()
        os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX2")
        os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
        os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")
    return {name: os.environ[name] for name in PINNED_VARIABLES if name in os.environ}


def _threads() -> int:
    value = os.environ.get(THREADS_VARIABLE, "2")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_VARIABLE} must be a positive integer, got {value!r}")
    return int(value)


PINNED = _pin_numerics()
THREADS = _threads()


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
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    tf.config.threading.set_inter_op_parallelism_threads(THREADS)
    # The first operation starts the CPU device, which logs once more.
    _ = (tf.constant([1.0]) + 1.0).numpy()
    _ = tfp.distributions.Normal(0.0, 1.0).sample(seed=(0, 0)).numpy()

tfd = tfp.distributions

