"""Public tests of exercise 11 (convolution and pooling).

q1 a convolution by hand (derive), q2 conv2d forward (implement), q3 sizes and parameters of a stack of layers
(derive), q4 conv2d backward (implement), q5 max-pooling forward and backward (implement), q6 predictions
(predict), q7 the capstone: the student's own CNN on the digits, graded on the chapter's held-out test digits.

The references are nnedu's loop versions of convolution and pooling (``nnedu.convolution``), which the package's
tests check against PyTorch, and closed forms.
"""

import time
from functools import lru_cache

import numpy as np

from nnedu import functional as F
from nnedu.convolution import (
    avg_pool2d_loop,
    conv2d_loop,
    conv2d_loop_backward,
    max_pool2d_loop,
    max_pool2d_loop_backward,
)
from nnedu.grading import (
    ExpectationFailed,
    Partial,
    expect_choice,
    expect_close,
    expect_length,
    expect_shape,
    expect_unchanged,
    points,
)

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

FLIPPED = "convolution instead of cross-correlation (the filter is flipped)"
OFF_BY_ONE = "stride/padding off by one (the output size)"
NO_PADDING = "the padding is ignored"
NO_STRIDE = "the stride is ignored"
NO_BIAS = "the bias is missing"
BIAS_AXIS = "the bias is not added per output channel"


def off_by_one(shape):
    """A predicate: an array of the right rank whose last two sizes are each at most one away from ``shape``'s."""
    shape = tuple(shape)

    def seen(got):
        return (got.ndim == len(shape) and got.shape != shape and got.shape[:-2] == shape[:-2]
                and all(abs(a - b) <= 1 for a, b in zip(got.shape[-2:], shape[-2:])))
    return seen


# ------------------------------------------------------------------------------------------------ q1 (derive)
X_HAND = np.array([[1, 0, 2, 1], [0, 1, 1, 0], [2, 1, 0, 1], [1, 0, 1, 2]], dtype=float)[None, None]
W_HAND = np.array([[1, 2], [0, -1]], dtype=float)[None, None]
B_HAND = np.array([1.0])


def hand(weight=W_HAND, bias=B_HAND, stride=1, padding=0):
    return conv2d_loop(X_HAND, weight, bias, stride, padding)[0, 0]


@points(1, question="q1", kind="derive",
        hint="Lay the 2 x 2 filter on each 2 x 2 block of x as printed, multiply entry by entry, add up, add b.")
def test_hand_convolution_stride_1(student):
    expected = hand()
    expect_close(student.q1_stride1(), expected, what="output with stride 1, no padding",
                 given={"x": X_HAND[0, 0], "w": W_HAND[0, 0], "b": 1.0}, mistakes={
                     FLIPPED: hand(W_HAND[..., ::-1, ::-1]),
                     NO_BIAS: hand(bias=None),
                     OFF_BY_ONE: off_by_one(expected.shape),
                 })


@points(1, question="q1", kind="derive",
        hint="The padded image is 6 x 6 with x in its middle; a stride of 2 skips every other window position.")
def test_hand_convolution_stride_2_padding_1(student):
    expected = hand(stride=2, padding=1)
    expect_close(student.q1_stride2_padding1(), expected, what="output with stride 2, padding 1",
                 given={"x": X_HAND[0, 0], "w": W_HAND[0, 0], "b": 1.0}, mistakes={
                     FLIPPED: hand(W_HAND[..., ::-1, ::-1], stride=2, padding=1),
                     NO_PADDING: hand(stride=2),
                     NO_STRIDE: hand(padding=1),
                     NO_BIAS: hand(bias=None, stride=2, padding=1),
                     OFF_BY_ONE: off_by_one(expected.shape),
                 })


# --------------------------------------------------------------------------------------------- q2 (implement)
def bias_elsewhere(x, weight, bias, stride=1, padding=0):
    """A predicate: the output without bias, plus a bias added along another axis than the output channels."""
    plain = conv2d_loop(x, weight, None, stride, padding)
    wrong = [plain + bias.sum(), plain + bias[0]]
    if plain.shape[3] == len(bias):
        wrong.append(plain + bias[None, None, None, :])
    if plain.shape[2] == len(bias):
        wrong.append(plain + bias[None, None, :, None])
    return lambda got: any(got.shape == w.shape and np.allclose(got, w) for w in wrong)


@points(1, question="q2",
        hint="A cross-correlation: the filter entry in row u and column v multiplies the image entry u rows below "
             "and v columns to the right of the window's top-left corner.")
def test_conv_forward_small_hand_case(student):
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    w = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.0]]).reshape(1, 1, 2, 3)
    b = np.array([0.5])
    expected = conv2d_loop(x, w, b)
    expect_close(student.conv2d_forward(x, w, b), expected, what="conv2d_forward(x, w, b)",
                 given={"x": x, "weight": w, "bias": b}, mistakes={
                     FLIPPED: conv2d_loop(x, w[..., ::-1, ::-1], b),
                     NO_BIAS: conv2d_loop(x, w, None),
                     OFF_BY_ONE: off_by_one(expected.shape),
                 })


@points(1, question="q2",
        hint="Pad both sides of both image axes; the output size is floor((n + 2p - k) / s) + 1.")
def test_conv_forward_stride_and_padding(student):
    rng = np.random.default_rng(1102)
    x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    expected = conv2d_loop(x, w, b, stride=2, padding=1)
    expect_close(student.conv2d_forward(x, w, b, 2, 1), expected, what="conv2d_forward(x, w, b, stride=2, padding=1)",
                 given={"x": x, "weight": w, "bias": b}, mistakes={
                     FLIPPED: conv2d_loop(x, w[..., ::-1, ::-1], b, 2, 1),
                     NO_PADDING: conv2d_loop(x, w, b, 2, 0),
                     NO_STRIDE: conv2d_loop(x, w, b, 1, 1),
                     OFF_BY_ONE: off_by_one(expected.shape),
                 })


@points(1, question="q2",
        hint="Every filter sums over all the input channels, and bias[o] is added to every pixel of output channel o.")
def test_conv_forward_channels_batch_and_bias(student):
    rng = np.random.default_rng(1103)
    x, w, b = rng.normal(size=(3, 2, 6, 6)), rng.normal(size=(4, 2, 3, 3)), rng.normal(size=4)
    expected = conv2d_loop(x, w, b)   # 4 output channels and a 4 x 4 output: a bias on the wrong axis still fits
    expect_close(student.conv2d_forward(x, w, b), expected, what="conv2d_forward(x, w, b)",
                 given={"x": x, "weight": w, "bias": b}, mistakes={
                     NO_BIAS: conv2d_loop(x, w, None),
                     BIAS_AXIS: bias_elsewhere(x, w, b),
                     FLIPPED: conv2d_loop(x, w[..., ::-1, ::-1], b),
                 })


@points(1, question="q2",
        hint="A filter's height is the third axis of the weights and its width the fourth; compute a new array "
             "rather than writing into x.")
def test_conv_forward_rectangular_filter_leaves_inputs_alone(student):
    rng = np.random.default_rng(1104)
    x, w, b = rng.normal(size=(2, 3, 5, 7)), rng.normal(size=(2, 3, 2, 4)), rng.normal(size=2)
    expected = conv2d_loop(x, w, b, 1, 2)
    swapped = conv2d_loop(x, np.zeros((2, 3, 4, 2)), None, 1, 2).shape
    out, after = student.conv2d_forward.and_inputs(x, w, b, 1, 2)
    expect_close(out, expected, what="conv2d_forward(x, w, b, stride=1, padding=2) with a 2 x 4 filter",
                 given={"x": x, "weight": w, "bias": b}, mistakes={
                     "the filter's height and width are swapped": lambda got: got.shape == swapped,
                     FLIPPED: conv2d_loop(x, w[..., ::-1, ::-1], b, 1, 2),
                     NO_PADDING: conv2d_loop(x, w, b, 1, 0),
                     OFF_BY_ONE: off_by_one(expected.shape),
                 })
    expect_unchanged(x, after[0], what="x")
    expect_unchanged(w, after[1], what="weight")


# ------------------------------------------------------------------------------------------------ q3 (derive)
LENET: list[tuple[str, int, int, int, int]] = [   # (kind, filters (0 for a pool), kernel, stride, padding)
    ("conv", 6, 5, 1, 2), ("pool", 0, 2, 2, 0), ("conv", 16, 5, 1, 0), ("pool", 0, 2, 2, 0), ("conv", 32, 3, 2, 1)]


def shapes(size=lambda n, k, s, p: F.conv2d_output_size(n, k, s, p)):
    """(C, H, W) after each layer of LENET on a 1 x 28 x 28 image, with a given output-size rule."""
    c, n, out = 1, 28, []
    for kind, filters, k, s, p in LENET:
        c, n = (filters if kind == "conv" else c), size(n, k, s, p)
        out.append((c, n, n))
    return np.array(out)


def conv_parameters(count=lambda o, c, k: o * c * k * k + o):
    rows, c = [], 1
    for kind, filters, k, _, _ in LENET:
        if kind == "conv":
            rows.append(count(filters, c, k))
            c = filters
    return np.array(rows)


@points(2, question="q3", kind="derive",
        hint="Output size floor((n + 2p - k) / s) + 1, layer after layer; a pooling layer keeps the channels.")
def test_stack_shapes(student):
    got = student.q3_shapes()
    expect_close(got, shapes(), what="(C, H, W) after layers 1-5", mistakes={
        "the +1 of the output size is missing": shapes(lambda n, k, s, p: (n + 2 * p - k) // s),
        "the padding is counted on one side only": shapes(lambda n, k, s, p: (n + p - k) // s + 1),
        NO_PADDING: shapes(lambda n, k, s, p: (n - k) // s + 1),
        NO_STRIDE: shapes(lambda n, k, s, p: n + 2 * p - k + 1),
    })


@points(1, question="q3", kind="derive", hint="Each filter has one weight per input channel and filter position, "
                                              "and its own bias.")
def test_conv_parameter_counts(student):
    expect_close(student.q3_parameters(), conv_parameters(), what="parameters of layers 1, 3 and 5", mistakes={
        "the biases are not counted": conv_parameters(lambda o, c, k: o * c * k * k),
        "the input channels are not counted (a filter is as deep as its input)":
            conv_parameters(lambda o, c, k: o * k * k + o),
        "the filter counted as k instead of k x k weights": conv_parameters(lambda o, c, k: o * c * k + o),
    })


@points(1, question="q3", kind="derive", hint="Layer 1 has 6 x 28 x 28 outputs; a fully connected layer has a "
                                              "weight per input and output, and a bias per output.")
def test_dense_parameter_count(student):
    inputs, outputs = 28 * 28, 6 * 28 * 28
    expect_close(student.q3_dense_parameters(), inputs * outputs + outputs, what="parameters of the Linear layer",
                 mistakes={"the biases are not counted": inputs * outputs,
                           "parameter sharing counted for a fully connected layer": conv_parameters()[0]})


# --------------------------------------------------------------------------------------------- q4 (implement)
DB_NOT_SUMMED = "db not summed over N, H and W (one value per output channel)"
TRANSPOSED = "the weight gradient has its channel axes transposed"


def backward_case(seed, n, c, h, w_, o, k, stride, padding):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=(n, c, h, w_)), rng.normal(size=(o, c, k, k))
    dout = rng.normal(size=conv2d_loop(x, w, None, stride, padding).shape)
    return x, w, dout, conv2d_loop_backward(dout, x, w, stride, padding)


def three(student, dout, x, w, stride, padding):
    result = student.conv2d_backward(dout, x, w, stride, padding)
    expect_length(result, 3, what="conv2d_backward(...), the tuple (dx, dweight, dbias)")
    return result


@points(1, question="q4",
        hint="Every pixel of output channel o, in every image, was shifted by the same bias b_o.")
def test_conv_backward_bias(student):
    x, w, dout, (_, _, db) = backward_case(1141, 2, 3, 5, 5, 4, 3, 1, 1)
    _, _, got = three(student, dout, x, w, 1, 1)
    n, hw = dout.shape[0], dout.shape[2] * dout.shape[3]
    expect_close(got, db, what="dbias", given={"dout": dout}, mistakes={
        DB_NOT_SUMMED: lambda got: got.ndim >= 2 and 4 in got.shape,
        "db summed over the output channels too": lambda got: got.size == 1,
        "db is a mean instead of a sum": lambda got: got.shape == db.shape and any(
            np.allclose(got, db / m) for m in (n, hw, n * hw)),
    })


@points(1, question="q4",
        hint="The gradient of filter o on input channel c sums delta times the window of channel c over the images "
             "and the windows; it has the filters' shape.")
def test_conv_backward_weight(student):
    x, w, dout, (_, dw, _) = backward_case(1142, 2, 3, 5, 5, 4, 3, 1, 1)
    _, got, _ = three(student, dout, x, w, 1, 1)
    expect_close(got, dw, what="dweight", given={"x": x, "dout": dout}, mistakes={
        TRANSPOSED: lambda got: got.shape == (3, 4, 3, 3),
        "the weight gradient is flipped (a convolution instead of a cross-correlation)": dw[..., ::-1, ::-1],
        "the weight gradient is a mean over the batch instead of a sum": dw / 2,
    })


@points(1, question="q4",
        hint="Each window's gradient is the sum over o of delta times filter o, added onto the pixels the window "
             "covered.")
def test_conv_backward_input(student):
    x, w, dout, (dx, _, _) = backward_case(1143, 2, 3, 6, 6, 2, 3, 1, 0)
    got, _, _ = three(student, dout, x, w, 1, 0)
    rotated = conv2d_loop_backward(dout, x, w[..., ::-1, ::-1], 1, 0)[0]
    expect_close(got, dx, what="dx", given={"weight": w, "dout": dout}, mistakes={
        "the filter is not rotated by 180 degrees in dx (cross-correlation instead of convolution)": rotated,
        "dx is not cut back to the input's size": lambda got: got.ndim == 4 and got.shape[2:] > dx.shape[2:],
    })


@points(1, question="q4",
        hint="With stride s the window of output row i starts at row s times i; with padding, drop the border of the "
             "padded gradient. Do not write into the arguments.")
def test_conv_backward_stride_padding_leaves_inputs_alone(student):
    x, w, dout, (dx, dw, db) = backward_case(1144, 2, 2, 7, 6, 3, 3, 2, 1)
    result, after = student.conv2d_backward.and_inputs(dout, x, w, 2, 1)
    expect_length(result, 3, what="conv2d_backward(...), the tuple (dx, dweight, dbias)")
    got_dx, got_dw, got_db = result
    given = {"x": x, "weight": w, "dout": dout}
    expect_close(got_db, db, what="dbias (stride 2, padding 1)", given=given,
                 mistakes={DB_NOT_SUMMED: lambda got: got.ndim >= 2 and 3 in got.shape})
    expect_close(got_dw, dw, what="dweight (stride 2, padding 1)", given=given,
                 mistakes={TRANSPOSED: lambda got: got.shape == (2, 3, 3, 3)})
    expect_close(got_dx, dx, what="dx (stride 2, padding 1)", given=given, mistakes={
        "dx is not cut back to the input's size": lambda got: got.shape == (2, 2, 9, 8),
        "the filter is not rotated by 180 degrees in dx (cross-correlation instead of convolution)":
            conv2d_loop_backward(dout, x, w[..., ::-1, ::-1], 2, 1)[0],
    })
    for name, before, now in zip(("dout", "x", "weight"), (dout, x, w), after):
        expect_unchanged(before, now, what=name)


# --------------------------------------------------------------------------------------------- q5 (implement)
SPREAD = "the gradient is spread to every entry of the window"
AVERAGED = "the gradient is averaged over the window (average pooling's gradient)"
EVERY_TIE = "ties send the gradient to every maximum"
OVERWRITE = "overlapping windows overwrite each other's gradient instead of adding up"


def pool_alternatives(dout, x, k, s):
    """The gradients of three wrong rules: every maximum of a tie, the last maximum, the tied maxima sharing."""
    every, last, shared = (np.zeros_like(x) for _ in range(3))
    for n, c, i, j in np.ndindex(dout.shape):
        window = (n, c, slice(i * s, i * s + k), slice(j * s, j * s + k))
        mask = x[window] == x[window].max()
        every[window] += dout[n, c, i, j] * mask
        shared[window] += dout[n, c, i, j] * mask / mask.sum()
        u, v = np.unravel_index(np.flatnonzero(mask.ravel())[-1], mask.shape)
        last[n, c, i * s + u, j * s + v] += dout[n, c, i, j]
    return every, last, shared


def spread(dout, k):
    """Every entry of each (non-overlapping) k x k window gets the window's whole gradient."""
    return np.repeat(np.repeat(dout, k, axis=2), k, axis=3)


def spread_overlapping(dout, x_shape, k, s):
    """The same for windows of stride s: every entry collects the gradients of all the windows it is in."""
    dx = np.zeros(x_shape)
    for i, j in np.ndindex(dout.shape[2:]):
        dx[:, :, i * s : i * s + k, j * s : j * s + k] += dout[:, :, i, j, None, None]
    return dx


@points(1, question="q5",
        hint="The stride defaults to the kernel size; each output pixel is the maximum of its window, not the mean.")
def test_max_pool_forward(student):
    rng = np.random.default_rng(1151)
    x = rng.normal(size=(2, 3, 6, 6))
    part = Partial()
    with part(1):
        expect_close(student.max_pool_forward(x, 2), max_pool2d_loop(x, 2), what="max_pool_forward(x, 2)",
                     given={"x": x}, mistakes={
                         "the stride defaults to 1 instead of the kernel size": max_pool2d_loop(x, 2, 1),
                         "average pooling instead of max pooling": avg_pool2d_loop(x, 2),
                     })
    x = rng.normal(size=(2, 2, 8, 8))
    expected = max_pool2d_loop(x, 3, 2)
    with part(1):
        expect_close(student.max_pool_forward(x, 3, 2), expected, what="max_pool_forward(x, 3, 2)",
                     given={"x": x}, mistakes={
                         "the stride is ignored": max_pool2d_loop(x, 3, 1),
                         "average pooling instead of max pooling": avg_pool2d_loop(x, 3, 2),
                         "windows that do not fit are kept (the output size rounded up)": off_by_one(expected.shape),
                     })
    return part


@points(1, question="q5",
        hint="Only the entry that is the window's maximum receives the window's gradient; the others receive 0 from "
             "it. Do not write into x or dout.")
def test_max_pool_backward(student):
    rng = np.random.default_rng(1152)
    x, dout = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(2, 3, 3, 3))
    got, after = student.max_pool_backward.and_inputs(dout, x, 2)
    expect_close(got, max_pool2d_loop_backward(dout, x, 2), what="max_pool_backward(dout, x, 2)",
                 given={"x": x, "dout": dout}, mistakes={SPREAD: spread(dout, 2), AVERAGED: spread(dout, 2) / 4})
    expect_unchanged(dout, after[0], what="dout")
    expect_unchanged(x, after[1], what="x")


@points(1, question="q5",
        hint="At a tie the whole gradient goes to the first maximum in row-major order (as PyTorch does).")
def test_max_pool_backward_ties(student):
    rng = np.random.default_rng(1153)
    x = rng.integers(0, 3, size=(2, 2, 6, 6)).astype(float)   # small integers: many windows with tied maxima
    x[0, 0, :2, :2] = 1.0                                      # and one window of four equal entries
    dout = rng.normal(size=(2, 2, 3, 3))
    every, last, shared = pool_alternatives(dout, x, 2, 2)
    expect_close(student.max_pool_backward(dout, x, 2), max_pool2d_loop_backward(dout, x, 2),
                 what="max_pool_backward(dout, x, 2) with ties", given={"x": x, "dout": dout}, mistakes={
                     EVERY_TIE: every,
                     "ties send the gradient to the last maximum instead of the first": last,
                     "ties share the gradient among the maxima": shared,
                     SPREAD: spread(dout, 2),
                 })


@points(1, question="q5",
        hint="With a 3 x 3 window and stride 2 the windows overlap: an entry that wins two windows collects both "
             "gradients. Do not write into x or dout.")
def test_max_pool_backward_overlapping_windows(student):
    rng = np.random.default_rng(1154)
    x, dout = rng.normal(size=(2, 2, 7, 7)), rng.normal(size=(2, 2, 3, 3))
    expected = max_pool2d_loop_backward(dout, x, 3, 2)
    shared_rows = np.zeros(x.shape, dtype=bool)
    shared_rows[:, :, 2:5:2, :] = shared_rows[:, :, :, 2:5:2] = True   # rows and columns two windows share

    def overwritten(got):
        wrong = ~np.isclose(got, expected)
        return got.shape == expected.shape and wrong.any() and not (wrong & ~shared_rows).any()

    got, after = student.max_pool_backward.and_inputs(dout, x, 3, 2)
    expect_close(got, expected, what="max_pool_backward(dout, x, 3, 2)", given={"x": x, "dout": dout}, mistakes={
        OVERWRITE: overwritten,
        SPREAD: spread_overlapping(dout, x.shape, 3, 2),
    })
    expect_unchanged(dout, after[0], what="dout")
    expect_unchanged(x, after[1], what="x")


# ------------------------------------------------------------------------------------------------ q6 (predict)
@points(1, question="q6", kind="predict", hint="How deep is a filter of a layer whose input has 64 channels?")
def test_one_by_one_convolution(student):
    expect_choice(student.q6_one_by_one(), "b", "abcd", what="what Conv2d(64, 16, kernel_size=1) computes", mistakes={
        "a": "a 1 x 1 filter still has one weight per input channel: it mixes the channels of each pixel",
        "c": "a 1 x 1 window covers no neighbours: it cannot blur",
        "d": "with stride 1 and no padding a 1 x 1 filter keeps the height and the width",
    })


@points(1, question="q6", kind="predict",
        hint="Follow the field and the jump through the layers as the chapter's receptive-field section does; "
             "a pixel of the input is a field of 1.")
def test_receptive_field_of_five_3x3_layers(student):
    expected = 1 + 5 * (3 - 1)
    expect_close(student.q6_receptive_field(), expected, what="receptive field after five 3 x 3 layers", mistakes={
        "the kernel sizes added (neighbouring windows overlap: a layer adds k - 1, not k)": 5 * 3,
        "the kernel sizes multiplied (the field grows linearly with stride 1)": 3 ** 5,
        "the first input pixel not counted (r starts at 1)": 5 * (3 - 1),
        "only the last layer's window counted": 3,
    })


@points(1, question="q6", kind="predict",
        hint="Write out which input pixels one output pixel reads, before and after the move.")
def test_shifted_input(student):
    expect_choice(student.q6_shift(), "b", "abcd", what="the feature maps of the moved image", mistakes={
        "a": "a convolution is shift-equivariant, not shift-invariant: its maps move with the image "
             "(the chapter's CNN lost accuracy on digits moved by one pixel)",
        "d": "output pixel (i, j) reads the window starting at (i, j): the maps move the same way as the image",
    })


@points(1, question="q6", kind="predict", hint="A 2 x 2 window has 4 entries and one maximum.")
def test_share_of_zero_gradients(student):
    expect_close(student.q6_zero_gradient_share(), 0.75, atol=1e-3, what="share of zero entries of dx", mistakes={
        "the share of entries that receive a gradient, not of those that receive none": 0.25,
        SPREAD: 0.0,
    })


# ----------------------------------------------------------------------------------------------- q7 (capstone)
THRESHOLD = 0.96
LEVELS = ((1, 0.90), (1, 0.94), (3, THRESHOLD))   # (points, accuracy needed)


@lru_cache(maxsize=1)
def chapter_split():
    """The chapter's split of the digits: 1,437 for training (and validation), 360 held out for the test."""
    from nnedu.data import load_digits, train_test_split

    images, labels = load_digits(flatten=False)
    return train_test_split(images, labels, test_size=0.2, seed=0, stratify=True)


@points(5, question="q7", kind="capstone", timeout=120,
        hint="Check Questions 2, 4 and 5 first; then watch the validation accuracy in the demo cell: the chapter's "
             "architecture, a decaying learning rate and one-pixel shifts of the training images are enough.")
def test_capstone_cnn_on_held_out_digits(student):
    X_train, X_test, y_train, y_test = chapter_split()
    start = time.perf_counter()
    params = student.train_cnn(X_train[:, None], y_train, 0)
    seconds = time.perf_counter() - start
    if not isinstance(params, dict) or not params:
        raise ExpectationFailed(f"train_cnn must return its parameters as a dict of numpy arrays, got "
                                f"{type(params).__name__}")
    labels = student.predict_cnn(params, X_test[:, None])
    expect_shape(labels, (len(X_test),), what="predict_cnn(params, X_test): one label per test image")
    accuracy = float(np.mean(np.asarray(labels) == y_test))
    summary = (f"test accuracy {accuracy:.1%} on the {len(y_test)} held-out digits (full marks from "
               f"{THRESHOLD:.0%}, partial credit from {LEVELS[0][1]:.0%}); train_cnn took {seconds:.1f} s")
    part = Partial()
    for weight, level in LEVELS:
        with part(weight):
            if accuracy < level:
                raise ExpectationFailed(summary if not part.messages else f"below {level:.0%}")
    return part
