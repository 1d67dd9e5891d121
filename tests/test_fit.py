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


def test_a_validation_loss_that_overflows_stops_with_a_clear_message(rng):
    """Training is fine, but the weights read the validation digits as infinity: that is divergence too,
    reported like the training loss's, not as a bare numpy warning from inside a layer."""
    X, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 1))
    model = nn.Linear(3, 1)
    with pytest.raises(nnedu.TrainingDiverged) as info:
        nnedu.fit(model, nn.MSELoss(), nnedu.optim.SGD(model.parameters(), lr=0.01), X, y, epochs=3,
                  validation_data=(X * 1e200, y), progress=False)
    message = str(info.value)
    assert "validation loss became inf in epoch 1" in message and "lr=0.01" in message
    history = info.value.history
    assert history.loss == [] and history.val_loss == []    # only finished epochs, and epoch 1 did not finish


def test_an_overflow_that_the_validation_loss_survives_is_silent_as_in_training():
    """A ReLU turns -inf into 0: the loss is finite, so there is nothing to report (pyproject.toml turns
    nnedu's RuntimeWarnings into errors)."""
    model = nn.Sequential(nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1))
    model[0].weight.data[:] = 1e10
    X, y = np.ones((4, 1)), np.ones((4, 1))
    history = nnedu.fit(model, nn.MSELoss(), nnedu.optim.SGD(model.parameters(), lr=1e-12), X, y, epochs=1,
                        validation_data=(np.full((2, 1), -1e300), np.ones((2, 1))), progress=False)
    assert np.isfinite(history.val_loss[0])


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
    # The targets decide, not the loss class: 0/1 targets are classes whatever the loss,
    # other real-valued targets are a regression with no accuracy.
    assert nnedu.accuracy(np.array([[0.7], [0.2]]), np.array([[1.0], [1.0]])) == 0.5
    assert nnedu.accuracy(np.array([0.3, -0.2, 0.9]), np.array([1, -1, -1])) == pytest.approx(2 / 3)
    assert nnedu.accuracy(np.array([[0.7], [0.2]]), np.array([[1.5], [0.25]])) is None


# -- the mini-batch iterator, train_epoch and evaluate ----------------------------------

def test_batches_cover_every_sample_once_in_a_seeded_order():
    X, y = np.arange(10)[:, None] * 1.0, np.arange(10)
    got = list(nnedu.data.batches(X, y, 4, rng=np.random.default_rng(0)))
    assert [len(xb) for xb, _ in got] == [4, 4, 2]
    seen = np.concatenate([yb for _, yb in got])
    assert sorted(seen) == list(range(10)) and list(seen) != list(range(10))
    assert all((xb[:, 0] == yb).all() for xb, yb in got)      # rows stay with their targets
    again = np.concatenate([yb for _, yb in nnedu.data.batches(X, y, 4, rng=np.random.default_rng(0))])
    np.testing.assert_array_equal(seen, again)
    ordered = [yb.tolist() for _, yb in nnedu.data.batches(X, y, 4, shuffle=False, drop_last=True)]
    assert ordered == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert nnedu.data.num_batches(10, 4) == 3 and nnedu.data.num_batches(10, 4, drop_last=True) == 2
    assert list(nnedu.data.batches(np.zeros((0, 2)), np.zeros(0), 4)) == []
    with pytest.raises(ValueError, match="positive integer batch_size"):
        next(nnedu.data.batches(X, y, 0))
    with pytest.raises(ValueError, match="10 samples and 9 targets"):
        next(nnedu.data.batches(X, y[:-1], 2))


def test_train_epoch_is_the_five_steps(rng):
    """One epoch of train_epoch equals the five steps written out by hand, batch by batch."""
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, size=20)
    nnedu.manual_seed(0)
    a = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    b = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    b.load_state_dict(a.state_dict())
    batches = list(nnedu.data.batches(X, y, 6, rng=np.random.default_rng(1)))
    loss, acc = nnedu.train_epoch(a, nn.CrossEntropyLoss(), nnedu.optim.Adam(a.parameters(), lr=0.1), batches)
    opt, loss_fn, losses = nnedu.optim.Adam(b.parameters(), lr=0.1), nn.CrossEntropyLoss(), []
    for xb, yb in batches:
        opt.zero_grad()
        losses.append(loss_fn(b(xb), yb) * len(xb))
        b.backward(loss_fn.backward())
        opt.step()
    assert loss == pytest.approx(sum(losses) / 20)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    with pytest.raises(ValueError, match="no batches"):
        nnedu.train_epoch(a, loss_fn, opt, [])


def test_train_epoch_is_short_enough_to_print():
    import inspect
    assert len(inspect.getsource(nnedu.train_epoch).splitlines()) <= 25


def test_fit_with_adam_and_a_schedule(digits):
    X_train, X_test, y_train, y_test = digits
    nnedu.manual_seed(0)
    model = mlp()
    opt = nnedu.optim.Adam(model.parameters(), lr=0.01)
    sched = nnedu.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = nnedu.fit(model, nn.CrossEntropyLoss(), opt, X_train, y_train, epochs=5, progress=False,
                        validation_data=(X_test, y_test), scheduler=sched)
    assert history.lr == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025])
    assert history.val_accuracy[-1] > 0.9


def test_evaluate_keeps_a_pending_loss_gradient(rng):
    model, loss_fn = nn.Linear(3, 2), nn.CrossEntropyLoss()
    X, y = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    loss_fn(model(X), y)
    pending = loss_fn.backward().copy()
    nnedu.evaluate(model, loss_fn, rng.normal(size=(7, 3)), rng.integers(0, 2, size=7))
    np.testing.assert_array_equal(loss_fn.backward(), pending)


def test_static_mode_prints_one_summary_line(monkeypatch, capsys, rng):
    monkeypatch.setenv("NNEDU_STATIC", "1")
    model = nn.Linear(2, 2)
    nnedu.fit(model, nn.CrossEntropyLoss(), nnedu.optim.SGD(model.parameters(), lr=0.1),
              rng.normal(size=(8, 2)), rng.integers(0, 2, size=8), epochs=2)
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and captured.out.startswith("2 epochs: loss ")
    assert "it/s" not in captured.out + captured.err and "%" not in captured.out + captured.err
    monkeypatch.setenv("NNEDU_STATIC", "0")  # "0" means off, as everywhere
    from nnedu._static import static_mode
    assert not static_mode()
