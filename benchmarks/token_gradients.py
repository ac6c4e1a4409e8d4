"""The sequence GAN's one-hot token estimators drawn at chapter 10's points: cosine, SNR and cost.

Chapter 12 (section 12.9) reads what this writes. At the final weights of three stored runs,
chapter 10's points (pre-trained REINFORCE, REINFORCE from scratch, and ``ours``), it draws the
generator's gradient ``--draws`` times with each estimator that samples ``q_theta`` (one-hot
feedback): ``ours``' relaxed outputs (``gumbel_hard_feedback``), straight-through, Gumbel-Rao
and ReinMax, and twice as many draws of leave-one-out REINFORCE, whose second half stands for
the true gradient of ``q_theta`` (``gumbel_tutorial.gradient_draws``). Each row gives, over all
of the generator's weights and over its output layer, the variance of one draw, its
signal-to-noise ratio, the cosine of the estimator's mean to the reference, and the seconds one
compiled draw takes:

    .venv/bin/python benchmarks/token_gradients.py --out results/token_gradients.json
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
from gumbel_tutorial.gradient_draws import gradient_draws, summarize  # noqa: E402
from gumbel_tutorial.gradient_study import PARTS  # noqa: E402
from gumbel_tutorial.records import (  # noqa: E402
    cpu_model, git_commit, load_discriminator, load_generator, run_folder, versions, write_json,
)

POINTS = {"pg_pretrained": 0, "pg": 1, "ours": 0}
"""Chapter 10's measurement points: the run and seed whose final weights are used."""
ESTIMATORS = ("gumbel_hard_feedback", "straight_through", "gumbel_rao", "reinmax")
REFERENCE = "reinforce_loo"


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
    write_json(args.out, {
        "command": " ".join(["python", "benchmarks/token_gradients.py", *(argv if argv is not None else sys.argv[1:])]),
        "draws": args.draws, "batch_size": args.batch_size, "seed": args.seed, "commit": git_commit(),
        "versions": versions(), "cpu": cpu_model(), "wall_seconds": round(time.perf_counter() - start, 1),
        "rows": rows,
    })


if __name__ == "__main__":
    main()
