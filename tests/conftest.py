"""Shared fixtures and paths for the test suite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from chapters import three_way_split

from nnedu.data import load_digits

REPO = Path(__file__).resolve().parents[1]
MNIST_TEST_DIR = REPO.parent / "shared" / "data" / "mnist-test"


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, ...]:
    """The 8x8 digits split as chapters 9 to 11 split them: X_train, X_val, X_test, y_train, y_val, y_test."""
    return three_way_split(*load_digits())


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
