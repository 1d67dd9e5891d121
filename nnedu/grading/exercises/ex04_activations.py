"""Public tests of exercise 4 (activation functions and their derivatives)."""

import numpy as np

from nnedu import functional as F
from nnedu.grading import expect_close, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

Z = np.array([[-3.0, -0.5, 0.0], [0.25, 1.0, 4.0]])


@points(1, question="q1", hint="1 / (1 + np.exp(-z)), element-wise.")
def test_sigmoid_values(student):
    expect_close(student.sigmoid(Z), F.sigmoid(Z))


@points(1, question="q1", hint="For z = -1000, np.exp(1000) is inf and 1 / inf is 0: no nan.")
def test_sigmoid_extremes(student):
    z = np.array([-1000.0, 0.0, 1000.0])
    expect_close(student.sigmoid(z), np.array([0.0, 0.5, 1.0]))


@points(1, question="q1", hint="sigma(z) * (1 - sigma(z)).")
def test_sigmoid_grad(student):
    expect_close(student.sigmoid_grad(Z), F.sigmoid_grad(Z))


@points(1, question="q2", hint="np.maximum(0, z).")
def test_relu(student):
    expect_close(student.relu(Z), F.relu(Z))


@points(1, question="q2", hint="1.0 where z > 0, else 0.0 (0 at z = 0).")
def test_relu_grad(student):
    expect_close(student.relu_grad(Z), F.relu_grad(Z))


@points(1, question="q3", hint="1 - np.tanh(z) ** 2.")
def test_tanh_grad(student):
    expect_close(student.tanh_grad(Z), F.tanh_grad(Z))


@points(1, question="q3", hint="The default negative_slope is 0.01.")
def test_leaky_relu_default_slope(student):
    expect_close(student.leaky_relu(Z), F.leaky_relu(Z))


@points(1, question="q3", hint="Use the negative_slope argument, not a constant.")
def test_leaky_relu_custom_slope(student):
    expect_close(student.leaky_relu(Z, 0.2), F.leaky_relu(Z, 0.2))
