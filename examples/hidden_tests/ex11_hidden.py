"""Example hidden tests of exercise 11: the implement questions again, on shapes, strides and paddings drawn per
student from ``rng`` (answers fitted to the public tests' inputs fail here)."""

from nnedu.convolution import conv2d_loop, conv2d_loop_backward, max_pool2d_loop, max_pool2d_loop_backward
from nnedu.grading import expect_close, expect_length, points

MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")


def random_conv_case(rng):
    n, c, o = (int(v) for v in rng.integers(1, 4, size=3))
    kh, kw = (int(v) for v in rng.integers(1, 4, size=2))
    stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    h, w = (int(v) for v in rng.integers(max(kh, kw) + 1, 10, size=2))
    x, weight, bias = rng.normal(size=(n, c, h, w)), rng.normal(size=(o, c, kh, kw)), rng.normal(size=o)
    return x, weight, bias, stride, padding


@points(1, question="q2", hint="Check the output size for every stride and padding, and rectangular filters.")
def test_hidden_conv_forward_random_shapes(student, rng):
    for _ in range(3):
        x, weight, bias, stride, padding = random_conv_case(rng)
        expect_close(student.conv2d_forward(x, weight, bias, stride, padding),
                     conv2d_loop(x, weight, bias, stride, padding),
                     what=f"conv2d_forward(x, weight, bias, stride={stride}, padding={padding})",
                     given={"x": x, "weight": weight, "bias": bias})


@points(1, question="q4", hint="Check dx, dweight and dbias for every stride and padding.")
def test_hidden_conv_backward_random_shapes(student, rng):
    for _ in range(3):
        x, weight, _, stride, padding = random_conv_case(rng)
        dout = rng.normal(size=conv2d_loop(x, weight, None, stride, padding).shape)
        result = student.conv2d_backward(dout, x, weight, stride, padding)
        expect_length(result, 3, what="conv2d_backward(...)")
        for name, got, expected in zip(("dx", "dweight", "dbias"), result,
                                       conv2d_loop_backward(dout, x, weight, stride, padding)):
            expect_close(got, expected, what=f"{name} (stride {stride}, padding {padding})",
                         given={"x": x, "weight": weight, "dout": dout})


@points(1, question="q5", hint="Overlapping windows, ties and windows that do not fit, for every kernel and stride.")
def test_hidden_max_pool_random_shapes_with_ties(student, rng):
    for _ in range(3):
        k, s = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        x = rng.integers(0, 4, size=(int(rng.integers(1, 3)), int(rng.integers(1, 4)),
                                     int(rng.integers(k, 10)), int(rng.integers(k, 10)))).astype(float)
        out = max_pool2d_loop(x, k, s)
        expect_close(student.max_pool_forward(x, k, s), out, what=f"max_pool_forward(x, {k}, {s})", given={"x": x})
        dout = rng.normal(size=out.shape)
        expect_close(student.max_pool_backward(dout, x, k, s), max_pool2d_loop_backward(dout, x, k, s),
                     what=f"max_pool_backward(dout, x, {k}, {s})", given={"x": x, "dout": dout})
