"""The generator's gradient drawn many times at fixed parameters, one estimator at a time (chapter 10).

Every estimator here targets the gradient of the same objective, ``E[a(s)]``: the discriminator's
mean logit for the generator's strings. REINFORCE estimates it without bias from hard samples;
the Gumbel-softmax estimators differentiate through relaxed samples instead, which is biased (the
discriminator reads relaxed vectors, not one-hot ones) but usually far less noisy. Drawing each
estimate many times at one set of parameters measures both: the spread of the draws around their
mean, and how far that mean points from the unbiased one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .checks import check_choice, check_positive_int, check_temperature
from .models import SequenceDiscriminator, SequenceGenerator
from .runtime import tf
from .seeds import check_root, derive_seed

ESTIMATORS = ("reinforce", "reinforce_loo", "gumbel_relaxed", "gumbel_hard_feedback", "straight_through")
"""REINFORCE without and with a leave-one-out baseline; Gumbel-softmax with relaxed feedback
(the paper), with hard feedback (``ours``), and straight-through one-hot outputs."""


def _surrogate(
    generator: SequenceGenerator, discriminator: SequenceDiscriminator, estimator: str,
    batch_size: int, seed: tf.Tensor, temperature: float,
) -> tf.Tensor:
    """A scalar whose gradient with respect to the generator is one draw of ``estimator``."""
    if estimator.startswith("reinforce"):
        tokens = generator.sample_tokens(batch_size, seed=seed)
        reward = tf.stop_gradient(discriminator(tf.one_hot(tokens, generator.vocab_size)))
        if estimator == "reinforce_loo":
            reward -= (tf.reduce_sum(reward) - reward) / (batch_size - 1)
        return tf.reduce_mean(reward * generator.log_prob(tokens))
    vectors = generator.generate(
        batch_size, temperature, seed=seed,
        feedback="relaxed" if estimator == "gumbel_relaxed" else "hard",
        straight_through_output=estimator == "straight_through",
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
    samples; one array ``[draws, *shape]`` per trainable variable of ``generator``.

    ``temperature`` is the Gumbel-softmax temperature (REINFORCE samples at 1). The generator must
    have no noise input (``noise="none"``), so that every estimator sees the same distribution.
    """
    check_choice(estimator, "estimator", ESTIMATORS)
    draws = check_positive_int(draws, "draws")
    batch_size = check_positive_int(batch_size, "batch_size")
    if estimator == "reinforce_loo" and batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 for a leave-one-out baseline, got {batch_size}")
    check_temperature(temperature)
    if generator.noise != "none":
        raise ValueError(f"generator must have noise='none' to compare estimators, got {generator.noise!r}")
    root = derive_seed(check_root(seed, "seed"), "stateless")
    variables = generator.trainable_variables

    @tf.function
    def one_draw(index: tf.Tensor) -> list[tf.Tensor]:
        with tf.GradientTape() as tape:
            objective = _surrogate(generator, discriminator, estimator, batch_size,
                                   tf.stack([tf.constant(root, tf.int32), index]), temperature)
        return tape.gradient(objective, variables)

    samples = [one_draw(tf.constant(i, tf.int32)) for i in range(draws)]
    return [np.stack([draw[k].numpy() for draw in samples]) for k in range(len(variables))]


@dataclasses.dataclass(frozen=True)
class DrawSummary:
    """The spread of one estimator's draws for one variable (chapter 10).

    ``variance``: the summed per-entry variance of one draw; ``mean_norm``: the norm of the mean
    draw; ``cosine``: the mean cosine between a single draw and the mean of all draws (1 when every
    draw points the same way); ``cosine_to``: the cosine between this mean and a reference mean.
    """

    variance: float
    mean_norm: float
    cosine: float
    cosine_to: float


def summarize(draws: np.ndarray, reference_mean: Any = None) -> DrawSummary:
    """Summarize ``draws`` ``[n, *shape]`` of one variable, optionally against a reference mean."""
    flat = np.asarray(draws, dtype=np.float64).reshape(len(draws), -1)
    if flat.shape[0] < 2:
        raise ValueError(f"draws must hold at least 2 draws, got {flat.shape[0]}")
    mean = flat.mean(axis=0)

    def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a @ b) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b), 1e-300)

    reference = np.asarray(reference_mean, dtype=np.float64).reshape(-1) if reference_mean is not None else mean
    return DrawSummary(
        variance=float(flat.var(axis=0, ddof=1).sum()),
        mean_norm=float(np.linalg.norm(mean)),
        cosine=float(cosine(flat, mean).mean()),
        cosine_to=float(cosine(mean, reference)),
    )
