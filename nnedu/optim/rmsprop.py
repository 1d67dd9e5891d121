r"""RMSprop (Hinton, 2012): divide each step by a running root mean square of the gradient."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from nnedu.nn.module import Parameter
from nnedu.optim.optimizer import Optimizer, ParamGroup


class RMSprop(Optimizer):
    r"""``torch.optim.RMSprop``, with its defaults (``lr=0.01, alpha=0.99, eps=1e-8``).

    For each parameter :math:`w` with gradient :math:`g` (after weight decay, as in SGD):

    .. math::
        s &\leftarrow \alpha s + (1 - \alpha)\, g^2   &&\text{(running mean of } g^2\text{, } s_0 = 0) \\
        w &\leftarrow w - \eta\, \frac{g}{\sqrt{s} + \epsilon}

    so every coordinate moves by about :math:`\eta` whatever the scale of its gradient.
    With ``centered=True`` the mean gradient :math:`\bar g` is tracked too and
    :math:`\sqrt{s - \bar g^2}` (an estimate of the standard deviation) is used instead;
    with ``momentum`` :math:`\mu`, the scaled step goes through a velocity
    :math:`v \leftarrow \mu v + g/(\sqrt{s}+\epsilon)`, :math:`w \leftarrow w - \eta v`.
    (Keras's RMSprop differs: ``rho=0.9`` where this has ``alpha=0.99``, and ``epsilon=1e-7``.)
    """

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[ParamGroup],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def check_hyperparameters(self, group: ParamGroup) -> None:
        super().check_hyperparameters(group)
        if not 0.0 <= group["alpha"] < 1.0 or group["eps"] < 0 or group["momentum"] < 0:
            raise ValueError(f"RMSprop expected 0 <= alpha < 1, eps >= 0 and momentum >= 0, got "
                             f"alpha={group['alpha']}, eps={group['eps']}, momentum={group['momentum']}")

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        for group in self.param_groups:
            lr, alpha, eps, wd, mu = (group[k] for k in ("lr", "alpha", "eps", "weight_decay", "momentum"))
            for p in group["params"]:
                g = p.grad
                if wd:
                    g = g + wd * p.data
                state = self.state.setdefault(p, {})
                s = state.get("square_avg", np.zeros_like(p.data))
                s = alpha * s + (1 - alpha) * g * g                      # s <- alpha s + (1 - alpha) g^2
                state["square_avg"] = s
                if group["centered"]:
                    g_mean = state.get("grad_avg", np.zeros_like(p.data))
                    g_mean = g_mean + (1 - alpha) * (g - g_mean)         # running mean of g
                    state["grad_avg"] = g_mean
                    rms = np.sqrt(s - g_mean * g_mean) + eps
                else:
                    rms = np.sqrt(s) + eps
                if mu > 0:
                    v = mu * state.get("momentum_buffer", np.zeros_like(p.data)) + g / rms
                    state["momentum_buffer"] = v
                    p.data -= lr * v
                else:
                    p.data -= lr * g / rms                               # w <- w - eta g / (sqrt(s) + eps)
