"""Where a run's distance to p lies: how much mass it puts on invalid strings, of which kinds,
and how well its valid strings match p against a perfect sampler of the same count (chapter 9).

The plug-in total variation of a run mixes two things: the share of invalid strings, and the fit
among the valid ones. :func:`decompose` separates them. It conditions the run on its ``n`` valid
strings and sets each figure beside what a perfect sampler shows with ``n`` draws
(:mod:`.perfect`), so a run with fewer valid strings is not charged with a sample-size bias.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .checks import check_positive_int
from .grammar import MAX_LEN, OPERATORS, PAD, is_valid
from .metrics import as_strings
from .perfect import expected_coverage, expected_tv
from .stats import total_variation
from .truth import true_distribution

MATCHED_COUNT = 1_000
"""Valid strings per run for coverage at a matched count (chapter 9): every committed run has at
least this many among its 10,000 samples."""

INVALID_KINDS: tuple[str, ...] = ("symbol_after_padding", "operator_first", "operators_in_a_row", "other")
"""The kinds of invalid string, in the order :func:`invalid_kind` tests them: a symbol after a
padding space (a gap), an operator as the first symbol, two operators in a row, and anything else
(two ``x`` in a row, an operator at the end, the empty string)."""


def invalid_kind(s: str) -> str | None:
    """The first kind in :data:`INVALID_KINDS` that invalid string ``s`` shows; ``None`` if ``s``
    is valid (chapter 9)."""
    if not isinstance(s, str):
        raise TypeError(f"s must be a str, got {type(s).__name__} ({s!r})")
    if is_valid(s):
        return None
    body = s.rstrip(PAD)
    if PAD in body:
        return "symbol_after_padding"
    if body[:1] in OPERATORS:
        return "operator_first"
    if any(a in OPERATORS and b in OPERATORS for a, b in zip(body, body[1:])):
        return "operators_in_a_row"
    return "other"


def invalid_taxonomy(samples: Iterable[str]) -> dict[str, float]:
    """The share of *all* samples that are invalid in each of the :data:`INVALID_KINDS`; the
    shares add up to ``1 - valid`` (chapter 9)."""
    items = as_strings(samples)
    counts = Counter(invalid_kind(s) for s in items)
    return {kind: counts[kind] / len(items) for kind in INVALID_KINDS}


def invalid_make_up(shares: Mapping[str, float]) -> np.ndarray:
    """The share of each of the :data:`INVALID_KINDS` among the invalid strings alone, from the
    shares of all strings that :func:`invalid_taxonomy` gives (chapter 9)."""
    counts = np.array([shares[kind] for kind in INVALID_KINDS], dtype=float)
    if not np.all(np.isfinite(counts)) or counts.min() < 0 or counts.sum() <= 0:
        raise ValueError(f"shares must be >= 0 and hold some invalid strings, got {counts.tolist()}")
    return counts / counts.sum()


def make_up_distance(shares: Mapping[str, float], reference: Mapping[str, float]) -> float:
    """The total variation between two samples' make-ups of invalid strings
    (:func:`invalid_make_up`): 0 when they fail in the same proportions (chapter 9)."""
    return float(total_variation(invalid_make_up(shares), invalid_make_up(reference)))


def decompose(samples: Iterable[str], length: int = MAX_LEN) -> dict[str, Any]:
    """A run's samples split into validity and the fit of its valid strings (chapter 9).

    * ``valid`` and ``n_valid``: the share and the number of valid samples;
    * ``conditional_tv``: the plug-in total variation between the valid samples' empirical
      distribution and p, beside ``perfect_tv``, the expected value of the same statistic for
      ``n_valid`` exact draws from p, and ``excess_tv``, their difference;
    * ``coverage``: the true mass of the distinct valid samples, beside ``perfect_coverage`` at
      ``n_valid`` draws, and ``coverage_gap``, the perfect sampler's lead;
    * ``nll_oracle``: the mean ``-log p`` of the valid samples (Caccia et al.'s quality axis).

    With no valid sample the conditional figures are ``None``.
    """
    items = as_strings(samples)
    truth = true_distribution(length)
    bad = next((s for s in items if len(s) != length), None)
    if bad is not None:
        raise ValueError(f"samples must all have {length} symbols, got {bad!r}")
    valid = [s for s in items if s in truth]
    result: dict[str, Any] = {"valid": len(valid) / len(items), "n_valid": len(valid)}
    if not valid:
        keys = ("conditional_tv", "perfect_tv", "excess_tv", "coverage", "perfect_coverage", "coverage_gap",
                "nll_oracle")
        return {**result, **dict.fromkeys(keys)}
    counts, n = Counter(valid), len(valid)
    tv = 0.5 * (sum(abs(c / n - truth[s]) for s, c in counts.items())
                + sum(p for s, p in truth.items() if s not in counts))
    coverage = sum(truth[s] for s in counts)
    perfect_tv, perfect_coverage = expected_tv(n, length), expected_coverage(n, length)
    return {
        **result,
        "conditional_tv": float(tv),
        "perfect_tv": perfect_tv,
        "excess_tv": float(tv - perfect_tv),
        "coverage": float(coverage),
        "perfect_coverage": perfect_coverage,
        "coverage_gap": float(perfect_coverage - coverage),
        "nll_oracle": float(np.mean([-np.log(truth[s]) for s in valid])),
    }


def coverage_at(samples: Iterable[str], count: int, length: int = MAX_LEN) -> tuple[float, float]:
    """The true mass of the distinct strings among the first ``count`` valid samples, and the
    expected value for ``count`` exact draws from p: coverage at a matched count (chapter 9).

    Fewer than ``count`` valid samples raises ``ValueError``.
    """
    count = check_positive_int(count, "count")
    truth = true_distribution(length)
    valid = [s for s in as_strings(samples) if s in truth]
    if len(valid) < count:
        raise ValueError(f"count must be at most the number of valid samples, {len(valid)}, got {count}")
    return float(sum(truth[s] for s in set(valid[:count]))), expected_coverage(count, length)
