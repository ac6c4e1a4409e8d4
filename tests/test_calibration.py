"""Chapter 9's proxy metrics of text-GAN papers (BLEU-4, self-BLEU-4) and their rank correlations."""

import math

import numpy as np
import pytest
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from scipy import stats

from gumbel_tutorial import grammar
from gumbel_tutorial.calibration import (
    PROXY_METRICS, bleu4, proxy_metrics, rank_correlation_intervals, rank_correlations, self_bleu4,
)
from gumbel_tutorial.metrics import distribution_metrics, fraction_novel, fraction_unique
from gumbel_tutorial.seeds import rng

pad = grammar.pad


def nltk_bleu(hypothesis: str, references: list[str]) -> float:
    """NLTK's sentence BLEU-4 over symbols, smoothed with Lin and Och's method 1, as Texygen."""
    return sentence_bleu([list(r) for r in references], list(hypothesis), (0.25,) * 4,
                         SmoothingFunction().method1)


def test_bleu4_by_hand():
    # "x+x-x" against "x+x*x": clipped matches of 1- to 4-grams 4/5, 2/4, 1/3 and 0/2, the last
    # smoothed to 0.1/2; equal lengths, no brevity penalty: (0.8 * 0.5 / 3 * 0.05) ** (1/4).
    assert bleu4([pad("x+x-x")], [pad("x+x*x")]) == pytest.approx((0.8 * 0.5 / 3 * 0.05) ** 0.25, rel=1e-12)


def test_bleu4_is_nltks_sentence_bleu_averaged_over_the_samples():
    training = [pad(s) for s in ["x+x*x-x", "x+x", "x+x*x-x", "x/x"]]  # a duplicate adds nothing
    samples = [pad(s) for s in ["x+x*x", "x-x/x-x", "x+x*x-x", "x*x"]]
    references = ["x+x*x-x", "x+x", "x/x"]  # trailing padding removed
    expected = np.mean([nltk_bleu(s.rstrip(), references) for s in samples])
    assert bleu4(samples, training) == pytest.approx(expected, rel=1e-12)
    assert bleu4(samples, training, count=2) == pytest.approx(
        np.mean([nltk_bleu(s.rstrip(), references) for s in samples[:2]]), rel=1e-12)
    # The padding is not a symbol: unpadded strings score the same.
    assert bleu4([s.rstrip() for s in samples], [s.rstrip() for s in training]) == bleu4(samples, training)


def test_copies_of_long_training_strings_score_one_and_the_empty_string_zero():
    training = grammar.sample_dataset(500, seed=0)
    long_ones = [s for s in training if len(s.rstrip()) >= 5][:50]
    assert len(long_ones) == 50
    assert bleu4(long_ones, training) == pytest.approx(1.0, rel=1e-12)
    assert bleu4([pad("")], training) == 0.0
    assert bleu4([pad(""), long_ones[0]], training) == pytest.approx(0.5, rel=1e-12)


def test_self_bleu4_leaves_each_sample_out_of_its_own_references():
    samples = [pad("x+x*x-x"), pad("x/x/x/x")]
    # Each against the other: 4 of 7 symbols are x, no 2-, 3- or 4-gram is shared (each smoothed
    # to 0.1 over 6, 5 and 4 of them): (4/7 * 0.1/6 * 0.1/5 * 0.1/4) ** (1/4), about 0.047.
    by_hand = (4 / 7 * 0.1 / 6 * 0.1 / 5 * 0.1 / 4) ** 0.25
    assert nltk_bleu("x/x/x/x", ["x+x*x-x"]) == pytest.approx(by_hand, rel=1e-12)
    assert self_bleu4(samples) == pytest.approx(by_hand, rel=1e-12)
    # Counting the sample among its own references would give every sample a score of 1.
    assert nltk_bleu("x/x/x/x", ["x+x*x-x", "x/x/x/x"]) == 1.0


def test_self_bleu4_counts_a_duplicate_elsewhere_and_only_the_first_count_samples():
    samples = [pad(s) for s in ["x+x*x", "x+x*x", "x-x/x", "x*x*x*x"]]
    third = nltk_bleu("x-x/x", ["x+x*x", "x+x*x"])
    assert self_bleu4(samples, count=3) == pytest.approx((1.0 + 1.0 + third) / 3, rel=1e-12)
    everything = [nltk_bleu(s.rstrip(), [t.rstrip() for j, t in enumerate(samples) if j != i])
                  for i, s in enumerate(samples)]
    assert self_bleu4(samples) == pytest.approx(np.mean(everything), rel=1e-12)
    assert self_bleu4([pad(""), pad("x+x*x"), pad("x+x*x")]) == pytest.approx(2 / 3, rel=1e-12)


def test_self_bleu4_needs_two_samples():
    with pytest.raises(ValueError, match=r"^samples must hold at least 2"):
        self_bleu4([pad("x+x")])


def test_proxy_metrics_are_the_single_metrics():
    training = grammar.sample_dataset(300, seed=0)
    samples = grammar.sample_dataset(40, seed=9) + [pad("xx"), pad("+x")] * 5
    result = proxy_metrics(samples, training, count=30, bleu_count=20)
    assert tuple(result) == PROXY_METRICS == ("unique", "novel", "bleu4", "self_bleu4", "plugin_tv")
    assert result == {
        "unique": fraction_unique(samples[:30]),
        "novel": fraction_novel(samples[:30], training),
        "bleu4": bleu4(samples[:20], training),
        "self_bleu4": self_bleu4(samples[:20]),
        "plugin_tv": distribution_metrics(samples)["true_tv"],  # all samples, not the first count
    }


ROWS = [{"a": 0.1, "b": 5.0, "tv": 0.2, "kl": 1.0}, {"a": 0.4, "b": 3.0, "tv": 0.5, "kl": 2.0},
        {"a": 0.3, "b": 4.0, "tv": 0.3, "kl": 4.0}, {"a": 0.9, "b": 1.0, "tv": 0.9, "kl": 3.0}]


def test_rank_correlations_by_hand():
    result = rank_correlations(ROWS, ["a", "b"], ["tv", "kl"])
    assert result["a"]["tv"] == pytest.approx(1.0)  # a and tv rise together
    assert result["b"]["tv"] == pytest.approx(-1.0)  # b falls as tv rises
    # Ranks of a: 1, 3, 2, 4; of kl: 1, 2, 4, 3. Spearman: 1 - 6 sum(d**2) / (n (n**2 - 1)) = 1 - 6 * 6 / 60.
    assert result["a"]["kl"] == pytest.approx(0.4)
    assert result["b"]["kl"] == pytest.approx(-0.4)
    assert list(result) == ["a", "b"] and all(list(row) == ["tv", "kl"] for row in result.values())


@pytest.mark.parametrize(
    "rows, message",
    [
        (ROWS[:2], "^rows must hold at least 3"),
        ([], "^rows must hold at least 3"),
        ([*ROWS[:3], {"a": 0.9, "tv": 0.9, "kl": 3.0}], "^rows must all hold a finite number under 'b'"),
        ([*ROWS[:3], {**ROWS[3], "tv": math.nan}], "^rows must all hold a finite number under 'tv'"),
        ([*ROWS[:3], {**ROWS[3], "kl": math.inf}], "^rows must all hold a finite number under 'kl'"),
    ],
)
def test_rank_correlations_reject_too_few_runs_or_a_missing_value(rows, message):
    with pytest.raises(ValueError, match=message):
        rank_correlations(rows, ["a", "b"], ["tv", "kl"])


@pytest.mark.parametrize(
    "bad, message",
    [
        (True, "^rows must all hold a finite number under 'b'"),
        ("0.5", "^rows must all hold a finite number under 'b'"),
    ],
)
def test_rank_correlations_reject_values_that_are_not_numbers(bad, message):
    with pytest.raises(ValueError, match=message):
        rank_correlations([*ROWS[:3], {**ROWS[3], "b": bad}], ["a", "b"], ["tv", "kl"])


def test_rank_correlations_reject_a_constant_column():
    """A column with one value has no ranks: SciPy would return NaN with only a warning."""
    rows = [{**row, "b": 0.5} for row in ROWS]
    with pytest.raises(ValueError, match="^rows must not all hold the same 'b'"):
        rank_correlations(rows, ["a", "b"], ["tv", "kl"])


def test_self_bleu_names_count_when_it_is_below_two():
    with pytest.raises(ValueError, match="^count must be at least 2"):
        self_bleu4(["x+x", "x-x", "x*x"], count=1)


def test_rank_correlation_intervals_hold_the_value_and_resample_spearman():
    generator = np.random.default_rng(3)
    x = generator.normal(size=40)
    rows = [{"p": float(v), "t": float(v + generator.normal()), "m": float(-v)} for v in x]
    result = rank_correlation_intervals(rows, ["p", "m"], ["t"], resamples=500)
    exact = rank_correlations(rows, ["p", "m"], ["t"])
    for proxy in ("p", "m"):
        interval = result[proxy]["t"]
        assert interval.value == exact[proxy]["t"] and interval.level == 0.95
        assert interval.low <= interval.value <= interval.high
    # A proxy that is the target's mirror image has rho = -1 in every resample.
    mirror = rank_correlation_intervals(rows, ["m"], ["p"], resamples=200)["m"]["p"]
    assert mirror.value == mirror.low == mirror.high == pytest.approx(-1.0)
    # A positive relation this strong gives an interval well above zero.
    assert result["p"]["t"].low > 0.3 and result["m"]["t"].high < -0.3
    # One resample: its rho is SciPy's Spearman of the resampled runs (duplicates tie).
    index = rng(7).integers(0, len(rows), size=(1, len(rows)))[0]
    picked = [rows[i] for i in index]
    one = rank_correlation_intervals(rows, ["p"], ["t"], resamples=1, seed=7)["p"]["t"]
    expected = stats.spearmanr([r["p"] for r in picked], [r["t"] for r in picked]).statistic
    assert one.low == pytest.approx(expected, abs=1e-12) and one.high == one.low


@pytest.mark.parametrize("level", [0, 1, 1.5, True, "0.9"])
def test_rank_correlation_intervals_name_a_bad_level(level):
    with pytest.raises(ValueError, match="^level must be a number in"):
        rank_correlation_intervals(ROWS, ["a"], ["tv"], level=level)
