"""BatchNorm1d/2d against torch.nn.BatchNorm (float64): forward, backward, running statistics."""

from __future__ import annotations

import numpy as np
import pytest

from nnedu import nn
from nnedu.gradcheck import numerical_gradient, relative_error

torch = pytest.importorskip("torch")
TOL = 1e-7

SHAPES = {nn.BatchNorm1d: [(8, 3), (5, 3, 4)], nn.BatchNorm2d: [(4, 3, 5, 6), (2, 3, 1, 2)]}
CASES = [(cls, shape) for cls, shapes in SHAPES.items() for shape in shapes]
OPTIONS = [
    dict(),
    dict(momentum=0.3, eps=1e-3),
    dict(momentum=None),                # cumulative average over all batches
    dict(affine=False),
    dict(track_running_stats=False),
]


def twins(cls, options, rng):
    ours = cls(3, **options)
    theirs = getattr(torch.nn, cls.__name__)(3, **options).double()
    if ours.weight is not None:  # start from a gamma and beta that are not 1 and 0
        ours.weight.data[:] = rng.uniform(0.5, 2.0, 3)
        ours.bias.data[:] = rng.normal(size=3)
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(ours.weight.data))
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    return ours, theirs


def run_both(ours, theirs, x, g):
    y = ours(x)
    dx = ours.backward(g)
    xt = torch.from_numpy(x).requires_grad_(True)
    yt = theirs(xt)
    yt.backward(torch.from_numpy(g))
    return y, dx, yt.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("options", OPTIONS, ids=str)
@pytest.mark.parametrize("cls, shape", CASES, ids=str)
def test_three_training_steps_then_eval_equal_torch(cls, shape, options, rng):
    ours, theirs = twins(cls, options, rng)
    for _ in range(3):  # train mode: batch statistics, running estimates updated
        x, g = rng.normal(2.0, 3.0, size=shape), rng.normal(size=shape)
        y, dx, yt, dxt = run_both(ours, theirs, x, g)
        assert relative_error(y, yt) < TOL
        assert relative_error(dx, dxt) < TOL
    if ours.weight is not None:
        assert relative_error(ours.weight.grad, theirs.weight.grad.numpy()) < TOL
        assert relative_error(ours.bias.grad, theirs.bias.grad.numpy()) < TOL
    if options.get("track_running_stats", True):
        assert relative_error(ours.running_mean, theirs.running_mean.numpy()) < 1e-12
        assert relative_error(ours.running_var, theirs.running_var.numpy()) < 1e-12   # unbiased
        assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 3
    ours.eval()
    theirs.eval()
    x, g = rng.normal(2.0, 3.0, size=shape), rng.normal(size=shape)
    y, dx, yt, dxt = run_both(ours, theirs, x, g)  # eval: running statistics, constants
    assert relative_error(y, yt) < TOL
    assert relative_error(dx, dxt) < TOL


@pytest.mark.parametrize("training", [True, False])
def test_backward_equals_finite_differences(training, rng):
    layer = nn.BatchNorm2d(3)
    layer.weight.data[:] = [0.5, 2.0, -1.0]
    layer.running_mean[:] = [0.1, -0.2, 0.3]
    layer.train(training)
    x, g = rng.normal(size=(3, 3, 2, 2)), rng.normal(size=(3, 3, 2, 2))
    saved = layer.state_dict()

    def loss(x_):
        layer.load_state_dict(saved)  # a forward in train mode moves the running estimates
        return float(np.sum(layer(x_) * g))

    numeric = numerical_gradient(loss, x.copy())
    layer.load_state_dict(saved)
    layer(x)
    assert relative_error(layer.backward(g), numeric) < 1e-7


def test_train_mode_output_is_normalised_and_eval_mode_is_not_batch_dependent(rng):
    layer = nn.BatchNorm1d(4)
    y = layer(rng.normal(5.0, 3.0, size=(64, 4)))
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1, rtol=1e-4)   # eps = 1e-5 makes it a hair under 1
    layer.eval()
    batch = rng.normal(size=(6, 4))
    np.testing.assert_array_equal(layer(batch)[:1], layer(batch[:1]))


def test_empty_batch_like_torch():
    ours, theirs = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3).double()
    x = np.zeros((0, 3))
    assert ours(x).shape == (0, 3)
    theirs(torch.from_numpy(x))
    assert ours.backward(np.zeros((0, 3))).shape == (0, 3)
    np.testing.assert_array_equal(ours.running_mean, theirs.running_mean.numpy())
    np.testing.assert_array_equal(ours.running_var, theirs.running_var.numpy())
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked)
    assert not ours.weight.grad.any()


def test_clear_errors():
    with pytest.raises(ValueError, match=r"more than 1 value per channel"):
        nn.BatchNorm1d(3)(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) with C = 3, got shape \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(np.ones((2, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, L\)"):
        nn.BatchNorm1d(3)(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(RuntimeError, match="before forward"):
        nn.BatchNorm1d(2).backward(np.ones((2, 2)))


def test_running_statistics_are_buffers_that_travel(rng):
    layer = nn.BatchNorm2d(2)
    layer(rng.normal(size=(4, 2, 3, 3)))
    assert [name for name, _ in layer.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert list(layer.state_dict()) == list(torch.nn.BatchNorm2d(2).state_dict())
    layer.float()
    assert layer.running_mean.dtype == np.float32 and layer.num_batches_tracked.dtype == np.int64
    assert [p.data.dtype for p in layer.parameters()] == [np.float32, np.float32]
    assert list(nn.BatchNorm1d(2, track_running_stats=False).state_dict()) == ["weight", "bias"]
