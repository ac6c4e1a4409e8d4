"""Chapter 9's ablation at matched seeds (gumbel_tutorial.ablation)."""

import json

import numpy as np
import pytest

from gumbel_tutorial import ablation

CONTEXTS = [("", 0), ("", 1), ("other_cpu", 0)]


def row(valid, unique, excess=0.2):
    return {"valid": valid, "unique": unique, "excess_tv": excess}


MEASURED = {
    "a/seed0": row(0.2, 0.9), "a/seed1": row(0.3, 0.8), "other_cpu/a/seed0": row(0.25, 0.85),
    "a+x/seed0": row(0.6, 0.05), "a+x/seed1": row(0.2, 0.5, None),
    "other_cpu/a+x/seed0": row(0.7, 0.09, 0.1),
}


def test_run_key_names_the_folder_relative_to_results():
    assert ablation.run_key(("", 3), "ours") == "ours/seed3"
    assert ablation.run_key(("third_cpu", 2), "a+hard") == "third_cpu/a+hard/seed2"


def test_matched_keeps_the_order_of_the_contexts_and_names_a_missing_run():
    rows = ablation.matched(MEASURED, ["a", "a+x"], CONTEXTS)
    assert [r["valid"] for r in rows["a+x"]] == [0.6, 0.2, 0.7]
    with pytest.raises(ValueError, match=r"measured lacks 1 runs, first \['third_cpu/a/seed2'\]"):
        ablation.matched(MEASURED, ["a"], [*CONTEXTS, ("third_cpu", 2)])
    with pytest.raises(ValueError, match="^contexts must hold at least one"):
        ablation.matched(MEASURED, ["a"], [])


def test_better_counts_wins_per_context_and_a_missing_value_is_no_win():
    rows = ablation.matched(MEASURED, ["a", "a+x"], CONTEXTS)
    assert ablation.better(rows["a+x"], rows["a"], "valid", higher=True) == 2
    assert ablation.better(rows["a+x"], rows["a"], "valid", higher=False) == 1
    assert ablation.better(rows["a+x"], rows["a"], "excess_tv", higher=False) == 1  # None: no win
    with pytest.raises(ValueError, match="^rows and base must hold one run per context"):
        ablation.better(rows["a+x"][:2], rows["a"], "valid", higher=True)
    with pytest.raises(ValueError, match="^key must name a metric every row holds"):
        ablation.better(rows["a+x"], rows["a"], "novel", higher=True)


def test_collapse_is_unique_below_a_tenth():
    rows = ablation.matched(MEASURED, ["a", "a+x"], CONTEXTS)
    assert ablation.collapsed(rows["a+x"]) == 2 and ablation.collapsed(rows["a"]) == 0


def test_summary_shows_median_and_range_and_how_many_runs_a_cell_covers():
    rows = ablation.matched(MEASURED, ["a", "a+x"], CONTEXTS)
    text = ablation.summary(rows, {"valid": "valid", "excess_tv": "excess TV"})
    lines = text.splitlines()
    assert lines[0].split() == ["valid", "excess", "TV", "coll."]
    assert lines[1].split() == ["a", "0.25", "(0.20-0.30)", "0.20", "(0.20-0.20)", "0/3"]
    assert lines[2].split() == ["a+x", "0.60", "(0.20-0.70)", "2:0.15", "(0.10-0.20)", "2/3"]


def test_measured_runs_reads_the_calibration_file(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"runs": [{"folder": "a/seed0", "valid": 0.5}]}))
    assert ablation.measured_runs(path) == {"a/seed0": {"folder": "a/seed0", "valid": 0.5}}


def test_every_committed_run_is_in_the_calibration_file():
    """Chapter 9 reads results/calibration.json: it must be measured again when runs are added."""
    from pathlib import Path

    results = Path(__file__).resolve().parents[1] / "results"
    folders = {p.parent.relative_to(results).as_posix() for p in results.glob("**/seed*/metrics.json")
               if (p.parent / "samples.txt").exists()}
    assert folders == set(ablation.measured_runs(results / "calibration.json"))
    assert np.isfinite(ablation.column(list(ablation.measured_runs(results / "calibration.json").values()),
                                       "valid")).all()


def test_every_variant_of_the_ablation_ran_in_every_context():
    from pathlib import Path

    from gumbel_tutorial.variants import ABLATION_VARIANTS

    measured = ablation.measured_runs(Path(__file__).resolve().parents[1] / "results" / "calibration.json")
    rows = ablation.matched(measured, ["a", *ABLATION_VARIANTS, "ours"], ablation.CONTEXTS)
    assert all(len(runs) == 7 for runs in rows.values())
    assert {row["seed"] for row in rows["ours"]} == {0, 1, 2, 3, 4}
