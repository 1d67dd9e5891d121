"""Module naming, buffers and state dicts with torch's keys; to_torch through the state dict."""

from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu import nn

torch = pytest.importorskip("torch")


class TwoLists(nn.Module):
    """Two list attributes: the first edition named both lists' parameters "0.weight"."""

    def __init__(self) -> None:
        self.blocks = [nn.Linear(3, 3), nn.Linear(3, 3)]
        self.heads = [nn.Linear(3, 2)]
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.norm(self.heads[0](x))


class TorchTwoLists(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(3, 3), torch.nn.Linear(3, 3)])
        self.heads = torch.nn.ModuleList([torch.nn.Linear(3, 2)])
        self.norm = torch.nn.BatchNorm1d(2)


def test_names_are_unique_and_torchs():
    ours = TwoLists()
    names = [name for name, _ in ours.named_parameters()]
    assert len(names) == len(set(names))
    assert list(ours.state_dict()) == list(TorchTwoLists().state_dict())


def test_sequential_children_are_numbered_like_torch():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 4))
    twin = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                               torch.nn.Flatten(), torch.nn.Linear(8, 4))
    assert [n for n, _ in model.named_parameters()] == [n for n, _ in twin.named_parameters()]
    assert [n for n, _ in model.named_buffers()] == [n for n, _ in twin.named_buffers()]
    assert list(model.state_dict()) == list(twin.state_dict())
    assert "(1): BatchNorm2d(2" in repr(model)


def test_a_shared_layer_is_listed_once():
    shared = nn.Linear(2, 2)
    assert len(nn.Sequential(shared, nn.ReLU(), shared).parameters()) == 2


def test_state_dict_round_trip_and_copies(rng):
    nnedu.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    a(rng.normal(size=(5, 4)))                       # moves the running statistics
    state = a.state_dict()
    state["0.weight"][:] = 0                         # a copy: the model is untouched
    assert a[0].weight.data.any()
    nnedu.manual_seed(1)
    b = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    b.load_state_dict(a.state_dict())
    x = rng.normal(size=(5, 4))
    np.testing.assert_array_equal(a.eval()(x), b.eval()(x))
    assert int(b[1].num_batches_tracked) == 1


def test_load_state_dict_checks_everything_before_copying():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    before = model.state_dict()
    bad = dict(before, **{"1.weight": np.zeros((5, 5))})
    with pytest.raises(ValueError, match=r"1.weight: expected shape \(2, 3\), got \(5, 5\)"):
        model.load_state_dict({**bad, "0.weight": np.ones((3, 4))})
    np.testing.assert_array_equal(model[0].weight.data, before["0.weight"])  # nothing was copied
    with pytest.raises(ValueError, match=r"missing keys \['1.bias'\], unexpected keys \['2.weight'\]"):
        model.load_state_dict({k: v for k, v in before.items() if k != "1.bias"} | {"2.weight": np.ones(1)})
    result = model.load_state_dict({"0.bias": np.ones(3)}, strict=False)
    assert result.missing_keys == ["0.weight", "1.weight", "1.bias"] and (model[0].bias.data == 1).all()


def test_loads_a_torch_state_dict():
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)).double()
    twin(torch.randn(6, 4, dtype=torch.float64))
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model.load_state_dict(twin.state_dict())
    np.testing.assert_array_equal(model[1].running_var, twin[1].running_var.numpy())


def test_to_torch_carries_running_statistics_and_eval_mode(rng):
    nnedu.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding="same"), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 5), nn.BatchNorm1d(5))
    for _ in range(3):
        model(rng.normal(size=(4, 1, 4, 4)))
    model.eval()
    twin = nnedu.to_torch(model)
    assert not twin.training
    x = rng.normal(size=(2, 1, 4, 4))
    np.testing.assert_allclose(twin(torch.from_numpy(x)).detach().numpy(), model(x), rtol=1e-12)
    float_twin = nnedu.to_torch(model.float())
    assert float_twin[1].running_mean.dtype == torch.float32


def test_float_casts_buffers_and_apply_visits_every_module():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    model.float()
    assert model[1].running_var.dtype == np.float32
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Sequential"]
