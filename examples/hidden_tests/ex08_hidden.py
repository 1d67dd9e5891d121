"""Example hidden tests of exercise 8 (backpropagation and the gradient check), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 08 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones. The right answers come from nnedu's
layers and from nnedu.numerical_gradient, as in the public tests (whose helpers are reused here).
"""

import numpy as np

from nnedu.grading import expect_close, expect_unchanged, points
from nnedu.grading.exercises import ex08_backprop as PUBLIC  # the public tests: reference and named mistakes


def _network(rng, shape, N):
    X, T = rng.normal(size=(N, shape[0])), rng.uniform(size=(N, shape[-1]))
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(shape[:-1], shape[1:])]
    biases = [rng.normal(size=n_out) for n_out in shape[1:]]
    return X, T, weights, biases


@points(1, question="q2", hint="Any batch size and layer shape; dW (out, in), db (out,), dx (N, in).", kind="implement")
def test_hidden_linear_random_shapes(student, rng):
    N, n_in, n_out = (int(n) for n in rng.integers(1, 9, size=3))
    W, b = rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
    x, delta = rng.normal(size=(N, n_in)), rng.normal(size=(N, n_out))
    return PUBLIC.check_linear(student, W, b, x, delta, with_forward=True)


@points(1, question="q3", hint="Any numbers of examples, inputs, hidden units and outputs.", kind="implement")
def test_hidden_two_layer_random_network(student, rng):
    n0, n1, n2 = (int(n) for n in rng.integers(1, 7, size=3))
    N = int(rng.integers(1, 10))
    X, T, (W1, W2), (b1, b2) = _network(rng, (n0, n1, n2), N)
    got = student.two_layer_gradients(X, T, W1, b1, W2, b2)
    PUBLIC._as_dict_of_gradients(got, "two_layer_gradients(...)")
    _, ref_W, ref_b = PUBLIC.reference(X, T, [W1, W2], [b1, b2], sigmoid_output=False)
    given = {"X": X, "T": T, "W1": W1, "W2": W2}
    for name, ref in (("W1", ref_W[0]), ("b1", ref_b[0]), ("W2", ref_W[1]), ("b2", ref_b[1])):
        expect_close(got[name], ref, what=f"dC/d{name}", given=given)


@points(1, question="q4", hint="Any depth from 1 to 5 and any layer sizes.", kind="implement")
def test_hidden_backprop_random_depth(student, rng):
    L = int(rng.integers(1, 6))
    shape = tuple(int(n) for n in rng.integers(1, 7, size=L + 1))
    part = PUBLIC.check_backprop(student, *_network(rng, shape, int(rng.integers(1, 9))))
    part.messages = [f"layer sizes {shape}: {m}" for m in part.messages]
    return part


@points(1, question="q5", hint="Central differences for any shape of x and any eps; x as it was afterwards.",
        kind="implement")
def test_hidden_numerical_gradient_random_point(student, rng):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    x, eps = rng.normal(size=shape), float(10.0 ** rng.uniform(-4, -3))
    got = student.numerical_gradient(student.cubic, x, eps)
    _, (x_after, _) = student.numerical_gradient_of_cubic.and_inputs(x, eps)
    expect_unchanged(x, x_after, what="x")
    expect_close(got, 3 * x**2 + 2 * np.sum(x), rtol=1e-6, atol=1e-5, what="numerical gradient of cubic",
                 given={"x": x, "eps": eps})
