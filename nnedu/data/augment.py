r"""Data augmentation by small shifts (the chapter on training deep networks).

A digit moved by a pixel is still the same digit, but to a fully connected network it is a different
input: every pixel meets other weights. Training on randomly shifted copies of the images, a new draw
every epoch, teaches the network what the architecture does not know.

A shift by :math:`(d_y, d_x)` pixels moves the ink down by :math:`d_y` and right by :math:`d_x`
(negative: up, left) and fills the uncovered border with zeros (no ink):

.. math:: x'_{i,j} = x_{i - d_y,\, j - d_x},

and :math:`x'_{i,j} = 0` where pixel :math:`(i - d_y, j - d_x)` lies outside the :math:`H \times W` image.

Images are ``(N, H, W)`` (or ``(N, C, H, W)``: every channel moves together), or flattened square
images ``(N, side * side)`` as the MLPs of the book read them (a 2-D array is always read that way);
the result has the shape of the input.
"""

from __future__ import annotations

import math

import numpy as np

from nnedu.random import default_rng


def shift(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    r"""Every image moved by ``dy`` rows (down) and ``dx`` columns (right), zeros where nothing came in.

    Implements :math:`x'_{i,j} = x_{i - d_y,\, j - d_x}`, and 0 where that pixel lies outside the image.
    ``shift(x, 0, 1)`` is chapter 11's one-pixel shift to the right.
    """
    for name, value in (("dy", dy), ("dx", dx)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"shift expected {name} to be a whole number of pixels, got {value!r}")
    grid = _as_grid("shift", images)                     # (N, K, H, W), a view of the images
    height, width = grid.shape[-2:]
    out = np.zeros_like(grid)
    # Target rows i and source rows i - dy that both lie inside the image; the same for columns.
    rows_to, rows_from = _overlap(height, int(dy))
    cols_to, cols_from = _overlap(width, int(dx))
    out[..., rows_to, cols_to] = grid[..., rows_from, cols_from]
    return out.reshape(np.shape(images))


def random_shifts(images: np.ndarray, max_shift: int = 1, rng: np.random.Generator | None = None) -> np.ndarray:
    r"""Each image shifted by its own random :math:`(d_y, d_x)`, each drawn uniformly from ``-max_shift..max_shift``.

    With ``max_shift=1`` an image stays in place, or moves by one pixel to one of its eight
    neighbours, each with probability 1/9. Draws come from ``rng`` (default: the package generator,
    see :func:`nnedu.manual_seed`); call it once per epoch for a fresh set of copies.
    """
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f"random_shifts expected max_shift to be a whole number >= 0, got {max_shift!r}")
    grid = _as_grid("random_shifts", images)             # (N, K, H, W)
    n, _, height, width = grid.shape
    m = int(max_shift)
    rng = rng if rng is not None else default_rng()
    dy, dx = rng.integers(-m, m + 1, size=(2, n))
    # Pad by m zeros on every side; image k's pixel (i, j) is then padded[k, i + m - dy_k, j + m - dx_k].
    padded = np.pad(grid, [(0, 0), (0, 0), (m, m), (m, m)])
    rows = np.arange(height)[None, :] + m - dy[:, None]  # (N, H)
    cols = np.arange(width)[None, :] + m - dx[:, None]   # (N, W)
    out = padded[np.arange(n)[:, None, None, None], np.arange(grid.shape[1])[None, :, None, None],
                 rows[:, None, :, None], cols[:, None, None, :]]
    return out.reshape(np.shape(images))


def _overlap(size: int, d: int) -> tuple[slice, slice]:
    """The target and source slices of a shift by ``d`` along an axis of ``size`` pixels."""
    if abs(d) >= size:
        return slice(0, 0), slice(0, 0)                  # everything moved out: all zeros
    if d >= 0:
        return slice(d, size), slice(0, size - d)
    return slice(0, size + d), slice(-d, size)


def _as_grid(caller: str, images: np.ndarray) -> np.ndarray:
    """``images`` as an ``(N, K, H, W)`` array: K channels (1 for grey images) of H x W pixels."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{caller} expected a numpy array of images, got {type(images).__name__}")
    if not (np.issubdtype(images.dtype, np.number) or images.dtype == bool):
        raise TypeError(f"{caller} expected a numeric array of images, got dtype {images.dtype}")
    if images.ndim == 2:                                 # flattened square images, one per row
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1] or side == 0:
            raise ValueError(
                f"{caller} reads a 2-D array as flattened square images (N, side * side), but "
                f"{images.shape[1]} pixels per row is not a square number; pass images as (N, H, W) "
                f"(one image: (1, H, W))")
        return images.reshape(len(images), 1, side, side)
    if images.ndim == 3:                                 # grey images: one channel
        return images[:, None]
    if images.ndim == 4:
        return images
    raise ValueError(f"{caller} expected images of shape (N, side * side), (N, H, W) or (N, C, H, W), "
                     f"got an array of shape {images.shape}")
