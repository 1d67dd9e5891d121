"""Example hidden tests of exercise 6 (losses and their gradients), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 06 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones.
"""

from nnedu import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nnedu import functional as F
from nnedu.grading import expect_close, points


@points(1, question="q1", hint="A mean over every entry of the batch.", kind="implement")
def test_hidden_mse_random_shapes(student, rng):
    n, d = rng.integers(1, 9, size=2)
    pred, target = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    loss_fn = MSELoss()
    loss = loss_fn(pred, target)
    given = {"pred": pred, "target": target}
    expect_close(student.mse_loss(pred, target), loss, what="loss", given=given)
    expect_close(student.mse_grad(pred, target), loss_fn.backward(), what="dL/dpred", given=given)


@points(1, question="q2", hint="Stable for every logit, large or small.", kind="implement")
def test_hidden_bce_with_logits_wide_range(student, rng):
    n = int(rng.integers(3, 20))
    z = rng.normal(scale=10.0 ** rng.uniform(0, 3), size=n)
    y = rng.integers(0, 2, size=n).astype(float)
    expect_close(student.bce_with_logits(z, y), BCEWithLogitsLoss()(z, y), what="loss", given={"z": z, "y": y})


@points(1, question="q3", hint="Probabilities minus one-hot targets, over the batch.", kind="implement")
def test_hidden_cross_entropy_random_batch(student, rng):
    n, k = int(rng.integers(1, 12)), int(rng.integers(2, 12))
    logits = rng.normal(scale=rng.uniform(0.5, 50.0), size=(n, k))
    labels = rng.integers(0, k, size=n)
    loss_fn = CrossEntropyLoss()
    loss = loss_fn(logits, labels)
    given = {"logits": logits, "labels": labels}
    expect_close(student.cross_entropy(logits, labels), loss, what="loss", given=given)
    expected = (F.softmax(logits, axis=1) - F.one_hot(labels, k)) / n
    expect_close(student.cross_entropy_grad(logits, labels), expected, what="dL/dlogits", given=given)
