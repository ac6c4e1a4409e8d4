"""Helpers for the executable book on Gumbel-softmax and GANs for discrete sequences.

Importing the package imports TensorFlow quietly (see :mod:`gumbel_tutorial.runtime`). Modules
follow the chapters: ``estimators`` (1, 4), ``gumbel`` and ``stats`` (2), ``schedules`` and
``plotting`` (3).
"""

from .estimators import pathwise_gradient, score_function_gradient
from .gumbel import gumbel_max, gumbel_softmax, sample_gumbel, straight_through
from .runtime import set_seed
from .schedules import ConstantTemperature, ExponentialAnneal, LinearAnneal
from .stats import ChiSquareResult, chi_square_test

__all__ = [
    "ChiSquareResult",
    "ConstantTemperature",
    "ExponentialAnneal",
    "LinearAnneal",
    "chi_square_test",
    "gumbel_max",
    "gumbel_softmax",
    "pathwise_gradient",
    "sample_gumbel",
    "score_function_gradient",
    "set_seed",
    "straight_through",
]
