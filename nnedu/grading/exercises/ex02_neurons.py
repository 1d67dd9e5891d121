"""Public tests of exercise 2 (neurons and the perceptron): run by nnedu.check and nnedu grade.

The references are nnedu's ``Neuron`` and ``Perceptron`` (chapter 2's code, tested on their own); the
common mistakes are computed here in closed form, as the mistaken code would compute them.
"""

import numpy as np

from nnedu import Neuron, Perceptron
from nnedu.grading import (
    ExpectationFailed,
    expect_choice,
    expect_close,
    expect_equal,
    expect_length,
    expect_unchanged,
    mistake,
    points,
)

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

W = np.array([0.5, -0.25, 1.0])
GATE_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)

NO_BIAS = "the bias is left out"
BIAS_SUBTRACTED = "the bias is subtracted instead of added"
BATCH_AXIS = "the weighted sum runs over the batch (axis 0) instead of over the inputs"
STEP_AT_ZERO = "the threshold neuron outputs 0 at z = 0 (it fires when z >= 0)"
STEP_MINUS_ONE = "the threshold neuron outputs -1 below the threshold (its outputs are 0 and 1; -1 is the perceptron's)"
WRONG_SIGN = "the update has the wrong sign"
NO_LR = "the learning rate is left out of the update"
UPDATE_WHEN_RIGHT = "updates even when the prediction is right"
BOUNDARY_PLUS = "the prediction is +1 on the boundary z = 0 (the perceptron says +1 only when z > 0)"


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# Question 1: a neuron on a batch

@points(1, question="q1", kind="implement",
        hint="The bias is added once to the weighted sum, and the sigmoid of a large positive z is close to 1.")
def test_neuron_one_input(student):
    x, b = np.array([1.0, 2.0, -0.5]), 0.75
    z = x @ W + b
    expect_close(student.neuron(x, W, b, "sigmoid"), Neuron(W, b, "sigmoid")(x), what="sigmoid neuron's output",
                 given={"x": x, "w": W, "b": b}, mistakes={
                     NO_BIAS: _sigmoid(x @ W),
                     BIAS_SUBTRACTED: _sigmoid(x @ W - b),
                     "the sigmoid has the wrong sign in the exponent": 1.0 / (1.0 + np.exp(z)),
                 })


@points(1, question="q1", kind="implement",
        hint="In a batch every row is one example: one weighted sum per row, so one output per example.")
def test_neuron_on_a_batch(student):
    X, b = np.random.default_rng(2).normal(size=(6, 3)), -0.3
    for name in ("linear", "sigmoid", "relu"):
        expect_close(student.neuron(X, W, b, name), Neuron(W, b, name)(X), what=f"{name} neuron on a batch",
                     given={"x": X, "w": W, "b": b, "activation": name}, mistakes={
                         NO_BIAS: Neuron(W, 0.0, name)(X),
                         BIAS_SUBTRACTED: Neuron(W, -b, name)(X),
                         BATCH_AXIS: lambda got: got.shape == (3,),
                     })


@points(1, question="q1", kind="implement",
        hint="The threshold neuron's outputs are 0 and 1, and it fires when z reaches 0, not only above it.")
def test_threshold_neuron(student):
    X = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    b = -0.5                                      # z = 0, 0.5, -1, 0.5, -0.5
    z = X @ W + b
    expect_close(student.neuron(X, W, b, "step"), Neuron(W, b, "step")(X), what="threshold neuron on a batch",
                 given={"x": X, "w": W, "b": b, "activation": "step"}, mistakes={
                     STEP_AT_ZERO: np.where(z > 0, 1.0, 0.0),
                     STEP_MINUS_ONE: np.where(z >= 0, 1.0, -1.0),
                     NO_BIAS: Neuron(W, 0.0, "step")(X),
                     BATCH_AXIS: lambda got: got.shape == (3,),
                 })


# Question 2: one neuron by hand

Q2_W, Q2_B, Q2_X = np.array([2.0, -1.0, 0.5]), -1.0, np.array([1.0, 3.0, 4.0])


@points(1, question="q2", kind="derive", hint="One product per input, added up, and then the bias.")
def test_q2_pre_activation(student):
    expect_close(student.q2_pre_activation(), Q2_X @ Q2_W + Q2_B, atol=1e-6, what="z",
                 given={"w": Q2_W, "b": Q2_B, "x": Q2_X}, mistakes={
                     NO_BIAS: Q2_X @ Q2_W,
                     BIAS_SUBTRACTED: Q2_X @ Q2_W - Q2_B,
                 })


@points(1, question="q2", kind="derive",
        hint="Where does z lie with respect to 0? Read each activation's definition there, in question 1's table.")
def test_q2_outputs(student):
    expected = [Neuron(Q2_W, Q2_B, name)(Q2_X) for name in ("linear", "step", "relu", "sigmoid")]
    expect_close(student.q2_outputs(), expected, atol=1e-3, what="[linear, step, relu, sigmoid]",
                 given={"w": Q2_W, "b": Q2_B, "x": Q2_X}, mistakes={
                     STEP_AT_ZERO: [0.0, 0.0, 0.0, 0.5],
                     STEP_MINUS_ONE: [0.0, -1.0, 0.0, 0.5],
                 })


# Question 3: the perceptron's prediction and its learning rule

@points(1, question="q3", kind="implement", hint="The labels are -1 and +1, one per row of X.")
def test_predict_matches_perceptron(student):
    X, b = np.random.default_rng(3).normal(size=(10, 3)), 0.4
    reference = Perceptron(3, weights=W, bias=b).predict(X)
    expect_close(student.perceptron_predict(X, W, b), reference, what="labels", given={"X": X, "w": W, "b": b},
                 mistakes={
                     "the labels are 0 and 1 instead of -1 and +1": (reference + 1) // 2,
                     NO_BIAS: Perceptron(3, weights=W).predict(X),
                 })


@points(1, question="q3", kind="implement",
        hint="Read the chapter's definition of o(x) again: which label does a point with z exactly 0 get?")
def test_predict_on_the_boundary(student):
    X = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.5], [1.0, 2.0, 0.0]])
    z = X @ W                                        # 0, 0.5, -0.5, 0.5, 0
    expect_close(student.perceptron_predict(X, W, 0.0), np.where(z > 0, 1, -1), what="labels",
                 given={"X": X, "w": W, "b": 0.0}, mistakes={
                     BOUNDARY_PLUS: np.where(z >= 0, 1, -1),
                     "the labels are 0 and 1 instead of -1 and +1": np.where(z > 0, 1, 0),
                 })


@points(1, question="q3", kind="implement",
        hint="A mistake on a positive example should raise its z, on a negative one lower it; scale the step by lr.")
def test_update_on_a_mistake(student):
    b, lr = 0.5, 0.5
    for x, y in [(np.array([1.0, 2.0, 3.0]), -1), (np.array([-2.0, 1.0, -1.0]), 1)]:   # z = 3.5 and -2.75: wrong
        given = {"w": W, "b": b, "x": x, "y": y, "lr": lr}
        result, (w_after, *_) = student.perceptron_update.and_inputs(W, b, x, y, lr)
        expect_length(result, 2, what="perceptron_update's result (w, b)")
        expect_close(result[0], W + lr * y * x, what="w after the update", given=given, mistakes={
            WRONG_SIGN: W - lr * y * x,
            NO_LR: W + y * x,
        })
        expect_close(result[1], b + lr * y, what="b after the update", given=given, mistakes={
            WRONG_SIGN: b - lr * y,
            NO_LR: b + y,
            "the bias is not updated": b,
        })
        expect_unchanged(W, w_after, what="w")


@points(1, question="q3", kind="implement", hint="An example the perceptron already gets right changes nothing.")
def test_no_update_when_right(student):
    b, lr = 0.5, 1.0
    for x, y in [(np.array([1.0, 0.0, 1.0]), 1), (np.array([0.0, 4.0, 0.0]), -1)]:     # z = 2 and -0.5: right
        given = {"w": W, "b": b, "x": x, "y": y, "lr": lr}
        result = student.perceptron_update(W, b, x, y, lr)
        expect_length(result, 2, what="perceptron_update's result (w, b)")
        expect_close(result[0], W, what="w", given=given, mistakes={UPDATE_WHEN_RIGHT: W + lr * y * x})
        expect_close(result[1], b, what="b", given=given, mistakes={UPDATE_WHEN_RIGHT: b + lr * y})


# Question 4: three steps of the rule by hand

Q4_X, Q4_Y, Q4_LR = np.array([[1.0, 2.0], [2.0, -1.0], [-1.0, 1.0]]), np.array([1, -1, 1]), 0.5


def _by_hand(sign=1.0, lr=Q4_LR, on_boundary=-1, always=False):
    """(w, b) after each step of question 4, optionally as a common mistake computes them."""
    w, b, after = np.zeros(2), 0.0, []
    for x, y in zip(Q4_X, Q4_Y):
        z = x @ w + b
        said = 1 if z > 0 else (on_boundary if z == 0 else -1)
        if always or said != y:
            w, b = w + sign * lr * y * x, b + sign * lr * y
        after.append(np.append(w, b))
    return after


def _flat(result, what):
    """([w1, w2], b) as the array [w1, w2, b]."""
    expect_length(result, 2, what=what)
    try:
        return np.append(np.asarray(result[0], dtype=float), float(result[1]))
    except (TypeError, ValueError):
        raise ExpectationFailed(f"{what}: expected ([w1, w2], b), got {result!r}"[:300]) from None


@points(1, question="q4", kind="derive",
        hint="With zero weights every input has z equal to 0: what does the perceptron say there, and is that right?")
def test_q4_after_first(student):
    history = Perceptron(2, lr=Q4_LR).fit(Q4_X, Q4_Y, max_epochs=1).history
    expected = np.append(history[0].w_after, history[0].b_after)
    expect_close(_flat(student.q4_after_first(), "q4_after_first()"), expected, atol=1e-6, what="[w1, w2, b]",
                 mistakes={
                     BOUNDARY_PLUS: _by_hand(on_boundary=1)[0],
                     WRONG_SIGN: _by_hand(sign=-1.0)[0],
                     NO_LR: _by_hand(lr=1.0)[0],
                 })


@points(1, question="q4", kind="derive",
        hint="Before each step compute z with the weights of that moment; an example already on the right side "
             "changes nothing.")
def test_q4_after_all(student):
    history = Perceptron(2, lr=Q4_LR).fit(Q4_X, Q4_Y, max_epochs=1).history
    expected = np.append(history[-1].w_after, history[-1].b_after)
    expect_close(_flat(student.q4_after_all(), "q4_after_all()"), expected, atol=1e-6, what="[w1, w2, b]",
                 mistakes={
                     UPDATE_WHEN_RIGHT: _by_hand(always=True)[-1],
                     BOUNDARY_PLUS: _by_hand(on_boundary=1)[-1],
                     WRONG_SIGN: _by_hand(sign=-1.0)[-1],
                     NO_LR: _by_hand(lr=1.0)[-1],
                 })


# Question 5: predictions

@points(1, question="q5", kind="predict",
        hint="Can any straight line put (0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on the other?")
def test_q5_xor(student):
    expect_choice(student.q5_xor(), "c", "abcd", what="XOR", mistakes={
        "a": "XOR is not linearly separable: no line separates its two diagonals, so no epoch is free of mistakes",
        "b": "the convergence theorem needs linearly separable data; on XOR more epochs never help",
        "d": "the weights do not grow without bound on XOR: they keep cycling through the same few values",
    })


@points(1, question="q5", kind="predict",
        hint="Negating the labels of a gate is negating w and b: the same line, the other side.")
def test_q5_gates(student):
    expect_choice(student.q5_gates(), "b", "abcd", what="the gates a perceptron can learn", mistakes={
        "a": "NAND and NOR are AND and OR with the labels flipped: the same line, with w and b negated, separates them",
        "c": "XNOR is XOR with the labels flipped: it is no more linearly separable than XOR",
        "d": "XOR and XNOR are not linearly separable: no number of epochs helps",
    })


@points(1, question="q5", kind="predict",
        hint="From zero weights, every w and b the rule produces is lr times a sum of y x terms; does the sign of "
             "z depend on that factor?")
def test_q5_learning_rate(student):
    expect_choice(student.q5_learning_rate(), "c", "abcd", what="AND with lr = 0.5", mistakes={
        "a": "from zero weights, lr only scales w and b; the signs of z, and so every prediction and update, "
             "stay the same",
        "b": "a smaller learning rate does not speed training up: from zero weights it only scales w and b",
        "d": "every update adds lr * y * x, so from zero weights w and b are lr times the values with lr = 1",
    })


# Question 6: training until an epoch without a mistake

OFF_BY_ONE = "the epoch count is off by one"
NEVER_STOPS = "training does not stop after an epoch without a mistake"
ONE_EPOCH = "training stops after the first epoch"


def _check_training(student, X, y, lr, max_epochs):
    reference = Perceptron(X.shape[1], lr=lr).fit(X, y, max_epochs=max_epochs)
    first_epoch = Perceptron(X.shape[1], lr=lr).fit(X, y, max_epochs=1)
    given = {"X": X, "y": y, "lr": lr, "max_epochs": max_epochs}
    setting = f"{len(X)} examples, lr = {lr}, max_epochs = {max_epochs}"
    result = student.train_perceptron(X, y, lr, max_epochs)
    expect_length(result, 3, what="train_perceptron's result (w, b, epochs)")
    w, b, epochs = result
    after_one = {ONE_EPOCH: first_epoch.w} if reference.epochs_run > 1 else {}
    expect_close(w, reference.w, what="w", given=given, mistakes=after_one)
    expect_close(b, reference.b, what="b", given=given)
    if not isinstance(epochs, (int, np.integer)) or epochs != reference.epochs_run:
        if reference.converged and epochs == max_epochs:
            raise mistake(NEVER_STOPS, f"{setting}: expected {reference.epochs_run} epochs, got {epochs} = max_epochs")
        if isinstance(epochs, (int, float, np.number)) and abs(epochs - reference.epochs_run) == 1:
            raise mistake(OFF_BY_ONE, f"{setting}: expected {reference.epochs_run} epochs, got {epochs}; count every "
                                      f"epoch that ran, the last one included")
        expect_equal(epochs, reference.epochs_run, what="epochs")


@points(1, question="q6", kind="implement",
        hint="On AND the chapter's table shows every step; the last epoch, the one without a mistake, is counted.")
def test_train_on_and(student):
    _check_training(student, GATE_X, np.array([-1, -1, -1, 1]), 1.0, 100)


@points(1, question="q6", kind="implement",
        hint="On XOR no epoch is free of mistakes: the loop must end after max_epochs epochs.")
def test_train_on_xor_runs_max_epochs(student):
    _check_training(student, GATE_X, np.array([-1, 1, 1, -1]), 1.0, 7)


@points(1, question="q6", kind="implement",
        hint="Start from zero weights and visit the examples in their order, every epoch.")
def test_train_separates_random_data(student):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 2))
    y = np.where(X @ np.array([1.0, -1.0]) + 0.2 > 0, 1, -1)
    _check_training(student, X, y, 0.5, 200)
    w, b, _ = student.train_perceptron(X, y, 0.5, 200)
    expect_equal(np.where(X @ np.asarray(w, dtype=float) + b > 0, 1, -1), y, what="predictions on the training data")
