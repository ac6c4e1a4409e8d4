"""Helpers for the executable book on Gumbel-softmax and GANs for discrete sequences.

Importing the package imports TensorFlow quietly (see :mod:`gumbel_tutorial.runtime`). Modules
follow the chapters: ``seeds`` and ``estimators`` (1, 4), ``gumbel`` and ``stats`` (2),
``schedules`` and ``plotting`` (3), ``losses``, ``toy_gan`` and ``toy_lanes`` (5), ``grammar``
and ``metrics`` (6), ``models``, ``loop``, ``checkpoints`` and ``mle`` (7), ``noise`` and ``gan``
(8), ``variants``, ``experiments``, ``records``, ``reference``, ``truth``, ``perfect``,
``decompose``, ``evaluation``, ``calibration``, ``run_sets`` and the command line ``python -m gumbel_tutorial``
(9), ``policy_gradient``, ``gradient_draws`` and ``gradient_study`` (10), ``without_replacement`` (11),
``categorical``, ``conditional_gumbel``, ``control_variates``, ``rao_blackwell``, ``reinmax`` and
``coupled`` (12, registered in ``estimators.CATEGORICAL_ESTIMATORS``); ``adversarial`` holds
what the GANs of chapters 8 and 10 share, and ``checks`` validates every argument. Within the
sequence GAN, data flows one way: noise -> models -> losses -> step (``gan``, ``mle``) -> loop
-> checkpoints/records.
"""

from . import runtime  # noqa: F401  (first: pins the numerics before NumPy and TensorFlow load)
from .estimators import (
    BiasVariance,
    bias_variance,
    categorical_score_function_gradient,
    exact_categorical_gradient,
    gumbel_softmax_gradient,
    pathwise_gradient,
    score_function_gradient,
)
from .gumbel import gumbel_max, gumbel_softmax, sample_gumbel, straight_through
from .seeds import derive_seed, rng, seed_offset, seed_pair, set_seed
from .schedules import ConstantTemperature, ExponentialAnneal, LinearAnneal
from .without_replacement import gumbel_top_k
from . import plotting  # noqa: F401  (gt.plotting.use_book_style(): every chapter's figures)
from .stats import (
    ChiSquareResult, Interval, bootstrap_interval, chi_square_test, total_variation, trailing_mean,
)

__all__ = [
    "BiasVariance",
    "ChiSquareResult",
    "ConstantTemperature",
    "ExponentialAnneal",
    "Interval",
    "LinearAnneal",
    "bias_variance",
    "bootstrap_interval",
    "categorical_score_function_gradient",
    "chi_square_test",
    "derive_seed",
    "exact_categorical_gradient",
    "gumbel_max",
    "gumbel_softmax",
    "gumbel_softmax_gradient",
    "gumbel_top_k",
    "pathwise_gradient",
    "rng",
    "sample_gumbel",
    "score_function_gradient",
    "seed_offset",
    "seed_pair",
    "set_seed",
    "straight_through",
    "total_variation",
    "trailing_mean",
]
