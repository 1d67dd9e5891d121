"""nnedu.data.augment: shifts by whole pixels with zero fill, checked against an element-by-element
definition (x'[i, j] = x[i - dy, j - dx], 0 outside), against chapter 11's one-pixel shift, and for
shapes, inverse shifts, the distribution of random shifts, seeding, and errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu.data import augment
from nnedu.data.augment import random_shifts, shift


def shifted_by_definition(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """x'[i, j] = x[i - dy, j - dx] where that pixel exists, else 0: the formula, one pixel at a time."""
    height, width = image.shape
    out = np.zeros_like(image)
    for i in range(height):
        for j in range(width):
            if 0 <= i - dy < height and 0 <= j - dx < width:
                out[i, j] = image[i - dy, j - dx]
    return out


@pytest.fixture
def images() -> np.ndarray:
    return np.random.default_rng(0).uniform(0.1, 1.0, size=(5, 8, 8))   # no zeros: every moved pixel shows


@pytest.mark.parametrize("dy, dx", [(0, 0), (0, 1), (1, 0), (-1, 0), (0, -1), (2, -3), (-7, 7), (8, 0), (0, -9)])
def test_shift_follows_the_definition_pixel_by_pixel(images, dy, dx):
    out = shift(images, dy, dx)
    assert out.shape == images.shape and out.dtype == images.dtype
    for image, moved in zip(images, out):
        np.testing.assert_array_equal(moved, shifted_by_definition(image, dy, dx))


def test_shift_right_by_one_is_chapter_11s_shift(images):
    expected = np.zeros_like(images)
    expected[..., 1:] = images[..., :-1]         # chapter 11's shift: every column one to the right
    np.testing.assert_array_equal(shift(images, 0, 1), expected)
    assert np.all(shift(images, 0, 1)[..., 0] == 0)            # the uncovered column: no ink


def test_flattened_images_are_shifted_as_images(images):
    flat = images.reshape(len(images), -1)
    out = shift(flat, 1, -2)
    assert out.shape == flat.shape
    np.testing.assert_array_equal(out.reshape(images.shape), shift(images, 1, -2))


def test_channels_move_together():
    x = np.random.default_rng(1).normal(size=(3, 2, 5, 6))
    out = shift(x, -1, 2)
    for n in range(3):
        for c in range(2):
            np.testing.assert_array_equal(out[n, c], shifted_by_definition(x[n, c], -1, 2))


@pytest.mark.parametrize("dy, dx", [(1, 1), (-2, 1), (0, 3)])
def test_shifting_back_restores_the_image_except_the_border_that_fell_off(images, dy, dx):
    back = shift(shift(images, dy, dx), -dy, -dx)
    kept = shift(shift(np.ones_like(images), dy, dx), -dy, -dx) == 1     # pixels that never left
    np.testing.assert_array_equal(back[kept], images[kept])
    assert np.all(back[~kept] == 0)
    assert kept.sum() == len(images) * (8 - abs(dy)) * (8 - abs(dx))
    padded = np.zeros((2, 12, 12))
    padded[:, 3:9, 3:9] = 1.0                                      # ink away from the border: exact inverse
    np.testing.assert_array_equal(shift(shift(padded, dy, dx), -dy, -dx), padded)


def test_shift_returns_a_new_array(images):
    before = images.copy()
    out = shift(images, 0, 0)
    out[...] = -1
    np.testing.assert_array_equal(images, before)


def test_random_shifts_moves_each_image_by_one_of_the_allowed_offsets(images):
    rng = np.random.default_rng(5)
    out = random_shifts(images, max_shift=2, rng=rng)
    assert out.shape == images.shape
    for image, moved in zip(images, out):
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if np.array_equal(moved, shifted_by_definition(image, dy, dx))]
        assert len(matches) == 1


def test_random_shifts_draws_the_nine_offsets_evenly():
    n = 9000
    marks = np.zeros((n, 5, 5))
    marks[:, 2, 2] = 1.0                                            # one ink pixel in the middle
    out = random_shifts(marks, max_shift=1, rng=np.random.default_rng(0))
    where = out.reshape(n, -1).argmax(axis=1)
    counts = np.bincount(where, minlength=25).reshape(5, 5)
    assert counts.sum() == n and counts[1:4, 1:4].min() > 0
    np.testing.assert_array_equal(counts[[0, 4], :], 0)
    np.testing.assert_array_equal(counts[:, [0, 4]], 0)
    expected = n / 9                                                # each offset 1/9: within 4 sigma
    assert np.all(np.abs(counts[1:4, 1:4] - expected) < 4 * np.sqrt(expected * 8 / 9))


def test_random_shifts_on_flat_images_and_max_shift_zero(images):
    flat = images.reshape(len(images), -1)
    rng = np.random.default_rng(2)
    out = random_shifts(flat, rng=rng)
    assert out.shape == flat.shape
    again = random_shifts(images, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(out.reshape(images.shape), again)
    np.testing.assert_array_equal(random_shifts(images, max_shift=0), images)


def test_random_shifts_is_seeded_by_the_package_generator(images):
    nnedu.manual_seed(4)
    first = random_shifts(images)
    nnedu.manual_seed(4)
    np.testing.assert_array_equal(random_shifts(images), first)
    assert not np.array_equal(random_shifts(images), first)       # the next call: the next draw


@pytest.mark.parametrize("call, error, match", [
    (lambda: shift(np.zeros((8, 8)), 0, 1), ValueError, "8 pixels per row is not a square number"),
    (lambda: shift(np.zeros((4, 63)), 0, 1), ValueError, "63 pixels per row"),
    (lambda: shift(np.zeros(64), 0, 1), ValueError, r"got an array of shape \(64,\)"),
    (lambda: shift(np.zeros((1, 1, 1, 8, 8)), 0, 1), ValueError, "shape"),
    (lambda: shift(np.zeros((2, 64)), 0.5, 1), TypeError, "dy to be a whole number of pixels, got 0.5"),
    (lambda: shift(np.zeros((2, 64)), 0, True), TypeError, "dx to be a whole number"),
    (lambda: shift([[0.0] * 64], 0, 1), TypeError, "numpy array of images, got list"),
    (lambda: shift(np.array([["a"] * 64]), 0, 1), TypeError, "numeric array"),
    (lambda: random_shifts(np.zeros((2, 64)), max_shift=-1), ValueError, "max_shift to be a whole number >= 0, got -1"),
    (lambda: random_shifts(np.zeros((2, 64)), max_shift=1.5), ValueError, "got 1.5"),
    (lambda: random_shifts(np.zeros((2, 10)), max_shift=1), ValueError, "10 pixels per row"),
])
def test_bad_input_gets_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_exported_from_nnedu_data():
    assert nnedu.data.augment is augment
    assert "augment" in nnedu.data.__all__


@pytest.mark.parametrize("shape", [(0, 64), (0, 8, 8), (0, 3, 8, 8)])
def test_an_empty_batch_comes_back_empty_in_its_shape(shape):
    images = np.zeros(shape)
    assert shift(images, 1, -1).shape == shape
    assert random_shifts(images, max_shift=2, rng=np.random.default_rng(0)).shape == shape
