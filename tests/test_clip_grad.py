"""nnedu.nn.utils.clip_grad_norm_ and clip_grad_value_ against torch.nn.utils: the same total norm, the
same clipped gradients, the same treatment of parameters without a gradient and of NaN; and the errors
nnedu raises where torch would silently do something strange (a negative max_norm flips the gradients)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnedu import nn
from nnedu.nn.module import Parameter
from nnedu.nn.utils import clip_grad_norm_, clip_grad_value_

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (3,), (2, 2, 3), (1,)]


def twins(scale: float, seed: int = 0, dtype=np.float64) -> tuple[list[Parameter], list]:
    """nnedu Parameters and torch tensors with the same data and the same gradients."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for shape in SHAPES:
        p = Parameter(rng.normal(size=shape), dtype)
        p.grad = (scale * rng.normal(size=shape)).astype(dtype)
        t = torch.tensor(p.data.copy(), requires_grad=True)
        t.grad = torch.tensor(p.grad.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, "inf"])
@pytest.mark.parametrize("scale, max_norm", [(10.0, 1.0), (0.01, 1.0), (1.0, 0.0), (5.0, 2.5)])
def test_clip_grad_norm_equals_torch(norm_type, scale, max_norm):
    ours, theirs = twins(scale)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=0)


def test_the_clipped_norm_is_max_norm_and_the_direction_is_kept():
    ours, _ = twins(10.0)
    before = np.concatenate([p.grad.ravel() for p in ours])
    total = clip_grad_norm_(ours, 1.0)
    after = np.concatenate([p.grad.ravel() for p in ours])
    assert total == pytest.approx(np.linalg.norm(before), rel=1e-12)   # the norm before clipping
    assert np.linalg.norm(after) == pytest.approx(1.0 / (1.0 + 1e-6 / total), rel=1e-12)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before), rtol=1e-12)


def test_small_gradients_are_left_alone():
    ours, _ = twins(1e-3)
    before = [p.grad.copy() for p in ours]
    clip_grad_norm_(ours, 1.0)
    for p, g in zip(ours, before):
        np.testing.assert_array_equal(p.grad, g)


def test_gradients_are_changed_in_place():
    ours, _ = twins(10.0)
    arrays = [p.grad for p in ours]
    clip_grad_norm_(ours, 1.0)
    clip_grad_value_(ours, 0.1)
    assert all(p.grad is a for p, a in zip(ours, arrays))


def test_a_single_parameter_a_generator_and_a_model():
    ours, theirs = twins(10.0)
    assert clip_grad_norm_(ours[0], 1.0) == pytest.approx(float(torch.nn.utils.clip_grad_norm_(theirs[0], 1.0)))
    np.testing.assert_allclose(ours[0].grad, theirs[0].grad.numpy(), rtol=1e-12)
    ours, theirs = twins(10.0)
    assert clip_grad_norm_((p for p in ours), 1.0) == pytest.approx(
        float(torch.nn.utils.clip_grad_norm_((t for t in theirs), 1.0)))
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model(np.ones((5, 3)))
    model.backward(np.full((5, 2), 100.0))
    total = clip_grad_norm_(model.parameters(), 0.5)
    assert total > 0.5
    assert math.sqrt(sum(float(np.sum(p.grad**2)) for p in model.parameters())) == pytest.approx(0.5, rel=1e-5)


def test_empty_parameters_give_zero_and_change_nothing():
    assert clip_grad_norm_([], 1.0) == 0.0 == float(torch.nn.utils.clip_grad_norm_([], 1.0))
    clip_grad_value_([], 1.0)
    with pytest.warns(UserWarning, match="empty generator"):
        assert clip_grad_norm_((p for p in []), 1.0) == 0.0


def test_parameters_without_grad_are_skipped_as_in_torch():
    ours, theirs = twins(10.0)
    ours[1].grad = None
    theirs[1].grad = None
    total = clip_grad_norm_(ours, 1.0)
    assert total == pytest.approx(float(torch.nn.utils.clip_grad_norm_(theirs, 1.0)), rel=1e-12)
    assert ours[1].grad is None
    for p, t in zip(ours, theirs):
        if p.grad is not None:
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    all_none = [Parameter(np.ones(3))]
    all_none[0].grad = None
    assert clip_grad_norm_(all_none, 1.0) == 0.0
    clip_grad_value_(all_none, 1.0)
    assert all_none[0].grad is None


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_finite_gradient_spreads_nan_as_in_torch_or_raises_on_request(bad):
    ours, theirs = twins(1.0)
    ours[0].grad[0, 0] = bad
    theirs[0].grad[0, 0] = bad
    total = clip_grad_norm_(ours, 1.0)
    expected = float(torch.nn.utils.clip_grad_norm_(theirs, 1.0))
    assert (math.isnan(total) and math.isnan(expected)) or total == expected
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(p.grad), np.isnan(t.grad.numpy()))
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, equal_nan=True)
    ours, _ = twins(1.0)
    ours[2].grad[0, 0, 0] = bad
    before = [p.grad.copy() for p in ours]
    with pytest.raises(RuntimeError, match="non-finite|cannot be clipped"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    for p, g in zip(ours, before):                      # nothing was changed before the error
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_finite_gradients_whose_norm_overflows_give_inf_and_zeros_as_in_torch(norm_type):
    """Every entry is finite, but the sum of their powers is not: the total is inf, max_norm / inf is 0, and
    the gradients become 0, as in torch; without a numpy warning (pyproject.toml makes nnedu's errors)."""
    ours, theirs = twins(1.0)
    ours[0].grad[0, 0] = theirs[0].grad[0, 0] = 1e308
    ours[1].grad[0] = theirs[1].grad[0] = -1e308
    total = clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    assert total == float(torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type)) == math.inf
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_float32_gradients_stay_float32():
    ours, theirs = twins(10.0, dtype=np.float32)
    clip_grad_norm_(ours, 1.0)
    assert all(p.grad.dtype == np.float32 for p in ours)
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("clip_value", [0.0, 0.05, 1.0, 100.0])
def test_clip_grad_value_equals_torch(clip_value):
    ours, theirs = twins(1.0, seed=3)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())
        assert np.abs(p.grad).max() <= clip_value


@pytest.mark.parametrize("call, match", [
    (lambda ps: clip_grad_norm_(ps, -1.0), "max_norm >= 0, got -1.0"),
    (lambda ps: clip_grad_norm_(ps, math.nan), "max_norm >= 0, got nan"),
    (lambda ps: clip_grad_value_(ps, -0.5), "clip_value >= 0, got -0.5"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=0), "positive number or 'inf', got 0"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type=-2.0), "positive number or 'inf'"),
    (lambda ps: clip_grad_norm_(ps, 1.0, norm_type="two"), "positive number or 'inf', got 'two'"),
])
def test_bad_numbers_raise_value_errors_that_say_what_was_expected(call, match):
    ours, _ = twins(10.0)
    before = [p.grad.copy() for p in ours]
    with pytest.raises(ValueError, match=match):
        call(ours)
    for p, g in zip(ours, before):                      # and lose nothing
        np.testing.assert_array_equal(p.grad, g)


@pytest.mark.parametrize("call, match", [
    (lambda: clip_grad_norm_(np.ones(3), 1.0), "iterable of Parameters .* got ndarray"),
    (lambda: clip_grad_norm_(3.0, 1.0), "got float"),
    (lambda: clip_grad_norm_([np.ones(3)], 1.0), "got ndarray at position 0"),
    (lambda: clip_grad_norm_([Parameter(np.ones(2))], "1"), "max_norm to be a number, got str"),
    (lambda: clip_grad_value_([Parameter(np.ones(2))], None), "clip_value to be a number, got NoneType"),
    (lambda: clip_grad_norm_([Parameter(np.ones(2))], True), "max_norm to be a number, got bool"),
])
def test_wrong_types_raise_type_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_exported_as_nn_utils_like_torch():
    import nnedu

    assert nnedu.nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert nnedu.nn.utils.clip_grad_value_ is clip_grad_value_
