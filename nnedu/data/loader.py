"""Mini-batches (chapter 9): the "data loader" that feeds a training loop.

One *epoch* visits every sample once; :func:`batches` cuts it into mini-batches, in a
new random order each time it is called when ``shuffle`` is on. It is what
:func:`nnedu.fit`, the widgets and the exercise tests use, so there is one place where
the slicing happens. (This module needs only numpy: the training loop imports it.)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nnedu.random import default_rng


def batches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` pairs that together cover ``(X, y)`` once.

    The last batch is smaller when ``batch_size`` does not divide the number of
    samples (left out with ``drop_last=True``, as PyTorch's ``DataLoader`` does).
    The order is drawn from ``rng`` (default: the package generator, see
    ``nnedu.manual_seed``) when ``shuffle``; otherwise the samples keep their order.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"batches expected as many targets as samples, got {len(X)} samples and "
                         f"{len(y)} targets")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batches expected a positive integer batch_size, got {batch_size!r}")
    n = len(X)
    if shuffle:
        order = (rng if rng is not None else default_rng()).permutation(n)
    else:
        order = np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        index = order[start : start + batch_size]
        yield X[index], y[index]


def num_batches(n_samples: int, batch_size: int, drop_last: bool = False) -> int:
    """How many batches :func:`batches` yields for ``n_samples`` samples."""
    return n_samples // batch_size if drop_last else -(-n_samples // batch_size)
