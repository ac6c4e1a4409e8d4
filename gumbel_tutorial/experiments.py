"""The paper's experiment at full scale: variants (a)-(d), the MLE reference and ours (chapter 9).

``python -m gumbel_tutorial reproduce`` runs :func:`reproduce`. Each variant (:mod:`.variants`) and
seed trains with a checkpoint every ``--checkpoint-every`` iterations (default 1,000) under
``OUT/<variant>/seed<k>/checkpoints`` (re-running the command resumes it), then writes, each
atomically, ``metrics.json`` (with the validity of 1,000 strings at every checkpoint),
``samples.txt`` (10,000 generated strings, one per line, trailing padding removed), ``history.npz``
(every iteration's losses) and ``generator.npz`` (the trained generator's variables; adversarial
runs also ``discriminator.npz``). ``--jobs N`` trains N runs at once in separate processes, each
with its share of the cores. :mod:`.records` reads the files back.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import grammar, metrics, runtime
from .checkpoints import write_atomically
from .checks import check_positive_int
from .gan import GANConfig, SequenceGAN
from .mle import MaximumLikelihood
from .models import SequenceGenerator
from .policy_gradient import PolicyGradientConfig, PolicyGradientGAN
from .records import (
    SAMPLE_COUNT, cpu_model, evaluate_samples, finished, fingerprint, git_commit, run_folder, save_weights,
    versions, write_json,
)
from .seeds import derive_seed
from .variants import VARIANTS


CHECKPOINT_EVERY = 1_000
"""Iterations between a run's checkpoints, and so between the points of its validity curve
(``--checkpoint-every``). It changes where a run can resume from, not what it trains."""
CURVE_SAMPLES = 1_000
"""Strings drawn at every checkpoint for a run's validity curve."""


def _draw(trainer: Any, generator: SequenceGenerator, n: int, seed: int) -> list[str]:
    """``n`` strings from the generator as it is now; a Gumbel-softmax GAN draws them at the
    current iteration's temperature (the final one once training is over)."""
    if isinstance(trainer, SequenceGAN):
        tau = trainer.config.generator_schedule(int(trainer.step.numpy()))
        return trainer.sample_strings(n, seed=seed, temperature=tau)
    return grammar.decode(generator.sample_tokens(n, seed=(derive_seed(seed, "samples"), 1)).numpy())


def _train(name: str, config: GANConfig | PolicyGradientConfig, seed: int, checkpoints: pathlib.Path,
           training: list[str], progress: bool,
           checkpoint_every: int) -> tuple[Any, SequenceGenerator, list[dict[str, float]]]:
    """Train one variant (resuming from ``checkpoints``, saving one every ``checkpoint_every``
    iterations); return the trainer, its generator and the validity and uniqueness of
    :data:`CURVE_SAMPLES` strings at every checkpoint."""
    if not VARIANTS[name].adversarial:
        generator = SequenceGenerator(config.hidden_size, grammar.VOCAB_SIZE, config.length, "none",
                                      init_seed=derive_seed(seed, "generator_init"))
        trainer: Any = MaximumLikelihood(generator, grammar.encode(training), config.batch_size,
                                         config.learning_rate, seed)
    else:
        trainer = (PolicyGradientGAN if isinstance(config, PolicyGradientConfig) else SequenceGAN)(config, seed=seed)
        generator = trainer.generator
    path = checkpoints / "curve.json"
    curve: list[dict[str, float]] = json.loads(path.read_text()) if path.exists() else []

    def record(step: int) -> None:
        if all(point["iteration"] != step for point in curve):
            strings = _draw(trainer, generator, CURVE_SAMPLES, seed)
            curve.append({"iteration": step, "valid": float(metrics.fraction_valid(strings)),
                          "unique": float(metrics.fraction_unique(strings))})
            write_json(path, curve)

    trainer.train(config.iterations, checkpoints, checkpoint_every, progress=progress,
                  on_checkpoint=record)
    return trainer, generator, sorted(curve, key=lambda point: point["iteration"])


def _prepare_checkpoints(checkpoints: pathlib.Path, requested: dict[str, Any]) -> None:
    """Keep ``checkpoints`` only if they were written for ``requested``; record it for later."""
    record = checkpoints / "fingerprint.json"
    if checkpoints.exists() and (not record.exists() or json.loads(record.read_text()) != requested):
        print(f"{checkpoints}: made for another configuration; starting again", file=sys.stderr)
        shutil.rmtree(checkpoints)
    if not record.exists():
        write_json(record, requested)

def run_variant(name: str, iterations: int, out: pathlib.Path, seed: int, command: str,
                progress: bool = True, checkpoint_every: int = CHECKPOINT_EVERY) -> dict[str, Any]:
    """Train (or resume) one variant with one seed, with a checkpoint every ``checkpoint_every``
    iterations, and write its result files; return its metrics."""
    variant = VARIANTS[name]
    config = variant.config(iterations)
    folder = run_folder(out, name, seed)
    requested = fingerprint(name, iterations, seed)
    _prepare_checkpoints(folder / "checkpoints", requested)
    training = grammar.sample_dataset(config.dataset_size, config.length, seed=config.data_seed)
    trainer, generator, curve = _train(name, config, seed, folder / "checkpoints", training, progress,
                                       checkpoint_every)
    samples = _draw(trainer, generator, SAMPLE_COUNT, seed)
    history = trainer.history_arrays()
    result = {
        "variant": name,
        "description": variant.description,
        **evaluate_samples(samples, training),
        "iterations": config.iterations,
        "mle_pretraining": getattr(config, "pretrain_steps", 0) > 0,
        "fingerprint": requested,
        "seed": seed,
        "versions": versions(),
        "cpu": cpu_model(),
        "commit": git_commit(),
        "threads": runtime.THREADS,
        "command": command,
        "wall_seconds": round(float(trainer.wall_seconds.numpy()), 1),
        "history_stride": 1,
        "curve": curve,
    }
    write_atomically(folder / "history.npz",
                     lambda f: np.savez_compressed(f, **{k: v.astype(np.float32) for k, v in history.items()}))
    write_atomically(folder / "samples.txt",
                     lambda f: f.write("".join(s.rstrip(grammar.PAD) + "\n" for s in samples).encode()))
    save_weights(generator, folder / "generator.npz")
    if VARIANTS[name].adversarial:
        save_weights(trainer.discriminator, folder / "discriminator.npz")
    write_json(folder / "metrics.json", result)
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)
    return result

def _cost(name: str, iterations: int) -> int:
    """A rough relative cost of a run, to start the longest first."""
    config = VARIANTS[name].config(iterations)
    per_step = config.batch_size + (getattr(config, "generator_batch_size", None) or config.batch_size)
    return config.iterations * (per_step if VARIANTS[name].adversarial else config.batch_size // 4)


def _run_in_processes(tasks: list[tuple[str, int]], iterations: int, out: pathlib.Path, command: str,
                      jobs: int, checkpoint_every: int) -> None:
    """Run each (variant, seed) in its own process, ``jobs`` at a time, each with its share of cores."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    env = {**os.environ, runtime.THREADS_VARIABLE: str(threads)}
    (out / "logs").mkdir(parents=True, exist_ok=True)

    def launch(task: tuple[str, int]) -> float:
        name, seed = task
        argv = [sys.executable, "-m", "gumbel_tutorial", "reproduce", "--variants", name, "--seeds", str(seed),
                "--iterations", str(iterations), "--out", str(out), "--no-progress", "--record-command", command,
                "--checkpoint-every", str(checkpoint_every)]
        log = out / "logs" / f"{name}-seed{seed}.log"
        clock = time.perf_counter()
        with log.open("w") as handle:
            done = subprocess.run(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{name} seed {seed} failed (exit {done.returncode}); see {log}")
        return time.perf_counter() - clock

    print(f"{len(tasks)} runs, {jobs} at a time, {threads} thread(s) each; logs in {out / 'logs'}", file=sys.stderr)
    failures = []
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(launch, task): task for task in tasks}
        for count, future in enumerate(concurrent.futures.as_completed(futures), 1):
            name, seed = futures[future]
            try:
                print(f"[{count}/{len(tasks)}] {name} seed {seed}: {future.result():.0f} s", file=sys.stderr)
            except RuntimeError as error:
                failures.append(str(error))
                print(f"[{count}/{len(tasks)}] {error}", file=sys.stderr)
    if failures:
        raise RuntimeError("; ".join(failures))


def check_request(
    variants: Sequence[str], iterations: int, out: str | pathlib.Path, seeds: Sequence[int], jobs: int,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> tuple[int, pathlib.Path, list[int], int, int]:
    """Check the arguments of :func:`reproduce` before any training; raise ``ValueError`` naming the bad one."""
    for name in variants:
        if name not in VARIANTS:
            raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
    iterations = check_positive_int(iterations, "iterations")
    jobs = check_positive_int(jobs, "jobs")
    checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every")
    seeds = list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be one or more non-negative ints, got {seeds!r}")
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a directory, but {str(out)!r} is a file")
    return iterations, out, seeds, jobs, checkpoint_every


def reproduce(
    variants: Sequence[str],
    iterations: int,
    out: str | pathlib.Path,
    seeds: Sequence[int],
    command: str,
    jobs: int = 1,
    progress: bool = True,
    log_run: bool = True,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> list[dict[str, Any]]:
    """Run every variant with every seed; a run whose stored fingerprint matches is kept as is.

    ``jobs=1`` trains in this process, one run after another; ``jobs > 1`` runs that many
    processes at once (longest runs first). Every run checkpoints every ``checkpoint_every``
    iterations (:data:`CHECKPOINT_EVERY`). With ``log_run`` appends a record of the command, its
    wall time and what it ran to ``out/runs.jsonl``. Returns the metrics of every run, variants outer, seeds inner.
    """
    iterations, out, seeds, jobs, checkpoint_every = check_request(variants, iterations, out, seeds, jobs,
                                                                   checkpoint_every)
    runs = [(name, seed) for name in variants for seed in seeds]
    todo = [(name, seed) for name, seed in runs if finished(out, name, iterations, seed) is None]
    for name, seed in runs:
        if (name, seed) not in todo:
            print(f"{name} seed {seed}: already done ({run_folder(out, name, seed)})", file=sys.stderr)
    clock = time.perf_counter()
    if jobs > 1 and len(todo) > 1:
        todo.sort(key=lambda run: -_cost(run[0], iterations))
        _run_in_processes(todo, iterations, out, command, jobs, checkpoint_every)
    else:
        for name, seed in todo:
            run_variant(name, iterations, out, seed, command, progress, checkpoint_every)
    if todo and log_run:
        record = {"command": command, "jobs": jobs, "ran": [f"{n}/seed{s}" for n, s in todo],
                  "wall_seconds": round(time.perf_counter() - clock, 1), "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "commit": git_commit(), "versions": versions(), "cpu": cpu_model(),
                  "cpu_count": os.cpu_count()}
        out.mkdir(parents=True, exist_ok=True)
        with (out / "runs.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")
    results = [finished(out, name, iterations, seed) for name, seed in runs]
    missing = [f"{n}/seed{s}" for (n, s), r in zip(runs, results) if r is None]
    if missing:
        raise RuntimeError(f"no result for {', '.join(missing)}")
    return [r for r in results if r is not None]
