r"""Gradient clipping, as ``torch.nn.utils`` (the chapter on training deep networks).

Backpropagation multiplies the gradient by :math:`(W^{l+1})^\top` and :math:`\sigma'(z^l)` once per layer,

.. math:: \delta^l = \big((W^{l+1})^\top \delta^{l+1}\big) \odot \sigma'(z^l),

so in a deep network with large weights it can grow by a constant factor per layer and *explode*:
one step of gradient descent then throws the weights far away. Clipping bounds the step.

- :func:`clip_grad_norm_` rescales all the gradients together when their total norm exceeds
  ``max_norm``, keeping their direction:

  .. math:: g \leftarrow g \cdot \min\Big(\frac{\text{max\_norm}}{\lVert g \rVert_p + 10^{-6}},\ 1\Big),
     \qquad \lVert g \rVert_p = \Big\lVert \big(\lVert g_1 \rVert_p, \dots, \lVert g_m \rVert_p\big) \Big\rVert_p ,

  where :math:`g_1, \dots, g_m` are the gradients of the parameters, taken together as one vector;
- :func:`clip_grad_value_` clips every entry to :math:`[-\text{clip\_value}, \text{clip\_value}]`,
  which may change the direction.

Both change ``.grad`` in place, between ``backward`` and ``optimizer.step()``, and skip parameters
whose ``.grad`` is ``None``, as in PyTorch.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

import numpy as np

from nnedu.nn.module import Parameter

CLIP_EPS = 1e-6
"""Added to the total norm before dividing, as PyTorch does (so an all-zero gradient is left alone)."""


def clip_grad_norm_(
    parameters: Parameter | Iterable[Parameter],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    r"""Scale the gradients so that their total ``norm_type``-norm is at most ``max_norm``; return the norm.

    The total norm :math:`\lVert g \rVert` is the norm of the vector of the parameters' gradient norms,
    as if all the gradients were one vector; each gradient is multiplied by
    :math:`\min(\text{max\_norm} / (\lVert g \rVert + 10^{-6}),\ 1)`.
    ``norm_type`` is a positive number or ``inf`` (``float("inf")`` or ``"inf"``: the largest
    absolute entry). The returned norm is the one *before* clipping, as in PyTorch, so a training
    loop can log how large the gradient really was. A NaN or infinite total norm makes every
    gradient NaN (as in PyTorch), or raises ``RuntimeError`` with ``error_if_nonfinite=True``.
    """
    params = _parameters("clip_grad_norm_", parameters)
    max_norm = _non_negative("clip_grad_norm_", "max_norm", max_norm)
    p = _norm_type(norm_type)
    grads = [param.grad for param in params if param.grad is not None]
    if not grads:
        return 0.0
    norms = np.array([_norm(g, p) for g in grads])
    total_norm = _norm(norms, p)                        # the norm of the per-parameter norms
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total_norm}, "
            f"so it cannot be clipped. To scale the gradients by the non-finite norm anyway, set "
            f"error_if_nonfinite=False")
    clip_coef = np.minimum(max_norm / (total_norm + CLIP_EPS), 1.0)   # NaN stays NaN, as in torch
    with np.errstate(invalid="ignore"):                 # inf * 0 is NaN, as in PyTorch
        for g in grads:
            g *= clip_coef                               # in place, like torch's grad.mul_
    return total_norm


def clip_grad_value_(parameters: Parameter | Iterable[Parameter], clip_value: float) -> None:
    r"""Clip every gradient entry to :math:`[-\text{clip\_value}, \text{clip\_value}]`, in place."""
    params = _parameters("clip_grad_value_", parameters)
    clip_value = _non_negative("clip_grad_value_", "clip_value", clip_value)
    for param in params:
        if param.grad is not None:
            np.clip(param.grad, -clip_value, clip_value, out=param.grad)


# --- checks: what a caller gets wrong, said in words ------------------------------------------------


def _parameters(caller: str, parameters: Parameter | Iterable[Parameter]) -> list[Parameter]:
    """A single Parameter or an iterable of them, as a list (a generator is read once)."""
    if isinstance(parameters, Parameter):
        return [parameters]
    if isinstance(parameters, np.ndarray) or not isinstance(parameters, Iterable):
        raise TypeError(f"{caller} expected a Parameter or an iterable of Parameters (model.parameters()), "
                        f"got {type(parameters).__name__}")
    is_generator = isinstance(parameters, types.GeneratorType)
    params = list(parameters)
    for i, param in enumerate(params):
        if not isinstance(param, Parameter):
            raise TypeError(f"{caller} expected nnedu Parameters (model.parameters()), got "
                            f"{type(param).__name__} at position {i}")
    if is_generator and not params:
        warnings.warn(f"{caller}: `parameters` is an empty generator, no gradient clipping will occur",
                      stacklevel=3)
    return params


def _non_negative(caller: str, name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{caller} expected {name} to be a number, got {type(value).__name__}")
    if not value >= 0:                                   # also catches NaN
        raise ValueError(f"{caller} expected {name} >= 0, got {value}")
    return float(value)


def _norm_type(norm_type: float | str) -> float:
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(f"clip_grad_norm_ expected norm_type to be a positive number or 'inf', "
                         f"got {norm_type!r}") from None
    if not p > 0:
        raise ValueError(f"clip_grad_norm_ expected norm_type to be a positive number or 'inf', got {norm_type!r}")
    return p


def _norm(values: np.ndarray, p: float) -> float:
    r""":math:`\lVert v \rVert_p = (\sum_i |v_i|^p)^{1/p}`, or :math:`\max_i |v_i|` for :math:`p = \infty`."""
    v = np.abs(np.asarray(values, dtype=np.float64).ravel())
    if v.size == 0:
        return 0.0
    if p == math.inf:
        return float(v.max())
    with np.errstate(over="ignore"):                    # finite entries whose norm is inf: inf, as in PyTorch
        return float(np.sum(v**p) ** (1.0 / p))
