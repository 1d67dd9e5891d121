"""Public tests of exercise 4 (activation functions and their derivatives).

q1-q4 implement (the sigmoid, the ReLU family, activation layers, a numerical check), q5 derive (slopes and the
gradient through a chain of sigmoids), q6 predict (vanishing gradients, a dead ReLU, a gradient check at a kink).
"""

import numpy as np

from nnedu import functional as F
from nnedu.grading import expect_choice, expect_close, expect_length, expect_unchanged, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

_rng = np.random.default_rng(4)
Z = np.array([[-3.0, -0.5, 0.0], [0.25, 1.0, 4.0]])  # a small batch with an entry at the kink z = 0
Z_BATCH = _rng.normal(0.0, 2.0, size=(5, 4))
UPSTREAM = _rng.normal(size=(5, 4))  # dL/da for the layers' backward
UPSTREAM_SMALL = _rng.normal(size=Z.shape)
EXTREMES = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])

WRONG_SIGN = "the gradient has the wrong sign"
IGNORES_UPSTREAM = "backward ignores grad_output (the chain rule multiplies the slope by it)"
SIGMA_ONE_MINUS_Z = "the derivative written as sigma(z) * (1 - z) instead of sigma(z) * (1 - sigma(z))"
Z_ONE_MINUS_Z = "the derivative written as z * (1 - z): a(1 - a) needs a = sigma(z), not z"


# q1: the sigmoid ---------------------------------------------------------------------------------------------

@points(1, question="q1", hint="Chapter 4's table: the sigmoid of 0 is 1/2 and it rises towards 1 for large z.")
def test_sigmoid_values(student):
    out, (z_after,) = student.sigmoid.and_inputs(Z_BATCH)
    expect_close(out, F.sigmoid(Z_BATCH), what="sigmoid(z)", given={"z": Z_BATCH}, mistakes={
        "the sign of the exponent is flipped (that is sigma(-z))": F.sigmoid(-Z_BATCH),
        "tanh instead of the sigmoid": np.tanh(Z_BATCH),
    })
    expect_unchanged(Z_BATCH, z_after, what="z")


@points(1, question="q1", hint="For large positive z, a fraction of two exponentials is inf / inf; pick, per sign "
                              "of z, the form whose exponential stays at most 1.")
def test_sigmoid_extremes(student):
    expect_close(student.sigmoid(EXTREMES), F.sigmoid(EXTREMES), what="sigmoid(z) for large |z|",
                 given={"z": EXTREMES}, mistakes={
                     "the sigmoid written as e^z / (1 + e^z) overflows to nan for large z":
                         lambda got: bool(np.isnan(got[-1])),
                     "the sigmoid overflows to nan for large |z|": lambda got: bool(np.isnan(got).any()),
                 })


@points(1, question="q1", hint="The chapter's formula is written in the sigmoid's value at z, in both factors.")
def test_sigmoid_grad(student):
    s = F.sigmoid(Z_BATCH)
    expect_close(student.sigmoid_grad(Z_BATCH), F.sigmoid_grad(Z_BATCH), what="sigmoid_grad(z)",
                 given={"z": Z_BATCH}, mistakes={
                     SIGMA_ONE_MINUS_Z: s * (1 - Z_BATCH),
                     Z_ONE_MINUS_Z: Z_BATCH * (1 - Z_BATCH),
                     "the derivative written as sigma(1 - z)": F.sigmoid(1 - Z_BATCH),
                     "the sigmoid itself instead of its derivative": s,
                 })


# q2: ReLU and leaky ReLU ------------------------------------------------------------------------------------

@points(1, question="q2", hint="Keep the positive part of z and put 0 elsewhere, in a new array.")
def test_relu(student):
    out, (z_after,) = student.relu.and_inputs(Z)
    expect_close(out, F.relu(Z), what="relu(z)", given={"z": Z}, mistakes={
        "the negative part kept instead of the positive part (min instead of max)": np.minimum(Z, 0.0),
        "ReLU's derivative instead of ReLU": F.relu_grad(Z),
    })
    expect_unchanged(Z, z_after, what="z")


@points(1, question="q2", hint="The slope is 1 where z > 0 and 0 elsewhere, and the kink z = 0 takes the slope on its "
                              "left, as in nnedu and PyTorch.")
def test_relu_grad(student):
    expect_close(student.relu_grad(Z), F.relu_grad(Z), what="relu_grad(z)", given={"z": Z}, mistakes={
        "the derivative at z = 0 taken as 1 (nnedu and PyTorch take 0 there)": (Z >= 0).astype(float),
        "ReLU itself instead of its derivative": F.relu(Z),
    })


@points(1, question="q2", hint="Use the negative_slope argument (0.01 is only its default), and only for z <= 0.")
def test_leaky_relu(student):
    out, (z_after, _) = student.leaky_relu.and_inputs(Z_BATCH, 0.2)
    expect_close(out, F.leaky_relu(Z_BATCH, 0.2), what="leaky_relu(z, negative_slope=0.2)",
                 given={"z": Z_BATCH, "negative_slope": 0.2}, mistakes={
                     "the slope fixed at 0.01 instead of negative_slope": F.leaky_relu(Z_BATCH, 0.01),
                     "negative inputs set to 0 (plain ReLU)": F.relu(Z_BATCH),
                     "the slope applied to the positive side": np.where(Z_BATCH > 0, 0.2 * Z_BATCH, Z_BATCH),
                 })
    expect_unchanged(Z_BATCH, z_after, what="z")
    expect_close(student.leaky_relu(Z_BATCH), F.leaky_relu(Z_BATCH), what="leaky_relu(z) with the default slope",
                 given={"z": Z_BATCH})


@points(1, question="q2", hint="Two slopes: 1 where z is positive, negative_slope elsewhere (the kink takes its "
                              "left slope).")
def test_leaky_relu_grad(student):
    given = {"z": Z, "negative_slope": 0.2}
    expect_close(student.leaky_relu_grad(Z, 0.2), F.leaky_relu_grad(Z, 0.2), what="leaky_relu_grad(z, 0.2)",
                 given=given, mistakes={
                     "the derivative at z = 0 taken as 1 (nnedu and PyTorch take the slope there)":
                         np.where(Z >= 0, 1.0, 0.2),
                     "the derivative on the negative side taken as 0 (ReLU's derivative)": F.relu_grad(Z),
                     "the slope fixed at 0.01 instead of negative_slope": F.leaky_relu_grad(Z, 0.01),
                     "leaky ReLU itself instead of its derivative": F.leaky_relu(Z, 0.2),
                 })
    expect_close(student.leaky_relu_grad(Z), F.leaky_relu_grad(Z), what="leaky_relu_grad(z) with the default slope",
                 given={"z": Z})


# q3: activation layers --------------------------------------------------------------------------------------

def _layer_result(result, name):
    expect_length(result, 2, what=f"{name} (the pair (a, dL/dz))")
    return result


@points(1, question="q3", hint="With dL/da = 1 everywhere, backward returns tanh's slope, which is 1 minus the "
                              "square of the forward output.")
def test_tanh_layer(student):
    ones = np.ones_like(Z_BATCH)
    a, dz = _layer_result(student.tanh_layer(Z_BATCH, ones), "tanh_layer(z, ones)")
    given = {"z": Z_BATCH, "grad_output": ones}
    expect_close(a, np.tanh(Z_BATCH), what="a = forward(z)", given=given)
    expect_close(dz, F.tanh_grad(Z_BATCH), what="dL/dz = backward(ones)", given=given, mistakes={
        "backward uses 1 - tanh(z) instead of 1 - tanh(z)**2": 1 - np.tanh(Z_BATCH),
        "backward uses 1 - z**2 (z instead of tanh z)": 1 - Z_BATCH**2,
        WRONG_SIGN: -F.tanh_grad(Z_BATCH),
        "backward returns tanh itself instead of its slope": np.tanh(Z_BATCH),
    })


@points(1, question="q3", hint="Backward multiplies the slope, entry by entry, by the gradient it receives.")
def test_tanh_layer_chain_rule(student):
    a, dz = _layer_result(student.tanh_layer(Z_BATCH, UPSTREAM), "tanh_layer(z, grad_output)")
    expect_close(dz, F.tanh_grad(Z_BATCH) * UPSTREAM, what="dL/dz = backward(grad_output)",
                 given={"z": Z_BATCH, "grad_output": UPSTREAM}, mistakes={
                     IGNORES_UPSTREAM: F.tanh_grad(Z_BATCH),
                     WRONG_SIGN: -F.tanh_grad(Z_BATCH) * UPSTREAM,
                     "the slope added to grad_output instead of multiplied": F.tanh_grad(Z_BATCH) + UPSTREAM,
                 })


@points(1, question="q3", hint="Remember z in forward; backward is the slope at that z (question 2) times the "
                              "upstream gradient.")
def test_leaky_relu_layer(student):
    a, dz = _layer_result(student.leaky_relu_layer(Z, UPSTREAM_SMALL, 0.1), "leaky_relu_layer(z, grad_output, 0.1)")
    given = {"z": Z, "grad_output": UPSTREAM_SMALL, "negative_slope": 0.1}
    expect_close(a, F.leaky_relu(Z, 0.1), what="a = forward(z)", given=given)
    expect_close(dz, F.leaky_relu_grad(Z, 0.1) * UPSTREAM_SMALL, what="dL/dz = backward(grad_output)", given=given,
                 mistakes={
                     IGNORES_UPSTREAM: F.leaky_relu_grad(Z, 0.1),
                     "the derivative at z = 0 taken as 1 (nnedu and PyTorch take the slope there)":
                         np.where(Z >= 0, 1.0, 0.1) * UPSTREAM_SMALL,
                     "the slope fixed at 0.01 instead of negative_slope": F.leaky_relu_grad(Z, 0.01) * UPSTREAM_SMALL,
                     WRONG_SIGN: -F.leaky_relu_grad(Z, 0.1) * UPSTREAM_SMALL,
                 })


# q4: numerical derivatives ----------------------------------------------------------------------------------

@points(1, question="q4", hint="Step eps to the right and eps to the left of every entry, and divide the difference "
                              "by the distance between the two points.")
def test_numerical_derivative(student):
    z = np.linspace(-2.0, 2.0, 12).reshape(3, 4)
    eps = 1e-3
    exact = 3 * z**2 - 2
    # The central difference of a cubic is exact up to eps**2: (g(z + h) - g(z - h)) / 2h = 3 z**2 - 2 + h**2.
    central = exact + eps**2
    forward = exact + 3 * z * eps + eps**2
    expect_close(student.numerical_derivative(student.cubic, z, eps=eps), central, rtol=1e-7, atol=1e-9,
                 what="numerical_derivative(cubic, z, eps=1e-3)", given={"z": z, "eps": eps}, mistakes={
                     "the forward difference (g(z + eps) - g(z)) / eps instead of the central difference": forward,
                     "the backward difference (g(z) - g(z - eps)) / eps instead of the central difference":
                         exact - 3 * z * eps + eps**2,
                     "divided by eps instead of 2 * eps (twice the derivative)": 2 * central,
                     WRONG_SIGN: -central,
                     "eps ignored (a step of your own instead of the one given)":
                         lambda got: bool(np.allclose(got, exact, rtol=0, atol=5e-7)),
                 })


@points(1, question="q4", hint="One Euclidean norm over all the entries of each array, not one per entry.")
def test_relative_error(student):
    rng = np.random.default_rng(41)
    a = rng.normal(size=(3, 4))
    b = a + 1e-3 * rng.normal(size=(3, 4))
    norm = np.linalg.norm
    expected = norm(a - b) / (norm(a) + norm(b))
    expect_close(student.relative_error(a, b), expected, what="relative_error(a, b)", given={"a": a, "b": b},
                 mistakes={
                     "the largest entry-wise relative error instead of a ratio of norms":
                         np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))),
                     "the distance not divided (||a - b|| alone)": norm(a - b),
                     "divided by the norm of one array instead of the sum of both norms": norm(a - b) / norm(a),
                     "sums of squares instead of norms": np.sum((a - b) ** 2) / (np.sum(a**2) + np.sum(b**2)),
                 })


@points(1, question="q4", hint="Two all-zero gradients agree perfectly; opposite gradients are as far apart as can be.")
def test_relative_error_edge_cases(student):
    zeros = np.zeros((2, 3))
    expect_close(student.relative_error(zeros, zeros), 0.0, what="relative_error(zeros, zeros)",
                 given={"a": zeros, "b": zeros}, mistakes={
                     "0 / 0 = nan when both arrays are zero (return 0.0 there)": lambda got: bool(np.isnan(got)),
                 })
    a = np.arange(1.0, 7.0).reshape(2, 3)
    expect_close(student.relative_error(a, -a), 1.0, what="relative_error(a, -a)", given={"a": a, "b": -a})


# q5: derive ---------------------------------------------------------------------------------------------------

@points(1, question="q5", kind="derive", hint="sigma(ln 3) = 3/4; the slope is that value times one minus it. For the "
                                               "largest slope, maximise a product of two numbers that add up to 1.")
def test_sigmoid_slopes(student):
    expect_close(student.q5_sigmoid_slopes(), [0.25, 3 / 16, 0.25], rtol=1e-3,
                 what="(sigma'(0), sigma'(ln 3), max sigma')", mistakes={
                     SIGMA_ONE_MINUS_Z: lambda got: abs(got[0] - 0.5) < 1e-3,
                     "the sigmoid's value instead of its slope": lambda got: abs(got[1] - 0.75) < 1e-3,
                 })


@points(1, question="q5", kind="derive", hint="x = 1/2 gives z_1 = 0 and a_1 = 1/2, and so on: every layer multiplies "
                                               "by the same factor w sigma'(0).")
def test_five_sigmoid_layers(student):
    expect_close(student.q5_five_sigmoid_layers(), 0.25**5, rtol=1e-3, what="d a_5 / d x (w = 1, b = -1/2)",
                 mistakes={
                     "the five factors added instead of multiplied": 5 * 0.25,
                     "four factors instead of five (off by one)": 0.25**4,
                     "six factors instead of five (off by one)": 0.25**6,
                     "one factor only, not one per layer": 0.25,
                 })


@points(1, question="q5", kind="derive", hint="Again every z_l = 0, but each layer's factor is w sigma'(z_l), "
                                               "with w = 8.")
def test_five_layers_large_weights(student):
    expect_close(student.q5_five_layers_large_weights(), 2.0**5, rtol=1e-3, what="d a_5 / d x (w = 8, b = -4)",
                 mistakes={
                     "the weight left out of each layer's factor w * sigma'(z) (only the slopes multiplied)": 0.25**5,
                     "four factors instead of five (off by one)": 2.0**4,
                     "the five factors added instead of multiplied": 5 * 2.0,
                 })


# q6: predict --------------------------------------------------------------------------------------------------

@points(1, question="q6", kind="predict", hint="Each layer multiplies the gradient by w sigma'(z); how large can that "
                                                "be when |w| <= 1?")
def test_deep_sigmoid(student):
    expect_choice(student.q6_deep_sigmoid(), "c", "abcd", what="20 sigmoid layers", mistakes={
        "a": "the same activation in every layer, but each layer multiplies the gradient by a factor of at most 1/4",
        "b": "exploding needs factors above 1, but here |w sigma'(z)| <= 1/4",
        "d": "a vanishing gradient is tiny but not exactly 0: sigma' is never 0",
    })


@points(1, question="q6", kind="predict", hint="ReLU'(z) for z < 0 multiplies everything that flows back into "
                                                "the unit.")
def test_dead_relu(student):
    expect_choice(student.q6_dead_relu(), "b", "abcd", what="a ReLU with b = -5", mistakes={
        "a": "a dead ReLU gets no gradient however large the loss: ReLU'(z) = 0 for z < 0",
        "c": "the gradients of w and b both pass through ReLU'(z) = 0",
        "d": "the gradients of w and b both pass through ReLU'(z) = 0",
    })


@points(1, question="q6", kind="predict", hint="ReLU(eps) = eps and ReLU(-eps) = 0.")
def test_relu_central_difference(student):
    expect_close(student.q6_relu_central_difference(), 0.5, rtol=1e-3, what="the central difference of ReLU at 0",
                 mistakes={
                     "relu_grad's choice at the kink, but the central difference averages the slopes on both sides":
                         lambda got: abs(float(got)) < 1e-3 or abs(float(got) - 1.0) < 1e-3,
                 })
