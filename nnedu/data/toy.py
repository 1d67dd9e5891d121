"""Small two-dimensional data sets for pictures: logic gates, blobs, moons, circles,
XOR and spirals. Each returns ``(X, y)``: ``X`` of shape ``(n, 2)`` (float64) and
integer labels ``y``. scikit-learn's generators are used where it has them.
"""

from __future__ import annotations

import numpy as np

_GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
}


def logic_gate(name: str, signed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The four inputs (0,0), (0,1), (1,0), (1,1) and a gate's outputs.

    Labels are 0/1, or -1/+1 with ``signed=True`` (the perceptron's convention).
    """
    key = name.lower()
    if key not in _GATES:
        raise ValueError(f"logic_gate expected one of {sorted(_GATES)}, got {name!r}")
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array(_GATES[key], dtype=np.int64)
    return X, (2 * y - 1 if signed else y)


def _check_n(name: str, n_samples: int, minimum: int = 2) -> None:
    if not isinstance(n_samples, (int, np.integer)) or n_samples < minimum:
        raise ValueError(f"{name} expected n_samples to be an integer >= {minimum}, got {n_samples!r}")


def make_blobs(
    n_samples: int = 100, centers: int = 2, cluster_std: float = 1.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters around ``centers`` random centres (labels 0..centers-1)."""
    from sklearn.datasets import make_blobs as sk_blobs

    _check_n("make_blobs", n_samples)
    X, y = sk_blobs(n_samples=n_samples, centers=centers, cluster_std=cluster_std,
                    n_features=2, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (labels 0 and 1)."""
    from sklearn.datasets import make_moons as sk_moons

    _check_n("make_moons", n_samples)
    X, y = sk_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_circles(
    n_samples: int = 100, noise: float = 0.1, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (label 1) inside a large one (label 0)."""
    from sklearn.datasets import make_circles as sk_circles

    _check_n("make_circles", n_samples)
    X, y = sk_circles(n_samples=n_samples, noise=noise, factor=factor, random_state=seed)
    return X.astype(np.float64), y.astype(np.int64)


def make_xor(n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square [-1, 1]², label 1 where exactly one coordinate is positive.

    The four quadrants are the four rows of the XOR truth table; ``noise`` is the
    standard deviation of Gaussian jitter added to the points after labelling.
    """
    _check_n("make_xor", n_samples)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return X + noise * rng.normal(size=X.shape), y


def make_spirals(
    n_samples: int = 200, noise: float = 0.1, n_classes: int = 2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms (the hardest of the toy sets).

    Arm ``k`` is the curve ``r = t``, ``θ = 3πt + 2πk / n_classes`` for ``t`` in (0, 1]
    (one and a half turns), with Gaussian noise of standard deviation ``noise`` on the angle.
    """
    _check_n("make_spirals", n_samples, minimum=n_classes)
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % n_classes
    t = rng.uniform(0.05, 1.0, size=n_samples)
    theta = 3.0 * np.pi * t + 2.0 * np.pi * y / n_classes + noise * rng.normal(size=n_samples)
    X = np.column_stack([t * np.cos(theta), t * np.sin(theta)])
    return X, y.astype(np.int64)
