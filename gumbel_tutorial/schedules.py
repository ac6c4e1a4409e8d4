"""Temperature schedules for Gumbel-softmax training (chapter 3).

Each schedule maps an iteration index ``t = 0, 1, 2, ...`` (a Python int or an integer tensor,
so it works inside ``tf.function``) to a float32 temperature tensor.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .checks import check_positive_int, check_temperature
from .runtime import tf


def _as_float(step: Any) -> tf.Tensor:
    return tf.cast(step, tf.float32)


@dataclasses.dataclass(frozen=True)
class ConstantTemperature:
    """The same temperature at every iteration (the blog's 0.001)."""

    value: float

    def __post_init__(self) -> None:
        check_temperature(self.value, "value")

    def __call__(self, step: Any) -> tf.Tensor:
        return tf.fill(tf.shape(_as_float(step)), tf.constant(self.value, tf.float32))


@dataclasses.dataclass(frozen=True)
class LinearAnneal:
    """Linear from ``start`` to ``end`` over ``steps`` iterations, then held at ``end``.

    The defaults are the paper's: 5 to 1 over the first 10,000 of 20,000 iterations.
    """

    start: float = 5.0
    end: float = 1.0
    steps: int = 10_000

    def __post_init__(self) -> None:
        check_temperature(self.start, "start")
        check_temperature(self.end, "end")
        check_positive_int(self.steps, "steps")

    def __call__(self, step: Any) -> tf.Tensor:
        fraction = tf.clip_by_value(_as_float(step) / self.steps, 0.0, 1.0)
        return self.start + (self.end - self.start) * fraction


@dataclasses.dataclass(frozen=True)
class ExponentialAnneal:
    """``max(floor, start * exp(-rate * t))``, as in Jang et al. (2016), who used a floor of 0.5."""

    start: float = 1.0
    rate: float = 1e-4
    floor: float = 0.5

    def __post_init__(self) -> None:
        check_temperature(self.start, "start")
        check_temperature(self.floor, "floor")
        check_temperature(self.rate, "rate")

    def __call__(self, step: Any) -> tf.Tensor:
        return tf.maximum(self.floor, self.start * tf.exp(-self.rate * _as_float(step)))


TemperatureSchedule = ConstantTemperature | LinearAnneal | ExponentialAnneal
