"""The sequence GAN's one-hot token estimators drawn at chapter 10's points: cosine, SNR and cost.

Chapter 12 (section 12.9) reads what this writes. At the final weights of three stored runs,
chapter 10's points (pre-trained REINFORCE, REINFORCE from scratch, and ``ours``), it draws the
generator's gradient ``--draws`` times with each estimator that samples ``q_theta`` (one-hot
feedback): ``ours``' relaxed outputs (``gumbel_hard_feedback``), straight-through, Gumbel-Rao
and ReinMax, and twice as many draws of leave-one-out REINFORCE, whose second half stands for
the true gradient of ``q_theta`` (``gumbel_tutorial.gradient_draws``). Each row gives, over all
of the generator's weights and over its output layer, the variance of one draw, its
signal-to-noise ratio, the cosine of the estimator's mean to the reference, and the seconds one
compiled draw takes. Last, it times a compiled training iteration of ``ours`` and of the three
token variants (``ours_st``, ``ours_gumbel_rao``, ``ours_reinmax``), in alternating rounds, and
records the median of each:

    .venv/bin/python benchmarks/token_gradients.py --out results/token_gradients.json
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
from gumbel_tutorial.gan import SequenceGAN  # noqa: E402
from gumbel_tutorial.gradient_draws import gradient_draws, summarize  # noqa: E402
from gumbel_tutorial.gradient_study import PARTS  # noqa: E402
from gumbel_tutorial.records import (  # noqa: E402
    cpu_model, git_commit, load_discriminator, load_generator, run_folder, versions, write_json,
)
from gumbel_tutorial.variants import VARIANTS  # noqa: E402

POINTS = {"pg_pretrained": 0, "pg": 1, "ours": 0}
"""Chapter 10's measurement points: the run and seed whose final weights are used."""
ESTIMATORS = ("gumbel_hard_feedback", "straight_through", "gumbel_rao", "reinmax")
REFERENCE = "reinforce_loo"
TRAINED = ("ours", "ours_st", "ours_gumbel_rao", "ours_reinmax")
"""The variants whose training iteration is timed."""


def iteration_seconds(rounds: int, iterations: int) -> dict[str, list[float]]:
    """Seconds per compiled training iteration of each of :data:`TRAINED`, one value per round;
    the variants take turns within a round, after a first call that traces each."""
    gans = {name: SequenceGAN(VARIANTS[name].config(20_000), seed=0) for name in TRAINED}
    for gan in gans.values():
        gan.advance(iterations)
    found: dict[str, list[float]] = {name: [] for name in TRAINED}
    for _ in range(rounds):
        for name, gan in gans.items():
            start = time.perf_counter()
            gan.advance(iterations)
            found[name].append((time.perf_counter() - start) / iterations)
    return found


def timed_draws(generator, discriminator, estimator: str, draws: int, args) -> tuple[list, float]:
    """``draws`` draws of ``estimator`` and the seconds per draw: the time of those draws less
    that of a single one, over ``draws - 1``, so that the tracing each call pays cancels."""
    start = time.perf_counter()
    gradient_draws(generator, discriminator, estimator, 1, args.batch_size, seed=args.seed + 1)
    once = time.perf_counter() - start
    start = time.perf_counter()
    found = gradient_draws(generator, discriminator, estimator, draws, args.batch_size, seed=args.seed)
    return found, (time.perf_counter() - start - once) / max(draws - 1, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True, help="the JSON file to write")
    parser.add_argument("--results", type=pathlib.Path, default=ROOT / "results", help="where the runs are")
    parser.add_argument("--draws", type=int, default=100, help="draws per estimator (twice for the reference)")
    parser.add_argument("--batch-size", type=int, default=200, help="strings per draw")
    parser.add_argument("--seed", type=int, default=10, help="root of the draws' stateless seeds")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds of the training iterations")
    parser.add_argument("--iterations", type=int, default=50, help="training iterations per timed call")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = []
    for name, seed in POINTS.items():
        folder = run_folder(args.results, name, seed)
        generator, discriminator = load_generator(folder), load_discriminator(folder)
        reference, reference_seconds = timed_draws(generator, discriminator, REFERENCE, 2 * args.draws, args)
        found = {REFERENCE: ([d[: args.draws] for d in reference], reference_seconds)}
        found |= {e: timed_draws(generator, discriminator, e, args.draws, args) for e in ESTIMATORS}
        for part, chosen in PARTS.items():
            truth = np.concatenate([d[args.draws:].mean(axis=0).ravel() for d in reference[chosen]])
            for estimator, (draws, seconds) in found.items():
                flat = np.concatenate([d.reshape(len(d), -1) for d in draws[chosen]], axis=1)
                summary = summarize(flat, truth)
                rows.append({"point": name, "seed": seed, "part": part, "estimator": estimator,
                             "variance": summary.variance, "snr": summary.snr, "cosine_own": summary.cosine,
                             "cosine_true": summary.cosine_to, "seconds_per_draw": seconds})
        print(f"{name}/seed{seed} done", file=sys.stderr)
    load_before = os.getloadavg()[0]
    timings = iteration_seconds(args.rounds, args.iterations)
    write_json(args.out, {
        "command": " ".join(["python", "benchmarks/token_gradients.py", *(argv if argv is not None else sys.argv[1:])]),
        "draws": args.draws, "batch_size": args.batch_size, "seed": args.seed, "commit": git_commit(),
        "versions": versions(), "cpu": cpu_model(), "wall_seconds": round(time.perf_counter() - start, 1),
        "rows": rows, "load_before_timing": load_before, "load_after_timing": os.getloadavg()[0],
        "iteration_seconds": timings,
        "iteration_median": {name: float(np.median(values)) for name, values in timings.items()},
    })


if __name__ == "__main__":
    main()
