"""nnedu.fit: trains a real MLP on the digits, is reproducible, and stops on NaN."""

from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu import nn


def mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10)
    )


@pytest.fixture(scope="module")
def digits():
    X, y = nnedu.data.load_digits()
    return nnedu.data.train_test_split(X, y, test_size=0.25, seed=0)


def train(digits, seed: int = 0, epochs: int = 30):
    X_train, X_test, y_train, y_test = digits
    nnedu.manual_seed(seed)
    model = mlp()
    opt = nnedu.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = nnedu.fit(model, nn.CrossEntropyLoss(), opt, X_train, y_train, epochs=epochs,
                        batch_size=32, validation_data=(X_test, y_test), progress=False)
    return model, history


def test_mlp_64_100_50_10_reaches_96_percent_on_digits(digits):
    model, history = train(digits)
    X_test, y_test = digits[1], digits[3]
    predictions = model.eval()(X_test).argmax(axis=1)
    test_accuracy = np.mean(predictions == y_test)
    assert test_accuracy >= 0.96
    assert history.val_accuracy[-1] == pytest.approx(test_accuracy)
    assert history.loss[-1] < history.loss[0] / 10
    assert len(history.loss) == len(history.accuracy) == 30


def test_same_seed_same_history(digits):
    _, a = train(digits, seed=3, epochs=3)
    _, b = train(digits, seed=3, epochs=3)
    _, c = train(digits, seed=4, epochs=3)
    assert a.loss == b.loss
    assert a.loss != c.loss


def test_regression_with_mse_has_no_accuracy(rng):
    X = rng.normal(size=(200, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    nnedu.manual_seed(0)
    model = nn.Linear(3, 1)
    history = nnedu.fit(model, nn.MSELoss(), nnedu.optim.SGD(model.parameters(), lr=0.1), X, y,
                        epochs=50, batch_size=20, progress=False)
    assert history.accuracy == []
    assert history.loss[-1] < 1e-6
    np.testing.assert_allclose(model.weight.data, [[1.0, -2.0, 0.5]], atol=1e-3)
    np.testing.assert_allclose(model.bias.data, [0.3], atol=1e-3)


def test_divergence_stops_with_a_clear_message(rng):
    X = rng.normal(size=(64, 3)) * 10
    y = rng.normal(size=(64, 1)) * 10
    model = nn.Linear(3, 1)
    with pytest.raises(nnedu.TrainingDiverged) as info:
        nnedu.fit(model, nn.MSELoss(), nnedu.optim.SGD(model.parameters(), lr=10.0), X, y,
                  epochs=100, batch_size=8, progress=False)
    message = str(info.value)
    assert "lr=10.0" in message and "learning rate" in message
    assert ("nan" in message) or ("inf" in message)
    assert isinstance(info.value.history, nnedu.History)


def test_progress_bar_is_shown_in_the_terminal(rng, capsys):
    X = rng.normal(size=(10, 2))
    y = rng.integers(0, 2, size=10)
    model = nn.Linear(2, 2)
    nnedu.fit(model, nn.CrossEntropyLoss(), nnedu.optim.SGD(model.parameters(), lr=0.1), X, y,
              epochs=2, batch_size=5, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "2/2" in err and "loss=" in err


def test_bad_arguments(rng):
    model = nn.Linear(2, 2)
    opt = nnedu.optim.SGD(model.parameters(), lr=0.1)
    X = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match="10 samples and 9 targets"):
        nnedu.fit(model, nn.MSELoss(), opt, X, X[:9], progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        nnedu.fit(model, nn.MSELoss(), opt, X, X, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        nnedu.fit(model, nn.MSELoss(), opt, X, X, epochs=0, progress=False)


def test_accuracy_helper():
    out = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert nnedu.accuracy(out, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert nnedu.accuracy(out, np.array([[0, 1], [1, 0], [0, 1]])) == 1.0
    assert nnedu.accuracy(np.array([0.7, 0.2]), np.array([1.0, 1.0]), nn.BCELoss()) == 0.5
    assert nnedu.accuracy(np.array([[0.7], [0.2]]), np.array([[1.0], [1.0]]), nn.MSELoss()) is None
