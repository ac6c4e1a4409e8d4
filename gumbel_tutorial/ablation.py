"""The ablation at matched seeds: each change against its base on the same machine and seed
(chapter 9).

A GAN run is one draw of a noisy process, and twins of one seed part on another processor
within the first iterations. So chapter 9 compares a variant with its base only where both ran
under the same *context*, a ``(folder, seed)`` pair, and counts in how many contexts the change
helped, rather than comparing means. The rows come from ``results/calibration.json``
(``benchmarks/calibration.py``): one :func:`.evaluation.evaluate_run` row per committed run,
keyed by its folder relative to ``results/`` (``"a/seed0"``, ``"other_cpu/a/seed0"``).
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .stats import Spread

Context = tuple[str, int]
"""Where a run was made: its result folder relative to ``results/`` (``""`` for ``results/``
itself) and its seed."""

CONTEXTS: tuple[Context, ...] = (("", 0), ("", 1), ("other_cpu", 0), ("other_cpu", 1),
                                 ("third_cpu", 2), ("third_cpu", 3), ("third_cpu", 4))
"""The seven contexts of chapter 9's ablation: seeds 0 and 1 on the Intel and the AMD machine,
seeds 2 to 4 on the third processor."""

COLLAPSE_UNIQUE = 0.1
"""A run has collapsed when fewer than this share of its first 1,000 samples are distinct."""


def measured_runs(path: str | pathlib.Path) -> dict[str, dict[str, Any]]:
    """The rows of a calibration file (``results/calibration.json``), by run folder (chapter 9)."""
    rows = json.loads(pathlib.Path(path).read_text())["runs"]
    return {row["folder"]: row for row in rows}


def run_key(context: Context, name: str) -> str:
    """The folder of variant ``name`` in ``context``, relative to ``results/`` (chapter 9)."""
    folder, seed = context
    return f"{folder}/{name}/seed{seed}" if folder else f"{name}/seed{seed}"


def matched(measured: Mapping[str, Mapping[str, Any]], names: Sequence[str],
            contexts: Sequence[Context]) -> dict[str, list[Mapping[str, Any]]]:
    """The row of every variant in ``names`` in every context, in the order of ``contexts``
    (chapter 9). A missing run raises ``ValueError`` naming it and the command that makes it."""
    if not contexts:
        raise ValueError("contexts must hold at least one (folder, seed) pair, got none")
    missing = [run_key(c, n) for n in names for c in contexts if run_key(c, n) not in measured]
    if missing:
        raise ValueError(f"measured lacks {len(missing)} runs, first {missing[:3]}: train them with "
                         "`python -m gumbel_tutorial reproduce`, then run benchmarks/calibration.py")
    return {name: [measured[run_key(c, name)] for c in contexts] for name in names}


def column(rows: Sequence[Mapping[str, Any]], key: str) -> np.ndarray:
    """One value of ``key`` per row, as floats; NaN where a row holds ``None`` (chapter 9)."""
    if any(key not in row for row in rows):
        raise ValueError(f"key must name a metric every row holds, got {key!r}")
    return np.array([np.nan if row[key] is None else row[key] for row in rows], dtype=float)


def collapsed(rows: Sequence[Mapping[str, Any]]) -> int:
    """How many of ``rows`` have collapsed: unique below :data:`COLLAPSE_UNIQUE` (chapter 9)."""
    return int((column(rows, "unique") < COLLAPSE_UNIQUE).sum())


def better(rows: Sequence[Mapping[str, Any]], base: Sequence[Mapping[str, Any]], key: str,
           higher: bool) -> int:
    """In how many contexts a run beats the ``base`` run of the same context on ``key``: above
    it if ``higher``, else below (chapter 9). A context where either value is missing counts as
    no win."""
    if len(rows) != len(base):
        raise ValueError(f"rows and base must hold one run per context each, got {len(rows)} and {len(base)}")
    here, there = column(rows, key), column(base, key)
    return int(np.sum(here > there) if higher else np.sum(here < there))


def summary(rows: Mapping[str, Sequence[Mapping[str, Any]]], columns: Mapping[str, str],
            width: int = 17) -> str:
    """A text table: for each variant, the median and range (``low-high``) over its runs of each
    metric in ``columns = {key: title}``, and its collapses (chapter 9). A metric a run lacks
    (``None``) is left out of that variant's cell, and the cell says how many runs it covers."""
    head = f"{'':>14}" + "".join(f"{title:>{width}}" for title in columns.values()) + f"{'coll.':>6}"
    lines = [head]
    for name, runs in rows.items():
        cells = ""
        for key in columns:
            values = column(runs, key)
            kept = values[~np.isnan(values)]
            spread = Spread.of(kept)
            note = "" if kept.size == values.size else f"{kept.size}:"
            text = f"{note}{np.median(kept):.2f} ({spread.low:.2f}-{spread.high:.2f})"
            cells += " " + f"{text:>{width - 1}}"
        lines.append(f"{name:>14}{cells}{f'{collapsed(runs)}/{len(runs)}':>6}")
    return "\n".join(lines)
