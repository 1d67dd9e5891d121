"""Public tests of exercise 8 (backpropagation and the gradient check)."""

import numpy as np

from nnedu import (
    Linear,
    MSELoss,
    Sequential,
    Sigmoid,
    numerical_gradient,
    relative_error,
)
from nnedu.grading import Partial, expect_close, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

rng = np.random.default_rng(8)
X, Y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
W1, B1, W2, B2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(2, 4)), rng.normal(size=2)


def reference():
    """The network with nnedu's layers, after one forward and backward pass: (model, loss)."""
    first, second = Linear(3, 4), Linear(4, 2)
    first.load_state_dict({"weight": W1, "bias": B1})
    second.load_state_dict({"weight": W2, "bias": B2})
    model, loss_fn = Sequential(first, Sigmoid(), second), MSELoss()
    loss = loss_fn(model(X), Y)
    model.backward(loss_fn.backward())
    return model, loss


@points(2, question="q1", hint="Sigmoid on the hidden layer only; mean over all elements of the output.")
def test_loss(student):
    expect_close(student.loss(X, Y, W1, B1, W2, B2), reference()[1])


@points(2, question="q2", hint="delta2 = 2 * (out - y) / out.size; dW2 = delta2.T @ h; db2 = delta2.sum(axis=0).")
def test_gradients_of_output_layer(student):
    model, _ = reference()
    grads = student.gradients(X, Y, W1, B1, W2, B2)
    part = Partial()
    with part(1):
        expect_close(grads["W2"], model[2].weight.grad, what="W2")
    with part(1):
        expect_close(grads["b2"], model[2].bias.grad, what="b2")
    return part


@points(2, question="q2", hint="delta1 = (delta2 @ W2) * h * (1 - h); dW1 = delta1.T @ X.")
def test_gradients_of_hidden_layer(student):
    model, _ = reference()
    grads = student.gradients(X, Y, W1, B1, W2, B2)
    part = Partial()
    with part(1):
        expect_close(grads["W1"], model[0].weight.grad, what="W1")
    with part(1):
        expect_close(grads["b1"], model[0].bias.grad, what="b1")
    return part


@points(2, question="q3", hint="(L(W1 + eps e_ij) - L(W1 - eps e_ij)) / (2 eps), one entry at a time.")
def test_numerical_gradient(student):
    model, _ = reference()
    W = W1.copy()

    def loss_at(_):
        model[0].weight.data[...] = W
        return MSELoss()(model(X), Y)

    expected = numerical_gradient(loss_at, W)
    expect_close(student.numerical_grad_W1(X, Y, W1, B1, W2, B2), expected, rtol=1e-5, atol=1e-8)


@points(1, question="q3", hint="np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)); 0 if both are 0.")
def test_relative_error(student):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0])
    part = Partial()
    with part(1):
        expect_close(student.relative_error(a, b), relative_error(a, b))
    with part(1):
        expect_close(student.relative_error(np.zeros(3), np.zeros(3)), 0.0, what="both zero")
    return part
