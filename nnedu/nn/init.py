r"""Weight initialisation, as ``torch.nn.init``: each function fills an array in place.

Every function takes a :class:`~nnedu.nn.Parameter` (it fills ``.data``) or a numpy
array, fills it, and returns it. Random draws come from ``rng`` (default: the package
generator, see :func:`nnedu.manual_seed`).

The scaled initialisations keep the variance of the signal roughly constant from layer
to layer (the chapter on training deep networks). A unit with :math:`n_\text{in}` inputs
computes
:math:`z = \sum_j w_j a_j`; with independent zero-mean weights,
:math:`\mathrm{Var}(z) = n_\text{in} \mathrm{Var}(w) \mathrm{Var}(a)`, so

- **Xavier/Glorot** (for tanh and sigmoid):
  :math:`\mathrm{Var}(w) = \text{gain}^2 \cdot 2/(n_\text{in} + n_\text{out})`, a compromise
  between keeping activations (:math:`1/n_\text{in}`) and gradients (:math:`1/n_\text{out}`) steady;
- **Kaiming/He** (for ReLU, which zeroes half of its inputs): :math:`\mathrm{Var}(w) = \text{gain}^2 / n`,
  with :math:`\text{gain}^2 = 2` for ReLU and ``n`` the fan-in (or fan-out, ``mode="fan_out"``).

A uniform distribution on :math:`[-a, a]` has variance :math:`a^2/3`, so the uniform
variants use :math:`a = \sqrt{3}\,\text{std}`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from nnedu.nn.module import Parameter
from nnedu.random import default_rng

Tensor = TypeVar("Tensor", Parameter, np.ndarray)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""The factor by which an activation shrinks the standard deviation, as in PyTorch.

    ``linear``, the convolutions and ``sigmoid``: 1; ``tanh``: 5/3; ``relu``: :math:`\sqrt 2`;
    ``leaky_relu`` with slope ``param`` (default 0.01): :math:`\sqrt{2/(1 + \text{param}^2)}`;
    ``selu``: 3/4.
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain expected a number as the leaky_relu slope, got {param!r}")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join(linear)}, tanh, relu, leaky_relu, selu")


def fan_in_and_fan_out(tensor: Parameter | np.ndarray) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight: ``(in, out)`` for ``Linear``'s ``(out, in)``, times ``kh·kw`` for a filter."""
    shape = _array(tensor).shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out can not be computed for a weight with fewer than 2 "
                         f"dimensions, got shape {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, rng: np.random.Generator | None = None) -> Tensor:
    """Fill with draws from the uniform distribution on ``[a, b)``."""
    return _fill(tensor, lambda shape, g: g.uniform(a, b, shape), rng)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, rng: np.random.Generator | None = None) -> Tensor:
    """Fill with draws from the normal distribution :math:`N(\\text{mean}, \\text{std}^2)`."""
    return _fill(tensor, lambda shape, g: g.normal(mean, std, shape), rng)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    _array(tensor)[...] = val
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros (biases; never all the weights: see the symmetry argument in the
    chapter on training deep networks)."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, rng: np.random.Generator | None = None) -> Tensor:
    r"""Glorot & Bengio (2010): uniform on :math:`\pm \text{gain}\sqrt{6/(n_\text{in}+n_\text{out})}`."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, rng: np.random.Generator | None = None) -> Tensor:
    r"""Glorot & Bengio (2010): normal with :math:`\text{std} = \text{gain}\sqrt{2/(n_\text{in}+n_\text{out})}`."""
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | None = None,
) -> Tensor:
    r"""He et al. (2015): uniform on :math:`\pm \sqrt{3}\,\text{gain}/\sqrt{n}`, ``n`` the fan-in or fan-out.

    ``a`` is the negative slope of a leaky ReLU (0: plain ReLU, gain :math:`\sqrt 2`).
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    rng: np.random.Generator | None = None,
) -> Tensor:
    r"""He et al. (2015): normal with :math:`\text{std} = \text{gain}/\sqrt{n}`, ``n`` the fan-in or fan-out."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng)


def _kaiming_std(tensor: Parameter | np.ndarray, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"expected mode 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"cannot initialise a weight of shape {_array(tensor).shape}: its {mode} is 0")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _array(tensor: Parameter | np.ndarray) -> np.ndarray:
    if isinstance(tensor, Parameter):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"expected an nnedu Parameter or a numpy array to fill, got {type(tensor).__name__}")


Draw = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]


def _fill(tensor: Tensor, draw: Draw, rng: np.random.Generator | None) -> Tensor:
    array = _array(tensor)
    if array.size:  # as torch: a zero-element weight is left alone
        array[...] = draw(array.shape, rng if rng is not None else default_rng())
    return tensor
