"""numerical_gradient and relative_error on functions whose gradients are known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from nnedu.gradcheck import numerical_gradient, relative_error


def test_quadratic_form(rng):
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    numeric = numerical_gradient(lambda v: float(v @ A @ v), x)
    np.testing.assert_allclose(numeric, (A + A.T) @ x, rtol=1e-7)


def test_x_is_restored_and_closures_work(rng):
    w = rng.normal(size=(2, 3))
    before = w.copy()
    numeric = numerical_gradient(lambda _: float(np.sum(np.sin(w))), w)
    np.testing.assert_array_equal(w, before)
    np.testing.assert_allclose(numeric, np.cos(w), rtol=1e-8)


def test_error_shrinks_like_eps_squared():
    x = np.array([1.0])
    errors = [abs(numerical_gradient(lambda v: float(np.exp(v[0])), x, eps)[0] - np.e) for eps in (1e-2, 1e-3)]
    assert 50 < errors[0] / errors[1] < 150  # ratio ~ (10)^2


def test_relative_error_properties():
    a = np.array([1.0, 2.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    assert relative_error(a, a * (1 + 1e-9)) < 1e-9
    with pytest.raises(ValueError, match="same shape"):
        relative_error(a, np.ones(3))


def test_numerical_gradient_needs_a_float_array():
    with pytest.raises(TypeError, match="float numpy array"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))
