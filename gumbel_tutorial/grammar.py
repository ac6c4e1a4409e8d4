"""The paper's context-free grammar of one-variable arithmetic, sampled and recognized (chapter 6).

The grammar (Kusner and Hernández-Lobato, 2016, section 3) has one nonterminal ``S``::

    S -> x | S+S | S-S | S*S | S/S

Its sentences are written over five symbols, and the data pads each sentence with spaces to a
fixed length (12 in the paper), so sequences use the six symbols of :data:`VOCAB`. The padding
space comes first, at index :data:`PAD_INDEX` = 0.

Sampling (:func:`sample_dataset`) runs a derivation of the grammar in two steps:

1. draw the number of operators ``k`` (the number of times ``S -> S op S`` is used), by default
   uniformly from ``0, 1, ..., (max_len - 1) // 2``, so every possible sentence length
   ``2k + 1`` is equally likely;
2. draw a derivation tree with ``k`` operator nodes uniformly among all binary tree shapes
   (:func:`sample_tree`), label each operator node with one of ``+ - * /`` uniformly and each leaf
   with ``x``, and read the sentence off the leaves (:func:`tree_to_string`).

A plain branching process (each ``S`` becomes ``x`` with some probability ``p``) would instead make
most strings a lone ``x`` unless ``p`` sits near the critical value, and then most derivations grow
past the length limit; fixing ``k`` first gives a length distribution we choose and can state.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any, Union

import numpy as np

from .checks import check_choice, check_positive_int, check_probabilities
from .seeds import derive_seed

PAD = " "
"""The padding symbol: a space, as in the paper."""

VOCAB: tuple[str, ...] = (" ", "x", "+", "-", "*", "/")
"""The six symbols, in index order: padding space, ``x``, then the operators ``+ - * /``."""

VOCAB_SIZE = 6
PAD_INDEX = 0
OPERATORS: tuple[str, ...] = ("+", "-", "*", "/")
MAX_LEN = 12
"""The paper's sequence length: sentences of at most 12 symbols, padded to exactly 12."""
DATASET_SIZE = 5_000
"""The paper's number of training strings."""

_INDEX = {symbol: i for i, symbol in enumerate(VOCAB)}

Tree = Union[str, tuple[str, "Tree", "Tree"]]
"""A derivation tree: the leaf ``"x"`` (``S -> x``) or ``(op, left, right)`` (``S -> S op S``)."""


def _catalan(k: int) -> int:
    return math.comb(2 * k, k) // (k + 1)


@functools.lru_cache(maxsize=None)
def _split_cdf(k: int) -> tuple[float, ...]:
    """Cumulative probabilities of giving 0, 1, ..., k-2 operators to the left subtree."""
    weights = [_catalan(i) * _catalan(k - 1 - i) for i in range(k)]
    total = _catalan(k)
    return tuple(sum(weights[: i + 1]) / total for i in range(k - 1))


def sample_tree(num_operators: int, rng: np.random.Generator) -> Tree:
    """A derivation tree with ``num_operators`` uses of ``S -> S op S``, uniform over shapes (chapter 6).

    There are ``Catalan(k)`` binary tree shapes with ``k`` operator nodes. The root's left subtree
    gets ``i`` of the remaining ``k - 1`` operators with probability
    ``Catalan(i) * Catalan(k - 1 - i) / Catalan(k)``, which makes every shape equally likely.
    Each operator is drawn uniformly from ``+ - * /``.
    """
    if isinstance(num_operators, bool) or not isinstance(num_operators, int | np.integer):
        raise ValueError(f"num_operators must be a non-negative integer, got {num_operators!r}")
    if num_operators < 0:
        raise ValueError(f"num_operators must be a non-negative integer, got {num_operators!r}")
    k = int(num_operators)
    if k == 0:
        return "x"
    left = bisect.bisect_right(_split_cdf(k), rng.random())
    op = OPERATORS[int(rng.integers(len(OPERATORS)))]
    return (op, sample_tree(left, rng), sample_tree(k - 1 - left, rng))


def tree_to_string(tree: Tree) -> str:
    """The sentence a derivation tree yields: its leaves and operators read left to right (chapter 6)."""
    if isinstance(tree, str):
        if tree != "x":
            raise ValueError(f"tree leaves must be 'x', got {tree!r}")
        return tree
    op, left, right = tree
    check_choice(op, "tree operators", OPERATORS)
    return tree_to_string(left) + op + tree_to_string(right)


def default_operator_probs(max_len: int = MAX_LEN) -> np.ndarray:
    """The default distribution of the operator count ``k``: uniform on ``0..(max_len-1)//2`` (chapter 6)."""
    max_len = check_positive_int(max_len, "max_len")
    count = (max_len - 1) // 2 + 1
    return np.full(count, 1.0 / count)


def pad(sentence: str, length: int = MAX_LEN) -> str:
    """``sentence`` followed by padding spaces up to ``length`` symbols (chapter 6)."""
    length = check_positive_int(length, "length")
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
    if len(sentence) > length:
        raise ValueError(f"sentence {sentence!r} has {len(sentence)} symbols, more than length={length}")
    return sentence + PAD * (length - len(sentence))


def sample_dataset(
    n: int = DATASET_SIZE,
    max_len: int = MAX_LEN,
    seed: int = 0,
    *,
    operator_probs: Sequence[float] | None = None,
) -> list[str]:
    """``n`` random sentences of the grammar, each padded with spaces to exactly ``max_len`` (chapter 6).

    Each string is one derivation: the number of operators ``k`` is drawn from ``operator_probs``
    (a vector over ``k = 0, 1, ..., (max_len - 1) // 2``; default uniform, so each sentence length
    ``1, 3, ..., 2K + 1`` holds about the same share), then a derivation tree with ``k`` operators
    comes from :func:`sample_tree`. The same ``seed`` gives the same list
    (``numpy.random.default_rng(seed)``).
    """
    n = check_positive_int(n, "n")
    max_len = check_positive_int(max_len, "max_len")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if operator_probs is None:
        probs = default_operator_probs(max_len)
    else:
        count = (max_len - 1) // 2 + 1
        raw = np.asarray(operator_probs, dtype=np.float64)
        if raw.shape != (count,):
            raise ValueError(
                f"operator_probs must hold {count} probabilities (k = 0..{count - 1} operators for "
                f"max_len={max_len}), got shape {raw.shape}"
            )
        probs = raw if count == 1 else check_probabilities(raw, "operator_probs")
        if count == 1 and not math.isclose(float(raw[0]), 1.0, abs_tol=1e-6):
            raise ValueError(f"operator_probs must sum to 1, got {raw.tolist()}")
    rng = np.random.default_rng(derive_seed(int(seed), "data"))
    operator_counts = rng.choice(probs.size, size=n, p=probs / probs.sum())
    return [pad(tree_to_string(sample_tree(int(k), rng)), max_len) for k in operator_counts]


def is_valid(s: str) -> bool:
    """True exactly when ``s`` is a sentence of the grammar followed only by padding spaces (chapter 6).

    The recognizer is a two-state automaton derived from the grammar. Every sentence of ``S``
    starts with ``x`` and ends with ``x`` (true for ``x``, and kept by ``S -> S op S``), and
    ``S op S`` puts an operator between two such sentences; by induction the sentences are exactly
    the alternations ``x (op x)*``. Conversely each alternation has a derivation (for example the
    right-branching one ``S -> x op S``). So the automaton is in state *need S* at the start and
    after an operator, where only ``x`` may follow, and in state *have S* after an ``x``, where
    an operator, the end, or padding may follow. After the first padding space only spaces may
    follow. Any length is accepted as input; the empty string and all-space strings are invalid.
    """
    if not isinstance(s, str):
        raise TypeError(f"s must be a str, got {type(s).__name__}")
    core = s.rstrip(PAD)
    have_s = False
    for symbol in core:
        if symbol == "x" and not have_s:
            have_s = True
        elif symbol in OPERATORS and have_s:
            have_s = False
        else:
            return False
    return have_s


def _check_strings(strings: Any, name: str) -> list[str]:
    if isinstance(strings, str):
        raise TypeError(f"{name} must be a sequence of strings, not a single string ({strings!r})")
    items = list(strings)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name} must hold only str, got {type(item).__name__} ({item!r})")
    return items


def encode(strings: Iterable[str], length: int = MAX_LEN) -> np.ndarray:
    """Symbol indices into :data:`VOCAB`, an ``int32`` array of shape ``(n, length)`` (chapter 6).

    Every string must have exactly ``length`` symbols from :data:`VOCAB` (pad first with
    :func:`pad`); otherwise ``ValueError`` names the offending string.
    """
    length = check_positive_int(length, "length")
    items = _check_strings(strings, "strings")
    out = np.empty((len(items), length), dtype=np.int32)
    for row, s in enumerate(items):
        if len(s) != length:
            raise ValueError(f"strings[{row}] = {s!r} has {len(s)} symbols, expected length={length}")
        for col, symbol in enumerate(s):
            index = _INDEX.get(symbol)
            if index is None:
                raise ValueError(
                    f"strings[{row}] = {s!r} holds {symbol!r}, which is not in VOCAB {VOCAB}"
                )
            out[row, col] = index
    return out


def decode(indices: Any) -> list[str]:
    """Strings from an integer array of symbol indices shaped ``(n, length)`` (chapter 6).

    The inverse of :func:`encode`. Accepts NumPy arrays, nested lists and eager tensors; raises
    ``ValueError`` for a non-integer dtype, a rank other than 2 or an index outside ``[0, 6)``.
    """
    array = np.asarray(indices)
    if array.ndim != 2:
        raise ValueError(f"indices must have shape (n, length), got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(f"indices must have an integer dtype, got {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= VOCAB_SIZE):
        raise ValueError(
            f"indices must lie in [0, {VOCAB_SIZE}), got values from {array.min()} to {array.max()}"
        )
    table = np.array(VOCAB)
    return ["".join(row) for row in table[array.astype(np.int64)]]


def count_valid(length: int = MAX_LEN) -> int:
    """The number of valid strings of exactly ``length`` symbols (sentence plus padding) (chapter 6).

    Sentences with ``k`` operators have ``2k + 1`` symbols and ``4**k`` choices of operators, so
    the count is ``sum(4**k for 2k + 1 <= length)``.
    """
    length = check_positive_int(length, "length")
    return sum(len(OPERATORS) ** k for k in range((length - 1) // 2 + 1))
