"""Losses: value and dL/dpred against PyTorch's losses and autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from nnedu import functional as F
from nnedu import nn
from nnedu.gradcheck import numerical_gradient, relative_error

torch = pytest.importorskip("torch")
TOL = 1e-7


def torch_value_and_grad(t_loss, pred, target):
    t_pred = torch.from_numpy(pred).requires_grad_(True)
    value = t_loss(t_pred, torch.from_numpy(target))
    value.backward()
    return value.item(), t_pred.grad.numpy()


def cases(rng):
    logits = rng.normal(size=(6, 4)) * 3
    labels = rng.integers(0, 4, size=6)
    probs = rng.uniform(0.02, 0.98, size=(6, 3))
    return [
        (nn.MSELoss, torch.nn.MSELoss, rng.normal(size=(6, 3)), rng.normal(size=(6, 3))),
        (nn.MSELoss, torch.nn.MSELoss, rng.normal(size=5), rng.normal(size=5)),
        (nn.BCELoss, torch.nn.BCELoss, probs, rng.integers(0, 2, size=(6, 3)).astype(float)),
        (nn.BCELoss, torch.nn.BCELoss, probs, rng.uniform(size=(6, 3))),  # soft targets
        (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, logits, labels),
        (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, logits, F.one_hot(labels, 4)),
        (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, logits, F.softmax(rng.normal(size=(6, 4)))),
    ]


@pytest.mark.parametrize("case", range(7))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_value_and_gradient_equal_pytorch(case, reduction, rng):
    ours_cls, theirs_cls, pred, target = cases(rng)[case]
    ours = ours_cls(reduction=reduction)
    value = ours(pred, target)
    grad = ours.backward()
    t_value, t_grad = torch_value_and_grad(theirs_cls(reduction=reduction), pred, target)
    assert isinstance(value, float)
    assert value == pytest.approx(t_value, rel=TOL)
    assert relative_error(grad, t_grad) < TOL


@pytest.mark.parametrize("case", range(7))
def test_gradient_equals_finite_differences(case, rng):
    ours_cls, _, pred, target = cases(rng)[case]
    loss = ours_cls()
    loss(pred, target)
    analytic = loss.backward().copy()
    numeric = numerical_gradient(lambda p: loss(p, target), pred)
    assert relative_error(analytic, numeric) < 1e-7


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, -1000.0, 0.0]])
    loss = nn.CrossEntropyLoss()
    assert loss(logits, np.array([0])) == pytest.approx(0.0, abs=1e-12)
    assert loss(logits, np.array([1])) == pytest.approx(2000.0)
    assert np.all(np.isfinite(loss.backward()))


def test_bce_clamps_log_like_pytorch():
    pred = np.array([0.0, 1.0])
    target = np.array([1.0, 0.0])
    ours = nn.BCELoss()(pred, target)
    theirs = torch.nn.BCELoss()(torch.from_numpy(pred), torch.from_numpy(target)).item()
    assert ours == pytest.approx(theirs) == pytest.approx(100.0)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="'mean' or 'sum'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 3\)"):
        nn.MSELoss()(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"labels of shape \(2,\) or one-hot"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="labels in 0..2"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="integer class labels"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="probabilities in"):
        nn.BCELoss()(np.array([1.5]), np.array([1.0]))
    with pytest.raises(RuntimeError, match="before the loss was computed"):
        nn.MSELoss().backward()
