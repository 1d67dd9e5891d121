r"""Loss functions (chapter 6) as modules: ``forward`` computes the loss and remembers
its inputs, ``backward`` computes :math:`\partial L / \partial \text{pred}`, the gradient
that starts backpropagation, from what ``forward`` saved, like every layer.

Each loss is a sum of per-sample (or per-element) terms :math:`\ell_i`. The
``reduction`` says how the terms become one number, as in PyTorch:

- ``"mean"`` (the default): :math:`L = \frac{1}{n}\sum_i \ell_i`, so each term's weight is :math:`1/n`;
- ``"sum"``: :math:`L = \sum_i \ell_i`, weight 1;
- ``"none"``: the array of :math:`\ell_i` itself; ``backward(grad_output)`` then takes
  :math:`\partial L / \partial \ell_i` for whatever is done with it next (default: ones).

So ``backward`` is always "the derivative of one term, times that term's weight".
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from nnedu import functional as F
from nnedu.nn.module import Module

T = TypeVar("T")

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    """What the losses share: the reduction, input checks and the terms' weights."""

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__} expected reduction 'mean', 'sum' or 'none', got {reduction!r}"
            )
        self.reduction = reduction
        self._terms_shape: tuple[int, ...] | None = None  # the shape of the l_i of the last call

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float | np.ndarray:
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float | np.ndarray:  # type: ignore[override]
        raise NotImplementedError

    def reduce(self, terms: np.ndarray) -> float | np.ndarray:
        """Turn the terms :math:`\\ell_i` into the loss, as ``reduction`` says."""
        self._terms_shape = terms.shape
        if self.reduction == "none":
            return terms
        if self.reduction == "sum":
            return float(terms.sum())
        return float(terms.mean()) if terms.size else float("nan")  # torch: the mean of nothing is NaN

    def saved(self, value: T | None) -> T:
        """What ``forward`` saved, or a clear error when ``backward`` comes first."""
        if value is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before the loss was computed: "
                               f"call loss_fn(pred, target) first")
        return value

    def term_weights(self, grad_output: float | np.ndarray | None) -> float | np.ndarray:
        r""":math:`\partial L / \partial \ell_i`: the same :math:`1/n` or 1 for every term, or ``grad_output``."""
        shape = self.saved(self._terms_shape)
        if self.reduction == "none":
            upstream = np.ones(shape) if grad_output is None else np.asarray(grad_output, dtype=float)
            if upstream.shape != shape:
                raise ValueError(
                    f"{self!r}.backward expected grad_output of shape {shape} (one value per "
                    f"loss term), got {upstream.shape}"
                )
            return upstream
        scale = 1.0 if grad_output is None else float(np.asarray(grad_output))
        return scale / max(int(np.prod(shape)), 1) if self.reduction == "mean" else scale

    def _as_arrays(self, pred: object, target: object) -> tuple[np.ndarray, np.ndarray]:
        pred_array = np.asarray(pred)
        if not np.issubdtype(pred_array.dtype, np.floating):
            pred_array = pred_array.astype(np.float64)
        return pred_array, np.asarray(target)

    def _same_shape(self, pred: np.ndarray, target: np.ndarray) -> None:
        if pred.shape != target.shape:
            raise self._shape_error(pred, target, "targets of the same shape as the predictions")

    def _shape_error(self, pred: np.ndarray, target: np.ndarray, expected: str) -> ValueError:
        return ValueError(
            f"{type(self).__name__} expected {expected}; got predictions of shape "
            f"{pred.shape} and targets of shape {target.shape}"
        )

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    r"""Squared error, one term per element: :math:`\ell_i = (\hat y_i - y_i)^2`.

    With the default ``"mean"``, :math:`L = \frac{1}{n}\sum_i (\hat y_i - y_i)^2` over all
    ``n`` elements, and :math:`\partial L / \partial \hat y_i = \frac{2}{n} (\hat y_i - y_i)`.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._diff: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float | np.ndarray:  # type: ignore[override]
        pred, target = self._as_arrays(pred, target)
        self._same_shape(pred, target)
        self._diff = pred - target
        return self.reduce(self._diff**2)

    def backward(self, grad_output: float | np.ndarray | None = None) -> np.ndarray:
        diff = self.saved(self._diff)
        return (2.0 * diff * self.term_weights(grad_output)).astype(diff.dtype, copy=False)


class BCELoss(_Loss):
    r"""Binary cross-entropy of probabilities :math:`p_i \in [0, 1]` against targets :math:`y_i \in [0, 1]`:

    .. math:: \ell_i = -\big[y_i \ln p_i + (1 - y_i) \ln(1 - p_i)\big],
              \qquad \frac{\partial \ell_i}{\partial p_i} = \frac{p_i - y_i}{p_i (1 - p_i)}.

    As in PyTorch, each log is clamped at -100 so that ``p = 0`` or ``1`` gives a large
    finite loss instead of infinity, and the gradient's denominator at ``1e-12``.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._p: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float | np.ndarray:  # type: ignore[override]
        p, y = self._as_arrays(pred, target)
        self._same_shape(p, y)
        if p.size and not (p.min() >= 0 and p.max() <= 1):  # also catches NaN
            raise ValueError(
                f"BCELoss expected probabilities in [0, 1] (the output of a sigmoid), got values "
                f"from {np.nanmin(p):.4g} to {np.nanmax(p):.4g}; for raw scores apply Sigmoid first "
                f"or use BCEWithLogitsLoss"
            )
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100.0)
            log_1mp = np.maximum(np.log1p(-p), -100.0)
        self._p, self._y = p, y.astype(p.dtype)
        return self.reduce(-(self._y * log_p + (1.0 - self._y) * log_1mp))

    def backward(self, grad_output: float | np.ndarray | None = None) -> np.ndarray:
        p, y = self.saved(self._p), self.saved(self._y)
        d_term = (p - y) / np.maximum(p * (1.0 - p), 1e-12)
        return (d_term * self.term_weights(grad_output)).astype(p.dtype, copy=False)


class BCEWithLogitsLoss(_Loss):
    r"""Sigmoid followed by binary cross-entropy, computed from the scores ``z``:

    .. math:: \ell_i = \max(z_i, 0) - z_i y_i + \ln\big(1 + e^{-|z_i|}\big),
              \qquad \frac{\partial \ell_i}{\partial z_i} = \sigma(z_i) - y_i,

    the same value as ``BCELoss()(sigmoid(z), y)`` without its overflow or its clamping.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._z: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float | np.ndarray:  # type: ignore[override]
        z, y = self._as_arrays(pred, target)
        self._same_shape(z, y)
        self._z, self._y = z, y.astype(z.dtype)
        return self.reduce(np.maximum(z, 0) - z * self._y + np.log1p(np.exp(-np.abs(z))))

    def backward(self, grad_output: float | np.ndarray | None = None) -> np.ndarray:
        z, y = self.saved(self._z), self.saved(self._y)
        return ((F.sigmoid(z) - y) * self.term_weights(grad_output)).astype(z.dtype, copy=False)


class CrossEntropyLoss(_Loss):
    r"""Softmax followed by cross-entropy, computed from the logits ``z``, one term per sample:

    .. math:: \ell_n = -\sum_c y_{nc} \ln \mathrm{softmax}(z_n)_c,
              \qquad \frac{\partial \ell_n}{\partial z_n} = \mathrm{softmax}(z_n) - y_n .

    ``target`` is either integer class labels of shape ``(N,)`` or one-hot (or any
    probability) rows of shape ``(N, C)``. The famous gradient :math:`p - y` holds when
    each row of ``y`` sums to 1; in general it is :math:`p \sum_c y_{nc} - y_n`.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self._log_p: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float | np.ndarray:  # type: ignore[override]
        logits, target = self._as_arrays(pred, target)
        self._y = self._targets_as_rows(logits, target)                        # y: one row per sample
        self._log_p = F.log_softmax(logits, axis=1).astype(logits.dtype, copy=False)   # ln softmax(z)
        return self.reduce(-np.sum(self._y * self._log_p, axis=1))             # l_n = -sum_c y_nc ln p_nc

    def backward(self, grad_output: float | np.ndarray | None = None) -> np.ndarray:
        log_p, y = self.saved(self._log_p), self.saved(self._y)
        d_term = np.exp(log_p) * y.sum(axis=1, keepdims=True) - y   # softmax(z) - y
        weights = self.term_weights(grad_output)                      # one per sample (row)
        return (d_term * np.reshape(weights, (-1, 1) if np.ndim(weights) else ())).astype(log_p.dtype, copy=False)

    def _targets_as_rows(self, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Integer labels become one-hot rows; probability rows are checked and kept."""
        if logits.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expected logits of shape (N, C), got shape {logits.shape}")
        n, c = logits.shape
        if target.ndim == 1:
            if target.shape[0] != n:
                raise self._shape_error(logits, target, f"{n} labels, one per row of logits")
            if not np.issubdtype(target.dtype, np.integer):
                raise TypeError(
                    f"CrossEntropyLoss expected integer class labels, got dtype {target.dtype}; "
                    f"pass labels as ints (y.astype(int)) or one-hot rows of shape ({n}, {c})"
                )
            return F.one_hot(target, c, logits.dtype)  # raises if a label is outside 0..C-1
        if target.shape == logits.shape:
            return target.astype(logits.dtype)
        raise self._shape_error(
            logits, target, f"labels of shape ({n},) or one-hot targets of shape ({n}, {c})"
        )
