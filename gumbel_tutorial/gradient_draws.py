"""The generator's gradient drawn many times at fixed parameters, one estimator at a time (chapter 10).

The objective is ``E[a(s)]``, the discriminator's mean logit on one-hot strings ``s``; with
minibatch features a string's logit also depends on the rest of its batch, and the objective is
the batch's mean logit. What differs between the estimators is which random process draws the
strings, and which objective they follow exactly:

- ``reinforce``, ``reinforce_loo`` (a leave-one-out baseline): score-function estimates on
  ``q_theta``, the generator that feeds back the one-hot symbol it drew. Both are unbiased for
  ``E_q[a(s)]``.
- ``gumbel_hard_feedback`` (``ours``) and ``straight_through`` also sample ``q_theta``: the
  argmax of each relaxed vector is an exact sample of the step's softmax, and one-hot symbols are
  fed back. ``gumbel_hard_feedback`` is the exact pathwise gradient of ``E[a(y)]`` for the relaxed
  vectors ``y`` it produces, so it is biased for ``E_q[a(s)]`` only because the discriminator
  reads ``y`` in place of ``one_hot(s)``; straight-through is biased by its backward pass.
- ``gumbel_relaxed`` (the paper) feeds the relaxed vectors back into the LSTM: its strings
  ``s = argmax(y)`` come from another process than ``q_theta``. It is the exact pathwise
  gradient of ``E[a(y)]`` under that process.
- ``reinforce_relaxed_process`` samples that same relaxed-feedback process and estimates, without
  bias, the gradient of ``E[a(one_hot(argmax y))]`` under it, the one-hot objective of the process
  ``gumbel_relaxed`` samples: a score-function estimate with the density of the relaxed path,
  ``sum_t log Concrete(y_t | logits_t(y_<t), tau)``, and a leave-one-out baseline.

A generator with a noise input (``noise="hidden_and_cell"`` or ``"hidden_only"``) draws ``z``
for its initial state from the first part of the seed that draws its symbols, and ``z`` does
not depend on the parameters. The score-function estimators therefore use ``log q(s | z)``,
computed from the same ``z`` that sampled ``s``, which keeps them unbiased for ``E_z E_q[a]``.

Drawing each estimate many times at one set of parameters measures both the spread of the draws
around their mean and how far that mean points from an unbiased reference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .advantages import advantages
from .checks import check_choice, check_positive_int, check_temperature
from .models import SequenceDiscriminator, SequenceGenerator, sequence_log_prob
from .runtime import tf, tfd, tfp
from .seeds import check_root, derive_seed

ESTIMATORS = (
    "reinforce", "reinforce_loo", "gumbel_relaxed", "gumbel_hard_feedback", "straight_through",
    "reinforce_relaxed_process",
)
"""REINFORCE without and with a leave-one-out baseline; Gumbel-softmax with relaxed feedback
(the paper), with hard feedback (``ours``), and straight-through one-hot outputs; and
leave-one-out REINFORCE on the relaxed-feedback process that ``gumbel_relaxed`` samples."""

TOKEN_ESTIMATORS = ("gumbel_rao", "reinmax")
"""Chapter 12's one-hot tokens (section 12.9): straight-through's forward pass, with Gumbel-Rao's
or ReinMax's backward pass (:mod:`gumbel_tutorial.token_gradients`)."""
RELAXED_PROCESS = ("gumbel_relaxed", "reinforce_relaxed_process")
SAMPLED_PROCESS = {e: "relaxed_feedback" if e in RELAXED_PROCESS else "q_theta" for e in ESTIMATORS + TOKEN_ESTIMATORS}
"""The process whose strings each estimator draws: ``q_theta`` (one-hot feedback) or the
relaxed-feedback process of ``generate(feedback="relaxed")``."""


def noise_seed(generator: SequenceGenerator, seed: Any) -> tf.Tensor:
    """The part of a stateless ``seed`` that draws the generator's initial noise ``z`` (chapter 10).

    :meth:`SequenceGenerator.sample_tokens` and :meth:`SequenceGenerator.generate` split their seed
    into ``length + 1`` parts and draw ``z`` with the first; teacher forcing with this seed
    reproduces the ``z`` of every string of the batch.
    """
    return tfp.random.split_seed(seed, n=generator.length + 1)[0]


def conditional_log_prob(generator: SequenceGenerator, tokens: tf.Tensor, seed: Any) -> tf.Tensor:
    """``log q(s | z)`` ``[batch]`` of strings that ``generator.sample_tokens(batch, seed)`` drew,
    with the noise ``z`` that drew them (chapter 10). Without a noise input it is ``log q(s)``."""
    logits = generator.teacher_forced_logits(tokens, seed=noise_seed(generator, seed))
    return sequence_log_prob(tokens, logits)


def relaxed_path(
    generator: SequenceGenerator, batch_size: int, temperature: Any, seed: Any,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Sample the relaxed-feedback process and return ``(log_y, log_density)`` (chapter 10).

    ``log_y`` ``[batch, length, vocab]`` are the logarithms of the relaxed vectors that
    ``generate(batch_size, temperature, seed, feedback="relaxed")`` returns (the same noise, so the
    same vectors), drawn without a gradient. ``log_density`` ``[batch]`` is
    ``sum_t log ExpConcrete(log y_t | logits_t(y_<t, z), temperature)``, differentiable with
    respect to the generator: the score of the sampled path. The density of ``log y`` and that of
    ``y`` differ by ``-sum log y``, which does not depend on the parameters, so either gives the
    same score.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    temperature = tf.cast(check_temperature(temperature), tf.float32)
    init_seed, *step_seeds = tfp.random.split_seed(seed, n=generator.length + 1)
    state = generator.initial_state(batch_size, init_seed)
    inputs = tf.zeros(tf.stack([batch_size, generator.vocab_size]))
    log_vectors, log_density = [], 0.0
    for t in range(generator.length):
        logits, state = generator.step(inputs, state)
        log_y = tf.stop_gradient(tfd.ExpRelaxedOneHotCategorical(
            temperature, logits=tf.stop_gradient(logits)).sample(seed=step_seeds[t]))
        log_density += tfd.ExpRelaxedOneHotCategorical(temperature, logits=logits).log_prob(log_y)
        log_vectors.append(log_y)
        inputs = tf.exp(log_y)  # a constant: the path is fixed, only its density moves
    return tf.stack(log_vectors, axis=1), log_density


def _surrogate(
    generator: SequenceGenerator, discriminator: SequenceDiscriminator, estimator: str,
    batch_size: int, seed: tf.Tensor, temperature: float,
) -> tf.Tensor:
    """A scalar whose gradient with respect to the generator is one draw of ``estimator``."""
    if estimator == "reinforce_relaxed_process":
        log_vectors, log_density = relaxed_path(generator, batch_size, temperature, seed)
        one_hots = tf.one_hot(tf.argmax(log_vectors, axis=-1), generator.vocab_size)
        return tf.reduce_mean(advantages(discriminator, one_hots, True) * log_density)
    if estimator.startswith("reinforce"):
        tokens = generator.sample_tokens(batch_size, seed=seed)
        weight = advantages(discriminator, tf.one_hot(tokens, generator.vocab_size),
                            estimator == "reinforce_loo")
        return tf.reduce_mean(weight * conditional_log_prob(generator, tokens, seed))
    token = estimator in ("straight_through", *TOKEN_ESTIMATORS)
    vectors = generator.generate(
        batch_size, temperature, seed=seed,
        feedback="relaxed" if estimator == "gumbel_relaxed" else "hard",
        straight_through_output=token, token_gradient=estimator if token else "straight_through",
    )
    return tf.reduce_mean(discriminator(vectors))


def gradient_draws(
    generator: SequenceGenerator,
    discriminator: SequenceDiscriminator,
    estimator: str,
    draws: int,
    batch_size: int = 200,
    temperature: float = 1.0,
    seed: int = 0,
) -> list[np.ndarray]:
    """``draws`` independent estimates of the gradient of ``E[a(s)]``, each from ``batch_size``
    samples; one array ``[draws, *shape]`` per trainable variable of ``generator`` (chapter 10).

    ``temperature`` is the Gumbel-softmax temperature of the relaxed estimators and of the process
    that ``reinforce_relaxed_process`` samples (REINFORCE on ``q_theta`` samples at 1). A
    generator with a noise input is handled as the module's docstring says; see
    :data:`SAMPLED_PROCESS` for the process each estimator draws from.
    """
    check_choice(estimator, "estimator", ESTIMATORS + TOKEN_ESTIMATORS)
    draws = check_positive_int(draws, "draws")
    batch_size = check_positive_int(batch_size, "batch_size")
    if estimator in ("reinforce_loo", "reinforce_relaxed_process") and batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 for a leave-one-out baseline, got {batch_size}")
    if estimator.startswith("reinforce") and discriminator.minibatch_features and batch_size < 2:
        raise ValueError(
            f"batch_size must be >= 2 for a discriminator with minibatch features, got {batch_size}")
    check_temperature(temperature)
    [found] = draw_gradients(generator, lambda step_seed: [_surrogate(
        generator, discriminator, estimator, batch_size, step_seed, temperature)], draws, seed)
    return found


def draw_gradients(generator: SequenceGenerator, surrogates: Callable[[tf.Tensor], list[tf.Tensor]],
                   draws: int, seed: int) -> list[list[np.ndarray]]:
    """The gradients of ``surrogates(step_seed)``, scalars built inside a gradient tape from a
    stateless seed, drawn ``draws`` times with seeds derived from ``seed``: for each surrogate,
    one array ``[draws, *shape]`` per trainable variable of ``generator`` (chapters 10, 12)."""
    draws = check_positive_int(draws, "draws")
    root = derive_seed(check_root(seed, "seed"), "stateless")
    variables = generator.trainable_variables

    @tf.function
    def one_draw(index: tf.Tensor) -> list[list[tf.Tensor]]:
        with tf.GradientTape(persistent=True) as tape:
            targets = surrogates(tf.stack([tf.constant(root, tf.int32), index]))
        return [tape.gradient(target, variables) for target in targets]

    samples = [one_draw(tf.constant(i, tf.int32)) for i in range(draws)]
    return [[np.stack([draw[part][k].numpy() for draw in samples]) for k in range(len(variables))]
            for part in range(len(samples[0]))]


@dataclasses.dataclass(frozen=True)
class DrawSummary:
    """The spread of one estimator's draws for one variable (chapter 10).

    ``variance``: the summed per-entry variance of one draw; ``mean_norm``: the norm of the mean
    draw; ``cosine``: the mean cosine between a single draw and the mean of all draws (1 when every
    draw points the same way); ``cosine_to``: the cosine between this mean and a reference mean;
    ``snr``: the signal-to-noise ratio of one draw, ``|E g|^2 / variance``, with ``|E g|^2``
    estimated without bias as ``mean_norm**2 - variance / n`` (the squared norm of a mean of ``n``
    draws is longer by that much on average; the estimate is near 0, or below, when the mean is
    mostly noise).
    """

    variance: float
    mean_norm: float
    cosine: float
    cosine_to: float
    snr: float


def summarize(draws: np.ndarray, reference_mean: Any = None) -> DrawSummary:
    """Summarize ``draws`` ``[n, *shape]`` of one variable, optionally against a reference mean."""
    flat = np.asarray(draws, dtype=np.float64).reshape(len(draws), -1)
    if flat.shape[0] < 2:
        raise ValueError(f"draws must hold at least 2 draws, got {flat.shape[0]}")
    mean = flat.mean(axis=0)

    def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a @ b) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b), 1e-300)

    reference = np.asarray(reference_mean, dtype=np.float64).reshape(-1) if reference_mean is not None else mean
    variance = float(flat.var(axis=0, ddof=1).sum())
    signal = float(mean @ mean) - variance / len(flat)
    return DrawSummary(
        variance=variance,
        mean_norm=float(np.linalg.norm(mean)),
        cosine=float(cosine(flat, mean).mean()),
        cosine_to=float(cosine(mean, reference)),
        snr=signal / variance if variance > 0 else float("inf"),
    )
