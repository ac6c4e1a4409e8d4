"""The paper's experiment at full scale: variants (a)-(d), the MLE reference and ours (chapter 9).

``python -m gumbel_tutorial reproduce`` runs :func:`reproduce`. Each variant and seed trains with
checkpoints under ``OUT/<variant>/seed<k>/checkpoints`` (re-running the command resumes it), then
writes, each atomically, ``metrics.json``, ``samples.txt`` (10,000 generated strings, one per
line, trailing padding removed), ``history.npz`` (every iteration's losses) and
``generator.npz`` (the trained generator's variables). ``--jobs N`` trains N runs at once in separate
processes, each with its share of the cores.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import grammar, metrics
from . import runtime
from .checks import check_positive_int
from .models import SequenceGenerator
from .runtime import tf, tfp
from .seeds import derive_seed, seed_offset
from .training import GANConfig, MaximumLikelihood, SequenceGAN, write_atomically

SAMPLE_COUNT = 10_000
"""Generated strings kept per run; the exact distribution metrics use all of them."""
METRIC_SAMPLES = 1_000
"""The first this many samples give valid, unique and novel, the paper's sample size."""
MLE_STEPS = 5_000
CODE_VERSION = 1
"""Bump when a change alters what training computes; runs made under another version re-run.
``tests/test_experiments.py`` holds a short run's losses and fails when they move."""


@dataclasses.dataclass(frozen=True)
class Variant:
    """One column of the experiment: what it is and how to configure it for a run length."""

    description: str
    config: Callable[[int], GANConfig]
    adversarial: bool = True


VARIANTS: dict[str, Variant] = {
    "mle": Variant(
        "maximum-likelihood LSTM with teacher forcing (the paper's reference column)",
        lambda n: GANConfig(iterations=min(n, MLE_STEPS)),
        adversarial=False,
    ),
    "a": Variant("(a) the paper's default: temperature annealed 5 -> 1 over the first half",
                 lambda n: GANConfig(iterations=n)),
    "b": Variant("(b) as (a) with 1,000 generated samples per update",
                 lambda n: GANConfig(iterations=n, generator_batch_size=1_000)),
    "c": Variant("(c) generator temperature fixed at 1; only the real inputs' temperature annealed",
                 lambda n: GANConfig(iterations=n, generator_temperature=1.0)),
    "d": Variant("(d) noise only in the initial hidden state; the initial cell state is learned",
                 lambda n: GANConfig(iterations=n, noise="hidden_only")),
    # Beyond the paper (chapter 9): what we tried, in the order we tried it.
    "hard": Variant("(a) with hard feedback: the generator reads its own one-hot token (RelGAN)",
                    lambda n: GANConfig(iterations=n, feedback="hard")),
    "hard_cold": Variant("hard feedback, temperature annealed 5 -> 0.25",
                         lambda n: GANConfig(iterations=n, feedback="hard", tau_end=0.25)),
    "st": Variant("straight-through one-hot outputs and one-hot real inputs, hard feedback, -log D loss",
                  lambda n: GANConfig(iterations=n, feedback="hard", straight_through=True,
                                      real_inputs="one_hot", generator_loss="nonsaturating")),
    "st_mb": Variant("as st, with minibatch-spread features in the discriminator",
                     lambda n: GANConfig(iterations=n, feedback="hard", straight_through=True,
                                         real_inputs="one_hot", generator_loss="nonsaturating",
                                         minibatch_features=True)),
    "sharp_cold": Variant("hard feedback, real inputs smoothed to 0.999, temperature annealed 5 -> 0.1",
                          lambda n: GANConfig(iterations=n, feedback="hard", real_confidence=0.999, tau_end=0.1)),
    "hard_mb_cold": Variant("hard feedback, real inputs smoothed to 0.99, minibatch features, tau 5 -> 0.5",
                            lambda n: GANConfig(iterations=n, feedback="hard", real_confidence=0.99,
                                                tau_end=0.5, minibatch_features=True)),
}
OURS_CHANGES: dict[str, dict[str, Any]] = {
    "hard": {"feedback": "hard"},
    "smooth99": {"real_confidence": 0.99},
    "minibatch": {"minibatch_features": True},
    "lr5e-4": {"learning_rate": 5e-4},
}
"""The four settings in which ``ours`` differs from variant (a)."""


def _with_changes(keys: Sequence[str]) -> Callable[[int], GANConfig]:
    settings = {name: value for key in keys for name, value in OURS_CHANGES[key].items()}
    return lambda n: GANConfig(iterations=n, **settings)


VARIANTS["ours"] = Variant("hard feedback, real inputs smoothed to 0.99, minibatch features, learning rate 5e-4",
                           _with_changes(list(OURS_CHANGES)))
for _key in OURS_CHANGES:
    VARIANTS[f"a+{_key}"] = Variant(f"(a) with only the change {_key} of ours", _with_changes([_key]))
    VARIANTS[f"ours-{_key}"] = Variant(f"ours without its change {_key}",
                                       _with_changes([k for k in OURS_CHANGES if k != _key]))
PAPER_VARIANTS = ("mle", "a", "b", "c", "d")
EXPLORED_VARIANTS = ("hard", "hard_cold", "st", "st_mb", "sharp_cold", "hard_mb_cold", "ours")
ABLATION_VARIANTS = tuple(f"{sign}{key}" for sign in ("a+", "ours-") for key in OURS_CHANGES)


def parse_variants(text: str) -> list[str]:
    """Split ``"mle,a,b"`` into known variant names, raising ``ValueError`` for an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if not names or unknown:
        raise ValueError(f"unknown variant(s) {unknown or text!r}; choose from {', '.join(VARIANTS)}")
    return names


def parse_seeds(text: str) -> list[int]:
    """Split ``"0,1,2"`` into distinct non-negative seeds, raising ``ValueError`` otherwise."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts) or len(set(map(int, parts))) < len(parts):
        raise ValueError(f"seeds must be distinct non-negative integers such as 0,1,2, got {text!r}")
    return [int(part) for part in parts]


def versions() -> dict[str, str]:
    """The versions a result was produced with."""
    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "tensorflow_probability": tfp.__version__, "numpy": np.__version__}


def _git_commit() -> str | None:
    """The repository's commit (with ``+changes`` when the tree differs from it), if known."""
    root = pathlib.Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "gumbel_tutorial"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+changes" if dirty else "")


def _write_json(path: pathlib.Path, value: Any) -> None:
    write_atomically(path, lambda f: f.write(json.dumps(value, indent=1).encode()))


MLE_SETTINGS = ("iterations", "hidden_size", "batch_size", "learning_rate", "length", "dataset_size", "data_seed")


def _config_record(name: str, config: GANConfig) -> dict[str, Any]:
    """The settings that a variant actually uses (the MLE model has no temperatures or losses)."""
    record = dataclasses.asdict(config)
    if VARIANTS[name].adversarial:
        return record
    return {key: record[key] for key in MLE_SETTINGS}


def fingerprint(name: str, iterations: int, seed: int) -> dict[str, Any]:
    """Everything that determines a run's result: variant, every setting, seed, offset, code version.

    A stored run (or checkpoint) is reused only when its fingerprint equals the requested one.
    """
    config = VARIANTS[name].config(iterations)
    return {"variant": name, "config": _config_record(name, config), "seed": seed,
            "seed_offset": seed_offset(), "code_version": CODE_VERSION}


def run_folder(out: str | pathlib.Path, name: str, seed: int) -> pathlib.Path:
    """Where the run of variant ``name`` with ``seed`` keeps its files: ``out/<name>/seed<seed>``."""
    return pathlib.Path(out) / name / f"seed{seed}"


def evaluate_samples(samples: Sequence[str], training: Sequence[str]) -> dict[str, float]:
    """Chapter 9's metrics: valid, unique, novel and the two distances on the first
    :data:`METRIC_SAMPLES` samples, and the exact distribution metrics on all of them."""
    return {**metrics.evaluate(samples[:METRIC_SAMPLES], training), **metrics.distribution_metrics(samples)}


def _train(name: str, config: GANConfig, seed: int, checkpoints: pathlib.Path,
           progress: bool) -> tuple[Any, SequenceGenerator, list[str]]:
    """Train one variant (resuming from ``checkpoints``) and draw its samples."""
    if not VARIANTS[name].adversarial:
        generator = SequenceGenerator(config.hidden_size, grammar.VOCAB_SIZE, config.length, "none",
                                      init_seed=derive_seed(seed, "generator_init"))
        data = grammar.encode(grammar.sample_dataset(config.dataset_size, config.length, seed=config.data_seed))
        trainer: Any = MaximumLikelihood(generator, data, config.batch_size, config.learning_rate, seed)
        trainer.train(config.iterations, checkpoints, progress=progress)
        sample_seed = (derive_seed(seed, "samples"), 1)
        samples = grammar.decode(generator.sample_tokens(SAMPLE_COUNT, seed=sample_seed).numpy())
        return trainer, generator, samples
    trainer = SequenceGAN(config, seed=seed)
    trainer.train(checkpoint_dir=checkpoints, progress=progress)
    return trainer, trainer.generator, trainer.sample_strings(SAMPLE_COUNT, seed=seed)


def _prepare_checkpoints(checkpoints: pathlib.Path, requested: dict[str, Any]) -> None:
    """Keep ``checkpoints`` only if they were written for ``requested``; record it for later."""
    record = checkpoints / "fingerprint.json"
    if checkpoints.exists() and (not record.exists() or json.loads(record.read_text()) != requested):
        print(f"{checkpoints}: made for another configuration; starting again", file=sys.stderr)
        shutil.rmtree(checkpoints)
    if not record.exists():
        _write_json(record, requested)


def save_weights(generator: SequenceGenerator, path: pathlib.Path) -> None:
    """Write the generator's variables, in order, to an ``.npz`` file, atomically (chapter 9)."""
    arrays = {f"w{i}": v.numpy() for i, v in enumerate(generator.weights)}
    write_atomically(path, lambda f: np.savez(f, **arrays))


def run_variant(name: str, iterations: int, out: pathlib.Path, seed: int, command: str,
                progress: bool = True) -> dict[str, Any]:
    """Train (or resume) one variant with one seed and write its result files; return its metrics."""
    variant = VARIANTS[name]
    config = variant.config(iterations)
    folder = run_folder(out, name, seed)
    requested = fingerprint(name, iterations, seed)
    _prepare_checkpoints(folder / "checkpoints", requested)
    trainer, generator, samples = _train(name, config, seed, folder / "checkpoints", progress)
    training = grammar.sample_dataset(config.dataset_size, config.length, seed=config.data_seed)
    history = trainer.history_arrays()
    result = {
        "variant": name,
        "description": variant.description,
        **evaluate_samples(samples, training),
        "iterations": config.iterations,
        "mle_pretraining": False,
        "fingerprint": requested,
        "seed": seed,
        "versions": versions(),
        "commit": _git_commit(),
        "threads": runtime.THREADS,
        "command": command,
        "wall_seconds": round(float(trainer.wall_seconds.numpy()), 1),
        "history_stride": 1,
    }
    write_atomically(folder / "history.npz",
                     lambda f: np.savez_compressed(f, **{k: v.astype(np.float32) for k, v in history.items()}))
    write_atomically(folder / "samples.txt",
                     lambda f: f.write("".join(s.rstrip(grammar.PAD) + "\n" for s in samples).encode()))
    save_weights(generator, folder / "generator.npz")
    _write_json(folder / "metrics.json", result)
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)
    return result


def load_samples(folder: str | pathlib.Path, length: int = grammar.MAX_LEN) -> list[str]:
    """The generated strings of one run, padded back to ``length`` symbols (chapter 9)."""
    lines = (pathlib.Path(folder) / "samples.txt").read_text().split("\n")[:-1]
    return [grammar.pad(line, length) for line in lines]


def load_generator(folder: str | pathlib.Path) -> SequenceGenerator:
    """The trained generator of one run, rebuilt from its ``metrics.json`` and weights (chapter 9)."""
    folder = pathlib.Path(folder)
    record = json.loads((folder / "metrics.json").read_text())["fingerprint"]
    config = record["config"]
    noise = "none" if not VARIANTS[record["variant"]].adversarial else config["noise"]
    generator = SequenceGenerator(config["hidden_size"], grammar.VOCAB_SIZE, config["length"], noise)
    generator.sample_tokens(1, seed=(0, 0))  # builds the variables
    with np.load(folder / "generator.npz") as saved:
        if len(saved.files) != len(generator.weights):
            raise ValueError(f"{folder / 'generator.npz'} holds {len(saved.files)} arrays, the model "
                             f"has {len(generator.weights)} variables")
        for i, variable in enumerate(generator.weights):
            variable.assign(saved[f"w{i}"])
    return generator


def finished(out: str | pathlib.Path, name: str, iterations: int, seed: int) -> dict[str, Any] | None:
    """The stored metrics of this run if its fingerprint matches the request, else ``None``."""
    path = run_folder(out, name, seed) / "metrics.json"
    if not path.exists():
        return None
    done = json.loads(path.read_text())
    return done if done.get("fingerprint") == fingerprint(name, iterations, seed) else None


def _cost(name: str, iterations: int) -> int:
    """A rough relative cost of a run, to start the longest first."""
    config = VARIANTS[name].config(iterations)
    per_step = config.batch_size + (config.generator_batch_size or config.batch_size)
    return config.iterations * (per_step if VARIANTS[name].adversarial else config.batch_size // 4)


def _run_in_processes(tasks: list[tuple[str, int]], iterations: int, out: pathlib.Path, command: str,
                      jobs: int) -> None:
    """Run each (variant, seed) in its own process, ``jobs`` at a time, each with its share of cores."""
    threads = max(1, (os.cpu_count() or 1) // jobs)
    env = {**os.environ, runtime.THREADS_VARIABLE: str(threads)}
    (out / "logs").mkdir(parents=True, exist_ok=True)

    def launch(task: tuple[str, int]) -> float:
        name, seed = task
        argv = [sys.executable, "-m", "gumbel_tutorial", "reproduce", "--variants", name, "--seeds", str(seed),
                "--iterations", str(iterations), "--out", str(out), "--no-progress", "--record-command", command]
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


def check_request(variants: Sequence[str], iterations: int, out: str | pathlib.Path, seeds: Sequence[int],
                  jobs: int) -> tuple[int, pathlib.Path, list[int], int]:
    """Check the arguments of :func:`reproduce` before any training; raise ``ValueError`` naming the bad one."""
    for name in variants:
        if name not in VARIANTS:
            raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
    iterations = check_positive_int(iterations, "iterations")
    jobs = check_positive_int(jobs, "jobs")
    seeds = list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be one or more non-negative ints, got {seeds!r}")
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a directory, but {str(out)!r} is a file")
    return iterations, out, seeds, jobs


def reproduce(
    variants: Sequence[str],
    iterations: int,
    out: str | pathlib.Path,
    seeds: Sequence[int],
    command: str,
    jobs: int = 1,
    progress: bool = True,
    log_run: bool = True,
) -> list[dict[str, Any]]:
    """Run every variant with every seed; a run whose stored fingerprint matches is kept as is.

    ``jobs=1`` trains in this process, one run after another; ``jobs > 1`` runs that many
    processes at once (longest runs first). With ``log_run`` appends a record of the command, its
    wall time and what it ran to ``out/runs.jsonl``. Returns the metrics of every run, variants outer, seeds inner.
    """
    iterations, out, seeds, jobs = check_request(variants, iterations, out, seeds, jobs)
    runs = [(name, seed) for name in variants for seed in seeds]
    todo = [(name, seed) for name, seed in runs if finished(out, name, iterations, seed) is None]
    for name, seed in runs:
        if (name, seed) not in todo:
            print(f"{name} seed {seed}: already done ({run_folder(out, name, seed)})", file=sys.stderr)
    clock = time.perf_counter()
    if jobs > 1 and len(todo) > 1:
        todo.sort(key=lambda run: -_cost(run[0], iterations))
        _run_in_processes(todo, iterations, out, command, jobs)
    else:
        for name, seed in todo:
            run_variant(name, iterations, out, seed, command, progress)
    if todo and log_run:
        record = {"command": command, "jobs": jobs, "ran": [f"{n}/seed{s}" for n, s in todo],
                  "wall_seconds": round(time.perf_counter() - clock, 1), "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "commit": _git_commit(), "versions": versions(), "cpu_count": os.cpu_count()}
        out.mkdir(parents=True, exist_ok=True)
        with (out / "runs.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")
    results = [finished(out, name, iterations, seed) for name, seed in runs]
    missing = [f"{n}/seed{s}" for (n, s), r in zip(runs, results) if r is None]
    if missing:
        raise RuntimeError(f"no result for {', '.join(missing)}")
    return [r for r in results if r is not None]
