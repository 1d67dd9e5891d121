"""Example hidden tests of exercise 5 (softmax and one-hot encoding), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 05 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones.
"""

import numpy as np

from nnedu import CrossEntropyLoss
from nnedu import functional as F
from nnedu.grading import expect_close, expect_length, points


@points(1, question="q1", hint="Every row its own distribution, whatever the size of its logits.", kind="implement")
def test_hidden_softmax_random_shapes_and_shifts(student, rng):
    n, c = int(rng.integers(1, 9)), int(rng.integers(2, 12))
    z = rng.normal(scale=3.0, size=(n, c)) + rng.uniform(-900, 900, size=(n, 1))  # a large offset per row
    expect_close(student.softmax(z), F.softmax(z), what="softmax(z)", given={"z": z})


@points(1, question="q2", hint="Shape (N, num_classes), whatever the labels present.", kind="implement")
def test_hidden_one_hot_random(student, rng):
    c = int(rng.integers(2, 15))
    labels = rng.integers(0, c, size=int(rng.integers(1, 20)))
    expect_close(student.one_hot(labels, c), F.one_hot(labels, c), what="one_hot(labels, num_classes)",
                 given={"labels": labels, "num_classes": c})


@points(1, question="q3", hint="One prediction per row; the accuracy is a fraction.", kind="implement")
def test_hidden_predict_and_accuracy(student, rng):
    n, c = int(rng.integers(2, 20)), int(rng.integers(2, 8))
    probs = F.softmax(rng.normal(size=(n, c)))
    labels = rng.integers(0, c, size=n)
    expect_close(student.predict(probs), np.argmax(probs, axis=1), what="predict(probs)", given={"probs": probs})
    expect_close(student.accuracy(probs, labels), np.mean(np.argmax(probs, axis=1) == labels),
                 what="accuracy(probs, labels)", given={"probs": probs, "labels": labels})


@points(1, question="q4", hint="The mean cross-entropy and (P - Y) / N, stable for any logits.", kind="implement")
def test_hidden_cross_entropy_against_nnedu(student, rng):
    n, c = int(rng.integers(1, 10)), int(rng.integers(2, 10))
    z = rng.normal(scale=10.0 ** rng.uniform(0, 3), size=(n, c))
    labels = rng.integers(0, c, size=n)
    loss_fn = CrossEntropyLoss()
    loss = loss_fn(z, labels)
    given = {"z": z, "labels": labels}
    expect_close(student.log_softmax(z), F.log_softmax(z), what="log_softmax(z)", given=given)
    result = student.softmax_cross_entropy(z, labels)
    expect_length(result, 2, what="softmax_cross_entropy(z, labels)")
    expect_close(result[0], loss, what="loss", given=given)
    expect_close(result[1], loss_fn.backward(), what="dL/dz", given=given)
