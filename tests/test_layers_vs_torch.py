"""Every layer's forward and backward against PyTorch autograd (float64), and against
finite differences with nnedu.numerical_gradient."""

from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu import nn
from nnedu.gradcheck import numerical_gradient, relative_error

torch = pytest.importorskip("torch")
TOL = 1e-7


def torch_layer(layer: nn.Module):
    """The torch.nn equivalent of an nnedu layer, with the same weights."""
    if isinstance(layer, nn.Linear):
        t = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None).double()
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(layer.weight.data))
            if layer.bias is not None:
                t.bias.copy_(torch.from_numpy(layer.bias.data))
        return t
    simple = {nn.ReLU: torch.nn.ReLU, nn.Sigmoid: torch.nn.Sigmoid, nn.Tanh: torch.nn.Tanh,
              nn.Identity: torch.nn.Identity}
    if type(layer) in simple:
        return simple[type(layer)]()
    if isinstance(layer, nn.LeakyReLU):
        return torch.nn.LeakyReLU(layer.negative_slope)
    if isinstance(layer, nn.Softmax):
        return torch.nn.Softmax(dim=layer.dim)
    if isinstance(layer, nn.Sequential):
        return torch.nn.Sequential(*[torch_layer(l) for l in layer])
    raise TypeError(layer)


#: every layer of a fully connected network, built for ``n`` input features: a new layer
#: is one line here (convolution and batch norm have their own files)
LAYERS = {
    "Linear": lambda n: nn.Linear(n, 3),
    "Linear-no-bias": lambda n: nn.Linear(n, 2, bias=False),
    "ReLU": lambda n: nn.ReLU(),
    "Sigmoid": lambda n: nn.Sigmoid(),
    "Tanh": lambda n: nn.Tanh(),
    "LeakyReLU": lambda n: nn.LeakyReLU(),
    "LeakyReLU-0.2": lambda n: nn.LeakyReLU(0.2),
    "Identity": lambda n: nn.Identity(),
    "Softmax": lambda n: nn.Softmax(),
    "Softmax-dim0": lambda n: nn.Softmax(dim=0),
    "Sequential": lambda n: nn.Sequential(nn.Linear(n, 6), nn.Tanh(), nn.Linear(6, 4), nn.Softmax()),
}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("batch", [1, 7])
def test_forward_and_backward_equal_autograd(name, batch, rng):
    nnedu.manual_seed(0)
    layer = LAYERS[name](5)
    x = rng.normal(size=(batch, 5)) * 2
    out = layer(x)
    grad_out = rng.normal(size=out.shape)
    grad_in = layer.backward(grad_out)

    t_layer = torch_layer(layer)
    t_x = torch.from_numpy(x).requires_grad_(True)
    t_out = t_layer(t_x)
    t_out.backward(torch.from_numpy(grad_out))

    assert relative_error(out, t_out.detach().numpy()) < TOL
    assert relative_error(grad_in, t_x.grad.numpy()) < TOL
    t_params = dict(t_layer.named_parameters())
    assert set(t_params) == {name for name, _ in layer.named_parameters()}
    for name, p in layer.named_parameters():
        assert p.grad.shape == p.data.shape
        assert relative_error(p.grad, t_params[name].grad.numpy()) < TOL, name


@pytest.mark.parametrize("name", LAYERS)
def test_backward_equals_finite_differences(name, rng):
    nnedu.manual_seed(0)
    layer = LAYERS[name](4)
    x = rng.normal(size=(3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # away from ReLU's kink
    grad_out = rng.normal(size=layer(x).shape)

    def loss(_):  # a scalar whose gradient with respect to the output is grad_out
        return float(np.sum(layer(x) * grad_out))

    layer.zero_grad()
    layer(x)
    grad_in = layer.backward(grad_out)
    assert relative_error(grad_in, numerical_gradient(loss, x)) < 1e-7
    for name, p in layer.named_parameters():
        assert relative_error(p.grad, numerical_gradient(loss, p.data)) < 1e-7, name


def test_parameter_gradients_accumulate_until_zero_grad(rng):
    layer = nn.Linear(3, 2)
    x = rng.normal(size=(4, 3))
    g = rng.normal(size=(4, 2))
    layer(x)
    layer.backward(g)
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once)
    layer.zero_grad()
    assert not layer.weight.grad.any() and not layer.bias.grad.any()


def test_linear_init_matches_pytorch_bounds_and_shapes():
    nnedu.manual_seed(0)
    layer = nn.Linear(400, 30)
    assert layer.weight.shape == (30, 400) and layer.bias.shape == (30,)
    bound = 1 / np.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound  # uses the whole range
    nnedu.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 30).weight.data, layer.weight.data)


def test_linear_accepts_a_single_sample_and_extra_leading_dims(rng):
    layer = nn.Linear(3, 2)
    x = rng.normal(size=3)
    np.testing.assert_allclose(layer(x), layer.weight.data @ x + layer.bias.data)
    x3 = rng.normal(size=(2, 4, 3))
    out = layer(x3)
    assert out.shape == (2, 4, 2)
    assert layer.backward(np.ones_like(out)).shape == x3.shape


def test_float32_stays_float32(rng):
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).float()
    x = rng.normal(size=(5, 4)).astype(np.float32)
    out = model(x)
    assert out.dtype == np.float32
    assert model.backward(np.ones_like(out)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_sequential_parameters_names_and_modes():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.5), nn.Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert len(model.parameters()) == 4
    model.eval()
    assert not model[2].training
    model.train()
    assert model[2].training
    assert "Linear(in_features=2, out_features=3" in repr(model)
