"""Public tests of exercise 5 (softmax and one-hot)."""

import numpy as np

from nnedu import functional as F
from nnedu.grading import expect_close, expect_equal, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

Z = np.random.default_rng(5).normal(size=(4, 3))


@points(1, question="q1", hint="np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True).")
def test_softmax_matches_reference(student):
    expect_close(student.softmax(Z), F.softmax(Z))


@points(1, question="q1", hint="Sum along the last axis (each row), with keepdims=True.")
def test_softmax_rows_sum_to_one(student):
    expect_close(np.sum(student.softmax(Z * 3), axis=-1), np.ones(4), what="row sums")


@points(1, question="q1", hint="Subtract the row maximum before np.exp, or np.exp(1000) overflows.")
def test_softmax_is_stable(student):
    z = np.array([[1000.0, 1000.0, 1000.0], [-1000.0, 0.0, 1000.0]])
    expect_close(student.softmax(z), F.softmax(z))


@points(2, question="q2", hint="out = np.zeros((N, num_classes)); out[np.arange(N), labels] = 1.")
def test_one_hot(student):
    labels = np.array([2, 0, 1, 2])
    expect_close(student.one_hot(labels, 4), F.one_hot(labels, 4))


@points(1, question="q3", hint="np.argmax(probs, axis=-1).")
def test_predict(student):
    expect_equal(np.asarray(student.predict(F.softmax(Z))), np.argmax(Z, axis=1))


@points(1, question="q3", hint="The mean of (predictions == labels), as a float.")
def test_accuracy(student):
    labels = np.array([np.argmax(Z[0]), np.argmax(Z[1]), 5, 5])  # two right, two wrong
    expect_close(student.accuracy(F.softmax(Z), labels), 0.5)
