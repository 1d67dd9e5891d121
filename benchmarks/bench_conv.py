"""Convolution and pooling forward + backward, and one epoch of the digits CNN, float32."""

from __future__ import annotations

import numpy as np

import nnedu
from benchmarks.common import Row, median_time, ratio_row, torch_as_installed
from nnedu import nn


def layer_pair(ours, theirs, shape, repeats):
    """Median forward + backward time of an nnedu layer and its torch twin on one input."""
    torch = torch_as_installed()
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    g = np.ones_like(ours(x))

    def step_ours():
        ours(x)
        ours.backward(g)

    xt = torch.tensor(x, requires_grad=True)
    gt = torch.tensor(g)

    def step_theirs():
        theirs(xt).backward(gt)

    return median_time(step_ours, repeats), median_time(step_theirs, repeats)


def digits_cnn_epoch(repeats: int) -> tuple[float, float]:
    torch = torch_as_installed()
    images, labels = nnedu.data.load_digits(flatten=False)
    X = images[:, None].astype(np.float32)
    nnedu.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(256, 10)).float()
    opt = nnedu.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def ours():
        nnedu.fit(model, nn.CrossEntropyLoss(), opt, X, labels, epochs=1, batch_size=32, progress=False)

    twin = nnedu.to_torch(model)
    topt = torch.optim.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    Xt, yt = torch.tensor(X), torch.tensor(labels)
    loss_fn = torch.nn.CrossEntropyLoss()

    def theirs():
        order = torch.randperm(len(Xt))
        for start in range(0, len(Xt), 32):
            idx = order[start:start + 32]
            topt.zero_grad()
            loss_fn(twin(Xt[idx]), yt[idx]).backward()
            topt.step()

    return median_time(ours, repeats, warmup=1), median_time(theirs, repeats, warmup=1)


def page_faults_per_step(steps: int = 50) -> float:
    """Minor page faults per forward + backward of Conv2d 1->8 on 64 28x28 images (getrusage)."""
    import resource

    layer = nn.Conv2d(1, 8, 3).float()
    x = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    g = np.ones_like(layer(x))
    for _ in range(5):
        layer(x)
        layer.backward(g)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        layer(x)
        layer.backward(g)
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps


def run(quick: bool = False) -> list[Row]:
    torch = torch_as_installed()
    repeats = 10 if quick else 100
    rows = []
    for cin, cout, size in [(1, 8, 28), (8, 16, 14)]:
        nnedu.manual_seed(0)
        ours = nn.Conv2d(cin, cout, 3).float()
        theirs = nnedu.to_torch(ours)
        o, t = layer_pair(ours, theirs, (64, cin, size, size), repeats)
        rows.append(ratio_row(f"Conv2d {cin}->{cout} 3x3 on {size}x{size}, batch 64, fwd+bwd", o, t, 2.0))
        out = size - 2
        o, t = layer_pair(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), (64, cout, out, out), repeats)
        rows.append(ratio_row(f"MaxPool2d 2x2 on 64x{cout}x{out}x{out}, fwd+bwd", o, t, 2.0))
    faults = page_faults_per_step()
    rows.append(Row("Conv2d 1->8 3x3 on 28x28, batch 64: minor page faults per fwd+bwd", faults, None, "< 10",
                    faults < 10, "freed memory kept for reuse, nnedu/_memory.py", unit="faults"))
    o, t = digits_cnn_epoch(2 if quick else 5)
    rows.append(Row("digits CNN, one epoch (1797 images, batch 32)", o, t, "for information", True))
    return rows
