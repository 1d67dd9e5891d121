"""Convolution and pooling, loop and fast versions, against PyTorch's functional ops and autograd."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nnedu
from nnedu import convolution as conv
from nnedu import nn
from nnedu.functional import conv2d_output_size

TOL = 1e-7


def torch_conv(x, w, b, stride, padding, grad_output):
    """Output and (dx, dw, db) from torch autograd, float64."""
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    out = TF.conv2d(xt, wt, bt, stride=stride, padding=padding)
    out.backward(torch.tensor(grad_output))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def fast(x, w, b, stride, padding, grad_output):
    s, p = (stride, stride), (padding, padding)
    out, cols = conv.conv2d_forward(x, w, b, s, p)
    dx, dw, db = conv.conv2d_backward(grad_output, x.shape, cols, w, s, p)
    return out, dx, dw, db


def loop(x, w, b, stride, padding, grad_output):
    out = conv.conv2d_loop(x, w, b, stride, padding)
    return (out, *conv.conv2d_loop_backward(grad_output, x, w, stride, padding))


FAST_GRID = [
    (k, s, p, cin, cout, n, (h, w))
    for k, s, p in itertools.product([1, 3, 5], [1, 2], [0, 1, 2])
    for cin, cout, n, (h, w) in [(1, 1, 1, (7, 9)), (3, 4, 3, (11, 6)), (2, 5, 2, (8, 8))]
    if k <= min(h, w) + 2 * p
]
LOOP_GRID = [(k, s, p, 2, 3, 2, (7, 6)) for k, s, p in itertools.product([1, 3, 5], [1, 2], [0, 1, 2])]


# The loop version is slow by design: it gets a smaller grid.
GRIDS = [(fast, "im2col", case) for case in FAST_GRID] + [(loop, "loop", case) for case in LOOP_GRID]


@pytest.mark.parametrize("implementation, k, s, p, cin, cout, n, hw",
                         [(impl, *case) for impl, _, case in GRIDS],
                         ids=[f"{name}-{i}" for i, (_, name, _) in enumerate(GRIDS)])
def test_conv2d_forward_and_backward_equal_torch(implementation, k, s, p, cin, cout, n, hw, rng):
    x = rng.normal(size=(n, cin, *hw))
    w = rng.normal(size=(cout, cin, k, k))
    b = rng.normal(size=cout)
    ho, wo = TF.conv2d(torch.tensor(x), torch.tensor(w), stride=s, padding=p).shape[2:]
    g = rng.normal(size=(n, cout, ho, wo))
    expected = torch_conv(x, w, b, s, p, g)
    got = implementation(x, w, b, s, p, g)
    for name, a, e in zip(["output", "dx", "dweight", "dbias"], got, expected):
        assert a.shape == e.shape, name
        assert nnedu.relative_error(a, e) < TOL, name


def test_conv2d_layer_equals_torch_conv2d_with_copied_weights(rng):
    nnedu.manual_seed(0)
    layer = nn.Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2))
    twin = torch.nn.Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2)).double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(layer.weight.data))
        twin.bias.copy_(torch.tensor(layer.bias.data))
    x = rng.normal(size=(2, 3, 9, 10))
    xt = torch.tensor(x, requires_grad=True)
    out, out_t = layer(x), twin(xt)
    g = rng.normal(size=out.shape)
    out_t.backward(torch.tensor(g))
    dx = layer.backward(g)
    assert nnedu.relative_error(out, out_t.detach().numpy()) < TOL
    assert nnedu.relative_error(dx, xt.grad.numpy()) < TOL
    assert nnedu.relative_error(layer.weight.grad, twin.weight.grad.numpy()) < TOL
    assert nnedu.relative_error(layer.bias.grad, twin.bias.grad.numpy()) < TOL
    layer.backward(g)  # gradients accumulate until zero_grad, as in torch
    assert nnedu.relative_error(layer.weight.grad, 2 * twin.weight.grad.numpy()) < TOL


def test_conv2d_default_initialisation_bounds_like_torch():
    nnedu.manual_seed(0)
    layer = nn.Conv2d(4, 6, 3)
    bound = 1 / np.sqrt(4 * 9)
    assert layer.weight.shape == (6, 4, 3, 3) and layer.bias.shape == (6,)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound


def test_conv2d_gradients_agree_with_finite_differences(rng):
    layer = nn.Conv2d(2, 3, 3, stride=2, padding=1, rng=np.random.default_rng(0))
    x = rng.normal(size=(2, 2, 5, 6))
    g = rng.normal(size=layer(x).shape)
    dx = layer.backward(g)
    loss = lambda _: float(np.sum(layer(x) * g))  # noqa: E731
    assert nnedu.relative_error(dx, nnedu.numerical_gradient(loss, x)) < 1e-7
    assert nnedu.relative_error(layer.weight.grad, nnedu.numerical_gradient(loss, layer.weight.data)) < 1e-7


POOL_GRID = [(2, None, (8, 8)), (2, None, (7, 9)), (3, 2, (9, 7)), (3, 1, (6, 6)), ((2, 3), (1, 2), (7, 8))]


@pytest.mark.parametrize("kernel, stride, hw", POOL_GRID)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_layers_equal_torch(kernel, stride, hw, kind, rng):
    x = rng.normal(size=(3, 2, *hw))
    layer = (nn.MaxPool2d if kind == "max" else nn.AvgPool2d)(kernel, stride)
    op = TF.max_pool2d if kind == "max" else TF.avg_pool2d
    xt = torch.tensor(x, requires_grad=True)
    out_t = op(xt, kernel, stride)
    g = rng.normal(size=tuple(out_t.shape))
    out_t.backward(torch.tensor(g))
    out = layer(x)
    assert out.shape == tuple(out_t.shape)
    assert nnedu.relative_error(out, out_t.detach().numpy()) < TOL
    assert nnedu.relative_error(layer.backward(g), xt.grad.numpy()) < TOL


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 2), (3, 1)])
def test_max_pooling_ties_route_the_gradient_like_torch(kernel, stride, rng):
    x = rng.integers(0, 3, size=(2, 3, 8, 7)).astype(np.float64)  # many equal values per window
    x[0, 0] = 1.0                                                  # one map where every value ties
    layer = nn.MaxPool2d(kernel, stride)
    xt = torch.tensor(x, requires_grad=True)
    out_t = TF.max_pool2d(xt, kernel, stride)
    g = rng.normal(size=tuple(out_t.shape))
    out_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(layer(x), out_t.detach().numpy())
    assert nnedu.relative_error(layer.backward(g), xt.grad.numpy()) < TOL


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), (3, 1), ((2, 3), (1, 2))])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_loop_versions_equal_torch(kernel, stride, kind, rng):
    x = rng.integers(0, 3, size=(2, 3, 9, 8)).astype(np.float64)  # ties, to check where max sends gradients
    op = TF.max_pool2d if kind == "max" else TF.avg_pool2d
    xt = torch.tensor(x, requires_grad=True)
    out_t = op(xt, kernel, stride)
    g = rng.normal(size=tuple(out_t.shape))
    out_t.backward(torch.tensor(g))
    if kind == "max":
        out, dx = conv.max_pool2d_loop(x, kernel, stride), conv.max_pool2d_loop_backward(g, x, kernel, stride)
    else:
        out, dx = conv.avg_pool2d_loop(x, kernel, stride), conv.avg_pool2d_loop_backward(g, x.shape, kernel, stride)
    assert nnedu.relative_error(out, out_t.detach().numpy()) < TOL
    assert nnedu.relative_error(dx, xt.grad.numpy()) < TOL


def test_conv2d_keeps_float32_and_matches_float64(rng):
    x, w, b = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    out, cols = conv.conv2d_forward(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), (1, 1), (1, 1))
    g = np.ones(out.shape, dtype=np.float32)
    grads = conv.conv2d_backward(g, x.shape, cols, w.astype(np.float32), (1, 1), (1, 1))
    assert out.dtype == np.float32 and all(a.dtype == np.float32 for a in grads)
    assert nnedu.relative_error(out, conv.conv2d_loop(x, w, b, 1, 1)) < 1e-5
    expected = conv.conv2d_loop_backward(g.astype(np.float64), x, w, 1, 1)
    for got, want in zip(grads, expected):
        assert nnedu.relative_error(got, want) < 1e-5


@pytest.mark.parametrize("n, k, s, p", [(8, 3, 1, 0), (8, 3, 1, 1), (28, 5, 2, 2), (7, 3, 2, 0), (10, 4, 3, 1), (5, 5, 1, 0)])
def test_output_size_formula_matches_torch(n, k, s, p):
    shape = TF.conv2d(torch.zeros(1, 1, n, n + 1), torch.zeros(1, 1, k, k), stride=s, padding=p).shape
    assert conv2d_output_size(n, k, s, p) == shape[2]
    assert conv2d_output_size((n, n + 1), k, s, p) == tuple(shape[2:])


def test_output_size_rejects_impossible_sizes():
    with pytest.raises(ValueError, match="kernel of size 5 does not fit in an input of size 3 padded by 0"):
        conv2d_output_size(3, 5)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        conv2d_output_size(8, 3, stride=0)


def test_layers_keep_float32():
    x = np.ones((2, 1, 6, 6), dtype=np.float32)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2), nn.AvgPool2d(1), nn.Flatten()).float()
    out = model(x)
    assert out.dtype == np.float32 and out.shape == (2, 8)
    assert model.backward(np.ones_like(out)).dtype == np.float32


def test_flatten_and_back():
    layer = nn.Flatten()
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    out = layer(x)
    assert out.shape == (2, 12) and np.array_equal(out[1], np.arange(12.0, 24.0))
    assert np.array_equal(layer.backward(out), x)


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (nn.Conv2d(3, 8, 3), (2, 5, 8, 8), r"Conv2d\(3, 8, .*expected 3 input channels, got input of shape \(2, 5, 8, 8\) with 5"),
        (nn.Conv2d(1, 8, 3), (8, 8), r"expected a batch of images of shape \(N, C, H, W\), got an array of shape \(8, 8\)"),
        (nn.Conv2d(1, 8, 5), (1, 1, 3, 3), r"Conv2d\(1, 8, kernel_size=\(5, 5\).*cannot be applied to input of shape \(1, 1, 3, 3\).*does not fit"),
        (nn.MaxPool2d(4), (1, 1, 3, 8), r"MaxPool2d\(kernel_size=\(4, 4\).*cannot be applied to input of shape \(1, 1, 3, 8\)"),
        (nn.AvgPool2d(2), (4, 4), r"AvgPool2d.*expected a batch of images"),
    ],
)
def test_impossible_shapes_name_the_layer_and_the_shapes(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


def test_backward_before_forward_and_wrong_gradient_shape():
    layer = nn.Conv2d(1, 2, 3)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 2, 4, 4)))
    layer(np.zeros((1, 1, 6, 6)))
    with pytest.raises(ValueError, match=r"grad_output of shape \(1, 2, 4, 4\)"):
        layer.backward(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="in_channels to be a positive integer"):
        nn.Conv2d(0, 2, 3)
    with pytest.raises(ValueError, match="stride >= 1"):
        nn.Conv2d(1, 2, 3, stride=0)


def layer_against_twin(layer, twin, x, rng):
    """Forward and backward of an nnedu layer and its torch twin (same weights); returns errors."""
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    xt = torch.tensor(x, requires_grad=True)
    out, out_t = layer(x), twin(xt)
    assert out.shape == tuple(out_t.shape)
    g = rng.normal(size=out.shape)
    out_t.backward(torch.tensor(g))
    dx = layer.backward(g)
    assert dx.shape == x.shape
    errors = [nnedu.relative_error(out, out_t.detach().numpy()), nnedu.relative_error(dx, xt.grad.numpy())]
    for name, p in layer.named_parameters():
        errors.append(nnedu.relative_error(p.grad, dict(twin.named_parameters())[name].grad.numpy()))
    return errors


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's own note
@pytest.mark.parametrize("kernel", [1, 2, 3, 4, (3, 2), (2, 5)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_same_and_valid_padding_equal_torch(kernel, padding, rng):
    """'same' keeps the size; for an even kernel the extra zero goes bottom/right, as in torch."""
    layer = nn.Conv2d(2, 3, kernel, padding=padding)
    twin = torch.nn.Conv2d(2, 3, kernel, padding=padding).double()
    x = rng.normal(size=(2, 2, 7, 6))
    assert max(layer_against_twin(layer, twin, x, rng)) < TOL
    if padding == "same":
        assert layer(x).shape[2:] == x.shape[2:]


def test_conv2d_same_padding_refuses_stride():
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="'valid' or 'same'"):
        nn.Conv2d(1, 1, 3, padding="full")


@pytest.mark.parametrize("make", [
    lambda: (nn.Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(2, 3, 3, padding=1)),
    lambda: (nn.Conv2d(2, 3, 2, stride=2), torch.nn.Conv2d(2, 3, 2, stride=2)),
    lambda: (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
    lambda: (nn.AvgPool2d(3, stride=2), torch.nn.AvgPool2d(3, stride=2))], ids=["conv", "strided", "max", "avg"])
def test_empty_batch_forward_and_backward(make, rng):
    layer, twin = make()
    x = np.zeros((0, 2, 6, 6))
    out = layer(x)
    assert out.shape == tuple(twin.double()(torch.from_numpy(x)).shape)
    assert layer.backward(np.zeros(out.shape)).shape == x.shape
    assert all(not p.grad.any() for p in layer.parameters())


def test_max_pool_sends_the_gradient_to_a_nan_like_torch(rng):
    """torch treats NaN as the maximum (the last NaN of a window); nnedu must not drop its gradient."""
    x = rng.normal(size=(2, 2, 6, 6))
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = np.nan       # two NaNs in one window
    x[1, 1, 2, 3] = np.nan                        # one NaN, in two overlapping windows
    for kernel, stride in [(2, 2), (3, 1)]:
        xt = torch.tensor(x, requires_grad=True)
        out_t = torch.nn.functional.max_pool2d(xt, kernel, stride)
        g = rng.normal(size=out_t.shape)
        out_t.backward(torch.tensor(g))
        layer = nn.MaxPool2d(kernel, stride)
        np.testing.assert_array_equal(np.isnan(layer(x)), np.isnan(out_t.detach().numpy()))
        np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), rtol=1e-12)
        loop = conv.max_pool2d_loop_backward(g, x, kernel, stride)
        np.testing.assert_allclose(loop, xt.grad.numpy(), rtol=1e-12)
