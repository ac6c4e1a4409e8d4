"""The committed runs of a variant, pooled over seeds and machines (chapters 9 and 10): on the
runs under results/ and on small synthetic folders."""

import json
import math
import pathlib

import numpy as np
import pytest

from gumbel_tutorial import evaluation, records
from gumbel_tutorial.run_sets import (
    RunsByMachine, RunTable, block_means, curves, ended_on, final_state, first_difference, longest_run,
    run_log, value_range, window_means,
)

RESULTS = pathlib.Path(__file__).resolve().parents[1] / "results"
OTHER = RESULTS / "other_cpu"
SEEDS = [0, 1, 2]


def test_load_pools_the_machines_folder_by_folder():
    table = RunTable.load([RESULTS, OTHER], ["mle", "pg"], SEEDS)
    here, there = (records.load_runs(folder, ["mle", "pg"], SEEDS) for folder in (RESULTS, OTHER))
    assert table.rows["pg"] == here["pg"] + there["pg"]
    expected = [row["true_tv"] for row in here["pg"] + there["pg"]]
    np.testing.assert_array_equal(table.values("pg", "true_tv"), expected)
    # The MLE runs are bit-identical on the two machines (chapter 9, section 9.5).
    valid = table.values("mle", "valid")
    assert valid.shape == (6,) and np.array_equal(valid[:3], valid[3:])


def test_evaluate_is_evaluate_run_of_every_folder_and_seed():
    table = RunTable.evaluate([RESULTS], ["pg"], [0])
    assert table.rows["pg"] == [evaluation.evaluate_run(records.run_folder(RESULTS, "pg", 0))]
    # REINFORCE has no noise input: its exact metrics are there, and it ended on the lone x.
    assert table.values("pg", "exact_true_tv")[0] == pytest.approx(5 / 6, abs=0.01)


def synthetic() -> RunTable:
    rows = {
        "one": [{"valid": 0.5, "tv": 0.25}, {"valid": 0.7, "tv": 0.35}],
        "two": [{"valid": 1.0, "tv": None}, {"valid": 0.9}],
    }
    return RunTable(rows)


def test_values_are_floats_with_nan_where_a_row_lacks_the_key():
    table = synthetic()
    np.testing.assert_array_equal(table.values("one", "valid"), [0.5, 0.7])
    assert np.isnan(table.values("two", "tv")).all()
    with pytest.raises(ValueError, match="^name must"):
        table.values("three", "valid")


def test_the_table_prints_mean_and_sd_a_dash_where_missing_and_an_extra_column():
    text = synthetic().table({"valid": "valid", "tv": "TV"}, {"one": "1", "two": "2"}, width=14,
                             label_width=4, extra=(" note", {"one": " first"}))
    assert text.splitlines() == [
        "             valid            TV note",
        "   1  0.600 ±0.141  0.300 ±0.071 first",
        "   2  0.950 ±0.071             -",
    ]
    with pytest.raises(ValueError, match="^labels must"):
        synthetic().table({"valid": "valid"}, {"one": "1"})
    with pytest.raises(ValueError, match="^width must"):
        synthetic().table({"valid": "valid"}, {"one": "1", "two": "2"}, width=0)


def test_folders_must_be_a_sequence_of_folders():
    with pytest.raises(ValueError, match="^folders must"):
        RunTable.load(RESULTS, ["mle"], SEEDS)
    with pytest.raises(ValueError, match="^folders must"):
        RunTable.evaluate([], ["mle"], SEEDS)


def test_runs_by_machine_reads_one_machine_or_all_and_the_gap_closed():
    tables = {
        "here": RunTable({"a": [{"v": 0.1}, {"v": 0.3}], "b": [{"v": 0.6}], "c": [{"v": 0.7}]}),
        "there": RunTable({"a": [{"v": 0.0}], "b": [{"v": 0.0}], "c": [{"v": 1.0}]}),
    }
    both = RunsByMachine(tables)
    np.testing.assert_array_equal(both.values("a", "v"), [0.1, 0.3, 0.0])
    np.testing.assert_array_equal(both.values("a", "v", "there"), [0.0])
    # (a) at 0.2 on average, ours at 0.7: b covers 0.4 of the 0.5 between them.
    assert both.gap_closed("v", "here", "a", "b", "c") == pytest.approx(0.8)
    assert both.gap_closed("v", "there", "a", "b", "c") == 0.0
    with pytest.raises(ValueError, match="^machine must"):
        both.values("a", "v", "elsewhere")
    with pytest.raises(ValueError, match="^start and end must"):
        both.gap_closed("v", "there", "a", "b", "a")


def test_runs_by_machine_loads_the_committed_ablation():
    both = RunsByMachine.load({"Intel": RESULTS, "AMD": OTHER}, ["a", "a+smooth99"], [0, 1])
    assert both.values("a+smooth99", "valid").shape == (4,)
    # Smoothing alone lifts (a) above half valid on every seed and machine (chapter 9, 9.8).
    assert both.values("a+smooth99", "valid").min() > 0.5 > both.values("a", "valid").max()


def test_value_range():
    assert value_range([0.3, 0.1, 0.2]) == "0.100-0.300"
    with pytest.raises(ValueError, match="^values must"):
        value_range([])


def test_curves_of_synthetic_and_committed_runs():
    rows = [{"curve": [{"iteration": i, "valid": i / 10} for i in (1, 2, 3)]}] * 2
    np.testing.assert_array_equal(curves(rows, "valid", after=1), [[0.2, 0.3], [0.2, 0.3]])
    with pytest.raises(ValueError, match="^rows must"):
        curves([], "valid")
    with pytest.raises(ValueError, match="^rows must"):
        curves([rows[0], {"curve": rows[0]["curve"][:2]}], "valid")
    runs = records.load_runs(RESULTS, ["pg"], SEEDS)["pg"]
    assert curves(runs, "unique").shape == (3, 20)
    assert curves(runs, "unique", after=10_000).shape == (3, 10)


@pytest.mark.parametrize("mask, longest", [
    ([], 0), ([False], 0), ([True, True, False, True], 2), (np.array([0.0, 0.01, 0.02]) < 0.05, 3),
])
def test_longest_run(mask, longest):
    assert longest_run(mask) == longest


def write_history(folder: pathlib.Path, loss: list[float]) -> pathlib.Path:
    folder.mkdir(parents=True)
    np.savez(folder / "history.npz", d_loss=np.array(loss, np.float32))
    return folder


def test_first_difference_of_synthetic_histories(tmp_path):
    one = write_history(tmp_path / "one", [1.0, 2.0, 4.0])
    same = write_history(tmp_path / "same", [1.0, 2.0, 4.0])
    other = write_history(tmp_path / "other", [1.0, 2.0, 5.0])
    assert first_difference(one, same, "d_loss") is None
    assert first_difference(one, other, "d_loss") == (3, 0.25)
    with pytest.raises(ValueError, match="^key must"):
        first_difference(one, other, "g_loss")


def test_twins_part_early_and_the_mle_runs_never():
    assert first_difference(records.run_folder(RESULTS, "mle", 0), records.run_folder(OTHER, "mle", 0),
                            "loss") is None
    at, relative = first_difference(records.run_folder(RESULTS, "a", 0), records.run_folder(OTHER, "a", 0),
                                    "d_loss")
    assert at < 100 and 0 < relative < 3e-7


def test_final_state_of_the_committed_reinforce_runs():
    rewards, tops = final_state(RESULTS, ["pg"], SEEDS)
    assert ended_on(tops) == [("pg", 0), ("pg", 2)]
    # A generator that writes only x meets the discriminator's best response: a logit of log p(x).
    for key in ended_on(tops):
        assert rewards[key] == pytest.approx(math.log(1 / 6), abs=0.05)
    assert tops["pg", 1][1] < 1.0
    with pytest.raises(ValueError, match="^last must"):
        final_state(RESULTS, ["pg"], SEEDS, last=0)


def test_ended_on_needs_every_sample_to_be_the_string():
    tops = {("pg", 0): ("x", 1.0), ("pg", 1): ("x", 0.99), ("pg", 2): ("x+x", 1.0)}
    assert ended_on(tops) == [("pg", 0)]
    assert ended_on(tops, "x+x") == [("pg", 2)]


def test_run_log_reads_the_entries_that_ran_every_named_run(tmp_path):
    entries = [{"ran": ["a/seed0", "a/seed1"], "wall_seconds": 1.5}, {"ran": [], "wall_seconds": 0.1}]
    (tmp_path / "runs.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert run_log(tmp_path) == entries
    assert run_log(tmp_path, ["a/seed1"]) == run_log(tmp_path, "a/seed0") == entries[:1]
    assert run_log(tmp_path, ["a/seed0", "a/seed2"]) == []
    assert len(run_log(OTHER, [f"a/seed{k}" for k in SEEDS])) == 1  # chapter 9's command


def test_window_and_block_means_of_a_synthetic_history(tmp_path):
    folder = write_history(tmp_path / "run", [1.0, 2.0, 3.0, 6.0])
    assert window_means(folder, slice(-2, None))["d_loss"] == 4.5
    assert window_means(folder, slice(0, 1))["d_loss"].dtype == np.float32  # the series' type
    np.testing.assert_array_equal(block_means(folder, 2)["d_loss"], [1.5, 4.5])
    with pytest.raises(ValueError, match="^window must"):
        window_means(folder, slice(5, None))
    with pytest.raises(ValueError, match="^window must"):
        window_means(folder, 2)
    with pytest.raises(ValueError, match="^block must"):
        block_means(folder, 3)


def test_read_pools_any_reader_over_machines_and_seeds():
    late = slice(-1_000, None)
    table = RunTable.read([RESULTS, OTHER], ["a"], [0, 1], window_means, late)
    assert len(table.rows["a"]) == 4
    expected = window_means(records.run_folder(OTHER, "a", 0), late)["d_loss"]
    assert table.values("a", "d_loss")[2] == expected
    # At the end of (a), the discriminator barely tells the classes apart (chapter 9, 9.3).
    gap = table.values("a", "d_real") - table.values("a", "d_fake")
    assert np.all((0 < gap) & (gap < 0.15))
