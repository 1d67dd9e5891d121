"""Example hidden tests of exercise 7 (gradient descent), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 07 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones.
"""

import numpy as np

from nnedu import Parameter
from nnedu.grading import expect_close, expect_length, points
from nnedu.optim import SGD


@points(1, question="q1", hint="Gradient descent with momentum on any diagonal quadratic.", kind="implement")
def test_hidden_gd_random_quadratic(student, rng):
    d, steps = int(rng.integers(1, 6)), int(rng.integers(1, 40))
    a, c, w0 = rng.uniform(0.5, 5.0, size=d), rng.normal(size=d), rng.normal(scale=3.0, size=d)
    lr, momentum = float(rng.uniform(0.01, 0.3)), float(rng.choice([0.0, 0.5, 0.9]))
    p = Parameter(w0.copy())
    optimizer = SGD([p], lr=lr, momentum=momentum)
    expected = [w0.copy()]
    for _ in range(steps):
        p.grad[...] = a * (p.data - c)
        optimizer.step()
        expected.append(p.data.copy())
    expect_close(student.descend_quadratic(a, c, w0, lr, steps, momentum), np.array(expected), what="trajectory",
                 given={"a": a, "c": c, "w0": w0, "lr": lr, "steps": steps, "momentum": momentum})


@points(1, question="q4", hint="Central differences, one entry at a time, for any shape.", kind="implement")
def test_hidden_numerical_gradient_random_point(student, rng):
    shape = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 3))))
    w = rng.uniform(-2.0, 2.0, size=shape)
    expect_close(student.numerical_gradient(student.quartic, w, 1e-5), 4 * w**3 - 6 * w + 1, rtol=1e-6, atol=1e-6,
                 what="numerical gradient of quartic", given={"w": w})


@points(1, question="q5", hint="The mean squared error's gradients, for any batch.", kind="implement")
def test_hidden_linear_regression_random_batch(student, rng):
    n, d = int(rng.integers(2, 30)), int(rng.integers(1, 6))
    x, y, w, b = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d), float(rng.normal())
    r = x @ w + b - y
    got = student.linear_regression_grads(x, y, w, b)
    expect_length(got, 3, what="(loss, dw, db)")
    given = {"X": x, "y": y, "w": w, "b": b}
    expect_close(got[0], np.mean(r**2), what="loss", given=given)
    expect_close(got[1], 2 * x.T @ r / n, what="dL/dw", given=given)
    expect_close(got[2], 2 * np.mean(r), what="dL/db", given=given)
