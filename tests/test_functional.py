"""nnedu.functional: values against independent formulas, derivatives against finite
differences, and stability for |z| = 1000."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnedu import functional as F
from nnedu.gradcheck import numerical_gradient

SMOOTH = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


def test_values_against_textbook_formulas():
    z = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(F.sigmoid(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(F.tanh(z), (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)))
    np.testing.assert_array_equal(F.relu(z), [0, 0, 0, 0.5, 3])
    np.testing.assert_allclose(F.leaky_relu(z, 0.1), [-0.3, -0.05, 0, 0.5, 3])
    np.testing.assert_array_equal(F.step(z), [0, 0, 1, 1, 1])  # 1 where z >= 0
    np.testing.assert_array_equal(F.sign(z), [-1, -1, 0, 1, 1])


@pytest.mark.parametrize("name", SMOOTH)
def test_derivative_matches_finite_differences(name, rng):
    g, g_prime = F.ACTIVATIONS[name]
    z = rng.normal(size=20) * 3
    z = z[np.abs(z) > 1e-3]  # keep away from the ReLU kink
    for i in range(z.size):
        zi = z[i : i + 1].copy()
        numeric = numerical_gradient(lambda v: float(g(v)[0]), zi)
        assert numeric[0] == pytest.approx(g_prime(z[i : i + 1])[0], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", ["step", "sign"])
def test_step_like_derivatives_are_zero_away_from_zero(name):
    g, g_prime = F.ACTIVATIONS[name]
    z = np.array([-2.0, -1e-3, 1e-3, 5.0])
    assert np.all(g_prime(z) == 0)
    h = 1e-6
    assert np.all((g(z + h) - g(z - h)) == 0)  # flat on both sides


@pytest.mark.parametrize("fn", [F.sigmoid, F.sigmoid_grad, F.tanh, F.tanh_grad, F.relu,
                                F.leaky_relu, F.softmax, F.log_softmax, F.step, F.sign])
def test_no_overflow_or_nan_for_large_inputs(fn):
    z = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning (overflow) fails the test
        out = fn(z)
    assert np.all(np.isfinite(out))


def test_sigmoid_saturates_exactly_at_extremes():
    assert F.sigmoid(np.array(1000.0)) == 1.0
    assert F.sigmoid(np.array(-1000.0)) == 0.0


def test_softmax_is_a_distribution_and_shift_invariant(rng):
    z = rng.normal(size=(5, 7))
    s = F.softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0)
    np.testing.assert_allclose(F.softmax(z + 100.0), s)
    np.testing.assert_allclose(np.exp(F.log_softmax(z)), s)
    np.testing.assert_allclose(F.softmax(z, axis=0).sum(axis=0), 1.0)


def test_log_softmax_large_logits_is_exact():
    z = np.array([1000.0, 0.0])
    # log softmax = z - logsumexp(z); for these logits: [-log(1 + e^-1000), -1000 - log(1 + e^-1000)]
    np.testing.assert_allclose(F.log_softmax(z), [0.0, -1000.0])


def test_softmax_backward_equals_explicit_jacobian(rng):
    z = rng.normal(size=4)
    s = F.softmax(z)
    jacobian = np.diag(s) - np.outer(s, s)
    g = rng.normal(size=4)
    np.testing.assert_allclose(F.softmax_backward(s, g), jacobian.T @ g)


def test_one_hot_and_its_errors():
    np.testing.assert_array_equal(F.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="labels in 0..2"):
        F.one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match="integer labels"):
        F.one_hot(np.array([0.5]), 3)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="relu"):
        F.get_activation("relux")
