"""What a sequence GAN is measured against in chapter 9: the perfect sampler, which draws from the
true distribution, and the maximum-likelihood model sampled at a range of temperatures (the
quality-diversity curve of Caccia et al., 2020)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import decompose, grammar, metrics
from .checks import check_positive_int, check_temperature
from .models import SequenceGenerator
from .records import SAMPLE_COUNT, evaluate_samples
from .seeds import check_root, derive_seed

PERFECT_SAMPLER_SEED = 1_000
"""Seed ``k`` of the perfect sampler draws with root ``PERFECT_SAMPLER_SEED + k``, which no
training set uses (the data of every run is drawn with root 0)."""


def perfect_sampler(seed: int, n: int = SAMPLE_COUNT) -> list[str]:
    """``n`` strings drawn from the true distribution: the grammar's own generator (chapter 9)."""
    return grammar.sample_dataset(check_positive_int(n, "n"), seed=PERFECT_SAMPLER_SEED + check_root(seed, "seed"))


def perfect_sampler_metrics(seeds: Sequence[int], training: Sequence[str], n: int = SAMPLE_COUNT) -> list[dict[str, float]]:
    """Chapter 9's metrics of :func:`perfect_sampler` for each seed, scored like every trained run."""
    return [evaluate_samples(perfect_sampler(seed, n), training) for seed in seeds]


def temperature_sweep(
    generator: SequenceGenerator,
    temperatures: Sequence[float],
    training: Sequence[str],
    seed: int = 0,
    n: int = SAMPLE_COUNT,
) -> list[dict[str, Any]]:
    """Chapter 9's metrics of ``n`` samples of ``generator`` at each sampling temperature, with
    the exact metrics of that temperature's distribution (keys ``exact_<name>``, for a generator
    without noise), the mean ``-log p`` of the valid samples (``nll_oracle``) and the coverage of
    the first :data:`~.decompose.MATCHED_COUNT` valid samples (``coverage_matched``; ``None`` with
    fewer valid samples).

    Each temperature divides the logits at every step (:meth:`SequenceGenerator.sample_tokens`);
    all temperatures use the same random stream, so they differ only by the temperature.
    """
    temperatures = [float(check_temperature(t, "temperatures")) for t in temperatures]
    if not temperatures:
        raise ValueError("temperatures must hold at least one temperature")
    n = check_positive_int(n, "n")
    stream = (derive_seed(seed, "samples"), 2)
    rows = []
    for temperature in temperatures:
        strings = grammar.decode(generator.sample_tokens(n, seed=stream, temperature=temperature).numpy())
        exact = metrics.exact_metrics(generator, temperature) if generator.noise == "none" else {}
        parts = decompose.decompose(strings)
        count = decompose.MATCHED_COUNT
        matched = decompose.coverage_at(strings, count)[0] if parts["n_valid"] >= count else None
        rows.append({"temperature": temperature, **evaluate_samples(strings, training),
                     **{f"exact_{key}": value for key, value in exact.items()},
                     "nll_oracle": parts["nll_oracle"], "coverage_matched": matched})
    return rows


def dominated(valid: float, coverage: float, curve_valid: Any, curve_coverage: Any) -> bool:
    """Whether some point of a quality-diversity curve is at least as valid as ``valid`` and
    covers at least ``coverage`` (chapter 9). ``curve_valid`` and ``curve_coverage`` are the
    curve's valid mass and coverage at a matched count (:func:`temperature_sweep`), of one
    shape, for example ``[seed, temperature]``."""
    points = np.asarray(curve_valid, dtype=float), np.asarray(curve_coverage, dtype=float)
    if points[0].shape != points[1].shape or points[0].size == 0:
        raise ValueError(f"curve_valid and curve_coverage must have one non-empty shape, got "
                         f"{points[0].shape} and {points[1].shape}")
    return bool(np.any((points[0] >= valid) & (points[1] >= coverage)))
