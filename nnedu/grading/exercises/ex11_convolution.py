"""Public tests of exercise 11 (convolution and pooling)."""

import numpy as np

from nnedu import functional as F
from nnedu.convolution import conv2d_loop, max_pool2d_loop
from nnedu.grading import Partial, expect_close, expect_equal, expect_shape, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")


@points(2, question="q1", hint="(n + 2 * padding - kernel_size) // stride + 1, with integer division.")
def test_conv_output_size(student):
    part = Partial()
    for n, k, s, p in [(28, 5, 1, 0), (28, 3, 1, 1), (7, 3, 2, 0), (32, 5, 3, 2)]:
        with part(1):
            expect_equal(student.conv_output_size(n, k, s, p), F.conv2d_output_size(n, k, s, p),
                         what=f"n={n}, k={k}, s={s}, p={p}")
    return part


@points(2, question="q2", hint="out[n, o, i, j] = sum(window * weight[o]) + bias[o].")
def test_conv2d_basic(student):
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(1, 1, 5, 5)), rng.normal(size=(1, 1, 3, 3)), np.array([0.5])
    expect_close(student.conv2d(x, w, b), conv2d_loop(x, w, b))


@points(1, question="q2", hint="Pad first with np.pad, then windows start at i * stride.")
def test_conv2d_stride_and_padding(student):
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(1, 2, 6, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    expect_close(student.conv2d(x, w, b, 2, 1), conv2d_loop(x, w, b, stride=2, padding=1))


@points(1, question="q2", hint="Each filter sums over all input channels; loop over the images of the batch.")
def test_conv2d_batch_and_channels(student):
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(3, 3, 4, 4)), rng.normal(size=(2, 3, 2, 2)), rng.normal(size=2)
    expect_close(student.conv2d(x, w, b), conv2d_loop(x, w, b))


@points(2, question="q3", hint="Each output pixel is window.max(axis=(2, 3)) of its window.")
def test_max_pool(student):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 6, 6))
    part = Partial()
    with part(1):
        expect_close(student.max_pool2d(x, 2), max_pool2d_loop(x, 2), what="kernel 2")
    with part(1):
        expect_close(student.max_pool2d(x, 3, 2), max_pool2d_loop(x, 3, 2), what="kernel 3, stride 2")
    return part


@points(1, question="q3", hint="Windows that do not fit are dropped: a 7x7 image pooled by 2 gives 3x3.")
def test_max_pool_shape(student):
    rng = np.random.default_rng(5)
    expect_shape(student.max_pool2d(rng.normal(size=(1, 1, 7, 7)), 2), (1, 1, 3, 3))
