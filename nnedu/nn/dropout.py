r"""Dropout: during training, zero each input with probability :math:`p` and scale the
survivors by :math:`1/(1-p)` so the expected output equals the input ("inverted"
dropout, as PyTorch does). In evaluation mode it is the identity (chapter 9).
"""

from __future__ import annotations

import numpy as np

from nnedu.nn.module import Module, check_array, check_grad_shape, require_forward
from nnedu.random import default_rng


class Dropout(Module):
    """``Dropout(p=0.5)``: random zeros while ``training``, identity after ``eval()``."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout expected a probability p in [0, 1], got {p}")
        self.p = float(p)
        self.rng = rng
        self._scale: np.ndarray | None = None  # the mask divided by (1 - p)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = check_array(self, x)
        if not self.training or self.p == 0.0:
            self._scale = np.ones_like(x)
        elif self.p == 1.0:
            self._scale = np.zeros_like(x)
        else:
            rng = self.rng if self.rng is not None else default_rng()
            keep = rng.random(x.shape) >= self.p
            self._scale = keep.astype(x.dtype) / (1.0 - self.p)
        return x * self._scale

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        scale = require_forward(self, self._scale)
        grad_output = check_grad_shape(self, grad_output, scale.shape)
        return grad_output * scale  # the same mask: dropped units pass no gradient

    def extra_repr(self) -> str:
        return f"p={self.p}"
