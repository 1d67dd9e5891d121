"""Example hidden tests of exercise 3 (the forward pass), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 03 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones.
"""

import itertools

import numpy as np

from nnedu.grading import expect_close, expect_length, points
from nnedu.grading.exercises.ex03_forward_pass import reference_network


def _random_params(rng, depth):
    sizes = [int(n) for n in rng.integers(1, 9, size=depth + 1)]
    pairs = itertools.pairwise(sizes)
    return sizes, [(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)) for n_in, n_out in pairs]


@points(1, question="q1", hint="Any batch size and any (out, in).", kind="implement")
def test_hidden_linear_random_shapes(student, rng):
    _, [(W, b)] = _random_params(rng, 1)
    X = rng.normal(size=(int(rng.integers(1, 9)), W.shape[1]))
    expect_close(student.linear_forward(W, b, X), reference_network([(W, b)])(X), what="Z", given={"weight": W, "x": X})
    expect_close(student.linear_forward(W, b, X[0]), W @ X[0] + b, what="one example", given={"weight": W, "x": X[0]})


@points(1, question="q2", hint="Any depth and widths: every activation of the list.", kind="implement")
def test_hidden_forward_randomreference_network(student, rng):
    sizes, params = _random_params(rng, int(rng.integers(1, 5)))
    X = rng.normal(size=(int(rng.integers(1, 7)), sizes[0]))
    acts = student.network_forward(params, X)
    expect_length(acts, len(params) + 1, what="the list of activations")
    expect_close(acts[0], X, what="A^0")
    for l in range(1, len(params) + 1):
        z = reference_network(params[:l])(X)
        expect_close(acts[l], z if l == len(params) else np.maximum(z, 0.0), what=f"A^{l}",
                     given={"x": X, "layer widths": sizes})


@points(1, question="q6", hint="Any depth and widths: the collapse computes the stack's function.", kind="implement")
def test_hidden_collapse_random_stack(student, rng):
    sizes, params = _random_params(rng, int(rng.integers(1, 6)))
    result = student.collapse_linear(params)
    expect_length(result, 2, what="collapse_linear's result (weight, bias)")
    X = rng.normal(size=(5, sizes[0]))
    got = X @ np.asarray(result[0], dtype=float).T + np.asarray(result[1], dtype=float)
    expect_close(got, reference_network(params, relu=False)(X), what="x W^T + b of the collapse",
                 given={"x": X, "layer widths": sizes})
