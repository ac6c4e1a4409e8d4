"""The paper's experiment at full scale: variants (a)-(d), the MLE reference and ours (chapter 9).

``python -m gumbel_tutorial reproduce`` runs :func:`reproduce`. Each variant trains with
checkpoints under ``OUT/<variant>/checkpoints`` (re-running the command resumes it), then writes,
each atomically, ``metrics.json``, ``samples.json`` (1,000 generated strings) and ``history.npz``
(every iteration's losses).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import platform
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import grammar, metrics
from .checks import check_positive_int
from .models import SequenceGenerator
from .runtime import tf, tfp
from .seeds import derive_seed, seed_offset
from .training import GANConfig, MaximumLikelihood, SequenceGAN, write_atomically

NUM_SAMPLES = 1_000
MLE_STEPS = 5_000


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
    "ours": Variant("hard feedback, real inputs smoothed to 0.99, minibatch features, learning rate 5e-4",
                    lambda n: GANConfig(iterations=n, feedback="hard", real_confidence=0.99,
                                        minibatch_features=True, learning_rate=5e-4)),
}
PAPER_VARIANTS = ("mle", "a", "b", "c", "d")
EXPLORED_VARIANTS = ("hard", "hard_cold", "st", "st_mb", "sharp_cold", "hard_mb_cold", "ours")


def parse_variants(text: str) -> list[str]:
    """Split ``"mle,a,b"`` into known variant names, raising ``ValueError`` for an unknown one."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in VARIANTS]
    if not names or unknown:
        raise ValueError(f"unknown variant(s) {unknown or text!r}; choose from {', '.join(VARIANTS)}")
    return names


def versions() -> dict[str, str]:
    """The versions a result was produced with."""
    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "tensorflow_probability": tfp.__version__, "numpy": np.__version__}


def _write_json(path: pathlib.Path, value: Any) -> None:
    write_atomically(path, lambda f: f.write(json.dumps(value, indent=1).encode()))


MLE_SETTINGS = ("iterations", "hidden_size", "batch_size", "learning_rate", "length", "dataset_size", "data_seed")


def _config_record(name: str, config: GANConfig) -> dict[str, Any]:
    """The settings that a variant actually uses (the MLE model has no temperatures or losses)."""
    record = dataclasses.asdict(config)
    if VARIANTS[name].adversarial:
        return record
    return {key: record[key] for key in MLE_SETTINGS}


def _train(name: str, config: GANConfig, seed: int, checkpoints: pathlib.Path, progress: bool) -> tuple[Any, list[str]]:
    """Train one variant (resuming from ``checkpoints``) and draw its samples."""
    if not VARIANTS[name].adversarial:
        generator = SequenceGenerator(config.hidden_size, grammar.VOCAB_SIZE, config.length, "none",
                                      init_seed=derive_seed(seed, "generator_init"))
        data = grammar.encode(grammar.sample_dataset(config.dataset_size, config.length, seed=config.data_seed))
        trainer: Any = MaximumLikelihood(generator, data, config.batch_size, config.learning_rate, seed)
        trainer.train(config.iterations, checkpoints, progress=progress)
        sample_seed = (derive_seed(seed, "samples"), 1)
        samples = grammar.decode(generator.sample_tokens(NUM_SAMPLES, seed=sample_seed).numpy())
        return trainer, samples
    trainer = SequenceGAN(config, seed=seed)
    trainer.train(checkpoint_dir=checkpoints, progress=progress)
    return trainer, trainer.sample_strings(NUM_SAMPLES, seed=seed)


def run_variant(name: str, iterations: int, out: pathlib.Path, seed: int, command: str, progress: bool = True) -> dict[str, Any]:
    """Train (or resume) one variant and write its three result files; return its metrics."""
    variant = VARIANTS[name]
    config = variant.config(iterations)
    folder = out / name
    trainer, samples = _train(name, config, seed, folder / "checkpoints", progress)
    training = grammar.sample_dataset(config.dataset_size, config.length, seed=config.data_seed)
    history = trainer.history_arrays()
    result = {
        "variant": name,
        "description": variant.description,
        **metrics.evaluate(samples, training),
        "iterations": config.iterations,
        "mle_pretraining": False,
        "config": _config_record(name, config),
        "seed": seed,
        "seed_offset": seed_offset(),
        "versions": versions(),
        "command": command,
        "wall_seconds": round(float(trainer.wall_seconds.numpy()), 1),
        "history_stride": 1,
    }
    write_atomically(folder / "history.npz",
                     lambda f: np.savez_compressed(f, **{k: v.astype(np.float32) for k, v in history.items()}))
    _write_json(folder / "samples.json", samples)
    _write_json(folder / "metrics.json", result)
    shutil.rmtree(folder / "checkpoints", ignore_errors=True)
    return result


def reproduce(
    variants: Sequence[str], iterations: int, out: str | pathlib.Path, seed: int, command: str, progress: bool = True
) -> list[dict[str, Any]]:
    """Run each variant in turn; a variant whose ``metrics.json`` matches the request is kept as is."""
    for name in variants:
        if name not in VARIANTS:
            raise ValueError(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
    iterations = check_positive_int(iterations, "iterations")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out must be a directory, but {str(out)!r} is a file")
    results = []
    for name in variants:
        existing = out / name / "metrics.json"
        if existing.exists():
            done = json.loads(existing.read_text())
            same_run = (done["iterations"], done["seed"], done.get("seed_offset", 0)) == (
                VARIANTS[name].config(iterations).iterations, seed, seed_offset())
            if same_run:
                print(f"{name}: already done ({existing})", file=sys.stderr)
                results.append(done)
                continue
        results.append(run_variant(name, iterations, out, seed, command, progress))
    return results
