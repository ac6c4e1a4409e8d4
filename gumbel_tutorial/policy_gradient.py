"""The policy-gradient alternative: a sequence GAN whose generator learns by REINFORCE (chapter 10).

The generator is chapter 7's LSTM language model: it samples hard tokens, and the randomness is
in the sampling, not in a noise input. The discriminator is chapter 8's, reading one-hot
vectors on both sides. Nothing is relaxed, so no gradient flows through the samples; the
generator follows the score-function gradient of chapter 1 instead,

    grad E[a(s)] = E[(a(s) - b) grad log q(s)],

where ``a(s)`` is the discriminator's logit for the string (the paper's generator objective, so
both GANs of the book climb the same objective) and ``b`` a baseline: a moving average of past
rewards, or the leave-one-out mean of the other strings in the batch (Kool et al., 2019). An
optional entropy bonus (Williams and Peng, 1991) keeps the generator from settling on a few strings.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Literal

import numpy as np

from . import grammar
from .adversarial import AdversarialConfig, AdversarialTrainer
from .checks import check_choice, check_interval, check_learning_rate, check_positive_int
from .losses import discriminator_loss
from .mle import MaximumLikelihood
from .models import SequenceGenerator, sequence_log_prob
from .runtime import tf, tfd
from .seeds import derive_seed

Baseline = Literal["moving_average", "leave_one_out", "none"]
BASELINES = ("moving_average", "leave_one_out", "none")


@dataclasses.dataclass(frozen=True)
class PolicyGradientConfig(AdversarialConfig):
    """Settings of one REINFORCE sequence-GAN run, sized like chapter 8's GAN (chapter 10).

    ``baseline="moving_average"`` subtracts an exponential moving average (decay
    ``baseline_decay``) of past batches' mean reward; ``"leave_one_out"`` subtracts from each
    string's reward the mean reward of the batch's other strings; ``"none"`` subtracts nothing.
    ``entropy_bonus`` weighs the entropy of each next-symbol distribution along the sampled
    strings, added to the generator's objective (0 adds nothing).
    ``pretrain_steps`` steps of maximum likelihood (chapter 7, learning rate
    ``pretrain_learning_rate``) come before the adversarial iterations, as in SeqGAN; 0 skips them.
    """

    baseline: Baseline = "moving_average"
    baseline_decay: float = 0.99
    pretrain_steps: int = 0
    pretrain_learning_rate: float = 3e-3
    entropy_bonus: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        check_interval(self.entropy_bonus, "entropy_bonus", 0.0, float("inf"), closed="left")
        if self.baseline == "leave_one_out" and self.batch_size < 2:
            raise ValueError(f"batch_size must be at least 2 for a leave-one-out baseline, got {self.batch_size}")
        check_learning_rate(self.pretrain_learning_rate, "pretrain_learning_rate")
        check_choice(self.baseline, "baseline", BASELINES)
        check_interval(self.baseline_decay, "baseline_decay", 0.0, 1.0, closed="left")
        pretrain = self.pretrain_steps
        if isinstance(pretrain, bool) or not isinstance(pretrain, int) or pretrain < 0:
            raise ValueError(f"pretrain_steps must be an int >= 0, got {pretrain!r}")


class PolicyGradientGAN(AdversarialTrainer):
    """A sequence GAN with a discrete generator trained by REINFORCE with a baseline (chapter 10).

    Each iteration draws real strings and generated strings, updates the discriminator on binary
    cross-entropy (one-hot vectors on both sides), and then updates the generator on the
    surrogate ``-mean((a(s) - b) log q(s))``, whose gradient is the score-function estimate of
    ``grad E[a(s)]``, minus ``entropy_bonus`` times the mean summed entropy of the next-symbol
    distributions along the strings; the rewards ``a(s)`` are the logits the discriminator gave
    the generated strings in its own update.
    """

    history_keys = ("d_loss", "g_loss", "d_real", "d_fake", "reward", "baseline")
    description = "REINFORCE GAN"

    def __init__(self, config: PolicyGradientConfig, seed: int = 0) -> None:
        generator = SequenceGenerator(
            config.hidden_size, grammar.VOCAB_SIZE, config.length, "none",
            init_seed=derive_seed(seed, "generator_init"),
        )
        super().__init__(config, generator, seed)
        self.seed = seed
        self.baseline = tf.Variable(0.0, trainable=False, name="baseline")
        self.pretrained = tf.Variable(config.pretrain_steps == 0, trainable=False, name="pretrained")

    def _trackables(self) -> dict[str, Any]:
        return {**super()._trackables(), "baseline": self.baseline, "pretrained": self.pretrained}

    def pretrain(self, progress: bool = False) -> np.ndarray:
        """Fit the generator by maximum likelihood for ``pretrain_steps`` steps (chapter 7); its
        time counts in this run's ``wall_seconds``."""
        cfg = self.config
        trainer = MaximumLikelihood(self.generator, self.data, cfg.batch_size, cfg.pretrain_learning_rate, self.seed)
        losses = trainer.train(cfg.pretrain_steps, progress=progress)["loss"]
        self.wall_seconds.assign_add(trainer.wall_seconds)
        self.pretrained.assign(True)
        return losses

    def _before_training(self, checkpoint_dir: str | os.PathLike[str] | None, progress: bool) -> None:
        """Pre-train if asked and not done yet; a run resumed from a checkpoint was pre-trained
        before it was saved."""
        resuming = checkpoint_dir is not None and tf.train.latest_checkpoint(os.fspath(checkpoint_dir))
        if not resuming and not bool(self.pretrained.numpy()):
            self.pretrain(progress)

    def train_step(self) -> dict[str, tf.Tensor]:
        """One iteration: a discriminator update, then a REINFORCE update of the
        generator."""
        cfg = self.config
        seeds = tf.unstack(tf.cast(self.rng.make_seeds(2), tf.int32), axis=1)
        real = tf.one_hot(self._real_tokens(seeds[0]), grammar.VOCAB_SIZE)
        tokens = self.generator.sample_tokens(cfg.batch_size, seed=seeds[1])
        fake = tf.one_hot(tokens, grammar.VOCAB_SIZE)
        d_vars = self.discriminator.trainable_variables
        with tf.GradientTape() as d_tape:
            encoded = self.discriminator.encode(tf.concat([real, fake], axis=0))
            real_logits = self.discriminator.score(encoded[: cfg.batch_size], real)
            fake_logits = self.discriminator.score(encoded[cfg.batch_size :], fake)
            d_loss = discriminator_loss(real_logits, fake_logits)
        self.d_optimizer.apply(d_tape.gradient(d_loss, d_vars), d_vars)
        reward = tf.reshape(fake_logits, [-1])  # a(s), the paper's generator objective
        baseline = self._baseline_values(reward)
        advantage = reward - baseline
        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as g_tape:
            logits = self.generator.teacher_forced_logits(tokens)
            g_loss = -tf.reduce_mean(
                tf.stop_gradient(advantage) * sequence_log_prob(tokens, logits))
            if cfg.entropy_bonus > 0:
                entropy = tfd.Categorical(logits=logits).entropy()  # [batch, length]
                g_loss -= cfg.entropy_bonus * tf.reduce_mean(
                    tf.reduce_sum(entropy, axis=-1))
        self.g_optimizer.apply(g_tape.gradient(g_loss, g_vars), g_vars)
        if cfg.baseline == "moving_average":
            decay = cfg.baseline_decay
            self.baseline.assign(
                decay * self.baseline + (1.0 - decay) * tf.reduce_mean(reward)
            )
        self.step.assign_add(1)
        return self._record(
            d_loss, g_loss, real_logits, fake_logits,
            reward=tf.reduce_mean(reward),
            baseline=(tf.identity(self.baseline) if cfg.baseline == "moving_average"
                      else tf.reduce_mean(baseline)),
        )

    def _baseline_values(self, reward: tf.Tensor) -> tf.Tensor:
        """What each string's reward is compared with: the moving average, the mean of the other
        strings' rewards (leave-one-out), or 0."""
        if self.config.baseline == "moving_average":
            return tf.broadcast_to(self.baseline, tf.shape(reward))
        if self.config.baseline == "leave_one_out":
            count = tf.cast(tf.size(reward), reward.dtype)
            return (tf.reduce_sum(reward) - reward) / (count - 1.0)
        return tf.zeros_like(reward)

    def sample_strings(self, n: int, seed: int = 0) -> list[str]:
        """``n`` strings drawn from the generator (chapter 10)."""
        n = check_positive_int(n, "n")
        tokens = self.generator.sample_tokens(n, seed=(derive_seed(seed, "samples"), 1))
        return grammar.decode(tokens.numpy())
