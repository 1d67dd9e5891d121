"""The claims the chapters 7, 9 and 11 make about their numbers, recomputed independently of the notebooks."""

from __future__ import annotations

import numpy as np
import pytest
from chapters import digits_mlp as mlp
from chapters import l2_groups, three_way_split

import nnedu
from nnedu import nn
from nnedu.data import load_digits
from nnedu.optim import SGD


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


def test_ch9_parameter_count_and_final_accuracy(digits):
    X_train, X_val, X_test, y_train, y_val, y_test = digits
    assert sum(p.data.size for p in mlp().parameters()) == 64 * 100 + 100 + 100 * 50 + 50 + 50 * 10 + 10
    nnedu.manual_seed(0)
    model = mlp()
    nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9), X_train, y_train,
              epochs=30, batch_size=32, progress=False)
    assert np.mean(model.eval()(X_test).argmax(1) == y_test) >= 0.96


def test_ch9_overfitting_and_l2(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    small_X, small_y = X_train[:150], y_train[:150]

    def train(lam):
        nnedu.manual_seed(0)
        model = mlp()
        optimizer = SGD(l2_groups(model, lam, len(small_X)), lr=0.05, momentum=0.9)
        assert [g["weight_decay"] for g in optimizer.param_groups] == [lam / 150, 0.0]
        assert sum(len(g["params"]) for g in optimizer.param_groups) == 6      # 3 weights, 3 biases, each once
        return nnedu.fit(model, nn.CrossEntropyLoss(), optimizer, small_X, small_y, epochs=200, batch_size=32,
                         validation_data=(X_val, y_val), progress=False)

    plain, l2, too_much = train(0.0), train(0.5), train(5.0)
    assert plain.loss[-1] < 1e-2                                   # the training set is memorised
    assert plain.val_loss[-1] > 1.25 * min(plain.val_loss)        # while validation loss turns round
    assert np.argmin(plain.val_loss) < 50
    assert l2.val_loss[-1] < plain.val_loss[-1]                   # moderate L2 keeps it lower
    assert too_much.val_loss[-1] > plain.val_loss[-1] and too_much.loss[-1] > l2.loss[-1]   # underfits


def test_ch11_cnn_monitored_on_a_validation_split():
    """Chapter 11 splits like chapter 9: fit watches the validation set; the test set is not used in training."""
    images, labels = load_digits(flatten=False)
    X_train, X_val, X_test, y_train, y_val, y_test = three_way_split(images, labels)
    assert (len(X_train), len(X_val), len(X_test)) == (1077, 360, 360)
    train_rows = {row.tobytes() for row in X_train}
    assert not any(row.tobytes() in train_rows for row in X_val) and not any(row.tobytes() in train_rows
                                                                                for row in X_test)
    nnedu.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 10))
    history = nnedu.fit(cnn, nn.CrossEntropyLoss(), SGD(cnn.parameters(), lr=0.05, momentum=0.9), X_train[:, None],
                        y_train, epochs=15, batch_size=32, validation_data=(X_val[:, None], y_val), progress=False)
    assert len(history.val_loss) == 15 and history.val_loss[-1] < 0.5 * history.val_loss[0]
    assert np.mean(cnn.eval()(X_val[:, None]).argmax(1) == y_val) >= 0.95
    assert sum(p.data.size for p in cnn.parameters()) < sum(p.data.size for p in mlp().parameters()) / 3
