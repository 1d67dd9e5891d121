"""``Flatten``: the bridge from feature maps ``(N, C, H, W)`` to a ``Linear`` layer ``(N, C·H·W)``."""

from __future__ import annotations

import numpy as np

from nnedu.nn.module import Module, check_array, require_forward


class Flatten(Module):
    """``Flatten(start_dim=1)``: merge every dimension from ``start_dim`` on, as in PyTorch.

    Backward only reshapes the gradient back: flattening moves no numbers.
    """

    def __init__(self, start_dim: int = 1) -> None:
        self.start_dim = start_dim
        self._shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_array(self, x)
        if x.ndim <= self.start_dim:
            raise ValueError(f"{self!r} expected at least {self.start_dim + 1} dimensions, got shape {x.shape}")
        self._shape = x.shape
        return x.reshape(x.shape[: self.start_dim] + (-1,))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        require_forward(self, self._shape)
        return np.asarray(grad_output).reshape(self._shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"
