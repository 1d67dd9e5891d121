"""Public tests of exercise 10 (initialisation, Adam, batch normalisation, gradient clipping)."""

import numpy as np

from nnedu import nn
from nnedu.grading import expect_close, expect_equal, expect_length, expect_shape, points
from nnedu.nn.module import Parameter
from nnedu.optim import Adam

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

rng = np.random.default_rng(10)
X = rng.normal(loc=2.0, scale=3.0, size=(8, 5))
DY = rng.normal(size=(8, 5))
GAMMA, BETA = rng.normal(size=5), rng.normal(size=5)


@points(1, question="q1", hint="Shape (fan_out, fan_in): one row per output unit, as Linear.weight.")
def test_he_normal_draw(student):
    got = np.asarray(student.he_normal(30, 7, 4))
    expect_shape(got, (7, 30), what="weight")
    expected = np.random.default_rng(4).normal(0.0, np.sqrt(2.0 / 30), size=(7, 30))
    expect_close(got, expected, what="weight")


@points(1, question="q1", hint="The variance is 2 / fan_in; normal() wants its square root.")
def test_he_normal_variance(student):
    got = np.asarray(student.he_normal(50, 2000, 0))
    variance = float(got.var())
    # 100,000 draws: the sample variance is within 2 % of 2/50 = 0.04 (its relative std is 0.45 %)
    assert abs(variance / 0.04 - 1) < 0.02, f"the weights' variance is {variance:.4f}, expected 2 / fan_in = 0.04"


def reference_adam(w, grads, lr, betas, eps):
    """w after len(grads) steps of nnedu.optim.Adam (PyTorch's algorithm) with those gradients."""
    p = Parameter(np.array(w, dtype=float))
    optimizer = Adam([p], lr=lr, betas=betas, eps=eps)
    for g in grads:
        p.grad = np.array(g, dtype=float)
        optimizer.step()
    return p.data


@points(1, question="q2", hint="On step 1, Adam's step is about lr * sign(g) for every weight.")
def test_adam_first_step(student):
    w, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -4.0, 1e-3])
    result = student.adam_step(w, g, np.zeros(3), np.zeros(3), 1, 0.1, 0.9, 0.999, 1e-8)
    expect_length(result, 3)
    expect_close(result[0], reference_adam(w, [g], 0.1, (0.9, 0.999), 1e-8), what="w after step 1")


@points(2, question="q2", hint="Divide m by 1 - beta1**t and v by 1 - beta2**t, with the step number t.")
def test_adam_five_steps(student):
    w0 = np.array([1.0, -2.0, 0.5, 3.0])
    grads = [rng.normal(size=4) for _ in range(5)]
    w, m, v = w0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        g_given = g.copy()
        w, m, v = student.adam_step(w, g, m, v, t, 0.01, 0.8, 0.99, 1e-8)
        expect_equal(g, g_given, what="the gradient passed in (it must not change)")
    expect_close(w, reference_adam(w0, grads, 0.01, (0.8, 0.99), 1e-8), what="w after 5 steps")


def reference_batchnorm():
    """y and (dx, dgamma, dbeta) from nnedu's BatchNorm1d in training mode."""
    layer = nn.BatchNorm1d(5)
    layer.load_state_dict({"weight": GAMMA, "bias": BETA, "running_mean": np.zeros(5),
                           "running_var": np.ones(5), "num_batches_tracked": np.array(0)})
    y = layer(X)
    dx = layer.backward(DY)
    gamma, beta = layer.parameters()
    return y, dx, gamma.grad, beta.grad


@points(1, question="q3", hint="The variance of batch normalisation divides by N (np.var's default).")
def test_batchnorm_forward(student):
    y = student.batchnorm_forward(X.copy(), GAMMA, BETA, 1e-5)
    expect_close(y, reference_batchnorm()[0], what="y")


@points(2, question="q3", hint="Both parameter gradients are sums over the batch (axis 0); dx needs x_hat again.")
def test_batchnorm_backward(student):
    result = student.batchnorm_backward(DY.copy(), X.copy(), GAMMA, 1e-5)
    expect_length(result, 3)
    _, dx, dgamma, dbeta = reference_batchnorm()
    expect_close(result[1], dgamma, what="dgamma")
    expect_close(result[2], dbeta, what="dbeta")
    expect_close(result[0], dx, what="dx")


@points(1, question="q4", hint="Large gradients: every array scaled by the same factor.")
def test_clip_large(student):
    grads = [np.array([[3.0, 0.0], [0.0, 4.0]]), np.array([12.0])]     # joint norm 13
    given = [g.copy() for g in grads]
    result = student.clip_by_total_norm(grads, 6.5)
    expect_length(result, 2)
    clipped, total = result
    expect_close(total, 13.0, what="total norm")
    expect_close(clipped[0], given[0] / 2, what="first clipped gradient")
    expect_close(clipped[1], given[1] / 2, what="second clipped gradient")
    for g, before in zip(grads, given):
        expect_equal(g, before, what="the gradients passed in (they must not change)")


@points(1, question="q4", hint="Gradients already within max_norm come back unchanged.")
def test_clip_small(student):
    grads = [np.array([0.3, -0.4]), np.zeros((2, 2))]
    clipped, total = student.clip_by_total_norm(grads, 1.0)
    expect_close(total, 0.5, what="total norm")
    expect_close(clipped[0], grads[0], what="first gradient")
    expect_close(clipped[1], grads[1], what="second gradient")
