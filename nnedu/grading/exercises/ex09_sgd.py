"""Public tests of exercise 9 (mini-batches and an SGD epoch)."""

import numpy as np

from nnedu import Linear, MSELoss
from nnedu.grading import expect_close, expect_equal, expect_length, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

rng = np.random.default_rng(9)
X = rng.normal(size=(50, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.01 * rng.normal(size=50)


def reference_batches(n, batch_size, seed):
    order = np.random.default_rng(seed).permutation(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def reference_grad(X, y, w, b):
    """Gradients from nnedu's Linear and MSELoss."""
    layer = Linear(X.shape[1], 1)
    layer.load_state_dict({"weight": w[None, :], "bias": np.reshape(b, 1)})
    loss_fn = MSELoss()
    loss_fn(layer(X)[:, 0], y)
    layer.backward(loss_fn.backward()[:, None])
    return layer.weight.grad[0], float(layer.parameters()[1].grad[0])


def reference_epoch(X, y, w, b, lr, batch_size, seed):
    for idx in reference_batches(len(y), batch_size, seed):
        gw, gb = reference_grad(X[idx], y[idx], w, b)
        w, b = w - lr * gw, b - lr * gb
    return w, b


@points(1, question="q1", hint="rng = np.random.default_rng(seed); order = rng.permutation(n); slice it in order.")
def test_minibatches_match_reference(student):
    batches = student.minibatch_indices(10, 4, 3)
    expected = reference_batches(10, 4, 3)
    expect_length(batches, len(expected), what="number of batches")
    for got, want in zip(batches, expected):
        expect_equal(np.asarray(got), want, what="batch")


@points(1, question="q1", hint="Every index appears exactly once; the last batch holds what is left.")
def test_minibatches_cover_everything(student):
    batches = student.minibatch_indices(23, 5, 0)
    expect_equal([len(b) for b in batches], [5, 5, 5, 5, 3], what="batch sizes")
    expect_equal(np.sort(np.concatenate([np.asarray(b) for b in batches])), np.arange(23), what="indices")


@points(2, question="q2", hint="r = X @ w + b - y; (2 / N) X.T @ r and (2 / N) r.sum().")
def test_linear_mse_grad(student):
    w, b = np.array([0.5, 0.1, -0.3]), 0.2
    result = student.linear_mse_grad(X, Y, w, b)
    expect_length(result, 2)
    gw, gb = reference_grad(X, Y, w, b)
    expect_close(result[0], gw, what="grad_w")
    expect_close(result[1], gb, what="grad_b")


@points(2, question="q3", hint="Use the batches of minibatch_indices(len(y), batch_size, seed), in order.")
def test_sgd_epoch_matches_reference(student):
    w0 = np.zeros(3)
    result = student.sgd_epoch(X, Y, w0, 0.0, 0.05, 8, 1)
    expect_length(result, 2)
    w, b = reference_epoch(X, Y, w0, 0.0, 0.05, 8, 1)
    expect_close(result[0], w, what="w")
    expect_close(result[1], b, what="b")


@points(1, question="q3", hint="A few epochs with a small learning rate should reduce the loss.")
def test_sgd_epochs_reduce_the_loss(student):
    w, b = np.zeros(3), 0.0
    for epoch in range(10):
        w, b = student.sgd_epoch(X, Y, w, b, 0.05, 10, epoch)
    before = np.mean((X @ np.zeros(3) - Y) ** 2)
    after = np.mean((X @ np.asarray(w) + b - Y) ** 2)
    assert after < 0.05 * before, f"loss went from {before:.3f} to {after:.3f} after 10 epochs"
