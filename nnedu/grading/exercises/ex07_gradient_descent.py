"""Public tests of exercise 7 (gradient descent with momentum)."""

import numpy as np

from nnedu import Parameter
from nnedu.grading import expect_close, expect_length, points
from nnedu.optim import SGD

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

A = np.array([[3.0, 0.5], [0.5, 1.0]])
B = np.array([1.0, -1.0])


def reference_steps(w0, grads_of, lr, momentum, steps):
    """nnedu.optim.SGD on one parameter; grads_of(w) gives the gradient at w."""
    p = Parameter(np.array(w0, dtype=float))
    optimizer = SGD([p], lr=lr, momentum=momentum)
    for _ in range(steps):
        p.grad[...] = grads_of(p.data)
        optimizer.step()
    return p.data


@points(1, question="q1", hint="w - lr * grad.")
def test_gd_step(student):
    w, g = np.array([1.0, -2.0, 0.5]), np.array([0.5, 0.5, -1.0])
    expect_close(student.gd_step(w, g, 0.1), reference_steps(w, lambda _: g, 0.1, 0.0, 1))


@points(1, question="q2", hint="With v = 0 the first step is plain gradient descent, and the new v is the gradient.")
def test_momentum_first_step(student):
    w, g = np.array([1.0, 2.0]), np.array([0.3, -0.1])
    result = student.momentum_step(w, np.zeros(2), g, 0.1, 0.9)
    expect_length(result, 2)
    expect_close(result[0], w - 0.1 * g, what="w")
    expect_close(result[1], g, what="v")


@points(2, question="q2", hint="v = momentum * v + grad, then w = w - lr * v (PyTorch's convention).")
def test_momentum_matches_torch_convention(student):
    w, v = np.array([1.0, 2.0]), np.zeros(2)
    for _ in range(3):
        w, v = student.momentum_step(w, v, A @ w - B, 0.1, 0.9)
    expect_close(w, reference_steps([1.0, 2.0], lambda p: A @ p - B, 0.1, 0.9, 3))


@points(1, question="q3", hint="Without momentum, each step is w - lr * (A @ w - b).")
def test_minimize_without_momentum(student):
    expect_close(student.minimize_quadratic(A, B, np.array([2.0, 2.0]), 0.1, 0.0, 10),
                 reference_steps([2.0, 2.0], lambda p: A @ p - B, 0.1, 0.0, 10))


@points(1, question="q3", hint="Start from zero velocity and keep it from one step to the next.")
def test_minimize_with_momentum(student):
    expect_close(student.minimize_quadratic(A, B, np.array([2.0, 2.0]), 0.05, 0.8, 25),
                 reference_steps([2.0, 2.0], lambda p: A @ p - B, 0.05, 0.8, 25))


@points(1, question="q3", hint="Enough steps should reach the solution of A w = b.")
def test_minimize_converges(student):
    expect_close(student.minimize_quadratic(A, B, np.zeros(2), 0.1, 0.9, 300), np.linalg.solve(A, B), rtol=1e-4)
