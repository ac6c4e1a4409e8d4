"""REBAR for the sequence GAN: an unbiased gradient through a whole generated batch
(chapter 12, section 12.9).

Chapter 12's REBAR takes one categorical variable, draws ``b = argmax(log p + g)`` and
noise ``g~`` given ``b``, and subtracts the relaxed objective at ``g~`` from the
score-function term while adding back the gradient of its mean by the reparameterization
trick. A generator that feeds back its one-hot tokens (``q_theta`` of chapter 10) is a
chain of such variables, ``b_t = argmax(log p_t(b_<t) + g_t)``. Three facts carry REBAR over
to it exactly.

- ``log q(b)`` is the sum of ``log p_t(b_t)`` along the path, so the score-function term
  is REINFORCE's.
- The control variate must be smooth in the parameters for its pathwise gradient to be
  unbiased. Fed back hard, it would jump whenever an earlier token flips, so the control
  variate unrolls the generator with *relaxed* feedback, from the same noise:
  ``y_t = softmax((log p_t(y_<t) + g_t) / tau)``, ``c = a(y)``.
- Given the string ``b``, the events ``argmax(log p_t(b_<t) + g_t) = b_t`` involve one
  ``g_t`` each, so the ``g_t`` stay independent: each is chapter 12's conditional Gumbel
  noise at the hard path's ``log p_t``, and the relaxed unroll from that noise gives
  ``c(y~)``, whose mean over ``b`` and ``g~`` is the mean of ``c(y)``.

With the discriminator's mean logit ``a`` as the objective, one estimate is

    g = sum_j w_j d log q(b_j) / m + eta (d a(y) - d a(y~)),
    w_j = A_j(b) - eta A_j(y~),

where ``A_j`` is string ``j``'s share of the batch's summed logit less a leave-one-out
baseline (:func:`~gumbel_tutorial.advantages.advantages`, chapter 10). The baseline depends
on the other strings only, so it adds no bias; without it the score term is dozens of times
noisier than chapter 10's leave-one-out REINFORCE, and the relaxation does not make up for
that. With ``eta = 0`` the estimate *is* that REINFORCE; it is unbiased for every ``eta``
and ``tau``. :func:`rebar_parts` returns its two halves, so that ``eta`` can be chosen to
make the variance small (:func:`variance_scale`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .checks import check_positive_int, check_temperature
from .advantages import advantages
from .conditional_gumbel import conditional_gumbel
from .gradient_draws import draw_gradients
from .gumbel import sample_gumbel
from .models import SequenceDiscriminator, SequenceGenerator
from .runtime import tf, tfp

REBAR_TEMPERATURE = 0.5
"""The relaxation's temperature in the sequence GAN's REBAR runs, chosen before them: of
0.1, 0.3, 0.5, 1 and 2, the one whose control variate removed the most variance at two of
chapter 10's three points in a sweep of 30 draws each (``benchmarks/token_gradients.py``
repeats the sweep with 50)."""


@dataclasses.dataclass(frozen=True)
class RebarPaths:
    """The three unrolls of one REBAR batch (chapter 12, section 12.9).

    ``tokens``: the one-hot strings ``b`` ``[batch, length, vocab]`` drawn from
    ``q_theta``; ``log_q``: ``log q(b_j)`` ``[batch]``; ``relaxed``: ``y``, the
    relaxed-feedback unroll from the same noise; ``relaxed_given``: ``y~``, the
    relaxed-feedback unroll from noise drawn given ``b`` (both ``None`` when not asked
    for). Everything but ``tokens`` is differentiable in the generator's weights.
    """

    tokens: tf.Tensor
    log_q: tf.Tensor
    relaxed: tf.Tensor | None
    relaxed_given: tf.Tensor | None


def _relaxed_unroll(generator: SequenceGenerator, state: list[tf.Tensor],
                    noise: tf.Tensor, temperature: tf.Tensor) -> tf.Tensor:
    """The relaxed-feedback path ``[batch, length, vocab]`` from ``noise`` ``[length,
    batch, vocab]``: ``y_t = softmax((log p_t(y_<t) + noise_t) / temperature)``."""
    inputs = tf.zeros_like(noise[0])
    outputs = []
    for t in range(generator.length):
        logits, state = generator.step(inputs, state)
        inputs = tf.nn.softmax((tf.nn.log_softmax(logits) + noise[t]) / temperature)
        outputs.append(inputs)
    return tf.stack(outputs, axis=1)


def rebar_paths(generator: SequenceGenerator, batch_size: Any, temperature: Any,
                seed: Any, relaxed: bool = True) -> RebarPaths:
    """Draw a batch from ``q_theta`` with stateless ``seed``, and its two relaxed
    unrolls at ``temperature``; call inside a gradient tape (chapter 12, section 12.9).

    All three unrolls start from the same initial noise state. ``relaxed=False`` skips
    the relaxed unrolls: the same strings, for the score term alone.
    """
    temperature = tf.cast(check_temperature(temperature), tf.float32)
    init_seed, noise_seed, conditional_seed = tfp.random.split_seed(seed, n=3)
    state = generator.initial_state(batch_size, init_seed)
    vocab = generator.vocab_size
    shape = tf.stack([generator.length, batch_size, vocab])
    noise = sample_gumbel(shape, seed=noise_seed)
    inputs = tf.zeros(tf.stack([batch_size, vocab]))
    hard_state, log_probs, tokens = state, [], []
    for t in range(generator.length):
        logits, hard_state = generator.step(inputs, hard_state)
        log_p = tf.nn.log_softmax(logits)
        inputs = tf.one_hot(tf.argmax(log_p + noise[t], axis=-1), vocab)
        log_probs.append(log_p)
        tokens.append(inputs)
    log_p, tokens = tf.stack(log_probs), tf.stack(tokens)  # [length, batch, vocab]
    strings = tf.transpose(tokens, [1, 0, 2])
    log_q = tf.reduce_sum(tokens * log_p, axis=[0, 2])
    if not relaxed:
        return RebarPaths(strings, log_q, None, None)
    given = conditional_gumbel(log_p, tokens, seed=conditional_seed) - log_p
    return RebarPaths(
        tokens=strings, log_q=log_q,
        relaxed=_relaxed_unroll(generator, state, noise, temperature),
        relaxed_given=_relaxed_unroll(generator, state, given, temperature),
    )


def score_term(discriminator: SequenceDiscriminator, paths: RebarPaths,
               encoded: tf.Tensor | None = None) -> tf.Tensor:
    """``mean_j A_j(b) log q(b_j)``, ``A_j`` held fixed: REBAR at ``eta = 0``, chapter
    10's leave-one-out REINFORCE (chapter 12, section 12.9)."""
    weights = advantages(discriminator, paths.tokens, True, encoded)
    return tf.reduce_mean(weights * paths.log_q)


def rebar_parts(discriminator: SequenceDiscriminator,
                paths: RebarPaths) -> tuple[tf.Tensor, tf.Tensor]:
    """REBAR's two halves for the discriminator's mean logit, ``(score, control)``,
    whose gradients combine as ``d score - eta * d control`` (chapter 12, section 12.9).

    ``score`` is ``mean_j A_j(b) log q(b_j)`` with ``A_j`` held fixed (chapter 10's
    leave-one-out REINFORCE); ``control`` is
    ``mean_j A_j(y~) log q(b_j) - a(y) + a(y~)``, whose gradient has mean 0.
    """
    sequences = (paths.tokens, paths.relaxed, paths.relaxed_given)
    encoded = tf.split(discriminator.encode(tf.concat(sequences, axis=0)), 3)
    mean_logit = [tf.reduce_mean(discriminator.score(e, v))
                  for e, v in zip(encoded[1:], sequences[1:])]
    given = advantages(discriminator, paths.relaxed_given, True, encoded[2])
    return (score_term(discriminator, paths, encoded[0]),
            tf.reduce_mean(given * paths.log_q) - mean_logit[0] + mean_logit[1])


def variance_scale(score: list[np.ndarray], control: list[np.ndarray]) -> float:
    """The ``eta`` that makes the summed variance of ``score - eta * control`` smallest,
    ``E[score . control] / E[control . control]`` over draws ``[n, *shape]`` of every
    variable (the control part has mean 0; chapter 12, section 12.9)."""
    cross = sum(float(np.sum(s * c)) for s, c in zip(score, control))
    square = sum(float(np.sum(c * c)) for c in control)
    if square <= 0:
        raise ValueError("control must hold a draw that is not zero")
    return cross / square


def rebar_part_draws(
    generator: SequenceGenerator, discriminator: SequenceDiscriminator, draws: int,
    batch_size: int = 200, temperature: float = 1.0, seed: int = 0,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``draws`` independent gradients of :func:`rebar_parts`' two halves, ``(score,
    control)``, each one array ``[draws, *shape]`` per trainable variable of ``generator``
    (chapter 12, section 12.9). ``score`` is unbiased for the gradient of ``E[a(s)]`` and
    ``control`` has mean 0, so ``score - eta * control`` is unbiased for every ``eta``."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size < 2:
        raise ValueError(
            f"batch_size must be >= 2 for a leave-one-out baseline, got {batch_size}")
    check_temperature(temperature)

    def halves(step_seed: tf.Tensor) -> list[tf.Tensor]:
        paths = rebar_paths(generator, batch_size, temperature, step_seed)
        return list(rebar_parts(discriminator, paths))

    score, control = draw_gradients(generator, halves, draws, seed)
    return score, control


def rebar_draws(
    generator: SequenceGenerator, discriminator: SequenceDiscriminator, draws: int,
    batch_size: int = 200, temperature: float = 1.0, seed: int = 0,
) -> tuple[list[np.ndarray], float]:
    """``draws`` REBAR estimates of the gradient of ``E[a(s)]`` at the variance-minimizing
    ``eta`` of those draws, one array ``[draws, *shape]`` per trainable variable, and that
    ``eta`` (chapter 12, section 12.9; compare chapter 10's
    :func:`~gumbel_tutorial.gradient_draws.gradient_draws`)."""
    score, control = rebar_part_draws(generator, discriminator, draws, batch_size,
                                      temperature, seed)
    eta = variance_scale(score, control)
    return [s - eta * c for s, c in zip(score, control)], eta
