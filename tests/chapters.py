"""What the chapters' claims tests share: the seeds, the digits network and split of chapters 9 to 11, the
accuracy, chapter 9's L2 parameter groups, chapter 10's race surfaces and their torch.optim optimizers, and
float64 tensors for the torch references."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnedu import nn
from nnedu.data import train_test_split

#: every seed-dependent claim of the book is checked over these three seeds, as the chapters run them
SEEDS = (0, 1, 2)


def t(values: Any) -> Any:
    """A float64 torch tensor (the references compute in double precision)."""
    import torch

    return torch.tensor(values, dtype=torch.float64)


def quadratic(x: Any) -> Any:
    """The race's ill-conditioned quadratic, L = ½(w₁² + 100 w₂²), of a numpy array or a torch tensor."""
    return 0.5 * (x[0] ** 2 + 100.0 * x[1] ** 2)


def rosenbrock(x: Any) -> Any:
    """Rosenbrock's valley, L = (1 - w₁)² + 100 (w₂ - w₁²)², of a numpy array or a torch tensor."""
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def torch_optimizer(name: str, params: list, lr: float) -> Any:
    """torch.optim's counterpart of the race's optimizer ``name`` (momentum 0.9, torch's other defaults)."""
    import torch

    return {"SGD": lambda: torch.optim.SGD(params, lr=lr),
            "momentum": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9),
            "Nesterov": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
            "RMSprop": lambda: torch.optim.RMSprop(params, lr=lr),
            "Adam": lambda: torch.optim.Adam(params, lr=lr)}[name]()


def digits_mlp(n_in: int = 64, dropout: float = 0.0) -> nn.Sequential:
    """Chapter 9's 64-100-50-10 network, with a Dropout layer of its own after each hidden layer."""
    def drop() -> list[nn.Module]:          # a new Dropout layer for each place: each keeps its own mask
        return [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(nn.Linear(n_in, 100), nn.ReLU(), *drop(), nn.Linear(100, 50), nn.ReLU(), *drop(),
                         nn.Linear(50, 10))


def three_way_split(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
    """Train 60 %, validation 20 %, test 20 %, stratified, seed 0 (chapters 9 to 11)."""
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, seed=0, stratify=True)
    return X_train, X_val, X_test, y_train, y_val, y_test


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction of X that the model, in evaluation mode, classifies as y."""
    return float(np.mean(model.eval()(X).argmax(axis=1) == y))


def weights_and_biases(model: nn.Module) -> tuple[list, list]:
    named = list(model.named_parameters())
    return [p for name, p in named if name.endswith("weight")], [p for name, p in named if name.endswith("bias")]


def l2_groups(model: nn.Module, lam: float, n: int) -> list[dict]:
    """L2 as chapters 6 and 9 write it: weight_decay = lam / n on the weights, none on the biases."""
    weights, biases = weights_and_biases(model)
    return [{"params": weights, "weight_decay": lam / n}, {"params": biases, "weight_decay": 0.0}]
