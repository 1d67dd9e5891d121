"""SGD against torch.optim.SGD: same parameters after several steps, every option."""

from __future__ import annotations

import numpy as np
import pytest

from nnedu import nn, optim

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_trajectory_equals_pytorch(momentum, weight_decay, rng):
    w0 = rng.normal(size=(3, 4))
    ours = nn.Parameter(w0.copy())
    theirs = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt = optim.SGD([ours], lr=0.1, momentum=momentum, weight_decay=weight_decay)
    t_opt = torch.optim.SGD([theirs], lr=0.1, momentum=momentum, weight_decay=weight_decay)
    for _ in range(5):
        g = rng.normal(size=(3, 4))
        opt.zero_grad()
        t_opt.zero_grad()
        ours.grad += g
        theirs.grad = torch.from_numpy(g.copy())
        opt.step()
        t_opt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)


def test_plain_step_is_w_minus_lr_grad():
    p = nn.Parameter(np.array([1.0, -2.0]))
    p.grad = np.array([0.5, -1.0])
    optim.SGD([p], lr=0.2).step()
    np.testing.assert_allclose(p.data, [1.0 - 0.1, -2.0 + 0.2])


def test_zero_grad_clears_model_gradients():
    model = nn.Linear(2, 2)
    model(np.ones((1, 2)))
    model.backward(np.ones((1, 2)))
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_bad_arguments():
    p = [nn.Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="positive learning rate"):
        optim.SGD(p, lr=0)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(p, lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="Parameters"):
        optim.SGD([np.zeros(2)], lr=0.1)
