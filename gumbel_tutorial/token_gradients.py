"""One-hot tokens with a chosen backward pass, for the sequence GAN (chapter 12, section 12.9).

Chapter 12's categorical estimators take an objective ``f`` and return a gradient. Inside an LSTM
generator there is no such ``f``: the token is a tensor that flows on into the discriminator and
back into the generator, and backpropagation supplies ``grad f(z)`` as the upstream gradient. So
each estimator that keeps the discrete forward pass becomes a *token*: exactly ``z`` forward, and
a surrogate's Jacobian backward. ``straight_through`` uses the relaxed sample that made ``z``;
``gumbel_rao`` the mean relaxed sample over noise drawn given ``z`` (Paulus et al., 2021);
``reinmax`` the second-order correction of Liu et al. (2023). For any ``f`` the gradient of
``f(token)`` is, sample by sample, the estimate of chapter 12's functions of the same name.
"""

from __future__ import annotations

from typing import Any, Literal

from .categorical import softmax_vjp
from .checks import check_choice, check_positive_int
from .conditional_gumbel import conditional_gumbel
from .gumbel import straight_through
from .rao_blackwell import pass_through
from .runtime import tf, tfp

TokenGradient = Literal["straight_through", "gumbel_rao", "reinmax"]
TOKEN_GRADIENTS = ("straight_through", "gumbel_rao", "reinmax")


@tf.custom_gradient
def _reinmax_token(logits: tf.Tensor, z: tf.Tensor, temperature: tf.Tensor) -> tuple[tf.Tensor, Any]:
    def grad(upstream: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        p = tf.nn.softmax(logits)
        q = (z + tf.nn.softmax(logits / temperature)) / 2
        to_logits = 2 * softmax_vjp(q, upstream) - softmax_vjp(p, upstream) / 2
        return to_logits, tf.zeros_like(z), tf.zeros_like(temperature)

    return tf.identity(z), grad


def hard_token(logits: tf.Tensor, relaxed: tf.Tensor, temperature: Any,
               seed: tf.Tensor, method: TokenGradient = "straight_through",
               num_conditional: int = 10) -> tf.Tensor:
    """The one-hot argmax of ``relaxed`` (a Gumbel-softmax sample of ``logits`` at
    ``temperature``) forward, with ``method``'s gradient to ``logits`` backward
    (chapter 12).

    ``seed`` is the seed of the step's Gumbel noise; Gumbel-Rao derives from it the
    seed of its ``num_conditional`` conditional noises; the other two draw nothing.
    """
    check_choice(method, "method", TOKEN_GRADIENTS)
    hard = straight_through(relaxed)
    if method == "straight_through":
        return hard
    z = tf.stop_gradient(hard)
    temperature = tf.cast(temperature, logits.dtype)
    if method == "reinmax":
        return _reinmax_token(logits, z, temperature)
    log_p = tf.nn.log_softmax(logits)
    noise_seed = tfp.random.split_seed(seed, n=2)[1]
    count = check_positive_int(num_conditional, "num_conditional")
    noise = conditional_gumbel(tf.stop_gradient(log_p), z, seed=noise_seed,
                               num_samples=count)
    # u = log p + noise, differentiated with the noise held fixed, as straight-through
    u = log_p + tf.stop_gradient(noise - log_p)
    return pass_through(z, tf.reduce_mean(tf.nn.softmax(u / temperature), axis=0))

