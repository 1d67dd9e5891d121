"""Bad input gets a clear error that names the layer, what it expected and what it got."""

from __future__ import annotations

import numpy as np
import pytest

from nnedu import nn


def test_linear_wrong_number_of_features():
    with pytest.raises(ValueError) as info:
        nn.Linear(3, 2)(np.ones((4, 5)))
    message = str(info.value)
    assert "Linear(in_features=3, out_features=2" in message
    assert "3 features" in message and "(4, 5)" in message and "with 5" in message


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_linear_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive integer"):
        nn.Linear(bad, 2)


def test_non_numeric_input():
    with pytest.raises(TypeError, match="numeric array"):
        nn.ReLU()(np.array(["a", "b"]))


def test_backward_before_forward():
    for layer in (nn.Linear(2, 2), nn.ReLU(), nn.Softmax(), nn.Dropout()):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((1, 2)))


def test_backward_with_wrong_gradient_shape():
    layer = nn.Linear(3, 2)
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 2\).*got \(4, 3\)"):
        layer.backward(np.ones((4, 3)))


def test_step_backward_explains_why_there_is_no_gradient():
    step = nn.Step()
    np.testing.assert_array_equal(step(np.array([-1.0, 0.0, 2.0])), [0, 1, 1])
    with pytest.raises(RuntimeError, match="no useful gradient") as info:
        step.backward(np.ones(3))
    assert "Sigmoid" in str(info.value)


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="position 1"):
        nn.Sequential(nn.ReLU(), lambda x: x)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_probability(p):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        nn.Dropout(p)
