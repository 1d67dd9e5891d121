"""Public tests of exercise 3 (the forward pass)."""

import itertools

import numpy as np

from nnedu import Linear, Module, ReLU, Sequential
from nnedu.grading import expect_close, expect_equal, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")


def reference_mlp(params):
    layers: list[Module] = []
    for i, (W, b) in enumerate(params):
        layer = Linear(W.shape[1], W.shape[0])
        layer.load_state_dict({"weight": W, "bias": b})
        layers.append(layer)
        if i < len(params) - 1:
            layers.append(ReLU())
    return Sequential(*layers)


def random_params(sizes, seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)) for n_in, n_out in itertools.pairwise(sizes)]


@points(1, question="q1", hint="X @ W.T + b: W has shape (out, in).")
def test_dense_matches_linear(student):
    (W, b), = random_params([3, 4], 0)
    X = np.random.default_rng(1).normal(size=(5, 3))
    expect_close(student.dense(X, W, b), reference_mlp([(W, b)])(X))


@points(1, question="q1", hint="The output has one row per sample and one column per output unit.")
def test_dense_shape_for_non_square(student):
    (W, b), = random_params([7, 2], 3)
    X = np.ones((1, 7))
    expect_close(student.dense(X, W, b), X @ W.T + b)


@points(2, question="q2", hint="ReLU after the hidden layer, nothing after the last layer.")
def test_mlp_two_layers(student):
    params = random_params([3, 5, 2], 4)
    X = np.random.default_rng(5).normal(size=(6, 3))
    expect_close(student.mlp_forward(X, params), reference_mlp(params)(X))


@points(1, question="q2", hint="Loop over all the (W, b) pairs, not just two.")
def test_mlp_three_layers(student):
    params = random_params([4, 6, 5, 3], 6)
    X = np.random.default_rng(7).normal(size=(2, 4))
    expect_close(student.mlp_forward(X, params), reference_mlp(params)(X))


@points(1, question="q3", hint="n_out * n_in weights plus n_out biases per layer.")
def test_count_small(student):
    model = reference_mlp(random_params([2, 3, 1], 0))
    expect_equal(student.count_parameters([2, 3, 1]), sum(p.data.size for p in model.parameters()))


@points(1, question="q3", hint="784 * 100 + 100 + 100 * 10 + 10.")
def test_count_mnist(student):
    expect_equal(student.count_parameters([784, 100, 10]), 79510)
