"""The seed offset (one derive_seed for every stream) and the numerics pin of runtime.py."""

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import gumbel_tutorial as gt
from gumbel_tutorial import grammar, runtime, seeds
from gumbel_tutorial.toy_gan import ToyGANConfig, train_toy_gan


def test_offset_zero_keeps_every_purpose_formula(monkeypatch):
    monkeypatch.delenv(seeds.OFFSET_VARIABLE, raising=False)
    assert gt.derive_seed(3, "global") == 3
    assert gt.derive_seed(3, "generator_init") == 30
    assert gt.derive_seed(3, "discriminator_init") == 35
    assert gt.derive_seed(5, "toy_gan") == 80
    assert gt.seed_pair(3, 7) == (3, 7)


def test_offset_shifts_every_root(monkeypatch):
    monkeypatch.setenv(seeds.OFFSET_VARIABLE, "2")
    shifted = 3 + 2 * seeds.OFFSET_STRIDE
    assert gt.derive_seed(3, "data") == shifted
    assert gt.derive_seed(3, "generator_init") == 10 * shifted
    assert gt.seed_pair(3, 7) == (shifted, 7)
    assert gt.derive_seed(seeds.MAX_ROOT, "toy_gan") + 15 < 2**31  # stays inside int32


def test_offset_changes_data_and_training(monkeypatch):
    monkeypatch.delenv(seeds.OFFSET_VARIABLE, raising=False)
    config = ToyGANConfig(epochs=1, batches_per_epoch=5, generator_steps=1, eval_size=10)
    base_data, base_run = grammar.sample_dataset(50, 12, seed=0), train_toy_gan(config)
    assert grammar.sample_dataset(50, 12, seed=0) == base_data
    monkeypatch.setenv(seeds.OFFSET_VARIABLE, "1")
    assert grammar.sample_dataset(50, 12, seed=0) != base_data
    assert not np.array_equal(train_toy_gan(config).probs, base_run.probs)


@pytest.mark.parametrize("value", ["-1", "abc", "100", "1.5"])
def test_bad_offset_names_the_variable(monkeypatch, value):
    monkeypatch.setenv(seeds.OFFSET_VARIABLE, value)
    with pytest.raises(ValueError, match=seeds.OFFSET_VARIABLE):
        gt.derive_seed(0, "global")


@pytest.mark.parametrize("root", [-1, 2**20, 1.0, True, "0"])
def test_bad_root_is_rejected(root):
    with pytest.raises(ValueError, match=r"^root must be an int in \[0, 1048575\]"):
        gt.derive_seed(root, "global")


def test_unknown_purpose_is_rejected():
    with pytest.raises(ValueError, match="purpose must be one of"):
        gt.derive_seed(0, "weights")


def _pins_seen(env: dict[str, str]) -> str:
    code = "from gumbel_tutorial import runtime; print(sorted(runtime.PINNED.items()), runtime.THREADS)"
    clean = {k: v for k, v in os.environ.items() if k not in runtime.PINNED_VARIABLES}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="the pin is for x86-64")
def test_pin_sets_avx2_unless_the_user_chose():
    default = _pins_seen({})
    assert "--xla_cpu_max_isa=AVX2" in default and "('ONEDNN_MAX_CPU_ISA', 'AVX2')" in default
    assert "('TF_ENABLE_ONEDNN_OPTS', '0')" in default and default.strip().endswith(" 2")
    chosen = _pins_seen({"XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2", "GUMBEL_TUTORIAL_THREADS": "1"})
    assert "--xla_cpu_max_isa=SSE4_2" in chosen and "AVX2'" not in chosen.split("XLA_FLAGS")[1].split(")")[0]
    assert chosen.strip().endswith(" 1")


def test_bootstrap_interval_brackets_the_statistic():
    values = np.linspace(0.0, 1.0, 21)
    mean = gt.bootstrap_interval(values)
    assert mean.value == pytest.approx(0.5) and mean.low < 0.5 < mean.high
    median = gt.bootstrap_interval(values, "median", level=0.5)
    assert median.low <= 0.5 <= median.high and median.level == 0.5


def _cdf_below_and_at(law: np.ndarray, atoms: np.ndarray, x: float) -> tuple[float, float]:
    """P(X < x) and P(X <= x) for X with probabilities ``law`` on ``atoms``."""
    return float(law[atoms < x - 1e-12].sum()), float(law[atoms <= x + 1e-12].sum())


@pytest.mark.parametrize("level", [0.9, 0.95, 0.98])
def test_bootstrap_interval_ends_are_the_exact_bootstrap_quantiles(level):
    """The values i/20 (i = 0..20) make a resample's mean S/420, S the sum of 21 uniform draws
    from 0..20, whose exact law comes by convolution. Each end is a sample quantile of 10,000
    resampled means, so the exact law leaves beyond it the tail t = (1 - level) / 2 within 4
    binomial standard errors sqrt(t (1 - t) / 10,000), to the mass of one atom (about 0.002). At
    95% (t = 0.025 +- 0.0016) the ends of a 90% or a 98% interval leave 0.05 or 0.01: 16 or 9.6
    standard errors off."""
    resamples, tail = 10_000, (1 - level) / 2
    interval = gt.bootstrap_interval(np.linspace(0.0, 1.0, 21), level=level, resamples=resamples)
    law = np.ones(1)
    for _ in range(21):
        law = np.convolve(law, np.full(21, 1 / 21))
    atoms = np.arange(law.size) / 420
    slack = 4 * np.sqrt(tail * (1 - tail) / resamples)
    below, at = _cdf_below_and_at(law, atoms, interval.low)
    assert below - slack <= tail <= at + slack, (interval, below, at)
    below, at = _cdf_below_and_at(law, atoms, interval.high)
    assert below - slack <= 1 - tail <= at + slack, (interval, below, at)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"values": [1.0]}, "values"), ({"values": [1.0, np.nan]}, "values"),
     ({"statistic": "mode"}, "statistic"), ({"level": 1.0}, "level"), ({"resamples": 0}, "resamples")],
)
def test_bootstrap_interval_rejects_bad_input(kwargs, match):
    args = {"values": [0.1, 0.2, 0.3], **kwargs}
    with pytest.raises(ValueError, match=match):
        gt.bootstrap_interval(**args)


@pytest.mark.parametrize("value", ["mlp ", "MLP", None, 3, ["mlp"]])
def test_check_choice_names_the_argument_and_the_choices(value):
    from gumbel_tutorial.checks import check_choice

    with pytest.raises(ValueError, match=r"discriminator must be one of \('logistic', 'mlp'\), got"):
        check_choice(value, "discriminator", ("logistic", "mlp"))
    assert check_choice("mlp", "discriminator", ("logistic", "mlp")) == "mlp"
