"""Every measurement of a stored run that chapters 9 and 10 compare, in one row (chapter 9).

A row joins the run's ``metrics.json`` (valid, unique, novel, the plug-in TV and coverage), the
decomposition of its 10,000 samples into validity and the fit among valid strings
(:func:`.decompose.decompose`), the kinds of its invalid strings, its coverage at a matched count
of valid strings, and, for a generator without a noise input (the MLE model, REINFORCE), the exact
metrics of :func:`.metrics.exact_metrics` under the keys ``exact_<name>``.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Sequence
from typing import Any

from . import decompose, metrics
from .checks import check_positive_int
from .records import load_generator, load_samples

def evaluate_run(folder: str | pathlib.Path, matched: int = decompose.MATCHED_COUNT) -> dict[str, Any]:
    """One stored run, measured every way chapter 9 measures it (chapter 9).

    ``coverage_matched`` is the true mass of the distinct strings among the run's first
    ``matched`` valid samples and ``perfect_matched`` its value for ``matched`` exact draws; a run
    with fewer valid samples gets ``None`` for both.
    """
    folder = pathlib.Path(folder)
    matched = check_positive_int(matched, "matched")
    stored = json.loads((folder / "metrics.json").read_text())
    samples = load_samples(folder)
    row: dict[str, Any] = {key: stored[key] for key in ("variant", "seed", "valid", "unique", "novel", "true_tv",
                                                         "coverage", "valid_mass")}
    row.update(cpu=stored.get("cpu"), iterations=stored["iterations"])
    # decompose's "valid" is over all 10,000 samples: metrics.json's "valid_mass".
    row.update({key: value for key, value in decompose.decompose(samples).items() if key != "valid"})
    row.update(decompose.invalid_taxonomy(samples))
    enough = row["n_valid"] >= matched
    row["coverage_matched"], row["perfect_matched"] = (
        decompose.coverage_at(samples, matched) if enough else (None, None))
    generator = load_generator(folder)
    if generator.noise == "none":
        row.update({f"exact_{key}": value for key, value in metrics.exact_metrics(generator).items()})
    return row


def evaluate_runs(folders: Sequence[str | pathlib.Path], matched: int = decompose.MATCHED_COUNT) -> list[dict[str, Any]]:
    """:func:`evaluate_run` of each folder, in order (chapter 9)."""
    return [evaluate_run(folder, matched) for folder in folders]
