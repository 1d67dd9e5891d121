"""nnedu.nn.init against torch.nn.init: gains, fans, bounds and variances; default inits."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnedu
from nnedu import nn
from nnedu.nn import init

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("shape", [(5, 3), (8, 3, 3, 3), (4, 2, 5), (1, 7, 2, 3)])
def test_fans_equal_torch(shape):
    assert init.fan_in_and_fan_out(np.zeros(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def torch_std(name, shape, **kw):
    """The standard deviation torch's initialiser gives, measured on a large sample."""
    t = torch.empty(shape, dtype=torch.float64)
    getattr(torch.nn.init, name)(t, **kw)
    return float(t.std()), float(t.abs().max())


@pytest.mark.parametrize("name, kw", [
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 5 / 3}), ("xavier_normal_", {}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"nonlinearity": "relu", "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "relu"}), ("kaiming_normal_", {"mode": "fan_out", "a": 0.1})])
def test_scaled_initialisers_have_torchs_distribution(name, kw):
    shape = (400, 100, 3, 3)  # 360,000 draws: the standard deviation to about 0.2 %
    ours = getattr(init, name)(np.empty(shape), rng=np.random.default_rng(0), **kw)
    std, largest = torch_std(name, shape, **kw)
    assert ours.std() == pytest.approx(std, rel=0.01)
    if "uniform" in name:  # the same interval: largest draws agree closely
        assert np.abs(ours).max() == pytest.approx(largest, rel=1e-3)
    fan_in, fan_out = init.fan_in_and_fan_out(ours)
    fan = fan_out if kw.get("mode") == "fan_out" else fan_in
    if name.startswith("kaiming"):  # and the formula: std = gain / sqrt(fan)
        gain = init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
        assert ours.std() == pytest.approx(gain / math.sqrt(fan), rel=0.01)


def test_simple_fills_and_parameters():
    p = nn.Parameter(np.empty((3, 4)))
    assert init.zeros_(p) is p and not p.data.any()
    assert (init.ones_(p).data == 1).all()
    assert (init.constant_(p, 0.5).data == 0.5).all()
    a = init.uniform_(np.empty(10_000), -2.0, 3.0, rng=np.random.default_rng(1))
    assert a.min() >= -2.0 and a.max() < 3.0 and a.mean() == pytest.approx(0.5, abs=0.05)
    b = init.normal_(np.empty(10_000), 1.0, 2.0, rng=np.random.default_rng(1))
    assert b.mean() == pytest.approx(1.0, abs=0.05) and b.std() == pytest.approx(2.0, rel=0.03)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(np.empty(5))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(TypeError, match="Parameter or a numpy array"):
        init.zeros_([1.0, 2.0])


@pytest.mark.parametrize("make_pair", [
    lambda: (nn.Linear(30, 20), torch.nn.Linear(30, 20)),
    lambda: (nn.Conv2d(6, 40, 5), torch.nn.Conv2d(6, 40, 5))], ids=["Linear", "Conv2d"])
def test_default_initialisation_is_torchs(make_pair):
    """Same distribution as torch's default: uniform on +-1/sqrt(fan_in), weight and bias."""
    nnedu.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = make_pair()
    fan_in = init.fan_in_and_fan_out(ours.weight)[0]
    bound = 1 / math.sqrt(fan_in)
    for name in ("weight", "bias"):
        mine, their = getattr(ours, name).data, getattr(theirs, name).detach().numpy()
        assert np.abs(mine).max() <= bound and np.abs(their).max() <= bound
        assert np.abs(mine).max() > 0.9 * bound  # fills the interval, not a smaller one
        if mine.size > 100:
            assert mine.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
            assert their.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
