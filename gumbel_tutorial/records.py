"""What a run of the experiment leaves behind, and how it is read back (chapter 9).

A run of variant ``v`` with seed ``k`` lives in ``OUT/v/seed<k>/``: ``metrics.json`` (the metrics
and the run's :func:`fingerprint`, versions, CPU, commit, command and wall time), ``samples.txt``,
``history.npz``, ``generator.npz`` and, for the GANs, ``discriminator.npz``. A stored run is
reused only when its fingerprint matches.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import platform
import subprocess
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import grammar, metrics
from .checkpoints import write_atomically
from .gan import GANConfig
from .models import SequenceDiscriminator, SequenceGenerator
from .policy_gradient import PolicyGradientConfig
from .runtime import tf, tfp
from .seeds import seed_offset
from .variants import VARIANTS

SAMPLE_COUNT = 10_000
"""Generated strings kept per run; the exact distribution metrics use all of them."""
METRIC_SAMPLES = 1_000
"""The first this many samples give valid, unique and novel (a common sample size in text-GAN papers)."""
CODE_VERSION = 1
"""Bump when a change alters what training computes; runs made under another version re-run.
``tests/test_experiments.py`` holds a short run's losses and fails when they move."""


def versions() -> dict[str, str]:
    """The versions a result was produced with."""
    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "tensorflow_probability": tfp.__version__, "numpy": np.__version__}


def cpu_model() -> str:
    """The processor a result was produced on: its model name from ``/proc/cpuinfo`` where there
    is one, else what :func:`platform.processor` says. A GAN's trajectory depends on the CPU
    (chapter 9), so every run records it."""
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def git_commit() -> str | None:
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


def write_json(path: pathlib.Path, value: Any) -> None:
    write_atomically(path, lambda f: f.write(json.dumps(value, indent=1).encode()))


MLE_SETTINGS = ("iterations", "hidden_size", "batch_size", "learning_rate", "length", "dataset_size", "data_seed")


LATER_SETTINGS: dict[str, Any] = {"entropy_bonus": 0.0}
"""Settings added after runs were stored, with the default those runs trained with; a record leaves
them out at that default, so the stored runs keep matching their fingerprints."""


def _config_record(name: str, config: GANConfig | PolicyGradientConfig) -> dict[str, Any]:
    """The settings that a variant actually uses (the MLE model has no temperatures or losses)."""
    record = dataclasses.asdict(config)
    if VARIANTS[name].adversarial:
        return {key: value for key, value in record.items()
                if key not in LATER_SETTINGS or value != LATER_SETTINGS[key]}
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

def save_weights(model: Any, path: pathlib.Path) -> None:
    """Write a model's variables, in order, to an ``.npz`` file, atomically (chapters 9 and 10)."""
    arrays = {f"w{i}": v.numpy() for i, v in enumerate(model.weights)}
    write_atomically(path, lambda f: np.savez(f, **arrays))


def _assign_weights(model: Any, path: pathlib.Path) -> None:
    """Load the variables :func:`save_weights` wrote into a model of the same shape."""
    with np.load(path) as saved:
        if len(saved.files) != len(model.weights):
            raise ValueError(f"{path} holds {len(saved.files)} arrays, the model has {len(model.weights)} variables")
        for i, variable in enumerate(model.weights):
            variable.assign(saved[f"w{i}"])


def load_samples(folder: str | pathlib.Path, length: int = grammar.MAX_LEN) -> list[str]:
    """The generated strings of one run, padded back to ``length`` symbols (chapter 9)."""
    lines = (pathlib.Path(folder) / "samples.txt").read_text().split("\n")[:-1]
    return [grammar.pad(line, length) for line in lines]


def load_generator(folder: str | pathlib.Path) -> SequenceGenerator:
    """The trained generator of one run, rebuilt from its ``metrics.json`` and weights (chapter 9)."""
    folder = pathlib.Path(folder)
    record = json.loads((folder / "metrics.json").read_text())["fingerprint"]
    config = record["config"]
    noise = config.get("noise", "none") if VARIANTS[record["variant"]].adversarial else "none"
    generator = SequenceGenerator(config["hidden_size"], grammar.VOCAB_SIZE, config["length"], noise)
    generator.sample_tokens(1, seed=(0, 0))  # builds the variables
    _assign_weights(generator, folder / "generator.npz")
    return generator


def load_discriminator(folder: str | pathlib.Path) -> SequenceDiscriminator:
    """The trained discriminator of one adversarial run (``discriminator.npz``; chapter 10)."""
    folder = pathlib.Path(folder)
    config = json.loads((folder / "metrics.json").read_text())["fingerprint"]["config"]
    discriminator = SequenceDiscriminator(config["hidden_size"], grammar.VOCAB_SIZE, config["length"],
                                          minibatch_features=config["minibatch_features"])
    _assign_weights(discriminator, folder / "discriminator.npz")
    return discriminator


def finished(out: str | pathlib.Path, name: str, iterations: int, seed: int) -> dict[str, Any] | None:
    """The stored metrics of this run if its fingerprint matches the request, else ``None``."""
    path = run_folder(out, name, seed) / "metrics.json"
    if not path.exists():
        return None
    done = json.loads(path.read_text())
    return done if done.get("fingerprint") == fingerprint(name, iterations, seed) else None


def load_runs(out: str | pathlib.Path, variants: Sequence[str], seeds: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    """The stored ``metrics.json`` of every variant and seed, ``{variant: [seed 0, seed 1, ...]}`` (chapter 9).

    A missing run raises ``FileNotFoundError`` with the command that makes it.
    """
    runs: dict[str, list[dict[str, Any]]] = {}
    for name in variants:
        runs[name] = []
        for seed in seeds:
            path = run_folder(out, name, seed) / "metrics.json"
            if not path.exists():
                raise FileNotFoundError(
                    f"{path} is missing; make it with: python -m gumbel_tutorial reproduce "
                    f"--variants {name} --seeds {seed} --out {out}"
                )
            runs[name].append(json.loads(path.read_text()))
    return runs


def load_history(folder: str | pathlib.Path) -> dict[str, np.ndarray]:
    """Every iteration's losses of one run (``history.npz``), one array per quantity (chapter 9)."""
    with np.load(pathlib.Path(folder) / "history.npz") as saved:
        return {key: saved[key] for key in saved.files}
