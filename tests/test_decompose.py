"""Chapter 9's decomposition of a run's distance to p: invalid kinds, and the fit of its valid strings."""

import itertools
import math
import re

import numpy as np
import pytest

from gumbel_tutorial import grammar
from gumbel_tutorial.decompose import (
    INVALID_KINDS, coverage_at, decompose, invalid_kind, invalid_make_up, invalid_taxonomy,
    make_up_distance,
)
from gumbel_tutorial.metrics import distribution_metrics, fraction_valid
from gumbel_tutorial.perfect import expected_coverage, expected_tv
from gumbel_tutorial.truth import true_distribution, true_probability

pad = grammar.pad
CONDITIONAL = ("conditional_tv", "perfect_tv", "excess_tv", "coverage", "perfect_coverage", "coverage_gap",
               "nll_oracle")

KINDS = [
    ("x+x*x", None),
    ("x", None),
    ("x x", "symbol_after_padding"),
    (" x", "symbol_after_padding"),
    ("x  +", "symbol_after_padding"),
    ("+x", "operator_first"),
    ("*", "operator_first"),
    ("x+-x", "operators_in_a_row"),
    ("x*/", "operators_in_a_row"),
    ("xx", "other"),
    ("x+x+", "other"),
    ("", "other"),
    ("x+xx-x", "other"),
    # Two kinds at once: the earlier one in INVALID_KINDS wins.
    ("+x x", "symbol_after_padding"),  # operator first, and a symbol after padding
    ("x++ x", "symbol_after_padding"),  # operators in a row, and a symbol after padding
    ("++x", "operator_first"),  # operator first, and operators in a row
    ("xx+-x", "operators_in_a_row"),  # operators in a row, and two x in a row ("other")
    ("x+-x+", "operators_in_a_row"),  # operators in a row, and an operator at the end
]


@pytest.mark.parametrize("sentence, kind", KINDS)
def test_invalid_kind_of_hand_made_strings(sentence, kind):
    assert invalid_kind(pad(sentence)) == kind
    assert (kind is None) == grammar.is_valid(pad(sentence))


def test_invalid_kinds_of_every_string_of_five_symbols():
    """Every one of the 6**5 strings: None exactly for the valid ones, else the first kind (in the
    order of INVALID_KINDS) whose pattern the string shows, each pattern written here afresh."""
    kinds = INVALID_KINDS
    assert kinds == ("symbol_after_padding", "operator_first", "operators_in_a_row", "other")
    patterns = {"symbol_after_padding": r" [^ ]", "operator_first": r"^[-+*/]", "operators_in_a_row": r"[-+*/]{2}"}
    seen = set()
    for symbols in itertools.product(grammar.VOCAB, repeat=5):
        s = "".join(symbols)
        if grammar.is_valid(s):
            assert invalid_kind(s) is None, s
            continue
        expected = next((k for k in kinds[:-1] if re.search(patterns[k], s)), "other")
        assert invalid_kind(s) == expected, s
        if expected == "other":  # as documented: two x in a row, an operator at the end, or nothing
            body = s.rstrip(" ")
            assert "xx" in body or body[-1:] in grammar.OPERATORS or body == "", s
        seen.add(expected)
    assert seen == set(kinds)


def test_invalid_kind_rejects_a_non_string():
    with pytest.raises(TypeError, match="str"):
        invalid_kind(3)


def test_invalid_taxonomy_by_hand():
    samples = [pad(s) for s in ["x", "x+x", "x x", "+x", "+x", "x+-x", "xx", "", "+x x", "x-x*x"]]
    # valid 3 of 10; gaps: "x x", "+x x" (2); operator first: "+x" twice (2); in a row: 1; other: "xx", "" (2).
    shares = invalid_taxonomy(samples)
    assert list(shares) == list(INVALID_KINDS)
    assert shares == pytest.approx({"symbol_after_padding": 0.2, "operator_first": 0.2, "operators_in_a_row": 0.1,
                                    "other": 0.2})
    assert sum(shares.values()) == pytest.approx(1 - fraction_valid(samples))
    assert invalid_taxonomy([pad("x")] * 3) == dict.fromkeys(INVALID_KINDS, 0.0)


def test_invalid_taxonomy_adds_up_to_the_invalid_share_on_random_strings():
    rng = np.random.default_rng(3)
    samples = ["".join(rng.choice(list(grammar.VOCAB), size=12, p=[0.3, 0.4, 0.075, 0.075, 0.075, 0.075]))
               for _ in range(2_000)]
    shares = invalid_taxonomy(samples)
    assert all(share > 0 for share in shares.values())
    assert sum(shares.values()) == pytest.approx(1 - fraction_valid(samples), abs=1e-12)


def test_decompose_by_hand():
    # Length 5: p(x) = 1/3 and p(x op x) = 1/12. Valid samples x, x, x+x; one invalid.
    result = decompose([pad(s, 5) for s in ["x", "xx", "x", "x+x"]], length=5)
    assert list(result) == ["valid", "n_valid", *CONDITIONAL]
    assert result["valid"] == 0.75 and result["n_valid"] == 3
    # TV = (|2/3 - 1/3| + |1/3 - 1/12| + the mass of the 19 strings never drawn, 1 - 1/3 - 1/12) / 2
    assert result["conditional_tv"] == pytest.approx(0.5 * (1 / 3 + 1 / 4 + 7 / 12))
    assert result["perfect_tv"] == expected_tv(3, 5)
    assert result["excess_tv"] == pytest.approx(7 / 12 - expected_tv(3, 5))
    assert result["coverage"] == pytest.approx(1 / 3 + 1 / 12)
    assert result["perfect_coverage"] == expected_coverage(3, 5)
    assert result["coverage_gap"] == pytest.approx(expected_coverage(3, 5) - 5 / 12)
    assert result["nll_oracle"] == pytest.approx((2 * math.log(3) + math.log(12)) / 3)


def simulated_spread(n: int, runs: int = 1_000) -> tuple[float, float]:
    """The standard deviations of the plug-in TV and of the coverage of n exact draws from p."""
    probs = np.array(list(true_distribution().values()))
    counts = np.random.default_rng(11).multinomial(n, probs, size=runs)
    tv = 0.5 * np.abs(counts / n - probs).sum(axis=1)
    return float(tv.std(ddof=1)), float((probs * (counts > 0)).sum(axis=1).std(ddof=1))


def test_exact_draws_from_p_fit_as_well_as_the_perfect_sampler():
    """5,000 strings from the grammar's own sampler are n exact draws from p: their conditional TV
    and coverage lie within 4 standard deviations (simulated) of perfect@n, so excess_tv and
    coverage_gap are within 4 SD of 0; and with every sample valid they are the plug-in figures."""
    n = 5_000
    samples = grammar.sample_dataset(n, seed=5)
    result = decompose(samples)
    tv_sd, coverage_sd = simulated_spread(n)
    assert result["valid"] == 1.0 and result["n_valid"] == n
    assert abs(result["excess_tv"]) < 4 * tv_sd, (result, tv_sd)
    assert abs(result["coverage_gap"]) < 4 * coverage_sd, (result, coverage_sd)
    plugin = distribution_metrics(samples)
    assert result["conditional_tv"] == pytest.approx(plugin["true_tv"], rel=1e-12)
    assert result["coverage"] == pytest.approx(plugin["coverage"], rel=1e-12)
    assert result["nll_oracle"] == pytest.approx(np.mean([-math.log(true_probability(s)) for s in samples]))
    # The reference is well away from 0 at this n, which is why it is subtracted.
    assert result["perfect_tv"] == expected_tv(n) > 10 * tv_sd


def test_invalid_strings_change_only_the_valid_share():
    valid = grammar.sample_dataset(300, seed=2)
    invalid = [pad(s) for s in ["xx", "+x", "x+-x", "x x", ""]] * 20
    mixed = list(itertools.chain.from_iterable(zip(valid[:100], invalid))) + valid[100:]
    assert len(mixed) == 400
    result, alone = decompose(mixed), decompose(valid)
    assert result["valid"] == 300 / 400 and result["n_valid"] == 300
    assert alone["valid"] == 1.0 and alone["n_valid"] == 300
    assert {key: result[key] for key in CONDITIONAL} == {key: alone[key] for key in CONDITIONAL}
    # The plug-in TV of the mixed set charges the invalid quarter as well: it is at least the mass
    # 1 - v it puts where p has none, and (the mixed set being v parts valid strings and 1 - v parts
    # invalid, TV being convex) at most v * conditional TV + (1 - v).
    plugin, v = distribution_metrics(mixed)["true_tv"], result["valid"]
    assert 1 - v < plugin < v * result["conditional_tv"] + 1 - v


def test_without_a_valid_string_the_conditional_figures_are_none():
    result = decompose([pad(s) for s in ["xx", "+x", "x x"]])
    assert result == {"valid": 0.0, "n_valid": 0, **dict.fromkeys(CONDITIONAL)}


def test_decompose_rejects_strings_of_another_length():
    with pytest.raises(ValueError, match=r"^samples must all have 12 symbols"):
        decompose([pad("x"), "x+x"])
    with pytest.raises(ValueError, match=r"^samples must hold at least one"):
        decompose([])


def test_coverage_at_a_matched_count():
    valid = [pad(s) for s in ["x", "x", "x+x", "x-x", "x", "x*x*x"]]
    mixed = [pad("xx"), *valid[:3], pad("+x"), *valid[3:]]
    truth = true_distribution()
    coverage, perfect = coverage_at(mixed, 3)
    assert coverage == pytest.approx(truth[pad("x")] + truth[pad("x+x")])  # the first 3 valid: x, x, x+x
    assert perfect == expected_coverage(3)
    coverage, perfect = coverage_at(mixed, 6)
    assert coverage == pytest.approx(decompose(mixed)["coverage"]) and perfect == expected_coverage(6)
    assert coverage == pytest.approx(1 / 6 + 2 / 24 + 1 / 96)


@pytest.mark.parametrize("count", [7, 0, -1, 2.5, True])
def test_coverage_at_too_many_or_a_bad_count_names_count(count):
    samples = [pad(s) for s in ["xx", "x", "x", "x+x", "+x", "x-x", "x", "x*x*x"]]  # 6 valid strings
    with pytest.raises(ValueError, match=r"^count must"):
        coverage_at(samples, count)


def test_invalid_make_up_is_the_share_of_each_kind_among_invalid_strings():
    samples = [pad("x x"), pad(" x"), pad("+x"), pad("xx"), pad("x"), pad("x+x")]
    shares = invalid_taxonomy(samples)
    np.testing.assert_allclose(invalid_make_up(shares), [0.5, 0.25, 0.0, 0.25])
    with pytest.raises(ValueError, match="^shares must"):
        invalid_make_up(invalid_taxonomy([pad("x")]))  # nothing invalid


def test_make_up_distance_is_zero_for_the_same_proportions_and_one_for_disjoint_kinds():
    gaps_and_firsts = invalid_taxonomy([pad("x x"), pad("+x"), pad("x")])
    twice_as_many = invalid_taxonomy([pad("x x"), pad("+x"), pad(" x"), pad("*x")])
    only_other = invalid_taxonomy([pad("xx"), pad("x")])
    assert make_up_distance(gaps_and_firsts, twice_as_many) == pytest.approx(0.0)
    assert make_up_distance(gaps_and_firsts, only_other) == pytest.approx(1.0)
    assert make_up_distance(gaps_and_firsts, invalid_taxonomy([pad("x x"), pad("xx")])) == pytest.approx(0.5)
