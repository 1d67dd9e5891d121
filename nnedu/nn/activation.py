r"""Activation layers: an element-wise :math:`a = g(z)`, and backward
:math:`\partial L/\partial z = g'(z) \odot \partial L/\partial a` (chapter 8, BP2).

Each layer wraps a function of :mod:`nnedu.functional` and its derivative; the
maths lives there, once.
"""

from __future__ import annotations

import numpy as np

from nnedu import functional as F
from nnedu.nn.module import Module, check_array, check_grad_shape, require_forward


class _Elementwise(Module):
    """``forward`` remembers ``z``; ``backward`` multiplies by ``g'(z)`` (chapter 8)."""

    def __init__(self) -> None:
        self._z: np.ndarray | None = None

    def g(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def g_prime(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = check_array(self, z)
        self._z = z
        return self.g(z).astype(z.dtype, copy=False)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        z = require_forward(self, self._z)
        grad_output = check_grad_shape(self, grad_output, z.shape)
        return grad_output * self.g_prime(z).astype(z.dtype, copy=False)   # dL/dz = g'(z) * dL/da


class ReLU(_Elementwise):
    r""":math:`\max(0, z)`; gradient 1 where :math:`z > 0`, else 0."""

    def g(self, z: np.ndarray) -> np.ndarray:
        return F.relu(z)

    def g_prime(self, z: np.ndarray) -> np.ndarray:
        return F.relu_grad(z)


class Sigmoid(_Elementwise):
    r""":math:`\sigma(z) = 1/(1+e^{-z})`; gradient :math:`\sigma(z)(1-\sigma(z))`."""

    def g(self, z: np.ndarray) -> np.ndarray:
        return F.sigmoid(z)

    def g_prime(self, z: np.ndarray) -> np.ndarray:
        return F.sigmoid_grad(z)


class Tanh(_Elementwise):
    r""":math:`\tanh z`; gradient :math:`1 - \tanh^2 z`."""

    def g(self, z: np.ndarray) -> np.ndarray:
        return F.tanh(z)

    def g_prime(self, z: np.ndarray) -> np.ndarray:
        return F.tanh_grad(z)


class LeakyReLU(_Elementwise):
    r""":math:`z` for :math:`z > 0`, else :math:`\alpha z` (``negative_slope``, default 0.01 as in PyTorch)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def g(self, z: np.ndarray) -> np.ndarray:
        return F.leaky_relu(z, self.negative_slope)

    def g_prime(self, z: np.ndarray) -> np.ndarray:
        return F.leaky_relu_grad(z, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Identity(_Elementwise):
    """Passes its input through unchanged (the linear activation)."""

    def g(self, z: np.ndarray) -> np.ndarray:
        return F.identity(z)

    def g_prime(self, z: np.ndarray) -> np.ndarray:
        return F.identity_grad(z)


class Step(Module):
    """Heaviside step, 1 where z >= 0: forward only.

    Its derivative is 0 wherever it exists, so ``backward`` refuses to run rather than
    silently return zeros that would stop all learning.
    """

    def forward(self, z: np.ndarray) -> np.ndarray:
        return F.step(check_array(self, z))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise RuntimeError(
            "Step has no useful gradient: its derivative is 0 everywhere except at z = 0, "
            "where it does not exist, so backpropagation through it would multiply every "
            "gradient by zero and nothing before it could learn. Use Sigmoid (a smooth "
            "step) or ReLU to train with gradient descent, or the perceptron rule "
            "(nnedu.Perceptron) for a single threshold unit."
        )


class Softmax(Module):
    r"""Softmax along ``dim`` (default: the last, one distribution per row).

    ``backward`` applies the softmax Jacobian: :math:`s \odot (g - \langle g, s\rangle)`.
    For classification prefer :class:`~nnedu.nn.CrossEntropyLoss` on the logits, which
    fuses softmax and the log and is stabler.
    """

    def __init__(self, dim: int = -1) -> None:
        self.dim = dim
        self._s: np.ndarray | None = None

    def forward(self, z: np.ndarray) -> np.ndarray:
        z = check_array(self, z)
        self._s = F.softmax(z, axis=self.dim).astype(z.dtype, copy=False)
        return self._s

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        s = require_forward(self, self._s)
        grad_output = check_grad_shape(self, grad_output, s.shape)
        return F.softmax_backward(s, grad_output, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
