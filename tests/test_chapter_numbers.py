"""The claims the chapters 7, 9 and 10 make about their numbers, recomputed independently of the notebooks."""

from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu import nn
from nnedu.optim import SGD


def mlp(n_in: int = 64, dropout: float = 0.0) -> nn.Sequential:
    extra = [nn.Dropout(dropout)] if dropout else []
    return nn.Sequential(nn.Linear(n_in, 100), nn.ReLU(), *extra, nn.Linear(100, 50), nn.ReLU(), *extra,
                         nn.Linear(50, 10))


@pytest.fixture(scope="module")
def splits():
    X, y = nnedu.data.load_digits()
    X_rest, X_test, y_rest, y_test = nnedu.data.train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    X_train, X_val, y_train, y_val = nnedu.data.train_test_split(X_rest, y_rest, test_size=0.25, seed=0,
                                                                 stratify=True)
    return X_train, X_val, X_test, y_train, y_val, y_test


@pytest.mark.parametrize("lr, converges", [(0.05, True), (0.5, True), (0.9, True), (0.95, True),
                                           (1.01, False), (1.05, False)])
def test_ch7_quadratic_learning_rate_bound(lr, converges):
    """On L = (w - 7)^2, L'' = 2: the distance to 7 is multiplied by |1 - 2 lr| each step."""
    w = nn.Parameter(np.array([0.0]))
    opt = SGD([w], lr=lr)
    for _ in range(200):
        opt.zero_grad()
        w.grad += 2 * (w.data - 7.0)
        opt.step()
    assert (abs(w.data[0] - 7.0) < 1e-3) == converges
    assert abs(w.data[0] - 7.0) == pytest.approx(7.0 * abs(1 - 2 * lr) ** 200, rel=1e-6, abs=1e-12)


def test_ch9_parameter_count_and_final_accuracy(splits):
    X_train, X_val, X_test, y_train, y_val, y_test = splits
    assert sum(p.data.size for p in mlp().parameters()) == 64 * 100 + 100 + 100 * 50 + 50 + 50 * 10 + 10
    nnedu.manual_seed(0)
    model = mlp()
    nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9), X_train, y_train,
              epochs=30, batch_size=32, progress=False)
    assert np.mean(model.eval()(X_test).argmax(1) == y_test) >= 0.96


def test_ch9_overfitting_and_l2(splits):
    X_train, X_val, _, y_train, y_val, _ = splits

    def train(weight_decay):
        nnedu.manual_seed(0)
        model = mlp()
        return nnedu.fit(model, nn.CrossEntropyLoss(),
                         SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=weight_decay),
                         X_train[:150], y_train[:150], epochs=300, batch_size=32,
                         validation_data=(X_val, y_val), progress=False)

    plain, l2, too_much = train(0.0), train(1e-2), train(3e-2)
    assert plain.loss[-1] < 1e-2                                   # the training set is memorised
    assert plain.val_loss[-1] > 1.25 * min(plain.val_loss)        # while validation loss turns round
    assert np.argmin(plain.val_loss) < 100
    assert l2.val_loss[-1] < plain.val_loss[-1]                   # moderate L2 keeps it lower
    assert too_much.val_loss[-1] > l2.val_loss[-1] and too_much.loss[-1] > l2.loss[-1]   # underfits


def test_ch10_cnn_loses_less_than_the_mlp_on_shifted_digits():
    images, labels = nnedu.data.load_digits(flatten=False)
    X_train, X_test, y_train, y_test = nnedu.data.train_test_split(images, labels, test_size=0.2, seed=0,
                                                                   stratify=True)
    shifted = np.zeros_like(X_test)
    shifted[..., 1:] = X_test[..., :-1]
    nnedu.manual_seed(0)
    dense = mlp()
    nnedu.fit(dense, nn.CrossEntropyLoss(), SGD(dense.parameters(), lr=0.05, momentum=0.9),
              X_train.reshape(len(X_train), -1), y_train, epochs=30, batch_size=32, progress=False)
    nnedu.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 10))
    nnedu.fit(cnn, nn.CrossEntropyLoss(), SGD(cnn.parameters(), lr=0.05, momentum=0.9),
              X_train[:, None], y_train, epochs=15, batch_size=32, progress=False)
    acc = lambda model, X: np.mean(model.eval()(X).argmax(1) == y_test)  # noqa: E731
    dense_drop = acc(dense, X_test.reshape(len(X_test), -1)) - acc(dense, shifted.reshape(len(X_test), -1))
    cnn_drop = acc(cnn, X_test[:, None]) - acc(cnn, shifted[:, None])
    assert acc(cnn, X_test[:, None]) >= 0.97
    assert cnn_drop < dense_drop
    assert sum(p.data.size for p in cnn.parameters()) < sum(p.data.size for p in dense.parameters()) / 3
