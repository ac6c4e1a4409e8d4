"""Chapter 10's gradient study: draws at a stored run's final weights, summarized against the
gradient of the process each estimator samples."""

import pathlib

import numpy as np
import pytest

from gumbel_tutorial import gradient_study, records
from gumbel_tutorial.gradient_draws import ESTIMATORS, SAMPLED_PROCESS, summarize
from gumbel_tutorial.gradient_study import GUMBEL, PARTS, REFERENCE, TENSORS, cosine, measure, study

RESULTS = pathlib.Path(__file__).resolve().parents[1] / "results"
SHAPES = [(2, 8), (2, 8), (8,), (2, 3), (3,)]  # W_in, U, b_lstm, W_out, b_out of a tiny LSTM
COUNT = 6


def synthetic_draws(seed: int = 0) -> dict[str, list[np.ndarray]]:
    """Gaussian draws around a different mean for each estimator, twice as many for the
    references, one array per variable."""
    rng = np.random.default_rng(seed)
    draws = {}
    for k, estimator in enumerate(ESTIMATORS):
        n = 2 * COUNT if estimator in REFERENCE.values() else COUNT
        draws[estimator] = [(k + 1) * 0.1 + rng.normal(size=(n, *shape)) for shape in SHAPES]
    return draws


def joined(per_variable, chosen):
    return np.concatenate([d.reshape(len(d), -1) for d in per_variable[chosen]], axis=1)


def test_cosine():
    assert cosine([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert cosine([1.0, 1.0], [-3.0, -3.0]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="^a and b must"):
        cosine([1.0, 0.0], [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="^a and b must"):
        cosine([0.0, 0.0], [1.0, 0.0])


def test_study_summarizes_the_first_draws_against_the_later_reference_draws():
    draws = synthetic_draws()
    found = study(draws, COUNT)
    for part, chosen in PARTS.items():
        for process, reference in REFERENCE.items():
            truth = joined(draws[reference], chosen)[COUNT:].mean(axis=0)
            np.testing.assert_array_equal(found.truths[part, process], truth)
            for estimator in ESTIMATORS:
                expected = summarize(joined(draws[estimator], chosen)[:COUNT], truth)
                assert found.row(estimator, part, process) == expected
    # By default each estimator is compared with the gradient of the process it samples.
    for estimator in ESTIMATORS:
        assert found.row(estimator) == found.row(estimator, "all", SAMPLED_PROCESS[estimator])
    truths = [found.truths["output", process] for process in REFERENCE]
    assert found.between("output") == pytest.approx(cosine(*truths))
    assert found.truths["output", "q_theta"].size == 2 * 3 + 3  # the readout's W and b


def test_variances_and_the_recurrent_share():
    draws = synthetic_draws()
    found = study(draws, COUNT)
    variances = found.variances["reinforce"]
    assert variances == [summarize(d[:COUNT]).variance for d in draws["reinforce"]]
    assert found.recurrent_share("reinforce") == pytest.approx(variances[TENSORS.index("U")] / sum(variances))
    assert 0 < found.recurrent_share("straight_through") < 1


def test_facts_name_every_comparison_of_the_chapter():
    found = study(synthetic_draws(), COUNT)
    facts = found.facts()
    assert facts["snr_loo"] == found.row("reinforce_loo").snr
    assert facts["processes"] == found.between()
    assert facts["gumbel_true_low"] == min(found.row(e).cosine_to for e in GUMBEL)
    ratios = [found.row(e).variance / found.row("reinforce_loo").variance for e in GUMBEL]
    assert (facts["gumbel_var_rel_low"], facts["gumbel_var_rel_high"]) == (min(ratios), max(ratios))
    assert facts["gumbel_relaxed_q"] == found.row("gumbel_relaxed", process="q_theta").cosine_to
    assert facts["straight_through_true_output"] == found.row("straight_through", "output").cosine_to
    assert facts["recurrent_share_low"] <= facts["recurrent_share_high"]


def test_reports_list_every_estimator_under_the_process_it_samples():
    found = study(synthetic_draws(), COUNT)
    lines = found.report().splitlines()
    assert len(lines) == 2 + len(REFERENCE) + len(ESTIMATORS) + 2
    assert lines[2] == "  sampling q_theta:" and lines[3].split()[0] == "reinforce"
    assert lines[-2].split()[-2:] == [f"{found.between(p):.3f}" for p in PARTS]
    table = found.variance_report().splitlines()
    assert table[0].split() == ["estimator", *TENSORS]
    assert [line.split()[0] for line in table[1:]] == list(ESTIMATORS)


def test_study_rejects_bad_draws_and_names():
    draws = synthetic_draws()
    with pytest.raises(ValueError, match="^draws must"):
        study({e: d for e, d in draws.items() if e != "reinforce"}, COUNT)
    with pytest.raises(ValueError, match="^draws must"):
        study(draws, COUNT + 1)  # the references hold only 2 * COUNT
    with pytest.raises(ValueError, match="^count must"):
        study(draws, 0)
    found = study(draws, COUNT)
    with pytest.raises(ValueError, match="^part must"):
        found.row("reinforce", "lstm")
    with pytest.raises(ValueError, match="^estimator must"):
        found.row("rebar")
    with pytest.raises(ValueError, match="^process must"):
        found.row("reinforce", process="other")


def test_measure_draws_each_estimator_at_the_stored_networks(monkeypatch):
    calls = []

    def fake_draws(generator, discriminator, estimator, draws, batch_size, seed):
        calls.append((estimator, draws, batch_size, seed))
        return [np.zeros((draws, *v.shape)) for v in generator.trainable_variables]

    monkeypatch.setattr(gradient_study, "gradient_draws", fake_draws)
    folder = records.run_folder(RESULTS, "pg", 1)
    found = measure(folder, 3, batch_size=8, seed=4)
    assert list(found) == list(ESTIMATORS)
    assert calls == [(e, 6 if e in REFERENCE.values() else 3, 8, 4) for e in ESTIMATORS]
    generator = records.load_generator(folder)
    assert [d.shape[1:] for d in found["reinforce"]] == [tuple(v.shape) for v in generator.trainable_variables]
    assert len(found["reinforce"]) == len(TENSORS)
    with pytest.raises(ValueError, match="^draws must"):
        measure(folder, 0)
