"""Public tests of exercise 6 (losses and their gradients).

The references are nnedu's losses (tested against PyTorch) or closed forms; the common mistakes are
the values a mistaken implementation returns on the same input.
"""

import numpy as np

from nnedu import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nnedu import functional as F
from nnedu.grading import expect_choice, expect_close, expect_length, expect_shape, expect_unchanged, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

rng = np.random.default_rng(6)
PRED, TARGET = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
PROBS = rng.uniform(0.05, 0.95, size=(4, 3))
BINARY = rng.integers(0, 2, size=(4, 3)).astype(float)
SCORES = rng.normal(scale=3.0, size=(6,))
SCORE_LABELS = rng.integers(0, 2, size=6).astype(float)
LOGITS, LABELS = rng.normal(size=(5, 4)), np.array([0, 3, 1, 1, 2])

NOT_FINITE = "log(0) without clipping (inf or nan)"


def not_finite(got):
    return not np.all(np.isfinite(got))


# Question 1: the mean squared error

@points(1, question="q1", hint="A mean over every entry of the (N, D) batch, not over its rows.")
def test_mse_loss(student):
    diff = PRED - TARGET
    expect_close(student.mse_loss(PRED, TARGET), MSELoss()(PRED, TARGET), what="loss",
                 given={"pred": PRED, "target": TARGET}, mistakes={
                     "sum instead of mean (a factor of N)": np.sum(diff**2),
                     "a mean over the rows only (divided by N, not by N * D)": np.sum(diff**2) / len(diff),
                     "the differences are not squared": np.mean(np.abs(diff)),
                 })


@points(2, question="q1", hint="Differentiate one term of the mean: the 1/K stays, the square brings down a 2.")
def test_mse_grad(student):
    loss_fn = MSELoss()
    loss_fn(PRED, TARGET)
    diff = PRED - TARGET
    got, (pred_after, target_after) = student.mse_grad.and_inputs(PRED, TARGET)
    expect_shape(got, PRED.shape, what="dL/dpred")
    expect_close(got, loss_fn.backward(), what="dL/dpred", given={"pred": PRED, "target": TARGET}, mistakes={
        "the factor 2 is missing": diff / diff.size,
        "the gradient has the wrong sign": -2 * diff / diff.size,
        "sum instead of mean (a factor of N)": 2 * diff,
        "a mean over the rows only (divided by N, not by N * D)": 2 * diff / len(diff),
    })
    expect_unchanged(PRED, pred_after, what="pred")
    expect_unchanged(TARGET, target_after, what="target")


# Question 2: binary cross-entropy

@points(1, question="q2", hint="Both logs are negative: the loss needs a minus sign in front to be positive.")
def test_bce_loss(student):
    reference = BCELoss()(PROBS, BINARY)
    expect_close(student.bce_loss(PROBS, BINARY, 1e-7), reference, what="loss",
                 given={"p": PROBS, "y": BINARY}, mistakes={
                     "the minus sign is missing (the loss is negative)": -reference,
                     "sum instead of mean (a factor of N)": reference * PROBS.size,
                     "log base 10 instead of the natural log": reference / np.log(10),
                 })


@points(1, question="q2",
        hint="A probability of exactly 0 or 1 has to be moved a tiny distance eps inside the interval before any log.")
def test_bce_loss_clips_probabilities(student):
    p = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.9])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    eps = 1e-7
    clipped = np.clip(p, eps, 1 - eps)
    expected = np.mean(-(y * np.log(clipped) + (1 - y) * np.log(1 - clipped)))  # -ln(1e-7) = 16.1 per mistake
    got, (p_after, _, _) = student.bce_loss.and_inputs(p, y, eps)
    expect_close(got, expected, what="loss with p = 0 and p = 1", given={"p": p, "y": y, "eps": eps},
                 mistakes={NOT_FINITE: not_finite})
    expect_unchanged(p, p_after, what="p")


@points(1, question="q2", hint="For moderate logits the answer is the cross-entropy of sigmoid(z).")
def test_bce_with_logits(student):
    reference = BCEWithLogitsLoss()(SCORES, SCORE_LABELS)
    expect_close(student.bce_with_logits(SCORES, SCORE_LABELS), reference, what="loss",
                 given={"z": SCORES, "y": SCORE_LABELS}, mistakes={
                     "the minus sign is missing (the loss is negative)": -reference,
                     "sum instead of mean (a factor of N)": reference * SCORES.size,
                 })


@points(1, question="q2",
        hint="Never exponentiate a large positive number, and never take the log of a rounded sigmoid.")
def test_bce_with_logits_large_logits(student):
    z = np.array([1000.0, -1000.0, 40.0, -40.0, 0.0, 800.0])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    expected = BCEWithLogitsLoss()(z, y)   # (0 + 1000 + 40 + 0 + ln 2 + 800) / 6
    expect_close(student.bce_with_logits(z, y), expected, what="loss", given={"z": z, "y": y}, mistakes={
        "the sigmoid rounds to 0 or 1 before the log (inf or nan)": not_finite,
        "the probability is clipped before the log (a confident mistake's loss is capped)":
            lambda got: bool(np.isfinite(got)) and float(got) < expected / 2,
    })


# Question 3: categorical cross-entropy

@points(1, question="q3", hint="One log-probability per example: the one at that example's label.")
def test_cross_entropy(student):
    log_p = F.log_softmax(LOGITS, axis=1)
    reference = CrossEntropyLoss()(LOGITS, LABELS)
    expect_close(student.cross_entropy(LOGITS, LABELS), reference, what="loss",
                 given={"logits": LOGITS, "labels": LABELS}, mistakes={
                     "sum instead of mean (a factor of N)": reference * len(LABELS),
                     "the minus sign is missing (the loss is negative)": -reference,
                     "[:, labels] picks an N x N block, not one entry per row": -np.mean(log_p[:, LABELS]),
                 })


@points(1, question="q3", hint="Chapter 5: subtract each row's maximum before exponentiating, in a new array.")
def test_cross_entropy_large_logits(student):
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0], [-5.0, 2.0, 1.0]])
    labels = np.array([0, 2, 1])
    got, (logits_after, _) = student.cross_entropy.and_inputs(logits, labels)
    expect_close(got, CrossEntropyLoss()(logits, labels), what="loss", given={"logits": logits, "labels": labels},
                 mistakes={"softmax without the max shift (overflow)": not_finite})
    expect_unchanged(logits, logits_after, what="logits")


@points(2, question="q3",
        hint="Chapter 6 derives it over a mini-batch: probabilities minus one-hot targets, and the mean.")
def test_cross_entropy_grad(student):
    loss_fn = CrossEntropyLoss()
    loss_fn(LOGITS, LABELS)
    n = len(LABELS)
    p, y = F.softmax(LOGITS, axis=1), F.one_hot(LABELS, LOGITS.shape[1])
    got = student.cross_entropy_grad(LOGITS, LABELS)
    expect_shape(got, LOGITS.shape, what="dL/dlogits")
    expect_close(got, loss_fn.backward(), what="dL/dlogits", given={"logits": LOGITS, "labels": LABELS}, mistakes={
        "the gradient has the wrong sign": (y - p) / n,
        "sum instead of mean (a factor of N)": p - y,
        "the one-hot target is not subtracted": p / n,
        "the gradient with respect to the probabilities, not the logits": -y / (n * p),
    })


# Question 4: by hand

@points(1, question="q4", kind="derive", hint="Natural logs; for the label 1 only -ln p is left of the cross-entropy.")
def test_q4_confident_mistake(student):
    got = student.q4_confident_mistake()
    expect_length(got, 2, what="(mse, bce)")
    mse, bce = got
    expect_close(mse, 0.99**2, rtol=1e-3, what="squared error", mistakes={
        "the difference is not squared": 0.99,
    })
    expect_close(bce, -np.log(0.01), rtol=1e-3, what="binary cross-entropy", mistakes={
        "log base 10 instead of the natural log": 2.0,
        "-ln(1 - p): the log of the other class's probability": -np.log(0.99),
        "the minus sign is missing (the loss is negative)": np.log(0.01),
    })


@points(1, question="q4", kind="derive", hint="Each example contributes minus the log of its true class's probability.")
def test_q4_mean_cross_entropy(student):
    expected = (-np.log(0.7) - np.log(0.4)) / 2
    expect_close(student.q4_mean_cross_entropy(), expected, rtol=1e-3, what="mean cross-entropy", mistakes={
        "sum instead of mean (a factor of N)": 2 * expected,
        "log base 10 instead of the natural log": expected / np.log(10),
        "the most probable class used instead of the true class": (-np.log(0.7) - np.log(0.5)) / 2,
    })


@points(1, question="q4", kind="derive", hint="Each entry is 2/K times its own difference, prediction minus target.")
def test_q4_mse_gradient(student):
    diff = np.array([1.0, 3.0, 0.5, 2.0]) - np.array([2.0, 1.0, 0.5, 0.0])
    expect_close(student.q4_mse_gradient(), 2 * diff / 4, rtol=1e-3, what="dMSE/dpred", mistakes={
        "the factor 2 is missing": diff / 4,
        "sum instead of mean (a factor of N)": 2 * diff,
        "the gradient has the wrong sign": -2 * diff / 4,
    })


# Question 5: predict the gradients of a confident mistake

@points(1, question="q5", kind="predict",
        hint="Write dL/dz with the chain rule and follow each factor as z goes to minus infinity.")
def test_q5_mse_limit(student):
    expect_choice(student.q5_mse_limit(), "c", "abcd", what="|dL/dz| for the squared error", mistakes={
        "a": "a larger error is not a larger gradient: the sigmoid's slope multiplies it",
        "d": "2 (p - 1) tends to -2, but the sigmoid's slope that multiplies it tends to 0",
    })


@points(1, question="q5", kind="predict",
        hint="Chapter 6, Which loss for which output, compares the two slopes; work out dL/dz for -ln sigmoid(z).")
def test_q5_bce_limit(student):
    expect_choice(student.q5_bce_limit(), "b", "abcd", what="|dL/dz| for the cross-entropy", mistakes={
        "a": "the loss -ln p grows without bound, but its slope in z does not",
        "c": "that is the squared error on a sigmoid; the log cancels the vanishing slope",
    })


# Question 6: predict

@points(1, question="q6", kind="predict", hint="Equal logits: every class gets probability 1/10.")
def test_q6_uniform_loss(student):
    expect_close(student.q6_uniform_loss(), np.log(10), rtol=1e-3, what="loss of equal logits", mistakes={
        "log base 10 instead of the natural log": 1.0,
        "the probability, not minus its log": 0.1,
        "log base 2 instead of the natural log": np.log2(10),
        "summed over all ten classes instead of only the true one": 10 * np.log(10),
    })


@points(1, question="q6", kind="predict", hint="Write each ratio p_j / p_true as a power of e, then double the logits.")
def test_q6_double_logits(student):
    expect_choice(student.q6_double_logits(), "a", "abcd", what="the loss after doubling the logits", mistakes={
        "c": "the softmax ignores adding a constant to every logit, not multiplying them",
        "b": "doubling sharpens the softmax towards the largest logit, which is the true class here",
        "d": "with the true class strictly largest, every ratio of another class's probability to it shrinks",
    })
