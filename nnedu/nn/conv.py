r"""The convolutional layer (chapter 11): ``Conv2d``, as in ``torch.nn``.

Forward, for each output channel ``o`` (one filter per output channel):
:math:`\text{out}[n, o] = b_o + \sum_c w[o, c] \star x[n, c]`, computed as one matrix
product of the filters with every sub-image (see :mod:`nnedu.convolution`). Backward:
:math:`\partial L/\partial w = \delta^\top \text{cols}`, :math:`\partial L/\partial b = \sum \delta`,
and the input gradient is :math:`\delta W` added back window by window.
"""

from __future__ import annotations

import math

import numpy as np

from nnedu import convolution as conv
from nnedu.functional import conv2d_output_size, pair
from nnedu.nn import init
from nnedu.nn.module import Module, Parameter, check_array, check_grad_shape, require_forward


def check_images(layer: Module, x: np.ndarray, channels: int | None = None) -> None:
    """``x`` must be a batch of images ``(N, C, H, W)`` with the layer's ``C``."""
    if x.ndim != 4:
        raise ValueError(
            f"{layer!r} expected a batch of images of shape (N, C, H, W), got an array of "
            f"shape {x.shape} ({x.ndim} dimensions); for one image use x[None], for grey "
            f"images of shape (N, H, W) use x[:, None]"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{layer!r} expected {channels} input channels, got input of shape {x.shape} "
            f"with {x.shape[1]}"
        )


def output_size(layer: Module, x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """:func:`conv2d_output_size`, with an error that names the layer and the input."""
    try:
        return conv2d_output_size(x.shape[2:], kernel, stride, padding)
    except ValueError as exc:
        raise ValueError(f"{layer!r} cannot be applied to input of shape {x.shape}: {exc}") from None


class Conv2d(Module):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0)``.

    ``weight`` is ``(out_channels, in_channels, kh, kw)`` and ``bias`` ``(out_channels,)``.
    ``padding`` is a number of zeros on each side, or ``"valid"`` (none) or ``"same"``
    (stride 1 only: as many as keep the output the size of the input; for an even kernel
    the extra row and column go at the bottom and right, as in PyTorch).

    Initialisation is PyTorch's: ``init.kaiming_uniform_(weight, a=sqrt(5))``, i.e. uniform
    on :math:`\\pm 1/\\sqrt{\\text{fan\\_in}}` with fan-in :math:`C \\cdot kh \\cdot kw`,
    and the bias uniform on the same interval (see :class:`~nnedu.nn.Linear`).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        bias: bool = True,
        rng: np.random.Generator | None = None,
        dtype: type = np.float64,
    ) -> None:
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Conv2d expected {name} to be a positive integer, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(f"Conv2d expected kernel_size >= 1 and stride >= 1, got "
                             f"kernel_size={kernel_size!r}, stride={stride!r}")
        self.padding: tuple[int, int] | str = padding if isinstance(padding, str) else pair(padding, "padding")
        self._pad, self._extra = self._padding_per_side(self.padding)
        self.weight = Parameter(np.empty((out_channels, in_channels, *self.kernel_size)), dtype)
        self.bias = Parameter(np.empty(out_channels), dtype) if bias else None
        self.reset_parameters(rng)
        self._x_shape: tuple[int, int, int, int] | None = None   # the (padded) input's shape
        self._cols: np.ndarray | None = None                     # every sub-image, for backward

    def reset_parameters(self, rng: np.random.Generator | None = None) -> None:
        """PyTorch's default initialisation (see the class docstring)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
            init.uniform_(self.bias, -bound, bound, rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_array(self, x)
        check_images(self, x, self.in_channels)
        if self._extra != (0, 0):  # "same" with an even kernel: one more zero at the bottom/right
            x = np.pad(x, ((0, 0), (0, 0), (0, self._extra[0]), (0, self._extra[1])))
        output_size(self, x, self.kernel_size, self.stride, self._pad)
        bias = self.bias.data if self.bias is not None else None
        out, self._cols = conv.conv2d_forward(x, self.weight.data, bias, self.stride, self._pad)
        self._x_shape = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x_shape, cols = require_forward(self, self._x_shape), require_forward(self, self._cols)
        Ho, Wo = conv2d_output_size(x_shape[2:], self.kernel_size, self.stride, self._pad)
        delta = check_grad_shape(self, grad_output, (x_shape[0], self.out_channels, Ho, Wo))
        dx, dw, db = conv.conv2d_backward(delta, x_shape, cols, self.weight.data, self.stride, self._pad)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx[:, :, : x_shape[2] - self._extra[0], : x_shape[3] - self._extra[1]]

    def _padding_per_side(self, padding: tuple[int, int] | str) -> tuple[tuple[int, int], tuple[int, int]]:
        """``(zeros on each side, extra zeros at the bottom/right)`` for each of the two axes."""
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1 (the output of a strided "
                                 f"convolution cannot keep the input's size), got stride={self.stride}")
            total = (self.kernel_size[0] - 1, self.kernel_size[1] - 1)
            return (total[0] // 2, total[1] // 2), (total[0] % 2, total[1] % 2)
        if isinstance(padding, str):
            raise ValueError(f"Conv2d expected padding to be an int, a pair, 'valid' or 'same', got {padding!r}")
        if min(padding) < 0:
            raise ValueError(f"Conv2d expected padding >= 0, got padding={padding!r}")
        return padding, (0, 0)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")
