r"""Batch normalisation (Ioffe and Szegedy, 2015): ``BatchNorm1d`` and ``BatchNorm2d``.

For each channel :math:`c`, over the :math:`m` values it has in the batch (every sample,
and every pixel for images):

.. math::
    \mu = \frac{1}{m}\sum_i x_i, \qquad
    \sigma^2 = \frac{1}{m}\sum_i (x_i - \mu)^2, \qquad
    \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
    y_i = \gamma \hat x_i + \beta .

Backward, in the compact form (every sum over the channel's :math:`m` values, and
:math:`\partial L/\partial \hat x_i = \gamma\, \partial L/\partial y_i`):

.. math::
    \frac{\partial L}{\partial x_i} = \frac{1}{m\sqrt{\sigma^2+\epsilon}}
    \Big(m \frac{\partial L}{\partial \hat x_i} - \sum_j \frac{\partial L}{\partial \hat x_j}
    - \hat x_i \sum_j \frac{\partial L}{\partial \hat x_j}\hat x_j\Big),
    \qquad
    \frac{\partial L}{\partial \gamma} = \sum_i \frac{\partial L}{\partial y_i}\hat x_i,
    \qquad
    \frac{\partial L}{\partial \beta} = \sum_i \frac{\partial L}{\partial y_i}.

In training mode the layer also keeps *running* estimates, as PyTorch does:
:math:`\hat\mu \leftarrow (1-m_\text{om})\hat\mu + m_\text{om}\,\mu` and the same for the
variance, but with the *unbiased* batch variance :math:`\frac{m}{m-1}\sigma^2`. In
evaluation mode it normalises with those estimates instead of the batch's, so a
prediction does not depend on the rest of the batch; :math:`\mu` and :math:`\sigma` are
then constants and the gradient is just :math:`\gamma\,\partial L/\partial y / \sqrt{\hat\sigma^2+\epsilon}`.
"""

from __future__ import annotations

import math

import numpy as np

from nnedu.nn.module import Module, Parameter, check_array, check_grad_shape, require_forward


def channel_sum(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Per channel (axis 1), the sum over every other axis of ``a`` (or of ``a * b``, without forming it)."""
    rows = (a.shape[0], a.shape[1], math.prod(a.shape[2:]))   # (N, C, pixels): a view
    if b is None:
        return np.einsum("ncp->c", a.reshape(rows))
    return np.einsum("ncp,ncp->c", a.reshape(rows), b.reshape(rows))


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they accept."""

    #: the numbers of dimensions the layer accepts, e.g. (2, 3) for (N, C) and (N, C, L)
    input_dims: tuple[int, ...] = ()
    shape_text = ""
    # buffers (None when track_running_stats=False)
    running_mean: np.ndarray
    running_var: np.ndarray
    num_batches_tracked: np.ndarray

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: type = np.float64,
    ) -> None:
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"{type(self).__name__} expected num_features to be a positive integer, "
                             f"got {num_features!r}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__} expected momentum in [0, 1] or None, got {momentum}")
        self.num_features = int(num_features)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features), dtype) if affine else None   # gamma
        self.bias = Parameter(np.zeros(num_features), dtype) if affine else None    # beta
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self._x_hat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None      # 1 / sqrt(var + eps), shaped to broadcast
        self._batch_statistics = True                # were mu and sigma the batch's own?

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        shape = self._channel_shape(x)
        m = x.size // self.num_features
        self._batch_statistics = self.training or not self.track_running_stats
        if self._batch_statistics:
            if self.training and m == 1:
                raise ValueError(f"{self!r} expected more than 1 value per channel when training, got "
                                 f"input of shape {x.shape}; use a larger batch or call .eval()")
            mean = channel_sum(x) / m if m else np.zeros(self.num_features, x.dtype)            # mu
            centred = x - mean.reshape(shape)
            var = channel_sum(centred, centred) / m if m else np.ones(self.num_features, x.dtype)  # sigma^2
            if self.training and self.track_running_stats:
                self._update_running_statistics(mean, var, m)
        else:
            mean, var = self.running_mean, self.running_var
            centred = x - mean.astype(x.dtype).reshape(shape)
        self._inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype).reshape(shape)
        self._x_hat = centred * self._inv_std                                # x_hat = (x - mu) / sqrt(sigma^2 + eps)
        if self.weight is None or self.bias is None:
            return self._x_hat
        return self._x_hat * self.weight.data.reshape(shape) + self.bias.data.reshape(shape)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        x_hat, inv_std = require_forward(self, self._x_hat), require_forward(self, self._inv_std)
        dy = check_grad_shape(self, grad_output, x_hat.shape)
        shape = self._channel_shape(x_hat)
        sum_dy = channel_sum(dy)                              # dL/dbeta  = sum dy
        sum_dy_x_hat = channel_sum(dy, x_hat)                 # dL/dgamma = sum dy * x_hat
        gamma = np.ones(self.num_features, dy.dtype)
        if self.weight is not None and self.bias is not None:
            self.weight.grad += sum_dy_x_hat
            self.bias.grad += sum_dy
            gamma = self.weight.data
        scale = gamma.reshape(shape) * inv_std                # dL/dx_hat = gamma dy, times 1/sqrt(var + eps)
        if not self._batch_statistics:                        # mu, sigma were constants
            return dy * scale
        # The compact form, with the sums over d_x_hat = gamma dy written through the two above
        # (gamma is constant per channel): dL/dx = scale / m * (m dy - sum dy - x_hat sum dy x_hat).
        m = max(x_hat.size // self.num_features, 1)
        return scale * (dy - (sum_dy / m).reshape(shape) - x_hat * (sum_dy_x_hat / m).reshape(shape))

    def _update_running_statistics(self, mean: np.ndarray, var: np.ndarray, m: int) -> None:
        """PyTorch's update; ``momentum=None`` is the cumulative average over all batches so far."""
        self.num_batches_tracked = self.num_batches_tracked + 1
        if m == 0:  # as torch: an empty batch counts, but changes no estimate
            return
        factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
        unbiased_var = var * m / (m - 1)
        dtype = self.running_mean.dtype
        self.running_mean = ((1 - factor) * self.running_mean + factor * mean).astype(dtype)
        self.running_var = ((1 - factor) * self.running_var + factor * unbiased_var).astype(dtype)

    # -- shapes ----------------------------------------------------------------------
    def _check_input(self, x: object) -> np.ndarray:
        x = check_array(self, x)
        if x.ndim not in self.input_dims or x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expected input of shape {self.shape_text} with "
                             f"C = {self.num_features}, got shape {x.shape}")
        return x

    @staticmethod
    def _channel_shape(x: np.ndarray) -> tuple[int, ...]:
        """Shape that lets a per-channel vector broadcast against ``x``: ``(1, C, 1, 1)``."""
        return (1, x.shape[1]) + (1,) * (x.ndim - 2)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """``BatchNorm1d(num_features)`` for ``(N, C)`` features or ``(N, C, L)`` sequences."""

    input_dims = (2, 3)
    shape_text = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """``BatchNorm2d(num_features)`` for images ``(N, C, H, W)``: statistics per channel over N, H and W."""

    input_dims = (4,)
    shape_text = "(N, C, H, W)"
