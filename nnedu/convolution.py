r"""Convolution and pooling as arithmetic on arrays (chapter 11), twice over.

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

from nnedu.functional import conv2d_output_size, pair

Pair = tuple[int, int]
Size = int | tuple[int, int]
Shape4 = tuple[int, int, int, int]


def pad(x: np.ndarray, padding: Pair) -> np.ndarray:
    """Add ``padding`` rows/columns of zeros around the two last axes of ``x``."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def unpad(x: np.ndarray, padding: Pair) -> np.ndarray:
    """Inverse of :func:`pad`: drop the border again."""
    ph, pw = padding
    return x[:, :, ph : x.shape[2] - ph, pw : x.shape[3] - pw]


# --- 1. loops: the equation as written ----------------------------------------------


def conv2d_loop(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                stride: Size = 1, padding: Size = 0) -> np.ndarray:
    """Convolution with loops over images, filters and output pixels: filter · sub-image."""
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
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


def conv2d_loop_backward(grad_output: np.ndarray, x: np.ndarray, weight: np.ndarray, stride: Size = 1,
                         padding: Size = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d_loop`: returns ``(dL/dx, dL/dweight, dL/dbias)``.

    Each output pixel was ``weight[o] · sub_image``, so its gradient ``g`` flows back
    as ``g * sub_image`` into the filter and ``g * weight[o]`` into the sub-image.
    """
    (sh, sw), (ph, pw) = pair(stride, "stride"), pair(padding, "padding")
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


def max_pool2d_loop(x: np.ndarray, kernel_size: Size, stride: Size | None = None) -> np.ndarray:
    """Max pooling with loops: each output pixel is the largest value of its window."""
    (kh, kw) = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None else kernel_size, "stride")
    N, C, H, W = x.shape
    Ho, Wo = conv2d_output_size((H, W), (kh, kw), (sh, sw))
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw].max(axis=(2, 3))
    return out


def max_pool2d_loop_backward(grad_output: np.ndarray, x: np.ndarray, kernel_size: Size,
                             stride: Size | None = None) -> np.ndarray:
    """Gradient of :func:`max_pool2d_loop`: each window sends its gradient to its (first) maximum."""
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None else kernel_size, "stride")
    N, C, Ho, Wo = grad_output.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    nans = np.flatnonzero(np.isnan(window))   # as torch: a NaN is the max, the last one
                    k = nans[-1] if nans.size else np.argmax(window)  # else the first max, row-major
                    u, v = np.unravel_index(k, window.shape)
                    dx[n, c, i * sh + u, j * sw + v] += grad_output[n, c, i, j]
    return dx


def avg_pool2d_loop(x: np.ndarray, kernel_size: Size, stride: Size | None = None) -> np.ndarray:
    """Average pooling with loops: each output pixel is the mean of its window."""
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None else kernel_size, "stride")
    N, C, H, W = x.shape
    Ho, Wo = conv2d_output_size((H, W), (kh, kw), (sh, sw))
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw].mean(axis=(2, 3))
    return out


def avg_pool2d_loop_backward(grad_output: np.ndarray, x_shape: Shape4, kernel_size: Size,
                             stride: Size | None = None) -> np.ndarray:
    """Gradient of :func:`avg_pool2d_loop`: each window shares its gradient equally among its entries."""
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None else kernel_size, "stride")
    Ho, Wo = grad_output.shape[2:]
    dx = np.zeros(x_shape, dtype=grad_output.dtype)
    for i in range(Ho):
        for j in range(Wo):
            dx[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += grad_output[:, :, i, j, None, None] / (kh * kw)
    return dx


# --- 2. fast: im2col, one matrix product, col2im ------------------------------------


def window_slice(u: int, v: int, out_shape: Pair, stride: Pair) -> tuple[slice, slice, slice, slice]:
    """Entry ``(u, v)`` of every window at once: one strided slice ``(N, C, Ho, Wo)`` of the image."""
    (Ho, Wo), (sh, sw) = out_shape, stride
    return (slice(None), slice(None), slice(u, u + sh * Ho, sh), slice(v, v + sw * Wo, sw))


def im2col(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """Every sub-image as one column: ``(N, kh·kw·C, Ho·Wo)``, rows in the order ``(u, v, c)``.

    Row block ``(u, v)`` holds entry ``(u, v)`` of every window, which is one strided slice
    of the padded batch, so ``kh·kw`` copies cut out all the windows.
    """
    (kh, kw), out_shape = kernel, conv2d_output_size(x.shape[2:], kernel, stride, padding)
    xp = pad(x, padding)
    cols = np.empty((x.shape[0], kh, kw, x.shape[1], *out_shape), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            cols[:, u, v] = xp[window_slice(u, v, out_shape, stride)]
    return cols.reshape(x.shape[0], kh * kw * x.shape[1], out_shape[0] * out_shape[1])


def filters_as_rows(weight: np.ndarray) -> np.ndarray:
    """The filters ``(O, C, kh, kw)`` as an ``(O, kh·kw·C)`` matrix, in the order of :func:`im2col`'s rows."""
    return weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1)


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride: Size = 1,
           padding: Size = 0) -> np.ndarray:
    """Convolution as one matrix product per image: ``filters_as_rows(weight) @ im2col(x) + bias``."""
    out, _ = conv2d_forward(x, weight, bias, pair(stride, "stride"), pair(padding, "padding"))
    return out


def conv2d_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: Pair,
                   padding: Pair) -> tuple[np.ndarray, np.ndarray]:
    """:func:`conv2d` that also returns the columns, which the backward pass reuses."""
    N, O = x.shape[0], weight.shape[0]
    Ho, Wo = conv2d_output_size(x.shape[2:], weight.shape[2:], stride, padding)
    cols = im2col(x, weight.shape[2:], stride, padding)           # (N, kh·kw·C, Ho·Wo)
    out = np.matmul(filters_as_rows(weight), cols)                # (N, O, Ho·Wo): every dot product
    if bias is not None:
        out += bias[:, None]
    return out.reshape(N, O, Ho, Wo), cols


def conv2d_backward(grad_output: np.ndarray, x_shape: Shape4, cols: np.ndarray, weight: np.ndarray,
                    stride: Pair, padding: Pair) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`conv2d`: ``(dL/dx, dL/dweight, dL/dbias)``, two products and a col2im.

    With ``δ`` the output gradient of each image as an ``(O, Ho·Wo)`` matrix and ``F`` the
    filters as rows: ``dF = Σₙ δ colsᵀ`` and ``db = Σ δ``; each window's gradient is the
    column ``Fᵀ δ``, which :func:`col2im` adds back onto the pixels the window covers.
    """
    N, O, Ho, Wo = grad_output.shape
    C, kh, kw = weight.shape[1:]
    delta = grad_output.reshape(N, O, Ho * Wo)
    d_filters = np.matmul(delta, cols.transpose(0, 2, 1)).sum(axis=0)     # (O, kh·kw·C)
    dw = d_filters.reshape(O, kh, kw, C).transpose(0, 3, 1, 2)
    db = delta.sum(axis=0).sum(axis=1)                                     # over images, then pixels
    grid = window_grid(x_shape, stride, padding)
    delta_on_grid = np.zeros((N, O, *grid), dtype=grad_output.dtype)   # no window: no gradient
    delta_on_grid[:, :, :Ho, :Wo] = grad_output
    dcols = np.matmul(filters_as_rows(weight).T, delta_on_grid.reshape(N, O, grid[0] * grid[1]))
    dx = col2im(dcols, x_shape, (kh, kw), stride, padding)
    return dx, np.ascontiguousarray(dw), db


def window_grid(x_shape: Shape4, stride: Pair, padding: Pair) -> Pair:
    """Every stride step of the padded image, ``ceil(H_p / s) × ceil(W_p / s)``: the windows, and a border."""
    Hp, Wp = x_shape[2] + 2 * padding[0], x_shape[3] + 2 * padding[1]
    return -(-Hp // stride[0]), -(-Wp // stride[1])


def col2im(dcols: np.ndarray, x_shape: Shape4, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every column back onto the pixels its window covers.

    ``dcols`` is ``(N, kh·kw·C, grid)`` on :func:`window_grid` (zero on its border, where no
    window fits). Flatten the padded batch into one long row: entry ``(u, v)`` of the
    window at ``(i, j)`` sits ``u·W_p + v`` places after ``(i, j)``, so adding row block
    ``(u, v)`` back is one shifted view of that row, whose inner loops run over whole
    images rather than ``Wo`` pixels (several times faster than 4-D slices).
    """
    N, C, H, W = x_shape
    (kh, kw), (sh, sw) = kernel, stride
    Hp, Wp = H + 2 * padding[0], W + 2 * padding[1]
    size = N * C * Hp * Wp
    row = np.zeros(size + (kh - 1) * Wp + kw - 1, dtype=dcols.dtype)   # room for the last shift
    dcols = dcols.reshape(N, kh * kw, C, *window_grid(x_shape, stride, padding))
    for u in range(kh):
        for v in range(kw):
            start = u * Wp + v
            images = row[start : start + size].reshape(N, C, Hp, Wp)
            images[:, :, ::sh, ::sw] += dcols[:, u * kw + v]              # overlapping windows add up
    return unpad(row[:size].reshape(N, C, Hp, Wp), padding)


# --- pooling: a loop over the kh·kw offsets inside a window, never over pixels ---


def offsets(kernel: Pair) -> list[tuple[int, int, int]]:
    """The ``kh·kw`` positions ``(k, u, v)`` inside a window, in row-major order."""
    kh, kw = kernel
    return [(u * kw + v, u, v) for u in range(kh) for v in range(kw)]


def max_pool2d(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """Max pooling: the largest entry of each window, one window offset at a time."""
    out_shape = conv2d_output_size(x.shape[2:], kernel, stride)
    best = x[window_slice(0, 0, out_shape, stride)].copy()
    for _, u, v in offsets(kernel)[1:]:
        np.maximum(best, x[window_slice(u, v, out_shape, stride)], out=best)
    return best


def max_pool2d_backward(grad_output: np.ndarray, x: np.ndarray, out: np.ndarray, kernel: Pair,
                        stride: Pair) -> np.ndarray:
    """Each window's gradient goes to the entry that equals its maximum; overlapping windows add up.

    Visiting the offsets in row-major order and marking windows already served sends a
    tie's gradient to its first maximum only, as PyTorch does. A window holding NaN has
    NaN as its maximum (NaN wins every comparison in PyTorch's kernel, so the *last* NaN
    of the window does): its gradient goes to that element.
    """
    dx = np.zeros_like(x)
    served = np.zeros(out.shape, dtype=bool)
    nan_windows = np.isnan(out)
    if nan_windows.any():                                   # rare: first the windows whose max is NaN
        served = ~nan_windows
        for _, u, v in reversed(offsets(kernel)):
            where = window_slice(u, v, out.shape[2:], stride)
            winner = np.isnan(x[where]) & ~served
            served |= winner
            dx[where] += grad_output * winner
        served = nan_windows                                # then every other window
    for _, u, v in offsets(kernel):
        where = window_slice(u, v, out.shape[2:], stride)
        winner = (x[where] == out) & ~served
        served |= winner
        dx[where] += grad_output * winner
    return dx


def avg_pool2d(x: np.ndarray, kernel: Pair, stride: Pair) -> np.ndarray:
    """Average pooling: the mean of each window."""
    out_shape = conv2d_output_size(x.shape[2:], kernel, stride)
    total = np.zeros((*x.shape[:2], *out_shape), dtype=x.dtype)
    for _, u, v in offsets(kernel):
        total += x[window_slice(u, v, out_shape, stride)]
    return total / (kernel[0] * kernel[1])


def avg_pool2d_backward(grad_output: np.ndarray, x_shape: Shape4, kernel: Pair, stride: Pair,
                        dtype: np.dtype | type) -> np.ndarray:
    """Each window's gradient is shared equally by its ``kh·kw`` entries."""
    share = (grad_output / (kernel[0] * kernel[1])).astype(dtype, copy=False)
    dx = np.zeros(x_shape, dtype=dtype)
    for _, u, v in offsets(kernel):
        dx[window_slice(u, v, grad_output.shape[2:], stride)] += share
    return dx
