"""Public tests of exercise 5 (softmax and one-hot encoding).

q1-q4 implement (a stable softmax, one-hot with validation, predictions and accuracy, log-softmax and softmax +
cross-entropy with its gradient), q5 derive (softmaxes and a cross-entropy gradient by hand), q6 predict (the
temperature, and what the unshifted formula gives).
"""

import re

import numpy as np

from nnedu import functional as F
from nnedu.grading import expect_choice, expect_close, expect_length, expect_unchanged, mistake, points
from nnedu.grading.api import StudentError

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

_rng = np.random.default_rng(5)
Z = _rng.normal(size=(4, 3))  # a batch of N = 4 rows of C = 3 logits
LABELS = np.array([2, 0, 1, 2])
WIDE = 3.0 * _rng.normal(size=(2, 5))  # more classes than rows: normalising the wrong axis shows
BIG = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0], [-1000.0, -1000.0, -999.0]])
BIG_LABELS = np.array([1, 1, 2])

NO_SHIFT = "softmax without the max shift (overflow: inf / inf = nan)"
WRONG_AXIS = "normalised over the wrong axis (each column sums to 1, not each row)"
SUM_NOT_MEAN = "sum instead of mean (a factor of N)"
WRONG_SIGN = "the gradient has the wrong sign"
LOG_OF_SOFTMAX = "the log of the softmax: a probability that underflows to 0 gives log 0 = -inf"


def _nan_in_row(row):
    return lambda got: bool(np.isnan(got[row]).any())


# q1: softmax ------------------------------------------------------------------------------------------------

@points(1, question="q1", hint="Each row is one example: exponentiate, then divide by that row's own sum.")
def test_softmax_matches_reference(student):
    out, (z_after,) = student.softmax.and_inputs(Z)
    expect_close(out, F.softmax(Z), what="softmax(z)", given={"z": Z}, mistakes={
        WRONG_AXIS: F.softmax(Z, axis=0),
        "normalised by the sum of the whole batch instead of each row's sum": np.exp(Z) / np.exp(Z).sum(),
        "the exponentials are not normalised": np.exp(Z),
    })
    expect_unchanged(Z, z_after, what="z")


@points(1, question="q1", hint="Reduce along the last axis (the classes) and keep that axis so that the division "
                              "broadcasts; a single row of shape (C,) must work too.")
def test_softmax_rows_sum_to_one(student):
    expect_close(student.softmax(WIDE), F.softmax(WIDE), what="softmax(z) of a (2, 5) batch", given={"z": WIDE},
                 mistakes={WRONG_AXIS: F.softmax(WIDE, axis=0)})
    row = WIDE[0]
    expect_close(student.softmax(row), F.softmax(row), what="softmax(z) of one row of shape (5,)", given={"z": row})


@points(1, question="q1", hint="Subtract the row maximum before exponentiating, each row its own maximum; the "
                              "probabilities stay the same and no exponential overflows.")
def test_softmax_is_stable(student):
    expect_close(student.softmax(BIG), F.softmax(BIG), what="softmax(z) of large logits", given={"z": BIG},
                 mistakes={
                     NO_SHIFT: _nan_in_row(0),
                     "the maximum of the whole batch subtracted instead of each row's (underflow: 0 / 0 = nan)":
                         _nan_in_row(2),
                 })


# q2: one-hot ------------------------------------------------------------------------------------------------

@points(2, question="q2", hint="The result has one row per label and num_classes columns; the 1 of row n sits in "
                              "the column numbered by label n, counted from 0.")
def test_one_hot(student):
    expected = F.one_hot(LABELS, 4)
    expect_close(student.one_hot(LABELS, 4), expected, what="one_hot(labels, 4)",
                 given={"labels": LABELS, "num_classes": 4}, mistakes={
                     "one-hot transposed: shape (num_classes, N) instead of (N, num_classes)": expected.T,
                     "the number of columns taken from the largest label instead of num_classes":
                         lambda got: got.shape == (4, 3),
                     "the 1 one column off (off by one)":
                         lambda got: any(np.array_equal(got, np.roll(expected, s, axis=1)) for s in (1, -1)),
                 })


def _raises_value_error(student, labels, num_classes, accepted):
    """The student's one_hot refuses ``labels`` with a ValueError; ``accepted`` names the mistake of returning."""
    try:
        student.one_hot(labels, num_classes)
    except StudentError as exc:
        raised = re.search(r"raised (\w+)", str(exc))
        if raised and raised.group(1) == "ValueError":
            return
        raise mistake("labels out of range not checked (numpy's IndexError instead of a ValueError)",
                      f"one_hot({labels.tolist()}, {num_classes}) raised {raised.group(1) if raised else 'an error'}, "
                      "not a ValueError that says which label is wrong") from None
    raise mistake(accepted, f"one_hot({labels.tolist()}, {num_classes}) returned an array instead of raising "
                            "a ValueError")


@points(1, question="q2", hint="Look at the smallest and the largest label before building anything, and raise a "
                              "ValueError when either is outside 0 to num_classes - 1.")
def test_one_hot_rejects_bad_labels(student):
    _raises_value_error(student, np.array([-1, 0]), 3,
                        "a negative label accepted (numpy reads index -1 as the last column)")
    _raises_value_error(student, np.array([0, 3]), 3, "a label >= num_classes accepted")


# q3: predictions and accuracy -------------------------------------------------------------------------------

@points(1, question="q3", hint="One index per row: the position of the row's largest entry, along the classes.")
def test_predict(student):
    probs = F.softmax(Z)
    expect_close(student.predict(probs), np.argmax(Z, axis=1), what="predict(probs)", given={"probs": probs},
                 mistakes={
                     "the position of the maximum taken over the wrong axis (one index per column)":
                         lambda got: got.shape == (Z.shape[1],),
                     "the largest probability returned instead of its index": probs.max(axis=1),
                 })
    targets = F.one_hot(LABELS, 3)
    expect_close(student.predict(targets), LABELS, what="predict(one_hot(labels)), which should give the labels back",
                 given={"labels": LABELS})


@points(1, question="q3", hint="The mean of a boolean array is the fraction of True entries.")
def test_accuracy(student):
    labels = np.array([np.argmax(Z[0]), np.argmax(Z[1]), 5, 5])  # two right, two wrong
    probs = F.softmax(Z)
    expect_close(student.accuracy(probs, labels), 0.5, what="accuracy(probs, labels)",
                 given={"probs": probs, "labels": labels}, mistakes={
                     "the number of correct rows instead of the fraction (a factor of N)": 2.0,
                     "a percentage instead of a fraction": 50.0,
                 })


# q4: log-softmax and softmax + cross-entropy -----------------------------------------------------------------

@points(1, question="q4", hint="Chapter 5's log-sum-exp: the shifted logits minus the log of their row's sum of "
                              "exponentials, per row.")
def test_log_softmax(student):
    out, (z_after,) = student.log_softmax.and_inputs(Z)
    expected = F.log_softmax(Z)
    expect_close(out, expected, what="log_softmax(z)", given={"z": Z}, mistakes={
        WRONG_AXIS: F.log_softmax(Z, axis=0),
        "the softmax without the logarithm": F.softmax(Z),
        "the log-sum-exp added instead of subtracted": 2 * Z - expected,
    })
    expect_unchanged(Z, z_after, what="z")


@points(1, question="q4", hint="Never form a probability and take its log: the shifted logits minus a log-sum-exp "
                              "stay finite however small the probability.")
def test_log_softmax_is_stable(student):
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, -1000.0]])
    expect_close(student.log_softmax(z), F.log_softmax(z), what="log_softmax(z) of large logits", given={"z": z},
                 mistakes={
                     "log-softmax without the max shift (overflow: log of inf)":
                         lambda got: not np.isfinite(got[0, 0]),
                     LOG_OF_SOFTMAX: lambda got: bool(np.isneginf(got).any()),
                 })


def _loss_and_gradient(student, z, labels):
    result = student.softmax_cross_entropy(z, labels)
    expect_length(result, 2, what="softmax_cross_entropy(z, labels) (the pair (loss, dz))")
    return result


@points(1, question="q4", hint="One term per example, minus the log-probability of its label, and a mean over the "
                              "N examples (not over all N times C entries).")
def test_cross_entropy_loss(student):
    loss, _ = _loss_and_gradient(student, Z, LABELS)
    n, c = Z.shape
    expected = -F.log_softmax(Z)[np.arange(n), LABELS].mean()
    expect_close(loss, expected, what="loss", given={"z": Z, "labels": LABELS}, mistakes={
        SUM_NOT_MEAN: n * expected,
        "the loss has the wrong sign (the minus of -log p is missing)": -expected,
        "a mean over all N * C entries instead of over the N examples": expected / c,
    })


@points(1, question="q4", hint="Chapter 6: probabilities minus one-hot targets, and the mean over the batch brings "
                              "a factor 1/N.")
def test_cross_entropy_gradient(student):
    _, dz = _loss_and_gradient(student, Z, LABELS)
    n, c = Z.shape
    p, y = F.softmax(Z), F.one_hot(LABELS, c)
    expect_close(dz, (p - y) / n, what="dz = dL/dz", given={"z": Z, "labels": LABELS}, mistakes={
        SUM_NOT_MEAN: p - y,
        WRONG_SIGN: (y - p) / n,
        "the one-hot target is not subtracted (P / N)": p / n,
        "divided by C instead of N": (p - y) / c,
    })


@points(1, question="q4", hint="Build the loss from your log_softmax and the gradient from your softmax, both "
                              "stable, in new arrays.")
def test_cross_entropy_large_logits(student):
    result, (z_after, _) = student.softmax_cross_entropy.and_inputs(BIG, BIG_LABELS)
    expect_length(result, 2, what="softmax_cross_entropy(z, labels) (the pair (loss, dz))")
    loss, dz = result
    n = BIG.shape[0]
    given = {"z": BIG, "labels": BIG_LABELS}
    expected = -F.log_softmax(BIG)[np.arange(n), BIG_LABELS].mean()
    expect_close(loss, expected, what="loss of large logits", given=given, mistakes={
        NO_SHIFT: lambda got: bool(np.isnan(got)),
        "the log of the softmax: a probability that underflows to 0 gives -log 0 = inf":
            lambda got: bool(np.isinf(got)),
    })
    expect_close(dz, (F.softmax(BIG) - F.one_hot(BIG_LABELS, 3)) / n, what="dz of large logits", given=given,
                 mistakes={NO_SHIFT: lambda got: bool(np.isnan(got).any())})
    expect_unchanged(BIG, z_after, what="z")


# q5: derive -------------------------------------------------------------------------------------------------

@points(1, question="q5", kind="derive", hint="e to the power ln a is a: the exponentials are 1, 2 and 5.")
def test_softmax_by_hand(student):
    z = np.array([0.0, np.log(2), np.log(5)])
    expect_close(student.q5_softmax_by_hand(), [1 / 8, 2 / 8, 5 / 8], rtol=1e-3,
                 what="softmax(0, ln 2, ln 5)", mistakes={
                     "the logits divided by their sum (no exponential)": z / z.sum(),
                     "the exponentials are not normalised": [1.0, 2.0, 5.0],
                 })


@points(1, question="q5", kind="derive", hint="Subtract 1000 from both logits: the softmax does not change.")
def test_shifted_softmax(student):
    expect_close(student.q5_shifted_softmax(), [0.25, 0.75], rtol=1e-3, what="softmax(1000, 1000 + ln 3)",
                 mistakes={
                     "computed without the max shift (nan)": lambda got: bool(np.isnan(got).any()),
                     "the shift removes the 1000, but the logits still differ by ln 3": [0.5, 0.5],
                 })


@points(1, question="q5", kind="derive", hint="p_1 = 2/8, so L = ln 4; the gradient is p minus the one-hot vector of "
                                               "class 1 (counted from 0).")
def test_cross_entropy_by_hand(student):
    result = student.q5_cross_entropy_by_hand()
    expect_length(result, 2, what="(L, gradient)")
    loss, grad = result
    expect_close(loss, np.log(4), rtol=1e-3, what="L = -ln p_1", mistakes={
        "log base 10 instead of the natural log": np.log10(4),
        "the loss has the wrong sign (the minus of -log p is missing)": -np.log(4),
        "the probability of class 1 counted from 1 (class 0 used)": np.log(8),
    })
    p = np.array([1 / 8, 2 / 8, 5 / 8])
    y = np.array([0.0, 1.0, 0.0])
    expect_close(grad, p - y, rtol=1e-3, what="dL/dz", mistakes={
        WRONG_SIGN: y - p,
        "the one-hot target is not subtracted": p,
    })


# q6: predict ------------------------------------------------------------------------------------------------

@points(1, question="q6", kind="predict", hint="Dividing by 100 shrinks every gap between logits by 100, and the "
                                                "gaps decide the probabilities.")
def test_high_temperature(student):
    expect_choice(student.q6_high_temperature(), "b", "abcd", what="T = 100", mistakes={
        "a": "a high temperature flattens the distribution; a low one sharpens it",
        "c": "the order is kept, but the gaps between the logits shrink, and the gaps decide the probabilities",
        "d": "class 0 keeps the largest probability: the order of the logits is kept",
    })


@points(1, question="q6", kind="predict", hint="With the largest logit subtracted, the third class's term is e to the "
                                                "power -100; the two equal logits share what is left.")
def test_low_temperature(student):
    expect_close(student.q6_low_temperature(), [0.5, 0.5, 0.0], atol=5e-3, what="softmax((2, 2, 1) / 0.01)",
                 mistakes={
                     "a tie is shared: as T goes to 0 the mass goes equally to all the largest logits":
                         lambda got: any(np.allclose(got, one, atol=5e-3) for one in ([1, 0, 0], [0, 1, 0])),
                     "a low temperature sharpens the distribution; a high one flattens it":
                         lambda got: bool(np.allclose(got, 1 / 3, atol=5e-2)),
                 })


@points(1, question="q6", kind="predict", hint="e^1000 and e^999 are both inf in float64, so is their sum, and "
                                                "inf / inf is not a number.")
def test_naive_softmax(student):
    expect_choice(student.q6_naive_softmax(), "b", "abcd", what="the unshifted softmax of (1000, 999, 0)", mistakes={
        "a": "that is the true softmax, but e^1000 overflows float64 (whose largest value is about e^709.8)",
        "c": "numpy does not raise on overflow: it warns and returns inf",
        "d": "inf / inf is nan, not inf",
    })
