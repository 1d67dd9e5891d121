"""The two building blocks every layer is made of: :class:`Parameter` and :class:`Module`.

A :class:`Parameter` holds a weight array in ``.data`` and the gradient of the loss
with respect to it in ``.grad`` (same shape). A :class:`Module` computes ``forward``
and, given the gradient of the loss with respect to its output, ``backward`` returns
the gradient with respect to its input and *adds* the gradients of its own
parameters into their ``.grad`` (so gradients from several batches or several uses
of a layer accumulate, as in PyTorch, until :meth:`Module.zero_grad`).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np


class Parameter:
    """A trainable array: ``data`` (the value) and ``grad`` (dL/d data, same shape)."""

    def __init__(self, data: np.ndarray, dtype: np.dtype | type | None = None) -> None:
        self.data = np.array(data, dtype=dtype if dtype is not None else np.float64)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def zero_grad(self) -> None:
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of layers: ``forward``, ``backward``, parameters, train/eval mode.

    Subclasses store their parameters and sub-modules as attributes; ``parameters()``
    finds them by walking the attributes, in the order they were assigned.
    """

    training: bool = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    # -- walking the tree of modules -------------------------------------------------
    def children(self) -> Iterator[Module]:
        """The modules stored directly on this one (attributes, or lists of modules)."""
        for value in vars(self).values():
            if isinstance(value, Module):
                yield value
            elif isinstance(value, (list, tuple)):
                yield from (v for v in value if isinstance(v, Module))

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs with PyTorch's dotted names (``"0.weight"``)."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value.named_parameters(f"{prefix}{name}.")
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield from item.named_parameters(f"{prefix}{i}.")

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter of this module and its children."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Module:
        """Switch to training mode (dropout active); returns ``self``."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (dropout off); returns ``self``."""
        return self.train(False)

    def to(self, dtype: np.dtype | type) -> Module:
        """Cast every parameter to ``dtype`` (``np.float32`` or ``np.float64``); returns ``self``."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = p.grad.astype(dtype)
        return self

    def float(self) -> Module:
        """Cast parameters to float32 (PyTorch's default dtype)."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Cast parameters to float64 (the dtype gradient checks need)."""
        return self.to(np.float64)

    # -- printing --------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def check_array(layer: Module, x: object, what: str = "input") -> np.ndarray:
    """Return ``x`` as a float array, or raise a ``TypeError`` that names ``layer``."""
    if isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating):
        return x
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - very exotic inputs
        raise TypeError(f"{layer!r} expected a numeric array as {what}, got {type(x).__name__}") from exc
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(
            f"{layer!r} expected a numeric array as {what}, got {type(x).__name__} "
            f"with dtype {arr.dtype}"
        )
    return arr.astype(np.float64)


def require_forward(layer: Module, cache: object) -> None:
    """Raise a clear error when ``backward`` is called before ``forward``."""
    if cache is None:
        raise RuntimeError(
            f"{layer!r}.backward was called before forward: call the layer on an input "
            f"first, then backward with the gradient of the loss with respect to its output"
        )


def check_grad_shape(layer: Module, grad_output: np.ndarray, expected: tuple[int, ...]) -> np.ndarray:
    """``grad_output`` must have the shape of the forward output."""
    grad_output = np.asarray(grad_output)
    if grad_output.shape != expected:
        raise ValueError(
            f"{layer!r}.backward expected grad_output of shape {expected} (the shape of its "
            f"last output), got {grad_output.shape}"
        )
    return grad_output
