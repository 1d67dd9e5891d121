r"""Convolution and pooling as arithmetic on arrays (chapter 10), twice over.

Shapes follow PyTorch: images ``x`` are ``(N, C, H, W)`` (batch, channels, height,
width), filters ``weight`` are ``(O, C, kh, kw)`` (one filter of depth ``C`` per output
channel), ``bias`` is ``(O,)``. Every output pixel is "filter · sub-image":

.. math::
    \text{out}[n, o, i, j] = b_o + \sum_{c, u, v} w[o, c, u, v]\;
    x_\text{pad}[n, c,\; i s_h + u,\; j s_w + v].

1. The ``*_loop`` functions compute that sum with loops over output pixels, exactly as
   written. They are for reading (and the exercises copy their shape).
2. The functions without ``_loop`` compute the same numbers fast, the way the layers
   do: cut every window out at once (*im2col*), then one matrix product. The input
   gradient of a convolution is again a convolution (of the output gradient with the
   flipped filters), so it reuses the same code. Pooling loops over the ``kh × kw``
   offsets inside a window, each step one strided slice of the whole batch, never
   over pixels or images.

Both versions are checked against PyTorch by the same tests.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnedu.functional import _pair, conv2d_output_size


def pad(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Add ``padding`` rows/columns of zeros around the two last axes of ``x``."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def unpad(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Inverse of :func:`pad`: drop the border again."""
    ph, pw = padding
    return x[:, :, ph : x.shape[2] - ph, pw : x.shape[3] - pw]


# --- 1. loops: the equation as written ----------------------------------------------


def conv2d_loop(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """Convolution with loops over images, filters and output pixels: filter · sub-image."""
    (sh, sw), (ph, pw) = _pair(stride, "stride"), _pair(padding, "padding")
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    Ho, Wo = conv2d_output_size((H, W), (kh, kw), (sh, sw), (ph, pw))
    xp = pad(x, (ph, pw))
    out = np.zeros((N, O, Ho, Wo), dtype=np.result_type(x, weight))
    for n in range(N):
        for o in range(O):
            for i in range(Ho):
                for j in range(Wo):
                    sub_image = xp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    out[n, o, i, j] = np.sum(weight[o] * sub_image)
            if bias is not None:
                out[n, o] += bias[o]
    return out


def conv2d_loop_backward(grad_output, x, weight, stride=1, padding=0):
    """Gradients of :func:`conv2d_loop`: returns ``(dL/dx, dL/dweight, dL/dbias)``.

    Each output pixel was ``weight[o] · sub_image``, so its gradient ``g`` flows back
    as ``g * sub_image`` into the filter and ``g * weight[o]`` into the sub-image.
    """
    (sh, sw), (ph, pw) = _pair(stride, "stride"), _pair(padding, "padding")
    N, O, Ho, Wo = grad_output.shape
    kh, kw = weight.shape[2:]
    xp = pad(x, (ph, pw))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(weight)
    for n in range(N):
        for o in range(O):
            for i in range(Ho):
                for j in range(Wo):
                    g = grad_output[n, o, i, j]
                    window = (n, slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
                    dw[o] += g * xp[window]
                    dxp[window] += g * weight[o]
    return unpad(dxp, (ph, pw)), dw, grad_output.sum(axis=(0, 2, 3))


def max_pool2d_loop(x, kernel_size, stride=None) -> np.ndarray:
    """Max pooling with loops: each output pixel is the largest value of its window."""
    (kh, kw) = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride if stride is not None else kernel_size, "stride")
    N, C, H, W = x.shape
    Ho, Wo = conv2d_output_size((H, W), (kh, kw), (sh, sw))
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw].max(axis=(2, 3))
    return out


# --- 2. fast: im2col and one matrix product -----------------------------------------


def windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """Every ``kh × kw`` window of ``x``: a view of shape ``(N, C, Ho, Wo, kh, kw)``, no copy."""
    view = sliding_window_view(x, kernel, axis=(2, 3))
    return view[:, :, :: stride[0], :: stride[1]]


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    """For each image, one column per output pixel holding its sub-image: ``(N, C·kh·kw, Ho·Wo)``."""
    w = windows(x, kernel, stride)                        # (N, C, Ho, Wo, kh, kw), a view
    N, C, Ho, Wo, kh, kw = w.shape
    return w.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kh * kw, Ho * Wo)   # the one copy


def conv2d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """Convolution as one matrix product per image: ``weight.reshape(O, -1) @ im2col(x) + bias``."""
    out, _ = conv2d_forward(x, weight, bias, _pair(stride, "stride"), _pair(padding, "padding"))
    return out


def conv2d_forward(x, weight, bias, stride, padding):
    """:func:`conv2d` that also returns the im2col matrix, which the backward pass reuses."""
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    Ho, Wo = conv2d_output_size((H, W), (kh, kw), stride, padding)
    cols = im2col(pad(x, padding), (kh, kw), stride)          # (N, C·kh·kw, Ho·Wo)
    out = np.matmul(weight.reshape(O, -1), cols)              # (N, O, Ho·Wo): every dot product
    if bias is not None:
        out += bias[:, None]
    return out.reshape(N, O, Ho, Wo), cols


def conv2d_backward(grad_output, x_shape, cols, weight, stride, padding):
    """Gradients of :func:`conv2d`: ``(dL/dx, dL/dweight, dL/dbias)``.

    With ``δ`` the output gradient of each image as an ``(O, Ho·Wo)`` matrix,
    ``dW = Σₙ δ colsᵀ``. The input gradient is itself a convolution: each input pixel
    collects ``δ · w`` from every window it was part of, which is the *full* convolution
    of ``δ`` (spread out by the stride) with the filters flipped and their in/out
    channels swapped.
    """
    N, O, Ho, Wo = grad_output.shape
    C, kh, kw = weight.shape[1:]
    (sh, sw), (ph, pw) = stride, padding
    delta = grad_output.reshape(N, O, Ho * Wo)
    dw = np.matmul(delta, cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    db = delta.sum(axis=(0, 2))
    Hp, Wp = x_shape[2] + 2 * ph, x_shape[3] + 2 * pw
    spread = np.zeros((N, O, Hp + kh - 1, Wp + kw - 1), dtype=grad_output.dtype)
    spread[:, :, kh - 1 : kh - 1 + sh * Ho : sh, kw - 1 : kw - 1 + sw * Wo : sw] = grad_output
    flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, O, kh, kw)
    dx_padded, _ = conv2d_forward(spread, np.ascontiguousarray(flipped), None, (1, 1), (0, 0))
    return unpad(dx_padded, padding), dw, db


def offsets(kernel: tuple[int, int]):
    """The ``kh·kw`` positions ``(k, u, v)`` inside a window, in row-major order."""
    kh, kw = kernel
    return [(u * kw + v, u, v) for u in range(kh) for v in range(kw)]


def window_slice(u: int, v: int, out_shape: tuple[int, int], stride: tuple[int, int]):
    """The entries at offset ``(u, v)`` of every window, as one strided slice of the image."""
    (Ho, Wo), (sh, sw) = out_shape, stride
    return (slice(None), slice(None), slice(u, u + sh * Ho, sh), slice(v, v + sw * Wo, sw))


def max_pool2d(x, kernel, stride) -> np.ndarray:
    """Max pooling: the largest entry of each window, one window offset at a time."""
    out_shape = conv2d_output_size(x.shape[2:], kernel, stride)
    best = x[window_slice(0, 0, out_shape, stride)].copy()
    for _, u, v in offsets(kernel)[1:]:
        np.maximum(best, x[window_slice(u, v, out_shape, stride)], out=best)
    return best


def max_pool2d_backward(grad_output, x, out, kernel, stride):
    """Each window's gradient goes to the entry that equals its maximum; overlapping windows add up.

    Visiting the offsets in row-major order and marking windows already served sends a
    tie's gradient to its first maximum only, as PyTorch does.
    """
    dx = np.zeros_like(x)
    served = np.zeros(out.shape, dtype=bool)
    for _, u, v in offsets(kernel):
        where = window_slice(u, v, out.shape[2:], stride)
        winner = (x[where] == out) & ~served
        served |= winner
        dx[where] += grad_output * winner
    return dx


def avg_pool2d(x, kernel, stride) -> np.ndarray:
    """Average pooling: the mean of each window."""
    out_shape = conv2d_output_size(x.shape[2:], kernel, stride)
    total = sum(x[window_slice(u, v, out_shape, stride)] for _, u, v in offsets(kernel))
    return total / (kernel[0] * kernel[1])


def avg_pool2d_backward(grad_output, x_shape, kernel, stride, dtype):
    """Each window's gradient is shared equally by its ``kh·kw`` entries."""
    share = (grad_output / (kernel[0] * kernel[1])).astype(dtype, copy=False)
    dx = np.zeros(x_shape, dtype=dtype)
    for _, u, v in offsets(kernel):
        dx[window_slice(u, v, grad_output.shape[2:], stride)] += share
    return dx
