"""The sequence GAN's one-hot token estimators drawn at chapter 10's points: cosine, SNR and cost.

Chapter 12 (section 12.9) reads what this writes. At the final weights of three stored runs,
chapter 10's points (pre-trained REINFORCE, REINFORCE from scratch, and ``ours``), it draws the
generator's gradient ``--draws`` times with each estimator that samples ``q_theta`` (one-hot
feedback): ``ours``' relaxed outputs (``gumbel_hard_feedback``), straight-through, Gumbel-Rao,
ReinMax and REBAR (``gumbel_tutorial.sequence_rebar``, at the variance-minimizing ``eta`` of its
draws, recorded in its rows, and the temperature its runs use), and twice as many draws of leave-one-out REINFORCE, whose second
half stands for the true gradient of ``q_theta`` (``gumbel_tutorial.gradient_draws``). Each row gives, over all
of the generator's weights and over its output layer, the variance of one draw, its
signal-to-noise ratio, the cosine of the estimator's mean to the reference, and the seconds one
compiled draw takes. At each point it also sweeps REBAR's temperature: how much variance its
control variate removes from leave-one-out REINFORCE at the best ``eta`` and at ``eta = 1``.
Last, it times a compiled training iteration of ``ours`` and of the five one-hot variants
(``ours_st``, ``ours_gumbel_rao``, ``ours_reinmax``, ``ours_reinforce_loo``, ``ours_rebar``),
in alternating rounds, and records the median of each:

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
from gumbel_tutorial.sequence_rebar import (  # noqa: E402
    REBAR_TEMPERATURE, rebar_draws, rebar_part_draws, variance_scale,
)
from gumbel_tutorial.records import (  # noqa: E402
    cpu_model, git_commit, load_discriminator, load_generator, run_folder, versions, write_json,
)
from gumbel_tutorial.variants import VARIANTS  # noqa: E402

POINTS = {"pg_pretrained": 0, "pg": 1, "ours": 0}
"""Chapter 10's measurement points: the run and seed whose final weights are used."""
ESTIMATORS = ("gumbel_hard_feedback", "straight_through", "gumbel_rao", "reinmax", "rebar")
REFERENCE = "reinforce_loo"
TRAINED = ("ours", "ours_st", "ours_gumbel_rao", "ours_reinmax", "ours_reinforce_loo", "ours_rebar")
REBAR_SWEEP = (0.1, 0.3, 0.5, 1.0, 2.0)
"""The relaxation temperatures at which REBAR's control variate is measured."""
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


def draw(generator, discriminator, estimator: str, draws: int, batch_size: int, seed: int) -> tuple[list, dict]:
    """``draws`` draws of ``estimator`` and what else it reports (REBAR: its ``eta``)."""
    if estimator == "rebar":
        found, eta = rebar_draws(generator, discriminator, draws, batch_size, REBAR_TEMPERATURE, seed)
        return found, {"eta": eta}
    return gradient_draws(generator, discriminator, estimator, draws, batch_size, seed=seed), {}


def timed_draws(generator, discriminator, estimator: str, draws: int, args) -> tuple[list, float, dict]:
    """``draws`` draws of ``estimator``, the seconds per draw (the time of those draws less
    that of a single one, over ``draws - 1``, so that the tracing each call pays cancels), and
    what else the estimator reports."""
    start = time.perf_counter()
    draw(generator, discriminator, estimator, 1, args.batch_size, args.seed + 1)
    once = time.perf_counter() - start
    start = time.perf_counter()
    found, extra = draw(generator, discriminator, estimator, draws, args.batch_size, args.seed)
    return found, (time.perf_counter() - start - once) / max(draws - 1, 1), extra


def summed_variance(draws: list[np.ndarray]) -> float:
    """The summed per-entry variance of one draw, over the given variables' draws."""
    return float(sum(d.reshape(len(d), -1).var(axis=0, ddof=1).sum() for d in draws))


def rebar_sweep(generator, discriminator, point: str, args) -> list[dict]:
    """At each temperature of :data:`REBAR_SWEEP`, draws of REBAR's two halves: the
    variance-minimizing ``eta`` (over all weights, as a REBAR run sets it) and the variance of
    one draw at ``eta = 0`` (leave-one-out REINFORCE), at that ``eta`` and at ``eta = 1``."""
    rows = []
    for temperature in REBAR_SWEEP:
        score, control = rebar_part_draws(generator, discriminator, args.sweep_draws,
                                          args.batch_size, temperature, args.seed)
        eta = variance_scale(score, control)
        for part, chosen in PARTS.items():
            picked = list(zip(score[chosen], control[chosen]))
            rows.append({
                "point": point, "part": part, "temperature": temperature, "eta": eta,
                "variance_reinforce": summed_variance([s for s, _ in picked]),
                "variance_best_eta": summed_variance([s - eta * c for s, c in picked]),
                "variance_eta_1": summed_variance([s - c for s, c in picked]),
            })
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True, help="the JSON file to write")
    parser.add_argument("--results", type=pathlib.Path, default=ROOT / "results", help="where the runs are")
    parser.add_argument("--draws", type=int, default=100, help="draws per estimator (twice for the reference)")
    parser.add_argument("--batch-size", type=int, default=200, help="strings per draw")
    parser.add_argument("--seed", type=int, default=10, help="root of the draws' stateless seeds")
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds of the training iterations")
    parser.add_argument("--iterations", type=int, default=50, help="training iterations per timed call")
    parser.add_argument("--sweep-draws", type=int, default=50, help="REBAR draws per temperature of the sweep")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows, sweep = [], []
    for name, seed in POINTS.items():
        folder = run_folder(args.results, name, seed)
        generator, discriminator = load_generator(folder), load_discriminator(folder)
        reference, reference_seconds, extra = timed_draws(generator, discriminator, REFERENCE, 2 * args.draws, args)
        found = {REFERENCE: ([d[: args.draws] for d in reference], reference_seconds, extra)}
        found |= {e: timed_draws(generator, discriminator, e, args.draws, args) for e in ESTIMATORS}
        for part, chosen in PARTS.items():
            truth = np.concatenate([d[args.draws:].mean(axis=0).ravel() for d in reference[chosen]])
            for estimator, (draws, seconds, extra) in found.items():
                flat = np.concatenate([d.reshape(len(d), -1) for d in draws[chosen]], axis=1)
                summary = summarize(flat, truth)
                rows.append({"point": name, "seed": seed, "part": part, "estimator": estimator,
                             "variance": summary.variance, "snr": summary.snr, "cosine_own": summary.cosine,
                             "cosine_true": summary.cosine_to, "seconds_per_draw": seconds, **extra})
        sweep += rebar_sweep(generator, discriminator, name, args)
        print(f"{name}/seed{seed} done", file=sys.stderr)
    load_before = os.getloadavg()[0]
    timings = iteration_seconds(args.rounds, args.iterations)
    write_json(args.out, {
        "command": " ".join(["python", "benchmarks/token_gradients.py", *(argv if argv is not None else sys.argv[1:])]),
        "draws": args.draws, "batch_size": args.batch_size, "seed": args.seed, "commit": git_commit(),
        "versions": versions(), "cpu": cpu_model(), "wall_seconds": round(time.perf_counter() - start, 1),
        "rows": rows, "rebar_temperature": REBAR_TEMPERATURE, "rebar_sweep": sweep,
        "sweep_draws": args.sweep_draws, "load_before_timing": load_before, "load_after_timing": os.getloadavg()[0],
        "iteration_seconds": timings,
        "iteration_median": {name: float(np.median(values)) for name, values in timings.items()},
    })


if __name__ == "__main__":
    main()
