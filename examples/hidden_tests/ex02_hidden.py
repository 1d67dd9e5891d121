"""Example hidden tests of exercise 2 (neurons and the perceptron), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 02 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones.
"""

import numpy as np

from nnedu import Neuron, Perceptron
from nnedu.grading import expect_close, expect_equal, expect_length, points


@points(1, question="q1", hint="Any batch size, any number of inputs, every activation.", kind="implement")
def test_hidden_neuron_random_batch(student, rng):
    n_samples, n_inputs = (int(k) for k in rng.integers(1, 9, size=2))
    X, w, b = rng.normal(size=(n_samples, n_inputs)), rng.normal(size=n_inputs), float(rng.normal())
    for name in ("linear", "step", "sigmoid", "relu"):
        expect_close(student.neuron(X, w, b, name), Neuron(w, b, name)(X), what=f"{name} neuron",
                     given={"x": X, "w": w, "b": b})
        one = student.neuron(X[0], w, b, name)   # compared flattened: a 0-d array crosses the wire as shape (1,)
        expect_close(np.ravel(np.asarray(one, dtype=float)), np.ravel(Neuron(w, b, name)(X[0])),
                     what=f"{name} neuron, one input", given={"x": X[0], "w": w, "b": b})


@points(1, question="q3", hint="A sequence of steps of the rule, each from the weights the last one left.",
        kind="implement")
def test_hidden_rule_random_steps(student, rng):
    n_inputs, steps = int(rng.integers(2, 6)), int(rng.integers(4, 10))
    X = rng.integers(-3, 4, size=(steps, n_inputs)).astype(float)
    y = rng.choice([-1, 1], size=steps)
    lr = float(rng.choice([0.25, 0.5, 1.0, 2.0]))
    reference = Perceptron(n_inputs, lr=lr).fit(X, y, max_epochs=1)
    w, b = np.zeros(n_inputs), 0.0
    for step, (x_i, y_i) in zip(reference.history, zip(X, y)):
        expect_equal(np.asarray(student.perceptron_predict(x_i[None, :], w, b)), np.array([step.prediction]),
                     what="the prediction before the step")
        result = student.perceptron_update(w, b, x_i, int(y_i), lr)
        expect_length(result, 2, what="perceptron_update's result (w, b)")
        w, b = np.asarray(result[0], dtype=float), float(result[1])
        expect_close(np.append(w, b), np.append(step.w_after, step.b_after), what="[w, b] after the step",
                     given={"x": x_i, "y": int(y_i), "lr": lr})


@points(1, question="q6", hint="Separable data of any size: same weights and epochs as the chapter's rule.",
        kind="implement")
def test_hidden_train_random_separable(student, rng):
    n_samples, n_inputs = int(rng.integers(5, 30)), int(rng.integers(2, 5))
    X = rng.integers(-4, 5, size=(n_samples, n_inputs)).astype(float)
    y = np.where(X @ rng.normal(size=n_inputs) + 0.5 > 0, 1, -1)
    lr = float(rng.choice([0.5, 1.0]))
    reference = Perceptron(n_inputs, lr=lr).fit(X, y, max_epochs=500)
    result = student.train_perceptron(X, y, lr, 500)
    expect_length(result, 3, what="train_perceptron's result (w, b, epochs)")
    given = {"X": X, "y": y, "lr": lr}
    expect_close(result[0], reference.w, what="w", given=given)
    expect_close(result[1], reference.b, what="b", given=given)
    expect_equal(int(result[2]), reference.epochs_run, what="epochs")
