r"""What every optimizer shares: parameter groups, per-parameter state and ``zero_grad``.

As in PyTorch, an optimizer is given either the parameters (``model.parameters()``) or
a list of *groups*, dictionaries with their own ``"params"`` and any hyper-parameters
that differ from the defaults, for instance to decay the weights but not the biases::

    SGD([{"params": weights, "weight_decay": 1e-4},
         {"params": biases, "weight_decay": 0.0}], lr=0.1, momentum=0.9)

Each group is a plain ``dict`` (``optimizer.param_groups[0]["lr"]`` is its learning
rate, which the schedulers of :mod:`nnedu.optim.lr_scheduler` change), and
``optimizer.state[p]`` holds what the method remembers about parameter ``p`` between
steps (momentum, running averages).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nnedu.nn.module import Parameter

ParamGroup = dict[str, Any]


class Optimizer:
    """Base class: subclasses define ``step()`` with the update of chapter 7 or 10."""

    def __init__(self, params: Iterable[Parameter] | Iterable[ParamGroup], defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self.defaults = defaults
        self.param_groups: list[ParamGroup] = []
        self.state: dict[Parameter, dict[str, Any]] = {}
        given = list(params)
        if not given:
            raise ValueError(f"{name} got an empty parameter list: pass model.parameters()")
        groups = given if isinstance(given[0], dict) else [{"params": given}]
        for group in groups:
            self.add_param_group(group)  # type: ignore[arg-type]

    def add_param_group(self, group: ParamGroup) -> None:
        """Add a group of parameters, with the optimizer's defaults for what it does not set."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name} expected parameters or dicts with a 'params' key, got {group!r}")
        params = group["params"]
        params = [params] if isinstance(params, Parameter) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(f"{name} expected nnedu Parameters (from model.parameters()), got "
                                f"{type(p).__name__} at position {i}")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(f"{name} does not know the option(s) {sorted(unknown)}; it has {sorted(self.defaults)}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params) or len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        full = {**self.defaults, **group, "params": params}
        self.check_hyperparameters(full)
        self.param_groups.append(full)

    def check_hyperparameters(self, group: ParamGroup) -> None:
        """Raise a clear ``ValueError`` for a value the method cannot use (each subclass adds its own)."""
        name = type(self).__name__
        if not group["lr"] > 0:
            raise ValueError(f"{name} expected a positive learning rate lr, got {group['lr']}")
        if group.get("weight_decay", 0) < 0:
            raise ValueError(f"{name} expected weight_decay >= 0, got {group['weight_decay']}")

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define step")

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to zero before the next backward pass."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad()

    @property
    def params(self) -> list[Parameter]:
        """Every parameter, over all groups."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The learning rate of the first group (set it to change every group's)."""
        return float(self.param_groups[0]["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            options = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} parameters, {options}")
        return "\n".join(lines) + "\n)"
