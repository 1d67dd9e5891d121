"""The training loop (chapter 9): shuffle, cut into mini-batches, and for each batch
forward, loss, backward, update.

``fit`` is the loop every chapter uses; it is short on purpose, so that reading it is
reading the algorithm:

1. load a batch of training inputs,
2. forward pass,
3. compute the loss,
4. backpropagate,
5. update the weights,

and repeat: one pass through the loop is an *iteration*, one pass through the data
set an *epoch*.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from nnedu.nn.loss import BCELoss
from nnedu.nn.module import Module
from nnedu.optim import SGD
from nnedu.random import default_rng


@dataclass
class History:
    """Loss and accuracy after each epoch (accuracy only for classification)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        return {k: v for k, v in vars(self).items() if v}


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; ``history`` holds the epochs finished before."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def accuracy(output: np.ndarray, target: np.ndarray, loss_fn: object = None) -> float | None:
    """Fraction of correct predictions, or ``None`` when the task is not classification.

    Several outputs per sample: the predicted class is the arg-max, compared with integer
    labels or with the arg-max of one-hot targets. One sigmoid output under ``BCELoss``:
    the prediction is 1 when the output is above 0.5.
    """
    output = np.asarray(output)
    target = np.asarray(target)
    if output.ndim == 2 and output.shape[1] > 1:
        predicted = output.argmax(axis=1)
        if target.ndim == 1 and np.issubdtype(target.dtype, np.integer):
            return float(np.mean(predicted == target))
        if target.shape == output.shape:
            return float(np.mean(predicted == target.argmax(axis=1)))
    if isinstance(loss_fn, BCELoss) and output.shape == target.shape:
        return float(np.mean((output > 0.5) == (target > 0.5)))
    return None


def evaluate(model: Module, loss_fn, X: np.ndarray, y: np.ndarray, batch_size: int = 1024) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` on ``(X, y)``, in evaluation mode."""
    was_training = model.training
    model.eval()
    outputs = np.concatenate([model(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
    model.train(was_training)
    return loss_fn(outputs, y), accuracy(outputs, y, loss_fn)


def _progress_bar(epochs: int, enabled: bool):
    if not enabled:
        return None
    if os.environ.get("NNEDU_STATIC"):  # the book build: plain text, no widget,
        from tqdm.std import tqdm       # and only the first and the final state of the bar

        return tqdm(total=epochs, desc="training", unit="epoch", mininterval=3600, maxinterval=3600)
    from tqdm.auto import tqdm

    return tqdm(total=epochs, desc="training", unit="epoch")


def fit(
    model: Module,
    loss_fn,
    optimizer: SGD,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int = 10,
    batch_size: int = 32,
    shuffle: bool = True,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    rng: np.random.Generator | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` with mini-batch gradient descent and return its :class:`History`.

    ``X`` has one sample per row (or per first index), ``y`` one target per sample.
    Each epoch visits every sample once, in a new random order when ``shuffle`` (drawn
    from ``rng``, default the package generator: seed it with ``nnedu.manual_seed``).
    Training stops with :class:`TrainingDiverged` as soon as the loss is NaN or infinite.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"fit expected as many targets as samples, got {len(X)} samples and {len(y)} targets")
    if len(X) == 0:
        raise ValueError("fit got an empty training set")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"fit expected a positive integer batch_size, got {batch_size!r}")
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit expected a positive integer number of epochs, got {epochs!r}")
    rng = rng if rng is not None else default_rng()
    history = History()
    n_batches = math.ceil(len(X) / batch_size)
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            model.train()
            order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
            total_loss, correct, counted = 0.0, 0.0, 0
            for b in range(n_batches):
                idx = order[b * batch_size : (b + 1) * batch_size]
                xb, yb = X[idx], y[idx]                  # 1. load a batch
                optimizer.zero_grad()
                # Overflow on the way to a divergent loss is reported below, with advice,
                # rather than as a bare numpy warning from deep inside a layer.
                with np.errstate(over="ignore", invalid="ignore"):
                    out = model(xb)                      # 2. forward pass
                    loss = loss_fn(out, yb)              # 3. loss
                if not math.isfinite(loss):
                    raise TrainingDiverged(
                        f"training stopped: the loss became {loss} at epoch {epoch + 1}, batch "
                        f"{b + 1} of {n_batches}. The steps are too large for this loss: lower "
                        f"the learning rate (lr={getattr(optimizer, 'lr', '?')}), e.g. divide it "
                        f"by 10. The history of the finished epochs is in the exception's .history.",
                        history,
                    )
                with np.errstate(over="ignore", invalid="ignore"):
                    model.backward(loss_fn.backward())   # 4. backpropagate
                    optimizer.step()                     # 5. update the weights
                total_loss += loss * len(idx)
                acc = accuracy(out, yb, loss_fn)
                if acc is not None:
                    correct += acc * len(idx)
                    counted += len(idx)
            history.loss.append(total_loss / len(X))
            if counted:
                history.accuracy.append(correct / counted)
            if validation_data is not None:
                val_loss, val_acc = evaluate(model, loss_fn, *validation_data)
                history.val_loss.append(val_loss)
                if val_acc is not None:
                    history.val_accuracy.append(val_acc)
            if bar is not None:
                bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.as_dict().items()}, refresh=False)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history
