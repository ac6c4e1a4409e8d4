"""The cost of the numerics pin, and the speed claims of chapters 5 and 8, measured.

    python benchmarks/bench_pin.py [--out results/pin_cost.json]

Each measurement runs in a fresh process, because the pin acts when TensorFlow loads: once as the
book runs (``pinned``: ``gumbel_tutorial/runtime.py`` caps XLA, oneDNN, OpenBLAS and NumPy at
AVX2 and TensorFlow at 2 threads) and once ``unpinned``, with every variable at what the
libraries choose by themselves on this machine (XLA and oneDNN at the newest instruction set,
OpenBLAS and NumPy detecting the CPU, oneDNN in TensorFlow on only where TensorFlow enables it,
one thread per core). Measured in each: chapter 5's toy GAN (updates per second of the
XLA-compiled loop, and of the same loop compiled without XLA) and chapter 8's sequence-GAN
iteration at the paper's shapes (milliseconds per iteration of ``Trainer.run``, and run eagerly).

The chapters print such timings but do not assert them (they depend on the machine and its load);
this script asserts the chapters' speed claims: the toy GAN's compiled loop makes more than
10,000 updates per second and is more than twice as fast as without XLA, and the compiled
sequence-GAN iteration is more than 3 times faster than eager execution.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

from gumbel_tutorial.records import versions
from gumbel_tutorial.runtime import PINNED_VARIABLES
from gumbel_tutorial.checkpoints import write_atomically

MEASURE = r"""
import json, time
import gumbel_tutorial as gt
from gumbel_tutorial import runtime, toy_gan
from gumbel_tutorial.gan import GANConfig, SequenceGAN

gt.set_seed(0)
xla = toy_gan.train_toy_gan(toy_gan.ToyGANConfig(epochs=20))
plain = toy_gan.train_toy_gan(toy_gan.ToyGANConfig(epochs=3), jit_compile=False)
gan = SequenceGAN(GANConfig(), seed=0)
gan.advance(100)  # traces and compiles the loop
times = []
for _ in range(5):
    start = time.perf_counter()
    gan.advance(100)
    times.append((time.perf_counter() - start) / 100)
eager = []
for _ in range(5):
    start = time.perf_counter()
    gan.train_step()["d_loss"].numpy()
    eager.append(time.perf_counter() - start)
print(json.dumps({
    "toy_xla_updates_per_s": xla.steps_per_second,
    "toy_graph_updates_per_s": plain.steps_per_second,
    "gan_compiled_ms": 1e3 * sorted(times)[2],
    "gan_eager_ms": 1e3 * sorted(eager)[2],
    "pinned": runtime.PINNED,
    "threads": runtime.THREADS,
}))
"""


TIMED = ("toy_xla_updates_per_s", "toy_graph_updates_per_s", "gan_compiled_ms", "gan_eager_ms")


def cpu_flags() -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none)."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.split(":", 1)[-1].split())


def unpinned_environment() -> dict[str, str]:
    """Each pinned variable at the value the libraries would choose on this machine."""
    flags = cpu_flags()
    onednn_default = bool(flags & {"avx512_vnni", "avx512_bf16", "amx_tile"})
    return {
        "XLA_FLAGS": "--xla_cpu_max_isa=AMX_FP16",  # the newest XLA knows: no cap
        "ONEDNN_MAX_CPU_ISA": "ALL",
        "TF_ENABLE_ONEDNN_OPTS": "1" if onednn_default else "0",
        "OPENBLAS_CORETYPE": "",  # empty: OpenBLAS detects the CPU
        "NPY_DISABLE_CPU_FEATURES": "",
        "GUMBEL_TUTORIAL_THREADS": str(os.cpu_count() or 1),
    }


def measure(extra: dict[str, str]) -> dict[str, object]:
    """One fresh process's figures, with every pinned variable removed and then ``extra`` set."""
    env = {k: v for k, v in os.environ.items() if k not in PINNED_VARIABLES}
    done = subprocess.run([sys.executable, "-c", MEASURE], env={**env, **extra}, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=None)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default: %(default)s)")
    args = parser.parse_args()
    start = time.perf_counter()
    # A shared machine's speed drifts by tens of percent from minute to minute, so the two modes
    # alternate and each figure is the median over the rounds.
    rounds: dict[str, list[dict[str, object]]] = {"pinned": [], "unpinned": []}
    for _ in range(args.rounds):
        rounds["pinned"].append(measure({}))
        rounds["unpinned"].append(measure(unpinned_environment()))
    rows = {name: {**runs[0], **{key: statistics.median(run[key] for run in runs) for key in TIMED}}
            for name, runs in rounds.items()}
    print(f"{'':9s} {'toy XLA upd/s':>14s} {'toy graph upd/s':>16s} {'GAN ms/it':>10s} {'eager ms/it':>12s}")
    for name, row in rows.items():
        print(f"{name:9s} {row['toy_xla_updates_per_s']:>14,.0f} {row['toy_graph_updates_per_s']:>16,.0f}"
              f" {row['gan_compiled_ms']:>10.1f} {row['gan_eager_ms']:>12.1f}")
    pinned, unpinned = rows["pinned"], rows["unpinned"]
    cost = {"toy_gan": unpinned["toy_xla_updates_per_s"] / pinned["toy_xla_updates_per_s"] - 1,
            "sequence_gan": pinned["gan_compiled_ms"] / unpinned["gan_compiled_ms"] - 1}
    print(f"cost of the pin: toy GAN {cost['toy_gan']:+.1%}, sequence-GAN iteration {cost['sequence_gan']:+.1%}"
          " (positive: slower with the pin)")
    if args.out is not None:
        report = {"rows": rows, "rounds": rounds, "cost": cost, "cpu": platform.processor() or platform.machine(),
                  "cpu_count": os.cpu_count(), "avx512": any(f.startswith("avx512") for f in cpu_flags()),
                  "versions": versions(), "command": f"python benchmarks/bench_pin.py --rounds {args.rounds} --out {args.out}",
                  "wall_seconds": round(time.perf_counter() - start, 1)}
        write_atomically(args.out, lambda f: f.write(json.dumps(report, indent=1).encode()))
    assert pinned["toy_xla_updates_per_s"] > 10_000, "chapter 5: the compiled toy GAN makes >10,000 updates/s"
    assert pinned["toy_xla_updates_per_s"] > 2 * pinned["toy_graph_updates_per_s"], "chapter 5: XLA > 2x"
    assert pinned["gan_eager_ms"] > 3 * pinned["gan_compiled_ms"], "chapter 8: compiled > 3x eager"


if __name__ == "__main__":
    main()
