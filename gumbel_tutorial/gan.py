"""Algorithm 1 of the paper: the sequence GAN and its settings (chapter 8)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from . import grammar
from .adversarial import AdversarialConfig, AdversarialTrainer
from .checks import check_bool, check_choice, check_interval, check_positive_int, check_temperature
from .losses import GENERATOR_LOSSES, GeneratorLoss, discriminator_loss, generator_loss
from .models import FEEDBACKS, NOISE_MODES, Feedback, NoiseMode, SequenceGenerator
from .noise import relaxed_real_inputs
from .runtime import tf
from .schedules import ConstantTemperature, LinearAnneal
from .seeds import derive_seed
from .sequence_rebar import rebar_parts, rebar_paths, score_term
from .token_gradients import TOKEN_GRADIENTS, TokenGradient

RealInputs = Literal["relaxed", "one_hot"]
REAL_INPUTS = ("relaxed", "one_hot")
SCORE_GRADIENTS = ("rebar", "reinforce_loo")
GENERATOR_GRADIENTS = (*TOKEN_GRADIENTS, *SCORE_GRADIENTS)
"""The one-hot outputs' gradients: chapter 12's tokens, or REBAR over the whole batch, or
its score term alone (REBAR at ``eta = 0``: leave-one-out REINFORCE)."""
REBAR_DECAY = 0.99
"""Decay of the moving averages from which a REBAR run sets ``eta`` (chapter 12, 12.9)."""


@dataclasses.dataclass(frozen=True)
class GANConfig(AdversarialConfig):
    """Settings of one sequence-GAN run; the defaults are the paper's (chapter 8).

    ``generator_temperature=None`` anneals the generator's Gumbel-softmax temperature linearly from
    ``tau_start`` to ``tau_end`` over ``anneal_fraction`` of the run; a number fixes it (variant
    (c) fixes it at 1). The real inputs are smoothed to ``real_confidence`` and passed through
    Gumbel-softmax at the annealed temperature (``real_inputs="relaxed"``), or shown to the
    discriminator as exact one-hot vectors (``"one_hot"``, for generators whose outputs are
    straight-through one-hots). ``token_gradient`` picks the backward pass of those one-hot
    outputs: straight-through, Gumbel-Rao or ReinMax (chapter 12, section 12.9); or
    ``"rebar"``, the unbiased estimator of :mod:`gumbel_tutorial.sequence_rebar`, or
    ``"reinforce_loo"``, its score term alone; both need hard feedback and the paper's loss
    (the generator's strings must have a known probability, and each string its own share
    of the loss).
    """

    generator_batch_size: int | None = None
    tau_start: float = 5.0
    tau_end: float = 1.0
    anneal_fraction: float = 0.5
    generator_temperature: float | None = None
    real_confidence: float = 0.9
    real_inputs: RealInputs = "relaxed"
    noise: NoiseMode = "hidden_and_cell"
    feedback: Feedback = "relaxed"
    straight_through: bool = False
    token_gradient: TokenGradient | Literal["rebar", "reinforce_loo"] = "straight_through"
    generator_loss: GeneratorLoss = "paper"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.generator_batch_size is not None:
            check_positive_int(self.generator_batch_size, "generator_batch_size")
        for name in ("tau_start", "tau_end"):
            check_temperature(getattr(self, name), name)
        if self.generator_temperature is not None:
            check_temperature(self.generator_temperature, "generator_temperature")
        check_interval(self.anneal_fraction, "anneal_fraction", 0.0, 1.0)
        check_interval(self.real_confidence, "real_confidence", 0.0, 1.0)
        check_bool(self.straight_through, "straight_through")
        check_choice(self.real_inputs, "real_inputs", REAL_INPUTS)
        check_choice(self.noise, "noise", NOISE_MODES)
        check_choice(self.feedback, "feedback", FEEDBACKS)
        check_choice(self.generator_loss, "generator_loss", GENERATOR_LOSSES)
        check_choice(self.token_gradient, "token_gradient", GENERATOR_GRADIENTS)
        if self.token_gradient != "straight_through" and not self.straight_through:
            raise ValueError(
                "token_gradient must be 'straight_through' unless straight_through=True (the others"
                f" replace the gradient of one-hot outputs), got {self.token_gradient!r}"
            )
        if self.token_gradient in SCORE_GRADIENTS and (self.feedback, self.generator_loss) != ("hard", "paper"):
            raise ValueError(
                f"token_gradient={self.token_gradient!r} needs feedback='hard' and generator_loss='paper', got"
                f" feedback={self.feedback!r} and generator_loss={self.generator_loss!r}"
            )

    @property
    def real_schedule(self) -> LinearAnneal:
        """Temperature of the real inputs' Gumbel-softmax: the paper's linear anneal."""
        steps = max(1, round(self.anneal_fraction * self.iterations))
        return LinearAnneal(start=self.tau_start, end=self.tau_end, steps=steps)

    @property
    def generator_schedule(self) -> LinearAnneal | ConstantTemperature:
        """Temperature of the generator's Gumbel-softmax."""
        if self.generator_temperature is None:
            return self.real_schedule
        return ConstantTemperature(self.generator_temperature)


class SequenceGAN(AdversarialTrainer):
    """Algorithm 1 of Kusner and Hernández-Lobato (2016) with Gumbel-softmax outputs (chapter 8).

    Each iteration draws a mini-batch of real strings and one batch of noise, runs the generator
    once, updates the discriminator on binary cross-entropy, and then updates the generator through
    the same samples on ``-log(D / (1 - D))`` (``"paper"``) or ``-log D`` (``"nonsaturating"``).
    """

    history_keys = ("d_loss", "g_loss", "d_real", "d_fake", "temperature")
    description = "GAN"

    def __init__(self, config: GANConfig, seed: int = 0, generator: SequenceGenerator | None = None) -> None:
        generator = generator or SequenceGenerator(
            config.hidden_size, grammar.VOCAB_SIZE, config.length, config.noise,
            init_seed=derive_seed(seed, "generator_init"),
        )
        self.score_function = config.token_gradient in SCORE_GRADIENTS
        self.rebar = config.token_gradient == "rebar"
        if self.rebar:  # REBAR's eta, from moving averages of score . control and control^2
            self.history_keys = (*self.history_keys, "eta")
            self.rebar_moments = tf.Variable([0.0, 0.0], trainable=False, name="rebar_moments")
        super().__init__(config, generator, seed)

    def _trackables(self) -> dict[str, Any]:
        extra = {"rebar_moments": self.rebar_moments} if self.rebar else {}
        return {**super()._trackables(), **extra}

    def _postfix(self, record: dict[str, float]) -> dict[str, str]:
        return {"tau": f"{record['temperature']:.2f}", "d": f"{record['d_loss']:.3f}", "g": f"{record['g_loss']:.3f}"}

    def _real_batch(self, seeds: tf.Tensor, temperature: tf.Tensor) -> tf.Tensor:
        tokens = self._real_tokens(seeds[0])
        if self.config.real_inputs == "one_hot":
            return tf.one_hot(tokens, grammar.VOCAB_SIZE)
        return relaxed_real_inputs(
            tokens, grammar.VOCAB_SIZE, self.config.real_confidence, temperature, seed=seeds[1]
        )

    def train_step(self) -> dict[str, tf.Tensor]:
        """One iteration of Algorithm 1: a discriminator update, then a generator update.

        Both use one batch of generated sequences; the generator's gradient flows through
        the relaxed samples into its weights, while the discriminator's update sees them
        as data.
        """
        cfg = self.config
        real_temperature = cfg.real_schedule(self.step)
        generator_temperature = cfg.generator_schedule(self.step)
        seeds = tf.unstack(tf.cast(self.rng.make_seeds(3), tf.int32), axis=1)
        real = self._real_batch(seeds, real_temperature)
        fake_batch = cfg.generator_batch_size or cfg.batch_size
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        with tf.GradientTape(persistent=self.rebar) as g_tape:
            fake, paths = self._generate(fake_batch, generator_temperature, seeds[2])
            with g_tape.stop_recording(), tf.GradientTape() as d_tape:
                # One LSTM pass over real and generated sequences together; each batch
                # is scored with its own minibatch statistics.
                held = tf.stop_gradient(fake)
                encoded = self.discriminator.encode(tf.concat([real, held], axis=0))
                real_logits = self.discriminator.score(encoded[: cfg.batch_size], real)
                fake_logits = self.discriminator.score(encoded[cfg.batch_size :], held)
                d_loss = discriminator_loss(real_logits, fake_logits)
            with g_tape.stop_recording():
                self.d_optimizer.apply(d_tape.gradient(d_loss, d_vars), d_vars)
            g_loss = generator_loss(self.discriminator(fake), cfg.generator_loss)
            halves = self._score_halves(paths)
        gradients, extra = self._generator_gradients(g_tape, g_loss, halves, g_vars)
        self.g_optimizer.apply(gradients, g_vars)
        self.step.assign_add(1)
        return self._record(
            d_loss, g_loss, real_logits, fake_logits, temperature=generator_temperature,
            **extra,
        )

    def _generate(self, batch: int, temperature: Any, seed: tf.Tensor) -> tuple[tf.Tensor, Any]:
        """The generated batch, and for REBAR or its score term the paths that drew it."""
        cfg = self.config
        if self.score_function:
            paths = rebar_paths(self.generator, batch, temperature, seed, relaxed=self.rebar)
            return paths.tokens, paths
        fake = self.generator.generate(
            batch, temperature, seed=seed, feedback=cfg.feedback,
            straight_through_output=cfg.straight_through, token_gradient=cfg.token_gradient,
        )
        return fake, None

    def _score_halves(self, paths: Any) -> tuple[tf.Tensor, ...]:
        """REBAR's two halves, its score term alone, or nothing (chapter 12, section 12.9)."""
        if paths is None:
            return ()
        if self.rebar:
            return rebar_parts(self.discriminator, paths)
        return (score_term(self.discriminator, paths),)

    def _generator_gradients(
        self, tape: tf.GradientTape, g_loss: tf.Tensor, halves: tuple[tf.Tensor, ...], variables: list[Any]
    ) -> tuple[list[tf.Tensor], dict[str, tf.Tensor]]:
        """The gradient of the generator's loss: by backpropagation (chapter 8), or from the
        halves of :meth:`_score_halves` (chapter 12, section 12.9), with REBAR's ``eta``.

        The paper's loss is minus the mean logit, whose gradient the halves estimate. REBAR's
        ``eta`` is the ratio of the moving averages of ``score . control`` and
        ``control . control`` over earlier iterations (1 before the first): the
        variance-minimizing value, set without this iteration's draw so that the estimate
        stays unbiased.
        """
        if not halves:
            return tape.gradient(g_loss, variables), {}
        score = tape.gradient(halves[0], variables)
        if not self.rebar:
            return [-g for g in score], {}
        control = tape.gradient(halves[1], variables)
        cross, square = tf.unstack(self.rebar_moments)
        eta = tf.where(square > 0, tf.math.divide_no_nan(cross, square), 1.0)
        dot = [tf.add_n([tf.reduce_sum(a * b) for a, b in zip(control, other)])
               for other in (score, control)]
        self.rebar_moments.assign(REBAR_DECAY * self.rebar_moments + (1 - REBAR_DECAY) * tf.stack(dot))
        return [eta * c - s for s, c in zip(score, control)], {"eta": eta}

    def sample_strings(self, n: int, seed: int = 0, temperature: float | None = None) -> list[str]:
        """``n`` generated strings: the argmax of each Gumbel-softmax output (chapter 8).

        The argmax of a Gumbel-softmax sample is an exact sample of that step's softmax, so these
        are the discrete strings the generator defines at ``temperature`` (default: the final one).
        """
        n = check_positive_int(n, "n")
        tau = self.config.generator_schedule(self.config.iterations) if temperature is None else temperature
        vectors = self.generator.generate(n, tau, seed=(derive_seed(seed, "samples"), 1),
                                         feedback=self.config.feedback)
        return grammar.decode(tf.argmax(vectors, axis=-1).numpy())
