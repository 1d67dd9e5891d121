r"""A single artificial neuron and Rosenblatt's perceptron (chapter 2).

A neuron computes :math:`z = \mathbf{w}^\top \mathbf{x} + b` and outputs :math:`f = g(z)`.
The perceptron is a threshold neuron with outputs :math:`\pm 1` and its own learning
rule, which needs no gradient at all.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnedu import functional as F


class Neuron:
    r"""``Neuron(weight, bias, activation)``: :math:`f(\mathbf{x}) = g(\mathbf{w}^\top\mathbf{x} + b)`.

    ``weight`` and ``bias`` are named as in :class:`~nnedu.nn.Linear`. ``activation`` is
    a name from :data:`nnedu.functional.ACTIVATIONS` (``"relu"``, ``"sigmoid"``,
    ``"step"``, ..., or ``"linear"``) or any function of ``z``, for example
    ``lambda z: z**2``. ``x`` is one input ``(n,)`` or a batch ``(N, n)``.
    (``weights=`` and ``.weights``, the first edition's names, still work for this
    release, with a ``DeprecationWarning``.)
    """

    def __init__(
        self,
        weight: np.ndarray | list[float] | None = None,
        bias: float = 0.0,
        activation: str | Callable[[np.ndarray], np.ndarray] = "linear",
        *,
        weights: np.ndarray | list[float] | None = None,
    ) -> None:
        if weights is not None:
            warnings.warn("Neuron(weights=...) is now Neuron(weight=...), as in nnedu.nn.Linear",
                          DeprecationWarning, stacklevel=2)
            if weight is not None:
                raise TypeError("Neuron got both weight and weights: pass only weight")
            weight = weights
        if weight is None:
            raise TypeError("Neuron expected a weight vector, e.g. Neuron(weight=[3, -2], bias=1)")
        self.weight = np.asarray(weight, dtype=float)
        if self.weight.ndim != 1:
            raise ValueError(f"Neuron expected a 1-D weight vector, got shape {self.weight.shape}")
        self.bias = float(bias)
        if isinstance(activation, str):
            self.activation = F.get_activation(activation)
            self.activation_name = activation
        elif callable(activation):
            self.activation = activation
            self.activation_name = getattr(activation, "__name__", "custom")
        else:
            raise TypeError(
                f"Neuron expected an activation name or a function, got {type(activation).__name__}"
            )

    def z(self, x: np.ndarray | list[float]) -> np.ndarray | float:
        r"""The pre-activation :math:`z = \mathbf{w}^\top \mathbf{x} + b`."""
        x = np.asarray(x, dtype=float)
        if x.shape[-1:] != self.weight.shape:
            raise ValueError(
                f"Neuron with {self.weight.size} weights expected inputs with "
                f"{self.weight.size} features, got shape {x.shape}"
            )
        z = x @ self.weight + self.bias
        return float(z) if np.ndim(z) == 0 else z

    def __call__(self, x: np.ndarray | list[float]) -> np.ndarray | float:
        """The output :math:`g(z)`."""
        out = self.activation(np.asarray(self.z(x)))
        return float(out) if np.ndim(out) == 0 else np.asarray(out)

    @property
    def weights(self) -> np.ndarray:
        """Deprecated name of :attr:`weight`."""
        warnings.warn("Neuron.weights is now Neuron.weight", DeprecationWarning, stacklevel=2)
        return self.weight

    def __repr__(self) -> str:
        return f"Neuron(weight={self.weight.tolist()}, bias={self.bias}, activation={self.activation_name!r})"


@dataclass(frozen=True)
class PerceptronStep:
    """One example looked at during training, with the weights before and after."""

    epoch: int
    index: int  # which row of X
    x: np.ndarray
    y: int  # the true label, +1 or -1
    prediction: int  # what the perceptron said before this step
    w_before: np.ndarray
    b_before: float
    w_after: np.ndarray
    b_after: float

    @property
    def updated(self) -> bool:
        """True when the example was misclassified and the weights moved."""
        return self.prediction != self.y


class Perceptron:
    r"""Rosenblatt's perceptron: :math:`o(\mathbf{x}) = +1` if :math:`\mathbf{w}^\top\mathbf{x} + b > 0`,
    else :math:`-1`.

    Learning rule (chapter 2): for each example :math:`(\mathbf{x}, y)` with
    :math:`y \in \{-1, +1\}` that is misclassified,

    .. math:: \mathbf{w} \leftarrow \mathbf{w} + \eta\, y\, \mathbf{x}, \qquad b \leftarrow b + \eta\, y.

    Correct examples change nothing. On linearly separable data this stops after a
    finite number of updates (the perceptron convergence theorem); on XOR it never does.
    Every step is kept in :attr:`history` so it can be replayed.
    """

    def __init__(self, n_features: int, lr: float = 1.0, weights: np.ndarray | None = None, bias: float = 0.0) -> None:
        self.w = np.zeros(n_features) if weights is None else np.asarray(weights, dtype=float).copy()
        if self.w.shape != (n_features,):
            raise ValueError(f"Perceptron expected {n_features} initial weights, got shape {self.w.shape}")
        self.b = float(bias)
        self.lr = lr
        self.history: list[PerceptronStep] = []
        self.converged = False
        self.epochs_run = 0

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels in {-1, +1} for a batch ``(N, n)`` (or one example ``(n,)``)."""
        z = np.asarray(X, dtype=float) @ self.w + self.b
        return np.where(z > 0, 1, -1)

    def fit(self, X: np.ndarray, y: np.ndarray, max_epochs: int = 100) -> Perceptron:
        """Sweep the examples in order until an epoch makes no mistake, or ``max_epochs``."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[1] != self.w.size:
            raise ValueError(f"Perceptron expected X of shape (N, {self.w.size}), got {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(f"Perceptron expected {X.shape[0]} labels, got shape {y.shape}")
        if not np.isin(y, (-1, 1)).all():
            raise ValueError(
                f"Perceptron expected labels -1 and +1, got values {sorted(set(np.unique(y).tolist()))}; "
                f"for 0/1 labels pass 2 * y - 1"
            )
        self.converged = False
        for epoch in range(max_epochs):
            mistakes = 0
            for i, (x_i, y_i) in enumerate(zip(X, y.astype(int))):
                w_before, b_before = self.w.copy(), self.b
                prediction = int(self.predict(x_i))
                if prediction != y_i:
                    self.w = self.w + self.lr * y_i * x_i
                    self.b = self.b + self.lr * y_i
                    mistakes += 1
                self.history.append(
                    PerceptronStep(epoch, i, x_i.copy(), int(y_i), prediction,
                                   w_before, b_before, self.w.copy(), self.b)
                )
            self.epochs_run = epoch + 1
            if mistakes == 0:
                self.converged = True
                break
        return self

    @property
    def updates(self) -> list[PerceptronStep]:
        """Only the steps that changed the weights."""
        return [s for s in self.history if s.updated]

    def __repr__(self) -> str:
        return f"Perceptron(w={self.w.tolist()}, b={self.b}, converged={self.converged})"
