"""The LSTM generator and discriminator of the sequence GAN (chapters 7 and 8).

One generator class serves both halves of the paper's Figure 1: trained by maximum likelihood with
teacher forcing it is the reference language model (chapter 7); started from a noise pair in place
of its initial hidden and cell states and fed its own Gumbel-softmax samples it is the GAN's
generator (chapter 8). Seeds follow TFP's convention (None or int: stateful; a pair: stateless).
"""

from __future__ import annotations

from typing import Any, Literal

import keras

from .checks import Seed, check_choice, check_positive_int, check_temperature
from .gumbel import gumbel_max, gumbel_softmax
from .runtime import tf, tfp
from .token_gradients import TOKEN_GRADIENTS, TokenGradient, hard_token

NoiseMode = Literal["hidden_and_cell", "hidden_only", "none"]
Feedback = Literal["relaxed", "hard"]
NOISE_MODES = ("hidden_and_cell", "hidden_only", "none")
FEEDBACKS = ("relaxed", "hard")


def _glorot(seed: int) -> keras.initializers.Initializer:
    return keras.initializers.GlorotUniform(seed=seed)


def _lstm_initializers(seed: int) -> dict[str, keras.initializers.Initializer]:
    """Keras' default LSTM initializers, seeded so that a model is the same on every run."""
    return {"kernel_initializer": _glorot(seed), "recurrent_initializer": keras.initializers.Orthogonal(seed=seed + 1)}


def sequence_log_prob(tokens: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """``log q(s)`` ``[batch]`` of strings ``tokens`` ``[batch, length]`` from their teacher-forced
    ``logits`` ``[batch, length, vocab]``, summed over positions (chapters 7 and 10)."""
    per_symbol = tf.nn.sparse_softmax_cross_entropy_with_logits(tokens, logits)
    return -tf.reduce_sum(per_symbol, axis=-1)


class SequenceGenerator(keras.Model):
    """An LSTM over one-hot symbols whose initial state can be a noise pair (chapters 7 and 8).

    ``noise="hidden_and_cell"`` replaces both ``h_0`` and ``C_0`` by uniform noise (the paper's
    default); ``"hidden_only"`` draws ``h_0`` and learns ``C_0`` (the paper's variant (d));
    ``"none"`` starts from zeros (the maximum-likelihood language model). The first input is a
    vector of zeros; each later input is the symbol vector emitted at the previous step.
    ``init_seed`` fixes the initial weights.
    """

    def __init__(
        self,
        hidden_size: int,
        vocab_size: int,
        length: int,
        noise: NoiseMode = "hidden_and_cell",
        init_seed: int = 0,
    ) -> None:
        super().__init__()
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.length = check_positive_int(length, "length")
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be at least 2, got {vocab_size}")
        check_choice(noise, "noise", NOISE_MODES)
        self.noise = noise
        self.cell = keras.layers.LSTMCell(hidden_size, **_lstm_initializers(init_seed))
        self.readout = keras.layers.Dense(vocab_size, kernel_initializer=_glorot(init_seed + 2))
        self.cell.build((None, vocab_size))
        self.readout.build((None, hidden_size))
        self.initial_cell = self.add_weight(
            shape=(hidden_size,), initializer="zeros", name="initial_cell",
            trainable=noise == "hidden_only",
        )

    def initial_state(self, batch_size: Any, seed: Seed = None) -> list[tf.Tensor]:
        """``[h_0, C_0]``: ``U(0, 1)`` noise where the noise mode asks for it, else zeros / learned."""
        shape = tf.stack([batch_size, self.hidden_size])
        if self.noise == "none":
            return [tf.zeros(shape), tf.zeros(shape)]
        h_seed, c_seed = tfp.random.split_seed(seed, n=2)
        h0 = tf.random.stateless_uniform(shape, seed=h_seed)
        if self.noise == "hidden_only":
            return [h0, tf.broadcast_to(self.initial_cell, shape)]
        return [h0, tf.random.stateless_uniform(shape, seed=c_seed)]

    def step(self, inputs: tf.Tensor, state: list[tf.Tensor]) -> tuple[tf.Tensor, list[tf.Tensor]]:
        """One LSTM step: symbol vector in, logits over the vocabulary out."""
        output, state = self.cell(inputs, state)
        return self.readout(output), state

    def teacher_forced_logits(self, tokens: tf.Tensor, seed: Seed = (0, 0)) -> tf.Tensor:
        """Logits ``[batch, length, vocab]`` predicting each symbol from the true previous ones (chapter 7).

        ``seed`` draws the initial noise state of a generator that has one; the language model of
        chapter 7 (``noise="none"``) starts from zeros and ignores it.
        """
        one_hot = tf.one_hot(tokens, self.vocab_size)
        batch = tf.shape(one_hot)[0]
        inputs = tf.concat([tf.zeros_like(one_hot[:, :1]), one_hot[:, :-1]], axis=1)
        state = self.initial_state(batch, seed=seed)
        logits = []
        for t in range(self.length):
            step_logits, state = self.step(inputs[:, t], state)
            logits.append(step_logits)
        return tf.stack(logits, axis=1)

    def log_prob(self, tokens: tf.Tensor) -> tf.Tensor:
        """``log q(s)`` of each string ``[batch]``, summed over its positions (chapters 7 and 10).

        For a generator without noise this is the exact log-probability with which
        :meth:`sample_tokens` at temperature 1 draws ``tokens``.
        """
        return sequence_log_prob(tokens, self.teacher_forced_logits(tokens))

    def generate(
        self,
        batch_size: Any,
        temperature: Any,
        seed: Seed = None,
        feedback: Feedback = "relaxed",
        straight_through_output: bool = False,
        token_gradient: TokenGradient = "straight_through",
    ) -> tf.Tensor:
        """Sample ``[batch, length, vocab]`` symbol vectors through Gumbel-softmax (chapter 8).

        Each step draws ``y_t = softmax((logits_t + g_t) / temperature)``. ``feedback="relaxed"``
        feeds ``y_t`` back as the next input (the paper); ``"hard"`` feeds its one-hot argmax
        instead (the generator always conditions on a real symbol, as in RelGAN). With
        ``straight_through_output`` the returned vectors are one-hot forward with the relaxed
        gradient, or the gradient ``token_gradient`` names (chapter 12: ``"gumbel_rao"``,
        ``"reinmax"``); hard feedback carries the same gradient. The argmax of each returned vector
        is an exact sample from the step's softmax.
        """
        check_choice(feedback, "feedback", FEEDBACKS)
        check_choice(token_gradient, "token_gradient", TOKEN_GRADIENTS)

        def choose(logits: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            relaxed = gumbel_softmax(logits, temperature, seed=seed)
            if not (straight_through_output or feedback == "hard"):
                return relaxed, relaxed
            hard = hard_token(logits, relaxed, temperature, seed, token_gradient)
            return (hard if straight_through_output else relaxed), (hard if feedback == "hard" else relaxed)

        return tf.stack(self._unroll(batch_size, seed, choose), axis=1)

    def sample_tokens(self, batch_size: Any, seed: Seed = None, temperature: float = 1.0) -> tf.Tensor:
        """Exact ancestral samples ``[batch, length]`` of symbol indices, feeding back one-hots (chapter 7).

        Each step samples ``softmax(logits / temperature)``: 1 is the model itself; below 1 it is
        sharper, above 1 flatter (chapter 9 sweeps it).
        """
        temperature = check_temperature(temperature)

        def choose(logits: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            one_hot = gumbel_max(logits / temperature, seed=seed)
            return tf.argmax(one_hot, axis=-1, output_type=tf.int32), one_hot

        return tf.stack(self._unroll(batch_size, seed, choose), axis=1)

    def _unroll(self, batch_size: Any, seed: Seed, choose: Any) -> list[tf.Tensor]:
        """Run the LSTM for ``length`` steps from its initial state, feeding back what it emits.

        ``choose(logits, step_seed)`` returns the step's output and the next input.
        """
        init_seed, *step_seeds = tfp.random.split_seed(seed, n=self.length + 1)
        state = self.initial_state(batch_size, init_seed)
        inputs = tf.zeros(tf.stack([batch_size, self.vocab_size]))
        outputs = []
        for t in range(self.length):
            logits, state = self.step(inputs, state)
            output, inputs = choose(logits, step_seeds[t])
            outputs.append(output)
        return outputs


class SequenceDiscriminator(keras.Model):
    """An LSTM that reads a whole sequence of (relaxed) one-hot vectors and returns a logit (chapter 8).

    ``sigmoid(logit)`` is the probability ``D(x)`` that the sequence is real. With
    ``minibatch_features`` the readout also sees, for every position, how much the symbols vary
    across the mini-batch (the minibatch standard deviation of Karras et al., 2018): a generator
    that writes the same string again and again is then easy to tell apart (chapter 9).
    """

    def __init__(
        self,
        hidden_size: int,
        vocab_size: int,
        length: int,
        init_seed: int = 1,
        minibatch_features: bool = False,
    ) -> None:
        super().__init__()
        check_positive_int(hidden_size, "hidden_size")
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        check_positive_int(length, "length")
        self.minibatch_features = minibatch_features
        # Unrolled over the fixed length: about 10% faster on CPU than a while loop.
        self.lstm = keras.layers.LSTM(hidden_size, unroll=True, **_lstm_initializers(init_seed))
        self.readout = keras.layers.Dense(1, kernel_initializer=_glorot(init_seed + 2))
        self.lstm.build((None, length, vocab_size))
        self.readout.build((None, hidden_size + (length if minibatch_features else 0)))

    def encode(self, sequences: tf.Tensor) -> tf.Tensor:
        """The LSTM's last hidden state ``[batch, hidden]`` for each sequence."""
        return self.lstm(sequences)

    def score(self, encoded: tf.Tensor, sequences: tf.Tensor) -> tf.Tensor:
        """Logits ``[batch]`` from encoded sequences (plus the batch's spread, if enabled)."""
        if self.minibatch_features:
            _, variance = tf.nn.moments(sequences, axes=[0])
            spread = tf.reduce_mean(tf.sqrt(variance + 1e-8), axis=-1)  # one value per position
            encoded = tf.concat([encoded, tf.broadcast_to(spread, [tf.shape(encoded)[0], tf.shape(spread)[0]])], -1)
        return tf.squeeze(self.readout(encoded), axis=-1)

    def call(self, sequences: tf.Tensor) -> tf.Tensor:
        """Logits ``[batch]`` for sequences ``[batch, length, vocab]``."""
        return self.score(self.encode(sequences), sequences)
