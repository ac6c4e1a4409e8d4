"""Every seed of the book, derived in one place (introduced in chapter 1).

A chapter or a run names a small *root* seed (chapter 3 uses 3, ``reproduce --seeds 0,1,2`` uses
0, 1 and 2). Each random stream then gets its own seed from :func:`derive_seed`, which adds the
seed offset and applies the stream's *purpose*. :func:`check_root` and :func:`check_seed` are
the package's checks of the seeds users pass. The offset, read from the environment variable
``GUMBEL_TUTORIAL_SEED_OFFSET`` (default 0), shifts every root by ``OFFSET_STRIDE`` (2**20) times
its value, so one setting runs the whole book under different randomness; at offset 0 every seed is
the one the stored outputs were made with.
"""

from __future__ import annotations

import os
import random
from typing import Any

from .checks import check_choice, show
from .runtime import np, tf

OFFSET_VARIABLE = "GUMBEL_TUTORIAL_SEED_OFFSET"
OFFSET_STRIDE = 2**20  # roots lie in [0, 2**20), so two offsets never share a seed
MAX_ROOT = OFFSET_STRIDE - 1
MAX_OFFSET = 99  # keeps the largest derived seed, 16 * 100 * 2**20, inside int32

# purpose: (scale, shift), so that seed = scale * (root + OFFSET_STRIDE * offset) + shift.
PURPOSES: dict[str, tuple[int, int]] = {
    "global": (1, 0),  # set_seed: Python's, NumPy's and TensorFlow's global generators
    "numpy": (1, 0),  # a chapter's own numpy.random.default_rng
    "stateless": (1, 0),  # first half of a stateless seed pair (gt.seed_pair)
    "data": (1, 0),  # grammar.sample_dataset's generator
    "trainer": (1, 0),  # a Trainer's tf.random.Generator: mini-batches and noise
    "samples": (1, 0),  # first half of the pair that draws a trained model's samples
    "generator_init": (10, 0),  # a generator's initial weights (uses +0, +1, +2)
    "discriminator_init": (10, 5),  # a discriminator's initial weights (uses +0, +1, +2)
    "toy_gan": (16, 0),  # the toy GAN's streams: 16 * root + stream
}


def seed_offset() -> int:
    """The offset from ``GUMBEL_TUTORIAL_SEED_OFFSET``: an integer in ``[0, 99]``, default 0."""
    text = os.environ.get(OFFSET_VARIABLE, "0").strip()
    if not text.isdigit() or int(text) > MAX_OFFSET:
        raise ValueError(f"{OFFSET_VARIABLE} must be an integer in [0, {MAX_OFFSET}], got {text!r}")
    return int(text)


def check_root(root: Any, name: str = "root") -> int:
    """Return ``root`` as an int, raising ``ValueError`` unless it is an int in [0, MAX_ROOT].

    The one check of the seeds that users pass (chapters, trainers, the toy GAN's config).
    """
    if isinstance(root, bool) or not isinstance(root, int | np.integer) or not 0 <= root <= MAX_ROOT:
        raise ValueError(f"{name} must be an int in [0, {MAX_ROOT}], got {root!r}")
    return int(root)


def derive_seed(root: int, purpose: str) -> int:
    """The seed of one random stream: ``root`` shifted by the offset, then mapped by ``purpose``."""
    root = check_root(root)
    check_choice(purpose, "purpose", PURPOSES)
    scale, shift = PURPOSES[purpose]
    return scale * (root + OFFSET_STRIDE * seed_offset()) + shift


def seed_pair(root: int, index: int | tf.Tensor) -> tuple[int, int | tf.Tensor]:
    """A stateless seed ``(derived root, index)`` for TensorFlow's ``stateless_*`` ops (chapter 1).

    ``index`` is an int in [0, 2**31) or a scalar ``int32`` tensor (a loop counter in a graph).
    """
    is_int = isinstance(index, int | np.integer) and not isinstance(index, bool)
    is_counter = isinstance(index, tf.Tensor) and index.dtype == tf.int32 and index.shape.rank in (0, None)
    if not (is_counter or (is_int and 0 <= index < 2**31)):
        raise ValueError(f"index must be an int in [0, 2**31) or a scalar int32 tensor, got {index!r}")
    return derive_seed(root, "stateless"), index


def rng(root: int) -> np.random.Generator:
    """A NumPy generator for a chapter's own draws, seeded through :func:`derive_seed`."""
    return np.random.default_rng(derive_seed(root, "numpy"))


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow at the top of a chapter (chapter 1).

    With TensorFlow's op determinism switched on at import, a chapter that calls this once
    prints the same numbers on every fresh run; the seed offset shifts it like every other seed.
    """
    derived = derive_seed(check_root(seed, "seed"), "global")
    random.seed(derived)
    np.random.seed(derived)
    tf.random.set_seed(derived)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_seed_part(item: Any) -> bool:
    """One half of a stateless pair: an int, or a scalar int32 tensor (symbolic or eager)."""
    if _is_int(item):
        return True
    if isinstance(item, np.ndarray):
        return item.ndim == 0 and item.dtype.kind in "iu"
    if isinstance(item, tf.Tensor | tf.Variable):
        return item.dtype == tf.int32 and item.shape.rank in (0, None)
    return False


def check_seed(seed: Any, name: str = "seed") -> Any:
    """Check a random seed in TensorFlow Probability's convention and return it unchanged.

    Allowed: ``None`` or a Python int (drawn statefully), or a stateless pair: two ints (a tuple,
    a list or an integer NumPy array of shape ``[2]``) or an ``int32`` tensor of shape ``[2]``. A
    symbolic tensor is checked for its dtype and static shape only, in Python.
    """
    allowed = "None, an int, or a pair of ints (an int32 tensor of shape [2])"
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return seed
    if isinstance(seed, tuple | list):
        if len(seed) != 2 or not all(_is_seed_part(item) for item in seed):
            raise ValueError(f"{name} must be {allowed}, got {show(seed)}")
        return seed
    if isinstance(seed, tf.Tensor | tf.Variable):
        if seed.dtype != tf.int32 or not seed.shape.is_compatible_with([2]):
            raise ValueError(f"{name} must be {allowed}, got a {seed.dtype.name} tensor of shape {seed.shape}")
        return seed
    if isinstance(seed, np.ndarray) and seed.dtype.kind in "iu" and seed.shape == (2,):
        return seed
    raise ValueError(f"{name} must be {allowed}, got {show(seed)}")
