"""Public tests of exercise 8 (backpropagation and the gradient check).

The right answers come from nnedu's own layers (``nn.Linear``, ``nn.Sigmoid``, ``nn.MSELoss``, tested
against PyTorch), from finite differences (``nnedu.numerical_gradient``) or from closed forms. The
numpy functions below compute only the *wrong* answers that common mistakes give, so that a message
can name the mistake.
"""

import numpy as np

from nnedu import nn, numerical_gradient, relative_error
from nnedu.grading import (
    ExpectationFailed,
    Partial,
    expect_choice,
    expect_close,
    expect_length,
    expect_unchanged,
    mistake,
    points,
)
from nnedu.nn.module import Parameter

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")


def _bias(layer: nn.Linear) -> Parameter:
    """A Linear layer's bias (every layer here is built with one)."""
    assert layer.bias is not None
    return layer.bias

# The names of the common mistakes (nnedu grade counts each one in mistakes.csv).
SIGN = "the gradient has the wrong sign"
TRANSPOSED = "transposed weight gradient (shape (in, out))"
SUM = "sum instead of mean (a factor of N)"
AGAIN = "divided by N again (the 1/N of the mean is already in delta)"
NOT_SUMMED = "bias gradient not summed over the batch"
NO_BIAS = "missing bias gradient"
NO_SLOPE = "forgot the activation derivative (sigma') in delta"
POST = "sigma' of the activation A instead of the pre-activation Z"
ONE_SIDED = "one-sided difference instead of the central one"
HALF = "divided by eps instead of 2 eps"
ONE_NORM = "divided by the norm of one gradient instead of the sum of both norms"
NO_BIASES = "the biases left out of the check"
MEAN = "the mean of the relative errors instead of the largest"
TOGETHER = "one relative error of all parameters together instead of the largest per array"
COPY = "numerical_gradient perturbs a copy of x, which mlp_loss never sees (every estimate is 0)"

rng = np.random.default_rng(8)


def _network(shape, N):
    """(X, T, weights, biases) of a network with layer sizes ``shape``, random from ``rng``."""
    X, T = rng.normal(size=(N, shape[0])), rng.uniform(size=(N, shape[-1]))
    weights = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(shape[:-1], shape[1:])]
    biases = [rng.normal(size=n_out) for n_out in shape[1:]]
    return X, T, weights, biases


# Question 2: one Linear layer.
LIN_W, LIN_B = rng.normal(size=(4, 3)), rng.normal(size=4)
LIN_X, LIN_DELTA = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
# Question 3: a 3-4-2 network (sigmoid, then linear) on 6 examples.
TWO_X, TWO_T, (TWO_W1, TWO_W2), (TWO_B1, TWO_B2) = _network((3, 4, 2), 6)
# Question 4: the chapter's 5-4-3-2 sigmoid network on 6 examples, then 1 and 4 layers.
MLP3 = _network((5, 4, 3, 2), 6)
MLP1 = _network((4, 3), 7)
MLP4 = _network((3, 5, 4, 4, 2), 5)
# Question 5: a 4-3-2 network on 5 examples for the gradient check, a 2x3 array for cubic.
CHECK = _network((4, 3, 2), 5)
CUBIC_X = rng.normal(size=(2, 3))


# --- the reference: nnedu's layers --------------------------------------------------------------------

def reference(X, T, weights, biases, sigmoid_output=True, scale=None):
    """(cost, grads_W, grads_b) from nnedu's Linear and Sigmoid modules, C = scale * sum of squares.

    ``scale`` defaults to 1/(2N), the cost of questions 3 and 4; the output layer has a sigmoid
    unless ``sigmoid_output`` is False (question 3's linear output).
    """
    scale = 1.0 / (2 * X.shape[0]) if scale is None else scale
    layers = []
    for W, b in zip(weights, biases):
        linear = nn.Linear(W.shape[1], W.shape[0])
        linear.load_state_dict({"weight": W, "bias": b})
        layers += [linear, nn.Sigmoid()]
    if not sigmoid_output:
        layers.pop()
    model, loss_fn = nn.Sequential(*layers), nn.MSELoss(reduction="sum")
    cost = scale * loss_fn(model(X), T)
    model.backward(scale * loss_fn.backward())
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    return float(cost), [m.weight.grad for m in linears], [_bias(m).grad for m in linears]


# --- what the named mistakes compute (never the expected answer) ---------------------------------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _slope(z):
    return _sigmoid(z) * (1.0 - _sigmoid(z))


def _mistaken(X, T, weights, biases, sigmoid_output=True, slope_at="Z", slope_in=("BP1", "BP2"), scale=None):
    """The gradients of a backprop that takes sigma' at ``slope_at`` ("Z", or "A": the activation) and
    only in the equations ``slope_in``; ``scale`` replaces the 1/N of the mean."""
    N = X.shape[0]
    A, Z = [X], [None]
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        Z.append(A[-1] @ W.T + b)
        A.append(_sigmoid(Z[-1]) if sigmoid_output or l < len(weights) else Z[-1])

    def slope(l, equation):
        if equation not in slope_in:
            return 1.0
        return _slope(Z[l] if slope_at == "Z" else A[l])

    L = len(weights)
    delta = (A[L] - T) * (1.0 / N if scale is None else scale)
    if sigmoid_output:
        delta = delta * slope(L, "BP1")
    grads_W, grads_b = [None] * L, [None] * L
    for l in range(L, 0, -1):
        grads_W[l - 1], grads_b[l - 1] = delta.T @ A[l - 1], delta.sum(axis=0)
        if l > 1:
            delta = (delta @ weights[l - 1]) * slope(l - 1, "BP2")
    return grads_W, grads_b


def _any_of(candidates):
    """A predicate: the received array equals one of ``candidates``."""
    def matches(got):
        return any(np.shape(c) == got.shape and np.allclose(got, c, rtol=1e-6, atol=1e-10) for c in candidates)
    return matches


def _layer_mistakes(X, T, weights, biases, layer, kind, sigmoid_output=True):
    """Named mistakes for the gradient of ``kind`` ("W" or "b") of ``layer`` (0-based)."""
    pick = 0 if kind == "W" else 1
    _, ref_W, ref_b = reference(X, T, weights, biases, sigmoid_output)
    right = (ref_W, ref_b)[pick][layer]
    N = X.shape[0]
    slopes = [("BP1",), ("BP2",), ()] if sigmoid_output else [()]
    out = {SIGN: -right, SUM: N * right}
    out[NO_SLOPE] = _any_of([_mistaken(X, T, weights, biases, sigmoid_output, slope_in=s)[pick][layer]
                             for s in slopes])
    out[POST] = _any_of([_mistaken(X, T, weights, biases, sigmoid_output, "A", s)[pick][layer]
                         for s in [("BP1", "BP2"), ("BP1",), ("BP2",)]])
    if kind == "W":
        out[TRANSPOSED] = lambda got: got.shape == right.T.shape != right.shape or (
            right.shape[0] == right.shape[1] and np.allclose(got, right.T))
    else:
        out[NOT_SUMMED] = lambda got: got.ndim == 2 and got.shape[0] == N
        out[NO_BIAS] = lambda got: not np.any(got)
    return {name: sig for name, sig in out.items() if callable(sig) or not np.allclose(sig, right)}


def _as_dict_of_gradients(got, what):
    keys = ("W1", "b1", "W2", "b2")
    if not isinstance(got, dict) or not all(k in got for k in keys):
        shown = sorted(got) if isinstance(got, dict) else type(got).__name__
        raise ExpectationFailed(f"{what}: expected a dict with the keys {', '.join(keys)}, got {shown}")
    for key in keys:
        if got[key] is None:
            raise (mistake(NO_BIAS, f"{what}[{key!r}] is None") if key.startswith("b")
                   else ExpectationFailed(f"{what}[{key!r}] is None"))
    return got


# --- question 1 (derive): the 2-2-1 network by hand --------------------------------------------------------

Q1_X, Q1_T = np.array([[2.0, 1.0]]), np.array([[0.5]])
Q1_W = [np.array([[0.5, -1.0], [1.0, -1.0]]), np.array([[2.0, -1.0]])]
Q1_B = [np.array([0.0, -1.0]), np.array([0.5])]


def _q1():
    """Reference (L = 1/2 (o - t)^2) and mistake signatures for question 1's network."""
    _, ref_W, ref_b = reference(Q1_X, Q1_T, Q1_W, Q1_B, sigmoid_output=False, scale=0.5)
    return ref_W, ref_b


@points(1, question="q1", kind="derive",
        hint="The output unit has no activation, so its delta is the derivative of the loss with respect to o; "
             "BP4 multiplies it by the activation that feeds the weight.")
def test_q1_output_layer(student):
    got = _as_dict_of_gradients(student.q1_gradients(), "q1_gradients()")
    ref_W, ref_b = _q1()
    part = Partial()
    with part(1):
        expect_close(got["W2"], ref_W[1], what="dL/dW2", mistakes={SIGN: -ref_W[1], TRANSPOSED: ref_W[1].T})
    with part(1):
        expect_close(got["b2"], ref_b[1], what="dL/db2", mistakes={SIGN: -ref_b[1]})
    return part


@points(2, question="q1", kind="derive",
        hint="Each hidden unit collects the output's delta through the weight that leaves it, "
             "then multiplies by its own slope at its pre-activation z.")
def test_q1_hidden_layer(student):
    got = _as_dict_of_gradients(student.q1_gradients(), "q1_gradients()")
    ref_W, ref_b = _q1()
    args = (Q1_X, Q1_T, Q1_W, Q1_B, False)
    no_slope, post = _mistaken(*args, slope_in=()), _mistaken(*args, slope_at="A")
    part = Partial()
    with part(1):
        expect_close(got["W1"], ref_W[0], what="dL/dW1", mistakes={
            SIGN: -ref_W[0], NO_SLOPE: no_slope[0][0], POST: post[0][0], TRANSPOSED: ref_W[0].T})
    with part(1):
        expect_close(got["b1"], ref_b[0], what="dL/db1", mistakes={
            SIGN: -ref_b[0], NO_SLOPE: no_slope[1][0], POST: post[1][0]})
    return part


# --- question 2: a Linear layer ------------------------------------------------------------------------------

def _linear_reference(W, b, x, delta):
    layer = nn.Linear(W.shape[1], W.shape[0])
    layer.load_state_dict({"weight": W, "bias": b})
    Z = layer(x)
    dx = layer.backward(delta)
    return Z, dx, layer.weight.grad, _bias(layer).grad


def _linear_given(W, b, x, delta):
    return {"W": W, "b": b, "x": x, "delta": delta}


def check_linear(student, W, b, x, delta, with_forward=False):
    """Partial credit: dx, dW, db (and Z) of the student's Linear against nnedu's."""
    result = student.linear_roundtrip(W, b, x, delta)
    expect_length(result, 4, what="linear_roundtrip(...)")
    Z, dx, dW, db = result
    ref_Z, ref_dx, ref_dW, ref_db = _linear_reference(W, b, x, delta)
    given, N = _linear_given(W, b, x, delta), x.shape[0]
    part = Partial()
    if with_forward:
        with part(1):
            expect_close(Z, ref_Z, what="Z = forward(x)", given=given, mistakes={"the bias is not added": x @ W.T})
    with part(1):
        expect_close(dx, ref_dx, what="dC/dx returned by backward", given=given, mistakes={SIGN: -ref_dx})
    with part(1):
        if dW is None:
            raise ExpectationFailed("self.dW is None after backward: store dC/dW in self.dW")
        expect_close(dW, ref_dW, what="self.dW", given=given, mistakes={
            SIGN: -ref_dW, TRANSPOSED: lambda got: got.shape == ref_dW.T.shape, AGAIN: ref_dW / N})
    with part(1):
        if db is None:
            raise mistake(NO_BIAS, "self.db is None after backward: store dC/db in self.db")
        expect_close(db, ref_db, what="self.db", given=given, mistakes={
            NOT_SUMMED: lambda got: got.shape == delta.shape, NO_BIAS: lambda got: not np.any(got),
            SIGN: -ref_db, AGAIN: ref_db / N})
    return part


@points(1, question="q2",
        hint="x has one row per example and W one row per output unit: transpose one of them so that the product "
             "fits, then add the bias to every row.")
def test_linear_forward(student):
    got = student.linear_forward(LIN_W, LIN_B, LIN_X)
    ref_Z = _linear_reference(LIN_W, LIN_B, LIN_X, LIN_DELTA)[0]
    expect_close(got, ref_Z, what="Z = forward(x)", given=_linear_given(LIN_W, LIN_B, LIN_X, LIN_DELTA),
                 mistakes={"the bias is not added": LIN_X @ LIN_W.T})


@points(2, question="q2",
        hint="dW has W's shape (out, in): one product of delta and x that adds up the whole batch; "
             "db adds delta's rows; dx goes back through W itself.")
def test_linear_backward(student):
    return check_linear(student, LIN_W, LIN_B, LIN_X, LIN_DELTA)


# --- question 3: two layers on a batch ----------------------------------------------------------------------

TWO = (TWO_X, TWO_T, [TWO_W1, TWO_W2], [TWO_B1, TWO_B2])


def _two_given():
    return {"X": TWO_X, "T": TWO_T, "W1": TWO_W1, "W2": TWO_W2}


@points(1, question="q3", hint="Sum the squared differences over the examples and the outputs, then divide by 2N.")
def test_two_layer_loss(student):
    got = student.two_layer_loss(TWO_X, TWO_T, TWO_W1, TWO_B1, TWO_W2, TWO_B2)
    cost = reference(*TWO, sigmoid_output=False)[0]
    N, n_out = TWO_T.shape
    expect_close(got, cost, what="C", given=_two_given(), mistakes={
        SUM: N * cost, "the mean over every entry instead of 1/(2N) times the sum": 2 * cost / n_out,
        "the 1/2 left out": 2 * cost})


def _two_layer(student, layer):
    got = _as_dict_of_gradients(student.two_layer_gradients(TWO_X, TWO_T, TWO_W1, TWO_B1, TWO_W2, TWO_B2),
                                "two_layer_gradients(...)")
    _, ref_W, ref_b = reference(*TWO, sigmoid_output=False)
    part = Partial()
    for kind, ref in (("W", ref_W), ("b", ref_b)):
        with part(1):
            expect_close(got[f"{kind}{layer + 1}"], ref[layer], what=f"dC/d{kind}{layer + 1}", given=_two_given(),
                         mistakes=_layer_mistakes(*TWO, layer, kind, sigmoid_output=False))
    return part


@points(1, question="q3", hint="Delta2 = dC/dO already holds the 1/N of the mean; the output layer has no activation.")
def test_two_layer_output_gradients(student):
    return _two_layer(student, 1)


@points(1, question="q3",
        hint="BP2: send Delta2 back through W2, then multiply by sigma' evaluated at the pre-activation Z1 "
             "(the given sigmoid_grad takes z, not the sigmoid's output).")
def test_two_layer_hidden_gradients(student):
    return _two_layer(student, 0)


# --- question 4: L layers ------------------------------------------------------------------------------------

def _mlp_given(X, T, weights):
    return {"X": X, "T": T, **{f"weights[{i}]": W for i, W in enumerate(weights)}}


def check_backprop(student, X, T, weights, biases):
    """Partial credit per gradient array, against nnedu's layers; the mistakes named per array."""
    result = student.backprop(X, T, weights, biases)
    expect_length(result, 2, what="backprop(...)")
    L = len(weights)
    expect_length(result[0], L, what="grads_W")
    expect_length(result[1], L, what="grads_b")
    _, ref_W, ref_b = reference(X, T, weights, biases)
    part = Partial()
    for kind, got, ref in (("W", result[0], ref_W), ("b", result[1], ref_b)):
        with part(1):
            for layer in range(L - 1, -1, -1):  # from the output down: the first wrong layer is the one to fix
                if got[layer] is None:
                    raise (mistake(NO_BIAS, f"grads_b[{layer}] is None") if kind == "b"
                           else ExpectationFailed(f"grads_W[{layer}] is None"))
                expect_close(got[layer], ref[layer], what=f"grads_{kind}[{layer}] = dC/d{kind}^{layer + 1}",
                             given=_mlp_given(X, T, weights),
                             mistakes=_layer_mistakes(X, T, weights, biases, layer, kind))
    return part


@points(1, question="q4", hint="Apply the sigmoid after every layer, the last one included.")
def test_mlp_loss(student):
    X, T, weights, biases = MLP3
    cost = reference(*MLP3)[0]
    expect_close(student.mlp_loss(X, T, weights, biases), cost, what="C", given=_mlp_given(X, T, weights),
                 mistakes={SUM: X.shape[0] * cost, "the 1/2 left out": 2 * cost})


@points(2, question="q4",
        hint="BP1 multiplies by sigma' of the last layer too; BP2 uses sigma' of the layer below, at its Z; "
             "the 1/N appears once, in BP1.")
def test_backprop_three_layers(student):
    return check_backprop(student, *MLP3)


@points(1, question="q4",
        hint="With one layer the loop runs once and BP2 never; with four, BP2 runs three times. "
             "Index the lists so that layer l reads A^(l-1).")
def test_backprop_one_and_four_layers(student):
    first, second = check_backprop(student, *MLP1), check_backprop(student, *MLP4)
    part = Partial()
    part.earned, part.total = first.earned + second.earned, first.total + second.total
    part.messages = [f"1 layer: {m}" for m in first.messages] + [f"4 layers: {m}" for m in second.messages]
    part.mistakes = first.mistakes + second.mistakes
    return part


# --- question 5: the gradient check -------------------------------------------------------------------------

def _cubic_gradient(v):
    return 3 * v**2 + 2 * np.sum(v)


def _cubic(v):
    return float(np.sum(v**3) + np.sum(v) ** 2)


def _one_sided(f, x, eps, forward=True):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x)) / eps if forward else (f(x) - f(x - step)) / eps
    return grad


@points(1, question="q5",
        hint="Two evaluations per entry, one on each side of it, and their difference over the distance between them; "
             "then put the entry back.")
def test_numerical_gradient(student):
    x, eps = CUBIC_X.copy(), 1e-3
    got = student.numerical_gradient(student.cubic, x, eps)
    _, (x_after, _) = student.numerical_gradient_of_cubic.and_inputs(x, eps)
    expect_unchanged(x, x_after, what="x")
    # central differences of a cubic are exact up to eps^2 * f'''/6 = 1e-6
    expect_close(got, _cubic_gradient(x), rtol=1e-6, atol=1e-5, what="numerical gradient of cubic", given={
        "x": x, "eps": eps}, mistakes={
        ONE_SIDED: _any_of([_one_sided(_cubic, x, eps), _one_sided(_cubic, x, eps, forward=False)]),
        HALF: 2 * _cubic_gradient(x)})


@points(1, question="q5", hint="Three norms of whole arrays; when both are zero, return 0 before dividing.")
def test_relative_error(student):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0])
    part = Partial()
    with part(1):
        expect_close(student.relative_error(a, b), relative_error(a, b), given={"a": a, "b": b}, mistakes={
            ONE_NORM: _any_of([np.linalg.norm(a - b) / np.linalg.norm(a), np.linalg.norm(a - b) / np.linalg.norm(b)])})
    with part(1):
        expect_close(student.relative_error(np.zeros(3), np.zeros(3)), 0.0, what="both zero")
    return part


def _numeric(X, T, weights, biases, eps=1e-5):
    """Central differences of question 4's cost for every array (nnedu.numerical_gradient)."""
    weights, biases = [W.copy() for W in weights], [b.copy() for b in biases]

    def cost(_):
        return reference(X, T, weights, biases)[0]

    return ([numerical_gradient(cost, W, eps) for W in weights], [numerical_gradient(cost, b, eps) for b in biases])


def _errors(grads_W, grads_b, num_W, num_b):
    return [relative_error(g, n) for g, n in zip(grads_W + grads_b, num_W + num_b)]


def _explain_wrong_loss(student, X, T, weights, biases):
    """gradient_check differentiates mlp_loss: when that is wrong, say so first."""
    cost = reference(X, T, weights, biases)[0]
    try:
        expect_close(student.mlp_loss(X, T, weights, biases), cost, what="mlp_loss (question 4)")
    except ExpectationFailed as exc:
        raise ExpectationFailed(f"gradient_check differentiates your mlp_loss, which is not right yet: fix "
                                f"question 4 first.\n{exc}") from None


@points(1, question="q5",
        hint="A right backprop checked with central differences at eps = 1e-5 gives about 1e-9 or less; "
             "1e-6 or so means a one-sided difference.")
def test_gradient_check_of_right_gradients(student):
    X, T, weights, biases = CHECK
    _, ref_W, ref_b = reference(*CHECK)
    got = student.gradient_check(X, T, weights, biases, ref_W, ref_b, 1e-5)
    expected = max(_errors(ref_W, ref_b, *_numeric(*CHECK)))
    try:
        expect_close(got, expected, rtol=0, atol=1e-8, what="largest relative error for right gradients",
                     given=_mlp_given(X, T, weights), mistakes={
                         ONE_SIDED: lambda got: 1e-8 < float(got) < 1e-3,
                         HALF: lambda got: abs(float(got) - 1 / 3) < 1e-6,  # numerical gradients 2g: error 1/3
                         COPY: lambda got: abs(float(got) - 1) < 1e-6})  # numerical gradients 0: error 1
    except ExpectationFailed as exc:
        if not exc.mistake:
            _explain_wrong_loss(student, X, T, weights, biases)
        raise


@points(1, question="q5",
        hint="Every W^l and every b^l gets its own relative error; report the largest one.")
def test_gradient_check_finds_a_wrong_bias_gradient(student):
    X, T, weights, biases = CHECK
    _, ref_W, ref_b = reference(*CHECK)
    broken_b = [ref_b[0], 5 * ref_b[1]]  # the output layer's bias gradient without the 1/N (N = 5)
    got = student.gradient_check(X, T, weights, biases, ref_W, broken_b, 1e-5)
    num_W, num_b = _numeric(*CHECK)
    errors = _errors(ref_W, broken_b, num_W, num_b)
    together = relative_error(np.concatenate([g.ravel() for g in ref_W + broken_b]),
                              np.concatenate([n.ravel() for n in num_W + num_b]))
    try:
        expect_close(got, max(errors), rtol=1e-6, what="largest relative error with grads_b[1] 5 times too large",
                     given={"grads_b[1] (5 times too large)": broken_b[1]}, mistakes={
                         NO_BIASES: lambda got: float(got) < 1e-6, MEAN: np.mean(errors), TOGETHER: together})
    except ExpectationFailed as exc:
        if not exc.mistake:
            _explain_wrong_loss(student, X, T, weights, biases)
        raise


# --- question 6 (predict): what the check reports -------------------------------------------------------------

def _q6(student):
    got = student.q6_reported_errors()
    expect_length(got, 2, what="q6_reported_errors()")
    return got


@points(1, question="q6", kind="predict",
        hint="Put -g and g into the relative error: what is the norm of their difference, what the sum of their norms?")
def test_q6_wrong_sign(student):
    # ||-g - g|| / (||-g|| + ||g||), whatever g is
    g = np.random.default_rng(6).normal(size=7)
    expect_close(_q6(student)[0], relative_error(-g, g), rtol=5e-3, what="reported for the wrong sign", mistakes={
        "||a - b|| divided by one norm only (2), not by the sum of both": 2.0,
        "a wrong sign does not change the size of the gradient, but it is the largest error there is": 0.0})


@points(1, question="q6", kind="predict",
        hint="Put 8g and g into the relative error; the norm of g cancels.")
def test_q6_sum_instead_of_mean(student):
    g = np.random.default_rng(6).normal(size=7)
    expect_close(_q6(student)[1], relative_error(8 * g, g), rtol=5e-3, what="reported for 8 times the gradient",
                 mistakes={"||a - b|| divided by the larger norm only (7/8), not by the sum of both": 7 / 8,
                           "||a - b|| divided by the smaller norm only (7), not by the sum of both": 7.0,
                           "the factor itself, not the relative error": 8.0})


# --- question 7 (predict): where the gradients vanish ---------------------------------------------------------

@points(1, question="q7", kind="predict",
        hint="On its way down to layer l, Delta passes through one sigma' per layer above it.")
def test_q7_smallest_gradient(student):
    expect_choice(student.q7_smallest_gradient(), "a", "abcd", mistakes={
        "b": "the output layer's delta is multiplied by one sigma' (BP1); every layer below adds another (BP2), "
             "so the gradients shrink going down, towards the input",
        "c": "the same weights' scale does not give the same gradients: each BP2 step multiplies by sigma' <= 1/4",
        "d": "nothing singles out a middle layer: each step down multiplies by another sigma' <= 1/4"})
