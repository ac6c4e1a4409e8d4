"""Every test starts from the same global seed (TensorFlow's op determinism requires one)."""

import numpy as np
import pytest

import gumbel_tutorial as gt
from gumbel_tutorial.loop import Trainer


@pytest.fixture(autouse=True)
def _seed() -> None:
    gt.set_seed(1234)


@pytest.fixture
def advances(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every compiled call of a :class:`Trainer` in this test, as (step before it, iterations):
    what a training loop actually ran, to tell a resumed run from one that started again."""
    calls: list[tuple[int, int]] = []
    advance = Trainer.advance

    def logged(self: Trainer, count: int) -> np.ndarray:
        calls.append((int(self.step.numpy()), count))
        return advance(self, count)

    monkeypatch.setattr(Trainer, "advance", logged)
    return calls
