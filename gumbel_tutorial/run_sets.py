"""The committed runs of a variant, pooled over seeds and machines (chapter 9; chapter 10 too).

A *run table* holds one row per run for each model, ``{name: [row, ...]}``: the ``metrics.json``
of :func:`.records.load_runs`, or the rows of :func:`.evaluation.evaluate_run`. Loading from
several result folders (one per machine) pools their runs, folder by folder, seed by seed, so the
twins of another machine count as extra seeds. The helpers below read such tables (one value per
run, a printed table of spreads), a run's checkpoint curves, where two machines' twins part, and
what a REINFORCE run ends on.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .checks import check_positive_int
from .evaluation import evaluate_run
from .grammar import PAD
from .records import load_history, load_runs, load_samples, run_folder
from .stats import Spread

Folders = Iterable[str | pathlib.Path]


def _folders(folders: Folders) -> list[pathlib.Path]:
    if isinstance(folders, str | pathlib.Path):
        raise ValueError(f"folders must be a sequence of result folders, not one ({folders!r})")
    found = [pathlib.Path(folder) for folder in folders]
    if not found:
        raise ValueError("folders must name at least one result folder, got none")
    return found


@dataclasses.dataclass(frozen=True)
class RunTable:
    """One row per run for each model, ``rows = {name: [row, ...]}`` (chapter 9)."""

    rows: Mapping[str, Sequence[Mapping[str, Any]]]

    @classmethod
    def read(cls, folders: Folders, names: Sequence[str], seeds: Sequence[int],
             reader: Callable[..., Mapping[str, Any]], *args: Any) -> RunTable:
        """``reader(run folder, *args)`` of every run of ``names``, pooled over ``folders`` and
        ``seeds`` (each folder's seeds in turn), for example :func:`window_means`."""
        where = _folders(folders)
        return cls({name: [reader(run_folder(f, name, s), *args) for f in where for s in seeds]
                    for name in names})

    @classmethod
    def load(cls, folders: Folders, names: Sequence[str], seeds: Sequence[int]) -> RunTable:
        """The ``metrics.json`` of every run of ``names``, pooled over ``folders`` and ``seeds``."""
        loaded = [load_runs(folder, names, seeds) for folder in _folders(folders)]
        return cls({name: [row for runs in loaded for row in runs[name]] for name in names})

    @classmethod
    def evaluate(cls, folders: Folders, names: Sequence[str], seeds: Sequence[int]) -> RunTable:
        """:func:`.evaluation.evaluate_run` of every run of ``names``, pooled over ``folders`` and
        ``seeds`` (each folder's seeds in turn)."""
        return cls.read(folders, names, seeds, evaluate_run)

    def values(self, name: str, key: str) -> np.ndarray:
        """One value of ``key`` per run of ``name``, as floats; NaN where a row lacks it."""
        if name not in self.rows:
            raise ValueError(f"name must be one of {sorted(self.rows)}, got {name!r}")
        found = [row.get(key) for row in self.rows[name]]
        return np.array([np.nan if value is None else value for value in found], dtype=float)

    def table(self, columns: Mapping[str, str], labels: Mapping[str, str], width: int = 13,
              label_width: int = 13, extra: tuple[str, Mapping[str, str]] | None = None) -> str:
        """Each model's :class:`.stats.Spread` (``mean ±sd``) of every metric in ``columns``
        (``{key: title}``), a row per model labelled ``labels[name]``; ``-`` where some run
        lacks the metric. ``extra = (title, {name: text})`` appends a last column."""
        width, label_width = check_positive_int(width, "width"), check_positive_int(label_width, "label_width")
        title, texts = extra or ("", {})
        lines = [" " * label_width + "".join(f"{t:>{width}}" for t in columns.values()) + title]
        missing = [name for name in self.rows if name not in labels]
        if missing:
            raise ValueError(f"labels must name every model, missing {missing}")
        for name in self.rows:
            cells = [self.values(name, key) for key in columns]
            shown = ["-" if np.isnan(v).any() else str(Spread.of(v)) for v in cells]
            lines.append(f"{labels[name]:>{label_width}}" + "".join(f"{s:>{width}}" for s in shown)
                         + texts.get(name, ""))
        return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class RunsByMachine:
    """A :class:`RunTable` per machine, ``{machine: table}``, read one machine at a time or
    pooled (chapter 9's ablation)."""

    tables: Mapping[str, RunTable]

    @classmethod
    def load(cls, folders: Mapping[str, str | pathlib.Path], names: Sequence[str],
             seeds: Sequence[int]) -> RunsByMachine:
        """The ``metrics.json`` of every run, from ``folders = {machine: results folder}``."""
        return cls({machine: RunTable.load([folder], names, seeds) for machine, folder in folders.items()})

    def values(self, name: str, key: str, machine: str | None = None) -> np.ndarray:
        """Metric ``key`` of every run of ``name``, on one ``machine`` or on all, in order."""
        if machine is not None and machine not in self.tables:
            raise ValueError(f"machine must be one of {list(self.tables)}, got {machine!r}")
        chosen = [machine] if machine is not None else list(self.tables)
        return np.concatenate([self.tables[each].values(name, key) for each in chosen])

    def gap_closed(self, key: str, machine: str, start: str, via: str, end: str) -> float:
        """The share of the distance from ``start`` to ``end`` in the mean of ``key`` on
        ``machine`` that ``via`` covers: 0 at ``start``'s mean, 1 at ``end``'s."""
        low, middle, high = (self.values(name, key, machine).mean() for name in (start, via, end))
        if low == high:
            raise ValueError(f"start and end must differ in their mean {key!r}, both are {low}")
        return float((middle - low) / (high - low))


def value_range(values: Any) -> str:
    """``low-high`` of one value per run, to three decimals (chapter 9)."""
    data = Spread.of(values)
    return f"{data.low:.3f}-{data.high:.3f}"


def curves(rows: Sequence[Mapping[str, Any]], key: str, after: int = 0) -> np.ndarray:
    """Metric ``key`` at every checkpoint later than iteration ``after``, one row per run of
    ``rows`` (their ``metrics.json``; chapter 10)."""
    if not rows:
        raise ValueError("rows must hold at least one run, got none")
    found = [[point[key] for point in row["curve"] if point["iteration"] > after] for row in rows]
    if len({len(curve) for curve in found}) != 1:
        raise ValueError(f"rows must all have the same checkpoints after {after}")
    return np.array(found)


def longest_run(mask: Iterable[Any]) -> int:
    """The largest number of consecutive true entries of ``mask`` (chapter 10)."""
    best = current = 0
    for flag in mask:
        current = current + 1 if flag else 0
        best = max(best, current)
    return best


def first_difference(folder: str | pathlib.Path, twin: str | pathlib.Path,
                     key: str) -> tuple[int, float] | None:
    """The first iteration (from 1) at which ``history[key]`` of one run and of its ``twin``
    differ, with the difference relative to the first's value; ``None`` if they never differ
    (chapter 9)."""
    here, there = load_history(folder), load_history(twin)
    if key not in here or here[key].shape != there.get(key, np.empty(0)).shape:
        raise ValueError(f"key must name a history both runs hold with the same length, got {key!r}")
    differ = np.flatnonzero(here[key] != there[key])
    if not differ.size:
        return None
    i = differ[0]
    return int(i) + 1, float(abs(here[key][i] - there[key][i]) / abs(here[key][i]))


def final_state(folder: str | pathlib.Path, names: Sequence[str], seeds: Sequence[int],
                last: int = 1_000) -> tuple[dict[tuple[str, int], float], dict[tuple[str, int], tuple[str, float]]]:
    """For each run ``(name, seed)`` in ``folder``: its mean reward over the last ``last``
    iterations, and the most frequent of its first ``last`` samples (padding removed) with its
    share (chapter 10)."""
    last = check_positive_int(last, "last")
    rewards, tops = {}, {}
    for name in names:
        for seed in seeds:
            run = run_folder(folder, name, seed)
            rewards[name, seed] = float(load_history(run)["reward"][-last:].mean())
            strings = load_samples(run)[:last]
            top, count = Counter(strings).most_common(1)[0]
            tops[name, seed] = (top.rstrip(PAD), count / len(strings))
    return rewards, tops


def ended_on(tops: Mapping[tuple[str, int], tuple[str, float]], string: str = "x") -> list[tuple[str, int]]:
    """The runs of :func:`final_state` whose samples are all ``string`` (chapter 10)."""
    return [key for key, (top, share) in tops.items() if top == string and share == 1.0]


def run_log(folder: str | pathlib.Path, ran: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The entries of ``folder/runs.jsonl``, one per call of the command, that ran every run
    in ``ran`` (``"a/seed0"``, ...; all entries by default) (chapter 9)."""
    wanted = {ran} if isinstance(ran, str) else set(ran)
    entries = [json.loads(line) for line in (pathlib.Path(folder) / "runs.jsonl").read_text().splitlines()]
    return [entry for entry in entries if set(entry["ran"]) >= wanted]


def window_means(folder: str | pathlib.Path, window: slice) -> dict[str, Any]:
    """The mean over the iterations in ``window`` of each series of a run's history, as a NumPy
    scalar of the series' type (chapter 9)."""
    if not isinstance(window, slice):
        raise ValueError(f"window must be a slice of iterations, got {window!r}")
    history = load_history(folder)
    if any(series[window].size == 0 for series in history.values()):
        raise ValueError(f"window must select at least one iteration, got {window}")
    return {key: series[window].mean() for key, series in history.items()}


def block_means(folder: str | pathlib.Path, block: int) -> dict[str, np.ndarray]:
    """Each series of a run's history averaged over consecutive blocks of ``block`` iterations
    (chapter 9); the series' length must be a multiple of ``block``."""
    block = check_positive_int(block, "block")
    history = load_history(folder)
    if any(series.size % block for series in history.values()):
        raise ValueError(f"block must divide the history's length, {next(iter(history.values())).size}, got {block}")
    return {key: series.reshape(-1, block).mean(axis=1) for key, series in history.items()}
