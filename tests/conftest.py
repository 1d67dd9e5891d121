"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MNIST_TEST_DIR = REPO.parent / "shared" / "data" / "mnist-test"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
