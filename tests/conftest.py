"""Every test starts from the same global seed (TensorFlow's op determinism requires one)."""

import pytest

import gumbel_tutorial as gt


@pytest.fixture(autouse=True)
def _seed() -> None:
    gt.set_seed(1234)
