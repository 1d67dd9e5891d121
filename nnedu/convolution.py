r"""Convolution and pooling as arithmetic on arrays (chapter 10), twice over.

Shapes follow PyTorch: images ``x`` are ``(N, C, H, W)`` (batch, channels, height,
width), filters ``weight`` are ``(O, C, kh, kw)`` (one filter of depth ``C`` per output
channel), ``bias`` is ``(O,)``. Every output pixel is "filter · sub-image":

.. math::
    \text{out}[n, o, i, j] = b_o + \sum_{c, u, v} w[o, c, u, v]\;
    x_\text{pad}[n, c,\; i s_h + u,\; j s_w + v].

1. The ``*_loop`` functions compute that sum with loops over output pixels, exactly as
   written, and their gradients the same way. They are for reading (and the exercises
   copy their shape).
2. The functions without ``_loop`` compute the same numbers fast, the way the layers
   do: cut every sub-image out at once into the columns of a matrix (*im2col*), then
   one matrix product with the filters. Backward is two more products and *col2im*,
   which adds each column back where its window came from. Python only loops over the
   ``kh × kw`` offsets inside a window, each step one slice of the whole batch, never
   over pixels or images. Pooling uses the same offset loop.

Both versions are checked against PyTorch by the same tests.
"""

from __future__ import annotations

import numpy as np

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


def max_pool2d_loop_backward(grad_output, x, kernel_size, stride=None) -> np.ndarray:
    """Gradient of :func:`max_pool2d_loop`: each window sends its gradient to its (first) maximum."""
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride if stride is not None else kernel_size, "stride")
    N, C, Ho, Wo = grad_output.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    u, v = np.unravel_index(np.argmax(window), window.shape)  # first max, row-major
                    dx[n, c, i * sh + u, j * sw + v] += grad_output[n, c, i, j]
    return dx


def avg_pool2d_loop(x, kernel_size, stride=None) -> np.ndarray:
    """Average pooling with loops: each output pixel is the mean of its window."""
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride if stride is not None else kernel_size, "stride")
    N, C, H, W = x.shape
    Ho, Wo = conv2d_output_size((H, W), (kh, kw), (sh, sw))
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw].mean(axis=(2, 3))
    return out


def avg_pool2d_loop_backward(grad_output, x_shape, kernel_size, stride=None) -> np.ndarray:
    """Gradient of :func:`avg_pool2d_loop`: each window shares its gradient equally among its entries."""
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride if stride is not None else kernel_size, "stride")
    Ho, Wo = grad_output.shape[2:]
    dx = np.zeros(x_shape, dtype=grad_output.dtype)
    for i in range(Ho):
        for j in range(Wo):
            dx[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += grad_output[:, :, i, j, None, None] / (kh * kw)
    return dx


# --- 2. fast: im2col and one matrix product -----------------------------------------
#
# Flatten the padded batch into one long row: image after image, channel after channel,
# pixel row after pixel row. The window of output pixel (i, j) starts at (i·s_h, j·s_w);
# its entry (u, v) sits u·W_p + v places further along the row. So the (u, v) entries of
# *every* window, of every channel and image, are one shifted slice of that row, read
# with the stride: cutting out all the windows takes kh·kw slice copies, not one per
# pixel. The slices also produce "windows" at the last positions of each row, where a
# window would run past the image's edge; those outputs are computed and thrown away.


def grid_shape(padded: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    """Window positions per padded image, one every stride step, edges included: ``ceil(H_p / s)``."""
    return -(-padded[0] // stride[0]), -(-padded[1] // stride[1])


def flat_row(padded_shape: tuple[int, ...], kernel: tuple[int, int], dtype) -> np.ndarray:
    """Zeros for the padded batch as one row, plus room after it for the last window's offsets."""
    N, C, Hp, Wp = padded_shape
    kh, kw = kernel
    return np.zeros(N * C * Hp * Wp + (kh - 1) * Wp + kw - 1, dtype=dtype)


def as_images(row: np.ndarray, padded_shape: tuple[int, ...], start: int = 0) -> np.ndarray:
    """The part of ``row`` from ``start`` on, seen as padded images ``(N, C, H_p, W_p)`` (a view)."""
    return row[start : start + int(np.prod(padded_shape))].reshape(padded_shape)


def shifted(row: np.ndarray, u: int, v: int, padded_shape: tuple[int, ...], stride) -> np.ndarray:
    """Entry ``(u, v)`` of every window: a view ``(N, C, grid_h, grid_w)`` of the flat row, no copy."""
    images = as_images(row, padded_shape, start=u * padded_shape[3] + v)
    return images[:, :, :: stride[0], :: stride[1]]


def im2col(x, kernel, stride, padding) -> np.ndarray:
    """Every sub-image as one column: ``(N, kh·kw·C, grid_h, grid_w)``, rows ordered (u, v, c)."""
    N, C, H, W = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    padded_shape = (N, C, H + 2 * ph, W + 2 * pw)
    row = flat_row(padded_shape, kernel, x.dtype)
    as_images(row, padded_shape)[:, :, ph : ph + H, pw : pw + W] = x
    gh, gw = grid_shape(padded_shape[2:], stride)
    cols = np.empty((N, kh * kw, C, gh, gw), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            cols[:, u * kw + v] = shifted(row, u, v, padded_shape, stride)
    return cols.reshape(N, kh * kw * C, gh, gw)


def col2im(dcols, x_shape, kernel, stride, padding) -> np.ndarray:
    """The adjoint of :func:`im2col`: add each column back onto the pixels its window covers."""
    N, C, H, W = x_shape
    (kh, kw), (ph, pw) = kernel, padding
    padded_shape = (N, C, H + 2 * ph, W + 2 * pw)
    dcols = dcols.reshape(N, kh * kw, C, *dcols.shape[2:])
    row = flat_row(padded_shape, kernel, dcols.dtype)
    for u in range(kh):
        for v in range(kw):
            shifted(row, u, v, padded_shape, stride)[...] += dcols[:, u * kw + v]  # windows overlap: add
    return unpad(as_images(row, padded_shape), padding)


def filters_as_rows(weight: np.ndarray) -> np.ndarray:
    """The filters ``(O, C, kh, kw)`` as an ``(O, kh·kw·C)`` matrix, in the order of :func:`im2col`'s rows."""
    return weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1)


def conv2d(x, weight, bias=None, stride=1, padding=0) -> np.ndarray:
    """Convolution as one matrix product per image: ``filters_as_rows(weight) @ im2col(x) + bias``."""
    out, _ = conv2d_forward(x, weight, bias, _pair(stride, "stride"), _pair(padding, "padding"))
    return out


def conv2d_forward(x, weight, bias, stride, padding):
    """:func:`conv2d` that also returns the columns, which the backward pass reuses."""
    N, C, H, W = x.shape
    O, _, kh, kw = weight.shape
    Ho, Wo = conv2d_output_size((H, W), (kh, kw), stride, padding)
    cols = im2col(x, (kh, kw), stride, padding)                   # (N, kh·kw·C, gh, gw)
    gh, gw = cols.shape[2:]
    out = np.matmul(filters_as_rows(weight), cols.reshape(N, -1, gh * gw))   # every dot product
    out = out.reshape(N, O, gh, gw)[:, :, :Ho, :Wo]                # drop the windows past the edge
    if bias is None:
        return np.ascontiguousarray(out), cols
    return out + bias[:, None, None], cols


def conv2d_backward(grad_output, x_shape, cols, weight, stride, padding):
    """Gradients of :func:`conv2d`: ``(dL/dx, dL/dweight, dL/dbias)``, chapter 10's three products.

    With ``δ`` the output gradient of each image as an ``(O, pixels)`` matrix and ``F`` the
    filters as rows: ``dF = Σₙ δ colsᵀ``, ``db = Σ δ``, and ``d cols = Fᵀ δ``, which
    :func:`col2im` adds back onto the input pixels each window covered. The windows past
    the edge get ``δ = 0``, so they contribute nothing.
    """
    N, O, Ho, Wo = grad_output.shape
    C, kh, kw = weight.shape[1:]
    gh, gw = cols.shape[2:]
    delta = np.zeros((N, O, gh, gw), dtype=grad_output.dtype)
    delta[:, :, :Ho, :Wo] = grad_output
    delta = delta.reshape(N, O, gh * gw)
    cols = cols.reshape(N, -1, gh * gw)
    d_filters = np.matmul(delta, cols.transpose(0, 2, 1)).sum(axis=0)          # (O, kh·kw·C)
    dw = d_filters.reshape(O, kh, kw, C).transpose(0, 3, 1, 2)
    db = grad_output.sum(axis=(0, 2, 3))
    dcols = np.matmul(filters_as_rows(weight).T, delta).reshape(N, -1, gh, gw)  # (N, kh·kw·C, gh, gw)
    dx = col2im(dcols, x_shape, (kh, kw), stride, padding)
    return dx, np.ascontiguousarray(dw), db


# --- pooling: a loop over the kh·kw offsets inside a window, never over pixels ---


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
