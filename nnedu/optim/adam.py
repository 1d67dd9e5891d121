r"""Adam (Kingma and Ba, 2015): momentum and RMSprop together, with bias correction."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from nnedu.nn.module import Parameter
from nnedu.optim.optimizer import Optimizer, ParamGroup


class Adam(Optimizer):
    r"""``torch.optim.Adam``, with its defaults (``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``).

    At step :math:`t = 1, 2, \dots`, for each parameter :math:`w` with gradient :math:`g`
    (after weight decay, added to the gradient as in SGD):

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g          &&\text{(mean of } g\text{, as momentum)} \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2        &&\text{(mean of } g^2\text{, as RMSprop)} \\
        \hat m &= m / (1 - \beta_1^t), \quad \hat v = v / (1 - \beta_2^t)  &&\text{(bias correction)} \\
        w &\leftarrow w - \eta\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}

    Both averages start at 0, so early on they are too small by the factors
    :math:`1 - \beta^t` (with :math:`\beta_2 = 0.999`, :math:`v` after one step is a
    thousandth of :math:`g^2`); dividing by those factors removes the bias. With
    ``amsgrad=True`` the largest :math:`v` so far is used, so steps never grow.
    """

    decoupled_weight_decay = False

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[ParamGroup],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def check_hyperparameters(self, group: ParamGroup) -> None:
        super().check_hyperparameters(group)
        beta1, beta2 = group["betas"]
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0) or group["eps"] < 0:
            raise ValueError(f"{type(self).__name__} expected betas in [0, 1) and eps >= 0, got "
                             f"betas={group['betas']}, eps={group['eps']}")

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                g = p.grad
                if wd and self.decoupled_weight_decay:
                    p.data *= 1 - lr * wd                                  # AdamW: shrink w directly
                elif wd:
                    g = g + wd * p.data                                    # Adam: L2 in the gradient
                state = self.state.setdefault(p, {"step": 0})
                state["step"] = t = state["step"] + 1
                m = beta1 * state.get("exp_avg", np.zeros_like(p.data)) + (1 - beta1) * g
                v = beta2 * state.get("exp_avg_sq", np.zeros_like(p.data)) + (1 - beta2) * g * g
                state["exp_avg"], state["exp_avg_sq"] = m, v
                if group["amsgrad"]:
                    v = state["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
                m_hat_scale = 1 - beta1**t                                 # m_hat = m / (1 - beta1^t)
                v_hat_sqrt_scale = math.sqrt(1 - beta2**t)                 # sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t)
                p.data -= (lr / m_hat_scale) * m / (np.sqrt(v) / v_hat_sqrt_scale + eps)


class AdamW(Adam):
    r"""``torch.optim.AdamW`` (Loshchilov and Hutter, 2019): Adam with *decoupled* weight decay.

    Instead of adding :math:`\lambda w` to the gradient (where Adam's scaling would shrink
    it for coordinates with large gradients), the weights are shrunk directly,
    :math:`w \leftarrow (1 - \eta\lambda)\, w`, before the Adam step. Default ``weight_decay=0.01``.
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[ParamGroup],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
