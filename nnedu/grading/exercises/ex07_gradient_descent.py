"""Public tests of exercise 7 (gradient descent, learning rates, gradient checking, linear regression).

The references are closed forms (gradient descent on a diagonal quadratic, the derivatives of the given
functions, least squares) or nnedu.optim.SGD; the common mistakes are the values a mistaken implementation
returns on the same input, computed here by running the mistaken algorithm.
"""

import numpy as np

from nnedu import Parameter
from nnedu.grading import Partial, expect_choice, expect_close, expect_length, expect_unchanged, points
from nnedu.optim import SGD

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

rng = np.random.default_rng(7)
X_BATCH = rng.normal(size=(20, 3))
Y_BATCH = X_BATCH @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.3 * rng.normal(size=20)
W_AT, B_AT = rng.normal(size=3), 0.4
X_FIT = rng.normal(size=(40, 3))
Y_FIT = X_FIT @ np.array([2.0, -1.0, 0.5]) + 3.0 + 0.1 * rng.normal(size=40)


# Question 1: the gradient-descent loop

def closed_form_path(a, c, w0, lr, steps):
    """Plain gradient descent on sum(a (w - c)^2) / 2: the distance to c is multiplied by 1 - lr a per step."""
    k = np.arange(steps + 1)[:, None]
    return c + (w0 - c) * (1 - lr * a) ** k


def momentum_path(a, c, w0, lr, steps, momentum, order="pytorch"):
    """Gradient descent with momentum on the same quadratic: PyTorch's order, or two mistaken ones."""
    w, v, path = np.array(w0, dtype=float), np.zeros(len(w0)), [np.array(w0, dtype=float)]
    for _ in range(steps):
        g = a * (w - c)
        if order == "pytorch":
            v = momentum * v + g
            w = w - lr * v
        elif order == "step first":              # the old velocity moves w, then the velocity is updated
            w = w - lr * v
            v = momentum * v + g
        else:                                     # an exponential average of the gradients
            v = momentum * v + (1 - momentum) * g
            w = w - lr * v
        path.append(w)
    return np.array(path)


def sgd_path(a, c, w0, lr, steps, momentum):
    """The same trajectory from nnedu.optim.SGD (PyTorch's algorithm), as an independent reference."""
    p = Parameter(np.array(w0, dtype=float))
    optimizer = SGD([p], lr=lr, momentum=momentum)
    path = [p.data.copy()]
    for _ in range(steps):
        p.grad[...] = a * (p.data - c)
        optimizer.step()
        path.append(p.data.copy())
    return np.array(path)


def loop_mistakes(a, c, w0, lr, steps):
    return {
        "the trajectory lacks the starting point w0": lambda got: got.shape == (steps,) + np.shape(w0),
        "the gradient has the wrong sign (ascent)": closed_form_path(a, c, w0, -lr, steps),
        "every row is the last w (one array changed in place and stored at every step)":
            lambda got: got.shape == (steps + 1,) + np.shape(w0) and bool(np.allclose(got, got[-1])),
        "the learning rate is missing (a step of the whole gradient)": closed_form_path(a, c, w0, 1.0, steps),
    }


@points(1, question="q1", hint="Row 0 is w0 itself; row k is w after k steps, each a copy of its own.")
def test_gd_guessing_game(student):
    a, c, w0 = np.array([2.0]), np.array([7.0]), np.array([0.0])
    got, (_, _, w0_after, _, _) = student.descend_quadratic.and_inputs(a, c, w0, 0.1, 8)
    expect_close(got, closed_form_path(a, c, w0, 0.1, 8), what="trajectory on (w - 7)^2",
                 given={"w0": w0, "lr": 0.1, "steps": 8}, mistakes=loop_mistakes(a, c, w0, 0.1, 8))
    expect_unchanged(w0, w0_after, what="w0")


@points(1, question="q1", hint="Every step subtracts lr times the gradient at the current w.")
def test_gd_elongated_bowl(student):
    a, c, w0 = np.array([1.0, 20.0]), np.zeros(2), np.array([-9.0, 1.5])
    got, (_, _, w0_after, _, _) = student.descend_quadratic.and_inputs(a, c, w0, 0.09, 30)
    expect_close(got, closed_form_path(a, c, w0, 0.09, 30), what="trajectory on the elongated bowl",
                 given={"w0": w0, "lr": 0.09, "steps": 30}, mistakes=loop_mistakes(a, c, w0, 0.09, 30))
    expect_unchanged(w0, w0_after, what="w0")


@points(2, question="q1", hint="The velocity starts at zero, is updated first and then moves w; it lives across steps.")
def test_gd_momentum(student):
    a, c, w0 = np.array([1.0, 20.0]), np.array([0.5, -1.0]), np.array([-9.0, 1.5])
    args = (0.09, 60, 0.8)
    got = student.descend_quadratic(a, c, w0, *args)
    expect_close(got, sgd_path(a, c, w0, *args), what="trajectory with momentum 0.8",
                 given={"w0": w0, "lr": 0.09, "steps": 60, "momentum": 0.8}, mistakes={
                     "the velocity is not kept from one step to the next (plain gradient descent)":
                         closed_form_path(a, c, w0, 0.09, 60),
                     "the step uses the old velocity (the velocity is updated after the step)":
                         momentum_path(a, c, w0, *args, order="step first"),
                     "an average of the gradients (mu v + (1 - mu) g), not PyTorch's sum (mu v + g)":
                         momentum_path(a, c, w0, *args, order="average"),
                 })


# Question 2: by hand

@points(1, question="q2", kind="derive", hint="Two steps, each with the derivative at the current w.")
def test_q2_two_steps(student):
    got = student.q2_two_steps()
    expect_length(got, 2, what="(w1, w2)")
    expect_close(np.array(got, dtype=float), [1.4, 2.52], rtol=1e-3, what="(w1, w2)", mistakes={
        "the gradient has the wrong sign (ascent)": [-1.4, -3.08],
        "the factor 2 of the derivative is missing": [0.7, 1.33],
        "the first step's gradient is used again for the second": [1.4, 2.8],
    })


@points(1, question="q2", kind="derive",
        hint="Each coordinate has its own partial derivative, and only the second carries the 20.")
def test_q2_bowl_step(student):
    expect_close(student.q2_bowl_step(), [-8.19, -1.2], rtol=1e-3, what="w after one step", mistakes={
        "the gradient has the wrong sign (ascent)": [-9.81, 4.2],
        "the curvature 20 is left out of the second coordinate": [-8.19, 1.365],
    })


@points(1, question="q2", kind="derive", hint="Chapter 7 writes a quadratic as (a/2) w^2: its curvature is a.")
def test_q2_critical_learning_rate(student):
    expect_close(student.q2_critical_learning_rate(), 0.2, rtol=1e-3, what="critical learning rate", mistakes={
        "2/a with a = 5: the curvature of 5 w^2 is 10, not 5": 0.4,
        "1 over the curvature: that rate reaches the minimum in one step; the limit is twice it": 0.1,
    })


# Question 3: predict what a learning rate does

@points(1, question="q3", kind="predict",
        hint="What matters is lr times the curvature L'', not the learning rate alone.")
def test_q3_lr_10(student):
    expect_choice(student.q3_lr_10(), "c", "abcd", what="lr = 10 on 0.05 (w - 3)^2", mistakes={
        "a": "10 is a large number, but the curvature is 0.1: lr times the curvature is 1",
        "b": "the factor 1 - lr L'' is exactly 0 here, not negative",
    })


@points(1, question="q3", kind="predict", hint="Work out 1 - lr L'' and look at its sign and its size.")
def test_q3_lr_15(student):
    expect_choice(student.q3_lr_15(), "b", "abcd", what="lr = 15 on 0.05 (w - 3)^2", mistakes={
        "a": "the factor 1 - lr L'' = -0.5 is negative but smaller than 1 in size: it still converges",
        "d": "a negative factor flips w to the other side of the minimum at every step",
    })


# Question 4: a gradient checker

def quartic(w):
    return float(np.sum(w**4 - 3 * w**2 + w))


def rosenbrock(w):
    return float(np.sum(100 * (w[1:] - w[:-1] ** 2) ** 2 + (1 - w[:-1]) ** 2))


def rosenbrock_grad(w):
    grad = np.zeros_like(w)
    grad[:-1] = -400 * w[:-1] * (w[1:] - w[:-1] ** 2) - 2 * (1 - w[:-1])
    grad[1:] += 200 * (w[1:] - w[:-1] ** 2)
    return grad


def finite_differences(f, w, h, how):
    """What a mistaken numerical_gradient returns: forward differences, or central ones that never restore w."""
    w, grad = np.array(w, dtype=float), np.zeros(np.shape(w))
    for i in np.ndindex(w.shape):
        if how == "forward":
            f_at = f(w)
            w[i] += h
            grad[i] = (f(w) - f_at) / h
            w[i] -= h
        else:                                    # "not restored": w[i] ends at w[i] - h
            w[i] += h
            f_plus = f(w)
            w[i] -= 2 * h
            grad[i] = (f_plus - f(w)) / (2 * h)
    return grad


W_QUARTIC = np.array([[-1.5, 1.2, 0.3], [2.0, -0.1, 1.7]])   # |12 w^2 - 6| >= 4.9: forward differences are off
W_ROSENBROCK = np.array([-1.2, 1.0, 0.5, 2.0])


@points(1, question="q4", hint="One entry moved at a time, by +h and by -h; the result has w's shape.")
def test_numerical_gradient_quartic(student):
    w, h = W_QUARTIC, 1e-5
    exact = 4 * w**3 - 6 * w + 1
    expect_close(student.numerical_gradient(student.quartic, w, h), exact, rtol=1e-7, atol=1e-7,
                 what="numerical gradient of quartic", given={"w": w, "h": h}, mistakes={
                     "a flat gradient, not shaped like w": lambda got: got.shape == (w.size,),
                     "forward difference instead of central (an error of order h)":
                         finite_differences(quartic, w, h, "forward"),
                     "divided by h instead of 2h (twice the gradient)": 2 * exact,
                     "every entry moved at once (each entry is the same directional derivative)":
                         lambda got: got.shape == w.shape and bool(np.allclose(got, got.flat[0]))
                         and abs(float(got.flat[0]) - float(exact.sum())) < 1e-3,
                 })


@points(2, question="q4", hint="Put each entry back to its value before you move the next one.")
def test_numerical_gradient_rosenbrock(student):
    w, h = W_ROSENBROCK, 1e-5
    expect_close(student.numerical_gradient(student.rosenbrock, w, h), rosenbrock_grad(w), rtol=1e-7, atol=1e-6,
                 what="numerical gradient of rosenbrock", given={"w": w, "h": h}, mistakes={
                     "w is moved in place and not restored (later entries are measured at a shifted point)":
                         finite_differences(rosenbrock, w, h, "not restored"),
                     "forward difference instead of central (an error of order h)":
                         finite_differences(rosenbrock, w, h, "forward"),
                     "divided by h instead of 2h (twice the gradient)": 2 * rosenbrock_grad(w),
                 })


@points(1, question="q4", hint="Norms over all entries, divided by the sum of both norms; 0 for two zero gradients.")
def test_relative_error(student):
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    b = a + np.array([[0.1, 0.0], [-0.2, 0.05]])
    diff = np.linalg.norm(a - b)
    expected = diff / (np.linalg.norm(a) + np.linalg.norm(b))
    expect_close(student.relative_error(a, b), expected, what="relative error", given={"a": a, "b": b}, mistakes={
        "absolute instead of relative error (the norm of the difference alone)": diff,
        "divided by the norm of one gradient only":
            lambda got: bool(np.isclose(got, diff / np.linalg.norm(a)) or np.isclose(got, diff / np.linalg.norm(b))),
        "the largest entry's difference instead of the norms":
            np.max(np.abs(a - b)) / (np.max(np.abs(a)) + np.max(np.abs(b))),
    })
    zeros = np.zeros((2, 2))
    expect_close(student.relative_error(zeros, zeros), 0.0, what="relative error of two zero gradients",
                 mistakes={"0 / 0 for two zero gradients (nan)": lambda got: bool(np.isnan(got))})


# Question 5: linear regression

@points(2, question="q5",
        hint="Chain rule: chapter 6's dL/dyhat_n, then for each parameter a sum over the batch of its rate times that.")
def test_linear_regression_grads(student):
    x, y, w, b = X_BATCH, Y_BATCH, W_AT, B_AT
    n = len(y)
    r = x @ w + b - y
    given = {"X": x, "y": y, "w": w, "b": b}
    got = student.linear_regression_grads(x, y, w, b)
    expect_length(got, 3, what="(loss, dw, db)")
    loss, dw, db = got
    part = Partial()
    with part(1):
        expect_close(loss, np.mean(r**2), what="loss", given=given, mistakes={
            "sum instead of mean (a factor of N)": np.sum(r**2),
        })
    with part(2):
        expect_close(dw, 2 * x.T @ r / n, what="dL/dw", given=given, mistakes={
            "sum instead of mean (a factor of N)": 2 * x.T @ r,
            "the gradient has the wrong sign": -2 * x.T @ r / n,
            "the factor 2 is missing": x.T @ r / n,
            "one entry per example, not per weight (the batch is not summed)": lambda got: np.shape(got) == (n,)
                                                                              or np.shape(got) == (n, 3),
        })
    with part(1):
        expect_close(db, 2 * np.mean(r), what="dL/db", given=given, mistakes={
            "the bias gradient is missing (db = 0)": 0.0,
            "sum instead of mean (a factor of N)": 2 * np.sum(r),
            "the gradient has the wrong sign": -2 * np.mean(r),
        })
    return part


@points(1, question="q5", hint="From zeros, one step moves w by lr times minus its gradient, and b too.")
def test_fit_one_step(student):
    x, y, lr = X_FIT, Y_FIT, 0.1
    n = len(y)
    w1, b1 = lr * 2 * x.T @ y / n, lr * 2 * np.mean(y)       # the gradients at zero are -2 X^T y / N and -2 mean(y)
    got = student.fit_linear_regression(x, y, lr, 1)
    expect_length(got, 2, what="(w, b)")
    given = {"X": x, "y": y, "lr": lr, "steps": 1}
    expect_close(got[0], w1, what="w after one step", given=given, mistakes={
        "the gradient has the wrong sign (ascent)": -w1,
        "sum instead of mean (a factor of N)": n * w1,
    })
    expect_close(got[1], b1, what="b after one step", given=given, mistakes={
        "the bias is never updated": 0.0,
        "the gradient has the wrong sign (ascent)": -b1,
    })


@points(1, question="q5", hint="Enough steps at a stable rate reach the least-squares solution.")
def test_fit_converges(student):
    x, y = X_FIT, Y_FIT
    with_ones = np.column_stack([x, np.ones(len(y))])
    best = np.linalg.lstsq(with_ones, y, rcond=None)[0]                  # least squares: (w, b)
    no_bias = np.linalg.lstsq(x, y, rcond=None)[0]
    got = student.fit_linear_regression(x, y, 0.1, 300)
    expect_length(got, 2, what="(w, b)")
    expect_close(got[0], best[:3], rtol=1e-6, atol=1e-8, what="w after 300 steps", given={"X": x, "y": y},
                 mistakes={"the bias is never updated": no_bias,
                           "the parameters run away (a step uphill?)": lambda got: not np.all(np.abs(got) < 1e6)})
    expect_close(got[1], best[3], rtol=1e-6, atol=1e-8, what="b after 300 steps")


# Question 6: predict

@points(1, question="q6", kind="predict", hint="Multiplying X by 10 multiplies every second derivative of L by 100.")
def test_q6_scaled_features(student):
    expect_choice(student.q6_scaled_features(), "c", "abcd", what="the fit on features x 10", mistakes={
        "a": "the minimum does move to weights 10 times smaller, but gradient descent no longer reaches it",
        "b": "larger gradients are not faster progress once lr times the curvature exceeds 2",
        "d": "the curvature grows 100-fold: the same learning rate becomes too large, not too small",
    })


@points(1, question="q6", kind="predict",
        hint="Write the gradient at a point on the w1 axis: which of its coordinates can it change?")
def test_q6_saddle(student):
    expect_choice(student.q6_saddle(), "a", "abcd", what="gradient descent from (1, 0) on w1^2 - w2^2", mistakes={
        "b": "started exactly on the w1 axis, the gradient never has a w2 component: nothing moves w off the axis",
        "c": "the origin is not a minimum: L falls along w2",
        "d": "along w1 the loss is w1^2, a bowl: with lr = 0.1 it converges",
    })
