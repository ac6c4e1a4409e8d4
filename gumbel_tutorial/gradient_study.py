"""Every estimator's gradient drawn at the final weights of a stored run, and compared with the
gradient of the process it samples (chapter 10).

:func:`measure` draws each estimator of :data:`.gradient_draws.ESTIMATORS` many times at one
generator and discriminator; the reference estimators (:data:`REFERENCE`) are drawn twice as
often, and their second half, independent of the first, stands for the true gradient of each
process. :func:`study` summarizes the first half of every estimator against both references,
over all of the generator's weights and over its output layer alone (:data:`PARTS`).
"""

from __future__ import annotations

import dataclasses
import itertools
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .checks import check_choice, check_positive_int
from .gradient_draws import ESTIMATORS, SAMPLED_PROCESS, DrawSummary, gradient_draws, summarize
from .records import load_discriminator, load_generator

REFERENCE = {"q_theta": "reinforce_loo", "relaxed_feedback": "reinforce_relaxed_process"}
"""The estimator whose mean stands for the true gradient of each process."""
SAMPLING = {"q_theta": "q_theta", "relaxed_feedback": "the relaxed-feedback process"}
"""How the tables name each process."""
PARTS = {"all": slice(None), "output": slice(3, 5)}
"""Which of the generator's variables each summary joins: all, or the readout's W and b."""
TENSORS = ("W_in", "U", "b_lstm", "W_out", "b_out")
"""The generator's variables in order: the LSTM's input and recurrent kernels and bias, then
the output layer's W and b."""
GUMBEL = ("gumbel_relaxed", "gumbel_hard_feedback", "straight_through")
"""The estimators that differentiate through a Gumbel-softmax sample."""


def cosine(a: Any, b: Any) -> float:
    """The cosine of the angle between two vectors (chapter 10)."""
    a, b = np.asarray(a), np.asarray(b)  # in their own precision
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"a and b must be vectors of one length, got shapes {a.shape} and {b.shape}")
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0:
        raise ValueError("a and b must both be non-zero for a cosine")
    return float(a @ b / norms)


def measure(folder: str | pathlib.Path, draws: int, batch_size: int = 200,
            seed: int = 10) -> dict[str, list[np.ndarray]]:
    """Draws of every estimator at the final weights of the run in ``folder`` (chapter 10):
    ``draws`` of each, and twice as many of each reference estimator, one array
    ``[draws, *shape]`` per variable of the generator (:func:`.gradient_draws.gradient_draws`)."""
    draws = check_positive_int(draws, "draws")
    generator, discriminator = load_generator(folder), load_discriminator(folder)
    return {estimator: gradient_draws(generator, discriminator, estimator,
                                      2 * draws if estimator in REFERENCE.values() else draws,
                                      batch_size=batch_size, seed=seed)
            for estimator in ESTIMATORS}


@dataclasses.dataclass(frozen=True)
class Study:
    """What :func:`study` found at one point (chapter 10).

    ``summaries[part, estimator, process]``: the estimator's :class:`.gradient_draws.DrawSummary`
    against the reference gradient of ``process``; ``truths[part, process]``: that reference;
    ``variances[estimator]``: the variance of one draw in each variable of :data:`TENSORS`.
    """

    summaries: Mapping[tuple[str, str, str], DrawSummary]
    truths: Mapping[tuple[str, str], np.ndarray]
    variances: Mapping[str, list[float]]

    def row(self, estimator: str, part: str = "all", process: str | None = None) -> DrawSummary:
        """One estimator's summary against the gradient of ``process`` (default: the one it samples)."""
        check_choice(estimator, "estimator", ESTIMATORS)
        check_choice(part, "part", PARTS)
        return self.summaries[part, estimator, check_choice(process or SAMPLED_PROCESS[estimator],
                                                            "process", REFERENCE)]

    def between(self, part: str = "all") -> float:
        """The cosine between the reference gradients of the two processes."""
        check_choice(part, "part", PARTS)
        return cosine(*(self.truths[part, process] for process in REFERENCE))

    def recurrent_share(self, estimator: str) -> float:
        """The share of one draw's variance that lies in the recurrent kernel ``U``."""
        variances = self.variances[check_choice(estimator, "estimator", ESTIMATORS)]
        return variances[TENSORS.index("U")] / sum(variances)

    def facts(self) -> dict[str, float]:
        """The comparisons chapter 10 draws at a point, by name: signal-to-noise ratios, cosines,
        variances relative to leave-one-out, ranges over the :data:`GUMBEL` estimators, and the
        recurrent kernel's share of the variance."""
        loo, row = self.row("reinforce_loo"), self.row
        ratio = {e: row(e).variance / loo.variance for e in GUMBEL}
        return {
            "snr_none": row("reinforce").snr, "snr_loo": loo.snr,
            "cos_none": row("reinforce").cosine, "cos_loo": loo.cosine,
            "loo_true": loo.cosine_to, "loo_true_output": row("reinforce_loo", "output").cosine_to,
            "snr_loo_output": row("reinforce_loo", "output").snr, "processes": self.between(),
            "gumbel_true_low": min(row(e).cosine_to for e in GUMBEL),
            "gumbel_true_high": max(row(e).cosine_to for e in GUMBEL),
            "gumbel_snr_low": min(row(e).snr for e in GUMBEL),
            "gumbel_snr_high": max(row(e).snr for e in GUMBEL),
            "gumbel_snr_output_high": max(row(e, "output").snr for e in GUMBEL),
            "gumbel_var_rel_low": min(ratio.values()), "gumbel_var_rel_high": max(ratio.values()),
            "gumbel_relaxed_var_rel": ratio["gumbel_relaxed"],
            "gumbel_relaxed_q": row("gumbel_relaxed", process="q_theta").cosine_to,
            "relaxed_process_snr": row("reinforce_relaxed_process").snr,
            "relaxed_process_true_output": row("reinforce_relaxed_process", "output").cosine_to,
            "snr_high": max(row(e).snr for e in ESTIMATORS),
            "recurrent_share_low": min(self.recurrent_share(e) for e in ESTIMATORS),
            "recurrent_share_high": max(self.recurrent_share(e) for e in ESTIMATORS),
            **{f"{e}_true": row(e).cosine_to for e in GUMBEL},
            **{f"{e}_true_output": row(e, "output").cosine_to for e in GUMBEL},
        }

    def report(self) -> str:
        """A table of every estimator, grouped by the process it samples: variance, ratio and
        cosines over all weights, ratio and cosine over the output layer."""
        lines = [f"{'':>26} {' all weights ':-^36} {' output layer ':-^17}",
                 f"{'estimator':>26} {'variance':>9} {'SNR':>7} {'cos(own)':>8} "
                 f"{'cos(true)':>9} {'SNR':>7} {'cos(true)':>9}"]
        for process, title in SAMPLING.items():
            lines.append(f"  sampling {title}:")
            for estimator in (e for e in ESTIMATORS if SAMPLED_PROCESS[e] == process):
                full, out = (self.summaries[part, estimator, process] for part in PARTS)
                lines.append(f"{estimator:>26} {full.variance:9.2e} {full.snr:7.3f} {full.cosine:8.3f} "
                             f"{full.cosine_to:9.3f} {out.snr:7.3f} {out.cosine_to:9.3f}")
        relaxed = [self.row("gumbel_relaxed", part, "q_theta").cosine_to for part in PARTS]
        for title, pair in [("the two processes' gradients, cosine", [self.between(p) for p in PARTS]),
                            ("gumbel_relaxed to q_theta's gradient, cosine", relaxed)]:
            lines.append(f"{title:>53} {pair[0]:9.3f} {pair[1]:17.3f}")
        return "\n".join(lines)

    def variance_report(self) -> str:
        """The variance of one draw of each estimator in each variable of :data:`TENSORS`."""
        lines = [f"{'estimator':>26}" + "".join(f"{tensor:>10}" for tensor in TENSORS)]
        lines += [f"{estimator:>26}" + "".join(f"{v:10.2e}" for v in variances)
                  for estimator, variances in self.variances.items()]
        return "\n".join(lines)


def study(draws: Mapping[str, Sequence[np.ndarray]], count: int) -> Study:
    """Summarize :func:`measure`'s draws at one point (chapter 10): the first ``count`` draws of
    each estimator against the mean of draws ``count`` to ``2 * count`` of each reference."""
    count = check_positive_int(count, "count")
    missing = [e for e in ESTIMATORS if e not in draws]
    if missing:
        raise ValueError(f"draws must hold every estimator, missing {missing}")
    short = [e for e in REFERENCE.values() if len(draws[e][0]) < 2 * count]
    if short or any(len(draws[e][0]) < count for e in ESTIMATORS):
        raise ValueError(f"draws must hold {count} draws of each estimator, 2 * {count} of {short or 'each reference'}")
    summaries, truths = {}, {}
    for part, chosen in PARTS.items():
        # One row per draw: the chosen variables of the generator in one vector.
        flat = {e: np.concatenate([d.reshape(len(d), -1) for d in draws[e][chosen]], axis=1) for e in ESTIMATORS}
        for process, reference in REFERENCE.items():
            truths[part, process] = flat[reference][count:].mean(axis=0)
        for estimator, process in itertools.product(ESTIMATORS, REFERENCE):
            summaries[part, estimator, process] = summarize(flat[estimator][:count], truths[part, process])
    variances = {e: [summarize(d[:count]).variance for d in draws[e]] for e in ESTIMATORS}
    return Study(summaries, truths, variances)
