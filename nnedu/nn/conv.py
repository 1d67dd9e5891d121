r"""The convolutional layer (chapter 10): ``Conv2d``, as in ``torch.nn``.

Forward, for each output channel ``o`` (one filter per output channel):
:math:`\text{out}[n, o] = b_o + \sum_c w[o, c] \star x[n, c]`, computed as one matrix
product of the filters with every sub-image (see :mod:`nnedu.convolution`). Backward:
:math:`\partial L/\partial w = \delta^\top \text{cols}`, :math:`\partial L/\partial b = \sum \delta`,
and the input gradient is :math:`\delta W` added back window by window.
"""

from __future__ import annotations

import numpy as np

from nnedu import convolution as conv
from nnedu.functional import _pair, conv2d_output_size
from nnedu.nn.module import Module, Parameter, check_array, check_grad_shape, require_forward
from nnedu.random import default_rng


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


def output_size(layer: Module, x: np.ndarray, kernel, stride, padding=(0, 0)) -> tuple[int, int]:
    """:func:`conv2d_output_size`, with an error that names the layer and the input."""
    try:
        return conv2d_output_size(x.shape[2:], kernel, stride, padding)
    except ValueError as exc:
        raise ValueError(f"{layer!r} cannot be applied to input of shape {x.shape}: {exc}") from None


class Conv2d(Module):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0)``.

    ``weight`` is ``(out_channels, in_channels, kh, kw)`` and ``bias`` ``(out_channels,)``,
    both initialised uniform in :math:`\\pm 1/\\sqrt{\\text{in\\_channels} \\cdot kh \\cdot kw}`
    as in PyTorch.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        rng: np.random.Generator | None = None,
        dtype: type = np.float64,
    ) -> None:
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Conv2d expected {name} to be a positive integer, got {value!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(
                f"Conv2d expected kernel_size >= 1, stride >= 1 and padding >= 0, got "
                f"kernel_size={kernel_size!r}, stride={stride!r}, padding={padding!r}"
            )
        rng = rng if rng is not None else default_rng()
        kh, kw = self.kernel_size
        bound = 1.0 / np.sqrt(in_channels * kh * kw)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_channels, in_channels, kh, kw)), dtype)
        self.bias = Parameter(rng.uniform(-bound, bound, out_channels), dtype) if bias else None
        self._cache: tuple | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_array(self, x)
        check_images(self, x, self.in_channels)
        output_size(self, x, self.kernel_size, self.stride, self.padding)
        bias = self.bias.data if self.bias is not None else None
        out, cols = conv.conv2d_forward(x, self.weight.data, bias, self.stride, self.padding)
        self._cache = (x.shape, cols)
        return out

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        require_forward(self, self._cache)
        x_shape, cols = self._cache
        N, _, H, W = x_shape
        Ho, Wo = conv2d_output_size((H, W), self.kernel_size, self.stride, self.padding)
        delta = check_grad_shape(self, grad_output, (N, self.out_channels, Ho, Wo))
        dx, dw, db = conv.conv2d_backward(delta, x_shape, cols, self.weight.data, self.stride, self.padding)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")
