"""Which sample metrics of text-GAN papers track the distance to p (chapter 9).

Papers on text GANs report unique and novel strings, BLEU against the training data (quality)
and self-BLEU among the samples (diversity; lower is more diverse). This book knows p, so it can
ask how well each such proxy ranks runs by their real distance to p. BLEU comes from NLTK over
symbols (trailing padding removed), smoothed (Lin and Och's method 1) as in Texygen.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from scipy import stats

from .checks import check_positive_int
from .seeds import rng
from .stats import Interval
from .grammar import PAD
from .metrics import as_strings, distribution_metrics, fraction_novel, fraction_unique

PROXY_METRICS: tuple[str, ...] = ("unique", "novel", "bleu4", "self_bleu4", "plugin_tv")
"""The keys of :func:`proxy_metrics`."""
_WEIGHTS = (0.25, 0.25, 0.25, 0.25)


def _tokens(s: str) -> list[str]:
    return list(s.rstrip(PAD))


def _mean_bleu(hypotheses: list[list[str]], references: Sequence[list[list[str]]]) -> float:
    smoothing = SmoothingFunction().method1
    scores = [sentence_bleu(refs, hyp, _WEIGHTS, smoothing) if hyp else 0.0
              for hyp, refs in zip(hypotheses, references)]
    return float(np.mean(scores))


def bleu4(samples: Iterable[str], training: Iterable[str], count: int = 200) -> float:
    """The mean BLEU-4 of the first ``count`` samples, each against every distinct training string
    (chapter 9). An empty string scores 0."""
    count = check_positive_int(count, "count")
    hypotheses = [_tokens(s) for s in as_strings(samples)[:count]]
    references = [_tokens(s) for s in sorted(set(as_strings(training, "training")))]
    return _mean_bleu(hypotheses, [references] * len(hypotheses))


def self_bleu4(samples: Iterable[str], count: int = 200) -> float:
    """The mean BLEU-4 of each of the first ``count`` samples against the other ``count - 1``,
    itself excluded (duplicates of it elsewhere count) (chapter 9)."""
    count = check_positive_int(count, "count")
    if count < 2:
        raise ValueError(f"count must be at least 2 for self-BLEU, got {count}")
    items = [_tokens(s) for s in as_strings(samples)[:count]]
    if len(items) < 2:
        raise ValueError(f"samples must hold at least 2 strings for self-BLEU, got {len(items)}")
    return _mean_bleu(items, [items[:i] + items[i + 1:] for i in range(len(items))])


def proxy_metrics(samples: Sequence[str], training: Sequence[str], count: int = 1_000,
                  bleu_count: int = 200) -> dict[str, float]:
    """The proxies of :data:`PROXY_METRICS` for one run: unique and novel of the first ``count``
    samples, BLEU-4 and self-BLEU-4 of the first ``bleu_count``, the plug-in TV of all (chapter 9)."""
    items = as_strings(samples)
    head = items[:check_positive_int(count, "count")]
    bleu_count = check_positive_int(bleu_count, "bleu_count")  # else bleu4 would name it "count"
    return {
        "unique": fraction_unique(head),
        "novel": fraction_novel(head, training),
        "bleu4": bleu4(items, training, bleu_count),
        "self_bleu4": self_bleu4(items, bleu_count),
        "plugin_tv": distribution_metrics(items)["true_tv"],
    }


def rank_correlations(rows: Sequence[Mapping[str, float]], proxies: Sequence[str],
                      targets: Sequence[str]) -> dict[str, dict[str, float]]:
    """Spearman's rank correlation across ``rows`` (one per run) of each proxy with each target:
    ``{proxy: {target: rho}}`` (chapter 9). Every row must hold every key as a finite number."""
    table = _columns(rows, (*proxies, *targets))
    return {proxy: {target: float(stats.spearmanr(table[proxy], table[target]).statistic) for target in targets}
            for proxy in proxies}


def _columns(rows: Sequence[Mapping[str, float]], keys: Sequence[str]) -> dict[str, np.ndarray]:
    """One array per key across ``rows``, each checked to be finite and not constant."""
    if len(rows) < 3:
        raise ValueError(f"rows must hold at least 3 runs to rank, got {len(rows)}")
    table = {}
    for key in keys:
        values = [row.get(key) for row in rows]
        if any(isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v) for v in values):
            raise ValueError(f"rows must all hold a finite number under {key!r}")
        table[key] = np.array(values, dtype=float)
        if np.ptp(table[key]) == 0:
            raise ValueError(f"rows must not all hold the same {key!r} ({values[0]}): a constant has no ranks")
    return table


def rank_correlation_intervals(rows: Sequence[Mapping[str, float]], proxies: Sequence[str],
                               targets: Sequence[str], level: float = 0.95, resamples: int = 2_000,
                               seed: int = 0) -> dict[str, dict[str, Interval]]:
    """:func:`rank_correlations` with a percentile-bootstrap interval at ``level`` for each
    ``rho``, from ``resamples`` resamples of the runs with replacement (chapter 9).

    The runs are resampled as if independent; runs of one variant are alike, so read the
    interval as a lower bound on the uncertainty.
    """
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0.0 < level < 1.0:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    resamples = check_positive_int(resamples, "resamples")
    table = _columns(rows, (*proxies, *targets))
    index = rng(seed).integers(0, len(rows), size=(resamples, len(rows)))
    ranks = {key: stats.rankdata(column[index], axis=1) for key, column in table.items()}
    tail = 50.0 * (1.0 - level)
    result = {}
    for proxy in proxies:
        result[proxy] = {}
        for target in targets:
            x, y = (ranks[key] - ranks[key].mean(axis=1, keepdims=True) for key in (proxy, target))
            with np.errstate(invalid="ignore", divide="ignore"):  # a resample may be constant
                rho = (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
            low, high = np.percentile(rho[np.isfinite(rho)], [tail, 100.0 - tail])
            value = float(stats.spearmanr(table[proxy], table[target]).statistic)
            result[proxy][target] = Interval("spearman", value, float(low), float(high), float(level))
    return result
