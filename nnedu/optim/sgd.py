r"""Stochastic gradient descent (chapter 7), with PyTorch's momentum, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable

from nnedu.nn.module import Parameter
from nnedu.optim.optimizer import Optimizer, ParamGroup


class SGD(Optimizer):
    r"""Gradient descent, optionally with momentum and L2 weight decay, as ``torch.optim.SGD``.

    For each parameter :math:`w` with gradient :math:`g`, one ``step()`` computes

    .. math::
        g &\leftarrow g + \lambda w   &&\text{(weight decay: gradient of } \tfrac{\lambda}{2}\lVert w\rVert^2) \\
        v &\leftarrow \mu v + (1 - d)\, g      &&\text{(momentum; } v = g \text{ on the first step)} \\
        g &\leftarrow g + \mu v \text{ (Nesterov) or } v   \\
        w &\leftarrow w - \eta\, g

    with learning rate :math:`\eta` (``lr``), momentum :math:`\mu`, dampening :math:`d`
    and weight decay :math:`\lambda`. Without momentum this is the plain update
    :math:`w \leftarrow w - \eta\, \partial L/\partial w`. Nesterov's variant takes the
    gradient step from where momentum is about to carry the weights.
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[ParamGroup],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: ParamGroup) -> None:
        super().check_hyperparameters(group)
        if group["momentum"] < 0:
            raise ValueError(f"SGD expected momentum >= 0, got {group['momentum']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD with nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        for group in self.param_groups:
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                g = p.grad
                if wd:
                    g = g + wd * p.data                              # g <- g + lambda w
                if mu:
                    state = self.state.setdefault(p, {})
                    v = state.get("momentum_buffer")
                    if v is None:
                        v = state["momentum_buffer"] = g.copy()      # v = g on the first step
                    else:                                            # v <- mu v + (1 - d) g, in place
                        v *= mu
                        v += (1 - group["dampening"]) * g if group["dampening"] else g
                    g = g + mu * v if group["nesterov"] else v
                p.data -= lr * g                                     # w <- w - eta g

    @property
    def velocity(self) -> list:
        """The momentum buffers, one per parameter (``None`` before the first step)."""
        return [self.state.get(p, {}).get("momentum_buffer") for p in self.params]
