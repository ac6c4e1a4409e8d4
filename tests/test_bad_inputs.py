"""Every entry of ``gumbel_tutorial.__all__`` rejects bad arguments with a ``ValueError`` naming them.

The walk takes one valid call per entry point, replaces one argument at a time with a bad value of
its kind (wrong type, NaN, infinite, negative, empty, wrong shape, unknown choice) and expects a
``ValueError`` whose message starts with the argument's name: "<name> must ...". Hypothesis draws
the numeric bad values.
"""

from __future__ import annotations

import importlib
import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gumbel_tutorial as gt
from gumbel_tutorial import grammar
from gumbel_tutorial.gan import GANConfig
from gumbel_tutorial.models import SequenceGenerator
from gumbel_tutorial.policy_gradient import PolicyGradientConfig
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.toy_gan import ToyGANConfig

RESULT_TYPES = {"BiasVariance", "ChiSquareResult", "Interval"}
"""Records the package returns (never built from user input), so there is nothing to validate."""


def names(argument: str) -> str:
    """The pattern of a message that names ``argument`` as its subject: "<argument> must ..."."""
    return rf"^{re.escape(argument)} must\b"


def square(z: Any) -> Any:
    return z**2


def first(z: Any) -> Any:
    return z[..., 0]


# The bad values of each kind of argument, beyond the wrong types every kind gets.
WRONG_TYPES = ["text", None, object()]
BAD = {
    "positive": [math.nan, math.inf, -1.0, 0.0, []],
    "real": [math.nan, -math.inf, []],
    "level": [math.nan, 0.0, 1.0, 1.5],
    "count": [0, -3, 2.5, True],
    "root": [-1, 1.5, True, 2**40],
    "choice": ["no-such-choice", 3],
    "function": [3, "square"],
    "distribution": [[0.5, 0.6], [1.5, -0.5], [math.nan, 1.0], [], [[0.5, 0.5], [0.2, 0.2]]],
    "logits": [[1.0], [math.nan, 0.0], [math.inf, 0.0], [], 1.5, [1, 2]],
    "seed": [(1, 2, 3), (1.5, 2), "seed", [1], np.zeros(3, np.int32)],
    "shape": [[-1, 2], [[2, 3]], [2.5], "shape"],
    "bool": [1, "yes", None],
    "counts": [[-1, 3], [1, 2, 3], [], [[1, 2]]],
    "vector": [[], [math.nan, 1.0, 2.0], [[1.0, 2.0]]],
    "estimates": [np.ones(3), np.ones((1, 3)), np.full((4, 3), math.nan)],
}

# One valid call per entry point: each argument's valid value and its kind.
ENTRIES: dict[str, dict[str, tuple[Any, str]]] = {
    "ConstantTemperature": {"value": (1.0, "positive")},
    "ExponentialAnneal": {"start": (1.0, "positive"), "rate": (1e-4, "positive"),
                          "floor": (0.5, "positive")},
    "LinearAnneal": {"start": (5.0, "positive"), "end": (1.0, "positive"), "steps": (100, "count")},
    "bias_variance": {"estimates": (np.ones((4, 3)), "estimates"), "exact": (np.ones(3), "vector")},
    "bootstrap_interval": {"values": ([1.0, 2.0, 3.0], "vector"), "statistic": ("mean", "choice"),
                           "level": (0.95, "level"), "resamples": (100, "count"),
                           "seed": (0, "root")},
    "categorical_score_function_gradient": {
        "f": (first, "function"), "logits": ([0.0, 1.0, 2.0], "logits"),
        "num_samples": (8, "count"), "baseline": ("none", "choice"), "seed": ((1, 2), "seed")},
    "chi_square_test": {"counts": ([30, 70], "counts"), "probs": ([0.5, 0.5], "distribution")},
    "derive_seed": {"root": (0, "root"), "purpose": ("samples", "choice")},
    "exact_categorical_gradient": {"f": (first, "function"), "logits": ([0.0, 1.0], "logits")},
    "gumbel_max": {"logits": ([0.0, 1.0], "logits"), "seed": ((1, 2), "seed"),
                   "alg": ("philox", "choice")},
    "gumbel_softmax": {"logits": ([0.0, 1.0], "logits"), "temperature": (0.5, "positive"),
                       "hard": (False, "bool"), "seed": ((1, 2), "seed")},
    "gumbel_top_k": {"logits": ([0.0, 1.0, 2.0], "logits"), "k": (2, "count"),
                     "seed": ((1, 2), "seed")},
    "gumbel_softmax_gradient": {
        "f": (first, "function"), "logits": ([0.0, 1.0], "logits"),
        "temperature": (0.5, "positive"), "num_samples": (8, "count"), "hard": (False, "bool"),
        "seed": ((1, 2), "seed")},
    "pathwise_gradient": {"f": (square, "function"), "loc": (0.0, "real"),
                          "scale": (1.0, "positive"), "num_samples": (8, "count"),
                          "seed": ((1, 2), "seed")},
    "rng": {"root": (0, "root")},
    "sample_gumbel": {"shape": ([3], "shape"), "seed": ((1, 2), "seed"),
                      "alg": ("philox", "choice")},
    "score_function_gradient": {"f": (square, "function"), "loc": (0.0, "real"),
                                "scale": (1.0, "positive"), "num_samples": (8, "count"),
                                "seed": ((1, 2), "seed")},
    "seed_offset": {},  # no arguments; its environment variable is tested in test_seeds.py
    "seed_pair": {"root": (0, "root"), "index": (1, "root")},
    "set_seed": {"seed": (0, "root")},
    "straight_through": {"relaxed": ([0.2, 0.8], "logits")},
    "total_variation": {"p": ([0.5, 0.5], "distribution"), "q": ([0.5, 0.5], "distribution")},
    "trailing_mean": {"values": ([1.0, 2.0, 3.0], "vector"), "window": (2, "count")},
}
CASES = [
    pytest.param(entry, argument, bad, id=f"{entry}-{argument}-{index}")
    for entry, arguments in ENTRIES.items()
    for argument, (_, kind) in arguments.items()
    for index, bad in enumerate([*WRONG_TYPES, *BAD[kind]])
    if not (kind == "seed" and bad is None)  # None asks for a stateful draw
]


def call(entry: str, **changes: Any) -> Any:
    kwargs = {name: value for name, (value, _) in ENTRIES[entry].items()}
    return getattr(gt, entry)(**{**kwargs, **changes})


def test_the_walk_covers_the_whole_public_api():
    assert set(ENTRIES) | RESULT_TYPES == set(gt.__all__)


@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_the_valid_call_works(entry):
    call(entry)


@pytest.mark.parametrize("entry, argument, bad", CASES)
def test_bad_argument_raises_value_error_naming_it(entry, argument, bad):
    with pytest.raises(ValueError, match=names(argument)):
        call(entry, **{argument: bad})


POSITIVE = [(entry, argument) for entry, arguments in ENTRIES.items()
            for argument, (_, kind) in arguments.items() if kind == "positive"]
COUNTS = [(entry, argument) for entry, arguments in ENTRIES.items()
          for argument, (_, kind) in arguments.items() if kind == "count"]
DISTRIBUTIONS = [(entry, argument) for entry, arguments in ENTRIES.items()
                 for argument, (_, kind) in arguments.items() if kind == "distribution"]
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(value=st.floats(max_value=0.0) | st.just(math.nan) | st.just(math.inf))
@pytest.mark.parametrize("entry, argument", POSITIVE)
def test_non_positive_numbers(entry, argument, value):
    with pytest.raises(ValueError, match=names(argument)):
        call(entry, **{argument: value})


@FAST
@given(value=st.integers(max_value=0) | st.floats(allow_nan=True))
@pytest.mark.parametrize("entry, argument", COUNTS)
def test_counts_below_one_or_not_integers(entry, argument, value):
    with pytest.raises(ValueError, match=names(argument)):
        call(entry, **{argument: value})


@FAST
@given(probs=st.lists(st.floats(-1.0, 2.0), min_size=2, max_size=2).filter(
    lambda p: min(p) < 0 or abs(sum(p) - 1.0) > 1e-3))
@pytest.mark.parametrize("entry, argument", DISTRIBUTIONS)
def test_vectors_that_are_not_distributions(entry, argument, probs):
    with pytest.raises(ValueError, match=names(argument)):
        call(entry, **{argument: probs})


@FAST
@given(position=st.integers(0, 2), value=st.sampled_from([math.nan, math.inf]))
@pytest.mark.parametrize("entry", ["gumbel_softmax", "gumbel_max"])
def test_logits_with_nan_or_plus_infinity(entry, position, value):
    logits = [0.0, 1.0, 2.0]
    logits[position] = value
    with pytest.raises(ValueError, match=names("logits")):
        call(entry, logits=logits)


def test_symbolic_arguments_are_checked_in_python_not_in_the_graph():
    # Inside tf.function only dtype and static shape can be checked; they still raise ValueError.
    @tf.function
    def sample(seed):
        return gt.gumbel_softmax([0.0, 1.0], 0.5, seed=seed)

    # tf.function puts its traceback before the message, which ends the error's text.
    with pytest.raises(ValueError, match=r"\n +ValueError: seed must be None, an int, or a pair"):
        sample.get_concrete_function(tf.TensorSpec([3], tf.int32))


# The configs validate at construction too: one bad field at a time, by kind.
CONFIG_FIELDS = {
    "iterations": "count", "hidden_size": "count", "batch_size": "count", "length": "count",
    "dataset_size": "count", "learning_rate": "positive", "data_seed": "root",
    "minibatch_features": "bool",
}
CONFIGS = {
    GANConfig: {**CONFIG_FIELDS, "generator_batch_size": "count", "tau_start": "positive",
                "tau_end": "positive", "anneal_fraction": "fraction",
                "generator_temperature": "positive", "real_confidence": "fraction",
                "real_inputs": "choice", "noise": "choice", "feedback": "choice",
                "straight_through": "bool", "generator_loss": "choice",
                "token_gradient": "choice"},
    PolicyGradientConfig: {**CONFIG_FIELDS, "baseline": "choice", "baseline_decay": "fraction",
                           "pretrain_steps": "steps", "pretrain_learning_rate": "positive",
                           "entropy_bonus": "non_negative"},
    ToyGANConfig: {"true_probs": "distribution", "batch_size": "count", "learning_rate": "positive",
                   "epochs": "count", "batches_per_epoch": "count", "generator_steps": "count",
                   "temperature": "positive", "discriminator": "choice", "hidden_units": "count",
                   "real_data": "choice", "smoothing": "fraction", "replicas": "count",
                   "eval_size": "count", "seed": "root"},
}
BAD["fraction"] = [math.nan, -0.5, 1.5, True]
BAD["steps"] = [-1, 1.5, True]
BAD["non_negative"] = [math.nan, math.inf, -0.1, True]
NONE_ALLOWED = {"generator_batch_size", "generator_temperature"}


def test_the_config_walk_covers_every_field():
    import dataclasses

    for config, fields in CONFIGS.items():
        assert set(fields) == {field.name for field in dataclasses.fields(config)}, config


@pytest.mark.parametrize(
    "config, field, bad",
    [
        pytest.param(config, field, bad, id=f"{config.__name__}-{field}-{index}")
        for config, fields in CONFIGS.items()
        for field, kind in fields.items()
        for index, bad in enumerate([*WRONG_TYPES, *BAD[kind]])
        if not (bad is None and field in NONE_ALLOWED)
    ],
)
def test_bad_config_field_raises_value_error_naming_it(config, field, bad):
    with pytest.raises(ValueError, match=names(field)):
        config(**{field: bad})



# Chapter 9's measurements live outside gt.__all__, in their modules; they follow the same rule.
# Their string arguments raise TypeError for a wrong type, as the metrics of chapter 6 do, so only
# bad values are walked for them, and for the generator.
def _generator(noise: str) -> SequenceGenerator:
    return SequenceGenerator(4, grammar.VOCAB_SIZE, 3, noise, init_seed=0)


STRINGS5 = [grammar.pad(s, 5) for s in ["x", "x+x", "x", "x*x/x"]]
STRINGS12 = [grammar.pad(s) for s in ["x", "x+x", "x-x*x", "x*x/x+x"]]
RUNS = [{"bleu4": 0.1, "tv": 0.2}, {"bleu4": 0.4, "tv": 0.5}, {"bleu4": 0.3, "tv": 0.3}]
BAD["generator"] = [_generator("hidden_and_cell"), _generator("hidden_only")]
BAD["strings"] = [[]]
BAD["strings5"] = [[], [grammar.pad("x", 5), "x+x"]]  # none, or one of another length
BAD["rows"] = [[], RUNS[:2], [*RUNS[:2], {"bleu4": math.nan, "tv": 0.1}], [*RUNS[:2], {"tv": 0.1}]]
VALUES_ONLY = {"generator", "strings", "strings5", "rows"}
MODULE_ENTRIES: dict[str, dict[str, tuple[Any, str]]] = {
    "truth.true_probability": {"length": (5, "count")},
    "truth.true_distribution": {"length": (5, "count")},
    "perfect.expected_tv": {"n": (10, "count"), "length": (5, "count")},
    "perfect.expected_coverage": {"n": (10, "count"), "length": (5, "count")},
    "perfect.expected_unique": {"n": (10, "count"), "length": (5, "count")},
    "perfect.distinct_count_moments": {"n": (10, "count"), "length": (5, "count")},
    "metrics.string_probabilities": {"generator": (_generator("none"), "generator"),
                                     "strings": (["x+x"], "strings"), "temperature": (0.5, "positive")},
    "metrics.exact_metrics": {"generator": (_generator("none"), "generator"), "temperature": (0.5, "positive")},
    "decompose.decompose": {"samples": (STRINGS5, "strings5"), "length": (5, "count")},
    "decompose.invalid_taxonomy": {"samples": (STRINGS5, "strings")},
    "decompose.coverage_at": {"samples": (STRINGS5, "strings"), "count": (3, "count"), "length": (5, "count")},
    "calibration.bleu4": {"samples": (STRINGS12, "strings"), "training": (STRINGS12, "strings"),
                          "count": (2, "count")},
    "calibration.self_bleu4": {"samples": (STRINGS12, "strings"), "count": (3, "count")},
    "calibration.proxy_metrics": {"samples": (STRINGS12, "strings"), "training": (STRINGS12, "strings"),
                                  "count": (3, "count"), "bleu_count": (3, "count")},
    "calibration.rank_correlations": {"rows": (RUNS, "rows")},
}
MODULE_FIXED: dict[str, dict[str, Any]] = {
    "truth.true_probability": {"s": grammar.pad("x+x", 5)},
    "calibration.rank_correlations": {"proxies": ["bleu4"], "targets": ["tv"]},
}


def module_call(entry: str, **changes: Any) -> Any:
    module, function = entry.split(".")
    kwargs = {name: value for name, (value, _) in MODULE_ENTRIES[entry].items()}
    return getattr(importlib.import_module(f"gumbel_tutorial.{module}"), function)(
        **MODULE_FIXED.get(entry, {}), **{**kwargs, **changes})


@pytest.mark.parametrize("entry", sorted(MODULE_ENTRIES))
def test_the_valid_module_call_works(entry):
    module_call(entry)


@pytest.mark.parametrize(
    "entry, argument, bad",
    [
        pytest.param(entry, argument, bad, id=f"{entry}-{argument}-{index}")
        for entry, arguments in MODULE_ENTRIES.items()
        for argument, (_, kind) in arguments.items()
        for index, bad in enumerate([*([] if kind in VALUES_ONLY else WRONG_TYPES), *BAD[kind]])
    ],
)
def test_bad_module_argument_raises_value_error_naming_it(entry, argument, bad):
    with pytest.raises(ValueError, match=names(argument)):
        module_call(entry, **{argument: bad})
