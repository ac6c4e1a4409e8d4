"""The REINFORCE sequence GAN of chapter 10."""

import itertools
import math

import numpy as np
import pytest
from scipy.special import logsumexp

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
        ({"entropy_bonus": -0.01}, "entropy_bonus"),
        ({"entropy_bonus": math.nan}, "entropy_bonus"),
        ({"entropy_bonus": math.inf}, "entropy_bonus"),
        ({"entropy_bonus": "0.1"}, "entropy_bonus"),
        ({"baseline": "leave_one_out", "batch_size": 1}, "batch_size"),
    ],
)
def test_bad_settings_name_themselves(changes, name):
    with pytest.raises(ValueError, match=name):
        PolicyGradientConfig(**changes)


def test_the_edges_of_the_new_settings_are_allowed():
    assert PolicyGradientConfig(baseline="leave_one_out", batch_size=2).batch_size == 2
    assert PolicyGradientConfig(batch_size=1).baseline == "moving_average"  # one string is enough there
    assert PolicyGradientConfig(entropy_bonus=0).entropy_bonus == 0
    assert PolicyGradientConfig(entropy_bonus=5).entropy_bonus == 5


def test_leave_one_out_baseline_is_the_mean_of_the_other_rewards():
    gan = PolicyGradientGAN(small_config(iterations=1, baseline="leave_one_out", batch_size=4), seed=0)
    reward = tf.constant([1.0, 2.0, 4.0, 9.0])  # sum 16: each baseline is (16 - r_i) / 3
    np.testing.assert_allclose(gan._baseline_values(reward).numpy(), [5.0, 14 / 3, 4.0, 7 / 3], rtol=1e-6)
    many = np.random.default_rng(0).normal(size=32).astype(np.float32)
    baseline = gan._baseline_values(tf.constant(many)).numpy()
    expected = [np.mean(np.delete(many, i)) for i in range(32)]  # leave string i out, average the rest
    np.testing.assert_allclose(baseline, expected, rtol=1e-5, atol=1e-6)
    # So the advantages are B / (B - 1) times the deviations from the batch mean, and sum to 0.
    np.testing.assert_allclose(many - baseline, 32 / 31 * (many - many.mean()), rtol=1e-5, atol=1e-6)


def test_the_other_baselines():
    reward = tf.constant([1.0, 2.0, 4.0, 9.0])
    none = PolicyGradientGAN(small_config(iterations=1, baseline="none", batch_size=4), seed=0)
    np.testing.assert_array_equal(none._baseline_values(reward).numpy(), np.zeros(4))
    moving = PolicyGradientGAN(small_config(iterations=1, batch_size=4), seed=0)
    moving.baseline.assign(0.7)
    np.testing.assert_array_equal(moving._baseline_values(reward).numpy(), np.full(4, 0.7, np.float32))


def test_a_leave_one_out_step_records_the_mean_baseline():
    gan = PolicyGradientGAN(small_config(iterations=2, baseline="leave_one_out"), seed=0)
    for _ in range(2):
        record = gan.train_step()
        # The mean of the leave-one-out baselines is the mean reward itself.
        assert float(record["baseline"]) == pytest.approx(float(record["reward"]), rel=1e-5, abs=1e-6)
    assert float(gan.baseline.numpy()) == 0.0  # the moving average is left alone


def mean_summed_entropy(logits: np.ndarray) -> float:
    """The mean over strings of the summed entropy of each next-symbol distribution, in float64."""
    logits = logits.astype(np.float64)
    log_probs = logits - logsumexp(logits, axis=-1, keepdims=True)
    return float(np.mean(np.sum(-np.exp(log_probs) * log_probs, axis=(-2, -1))))


def test_the_entropy_bonus_lowers_the_generator_loss_by_bonus_times_the_entropy(monkeypatch):
    """Two runs alike but for the bonus take the same first step up to the generator update: the
    same strings, the same discriminator update and rewards. Their generator losses differ by
    exactly -bonus times the mean summed entropy of the strings' next-symbol distributions, which
    the untouched generator of a third run alike gives. The bonus also moves the generator, so
    that the entropy of those distributions rises."""
    drawn = []
    sample_tokens = SequenceGenerator.sample_tokens

    def recorded(self, *args, **kwargs):
        drawn.append(sample_tokens(self, *args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(SequenceGenerator, "sample_tokens", recorded)
    gans = {bonus: PolicyGradientGAN(small_config(iterations=1, entropy_bonus=bonus), seed=0)
            for bonus in (0.0, 0.1, 100.0)}
    records = {bonus: {key: float(value) for key, value in gan.train_step().items()} for bonus, gan in gans.items()}
    assert len(drawn) == 3
    for tokens in drawn[1:]:
        np.testing.assert_array_equal(tokens.numpy(), drawn[0].numpy())
    untouched = PolicyGradientGAN(small_config(iterations=1), seed=0).generator
    entropy = mean_summed_entropy(untouched.teacher_forced_logits(drawn[0]).numpy())
    assert 10.0 < entropy <= 12 * math.log(6)  # an untrained model: near the maximum, log 6 a symbol
    for bonus in (0.1, 100.0):
        for key in ("d_loss", "d_real", "d_fake", "reward", "baseline"):
            assert records[bonus][key] == records[0.0][key], key
        difference = records[bonus]["g_loss"] - records[0.0]["g_loss"]
        assert difference == pytest.approx(-bonus * entropy, rel=1e-5), (bonus, records)
        for a, b in zip(gans[bonus].discriminator.weights, gans[0.0].discriminator.weights, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    # The bonus reaches the gradient: a heavy one raises the entropy on these strings.
    after = mean_summed_entropy(gans[100.0].generator.teacher_forced_logits(drawn[0]).numpy())
    assert after > entropy


def test_samples_are_grammar_strings_of_the_right_length():
    strings = PolicyGradientGAN(small_config(), seed=2).sample_strings(50, seed=3)
    assert len(strings) == 50 and all(len(s) == grammar.MAX_LEN for s in strings)


def test_fingerprints_leave_out_a_later_setting_at_its_old_default():
    """``entropy_bonus`` came after runs were stored: at 0 it stays out of the fingerprint, so the
    stored pg runs keep theirs (these twelve settings, as they were recorded); set, it is in."""
    from gumbel_tutorial.records import LATER_SETTINGS, fingerprint

    assert LATER_SETTINGS == {"entropy_bonus": PolicyGradientConfig().entropy_bonus}
    assert fingerprint("pg", 20_000, 0)["config"] == {
        "iterations": 20_000, "hidden_size": 64, "batch_size": 200, "learning_rate": 0.001,
        "minibatch_features": False, "length": 12, "dataset_size": 5_000, "data_seed": 0,
        "baseline": "moving_average", "baseline_decay": 0.99, "pretrain_steps": 0, "pretrain_learning_rate": 0.003,
    }
    assert "entropy_bonus" not in fingerprint("pg_pretrained", 20_000, 0)["config"]
    loo = fingerprint("pg-loo", 5_000, 0)["config"]
    assert loo["baseline"] == "leave_one_out" and "entropy_bonus" not in loo
    assert fingerprint("pg-loo-ent03", 5_000, 0)["config"]["entropy_bonus"] == 0.03
    assert fingerprint("pg-loo-ent03", 5_000, 0) != fingerprint("pg-loo", 5_000, 0)


def test_every_explored_setting_is_a_variant_with_and_without_pretraining():
    from gumbel_tutorial.variants import PG_EXPLORED_VARIANTS, PG_SETTINGS, PRETRAIN_STEPS, VARIANTS

    assert PG_EXPLORED_VARIANTS == ("pg", *PG_SETTINGS)
    for name, settings in PG_SETTINGS.items():
        for variant, steps in ((name, 0), (f"{name}_pretrained", PRETRAIN_STEPS)):
            config = VARIANTS[variant].config(5_000)
            assert isinstance(config, PolicyGradientConfig) and VARIANTS[variant].adversarial
            assert config.iterations == 5_000 and config.pretrain_steps == steps
            assert {key: getattr(config, key) for key in settings} == settings, variant
            assert config == PolicyGradientConfig(iterations=5_000, pretrain_steps=steps, **settings)


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
