"""What a student waits for, and the second edition's layers: one epoch of a LeNet-style CNN on
MNIST, BatchNorm2d forward + backward, and an Adam step, each against PyTorch in the same run.

The LeNet epoch reads the first 4,096 images of the real MNIST test split when
``../shared/data/mnist-test`` exists (random images of the same shape otherwise), batch 64,
float32 on both sides, the same initial weights (copied with ``to_torch``) and the same
batches in the same order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import nnedu
from benchmarks.common import Row, median_time, ratio_row, torch_as_installed
from nnedu import nn

MNIST_TEST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist-test"


def mnist_images(n: int = 4096) -> tuple[np.ndarray, np.ndarray, str]:
    images = MNIST_TEST / "t10k-images-idx3-ubyte.gz"
    if images.exists():
        X = nnedu.data.read_idx(images)[:n, None].astype(np.float32) / 255
        y = nnedu.data.read_idx(MNIST_TEST / "t10k-labels-idx1-ubyte.gz")[:n].astype(np.int64)
        return X, y, f"{n} real MNIST test images"
    rng = np.random.default_rng(0)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n), f"{n} random 28x28 images"


def lenet() -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 100), nn.ReLU(), nn.Linear(100, 10))


def lenet_epoch(repeats: int) -> tuple[float, float, str]:
    torch = torch_as_installed()
    X, y, what = mnist_images()
    nnedu.manual_seed(0)
    model = lenet().float()
    twin = nnedu.to_torch(model)
    opt = nnedu.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    t_opt = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    loss_fn, t_loss_fn = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    order = np.random.default_rng(0).permutation(len(X))
    batches = [(X[order[i:i + 64]], y[order[i:i + 64]]) for i in range(0, len(X), 64)]
    t_batches = [(torch.from_numpy(xb), torch.from_numpy(yb)) for xb, yb in batches]

    def ours() -> None:
        nnedu.train_epoch(model, loss_fn, opt, batches)

    def theirs() -> None:
        for xb, yb in t_batches:
            t_opt.zero_grad()
            t_loss_fn(twin(xb), yb).backward()
            t_opt.step()

    return median_time(ours, repeats, warmup=1), median_time(theirs, repeats, warmup=1), what


def batchnorm_step(repeats: int) -> tuple[float, float]:
    torch = torch_as_installed()
    x = np.random.default_rng(0).normal(size=(64, 16, 14, 14)).astype(np.float32)
    ours = nn.BatchNorm2d(16).float()
    theirs = torch.nn.BatchNorm2d(16)
    g = np.ones_like(x)
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g)

    def step_ours() -> None:
        ours(x)
        ours.backward(g)

    def step_theirs() -> None:
        theirs(xt).backward(gt)

    return median_time(step_ours, repeats), median_time(step_theirs, repeats)


def adam_step(repeats: int) -> tuple[float, float]:
    """One Adam step on the parameters of the 784-100-50-10 MLP (89,610 numbers)."""
    torch = torch_as_installed()
    nnedu.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10)).float()
    twin = nnedu.to_torch(model)
    for p in model.parameters():
        p.grad[...] = 0.01
    for p in twin.parameters():
        p.grad = torch.full_like(p, 0.01)
    opt = nnedu.optim.Adam(model.parameters(), lr=1e-3)
    t_opt = torch.optim.Adam(twin.parameters(), lr=1e-3, foreach=False)  # per tensor, like nnedu
    return median_time(opt.step, repeats), median_time(t_opt.step, repeats)


def run(quick: bool = False) -> list[Row]:
    repeats = 10 if quick else 100
    rows = []
    o, t, what = lenet_epoch(1 if quick else 5)
    rows.append(ratio_row("LeNet-style CNN, one epoch, batch 64, float32", o, t, 1.2, what))
    o, t = batchnorm_step(repeats)
    rows.append(ratio_row("BatchNorm2d(16) on 64x16x14x14, fwd+bwd", o, t, 1.5))
    o, t = adam_step(repeats)
    rows.append(ratio_row("Adam step, MLP 784-100-50-10 parameters", o, t, 1.5))
    return rows
