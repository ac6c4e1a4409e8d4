"""Sample-quality metrics for generated strings, defined once for the rest of the book (chapter 6).

All functions take ``samples`` as a sequence of strings (or an integer index array shaped
``(n, length)``, which is decoded with :func:`gumbel_tutorial.grammar.decode` first). Duplicates
count once per occurrence everywhere except in :func:`fraction_unique`.

* **valid**: the fraction of samples that are sentences of the grammar followed only by padding
  (:func:`gumbel_tutorial.grammar.is_valid`).
* **unique**: the number of distinct samples divided by the number of samples.
* **novel**: the fraction of *all* samples (valid or not) whose string is not in the training set.
  An invalid string is never in the training set, so it counts as novel; read novel together with
  valid, or use :func:`fraction_valid_novel` for the share that is both.
* **length_tv**: the total-variation distance between the length distributions of samples and
  reference, where the length of a string is ``len(s.rstrip(" "))``, the number of symbols before
  the trailing padding (meaningful for invalid strings too).
* **symbol_tv**: the total-variation distance between the symbol distributions: the frequency of
  each of the six :data:`~gumbel_tutorial.grammar.VOCAB` symbols over all positions, padding
  included.

The total-variation distance of two distributions ``p`` and ``q`` on the same finite set is
``0.5 * sum(|p_i - q_i|)``: 0 for equal distributions, 1 for disjoint supports.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from .checks import check_positive_int
from .grammar import MAX_LEN, OPERATORS, PAD, VOCAB, decode, default_operator_probs, is_valid, pad
from .stats import total_variation

METRIC_NAMES: tuple[str, ...] = ("valid", "unique", "novel", "length_tv", "symbol_tv")
"""The keys of :func:`evaluate`, in order."""


def _as_strings(samples: Any, name: str = "samples", allow_empty: bool = False) -> list[str]:
    """A list of strings from strings or from an integer index array; empty raises ``ValueError``."""
    if isinstance(samples, str):
        raise TypeError(f"{name} must be a sequence of strings, not a single string ({samples!r})")
    if isinstance(samples, np.ndarray) and samples.dtype.kind in "iu":
        items = decode(samples)
    elif hasattr(samples, "numpy") and callable(samples.numpy):  # an eager tensor of indices
        items = decode(samples.numpy())
    else:
        items = list(samples)
    if not items and not allow_empty:
        raise ValueError(f"{name} must hold at least one string, got none")
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name} must hold only str, got {type(item).__name__} ({item!r})")
    return items


def fraction_valid(samples: Iterable[str]) -> float:
    """The fraction of samples that are valid sentences plus padding (chapter 6)."""
    items = _as_strings(samples)
    return sum(is_valid(s) for s in items) / len(items)


def fraction_unique(samples: Iterable[str]) -> float:
    """The number of distinct samples divided by the number of samples (chapter 6)."""
    items = _as_strings(samples)
    return len(set(items)) / len(items)


def fraction_novel(samples: Iterable[str], training: Iterable[str]) -> float:
    """The fraction of all samples (each duplicate counted) not found in ``training`` (chapter 6).

    Computed over all samples, valid or not; see :func:`fraction_valid_novel`.
    """
    items = _as_strings(samples)
    seen = set(_as_strings(training, "training", allow_empty=True))
    return sum(s not in seen for s in items) / len(items)


def fraction_valid_novel(samples: Iterable[str], training: Iterable[str]) -> float:
    """The fraction of all samples that are valid and not in ``training`` (chapter 6)."""
    items = _as_strings(samples)
    seen = set(_as_strings(training, "training", allow_empty=True))
    return sum(is_valid(s) and s not in seen for s in items) / len(items)


def length_distribution(samples: Iterable[str], max_len: int | None = None) -> np.ndarray:
    """Frequencies of the lengths ``0..max_len`` (length = symbols before trailing padding) (chapter 6).

    ``max_len`` defaults to the longest string in ``samples``.
    """
    items = _as_strings(samples)
    lengths = np.array([len(s.rstrip(PAD)) for s in items], dtype=np.int64)
    top = max(len(s) for s in items) if max_len is None else max_len
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 0:
        raise ValueError(f"max_len must be a non-negative int, got {max_len!r}")
    if lengths.max() > top:
        raise ValueError(f"max_len={max_len} is shorter than a sample of length {lengths.max()}")
    return np.bincount(lengths, minlength=top + 1) / len(items)


def symbol_distribution(samples: Iterable[str]) -> np.ndarray:
    """Frequency of each :data:`VOCAB` symbol over all positions of all samples, padding included (chapter 6).

    A symbol outside the vocabulary raises ``ValueError`` naming the string.
    """
    items = _as_strings(samples)
    counts: Counter[str] = Counter()
    for s in items:
        counts.update(s)
    for symbol in counts:
        if symbol not in VOCAB:
            bad = next(s for s in items if symbol in s)
            raise ValueError(f"sample {bad!r} holds {symbol!r}, which is not in VOCAB {VOCAB}")
    total = sum(counts.values())
    if total == 0:
        raise ValueError("samples must hold at least one symbol, got only empty strings")
    return np.array([counts[symbol] / total for symbol in VOCAB])


def length_tv(samples: Iterable[str], reference: Iterable[str]) -> float:
    """Total-variation distance between the length distributions of samples and reference (chapter 6)."""
    items = _as_strings(samples)
    ref = _as_strings(reference, "reference")
    top = max(max(len(s) for s in items), max(len(s) for s in ref))
    return total_variation(length_distribution(items, top), length_distribution(ref, top))


def symbol_tv(samples: Iterable[str], reference: Iterable[str]) -> float:
    """Total-variation distance between the symbol distributions of samples and reference (chapter 6)."""
    items = _as_strings(samples)
    ref = _as_strings(reference, "reference")
    return total_variation(symbol_distribution(items), symbol_distribution(ref))


def evaluate(samples: Iterable[str], training: Iterable[str]) -> dict[str, float]:
    """All five metrics of ``samples`` against the ``training`` strings, keys in :data:`METRIC_NAMES` order (chapter 6).

    ``training`` is both the set for novelty and the reference for the two distances.
    """
    items = _as_strings(samples)
    ref = _as_strings(training, "training")
    return {
        "valid": float(fraction_valid(items)),
        "unique": float(fraction_unique(items)),
        "novel": float(fraction_novel(items, ref)),
        "length_tv": float(length_tv(items, ref)),
        "symbol_tv": float(symbol_tv(items, ref)),
    }


# The true distribution (chapter 9). ``sample_dataset`` draws the operator count k uniformly from
# 0..K and each of the k operators uniformly from + - * /. Every tree shape with the same operators
# reads as the same string, so a valid string with k operators has probability 4**-k / (K + 1).

DISTRIBUTION_METRICS: tuple[str, ...] = ("valid_mass", "true_tv", "coverage")
"""The keys of :func:`distribution_metrics`, in order."""


def true_probability(s: str, length: int = MAX_LEN) -> float:
    """The probability that :func:`~gumbel_tutorial.grammar.sample_dataset` draws ``s`` (chapter 9).

    ``s`` must have exactly ``length`` symbols; an invalid string has probability 0.
    """
    length = check_positive_int(length, "length")
    if not isinstance(s, str) or len(s) != length:
        raise ValueError(f"s must be a str of {length} symbols, got {s!r}")
    if not is_valid(s):
        return 0.0
    operators = len(s.rstrip(PAD)) // 2
    return float(default_operator_probs(length)[operators] * len(OPERATORS) ** -operators)


def true_distribution(length: int = MAX_LEN) -> dict[str, float]:
    """Every valid padded string of ``length`` symbols with its true probability (chapter 9)."""
    length = check_positive_int(length, "length")
    probs = default_operator_probs(length)
    table = {}
    for k, p_k in enumerate(probs):
        for ops in itertools.product(OPERATORS, repeat=k):
            sentence = "x" + "".join(op + "x" for op in ops)
            table[pad(sentence, length)] = float(p_k) * len(OPERATORS) ** -k
    return table


def distribution_metrics(samples: Iterable[str], length: int = MAX_LEN) -> dict[str, float]:
    """How far the empirical distribution of ``samples`` is from the true one (chapter 9).

    * **valid_mass**: the share of samples that are valid, an estimate of the model's mass on the
      grammar's language;
    * **true_tv**: the total-variation distance between the samples' empirical distribution and
      the true distribution :func:`true_distribution` (invalid strings have true probability 0);
    * **coverage**: the true probability mass of the distinct valid strings the samples contain.

    Each sample must have exactly ``length`` symbols.
    """
    items = _as_strings(samples)
    truth = true_distribution(length)
    bad = next((s for s in items if len(s) != length), None)
    if bad is not None:
        raise ValueError(f"samples must all have {length} symbols, got {bad!r}")
    counts = Counter(items)
    n = len(items)
    tv = sum(abs(c / n - truth.get(s, 0.0)) for s, c in counts.items())
    tv += sum(p for s, p in truth.items() if s not in counts)
    return {
        "valid_mass": float(fraction_valid(items)),
        "true_tv": float(0.5 * tv),
        "coverage": float(sum(truth[s] for s in counts if s in truth)),
    }


def expected_unique(n: int, length: int = MAX_LEN) -> float:
    """The expected :func:`fraction_unique` of ``n`` draws from the true distribution (chapter 9).

    A string of probability ``p`` appears at least once with probability ``1 - (1 - p)**n``.
    """
    n = check_positive_int(n, "n")
    return float(sum(1.0 - (1.0 - p) ** n for p in true_distribution(length).values()) / n)


def distinct_count_moments(n: int, length: int = MAX_LEN) -> tuple[float, float]:
    """The mean and standard deviation of the number of distinct strings among ``n`` draws from
    the true distribution (chapter 6).

    String ``s`` appears with probability ``q_s = 1 - (1 - p_s)**n``; two strings ``s != t``
    both appear with covariance ``(1 - p_s - p_t)**n - (1 - p_s)**n (1 - p_t)**n``.
    """
    n = check_positive_int(n, "n")
    p = np.array(list(true_distribution(length).values()))
    missing = (1.0 - p) ** n
    covariance = (1.0 - p[:, None] - p[None, :]) ** n - np.outer(missing, missing)
    np.fill_diagonal(covariance, missing * (1.0 - missing))
    return float(np.sum(1.0 - missing)), float(np.sqrt(covariance.sum()))
