"""nnedu.to_torch: the same network in torch.nn, with the same outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import nnedu
from nnedu import nn


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 5), nn.LeakyReLU(0.1),
                         nn.Dropout(0.3), nn.Linear(5, 3), nn.Sigmoid())


def test_outputs_and_gradients_match_autograd(rng):
    nnedu.manual_seed(1)
    model = mlp().eval()
    twin = nnedu.to_torch(model)
    assert isinstance(twin, torch.nn.Sequential) and not twin.training
    assert [type(m).__name__ for m in twin] == ["Linear", "Tanh", "Linear", "LeakyReLU", "Dropout",
                                                 "Linear", "Sigmoid"]
    x = rng.normal(size=(4, 6))
    out = model(x)
    t_out = twin(torch.from_numpy(x))
    assert t_out.dtype == torch.float64
    assert nnedu.relative_error(out, t_out.detach().numpy()) < 1e-12
    upstream = rng.normal(size=out.shape)
    model.zero_grad()
    model.backward(upstream)
    t_out.backward(torch.from_numpy(upstream))
    torch_grads = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        torch_name = name.replace("layers.", "")
        assert nnedu.relative_error(p.grad, torch_grads[torch_name].grad.numpy()) < 1e-10, name


def test_the_copy_is_independent_and_keeps_settings():
    nnedu.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1), nn.Dropout(0.25))
    twin = nnedu.to_torch(model)
    assert twin[1].dim == 1 and twin[2].p == 0.25 and twin.training
    with torch.no_grad():
        twin[0].weight.zero_()
    assert np.abs(model.layers[0].weight.data).sum() > 0
    assert nnedu.to_torch(model.float())[0].weight.dtype == torch.float32


def test_unknown_layers_are_named_in_the_error():
    with pytest.raises(TypeError, match="Step.*no torch.nn twin"):
        nnedu.to_torch(nn.Sequential(nn.Linear(2, 2), nn.Step()))
