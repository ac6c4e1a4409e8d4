"""Chapter 5's toy GAN: configuration checks, short compiled runs, and the failure it measures."""

import time
from typing import Any, NamedTuple

import numpy as np
import pytest

import gumbel_tutorial as gt
from gumbel_tutorial import toy_gan

SHORT = dict(epochs=40, seed=3)


def test_defaults_are_the_blogs():
    config = toy_gan.ToyGANConfig()
    assert config.true_probs == (0.0, 0.0, 0.1, 0.3, 0.6)
    assert (config.batch_size, config.learning_rate, config.epochs) == (10, 0.0007, 200)
    assert (config.batches_per_epoch, config.generator_steps) == (100, 10)
    assert config.temperature == gt.ConstantTemperature(0.001)
    assert (config.discriminator, config.real_data) == ("logistic", "hard")
    assert config.discriminator_steps == 20_000 and config.total_steps == 220_000


def test_number_temperature_becomes_constant_schedule():
    assert toy_gan.ToyGANConfig(temperature=0.5).temperature == gt.ConstantTemperature(0.5)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(true_probs=(0.2, 0.2, 0.2, 0.2, 0.1)), "true_probs"),  # sums to 0.9
        (dict(true_probs=(0.5, -0.1, 0.6)), "true_probs"),  # negative
        (dict(true_probs=(1.0,)), "true_probs"),
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=-10), "batch_size"),
        (dict(batch_size=2.5), "batch_size"),
        (dict(epochs=0), "epochs"),
        (dict(batches_per_epoch=-1), "batches_per_epoch"),
        (dict(generator_steps=0), "generator_steps"),
        (dict(replicas=0), "replicas"),
        (dict(hidden_units=0), "hidden_units"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(temperature=0.0), "temperature"),
        (dict(temperature=-1.0), "temperature"),
        (dict(discriminator="cnn"), "discriminator"),
        (dict(real_data="soft"), "real_data"),
        (dict(smoothing=1.0), "smoothing"),
        (dict(smoothing=0.1), "smoothing"),
        (dict(seed=-1), "seed"),
    ],
)
def test_bad_config(kwargs, name):
    with pytest.raises(ValueError, match=name):
        toy_gan.ToyGANConfig(**kwargs)


def test_total_variation():
    assert toy_gan.total_variation([0.5, 0.5, 0.0], [0.0, 0.5, 0.5]) == pytest.approx(0.5)
    np.testing.assert_allclose(toy_gan.total_variation(np.eye(3), [1.0, 0.0, 0.0]), [0.0, 1.0, 1.0])


class TimedRun(NamedTuple):
    """A run's history, the wall time around the call, and the lanes it trained."""

    history: toy_gan.ToyGANHistory
    wall: float
    lanes: toy_gan.ToyGANLanes


@pytest.fixture(scope="module")
def timed_run() -> TimedRun:
    lanes: list[toy_gan.ToyGANLanes] = []

    class Kept(toy_gan.ToyGANLanes):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            lanes.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(toy_gan, "ToyGANLanes", Kept)
        clock = time.perf_counter()
        history = toy_gan.train_toy_gan(toy_gan.ToyGANConfig(replicas=2, **SHORT))
        wall = time.perf_counter() - clock
    [group] = lanes
    return TimedRun(history, wall, group)


@pytest.fixture(scope="module")
def short_run(timed_run: TimedRun) -> toy_gan.ToyGANHistory:
    return timed_run.history


def test_history_shapes_and_learning(short_run):
    h = short_run
    assert h.probs.shape == (40, 2, 5)
    assert h.d_accuracy.shape == h.d_loss.shape == h.g_loss.shape == (40, 2)
    assert h.temperature.shape == (40,)
    np.testing.assert_allclose(h.probs.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(np.isfinite(h.d_loss)) and np.all(np.isfinite(h.g_loss))
    # From uniform (distance 0.5) to within 0.15 of the truth in 44,000 updates, both replicas.
    assert np.all(h.final_tv < 0.15), h.final_tv


def test_speed_counts_the_updates_that_ran_in_the_time_measured(timed_run):
    """``seconds`` times the epochs after the first (the first also compiles) lies within the
    call's wall time, and ``steps_per_second`` is the updates the optimizers made over it."""
    h, lanes = timed_run.history, timed_run.lanes
    epochs = len(h.probs)
    assert 0 < h.seconds * (epochs - 1) / epochs < timed_run.wall
    updates = int(lanes.d_opt.iterations.numpy()) + int(lanes.g_opt.iterations.numpy())
    assert updates == epochs * h.config.batches_per_epoch * (1 + h.config.generator_steps)
    assert h.steps_per_second == pytest.approx(updates / h.seconds, rel=1e-12)


def test_same_seed_same_run(short_run):
    again = toy_gan.train_toy_gan(toy_gan.ToyGANConfig(replicas=2, **SHORT))
    np.testing.assert_array_equal(again.probs, short_run.probs)
    np.testing.assert_array_equal(again.d_accuracy, short_run.d_accuracy)


def test_replicas_differ(short_run):
    assert not np.array_equal(short_run.probs[:, 0], short_run.probs[:, 1])


def test_side_by_side_lanes_do_not_interact():
    # Changing the second configuration must not change anything about the first.
    # Plain graphs (no XLA) keep these short runs cheap: tracing is faster than compiling.
    first = toy_gan.ToyGANConfig(epochs=2, discriminator="mlp")
    second_a = toy_gan.ToyGANConfig(epochs=2, discriminator="mlp", temperature=1.0)
    second_b = toy_gan.ToyGANConfig(epochs=2, discriminator="mlp", temperature=0.1, real_data="smoothed")
    a = toy_gan.train_side_by_side([first, second_a], jit_compile=False)
    b = toy_gan.train_side_by_side([first, second_b], jit_compile=False)
    np.testing.assert_array_equal(a[0].probs, b[0].probs)
    np.testing.assert_array_equal(a[0].d_accuracy, b[0].d_accuracy)
    assert not np.array_equal(a[1].probs, b[1].probs)
    np.testing.assert_allclose(b[1].temperature, 0.1)


def test_side_by_side_returns_histories_in_order():
    configs = [toy_gan.ToyGANConfig(epochs=2, discriminator="mlp"), toy_gan.ToyGANConfig(epochs=2, replicas=3)]
    histories = toy_gan.train_side_by_side(configs, jit_compile=False)
    assert [h.config for h in histories] == configs
    assert histories[0].probs.shape == (2, 1, 5) and histories[1].probs.shape == (2, 3, 5)


def test_side_by_side_rejects_mismatched_configs():
    with pytest.raises(ValueError, match="batch_size"):
        toy_gan.train_side_by_side([toy_gan.ToyGANConfig(), toy_gan.ToyGANConfig(batch_size=20)])
    with pytest.raises(ValueError, match="configs"):
        toy_gan.train_side_by_side([])
    with pytest.raises(TypeError, match="config"):
        toy_gan.train_toy_gan({"epochs": 3})


def test_mlp_against_hard_data_at_temperature_one_collapses():
    # Chapter 5's failure: the generator collapses onto the most frequent number (distance 0.4).
    h = toy_gan.train_toy_gan(toy_gan.ToyGANConfig(epochs=30, discriminator="mlp", temperature=1.0, seed=4))
    assert h.final_tv[0] > 0.35
    assert h.d_accuracy[-1, 0] > 0.65


def test_smoothed_real_data_and_annealing_run():
    schedule = gt.ExponentialAnneal(start=1.0, rate=1e-3, floor=0.001)
    h = toy_gan.train_toy_gan(
        toy_gan.ToyGANConfig(epochs=3, discriminator="mlp", real_data="smoothed", temperature=schedule),
        jit_compile=False,
    )
    assert h.temperature[0] < 1.0 and np.all(np.diff(h.temperature) < 0)
    assert np.all(np.isfinite(h.probs))
