"""The two building blocks every layer is made of: :class:`Parameter` and :class:`Module`.

A :class:`Parameter` holds a weight array in ``.data`` and the gradient of the loss
with respect to it in ``.grad`` (same shape). A :class:`Module` computes ``forward``
and, given the gradient of the loss with respect to its output, ``backward`` returns
the gradient with respect to its input and *adds* the gradients of its own
parameters into their ``.grad`` (so gradients from several batches or several uses
of a layer accumulate, as in PyTorch, until :meth:`Module.zero_grad`).

A module may also hold *buffers*: arrays that are part of its state but are not
trained, such as batch normalisation's running mean. Parameters and buffers together
are the module's :meth:`~Module.state_dict`, with PyTorch's dotted names
(``"0.weight"``, ``"1.running_mean"``), which is what :func:`nnedu.to_torch` copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

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


class LoadResult(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match (empty lists when ``strict``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers: ``forward``, ``backward``, parameters, buffers, train/eval mode.

    Subclasses store their parameters and sub-modules as attributes (or in lists of
    modules); the walk below finds them in the order they were assigned and names them
    like PyTorch: an attribute ``fc`` gives ``fc.weight``, a list attribute ``blocks``
    gives ``blocks.0.weight``, ``blocks.1.weight``, ...
    """

    training: bool = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    # -- the tree of modules ---------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for the modules stored directly on this one."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``) and every module below it, parents first."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def apply(self, fn: Callable[[Module], object]) -> Module:
        """Call ``fn`` on every sub-module, then on this one (``model.apply(init_weights)``)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- parameters and buffers ------------------------------------------------------
    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """Store ``value`` as attribute ``name``: state that is saved and cast, but not trained."""
        if "_buffer_names" not in vars(self):
            self._buffer_names: list[str] = []
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        setattr(self, name, None if value is None else np.asarray(value))

    def _own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value

    def _own_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for name in vars(self).get("_buffer_names", []):
            value = getattr(self, name)
            if value is not None:  # e.g. running_mean when track_running_stats=False
                yield name, value

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs with PyTorch's dotted names (``"0.weight"``), each once."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix.rstrip(".")):
            for name, p in module._own_parameters():
                if id(p) not in seen:  # a layer used twice has its parameters listed once
                    seen.add(id(p))
                    yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter of this module and its children."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        """``(name, array)`` for every buffer, e.g. ``("1.running_mean", ...)``."""
        for module_name, module in self.named_modules(prefix.rstrip(".")):
            for name, buffer in module._own_buffers():
                yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self) -> list[np.ndarray]:
        return [b for _, b in self.named_buffers()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, under PyTorch's keys and in its order.

        Each module contributes its parameters, then its buffers, then its children's
        entries, so ``to_torch(model).state_dict()`` has the same keys in the same order.
        """
        state: dict[str, np.ndarray] = {}
        for module_name, module in self.named_modules():
            dot = f"{module_name}." if module_name else ""
            for name, p in module._own_parameters():
                state[dot + name] = p.data.copy()
            for name, buffer in module._own_buffers():
                state[dot + name] = buffer.copy()
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> LoadResult:
        """Copy the arrays of ``state_dict`` into this module's parameters and buffers.

        Values may be numpy arrays or (CPU) torch tensors. Every key and shape is checked
        before anything is copied, so a failed load leaves the module as it was.
        """
        targets: dict[str, tuple[Module, str]] = {}
        for module_name, module in self.named_modules():
            dot = f"{module_name}." if module_name else ""
            for name, _ in (*module._own_parameters(), *module._own_buffers()):
                targets[dot + name] = (module, name)
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems = []
        if strict and (missing or unexpected):
            problems.append(f"missing keys {missing}, unexpected keys {unexpected}")
        values = {}
        for key in targets.keys() & state_dict.keys():
            module, name = targets[key]
            current = getattr(module, name)
            current = current.data if isinstance(current, Parameter) else current
            value = np.asarray(_as_numpy(state_dict[key]))
            if value.shape != current.shape:
                problems.append(f"{key}: expected shape {current.shape}, got {value.shape}")
            values[key] = value.astype(current.dtype)
        if problems:
            raise ValueError(f"{type(self).__name__}.load_state_dict: " + "; ".join(problems))
        for key, value in values.items():
            module, name = targets[key]
            current = getattr(module, name)
            if isinstance(current, Parameter):
                current.data[...] = value
            else:
                setattr(module, name, value)
        return LoadResult(missing, unexpected)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.zero_grad()

    # -- modes and dtypes ------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Switch to training mode (dropout active, batch statistics); returns ``self``."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (dropout off, running statistics); returns ``self``."""
        return self.train(False)

    def to(self, dtype: np.dtype | type) -> Module:
        """Cast every parameter and floating-point buffer to ``dtype``; returns ``self``."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = p.grad.astype(dtype)
        for module in self.modules():
            for name, buffer in module._own_buffers():
                if np.issubdtype(buffer.dtype, np.floating):  # counters stay integers
                    setattr(module, name, buffer.astype(dtype))
        return self

    def float(self) -> Module:
        """Cast parameters and buffers to float32 (PyTorch's default dtype)."""
        return self.to(np.float32)

    def double(self) -> Module:
        """Cast parameters and buffers to float64 (the dtype gradient checks need)."""
        return self.to(np.float64)

    # -- printing --------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + "\n" + "\n".join(lines) + "\n)"


def _as_numpy(value: Any) -> Any:
    """A torch tensor as a numpy array (without importing torch); anything else unchanged."""
    detach = getattr(value, "detach", None)
    return detach().cpu().numpy() if callable(detach) else value


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


T = TypeVar("T")


def require_forward(layer: Module, cache: T | None) -> T:
    """Return what ``forward`` saved, or raise a clear error when ``backward`` comes first."""
    if cache is None:
        raise RuntimeError(
            f"{layer!r}.backward was called before forward: call the layer on an input "
            f"first, then backward with the gradient of the loss with respect to its output"
        )
    return cache


def check_grad_shape(layer: Module, grad_output: np.ndarray, expected: tuple[int, ...]) -> np.ndarray:
    """``grad_output`` must have the shape of the forward output."""
    grad_output = np.asarray(grad_output)
    if grad_output.shape != expected:
        raise ValueError(
            f"{layer!r}.backward expected grad_output of shape {expected} (the shape of its "
            f"last output), got {grad_output.shape}"
        )
    return grad_output
