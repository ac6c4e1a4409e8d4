"""The REINFORCE sequence GAN of chapter 10."""

import itertools
import math

import numpy as np
import pytest

from gumbel_tutorial import grammar
from gumbel_tutorial.models import SequenceGenerator
from gumbel_tutorial.policy_gradient import PolicyGradientConfig, PolicyGradientGAN
from gumbel_tutorial.runtime import tf


def small_config(**changes):
    settings = dict(iterations=20, hidden_size=8, batch_size=32, dataset_size=64)
    return PolicyGradientConfig(**{**settings, **changes})


def test_log_prob_is_a_distribution_over_all_strings():
    # Length 3 over 6 symbols: the 216 probabilities of every string sum to 1.
    generator = SequenceGenerator(4, 6, 3, "none", init_seed=1)
    strings = tf.constant(list(itertools.product(range(6), repeat=3)), tf.int32)
    total = float(tf.reduce_sum(tf.exp(generator.log_prob(strings))))
    assert total == pytest.approx(1.0, abs=1e-5)


def test_step_records_every_quantity_and_the_baseline_tracks_the_reward():
    gan = PolicyGradientGAN(small_config(baseline_decay=0.5), seed=0)
    history = gan.train(progress=False)
    assert set(history) == set(PolicyGradientGAN.history_keys)
    assert all(np.isfinite(values).all() and values.size == 20 for values in history.values())
    # baseline_t = 0.5 baseline_{t-1} + 0.5 reward_t, recorded after the update
    expected = 0.5 * history["baseline"][:-1] + 0.5 * history["reward"][1:]
    np.testing.assert_allclose(history["baseline"][1:], expected, rtol=1e-5, atol=1e-6)


def test_without_a_baseline_nothing_is_subtracted():
    history = PolicyGradientGAN(small_config(baseline="none"), seed=0).train(progress=False)
    assert np.all(history["baseline"] == 0.0)


def test_the_generator_climbs_a_frozen_discriminator():
    """With the discriminator frozen, REINFORCE must raise the mean reward (the logit a(s)) by
    more than 0.05 in 150 iterations."""
    gan = PolicyGradientGAN(small_config(iterations=150, learning_rate=3e-3), seed=0)
    gan.d_optimizer.learning_rate.assign(0.0)
    history = gan.train(progress=False)
    assert history["reward"][-10:].mean() > history["reward"][:10].mean() + 0.05


def test_pretraining_runs_once_and_a_resumed_run_skips_it(tmp_path):
    gan = PolicyGradientGAN(small_config(pretrain_steps=60), seed=1)
    before = float(-tf.reduce_mean(gan.generator.log_prob(gan.data)))
    gan.train(iterations=10, checkpoint_dir=tmp_path, checkpoint_every=5, progress=False)
    after = float(-tf.reduce_mean(gan.generator.log_prob(gan.data)))
    assert bool(gan.pretrained.numpy()) and after < before - 1.0  # nats per string
    assert float(gan.wall_seconds.numpy()) > 0.0  # pre-training time counts
    resumed = PolicyGradientGAN(small_config(pretrain_steps=60), seed=1)
    resumed.pretrain = None  # calling it would fail: a resumed run must not pre-train again
    resumed.train(iterations=20, checkpoint_dir=tmp_path, checkpoint_every=5, progress=False)
    assert int(resumed.step.numpy()) == 20 and bool(resumed.pretrained.numpy())


@pytest.mark.parametrize(
    "changes, name",
    [
        ({"baseline": "learned"}, "baseline"),
        ({"baseline_decay": 1.0}, "baseline_decay"),
        ({"baseline_decay": -0.1}, "baseline_decay"),
        ({"baseline_decay": math.nan}, "baseline_decay"),
        ({"pretrain_steps": -1}, "pretrain_steps"),
        ({"pretrain_steps": 2.5}, "pretrain_steps"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"pretrain_learning_rate": -1e-3}, "pretrain_learning_rate"),
        ({"iterations": 0}, "iterations"),
        ({"batch_size": "200"}, "batch_size"),
    ],
)
def test_bad_settings_name_themselves(changes, name):
    with pytest.raises(ValueError, match=name):
        PolicyGradientConfig(**changes)


def test_samples_are_grammar_strings_of_the_right_length():
    strings = PolicyGradientGAN(small_config(), seed=2).sample_strings(50, seed=3)
    assert len(strings) == 50 and all(len(s) == grammar.MAX_LEN for s in strings)


def test_reproduce_runs_the_policy_gradient_variants(tmp_path):
    from gumbel_tutorial.experiments import reproduce
    from gumbel_tutorial.records import load_discriminator, load_generator, load_samples, run_folder
    from gumbel_tutorial.seeds import derive_seed
    from gumbel_tutorial.variants import POLICY_GRADIENT_VARIANTS

    (pg, pretrained) = reproduce(list(POLICY_GRADIENT_VARIANTS), 5, tmp_path, [0], "test", progress=False)
    assert pg["mle_pretraining"] is False and pretrained["mle_pretraining"] is True
    assert pretrained["valid"] > pg["valid"]  # 2,000 MLE steps teach the grammar; 5 GAN steps don't
    folder = run_folder(tmp_path, "pg", 0)
    tokens = load_generator(folder).sample_tokens(100, seed=(derive_seed(0, "samples"), 1))
    assert grammar.decode(tokens.numpy()) == load_samples(folder)[:100]
    discriminator = load_discriminator(folder)  # the trained one, as the run left it
    assert discriminator(tf.one_hot(tokens, grammar.VOCAB_SIZE)).shape == (100,)
