"""Time one sequence-GAN iteration at the paper's shapes: eager vs compiled, and GFLOP/s.

    python benchmarks/bench_training.py [--hidden 64 128] [--iterations 30] [--out results/benchmark.json]

Shapes: batch 200, length 12, 6 symbols (Algorithm 1, one discriminator and one generator update
on the same noise batch). "Compiled" is the training loop as the package runs it: iterations in a
compiled graph loop, timed per iteration; "eager" runs the same step operation by operation. The
effective rate counts the matrix-multiply FLOPs of the LSTMs (and the generator's readout) that
the iteration computes, forward and backward. Three figures measured in the same run frame it:
the rate of a large matrix product (2048 x 2048, float32); the rate of a chain of dependent
products with the LSTM's own shapes ``[200, 6 + H] x [6 + H, 4H]`` and back; and the time of the
iteration's matrix products alone, with the step's dependencies (a floor for the step).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import gumbel_tutorial as gt
from gumbel_tutorial.records import versions
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.checkpoints import write_atomically
from gumbel_tutorial.gan import GANConfig, SequenceGAN

VOCAB, LENGTH, BATCH = 6, 12, 200


def product_flops(rows: int, inner: int, hidden: int, steps: int = LENGTH) -> int:
    """FLOPs of ``steps`` products ``[rows, inner] x [inner, 4 hidden]`` (or their transposes)."""
    return 2 * rows * inner * 4 * hidden * steps


def iteration_flops(hidden: int, batch: int = BATCH, fake: int = BATCH) -> int:
    """Matrix-multiply FLOPs that one Algorithm-1 iteration computes.

    Generator forward (with its readout). Discriminator update: forward over real and fake, then
    the weight gradients and the gradients along the hidden states (the inputs are data, so no
    input gradients, and none for the constant initial state). Generator update: the updated
    discriminator forward over the fake batch and its backward to the inputs (no weight
    gradients: only the generator is updated), then the generator's backward: weights, readout,
    and the gradients along its inputs and hidden states after the first step (the first input
    and the noise state are not trained).
    """
    width, both, unroll = VOCAB + hidden, batch + fake, LENGTH - 1
    readout = 2 * fake * LENGTH * hidden * VOCAB
    generator_forward = product_flops(fake, width, hidden) + readout
    d_update = 2 * product_flops(both, width, hidden) + product_flops(both, hidden, hidden, unroll)
    d_forward_and_back = (product_flops(fake, width, hidden) + product_flops(fake, width, hidden, unroll)
                          + product_flops(fake, VOCAB, hidden, 1))
    g_backward = product_flops(fake, width, hidden) + product_flops(fake, width, hidden, unroll) + 2 * readout
    return generator_forward + d_update + d_forward_and_back + g_backward


def time_calls(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` calls after two warm-up calls."""
    fn(), fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def matmul_gflops(size: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of a large float32 matrix product, as a ceiling for this machine."""
    a = tf.random.stateless_normal([size, size], seed=(1, 2))
    b = tf.random.stateless_normal([size, size], seed=(3, 4))
    product = tf.function(lambda: tf.matmul(a, b))
    seconds = time_calls(lambda: product().numpy(), repeats)
    return 2 * size**3 / seconds / 1e9


def chain_gflops(hidden: int, links: int = 48, repeats: int = 10) -> float:
    """GFLOP/s of dependent products ``[200, 6 + H] x [6 + H, 4H]`` then ``x [4H, 6 + H]``, in one graph."""
    width = VOCAB + hidden
    x = tf.random.stateless_normal([BATCH, width], seed=(5, 6))
    forward = tf.random.stateless_normal([width, 4 * hidden], seed=(7, 8)) / width
    backward = tf.random.stateless_normal([4 * hidden, width], seed=(9, 10)) / (4 * hidden)

    @tf.function
    def chain() -> tf.Tensor:
        y = x
        for _ in range(links):
            y = tf.matmul(tf.matmul(y, forward), backward)
        return y

    seconds = time_calls(lambda: chain().numpy(), repeats)
    return links * 2 * (2 * BATCH * width * 4 * hidden) / seconds / 1e9


def skeleton_seconds(hidden: int, repeats: int = 30) -> float:
    """Seconds for the matrix products of one iteration alone, with the step's dependencies.

    The same products as :func:`iteration_flops` counts, in the order Algorithm 1 needs them
    (generator forward; discriminator forward over real and fake, its weight and hidden-state
    gradients, its update; the updated discriminator forward over the fake batch and back to its
    inputs; the generator's backward), joined by slices and concatenations instead of the gate
    nonlinearities, Gumbel-softmax samples and optimizer: a floor for any step built from them.
    """
    width = VOCAB + hidden
    w_g = tf.random.stateless_normal([width, 4 * hidden], seed=(1, 0)) / width
    readout = tf.random.stateless_normal([hidden, VOCAB], seed=(2, 0)) / hidden
    w_d = tf.random.stateless_normal([width, 4 * hidden], seed=(3, 0)) / width
    real = tf.random.stateless_uniform([LENGTH, BATCH, VOCAB], seed=(4, 0))

    def forward(w: tf.Tensor, inputs: tf.Tensor | None = None) -> tuple[list[tf.Tensor], tf.Tensor, list[tf.Tensor]]:
        """Every step's ``[x, h]``, the last ``h``, and the generator's outputs (when no ``inputs``)."""
        batch = BATCH if inputs is None else inputs.shape[1]
        x, h, stacked, outputs = tf.zeros([batch, VOCAB]), tf.zeros([batch, hidden]), [], []
        for t in range(LENGTH):
            stacked.append(tf.concat([x if inputs is None else inputs[t], h], 1))
            h = tf.matmul(stacked[-1], w)[:, :hidden]
            if inputs is None:
                x = tf.matmul(h, readout)
                outputs.append(x)
        return stacked, h, outputs

    def backward(stacked: list[tf.Tensor], last: tf.Tensor, w: tf.Tensor, weights: bool, inputs: bool,
                 generator: bool = False) -> tuple[list[tf.Tensor], tf.Tensor]:
        """Back through time from the last ``h`` (standing in for the loss gradient): the weight
        gradients if asked, the generator's readout, and the gradients along ``[x, h]``."""
        transposed = tf.transpose(w if inputs else w[VOCAB:])
        grads, dh, d_output = [], last, last[:, :VOCAB]
        for t in reversed(range(LENGTH)):
            if generator:  # the readout of step t made the symbol fed to step t + 1 (and to D)
                h_t = last if t == LENGTH - 1 else stacked[t + 1][:, VOCAB:]
                grads.append(tf.matmul(h_t, d_output, transpose_a=True))
                dh = dh + tf.matmul(d_output, readout, transpose_b=True)
            dz = tf.concat([dh] * 4, 1)
            if weights:
                grads.append(tf.matmul(stacked[t], dz, transpose_a=True))
            if t > 0:
                dxh = tf.matmul(dz, transposed)
                dh, d_output = dxh[:, -hidden:], dxh[:, :VOCAB]
        # The initial state and the generator's first input are not trained: at the first step only
        # data inputs need a gradient.
        return grads, tf.matmul(dz, w[:VOCAB], transpose_b=True) if inputs and not generator else dz

    @tf.function
    def products() -> tf.Tensor:
        generated, g_last, outputs = forward(w_g)
        fake = tf.stack(outputs)
        d_stacked, d_last, _ = forward(w_d, tf.concat([real, fake], 1))
        d_grads, _ = backward(d_stacked, d_last, w_d, weights=True, inputs=False)
        updated = w_d - 1e-3 * tf.add_n(d_grads)
        f_stacked, f_last, _ = forward(updated, fake)
        _, d_inputs = backward(f_stacked, f_last, updated, weights=False, inputs=True)
        g_grads, _ = backward(generated, g_last + d_inputs[0, 0], w_g, weights=True, inputs=True, generator=True)
        return tf.add_n([tf.reduce_sum(g) for g in g_grads])

    return time_calls(lambda: products().numpy(), repeats)


def bench_hidden(hidden: int, iterations: int) -> dict[str, float]:
    gan = SequenceGAN(GANConfig(hidden_size=hidden), seed=0)
    compiled = time_calls(lambda: gan.advance(iterations), 5) / iterations
    eager = time_calls(lambda: gan.train_step()["d_loss"].numpy(), max(3, iterations // 10))
    flops = iteration_flops(hidden)
    return {
        "hidden_size": hidden,
        "eager_ms": 1e3 * eager,
        "compiled_ms": 1e3 * compiled,
        "speedup": eager / compiled,
        "gflop_per_iteration": flops / 1e9,
        "compiled_gflops": flops / compiled / 1e9,
        "lstm_chain_gflops": chain_gflops(hidden),
        "products_only_ms": 1e3 * skeleton_seconds(hidden),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[GANConfig().hidden_size, 128])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--out", type=pathlib.Path, default=None)
    args = parser.parse_args()
    gt.set_seed(0)
    rows = [bench_hidden(hidden, args.iterations) for hidden in args.hidden]
    peak = matmul_gflops()
    print(f"large matrix product: {peak:.1f} GFLOP/s")
    print(f"{'hidden':>6} {'eager ms':>9} {'compiled ms':>12} {'speedup':>8} {'GFLOP/it':>9} {'GFLOP/s':>8}"
          f" {'of peak':>8} {'chain GFLOP/s':>14} {'products only ms':>17}")
    for row in rows:
        row["fraction_of_matmul"] = row["compiled_gflops"] / peak
        print(f"{row['hidden_size']:>6} {row['eager_ms']:>9.1f} {row['compiled_ms']:>12.1f} {row['speedup']:>8.1f}"
              f" {row['gflop_per_iteration']:>9.3f} {row['compiled_gflops']:>8.1f} {row['fraction_of_matmul']:>8.0%}"
              f" {row['lstm_chain_gflops']:>14.1f} {row['products_only_ms']:>17.1f}")
    if args.out is not None:
        report = {"matmul_gflops": peak, "rows": rows, "versions": versions(),
                  "command": "python benchmarks/bench_training.py " + " ".join(
                      f"--{k} {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in vars(args).items() if v is not None)}
        write_atomically(args.out, lambda f: f.write(json.dumps(report, indent=1).encode()))


if __name__ == "__main__":
    main()
