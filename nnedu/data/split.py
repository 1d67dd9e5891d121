"""A seeded split of a data set into a training and a test set (chapter 9)."""

from __future__ import annotations

import numpy as np


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_size: float | int = 0.25,
    seed: int = 0,
    stratify: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return ``X_train, X_test, y_train, y_test``, in the order scikit-learn uses.

    ``test_size`` is a fraction of the samples (0 < test_size < 1) or a count. The same
    ``seed`` gives the same split. With ``stratify=True`` every class keeps its share
    in both parts.
    """
    from sklearn.model_selection import train_test_split as sklearn_split

    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(
            f"train_test_split expected as many targets as samples, got {len(X)} samples "
            f"and {len(y)} targets"
        )
    is_fraction = isinstance(test_size, float) and 0.0 < test_size < 1.0
    is_count = isinstance(test_size, (int, np.integer)) and 0 < test_size < len(X)
    if not (is_fraction or is_count):
        raise ValueError(
            f"train_test_split expected test_size to be a fraction in (0, 1) or a count in "
            f"1..{len(X) - 1}, got {test_size!r}"
        )
    return tuple(sklearn_split(X, y, test_size=test_size, random_state=seed,
                               stratify=y if stratify else None))
