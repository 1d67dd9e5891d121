"""The 8×8 handwritten digits shipped inside scikit-learn: real data, no download.

1,797 images written by 43 people, each pixel the count of ink in a 4×4 block
(0-16) of a 32×32 bitmap. They are small enough to train on in seconds, which makes
them the course's default; :func:`nnedu.data.load_mnist` is the full-size version.
"""

from __future__ import annotations

import numpy as np


def load_digits(flatten: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(X, y)``: pixels scaled to [0, 1] and labels 0-9 (int64).

    ``X`` has shape ``(1797, 64)``, or ``(1797, 8, 8)`` with ``flatten=False``.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    X = digits.images.astype(np.float64) / 16.0
    if flatten:
        X = X.reshape(len(X), -1)
    return X, digits.target.astype(np.int64)
