"""Public tests of exercise 2 (neurons and the perceptron): run by nnedu.check and nnedu grade."""

import numpy as np

from nnedu import Neuron, Perceptron
from nnedu.grading import expect_close, expect_equal, expect_length, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

W = np.array([0.5, -0.25, 1.0])


@points(1, question="q1", hint="z = x @ w + b, then 1 / (1 + np.exp(-z)).")
def test_neuron_one_input(student):
    x = np.array([1.0, 2.0, -0.5])
    expect_close(student.neuron(x, W, 0.1), Neuron(W, 0.1, "sigmoid")(x))


@points(1, question="q1", hint="x @ w works for a batch (N, n) too and gives shape (N,).")
def test_neuron_batch(student):
    X = np.random.default_rng(2).normal(size=(6, 3))
    expect_close(student.neuron(X, W, -0.3), Neuron(W, -0.3, "sigmoid")(X))


@points(1, question="q2", hint="np.where(X @ w + b > 0, 1, -1).")
def test_predict_matches_perceptron(student):
    X = np.random.default_rng(3).normal(size=(10, 3))
    reference = Perceptron(3, weights=W, bias=0.2)
    expect_equal(np.asarray(student.perceptron_predict(X, W, 0.2)), reference.predict(X))


@points(1, question="q2", hint="On the boundary (z == 0) the prediction is -1: use z > 0, not z >= 0.")
def test_predict_on_the_boundary(student):
    X = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    expect_equal(np.asarray(student.perceptron_predict(X, W, 0.0)), np.array([-1, 1]))


@points(2, question="q3", hint="When the prediction differs from y: w + lr * y * x and b + lr * y.")
def test_update_on_a_mistake(student):
    x, y = np.array([1.0, 2.0, 3.0]), -1
    result = student.perceptron_update(W, 0.5, x, y, 0.5)
    expect_length(result, 2)
    expect_close(result[0], W + 0.5 * y * x, what="w")
    expect_close(result[1], 0.5 + 0.5 * y, what="b")


@points(1, question="q3", hint="A correctly classified example changes nothing.")
def test_no_update_when_right(student):
    x, y = np.array([1.0, 0.0, 1.0]), 1
    result = student.perceptron_update(W, 0.5, x, y, 1.0)
    expect_length(result, 2)
    expect_close(result[0], W, what="w")
    expect_close(result[1], 0.5, what="b")


@points(2, question="q4", hint="Sweep the examples in order, epoch after epoch, until an epoch makes no mistake.")
def test_train_matches_reference_on_and(student):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([-1, -1, -1, 1])
    reference = Perceptron(2).fit(X, y)
    result = student.train_perceptron(X, y, 1.0, 100)
    expect_length(result, 2)
    expect_close(result[0], reference.w, what="w")
    expect_close(result[1], reference.b, what="b")


@points(1, question="q4", hint="On separable data the learned weights classify every example correctly.")
def test_train_separates_data(student):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 2))
    y = np.where(X @ np.array([1.0, -1.0]) + 0.2 > 0, 1, -1)
    reference = Perceptron(2, lr=0.5).fit(X, y, max_epochs=200)
    w, b = student.train_perceptron(X, y, 0.5, 200)
    expect_close(w, reference.w, what="w")
    expect_equal(np.where(X @ np.asarray(w) + b > 0, 1, -1), y, what="predictions on the training data")
