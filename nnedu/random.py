"""One seeded random generator for the whole package, like ``torch.manual_seed``.

Weight initialisation, dropout masks and the shuffling in :func:`nnedu.fit` draw from
:func:`default_rng` unless they are given a generator of their own, so a notebook that
starts with ``nnedu.manual_seed(0)`` gives the same numbers on every run.
"""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the package's generator to ``seed`` and return it."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def default_rng() -> np.random.Generator:
    """The generator that layers and ``fit`` use when none is passed."""
    return _rng
