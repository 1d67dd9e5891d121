"""Dropout: inverted scaling in training, identity in evaluation, gradient through the mask."""

from __future__ import annotations

import numpy as np

from nnedu import nn
from nnedu.gradcheck import numerical_gradient, relative_error


def test_training_mode_zeroes_about_p_and_keeps_the_mean():
    drop = nn.Dropout(0.3, rng=np.random.default_rng(0))
    x = np.ones((200, 500))
    out = drop(x)
    assert abs(np.mean(out == 0) - 0.3) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / 0.7)
    assert abs(out.mean() - 1.0) < 0.01


def test_eval_mode_is_identity():
    drop = nn.Dropout(0.9).eval()
    x = np.random.default_rng(1).normal(size=(3, 4))
    np.testing.assert_array_equal(drop(x), x)
    np.testing.assert_array_equal(drop.backward(np.ones((3, 4))), np.ones((3, 4)))


def test_extremes():
    x = np.ones((2, 3))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x), x)
    np.testing.assert_array_equal(nn.Dropout(1.0)(x), np.zeros_like(x))


def test_gradient_uses_the_same_mask():
    drop = nn.Dropout(0.5, rng=np.random.default_rng(3))
    x = np.random.default_rng(4).normal(size=(4, 6))
    out = drop(x)
    mask = out != 0
    grad = drop.backward(np.ones_like(out))
    np.testing.assert_allclose(grad, mask * 2.0)
    # with the mask fixed, dropout is linear: finite differences agree
    scale = drop._scale.copy()
    numeric = numerical_gradient(lambda v: float(np.sum(v * scale)), x)
    assert relative_error(grad, numeric) < 1e-8


def test_seeded_masks_repeat():
    a = nn.Dropout(0.5, rng=np.random.default_rng(7))(np.ones(50))
    b = nn.Dropout(0.5, rng=np.random.default_rng(7))(np.ones(50))
    np.testing.assert_array_equal(a, b)
