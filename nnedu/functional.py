r"""Activation functions, softmax and their derivatives: pure numpy functions.

Every function takes an array ``z`` of pre-activations (any shape) and returns an
array of the same shape. The derivatives are written ``<name>_grad`` and give
:math:`g'(z)` element-wise, the factor that backpropagation multiplies by
(chapter 8, :math:`\delta = g'(z) \odot \partial L / \partial a`).

All of them are numerically stable: no overflow warning and no NaN for ``|z| = 1000``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import overload

import numpy as np

ArrayLike = np.ndarray | float


def as_float(z: ArrayLike) -> np.ndarray:
    """``z`` as a floating-point array: float32 stays float32, anything else becomes float64."""
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


def step(z: ArrayLike) -> np.ndarray:
    r"""Heaviside step: :math:`g(z) = 1` if :math:`z \ge 0`, else 0 (the threshold neuron)."""
    z = as_float(z)
    return (z >= 0).astype(z.dtype)


def step_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`step`: 0 everywhere it exists (undefined at z = 0).

    This is why a network of step units cannot learn by gradient descent: every
    gradient that passes through a step is multiplied by zero.
    """
    return np.zeros_like(as_float(z))


def sign(z: ArrayLike) -> np.ndarray:
    r"""Sign: :math:`+1` if :math:`z > 0`, :math:`-1` if :math:`z < 0`, 0 at 0 (as ``np.sign``)."""
    return np.sign(as_float(z))


def sign_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`sign`: 0 everywhere it exists (undefined at z = 0)."""
    return np.zeros_like(as_float(z))


def identity(z: ArrayLike) -> np.ndarray:
    r"""The linear activation :math:`g(z) = z`: a neuron with it is linear regression."""
    return as_float(z).copy()


def identity_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`identity`: 1 everywhere."""
    return np.ones_like(as_float(z))


def sigmoid(z: ArrayLike) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    Written as :math:`e^{z} / (1 + e^{z})` for negative ``z`` so that ``exp`` never
    overflows: both forms are the same function.
    """
    z = as_float(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: cannot overflow
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(z: ArrayLike) -> np.ndarray:
    r""":math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`, at most 1/4 (at z = 0)."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: ArrayLike) -> np.ndarray:
    r"""Hyperbolic tangent :math:`\tanh z = (e^{z} - e^{-z}) / (e^{z} + e^{-z}) = 2\sigma(2z) - 1`."""
    return np.tanh(as_float(z))


def tanh_grad(z: ArrayLike) -> np.ndarray:
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`, at most 1 (at z = 0)."""
    return 1.0 - np.tanh(as_float(z)) ** 2


def relu(z: ArrayLike) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(0, z)`."""
    return np.maximum(as_float(z), 0.0)


def relu_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of :func:`relu`: 1 where z > 0, else 0 (PyTorch's choice at the kink z = 0)."""
    z = as_float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: :math:`z` for :math:`z > 0`, :math:`\alpha z` otherwise (:math:`\alpha` = ``negative_slope``)."""
    z = as_float(z)
    return np.where(z > 0, z, negative_slope * z)


def leaky_relu_grad(z: ArrayLike, negative_slope: float = 0.01) -> np.ndarray:
    r"""Derivative of :func:`leaky_relu`: 1 where z > 0, else :math:`\alpha`."""
    z = as_float(z)
    return np.where(z > 0, 1.0, negative_slope).astype(z.dtype)


def softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``: :math:`\mathrm{softmax}(z)_i = e^{z_i} / \sum_j e^{z_j}`.

    Subtracting :math:`\max_j z_j` first changes nothing mathematically (it cancels in
    the fraction) but keeps every exponent :math:`\le 0`, so nothing overflows.
    """
    z = as_float(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Logarithm of :func:`softmax`, computed stably with the log-sum-exp trick:

    .. math:: \log \mathrm{softmax}(z)_i = (z_i - m) - \log \sum_j e^{z_j - m},
              \quad m = \max_j z_j.
    """
    z = as_float(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_backward(s: np.ndarray, grad_output: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Vector-Jacobian product of softmax, given its output ``s``.

    The Jacobian is :math:`\partial s_i / \partial z_j = s_i(\delta_{ij} - s_j)`, so for an
    upstream gradient :math:`g`: :math:`\partial L / \partial z = s \odot (g - \langle g, s \rangle)`.
    """
    return s * (grad_output - (grad_output * s).sum(axis=axis, keepdims=True))


def one_hot(labels: ArrayLike, num_classes: int, dtype: type | np.dtype = np.float64) -> np.ndarray:
    """Integer labels of shape (N,) to a float array (N, num_classes) with a single 1 per row."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"one_hot expected a 1-D array of integer labels, got shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot expected labels in 0..{num_classes - 1}, got values from "
            f"{labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "identity": (identity, identity_grad),
    "step": (step, step_grad),
    "sign": (sign, sign_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
}
"""Each element-wise activation by name, with its derivative: ``g, g_prime = ACTIVATIONS["relu"]``."""


def get_activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The activation called ``name`` (``"linear"`` is accepted for ``"identity"``)."""
    key = "identity" if name == "linear" else name
    if key not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)} or 'linear'"
        )
    return ACTIVATIONS[key][0]


def pair(value: int | tuple[int, ...] | list[int], name: str = "value") -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair ``(height, width)`` is kept: how every 2-D size is given."""
    both = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(both) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in both):
        raise ValueError(f"expected {name} to be an int or a pair of ints, got {value!r}")
    return int(both[0]), int(both[1])



@overload
def conv2d_output_size(size: int, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] = 1,
                       padding: int | tuple[int, int] = 0) -> int: ...
@overload
def conv2d_output_size(size: tuple[int, ...] | list[int], kernel_size: int | tuple[int, int],
                       stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0) -> tuple[int, int]: ...
def conv2d_output_size(
    size: int | tuple[int, ...] | list[int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> int | tuple[int, int]:
    r"""Output size of a convolution or pooling window (chapter 11):

    .. math:: n_\text{out} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1

    for an input of size ``n``, kernel ``k``, stride ``s`` and ``p`` zeros of padding on
    each side. Give ints for one dimension, or ``(height, width)`` pairs for two (the
    result is then a pair too).
    """
    as_pair = isinstance(size, (tuple, list))
    n, k = pair(size if isinstance(size, int) else tuple(size), "size"), pair(kernel_size, "kernel_size")
    s, p = pair(stride, "stride"), pair(padding, "padding")
    out = []
    for dim in range(2):
        if s[dim] < 1:
            raise ValueError(f"stride must be at least 1, got {stride!r}")
        if p[dim] < 0 or k[dim] < 1:
            raise ValueError(f"expected kernel_size >= 1 and padding >= 0, got kernel_size={kernel_size!r}, "
                             f"padding={padding!r}")
        padded = n[dim] + 2 * p[dim]
        if k[dim] > padded:
            raise ValueError(
                f"kernel of size {k[dim]} does not fit in an input of size {n[dim]} padded by "
                f"{p[dim]} on each side ({padded})"
            )
        out.append((padded - k[dim]) // s[dim] + 1)
    return (out[0], out[1]) if as_pair else out[0]
