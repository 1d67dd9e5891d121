r"""Loss functions (chapter 6). Each is called as ``loss = loss_fn(pred, target)``,
returns a float, and remembers what it needs so that ``loss_fn.backward()`` returns
:math:`\partial L / \partial \text{pred}`, the gradient that starts backpropagation.

``reduction="mean"`` averages over the batch (PyTorch's default), ``"sum"`` adds up.
"""

from __future__ import annotations

import numpy as np

from nnedu import functional as F

_REDUCTIONS = ("mean", "sum")


class _Loss:
    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__} expected reduction 'mean' or 'sum', got {reduction!r}"
            )
        self.reduction = reduction
        self._grad: np.ndarray | None = None

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """:math:`\\partial L / \\partial \\text{pred}` for the last call."""
        if self._grad is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before the loss was computed: "
                f"call loss_fn(pred, target) first"
            )
        return self._grad

    def _as_arrays(self, pred: object, target: object) -> tuple[np.ndarray, np.ndarray]:
        pred = np.asarray(pred)
        target = np.asarray(target)
        if not np.issubdtype(pred.dtype, np.floating):
            pred = pred.astype(np.float64)
        return pred, target

    def _shape_error(self, pred: np.ndarray, target: np.ndarray, expected: str) -> ValueError:
        return ValueError(
            f"{type(self).__name__} expected {expected}; got predictions of shape "
            f"{pred.shape} and targets of shape {target.shape}"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(_Loss):
    r"""Mean squared error :math:`L = \frac{1}{n}\sum_i (\hat y_i - y_i)^2` over all ``n`` elements.

    Gradient: :math:`\partial L / \partial \hat y_i = \frac{2}{n} (\hat y_i - y_i)`.
    With ``reduction="sum"`` the :math:`1/n` is dropped.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred, target = self._as_arrays(pred, target)
        if pred.shape != target.shape:
            raise self._shape_error(pred, target, "targets of the same shape as the predictions")
        diff = pred - target
        scale = 1.0 / diff.size if self.reduction == "mean" else 1.0
        self._grad = 2.0 * scale * diff
        return float(scale * np.sum(diff**2))


class BCELoss(_Loss):
    r"""Binary cross-entropy of probabilities :math:`p \in (0, 1)` against targets :math:`y \in [0, 1]`:

    .. math:: L = -\frac{1}{n} \sum_i \big[y_i \ln p_i + (1 - y_i) \ln(1 - p_i)\big].

    Gradient: :math:`\partial L/\partial p_i = \frac{1}{n}\,\frac{p_i - y_i}{p_i (1 - p_i)}`.
    As in PyTorch, each log is clamped at -100 so that ``p = 0`` or ``1`` gives a large
    finite loss instead of infinity.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        pred, target = self._as_arrays(pred, target)
        if pred.shape != target.shape:
            raise self._shape_error(pred, target, "targets of the same shape as the predictions")
        if pred.size and (pred.min() < 0 or pred.max() > 1):
            raise ValueError(
                f"BCELoss expected probabilities in [0, 1] (the output of a sigmoid), got values "
                f"from {pred.min():.4g} to {pred.max():.4g}; for raw scores apply Sigmoid first"
            )
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(pred), -100.0)
            log_1mp = np.maximum(np.log1p(-pred), -100.0)
        scale = 1.0 / pred.size if self.reduction == "mean" else 1.0
        eps = 1e-12  # PyTorch's guard against dividing by zero at p = 0 or 1
        self._grad = scale * (pred - target) / np.maximum(pred * (1.0 - pred), eps)
        return float(-scale * np.sum(target * log_p + (1.0 - target) * log_1mp))


class CrossEntropyLoss(_Loss):
    r"""Softmax followed by categorical cross-entropy, computed from the logits ``z``:

    .. math:: L = -\frac{1}{N} \sum_n \sum_c y_{nc} \log \mathrm{softmax}(z_n)_c .

    ``target`` is either integer class labels of shape ``(N,)`` or one-hot (or any
    probability) rows of shape ``(N, C)``. The gradient is the famous
    :math:`\partial L/\partial z = \frac{1}{N}(\mathrm{softmax}(z) - y)`.
    """

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        logits, target = self._as_arrays(pred, target)
        if logits.ndim != 2:
            raise ValueError(
                f"CrossEntropyLoss expected logits of shape (N, C), got shape {logits.shape}"
            )
        n, c = logits.shape
        if target.ndim == 1:
            if target.shape[0] != n:
                raise self._shape_error(logits, target, f"{n} labels, one per row of logits")
            if not np.issubdtype(target.dtype, np.integer):
                raise TypeError(
                    f"CrossEntropyLoss expected integer class labels, got dtype {target.dtype}; "
                    f"pass labels as ints (y.astype(int)) or one-hot rows of shape ({n}, {c})"
                )
            y = F.one_hot(target, c)  # raises if a label is outside 0..C-1
        elif target.shape == logits.shape:
            y = target.astype(logits.dtype)
        else:
            raise self._shape_error(
                logits, target, f"labels of shape ({n},) or one-hot targets of shape ({n}, {c})"
            )
        log_p = F.log_softmax(logits, axis=1)
        scale = 1.0 / n if self.reduction == "mean" else 1.0
        self._grad = (scale * (np.exp(log_p) - y)).astype(logits.dtype, copy=False)
        return float(-scale * np.sum(y * log_p))
