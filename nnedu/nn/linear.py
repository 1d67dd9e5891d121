r"""The fully connected layer :math:`y = x W^\top + b` (chapter 3, matrix form).

Rows of ``x`` are samples, so for a mini-batch ``x`` of shape ``(N, in_features)``
the output is ``(N, out_features)``. The gradients (chapter 8, matrix form) are

.. math::
    \frac{\partial L}{\partial W} = \delta^\top x, \qquad
    \frac{\partial L}{\partial b} = \sum_n \delta_n, \qquad
    \frac{\partial L}{\partial x} = \delta\, W,

where :math:`\delta = \partial L / \partial y` is ``grad_output``.
"""

from __future__ import annotations

import math

import numpy as np

from nnedu.nn import init
from nnedu.nn.module import Module, Parameter, check_array, check_grad_shape, require_forward


class Linear(Module):
    """``Linear(in_features, out_features)``: weight ``(out, in)``, bias ``(out,)``, as in PyTorch.

    Initialisation is PyTorch's, so the two start from the same distribution: the weight
    by ``init.kaiming_uniform_(weight, a=sqrt(5))``, which works out to uniform on
    :math:`\\pm 1/\\sqrt{\\text{in\\_features}}` (gain :math:`\\sqrt{2/(1+5)}` times
    :math:`\\sqrt{3/\\text{fan\\_in}}`), and the bias uniform on the same interval. That
    keeps :math:`\\mathrm{Var}(z)` about a third of the input's; for deep ReLU networks
    re-initialise with ``init.kaiming_normal_``. Draws come from ``rng``
    (default: the package generator, see ``nnedu.manual_seed``).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | None = None,
        dtype: type = np.float64,
    ) -> None:
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Linear expected {name} to be a positive integer, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features)), dtype)
        self.bias = Parameter(np.empty(out_features), dtype) if bias else None
        self.reset_parameters(rng)
        self._x: np.ndarray | None = None

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound, rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_array(self, x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            got = x.shape[-1] if x.ndim else "a scalar"
            raise ValueError(
                f"{self!r} expected input with {self.in_features} features in its last "
                f"dimension, got an array of shape {x.shape} with {got}"
            )
        self._x = x
        y = x @ self.weight.data.T  # (N, in) @ (in, out) -> (N, out)
        if self.bias is not None:
            y = y + self.bias.data
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = require_forward(self, self._x)
        delta = check_grad_shape(self, grad_output, x.shape[:-1] + (self.out_features,))
        x2 = x.reshape(-1, self.in_features)  # any leading dims are samples
        d2 = delta.reshape(-1, self.out_features)
        self.weight.grad += d2.T @ x2  # dL/dW = delta^T x
        if self.bias is not None:
            self.bias.grad += d2.sum(axis=0)  # dL/db = sum over samples of delta
        return delta @ self.weight.data  # dL/dx = delta W

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
