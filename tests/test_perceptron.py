"""The perceptron rule: learns AND and OR, never converges on XOR, keeps its history."""

from __future__ import annotations

import numpy as np
import pytest

import nnedu

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND = np.array([-1, -1, -1, 1])
OR = np.array([-1, 1, 1, 1])
XOR = np.array([-1, 1, 1, -1])


@pytest.mark.parametrize("labels", [AND, OR], ids=["and", "or"])
def test_learns_linearly_separable_gates(labels):
    p = nnedu.Perceptron(2).fit(X, labels)
    assert p.converged
    np.testing.assert_array_equal(p.predict(X), labels)


def test_never_converges_on_xor():
    p = nnedu.Perceptron(2).fit(X, XOR, max_epochs=200)
    assert not p.converged
    assert p.epochs_run == 200
    assert np.any(p.predict(X) != XOR)


def test_first_update_by_hand():
    # w = 0, b = 0: z = 0 -> predict -1. First example (0, 0) label -1: correct, no change.
    # Second (0, 1), OR label +1: wrong -> w += 1 * (0, 1) = (0, 1), b += 1 = 1.
    p = nnedu.Perceptron(2).fit(X, OR, max_epochs=1)
    first, second = p.history[:2]
    assert not first.updated and first.prediction == -1
    assert second.updated
    np.testing.assert_array_equal(second.w_after, [0, 1])
    assert second.b_after == 1


def test_history_replays_to_final_weights():
    p = nnedu.Perceptron(2, lr=0.5).fit(X, AND)
    w, b = np.zeros(2), 0.0
    for step in p.history:
        np.testing.assert_array_equal(step.w_before, w)
        if step.updated:
            w = w + 0.5 * step.y * step.x
            b = b + 0.5 * step.y
        np.testing.assert_array_equal(step.w_after, w)
        assert step.b_after == b
    np.testing.assert_array_equal(p.w, w)
    assert len(p.history) == 4 * p.epochs_run
    assert 0 < len(p.updates) < len(p.history)


def test_labels_must_be_plus_minus_one():
    with pytest.raises(ValueError, match="2 \\* y - 1"):
        nnedu.Perceptron(2).fit(X, np.array([0, 0, 0, 1]))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        nnedu.Perceptron(2).fit(np.ones((4, 3)), AND)


def test_neuron_errors():
    with pytest.raises(ValueError, match="2 features"):
        nnedu.Neuron([1, 2])([1, 2, 3])
    with pytest.raises(ValueError, match="unknown activation"):
        nnedu.Neuron([1], activation="nope")
