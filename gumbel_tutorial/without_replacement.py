"""Sampling without replacement: Gumbel-top-k, stochastic beam search and their estimators (chapter 11).

The top k of perturbed logits (chapter 2's Gumbel noise) are an ordered sample of k distinct
categories with the Plackett-Luce law; stochastic beam search draws such a sample of sequences,
top-down over the prefix tree (Kool, van Hoof and Welling, 2019). Priority sampling (Duffield et
al., 2007) and the unordered set estimator (Kool et al., 2020) turn it into unbiased estimates.
Probabilities are handled in log space and float64.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .checks import Seed, check_callable, check_choice, check_logits, check_positive_int, is_symbolic, show
from .gumbel import sample_gumbel, truncated_gumbel  # noqa: F401 (chapter 11 uses it here)
from .models import SequenceGenerator
from .runtime import tf, tfp
from .seeds import check_seed

POINTS = 128  # grid of the integrals over the threshold (set_log_probability), per pass
BASELINES = ("none", "within_set")
LOG2 = math.log(2.0)
_CLIP = 30.0  # log-odds of an item against the rest beyond which the rest counts as empty


def gumbel_top_k(logits: Any, k: int, seed: Seed = None) -> tf.Tensor:
    """The indices ``[..., k]`` (int32) of the k largest ``logits + g``, largest first (chapter 11).

    ``g`` is :func:`~gumbel_tutorial.gumbel.gumbel_max`'s noise for the same seed, so the first index
    is its sample; the k are an ordered sample without replacement (Plackett-Luce law). ``k`` may not
    exceed the number of categories of non-zero probability.
    """
    logits = check_logits(logits)
    k = check_positive_int(k, "k")
    check_seed(seed)
    categories = logits.shape[-1]
    if categories is not None and k > categories:
        raise ValueError(f"k must be at most the number of categories, {categories}, got {k}")
    if not is_symbolic(logits):
        finite = int(np.min(np.sum(np.isfinite(logits.numpy()), axis=-1)))
        if k > finite:
            raise ValueError(f"k must be at most the number of finite logits in every row, {finite}, got {k}")
    perturbed = logits + sample_gumbel(tf.shape(logits), seed=seed, dtype=logits.dtype)
    return tf.math.top_k(perturbed, k=k).indices


def log_inclusion_probability(log_probs: Any, threshold: Any) -> tf.Tensor:
    """``log P(G > threshold)`` for ``G ~ Gumbel(log_probs)``: ``log(1 - exp(-exp(d)))``, ``d =
    log_probs - threshold``, without overflow or cancellation (chapter 11).

    Given the (k+1)-th largest key ``threshold`` of the other items, this is the probability that
    an item is among the top k: the ``q_s(kappa)`` of priority sampling.
    """
    d = tf.cast(log_probs, tf.float64) - tf.cast(threshold, tf.float64)
    x = tf.exp(tf.minimum(d, 700.0))
    # log(1 - exp(-x)) through expm1 for x < log 2 and log1p above (Maechler, 2012); below
    # d = -30 it equals d to double precision, where exp(d) would underflow at last.
    inner = tf.where(x < LOG2, tf.math.log(-tf.math.expm1(-x)), tf.math.log1p(-tf.exp(-x)))
    return tf.where(d < -30.0, d, inner)


def gumbels_with_max(locations: tf.Tensor, maximum: tf.Tensor, seed: Seed = None) -> tf.Tensor:
    """Independent ``Gumbel(locations)`` along the last axis, conditioned on their maximum being
    ``maximum`` (one per row): the top-down step of stochastic beam search (chapter 11).

    Free samples ``g`` with maximum ``z`` become ``-log(exp(-T) - exp(-z) + exp(-g))``, computed
    as ``T - softplus(T - g + log(1 - exp(g - z)))`` (Kool et al. 2019, appendix B).
    """
    g = locations + sample_gumbel(tf.shape(locations), seed=seed, dtype=tf.float64)
    top, maximum = tf.reduce_max(g, axis=-1, keepdims=True), maximum[..., None]
    return maximum - tf.nn.softplus(maximum - g + tfp.math.log1mexp(g - top))


class BeamSample(NamedTuple):
    """k distinct sequences of stochastic beam search, keys decreasing (chapter 11): ``tokens``
    ``[batch, k, length]``, ``log_probs`` and perturbed log-probabilities ``keys`` ``[batch, k]``,
    and ``threshold`` ``[batch]``, the (k+1)-th largest key (float64)."""

    tokens: tf.Tensor
    log_probs: tf.Tensor
    keys: tf.Tensor
    threshold: tf.Tensor


def stochastic_beam_search(generator: SequenceGenerator, k: int, batch_size: int = 1,
                           seed: Seed = None) -> BeamSample:
    """Draw k distinct sequences from ``generator`` without replacement, exactly (chapter 11).

    ``batch_size`` independent searches of k + 1 beams. The root's key is a standard Gumbel; each
    step gives every beam's children keys whose maximum is the beam's (:func:`gumbels_with_max`)
    and keeps the k + 1 largest; the last sets the threshold. A generator with a noise input
    draws one noise per search and samples from q(s | noise).
    """
    if not isinstance(generator, SequenceGenerator):
        raise ValueError(f"generator must be a SequenceGenerator, got {show(generator)}")
    k, batch = check_positive_int(k, "k"), check_positive_int(batch_size, "batch_size")
    check_seed(seed)
    vocab, length, width = generator.vocab_size, generator.length, k + 1
    if width > vocab**length:
        raise ValueError(f"k must be below vocab_size**length = {vocab**length}, got {k}")
    init_seed, root_seed, *step_seeds = tfp.random.split_seed(seed, n=length + 2)
    state = [tf.repeat(s, width, axis=0) for s in generator.initial_state(batch, init_seed)]
    rest = tf.fill([batch, k], tf.constant(-np.inf, tf.float64))  # beams not yet in use
    log_probs = tf.concat([tf.zeros([batch, 1], tf.float64), rest], axis=1)
    keys = tf.concat([sample_gumbel([batch, 1], root_seed, tf.float64), rest], axis=1)
    tokens = tf.zeros([batch, width, 0], tf.int32)
    inputs = tf.zeros([batch * width, vocab])
    offsets = tf.range(batch)[:, None] * width
    for t in range(length):
        logits, state = generator.step(inputs, state)
        step = tf.nn.log_softmax(tf.cast(tf.reshape(logits, [batch, width, vocab]), tf.float64))
        alive = tf.math.is_finite(keys)
        children = tf.where(alive[..., None], log_probs[..., None] + step, -np.inf)
        child_keys = gumbels_with_max(tf.where(alive[..., None], children, 0.0),
                                      tf.where(alive, keys, 0.0), seed=step_seeds[t])
        child_keys = tf.where(alive[..., None], child_keys, -np.inf)
        keys, index = tf.math.top_k(tf.reshape(child_keys, [batch, width * vocab]), k=width)
        log_probs = tf.gather(tf.reshape(children, [batch, width * vocab]), index, batch_dims=1)
        parent, symbol = index // vocab, index % vocab
        tokens = tf.concat([tf.gather(tokens, parent, batch_dims=1), symbol[..., None]], axis=-1)
        state = [tf.gather(s, tf.reshape(parent + offsets, [-1])) for s in state]
        inputs = tf.one_hot(tf.reshape(symbol, [-1]), vocab)
    return BeamSample(tokens[:, :k], log_probs[:, :k], keys[:, :k], keys[:, k])


def priority_weights(log_probs: Any, threshold: Any) -> tf.Tensor:
    """Weights ``p(s) / q_s(threshold)`` ``[..., k]`` of the priority-sampling estimate
    ``sum_s w_s f(s)`` of ``E[f]``, unbiased for every f; ``threshold`` ``[...]`` is the (k+1)-th
    largest key, as in :class:`BeamSample` (chapter 11)."""
    log_probs, threshold = tf.cast(log_probs, tf.float64), tf.cast(threshold, tf.float64)[..., None]
    return tf.exp(log_probs - log_inclusion_probability(log_probs, threshold))


def _log_rest(log_probs: tf.Tensor, log_rest: Any) -> tf.Tensor:
    """``log(1 - sum_s p(s))`` unless the caller knows the rest's mass more exactly."""
    if log_rest is not None:
        return tf.cast(log_rest, tf.float64)
    return tfp.math.log1mexp(tf.minimum(tf.reduce_logsumexp(log_probs, axis=-1), 0.0))


def _grid(lower: tf.Tensor, upper: tf.Tensor) -> tf.Tensor:
    return lower[..., None] + (upper - lower)[..., None] * tf.linspace(tf.constant(0.0, tf.float64), 1.0, POINTS)


def _log_integrands(d: tf.Tensor, w: tf.Tensor, drops: np.ndarray) -> tf.Tensor:
    """``w - e^w + sum over the kept items of log q_s(kappa)`` ``[..., J, points]`` on the grid ``w``."""
    terms = log_inclusion_probability(d[..., None, :], -w[..., None])  # [..., points, k]
    kept = tf.reduce_sum(terms, axis=-1)[..., None, :] - tf.einsum("...pk,jk->...jp", terms, drops)
    return (w - tf.exp(w))[..., None, :] + kept


def _log_integrals(log_probs: tf.Tensor, log_rest: tf.Tensor, drops: np.ndarray) -> tf.Tensor:
    """``log p(S minus the dropped items)`` ``[..., J]`` in the distribution that lacks them, for
    each 0/1 row of ``drops`` ``[J, k]``: the integral over the threshold ``kappa = log_rest - w``
    of the rest's maximum's density ``exp(w - e^w)`` times every ``q_s(kappa)``. The integrands are
    log-concave: a first grid finds where each is within exp(-40) of its peak (which narrows like
    ``1 / sqrt(k)``), a second grid covers that interval."""
    d = tf.clip_by_value(log_probs - log_rest[..., None], -300.0, _CLIP)  # [..., k]
    upper = tf.math.log(tf.cast(tf.shape(d)[-1], tf.float64) + 1.0) + 3.5
    # Below the lower end lies at most exp(-26) of every integral: the integrand is at most e^w,
    # each integral at least prod p(s), and below -max(d) the integrand grows at least like e^w.
    floor = tf.maximum(tf.minimum(-tf.reduce_max(d, axis=-1), 0.0), tf.reduce_sum(log_probs, axis=-1))
    lower = floor - 26.0
    h = _log_integrands(d, _grid(lower, upper), drops)
    near = tf.reduce_any(h > tf.reduce_max(h, axis=-1, keepdims=True) - 40.0, axis=-2)  # [..., points]
    step = (upper - lower) / (POINTS - 1)
    first = tf.cast(tf.argmax(tf.cast(near, tf.int32), axis=-1), tf.float64)
    last = POINTS - 1 - tf.cast(tf.argmax(tf.cast(near[..., ::-1], tf.int32), axis=-1), tf.float64)
    lower, upper = lower + (first - 1.0) * step, lower + (last + 1.0) * step
    h = _log_integrands(d, _grid(lower, upper), drops)
    return tf.reduce_logsumexp(h, axis=-1) + tf.math.log((upper - lower) / (POINTS - 1))[..., None]


def set_log_probability(log_probs: Any, log_rest: Any = None) -> tf.Tensor:
    """``log p(S)`` ``[...]``: the log-probability that a sample without replacement of size k is
    the set of the k items with ``log_probs`` ``[..., k]``, in any order (chapter 11).
    ``log_rest`` is the log-mass of every other item, by default ``log(1 - sum p)``."""
    log_probs = tf.cast(log_probs, tf.float64)
    return _log_integrals(log_probs, _log_rest(log_probs, log_rest), np.zeros([1, log_probs.shape[-1]]))[..., 0]


def _ratios(log_probs: tf.Tensor, log_rest: tf.Tensor, second_order: bool) -> tuple[tf.Tensor, ...]:
    """``R(S, s)`` ``[..., k]`` and, if asked, ``R^{D-s}(S, s')`` ``[..., k, k]`` (1 where s' = s)."""
    k = log_probs.shape[-1]
    eye, pairs = np.eye(k), [np.maximum(np.eye(k)[:, None], np.eye(k)[None]).reshape(k * k, k)]
    drops = [np.zeros([1, k]), eye] + (pairs if second_order else [])
    logs = _log_integrals(log_probs, log_rest, np.concatenate(drops))
    full, one = logs[..., :1], logs[..., 1:1 + k]
    if not second_order:
        return (tf.exp(one - full),)
    two = tf.reshape(logs[..., 1 + k:], tf.concat([tf.shape(one), [k]], 0))
    return tf.exp(one - full), tf.exp(two - one[..., None])


def unordered_set_weights(log_probs: Any, log_rest: Any = None) -> tf.Tensor:
    """Weights ``p(s) R(S, s)`` ``[..., k]`` of the unordered set estimate ``sum_s w_s f(s)`` of
    ``E[f]`` (Kool et al. 2020), with the leave-one-out ratio ``R(S, s) = p^{D-s}(S - s) / p(S)``
    (chapter 11). ``p(s) R(S, s)`` is the probability that s was drawn first, given the set, so
    the weights sum to 1."""
    log_probs = tf.cast(log_probs, tf.float64)
    (ratio,) = _ratios(log_probs, _log_rest(log_probs, log_rest), second_order=False)
    return tf.exp(log_probs) * ratio


def unordered_set_gradient(f: Any, logits: Any, num_samples: int, baseline: str = "none",
                           seed: Seed = None) -> tf.Tensor:
    """The unordered set estimate of the gradient of ``E[f(z)]``, ``z ~ OneHotCategorical(logits)``,
    from ``num_samples`` distinct categories (Gumbel-top-k), shaped like ``logits`` (chapter 11);
    ``f`` maps the samples ``[num_samples, ..., K]`` to ``[num_samples, ...]``, as in chapter 4.

    ``sum_s grad p(s) R(S, s) (f(s) - b_s)``: ``b_s = 0`` for ``baseline="none"``; for
    ``"within_set"`` (needs ``num_samples >= 2``) ``b_s = sum_s' p(s') R^{D-s}(S, s') f(s')``,
    Kool et al.'s (2020) baseline built from the same set. Both are unbiased.
    """
    check_callable(f, "f")
    k = check_positive_int(num_samples, "num_samples")
    check_choice(baseline, "baseline", BASELINES)
    check_seed(seed)
    logits = tf.cast(check_logits(logits), tf.float32)
    if baseline == "within_set" and k < 2:
        raise ValueError(f"num_samples must be >= 2 for the within_set baseline, got {k}")
    if (categories := logits.shape[-1]) is not None and k > categories:
        raise ValueError(f"num_samples must be at most the number of categories, {categories}, got {k}")
    index = gumbel_top_k(logits, k, seed=seed)
    z = tf.one_hot(tf.experimental.numpy.moveaxis(index, -1, 0), tf.shape(logits)[-1], dtype=logits.dtype)
    values = tf.cast(tf.experimental.numpy.moveaxis(tf.stop_gradient(f(z)), 0, -1), tf.float64)  # [..., k]
    log_p = tf.nn.log_softmax(tf.cast(logits, tf.float64))
    chosen = tf.gather(log_p, index, batch_dims=index.shape.rank - 1)
    in_set = tf.reduce_sum(tf.cast(z, tf.float64), axis=0) > 0
    log_rest = tf.reduce_logsumexp(tf.where(in_set, -np.inf, log_p), axis=-1)
    ratios = _ratios(chosen, log_rest, second_order=baseline == "within_set")
    if baseline == "within_set":
        values = values - tf.linalg.matvec(ratios[1], tf.exp(chosen) * values)
    coefficients = tf.cast(ratios[0] * values, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        probs = tf.gather(tf.nn.softmax(logits), index, batch_dims=index.shape.rank - 1)
        surrogate = tf.reduce_sum(probs * coefficients)
    return tape.gradient(surrogate, logits)
