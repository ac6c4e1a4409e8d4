"""REBAR and RELAX: REINFORCE with a control variate built from the relaxation (chapter 12).

Chapter 4's baseline ``b`` had to be independent of the sample. REBAR (Tucker et al., 2017) and
RELAX (Grathwohl et al., 2018) subtract a control variate ``c`` that does depend on it and add
back its expectation's gradient, which the reparameterization trick of chapter 1 can compute:

    g = [f(z) - c(u~)] d log p(z) + d c(u) - d c(u~),   z = argmax u,   u~ ~ p(u | z),

with ``u = log_softmax(logits) + Gumbel noise`` (chapter 2) and ``u~`` the conditional noise of
:mod:`gumbel_tutorial.conditional_gumbel`. The estimate is unbiased for *every* ``c``. REBAR takes
``c(u) = scale * f(softmax(u / temperature))``, chapter 3's relaxation; RELAX adds a learned
``surrogate(u)``, trained to make the variance small (:func:`fit_surrogate`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from .categorical import Objective, check_problem, check_setting
from .checks import Seed, check_callable, check_finite, check_learning_rate, check_positive_int
from .conditional_gumbel import conditional_gumbel
from .gumbel import sample_gumbel
from .runtime import tf, tfp
from .seeds import check_root

Surrogate = Callable[[tf.Tensor], tf.Tensor]


def no_surrogate(u: tf.Tensor) -> tf.Tensor:
    """The zero surrogate: RELAX without it is REBAR."""
    return tf.zeros(tf.shape(u)[:2], u.dtype)


def relax_core(f: Objective, logits: tf.Tensor, num_samples: int, seed: tf.Tensor,
               temperature: tf.Tensor, scale: tf.Tensor,
               surrogate: Surrogate) -> tf.Tensor:
    """One RELAX estimate per row of ``logits`` ``[R, D, K]``, ``f`` on
    ``[S, R, D, K]``."""
    noise_seed, conditional_seed = tfp.random.split_seed(seed, n=2)
    shape = tf.concat([[num_samples], tf.shape(logits)], axis=0)
    g = sample_gumbel(shape, seed=noise_seed)

    def control(u: tf.Tensor) -> tf.Tensor:  # c(u), one value per sample and row
        return scale * f(tf.nn.softmax(u / temperature)) + surrogate(u)

    with tf.GradientTape() as tape:
        tape.watch(logits)
        log_p = tf.nn.log_softmax(logits)
        u = log_p + g  # chapter 2's perturbed logits
        z = tf.one_hot(tf.argmax(u, axis=-1), tf.shape(logits)[-1])  # the exact sample
        u_given_z = conditional_gumbel(log_p, z, seed=conditional_seed)
        c_given_z = control(u_given_z)
        # chapter 1's trick, twice
        pathwise = tf.reduce_mean(control(u) - c_given_z, axis=0)
    # (f(z) - c(u~)) d log p(z), where d log p(z) / d logits = z - p for every variable
    score = (f(z) - c_given_z)[..., None, None] * (z - tf.exp(log_p))
    return tf.reduce_mean(score, axis=0) + tape.gradient(pathwise, logits)


_relax = tf.function(relax_core, autograph=False)


def relax_gradient(f: Objective, logits: Any, num_samples: int, seed: Seed = None,
                   surrogate: Surrogate | None = None, temperature: Any = 1.0,
                   scale: Any = 1.0) -> tf.Tensor:
    """RELAX (Grathwohl et al., 2018), compiled: unbiased for any ``surrogate``, ``temperature``
    and ``scale`` (chapter 12). ``surrogate`` maps ``u`` ``[S, R, D, K]`` to ``[S, R]``, for
    example a trained :class:`SurrogateNetwork`; ``None`` (no surrogate) gives REBAR."""
    problem = check_problem(f, logits, num_samples, seed)
    surrogate = no_surrogate if surrogate is None else check_callable(surrogate, "surrogate")
    scale = tf.constant(check_finite(scale, "scale"), tf.float32)
    gradient = _relax(problem.f, problem.logits, problem.num_samples, problem.seed,
                      check_setting(temperature), scale, surrogate)
    return problem.shaped(gradient)


def rebar_gradient(f: Objective, logits: Any, num_samples: int, seed: Seed = None,
                   temperature: Any = 1.0, scale: Any = 1.0) -> tf.Tensor:
    """REBAR (Tucker et al., 2017): RELAX whose control variate is the relaxed objective alone,
    ``scale * f(softmax(u / temperature))``; unbiased for any temperature (chapter 12)."""
    return relax_gradient(f, logits, num_samples, seed, None, temperature, scale)


class SurrogateNetwork(keras.Model):
    """RELAX's learned part ``r(u)``: the softmax of each variable's ``u``, flattened, through
    one ``tanh`` layer to one value (chapter 12). Its output layer starts at zero, so before
    training RELAX with it is REBAR."""

    def __init__(self, hidden: int = 16, seed: int = 0) -> None:
        super().__init__()
        init = keras.initializers.GlorotUniform(seed=check_root(seed, "seed"))
        self.hidden = keras.layers.Dense(check_positive_int(hidden, "hidden"), "tanh", kernel_initializer=init)
        self.readout = keras.layers.Dense(1, kernel_initializer="zeros")

    def call(self, u: tf.Tensor) -> tf.Tensor:
        relaxed = tf.nn.softmax(u)
        flat = tf.reshape(relaxed, tf.concat([tf.shape(u)[:2], [u.shape[-2] * u.shape[-1]]], axis=0))
        return self.readout(self.hidden(flat))[..., 0]


def fit_surrogate(f: Objective, logits: Any, num_samples: int = 1, seed: Seed = (0, 0),
                  steps: int = 300, temperature: Any = 1.0, scale: Any = 1.0,
                  learning_rate: float = 0.01, hidden: int = 16) -> SurrogateNetwork:
    """Train a :class:`SurrogateNetwork` by Adam to minimize the mean squared norm of RELAX's
    estimates on ``logits`` (their mean is fixed, so this minimizes their variance; chapter 12).

    Each step draws new noise; the gradient of the estimate's square with respect to the
    network's weights goes through the estimate's own gradient tape (a second derivative).
    """
    problem = check_problem(f, logits, num_samples, seed)
    steps = check_positive_int(steps, "steps")
    temperature = check_setting(temperature)
    scale = tf.constant(check_finite(scale, "scale"), tf.float32)
    network = SurrogateNetwork(hidden)
    network(tf.zeros([1, *problem.logits.shape]))
    optimizer = keras.optimizers.Adam(check_learning_rate(learning_rate))
    step_seeds = tfp.random.split_seed(problem.seed, n=steps)

    @tf.function(autograph=False)
    def step(step_seed: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            estimates = relax_core(problem.f, problem.logits, problem.num_samples, step_seed,
                                   temperature, scale, network)
            loss = tf.reduce_mean(tf.reduce_sum(tf.square(estimates), axis=[-2, -1]))
        weights = network.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return loss

    for index in range(steps):
        step(step_seeds[index])
    return network
