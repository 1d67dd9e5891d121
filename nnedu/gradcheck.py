r"""Gradient checking (chapter 8): compare backpropagation with finite differences.

:func:`numerical_gradient` estimates each partial derivative with the central difference

.. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon},

whose error shrinks like :math:`\varepsilon^2`. :func:`relative_error` says how far two
gradients are apart; below about 1e-7 is a match in float64, above 1e-2 is a bug.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Central-difference estimate of the gradient of the scalar function ``f`` at ``x``.

    ``x`` is changed in place one element at a time (``x[i] += eps``, ...) and restored
    before the function returns, so ``f`` may read ``x`` through a closure, e.g.
    ``numerical_gradient(lambda _: loss_fn(model(X), y), layer.weight.data)``.
    ``x`` must be a float array (float64 for accurate estimates).
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"numerical_gradient expected a float numpy array to perturb in place, got {got}"
        )
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        f_plus = float(f(x))
        x[i] = original - eps
        f_minus = float(f(x))
        x[i] = original  # restore
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    r"""Relative distance between two gradients: :math:`\lVert a - b\rVert / (\lVert a\rVert + \lVert b\rVert)`.

    0 when they are equal, 1 when they point in opposite directions; 0 when both are zero.
    Using norms (not element by element) keeps tiny entries from dominating.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error expected two arrays of the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)
