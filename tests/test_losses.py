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
        # probability rows that do not sum to 1: the gradient is p * sum(y) - y, not p - y
        (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, logits, rng.uniform(size=(6, 4))),
        (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, rng.normal(size=(6, 3)) * 30,
         rng.integers(0, 2, size=(6, 3)).astype(float)),
        (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss, rng.normal(size=7), rng.uniform(size=7)),
    ]


N_CASES = 10


@pytest.mark.parametrize("case", range(N_CASES))
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


@pytest.mark.parametrize("case", range(N_CASES))
def test_reduction_none_equals_pytorch(case, rng):
    """Per-term losses, and backward with an arbitrary upstream gradient of the terms."""
    ours_cls, theirs_cls, pred, target = cases(rng)[case]
    ours = ours_cls(reduction="none")
    terms = ours(pred, target)
    t_pred = torch.from_numpy(pred).requires_grad_(True)
    t_terms = theirs_cls(reduction="none")(t_pred, torch.from_numpy(target))
    assert isinstance(terms, np.ndarray) and terms.shape == tuple(t_terms.shape)
    assert relative_error(terms, t_terms.detach().numpy()) < TOL
    upstream = rng.normal(size=terms.shape)
    t_terms.backward(torch.from_numpy(upstream))
    assert relative_error(ours.backward(upstream), t_pred.grad.numpy()) < TOL
    with pytest.raises(ValueError, match="one value per loss term"):
        ours.backward(np.ones(terms.size + 1))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("make", [lambda: (nn.MSELoss, torch.nn.MSELoss, np.zeros((0, 3)), np.zeros((0, 3))),
                                  lambda: (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, np.zeros((0, 4)),
                                           np.zeros(0, dtype=np.int64))])
def test_empty_batch_like_pytorch(make, reduction):
    ours_cls, theirs_cls, pred, target = make()
    ours = ours_cls(reduction=reduction)
    value = ours(pred, target)
    theirs = theirs_cls(reduction=reduction)(torch.from_numpy(pred), torch.from_numpy(target))
    np.testing.assert_array_equal(np.asarray(value), theirs.numpy())   # mean of nothing: NaN in both
    assert ours.backward().shape == pred.shape


def test_loss_is_a_module_whose_backward_uses_what_forward_saved(rng):
    """backward reads the cache of the last forward; computing another loss in between (as
    evaluate does with a copy) must not be needed to get the right gradient."""
    loss = nn.CrossEntropyLoss()
    assert isinstance(loss, nn.Module)
    logits, labels = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    loss(logits, labels)
    expected = (F.softmax(logits) - F.one_hot(labels, 3)) / 4
    np.testing.assert_allclose(loss.backward(), expected, rtol=1e-12)
    np.testing.assert_allclose(loss.backward(2.0), 2 * expected, rtol=1e-12)


@pytest.mark.parametrize("case", range(N_CASES))
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
    with pytest.raises(ValueError, match="'mean', 'sum' or 'none'"):
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
