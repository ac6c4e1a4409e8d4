"""Every registered categorical estimator on a grid of problems: bias, variance, MSE, cosine and cost.

Chapter 12 reads what this writes. For every problem of the grid (K categories and D variables,
logits from flat to nearly deterministic (the top category's probability 1/K, 0.8 or 0.99), and three objectives: a quadratic, the cubic
``sum |z - t|^3`` and a small random network) and every estimator of
``gumbel_tutorial.estimators.CATEGORICAL_ESTIMATORS`` (at every temperature of the grid where it
takes one), it draws ``--repetitions`` independent estimates of ``--samples`` samples each,
compiled, and compares them with the exact gradient (all K**D outcomes enumerated):

    nice -n 5 .venv/bin/python benchmarks/estimators.py --out results/estimators/grid.json

Each row holds the squared bias (with its noise floor), the variance and MSE of one estimate,
the mean cosine of an estimate to the exact gradient and the cosine of their mean, the
evaluations of ``f`` per estimate and the wall time per estimate. RELAX's surrogate network is
fitted for each problem at temperature 1 (its fitting time is recorded apart) and reported there.
ARSM is left out where K(K-1)/2 + 1 evaluations per sample exceed ``--max-evaluations``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
from gumbel_tutorial import categorical, estimators, stats  # noqa: E402
from gumbel_tutorial.control_variates import fit_surrogate  # noqa: E402
from gumbel_tutorial.records import cpu_model, git_commit, versions, write_json  # noqa: E402
from gumbel_tutorial.runtime import tf  # noqa: E402

SHAPES = ((2, 1), (2, 3), (10, 1), (10, 3), (100, 1))  # (K, D)
TOPS = (0.0, 0.8, 0.99)  # the top category's probability: flat (0 stands for 1/K), peaked, nearly certain
OBJECTIVES = ("quadratic", "cubic", "mlp")
TEMPERATURES = (0.01, 0.1, 1.0, 10.0)
FLOATS_PER_CALL = 2e7  # inputs to f in one compiled call; larger grids are split into chunks


def problem(categories: int, variables: int, top: float, kind: str) -> tuple[np.ndarray, categorical.Objective]:
    """The logits ``[D, K]`` (``[K]`` for D = 1) and the objective of one problem.

    Flat logits are zero. Otherwise each variable gives probability ``top`` to one category and
    shares the rest in proportions ``softmax(xi)`` of a fixed normal draw ``xi``: at 0.99 the
    others are rare, yet their total, 0.01, is drawn about 40 times in a cell's 4,000 samples.
    """
    rng = np.random.default_rng(1000 * categories + variables)
    xi = rng.normal(size=(variables, categories))
    target = rng.uniform(size=(variables, categories)).astype(np.float32)
    if top == 0.0:
        logits = np.zeros((variables, categories), np.float32)
    else:
        first = rng.integers(categories, size=variables)
        rest = np.exp(xi) * (np.arange(categories) != first[:, None])
        probs = (1 - top) * rest / rest.sum(axis=1, keepdims=True)
        probs[np.arange(variables), first] = top
        logits = np.log(probs).astype(np.float32)
    if variables == 1:
        logits, target = logits[0], target[0]
    return logits, objective(kind, target)


_OBJECTIVES: dict[tuple, categorical.Objective] = {}


def objective(kind: str, target: np.ndarray) -> categorical.Objective:
    """One objective object per kind and shape, so that compiled estimators trace it once."""
    key = (kind, target.shape)
    if key not in _OBJECTIVES:
        _OBJECTIVES[key] = {"quadratic": categorical.quadratic, "cubic": categorical.cubic}.get(
            kind, lambda t: categorical.random_mlp(t.shape, seed=3))(target)
    return _OBJECTIVES[key]


def chunk_size(repetitions: int, inputs_per_estimate: int) -> int:
    """The largest divisor of ``repetitions`` whose call stays within :data:`FLOATS_PER_CALL`."""
    fits = [d for d in range(1, repetitions + 1) if repetitions % d == 0 and d * inputs_per_estimate <= FLOATS_PER_CALL]
    return max(fits or [1])


def measure(record: estimators.Estimator, f, logits: np.ndarray, exact: np.ndarray, args, seed: int,
            **settings) -> dict:
    """Estimates of one estimator on one problem, summarized against the exact gradient."""
    categories = logits.shape[-1]
    variables = 1 if logits.ndim == 1 else logits.shape[0]
    evaluations = record.evaluations(args.samples, categories, variables)
    chunk = chunk_size(args.repetitions, evaluations * categories * variables)
    rows = tf.constant(np.broadcast_to(logits, (chunk, *logits.shape)))
    record.estimate(f, rows, args.samples, (seed, 0), **settings)  # compile (or reuse) first
    start = time.perf_counter()
    grads = np.concatenate([record.estimate(f, rows, args.samples, (seed, i + 1), **settings).numpy()
                            for i in range(args.repetitions // chunk)])
    seconds = time.perf_counter() - start
    grads = grads.reshape(args.repetitions, -1).astype(np.float64)
    summary = estimators.bias_variance(grads, exact.reshape(-1))
    return {
        "bias_squared": summary.bias_squared, "noise_floor": summary.noise_floor, "variance": summary.variance,
        "mse": summary.mse, "max_z": summary.max_z if np.isfinite(summary.max_z) else None,
        "cosine": float(np.mean(stats.cosine(grads, exact.reshape(-1)))),
        "cosine_of_mean": float(stats.cosine(grads.mean(axis=0), exact.reshape(-1))),
        "finite": bool(np.isfinite(grads).all()), "evaluations": evaluations,
        "mse_x_evaluations": summary.mse * evaluations, "seconds_per_estimate": seconds / args.repetitions,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, required=True, help="the JSON file to write")
    parser.add_argument("--repetitions", type=int, default=1000, help="estimates per cell")
    parser.add_argument("--samples", type=int, default=4, help="samples S per estimate")
    parser.add_argument("--seed", type=int, default=0, help="root of every cell's stateless seed")
    parser.add_argument("--max-evaluations", type=int, default=200, help="per sample; ARSM above it is left out")
    parser.add_argument("--fit-steps", type=int, default=200, help="Adam steps of RELAX's surrogate")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows, cell = [], 0
    problems = [(k, d, top, o) for k, d in SHAPES for top in TOPS for o in OBJECTIVES]
    for index, (categories, variables, top, kind) in enumerate(problems):
        logits, f = problem(categories, variables, top, kind)
        exact = estimators.exact_categorical_gradient(f, logits[None])[1].numpy()[0].astype(np.float64)
        base = {"K": categories, "D": variables, "top": top or 1 / categories, "objective": kind,
                "exact_norm_squared": float(np.sum(exact**2))}
        for name, record in estimators.CATEGORICAL_ESTIMATORS.items():
            if record.binary and categories != 2:
                continue
            if record.evaluations(1, categories, variables) > args.max_evaluations:
                continue
            settings_list = [{"temperature": t} for t in TEMPERATURES] if record.temperature else [{}]
            extra = {}
            if name == "RELAX":
                fit_start = time.perf_counter()
                surrogate = fit_surrogate(f, np.broadcast_to(logits, (128, *logits.shape)), 1,
                                          (args.seed, 10_000 + index), steps=args.fit_steps)
                extra = {"fit_seconds": time.perf_counter() - fit_start, "fit_steps": args.fit_steps}
                settings_list = [{"temperature": 1.0, "surrogate": surrogate}]
            for settings in settings_list:
                cell += 1
                result = measure(record, f, logits, exact, args, args.seed * 100_000 + cell, **settings)
                rows.append({**base, "estimator": name, "temperature": settings.get("temperature"),
                             **result, **extra})
        print(f"[{index + 1}/{len(problems)}] K={categories} D={variables} top={top:g} {kind}: "
              f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    write_json(args.out, {
        "command": " ".join(["python", "benchmarks/estimators.py", *(argv if argv is not None else sys.argv[1:])]),
        "seed": args.seed, "repetitions": args.repetitions, "samples": args.samples,
        "grid": {"shapes": SHAPES, "tops": TOPS, "objectives": OBJECTIVES, "temperatures": TEMPERATURES},
        "settings": {"Gumbel-Rao": "num_conditional 10 (the default)", "REBAR": "scale 1 (the default)",
                     "RELAX": f"scale 1, a SurrogateNetwork (16 tanh units) fitted by fit_surrogate on 128 rows, "
                              f"1 sample, {args.fit_steps} steps, at temperature 1",
                     "ARSM": f"left out where K(K-1)/2 + 1 > {args.max_evaluations}"},
        "commit": git_commit(), "versions": versions(), "cpu": cpu_model(),
        "wall_seconds": round(time.perf_counter() - start, 1), "rows": rows,
    })


if __name__ == "__main__":
    main()
