"""``Sequential``: layers applied one after another; backward runs them in reverse.

This is backpropagation in one loop (chapter 8): each layer turns the gradient with
respect to its output into the gradient with respect to its input, and on the way
adds the gradients of its own parameters.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from nnedu.nn.module import Module


class Sequential(Module):
    """``Sequential(Linear(64, 100), ReLU(), Linear(100, 10))``, as in PyTorch."""

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential expected nnedu layers (Module instances), got "
                    f"{type(layer).__name__} at position {i}"
                )
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_output = layer.backward(grad_output)
        return grad_output

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The layers are named by position, as in PyTorch: ``"0"``, ``"1"``, ..."""
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

