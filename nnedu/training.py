"""The training loop (chapter 9): for each mini-batch, forward, loss, backward, update.

:func:`train_epoch` is the loop itself, short on purpose, so that reading it is reading
the algorithm:

1. load a batch of training inputs,
2. forward pass,
3. compute the loss,
4. backpropagate,
5. update the weights,

and repeat: one pass through the loop is an *iteration*, one pass through the data set
an *epoch*. :func:`fit` runs epochs and adds what a practitioner watches around them:
validation, the history, a progress bar, and a stop when the loss diverges.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from nnedu._static import static_mode
from nnedu.data.loader import batches as make_batches
from nnedu.nn.module import Module


class Optimizer(Protocol):
    """Anything with ``zero_grad()`` and ``step()``: every optimizer of :mod:`nnedu.optim`."""

    def zero_grad(self) -> None: ...

    def step(self) -> None: ...


class Loss(Protocol):
    """A loss of :mod:`nnedu.nn`: ``loss_fn(pred, target)``, then ``loss_fn.backward()``."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> Any: ...

    def backward(self) -> np.ndarray: ...


class Scheduler(Protocol):
    def step(self) -> None: ...


def train_epoch(model: Module, loss_fn: Loss, optimizer: Optimizer,
                batches: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float | None]:
    """One epoch of mini-batch gradient descent; returns the mean loss and accuracy over it."""
    model.train()
    total_loss, correct, seen = 0.0, 0.0, 0
    for xb, yb in batches:                       # 1. load a batch
        optimizer.zero_grad()
        out = model(xb)                          # 2. forward pass
        loss = loss_fn(out, yb)                  # 3. loss
        model.backward(loss_fn.backward())       # 4. backpropagate
        optimizer.step()                         # 5. update the weights
        total_loss += float(loss) * len(xb)
        acc = accuracy(out, yb)
        correct = correct + acc * len(xb) if acc is not None else math.nan
        seen += len(xb)
    if seen == 0:
        raise ValueError("train_epoch got no batches: the training set is empty")
    return total_loss / seen, (None if math.isnan(correct) else correct / seen)


@dataclass
class History:
    """Loss and accuracy after each epoch (accuracy only for classification), and the learning rate."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        return {k: v for k, v in vars(self).items() if v}

    def summary(self) -> str:
        """The last epoch in one line: ``20 epochs: loss 0.0312, accuracy 0.9912, ...``."""
        last = ", ".join(f"{k} {v[-1]:.4g}" for k, v in self.as_dict().items() if k != "lr")
        return f"{len(self.loss)} epochs: {last}"


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; ``history`` holds the epochs finished before."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def accuracy(output: np.ndarray, target: np.ndarray, loss_fn: object = None) -> float | None:
    """Fraction of correct predictions, or ``None`` when the targets are not classes.

    - several outputs per sample: the predicted class is the arg-max, compared with
      integer labels or with the arg-max of one-hot targets;
    - one output per sample and targets in {0, 1}: the prediction is 1 above 0.5
      (a probability, e.g. after a sigmoid);
    - one output per sample and targets in {-1, +1}: the prediction is the sign.

    (``loss_fn`` is accepted for compatibility and ignored: the targets decide.)
    """
    output, target = np.asarray(output), np.asarray(target)
    if output.ndim == 2 and output.shape[1] > 1:
        predicted = output.argmax(axis=1)
        if target.ndim == 1 and np.issubdtype(target.dtype, np.integer):
            return float(np.mean(predicted == target))
        if target.shape == output.shape:
            return float(np.mean(predicted == target.argmax(axis=1)))
        return None
    if output.size != target.size or output.size == 0:
        return None
    output, target = output.reshape(-1), target.reshape(-1)
    if np.isin(target, (0, 1)).all():
        return float(np.mean((output > 0.5) == (target == 1)))
    if np.isin(target, (-1, 1)).all():
        return float(np.mean(np.where(output >= 0, 1, -1) == target))
    return None


def evaluate(model: Module, loss_fn: Loss, X: np.ndarray, y: np.ndarray,
             batch_size: int = 1024) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` on ``(X, y)``, in evaluation mode.

    The loss is computed by a copy of ``loss_fn``, so a gradient pending in ``loss_fn``
    (a forward whose backward has not run yet) is kept.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) == 0 or len(X) != len(y):
        raise ValueError(f"evaluate expected a non-empty set with one target per sample, got "
                         f"{len(X)} samples and {len(y)} targets")
    was_training = model.training
    model.eval()
    outputs = np.concatenate([model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
    model.train(was_training)
    return float(copy.copy(loss_fn)(outputs, y)), accuracy(outputs, y)


def fit(
    model: Module,
    loss_fn: Loss,
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int = 10,
    batch_size: int = 32,
    shuffle: bool = True,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    rng: np.random.Generator | None = None,
    progress: bool = True,
    scheduler: Scheduler | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs of :func:`train_epoch` and return its :class:`History`.

    ``X`` has one sample per row (or per first index), ``y`` one target per sample.
    Each epoch visits every sample once, in a new random order when ``shuffle`` (drawn
    from ``rng``, default the package generator: seed it with ``nnedu.manual_seed``).
    After each epoch the model is evaluated on ``validation_data`` (never the test set)
    and ``scheduler.step()`` is called. Training stops with :class:`TrainingDiverged` as
    soon as the loss is NaN or infinite.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"fit expected as many targets as samples, got {len(X)} samples and {len(y)} targets")
    if len(X) == 0:
        raise ValueError("fit got an empty training set")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit expected a positive integer number of epochs, got {epochs!r}")
    history = History()
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            lr = _learning_rate(optimizer)
            # Overflow on the way to a divergent loss is reported below, with advice,
            # rather than as a bare numpy warning from deep inside a layer.
            with np.errstate(over="ignore", invalid="ignore"):
                loss, acc = train_epoch(model, loss_fn, optimizer, make_batches(X, y, batch_size, shuffle, rng))
            _stop_if_diverged("loss", loss, epoch, lr, history)
            if validation_data is not None:
                with np.errstate(over="ignore", invalid="ignore"):
                    val_loss, val_acc = evaluate(model, loss_fn, *validation_data)
                _stop_if_diverged("validation loss", val_loss, epoch, lr, history)
            history.lr.append(lr)
            history.loss.append(loss)
            if acc is not None:
                history.accuracy.append(acc)
            if validation_data is not None:
                history.val_loss.append(val_loss)
                if val_acc is not None:
                    history.val_accuracy.append(val_acc)
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.as_dict().items() if k != "lr"},
                                refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if progress and static_mode():  # the book: one plain line instead of a bar
        print(history.summary())
    return history


def _stop_if_diverged(name: str, value: float, epoch: int, lr: float, history: History) -> None:
    """Raise :class:`TrainingDiverged` if ``value`` (a loss of epoch ``epoch``, 0-based) is NaN or infinite."""
    if not math.isfinite(value):
        raise TrainingDiverged(
            f"training stopped: the {name} became {value} in epoch {epoch + 1}. The steps are too "
            f"large for this loss: lower the learning rate (lr={lr}), e.g. divide "
            f"it by 10. The history of the finished epochs is in the exception's .history.",
            history,
        )


def _learning_rate(optimizer: Optimizer) -> float:
    groups: Any = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    return float(getattr(optimizer, "lr", math.nan))


def _progress_bar(epochs: int, enabled: bool) -> Any:
    if not enabled or static_mode():
        return None
    from tqdm.auto import tqdm

    return tqdm(total=epochs, desc="training", unit="epoch")
