"""The decks' worked examples, recomputed by nnedu and checked against hand arithmetic.

Each expected number is worked out in the comment beside it, not taken from the code.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu import functional as F
from nnedu import nn


@pytest.mark.parametrize(
    "x, expected",
    [
        ((1.0, 1.0), 2.0),   # 3*1 - 2*1 + 1 = 2
        ((0.0, 1.0), 0.0),   # 0 - 2 + 1 = -1 -> ReLU -> 0
        ((2.0, 0.5), 6.0),   # 6 - 1 + 1 = 6
        ((0.0, 0.5), 0.0),   # 0 - 1 + 1 = 0 -> 0
    ],
)
def test_relu_neuron_w_3_minus2_b_1(x, expected):
    neuron = nnedu.Neuron(weight=[3, -2], bias=1, activation="relu")
    assert neuron(x) == expected
    assert neuron.z(x) == 3 * x[0] - 2 * x[1] + 1


def test_relu_neuron_on_a_batch():
    neuron = nnedu.Neuron([3, -2], 1, "relu")
    np.testing.assert_array_equal(neuron(np.array([[1, 1], [0, 1], [2, 0.5]])), [2, 0, 6])


def test_perceptron_quiz_square_activation():
    # f(z) = z^2, x = (1, 4, -2), w = (-2, 3, 2): z = -2 + 12 - 4 = 6, f = 36
    neuron = nnedu.Neuron(weight=[-2, 3, 2], bias=0, activation=lambda z: z**2)
    assert neuron.z([1, 4, -2]) == 6
    assert neuron([1, 4, -2]) == 36


def test_feed_forward_network_with_step_units():
    # w13 = 2, w23 = -3, w14 = 1, w24 = 4, w35 = 2, w45 = -1; input (x1, x2) = (1, 2)
    # unit 3: 2*1 - 3*2 = -4 -> step -> 0;  unit 4: 1*1 + 4*2 = 9 -> step -> 1
    # unit 5: 2*0 - 1*1 = -1 -> step -> 0
    hidden = nn.Linear(2, 2)
    hidden.weight.data[:] = [[2, -3], [1, 4]]  # rows: units 3 and 4; columns: inputs 1 and 2
    hidden.bias.data[:] = 0
    output = nn.Linear(2, 1)
    output.weight.data[:] = [[2, -1]]
    output.bias.data[:] = 0
    net = nn.Sequential(hidden, nn.Step(), output, nn.Step())
    x = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(hidden(x), [[-4, 9]])
    np.testing.assert_array_equal(nn.Sequential(hidden, nn.Step())(x), [[0, 1]])
    np.testing.assert_array_equal(net(x), [[0]])


def test_softmax_cross_entropy_table_total_loss():
    # The deck's table: logits for classes 0..9, true class 5, loss summed over the ten
    # outputs of -(y ln p + (1 - y) ln(1 - p)) with p = softmax(logits). Its total is 1.822.
    logits = np.array([4.1, 2.2, 2.9, -1.8, 2.5, 4.2, 3.3, -2.5, -1.5, 1.1])
    target = F.one_hot(np.array([5]), 10)[0]
    p = F.softmax(logits)
    by_hand = -np.sum(target * np.log(p) + (1 - target) * np.log(1 - p))
    assert nn.BCELoss(reduction="sum")(p, target) == pytest.approx(by_hand)
    assert round(by_hand, 3) == 1.822
    # The table's printed probabilities are not the softmax of its logits (the deck's mistake):
    printed = np.array([0.326, 0.044, 0.12, 0.002, 0.044, 0.326, 0.12, 0.001, 0.001, 0.016])
    assert np.abs(p - printed).max() > 0.01
    # Categorical cross-entropy keeps only the true class: -ln p_5
    assert nn.CrossEntropyLoss()(logits[None], np.array([5])) == pytest.approx(-np.log(p[5]))


def test_single_number_digit_prediction_squared_errors():
    # Predicting the digit as one number with label 5: the squared error of answering k is
    # (k - 5)^2, which makes 4 "closer" to 5 than 9 is, an order the classes do not have.
    errors = nn.MSELoss(reduction="sum")
    assert [errors(np.array([float(k)]), np.array([5.0])) for k in range(10)] == [
        25, 16, 9, 4, 1, 0, 1, 4, 9, 16
    ]
