"""Public tests of exercise 6 (losses and their gradients)."""

import numpy as np

from nnedu import CrossEntropyLoss, MSELoss
from nnedu.grading import expect_close, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

rng = np.random.default_rng(6)
PRED, TARGET = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
LOGITS, LABELS = rng.normal(size=(4, 3)), np.array([0, 2, 1, 2])


@points(1, question="q1", hint="np.mean((pred - target) ** 2).")
def test_mse_loss(student):
    expect_close(student.mse_loss(PRED, TARGET), MSELoss()(PRED, TARGET))


@points(1, question="q1", hint="Divide by the number of elements, pred.size, not the number of rows.")
def test_mse_grad(student):
    loss_fn = MSELoss()
    loss_fn(PRED, TARGET)
    expect_close(student.mse_grad(PRED, TARGET), loss_fn.backward())


@points(2, question="q2", hint="-mean of log_softmax(logits)[np.arange(N), labels].")
def test_cross_entropy(student):
    expect_close(student.cross_entropy(LOGITS, LABELS), CrossEntropyLoss()(LOGITS, LABELS))


@points(1, question="q2", hint="Compute log-softmax as (z - m) - log(sum(exp(z - m))).")
def test_cross_entropy_large_logits(student):
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]])
    labels = np.array([0, 2])
    expect_close(student.cross_entropy(logits, labels), CrossEntropyLoss()(logits, labels))


@points(2, question="q3", hint="(softmax(z) - one_hot(labels)) / N.")
def test_cross_entropy_grad(student):
    loss_fn = CrossEntropyLoss()
    loss_fn(LOGITS, LABELS)
    expect_close(student.cross_entropy_grad(LOGITS, LABELS), loss_fn.backward())


@points(1, question="q3", hint="Each row of softmax sums to 1 and each one-hot row too: the gradient rows sum to 0.")
def test_cross_entropy_grad_rows_sum_to_zero(student):
    grad = student.cross_entropy_grad(LOGITS * 5, LABELS)
    expect_close(np.sum(grad, axis=1), np.zeros(4), atol=1e-12, what="row sums")
