"""A small CNN trained with nnedu.fit reads the real 8x8 digits (chapter 11's network)."""

from __future__ import annotations

import numpy as np
import torch

import nnedu
from nnedu import nn


def cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(),
        nn.Linear(16 * 4 * 4, 10),
    )


def test_cnn_reaches_97_percent_on_digits():
    images, labels = nnedu.data.load_digits(flatten=False)
    X_train, X_test, y_train, y_test = nnedu.data.train_test_split(
        images[:, None], labels, test_size=0.2, seed=0, stratify=True)
    nnedu.manual_seed(0)
    model = cnn()
    history = nnedu.fit(model, nn.CrossEntropyLoss(), nnedu.optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
                        X_train, y_train, epochs=15, batch_size=32, progress=False)
    accuracy = np.mean(model.eval()(X_test).argmax(axis=1) == y_test)
    assert accuracy >= 0.97, accuracy
    assert history.loss[-1] < history.loss[0] / 10


def test_cnn_converts_to_torch_with_equal_outputs_and_gradients(rng):
    nnedu.manual_seed(1)
    model = cnn()
    twin = nnedu.to_torch(model)
    x = rng.normal(size=(3, 1, 8, 8))
    out = model(x)
    xt = torch.tensor(x, requires_grad=True)
    out_t = twin(xt)
    assert nnedu.relative_error(out, out_t.detach().numpy()) < 1e-10
    g = rng.normal(size=out.shape)
    dx = model.backward(g)
    out_t.backward(torch.tensor(g))
    assert nnedu.relative_error(dx, xt.grad.numpy()) < 1e-10
    torch_grads = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        assert nnedu.relative_error(p.grad, torch_grads[name.removeprefix("layers.")].grad.numpy()) < 1e-10
