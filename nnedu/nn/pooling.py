"""Pooling layers (chapter 11): shrink each feature map by summarising windows.

``MaxPool2d`` keeps each window's largest value and sends the gradient back to it alone
(ties: the first maximum, as in PyTorch); ``AvgPool2d`` keeps the mean and shares the
gradient equally among the window. Neither has parameters.
"""

from __future__ import annotations

import numpy as np

from nnedu import convolution as conv
from nnedu.functional import pair
from nnedu.nn.conv import check_images, output_size
from nnedu.nn.module import Module, check_array, check_grad_shape, require_forward


class _Pool2d(Module):
    """Shared set-up of the pooling layers: window size, stride and input checks."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> None:
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride if stride is not None else kernel_size, "stride")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"{type(self).__name__} expected kernel_size and stride >= 1, "
                             f"got kernel_size={kernel_size!r}, stride={stride!r}")
        self._x: np.ndarray | None = None
        self._out: np.ndarray | None = None

    def _input(self, x: np.ndarray) -> np.ndarray:
        x = check_array(self, x)
        check_images(self, x)
        output_size(self, x, self.kernel_size, self.stride)
        return x

    def _delta(self, grad_output: np.ndarray) -> np.ndarray:
        out = require_forward(self, self._out)
        return check_grad_shape(self, grad_output, out.shape)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool2d):
    """``MaxPool2d(kernel_size, stride=None)``: the maximum of each window (stride defaults to the window)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = self._input(x)
        self._out = conv.max_pool2d(self._x, self.kernel_size, self.stride)
        return self._out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        delta, x, out = self._delta(grad_output), require_forward(self, self._x), require_forward(self, self._out)
        return conv.max_pool2d_backward(delta, x, out, self.kernel_size, self.stride)


class AvgPool2d(_Pool2d):
    """``AvgPool2d(kernel_size, stride=None)``: the mean of each window."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = self._input(x)
        self._out = conv.avg_pool2d(self._x, self.kernel_size, self.stride)
        return self._out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        delta, x = self._delta(grad_output), require_forward(self, self._x)
        shape = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return conv.avg_pool2d_backward(delta, shape, self.kernel_size, self.stride, x.dtype)
