"""The references of chapter 9: the perfect sampler, the temperature sweep, and the spread over seeds."""

import math
import pathlib

import numpy as np
import pytest

from gumbel_tutorial import decompose, grammar, metrics, perfect
from gumbel_tutorial.models import SequenceGenerator
from gumbel_tutorial.records import load_generator, load_runs
from gumbel_tutorial.seeds import derive_seed
from gumbel_tutorial.reference import dominated, perfect_sampler, perfect_sampler_metrics, temperature_sweep
from gumbel_tutorial.stats import Spread

TRAINING = grammar.sample_dataset(5_000, seed=0)


def test_the_perfect_sampler_is_valid_and_as_unique_as_the_true_distribution():
    (row,) = perfect_sampler_metrics([0], TRAINING)
    assert row["valid"] == 1.0 and row["valid_mass"] == 1.0
    # Expected 0.357 with a standard deviation of about 0.011 over repeated draws of 1,000.
    assert abs(row["unique"] - perfect.expected_unique(1_000)) < 0.045
    # Its samples are not the training strings: other seeds, other draws.
    assert perfect_sampler(0, 5_000) != TRAINING
    assert row["coverage"] > 0.9


def test_temperature_sweep_scores_each_temperature_on_one_stream():
    generator = SequenceGenerator(8, grammar.VOCAB_SIZE, grammar.MAX_LEN, "none", init_seed=3)
    cold, warm, again = temperature_sweep(generator, [1e-3, 2.0, 1e-3], TRAINING, n=500)
    assert [cold["temperature"], warm["temperature"]] == [1e-3, 2.0]
    assert cold == again  # same stream, same temperature, same samples
    # An untrained model sampled near its argmax repeats itself; sampled hot, it rarely does.
    assert cold["unique"] < 0.1 < 0.5 < warm["unique"]
    # Each row holds the exact metrics of its tempered model; with fewer than 1,000 valid
    # strings there is no coverage at the matched count.
    for row in (cold, warm):
        exact = metrics.exact_metrics(generator, row["temperature"])
        assert {f"exact_{key}": value for key, value in exact.items()}.items() <= row.items()
        assert row["coverage_matched"] is None


def test_temperature_sweep_covers_a_matched_count_of_valid_strings():
    """The committed MLE model writes almost only valid strings: the row holds the coverage
    of the first 1,000 of them, as decompose.coverage_at computes it from the same stream."""
    generator = load_generator(pathlib.Path(__file__).parents[1] / "results" / "mle" / "seed0")
    [row] = temperature_sweep(generator, [0.8], TRAINING, seed=4, n=1_200)
    tokens = generator.sample_tokens(1_200, seed=(derive_seed(4, "samples"), 2), temperature=0.8)
    expected, _ = decompose.coverage_at(grammar.decode(tokens.numpy()), 1_000)
    assert row["coverage_matched"] == expected and 0.5 < expected < 0.8


@pytest.mark.parametrize("temperatures", [[], [0.0], [1.0, -1.0], [math.nan], "1.0"])
def test_temperature_sweep_rejects_bad_temperatures(temperatures):
    generator = SequenceGenerator(8, grammar.VOCAB_SIZE, grammar.MAX_LEN, "none", init_seed=3)
    with pytest.raises(ValueError, match="temperatures"):
        temperature_sweep(generator, temperatures, TRAINING, n=10)


def test_spread_is_mean_sd_and_range():
    spread = Spread.of([0.2, 0.5, 0.35])
    assert (spread.low, spread.high) == (0.2, 0.5) and spread.mean == pytest.approx(0.35)
    assert spread.sd == pytest.approx(0.15)
    assert str(spread) == "0.350 ±0.150"
    assert Spread.of([0.4]).sd == 0.0
    for bad in ([], [np.nan, 1.0], [[1.0, 2.0]]):
        with pytest.raises(ValueError, match="values"):
            Spread.of(bad)


def test_load_runs_names_the_command_for_a_missing_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="reproduce --variants a --seeds 1"):
        load_runs(tmp_path, ["a"], [1])


def test_a_run_is_dominated_when_one_point_of_the_curve_is_at_least_as_good_on_both_axes():
    valid = np.array([[0.95, 0.99], [0.97, 0.98]])  # [seed, temperature]
    coverage = np.array([[0.80, 0.70], [0.75, 0.60]])
    assert dominated(0.96, 0.72, valid, coverage)  # by seed 1 at the first temperature
    assert dominated(0.99, 0.70, valid, coverage)  # ties count
    assert not dominated(0.98, 0.76, valid, coverage)  # no single point beats both
    assert not dominated(1.0, 0.1, valid, coverage)
    with pytest.raises(ValueError, match="^curve_valid and curve_coverage must"):
        dominated(0.5, 0.5, valid, coverage[0])
    with pytest.raises(ValueError, match="^curve_valid and curve_coverage must"):
        dominated(0.5, 0.5, [], [])
