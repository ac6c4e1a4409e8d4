"""Time one sequence-GAN iteration at the paper's shapes: eager vs compiled, and GFLOP/s.

    python benchmarks/bench_training.py [--hidden 64 128] [--iterations 30] [--out results/benchmark.json]

Shapes: batch 200, length 12, 6 symbols (Algorithm 1, one discriminator and one generator update
on the same noise batch). The compiled step's effective rate counts only the matrix-multiply FLOPs
of the LSTMs (and their readouts), forward and backward; it is compared with the rate of a large
matrix product (2048 x 2048 float32) measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import gumbel_tutorial as gt
from gumbel_tutorial.experiments import versions
from gumbel_tutorial.runtime import tf
from gumbel_tutorial.training import GANConfig, SequenceGAN, write_atomically

VOCAB, LENGTH, BATCH = 6, 12, 200


def lstm_flops(batch: int, hidden: int, length: int = LENGTH, vocab: int = VOCAB) -> int:
    """Forward matrix-multiply FLOPs of one LSTM pass over a sequence: gates and readout."""
    return 2 * batch * length * ((vocab + hidden) * 4 * hidden)


def iteration_flops(hidden: int, batch: int = BATCH) -> int:
    """Matrix-multiply FLOPs of one Algorithm-1 iteration, counting a backward pass as twice its forward.

    generator forward (with its readout); discriminator forward on real and fake, then backward
    for its update; discriminator forward on the fake batch again after the update, and the
    backward pass through it and through the generator for the generator's update.
    """
    lstm = lstm_flops(batch, hidden)
    generator = lstm + 2 * batch * LENGTH * hidden * VOCAB
    d_update = 2 * lstm + 2 * (2 * lstm)
    g_update = lstm + 2 * lstm + 2 * generator
    return generator + d_update + g_update


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


def bench_hidden(hidden: int, iterations: int) -> dict[str, float]:
    gan = SequenceGAN(GANConfig(hidden_size=hidden), seed=0)
    arguments = (tf.constant(3.0), tf.constant(3.0))
    compiled = time_calls(lambda: gan._train_step(*arguments)["d_loss"].numpy(), iterations)
    eager = time_calls(lambda: gan._step(*arguments)["d_loss"].numpy(), max(3, iterations // 10))
    flops = iteration_flops(hidden)
    return {
        "hidden_size": hidden,
        "eager_ms": 1e3 * eager,
        "compiled_ms": 1e3 * compiled,
        "speedup": eager / compiled,
        "gflop_per_iteration": flops / 1e9,
        "compiled_gflops": flops / compiled / 1e9,
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
    print(f"{'hidden':>6} {'eager ms':>9} {'compiled ms':>12} {'speedup':>8} {'GFLOP/it':>9} {'GFLOP/s':>8} {'of peak':>8}")
    for row in rows:
        row["fraction_of_matmul"] = row["compiled_gflops"] / peak
        print(f"{row['hidden_size']:>6} {row['eager_ms']:>9.1f} {row['compiled_ms']:>12.1f} {row['speedup']:>8.1f}"
              f" {row['gflop_per_iteration']:>9.3f} {row['compiled_gflops']:>8.1f} {row['fraction_of_matmul']:>8.0%}")
    if args.out is not None:
        report = {"matmul_gflops": peak, "rows": rows, "versions": versions(),
                  "command": "python benchmarks/bench_training.py " + " ".join(
                      f"--{k} {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in vars(args).items() if v is not None)}
        write_atomically(args.out, lambda f: f.write(json.dumps(report, indent=1).encode()))


if __name__ == "__main__":
    main()
