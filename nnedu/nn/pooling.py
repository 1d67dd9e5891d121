"""Pooling layers (chapter 10): shrink each feature map by summarising windows.

``MaxPool2d`` keeps each window's largest value and sends the gradient back to it alone
(ties: the first maximum, as in PyTorch); ``AvgPool2d`` keeps the mean and shares the
gradient equally among the window. Neither has parameters.
"""

from __future__ import annotations

import numpy as np

from nnedu import convolution as conv
from nnedu.functional import _pair
from nnedu.nn.conv import check_images, output_size
from nnedu.nn.module import Module, check_array, check_grad_shape, require_forward


class _Pool2d(Module):
    """Shared set-up of the pooling layers: window size, stride and input checks."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None) -> None:
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride if stride is not None else kernel_size, "stride")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"{type(self).__name__} expected kernel_size and stride >= 1, "
                             f"got kernel_size={kernel_size!r}, stride={stride!r}")
        self._cache: tuple | None = None

    def _input(self, x: np.ndarray) -> np.ndarray:
        x = check_array(self, x)
        check_images(self, x)
        output_size(self, x, self.kernel_size, self.stride)
        return x

    def _grad_output(self, grad_output: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
        require_forward(self, self._cache)
        x_shape = self._cache[0]
        Ho, Wo = (x_shape[2] - self.kernel_size[0]) // self.stride[0] + 1, (x_shape[3] - self.kernel_size[1]) // self.stride[1] + 1
        return check_grad_shape(self, grad_output, x_shape[:2] + (Ho, Wo)), x_shape

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool2d):
    """``MaxPool2d(kernel_size, stride=None)``: the maximum of each window (stride defaults to the window)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._input(x)
        out = conv.max_pool2d(x, self.kernel_size, self.stride)
        self._cache = (x.shape, x, out)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        delta, x_shape = self._grad_output(grad_output)
        _, x, out = self._cache
        return conv.max_pool2d_backward(delta, x, out, self.kernel_size, self.stride)


class AvgPool2d(_Pool2d):
    """``AvgPool2d(kernel_size, stride=None)``: the mean of each window."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._input(x)
        self._cache = (x.shape, x.dtype)
        return conv.avg_pool2d(x, self.kernel_size, self.stride)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        delta, x_shape = self._grad_output(grad_output)
        return conv.avg_pool2d_backward(delta, x_shape, self.kernel_size, self.stride, self._cache[1])
