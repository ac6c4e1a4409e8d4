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

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from .checks import check_positive_int, check_temperature
from .grammar import MAX_LEN, PAD, VOCAB, decode, encode, is_valid
from .models import SequenceGenerator
from .runtime import tf
from .stats import total_variation
from .truth import true_distribution, true_probability  # noqa: F401 (metrics.true_probability)

METRIC_NAMES: tuple[str, ...] = ("valid", "unique", "novel", "length_tv", "symbol_tv")
"""The keys of :func:`evaluate`, in order."""


def as_strings(samples: Any, name: str = "samples", allow_empty: bool = False) -> list[str]:
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
    items = as_strings(samples)
    return sum(is_valid(s) for s in items) / len(items)


def fraction_unique(samples: Iterable[str]) -> float:
    """The number of distinct samples divided by the number of samples (chapter 6)."""
    items = as_strings(samples)
    return len(set(items)) / len(items)


def fraction_novel(samples: Iterable[str], training: Iterable[str]) -> float:
    """The fraction of all samples (each duplicate counted) not found in ``training`` (chapter 6).

    Computed over all samples, valid or not; see :func:`fraction_valid_novel`.
    """
    items = as_strings(samples)
    seen = set(as_strings(training, "training", allow_empty=True))
    return sum(s not in seen for s in items) / len(items)


def fraction_valid_novel(samples: Iterable[str], training: Iterable[str]) -> float:
    """The fraction of all samples that are valid and not in ``training`` (chapter 6)."""
    items = as_strings(samples)
    seen = set(as_strings(training, "training", allow_empty=True))
    return sum(is_valid(s) and s not in seen for s in items) / len(items)


def length_distribution(samples: Iterable[str], max_len: int | None = None) -> np.ndarray:
    """Frequencies of the lengths ``0..max_len`` (length = symbols before trailing padding) (chapter 6).

    ``max_len`` defaults to the longest string in ``samples``.
    """
    items = as_strings(samples)
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
    items = as_strings(samples)
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
    items = as_strings(samples)
    ref = as_strings(reference, "reference")
    top = max(max(len(s) for s in items), max(len(s) for s in ref))
    return total_variation(length_distribution(items, top), length_distribution(ref, top))


def symbol_tv(samples: Iterable[str], reference: Iterable[str]) -> float:
    """Total-variation distance between the symbol distributions of samples and reference (chapter 6)."""
    items = as_strings(samples)
    ref = as_strings(reference, "reference")
    return total_variation(symbol_distribution(items), symbol_distribution(ref))


def evaluate(samples: Iterable[str], training: Iterable[str]) -> dict[str, float]:
    """All five metrics of ``samples`` against the ``training`` strings, keys in :data:`METRIC_NAMES` order (chapter 6).

    ``training`` is both the set for novelty and the reference for the two distances.
    """
    items = as_strings(samples)
    ref = as_strings(training, "training")
    return {
        "valid": float(fraction_valid(items)),
        "unique": float(fraction_unique(items)),
        "novel": float(fraction_novel(items, ref)),
        "length_tv": float(length_tv(items, ref)),
        "symbol_tv": float(symbol_tv(items, ref)),
    }


DISTRIBUTION_METRICS: tuple[str, ...] = ("valid_mass", "true_tv", "coverage")
"""The keys of :func:`distribution_metrics`, in order."""


def distribution_metrics(samples: Iterable[str], length: int = MAX_LEN) -> dict[str, float]:
    """How far the empirical distribution of ``samples`` is from the true one (chapter 9).

    * **valid_mass**: the share of samples that are valid, an estimate of the model's mass on the
      grammar's language;
    * **true_tv**: the total-variation distance between the samples' empirical distribution and
      the true distribution :func:`true_distribution` (invalid strings have true probability 0);
    * **coverage**: the true probability mass of the distinct valid strings the samples contain.

    Each sample must have exactly ``length`` symbols.
    """
    items = as_strings(samples)
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


# Exact metrics (chapter 9). A generator that feeds back its own one-hot symbols
# (SequenceGenerator.sample_tokens) gives every string s the probability q(s) = prod_t
# softmax(logits_t)[s_t] under teacher forcing, so q of all 1,365 valid strings comes from one
# batched call; whatever q puts elsewhere is on invalid strings.

EXACT_METRICS: tuple[str, ...] = ("valid_mass", "true_tv", "kl_p_q", "cross_entropy", "nll_oracle")
"""The keys of :func:`exact_metrics`, in order."""


def string_probabilities(generator: SequenceGenerator, strings: Iterable[str],
                         temperature: float = 1.0) -> np.ndarray:
    """The exact probability ``q(s)`` with which :meth:`~SequenceGenerator.sample_tokens` at
    ``temperature`` draws each string, by teacher forcing in one batched call (chapter 9).

    Only a generator without a noise input has a tractable q (its strings' probability would be
    an integral over the noise); any other raises ``ValueError``.
    """
    if generator.noise != "none":
        raise ValueError(f"generator must have noise='none' for an exact q(s), got noise={generator.noise!r}: "
                         "its q integrates over the noise; compare samples with perfect@n instead")
    temperature = check_temperature(temperature)
    tokens = tf.constant(encode(as_strings(strings, "strings"), generator.length))
    logits = generator.teacher_forced_logits(tokens) / temperature
    log_q = tf.reduce_sum(tf.gather(tf.nn.log_softmax(logits), tokens, batch_dims=2), axis=-1)
    return np.exp(log_q.numpy().astype(np.float64))


def exact_metrics(generator: SequenceGenerator, temperature: float = 1.0) -> dict[str, float]:
    """Distances between the generator's string distribution q and the true p, with no sampling
    error (chapter 9).

    q is the distribution of :meth:`~SequenceGenerator.sample_tokens` (one-hot feedback) at
    ``temperature`` (:func:`string_probabilities`). ``valid_mass`` is q's mass on the grammar's
    strings, ``true_tv`` the total variation ``(sum_valid |q - p| + 1 - valid_mass) / 2``,
    ``kl_p_q`` is ``KL(p || q)`` and ``cross_entropy`` ``-E_p[log q]`` (in nats; Texygen's
    NLL-test with p as the oracle), and ``nll_oracle`` the mean ``-log p`` of q's valid strings.
    """
    truth = true_distribution(generator.length)
    p = np.array(list(truth.values()))
    q = string_probabilities(generator, list(truth), temperature)
    valid_mass = float(np.sum(q))
    log_q = np.log(np.maximum(q, np.finfo(np.float64).tiny))
    return {
        "valid_mass": valid_mass,
        "true_tv": float(0.5 * (np.sum(np.abs(q - p)) + 1.0 - valid_mass)),
        "kl_p_q": float(np.sum(p * (np.log(p) - log_q))),
        "cross_entropy": float(-np.sum(p * log_q)),
        "nll_oracle": float(np.sum(q * -np.log(p)) / valid_mass),
    }
