"""The LSTM sequence GAN of chapter 8 and the maximum-likelihood model of chapter 7."""

import numpy as np
import pytest

from gumbel_tutorial import grammar
from gumbel_tutorial.models import SequenceDiscriminator, SequenceGenerator
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.gan import GANConfig, SequenceGAN
from gumbel_tutorial.loop import Trainer
from gumbel_tutorial.mle import train_mle
from gumbel_tutorial.noise import noisy_valid_share, relaxed_real_inputs, smooth_one_hot

V, L = grammar.VOCAB_SIZE, grammar.MAX_LEN


def small_config(**overrides) -> GANConfig:
    settings = dict(iterations=40, hidden_size=16, batch_size=32, dataset_size=300)
    return GANConfig(**{**settings, **overrides})


@pytest.mark.parametrize("noise", ["hidden_and_cell", "hidden_only", "none"])
def test_generator_shapes_and_simplex(noise):
    generator = SequenceGenerator(16, V, L, noise=noise)
    samples = generator.generate(5, 2.0, seed=(1, 2)).numpy()
    assert samples.shape == (5, L, V)
    np.testing.assert_allclose(samples.sum(-1), 1.0, atol=1e-5)
    assert generator.teacher_forced_logits(tf.zeros([3, L], tf.int32)).shape == (3, L, V)
    assert generator.sample_tokens(4, seed=(3, 4)).shape == (4, L)
    assert SequenceDiscriminator(16, V, L)(samples).shape == (5,)


def test_noise_modes_differ_as_in_the_paper():
    both = SequenceGenerator(8, V, L, "hidden_and_cell").initial_state(3, seed=(1, 1))
    assert both[0].shape == (3, 8) and not np.allclose(both[1], 0.0)
    assert np.all((both[0].numpy() >= 0) & (both[0].numpy() < 1))
    hidden_only = SequenceGenerator(8, V, L, "hidden_only")
    h0, c0 = hidden_only.initial_state(3, seed=(1, 1))
    np.testing.assert_array_equal(c0.numpy(), np.zeros((3, 8)))
    assert any(v.name == "initial_cell" for v in hidden_only.trainable_variables)


def test_straight_through_output_is_one_hot():
    generator = SequenceGenerator(16, V, L)
    samples = generator.generate(4, 1.0, seed=(5, 6), feedback="hard", straight_through_output=True).numpy()
    assert set(np.unique(samples)) == {0.0, 1.0}
    np.testing.assert_array_equal(samples.sum(-1), np.ones((4, L)))


@pytest.mark.parametrize("config", [small_config(), small_config(noise="hidden_only"), small_config(feedback="hard", straight_through=True)]
                         + [small_config(feedback="hard", straight_through=True, token_gradient=g)
                            for g in ("gumbel_rao", "reinmax")])
def test_generator_loss_gradient_reaches_every_generator_variable(config):
    gan = SequenceGAN(config, seed=0)
    with tf.GradientTape() as tape:
        fake = gan.generator.generate(8, 1.0, seed=(7, 8), feedback=config.feedback,
                                      straight_through_output=config.straight_through,
                                      token_gradient=config.token_gradient)
        loss = -tf.reduce_mean(gan.discriminator(fake))
    grads = tape.gradient(loss, gan.generator.trainable_variables)
    for variable, grad in zip(gan.generator.trainable_variables, grads, strict=True):
        assert grad is not None, variable.name
        values = tf.convert_to_tensor(grad).numpy()
        assert np.all(np.isfinite(values)), variable.name
        assert np.abs(values).sum() > 0, variable.name


def test_smoothing_puts_confidence_on_the_true_symbol():
    probs = smooth_one_hot(tf.constant([[1, 0, 5]]), V, 0.9).numpy()
    np.testing.assert_allclose(probs[0, np.arange(3), [1, 0, 5]], 0.9)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-6)
    assert probs[0, 0, 2] == pytest.approx(0.1 / (V - 1))


def test_paper_schedules_in_config():
    config = GANConfig()
    assert float(config.generator_schedule(0)) == pytest.approx(5.0)
    assert float(config.generator_schedule(10_000)) == pytest.approx(1.0)
    assert float(GANConfig(generator_temperature=1.0).generator_schedule(0)) == pytest.approx(1.0)
    assert float(GANConfig(generator_temperature=1.0).real_schedule(0)) == pytest.approx(5.0)


def test_short_run_is_finite_and_samples_strings():
    gan = SequenceGAN(small_config(iterations=120), seed=0)
    history = gan.train(progress=False)
    assert all(len(values) == 120 for values in history.values())
    assert all(np.all(np.isfinite(values)) for values in history.values())
    strings = gan.sample_strings(7)
    assert len(strings) == 7 and all(len(s) == L for s in strings)


def test_discriminator_half_of_the_step_learns_against_a_fixed_generator():
    """With the generator's learning rate at 0, train_step's discriminator update alone must take
    its loss from log 4 (chance) to below 0.5 in 150 iterations (seed 0 reaches 0.31)."""
    gan = SequenceGAN(small_config(iterations=150, tau_start=1.0), seed=0)
    gan.g_optimizer.learning_rate.assign(0.0)
    history = gan.train(progress=False)
    assert history["d_loss"][:10].mean() > 1.3
    assert history["d_loss"][-10:].mean() < 0.5


def test_generator_half_of_the_step_learns_against_a_fixed_discriminator():
    """With the discriminator frozen, the generator's loss -logit must fall by more than 0.05 in
    150 iterations (seed 0: from 0.026 to -0.065)."""
    gan = SequenceGAN(small_config(iterations=150, tau_start=1.0), seed=0)
    gan.d_optimizer.learning_rate.assign(0.0)
    history = gan.train(progress=False)
    assert history["g_loss"][-10:].mean() < history["g_loss"][:10].mean() - 0.05


def test_resume_continues_exactly(tmp_path, advances):
    straight = SequenceGAN(small_config(iterations=30), seed=3).train(progress=False)
    first = SequenceGAN(small_config(iterations=30), seed=3)
    first.train(iterations=20, checkpoint_dir=tmp_path, checkpoint_every=10, progress=False)
    resumed = SequenceGAN(small_config(iterations=30), seed=3)
    advances.clear()
    history = resumed.train(checkpoint_dir=tmp_path, checkpoint_every=10, progress=False)
    assert int(resumed.step.numpy()) == 30 and len(history["d_loss"]) == 30
    # Only iterations 21 to 30 ran; the first 20 losses came back from the checkpoint.
    assert advances == [(20, 10)]
    np.testing.assert_allclose(history["d_loss"], straight["d_loss"], rtol=1e-5)


def test_graph_loop_chunks_do_not_change_the_run():
    """Iterations run in compiled chunks of any size give the same trajectory."""
    whole = SequenceGAN(small_config(iterations=25), seed=4).train(progress=False)
    chunked = SequenceGAN(small_config(iterations=25), seed=4)
    chunked.chunk = 7
    history = chunked.train(progress=False)
    for key in whole:
        np.testing.assert_allclose(history[key], whole[key], rtol=1e-6)


class _Diverging(Trainer):
    history_keys = ("value",)

    def train_step(self):
        self.step.assign_add(1)
        return {"value": 1.0 / (3.0 - tf.cast(self.step, tf.float32))}  # infinite at iteration 2

    def _trackables(self):
        return {}


def test_non_finite_value_names_its_iteration():
    trainer = _Diverging(seed=0)
    with pytest.raises(FloatingPointError, match="iteration 2"):
        trainer.train(5, progress=False)
    assert len(trainer.history["value"]) == 5


def test_mle_learns():
    tokens = grammar.encode(grammar.sample_dataset(300, L, seed=0))
    generator = SequenceGenerator(16, V, L, noise="none")
    losses = train_mle(generator, tokens, steps=150, batch_size=32, learning_rate=1e-2)
    assert losses[-10:].mean() < 0.7 * losses[:10].mean()


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"iterations": 0}, "iterations"),
        ({"batch_size": -5}, "batch_size"),
        ({"tau_start": 0.0}, "tau_start"),
        ({"generator_temperature": float("nan")}, "generator_temperature"),
        ({"noise": "cell"}, "noise"),
        ({"feedback": "soft"}, "feedback"),
        ({"real_confidence": 1.5}, "real_confidence"),
        ({"generator_loss": "wgan"}, "generator_loss"),
        ({"token_gradient": "score"}, "token_gradient"),
        ({"token_gradient": "reinmax"}, "token_gradient must be 'straight_through' unless"),
    ],
)
def test_bad_config(overrides, match):
    with pytest.raises(ValueError, match=match):
        GANConfig(**overrides)


def test_bad_mle_input():
    generator = SequenceGenerator(8, V, L, noise="none")
    with pytest.raises(ValueError, match="tokens"):
        train_mle(generator, np.zeros((4, 5), np.int32), steps=1)
    with pytest.raises(ValueError, match="steps"):
        train_mle(generator, np.zeros((4, L), np.int32), steps=0)


def test_minibatch_features_see_a_collapsed_batch():
    discriminator = SequenceDiscriminator(8, V, L, minibatch_features=True)
    varied = tf.one_hot(grammar.encode(grammar.sample_dataset(64, L, seed=1)), V)
    collapsed = tf.one_hot(grammar.encode(["x" + " " * (L - 1)] * 64), V)
    # Scoring the same encodings with two batches' statistics: only the spread differs.
    encoded = discriminator.encode(varied)
    difference = discriminator.score(encoded, varied) - discriminator.score(encoded, collapsed)
    assert np.all(np.abs(difference.numpy()) > 0)
    assert np.allclose(difference.numpy(), difference.numpy()[0])  # one shift for the whole batch


def test_variant_beyond_the_paper_trains():
    gan = SequenceGAN(small_config(feedback="hard", real_confidence=0.99, minibatch_features=True), seed=0)
    history = gan.train(progress=False)
    assert all(np.all(np.isfinite(values)) for values in history.values())


def test_relaxed_real_inputs_flip_one_symbol_in_ten():
    tokens = tf.constant(grammar.encode(grammar.sample_dataset(2_000, L, seed=2)))
    relaxed = relaxed_real_inputs(tokens, V, 0.9, 1.0, seed=(4, 5))
    kept = float(tf.reduce_mean(tf.cast(tf.argmax(relaxed, -1, output_type=tf.int32) == tokens, tf.float32)))
    # 24,000 symbols: the standard error of the kept fraction is about 0.002.
    assert abs(kept - 0.9) < 0.01
    np.testing.assert_allclose(relaxed.numpy().sum(-1), 1.0, atol=1e-5)


def test_train_rejects_zero_iterations_instead_of_running_the_default():
    gan = SequenceGAN(GANConfig(iterations=3, hidden_size=4, batch_size=8, dataset_size=16), seed=0)
    with pytest.raises(ValueError, match="iterations must be a positive integer, got 0"):
        gan.train(0, progress=False)
    assert int(gan.step.numpy()) == 0


@pytest.mark.parametrize("rate", [0.0, -1e-3, float("nan"), float("inf"), True, "0.001"])
def test_learning_rates_have_their_own_check(rate):
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        GANConfig(learning_rate=rate)


def test_teacher_forced_logits_takes_a_seed_for_the_noise_state():
    generator = SequenceGenerator(8, grammar.VOCAB_SIZE, 12, "hidden_and_cell", init_seed=3)
    tokens = tf.zeros([4, 12], tf.int32)
    first = generator.teacher_forced_logits(tokens, seed=(1, 2))
    np.testing.assert_array_equal(first.numpy(), generator.teacher_forced_logits(tokens, seed=(1, 2)).numpy())
    assert not np.allclose(first.numpy(), generator.teacher_forced_logits(tokens, seed=(5, 6)).numpy())
    language_model = SequenceGenerator(8, grammar.VOCAB_SIZE, 12, "none", init_seed=3)
    np.testing.assert_array_equal(language_model.teacher_forced_logits(tokens, seed=(1, 2)).numpy(),
                                  language_model.teacher_forced_logits(tokens, seed=(5, 6)).numpy())


def test_advance_runs_further_iterations_and_train_runs_up_to_a_total():
    gan = SequenceGAN(GANConfig(iterations=5, hidden_size=4, batch_size=8, dataset_size=16), seed=0)
    assert gan.advance(3).shape == (3, len(gan.history_keys))
    gan.advance(3)
    assert int(gan.step.numpy()) == 6  # advance: that many *further* iterations
    gan.train(8, progress=False)
    assert int(gan.step.numpy()) == 8  # train: until that many in all
    gan.train(8, progress=False)
    assert int(gan.step.numpy()) == 8 and len(gan.history["d_loss"]) == 8


def test_noisy_valid_share_is_eq_noisy_valid_averaged_over_the_operator_count():
    # A string with k operators keeps its 12 - k other symbols, and each operator stays an
    # operator with probability c + 3 (1 - c) / 5; k is uniform on 0..5 in the data.
    for c in (0.9, 0.99):
        by_hand = np.mean([c ** (12 - k) * (c + 3 * (1 - c) / 5) ** k for k in range(6)])
        assert noisy_valid_share(c) == pytest.approx(by_hand, rel=1e-12)
    assert noisy_valid_share(1.0) == 1.0
    assert noisy_valid_share(0.9, length=1) == pytest.approx(0.9)  # the lone x
    assert noisy_valid_share(0.9) < noisy_valid_share(0.99) < noisy_valid_share(0.999)
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(ValueError, match="^confidence must"):
            noisy_valid_share(bad)
    with pytest.raises(ValueError, match="^length must"):
        noisy_valid_share(0.9, length=0)


def test_noisy_valid_share_predicts_the_noised_training_strings():
    data = grammar.sample_dataset(2_000, seed=0)
    relaxed = relaxed_real_inputs(tf.constant(grammar.encode(data)), V, 0.9, 1.0, seed=(9, 1))
    valid = np.mean([grammar.is_valid(s) for s in grammar.decode(tf.argmax(relaxed, -1).numpy())])
    # 2,000 strings: a standard error of about 0.011; double flips add a little validity.
    assert abs(valid - noisy_valid_share(0.9)) < 0.04
