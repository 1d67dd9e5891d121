"""One MLP training step (forward, backward, SGD update), float32, nnedu against torch."""

from __future__ import annotations

import numpy as np

import nnedu
from benchmarks.common import Row, median_time, ratio_row, torch_as_installed
from nnedu import nn


def step_nnedu(sizes: list[int], batch: int):
    nnedu.manual_seed(0)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    model = nn.Sequential(*layers[:-1]).float()
    loss_fn = nn.CrossEntropyLoss()
    opt = nnedu.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = rng.random((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], batch)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        opt.step()
    return step


def step_torch(sizes: list[int], batch: int):
    torch = torch_as_installed()
    torch.manual_seed(0)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(batch, sizes[0])
    y = torch.randint(0, sizes[-1], (batch,))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def run(quick: bool = False) -> list[Row]:
    repeats = 30 if quick else 300
    rows = []
    for sizes, batch in [([784, 100, 50, 10], 64), ([64, 100, 50, 10], 32)]:
        ours = median_time(step_nnedu(sizes, batch), repeats, warmup=20)
        theirs = median_time(step_torch(sizes, batch), repeats, warmup=20)
        name = "-".join(map(str, sizes))
        rows.append(ratio_row(f"MLP train step {name}, batch {batch}", ours, theirs, 1.2))
    return rows
