r"""Optimizers: turn the gradients in ``param.grad`` into a step on ``param.data``.

:class:`SGD` is gradient descent (chapter 7) with PyTorch's conventions for momentum
and weight decay, so that the same hyper-parameters mean the same thing in both.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from nnedu.nn.module import Parameter


class SGD:
    r"""Stochastic gradient descent, optionally with momentum and L2 weight decay.

    For each parameter :math:`w` with gradient :math:`g`, one ``step()`` computes

    .. math::
        g &\leftarrow g + \lambda w                 &&\text{(weight decay, L2 penalty } \tfrac{\lambda}{2}\lVert w\rVert^2) \\
        v &\leftarrow \mu v + g                     &&\text{(momentum; } v = g \text{ on the first step)} \\
        w &\leftarrow w - \eta v

    with learning rate :math:`\eta` (``lr``), momentum :math:`\mu` and weight decay :math:`\lambda`.
    Without momentum this is the plain update :math:`w \leftarrow w - \eta\, \partial L/\partial w`.
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD got an empty parameter list: pass model.parameters()")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"SGD expected nnedu Parameters (from model.parameters()), got "
                    f"{type(p).__name__} at position {i}"
                )
        if not lr > 0:
            raise ValueError(f"SGD expected a positive learning rate lr, got {lr}")
        if momentum < 0:
            raise ValueError(f"SGD expected momentum >= 0, got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"SGD expected weight_decay >= 0, got {weight_decay}")
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                v = self.velocity[i]
                v = g.copy() if v is None else self.momentum * v + g
                self.velocity[i] = v
                g = v
            p.data -= self.lr * g

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to zero before the next backward pass."""
        for p in self.params:
            p.zero_grad()

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"
        )
