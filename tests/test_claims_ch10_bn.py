"""Chapter 10's sections on learning-rate schedules and batch normalisation, recomputed independently.

- Schedules: ``StepLR`` and ``ExponentialLR`` against the closed formulas and ``torch.optim.lr_scheduler``,
  also through ``nnedu.fit``'s ``scheduler=``; the "start high, then lower" experiment over three seeds.
- Batch normalisation: the forward equations and the running statistics (unbiased variance) against
  ``torch.nn.BatchNorm1d``; the compact backward, written here from the derivation, against torch
  autograd and finite differences of a forward written here too; the deep MLP with and without it
  (learning curves, a grid of rates) and the train-mode evaluation bug, with the chapter's conclusions.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from chapters import SEEDS, digits_mlp

import nnedu
from nnedu import nn
from nnedu.optim import SGD
from nnedu.optim.lr_scheduler import StepLR

EPS = 1e-5


# --- schedules: the formulas ----------------------------------------------------------------------------

LR0 = 0.15
SCHEDULES = [  # (class name, options, closed formula of epoch t)
    ("StepLR", dict(step_size=10, gamma=0.1), lambda t: LR0 * 0.1 ** (t // 10)),      # the chapter's
    ("StepLR", dict(step_size=3, gamma=0.5), lambda t: LR0 * 0.5 ** (t // 3)),
    ("ExponentialLR", dict(gamma=0.1 ** (1 / 10)), lambda t: LR0 * np.exp(t * np.log(0.1) / 10)),
    ("ExponentialLR", dict(gamma=0.9), lambda t: LR0 * 0.9 ** t),
]


def nnedu_rates(name: str, options: dict, epochs: int) -> np.ndarray:
    optimizer = SGD([nn.Parameter(np.zeros(2))], lr=LR0)
    scheduler = getattr(nnedu.optim.lr_scheduler, name)(optimizer, **options)
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize("name, options, formula", SCHEDULES,
                         ids=["step-10-0.1", "step-3-0.5", "exp-0.1^(1/10)", "exp-0.9"])
def test_schedules_follow_their_closed_formula_and_torch(name, options, formula):
    torch = pytest.importorskip("torch")
    t = np.arange(30)
    ours = nnedu_rates(name, options, len(t))
    np.testing.assert_allclose(ours, formula(t), rtol=1e-12)
    weight = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=LR0)
    scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **options)
    theirs = []
    for _ in t:
        theirs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_fit_steps_the_scheduler_once_per_epoch_and_records_each_epochs_rate():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, size=40)
    nnedu.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    optimizer = SGD(model.parameters(), lr=LR0)
    history = nnedu.fit(model, nn.CrossEntropyLoss(), optimizer, X, y, epochs=7, batch_size=8, progress=False,
                        scheduler=StepLR(optimizer, step_size=3, gamma=0.1))
    np.testing.assert_allclose(history.lr, LR0 * 0.1 ** (np.arange(7) // 3), rtol=1e-12)


# --- schedules: start high, then lower -------------------------------------------------------------------


@pytest.fixture(scope="module")
def schedule_runs(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    runs: dict[str, list[nnedu.History]] = {}
    for key in ("high", "low", "decayed"):
        runs[key] = []
        for seed in SEEDS:
            nnedu.manual_seed(seed)
            model = digits_mlp()
            optimizer = SGD(model.parameters(), lr=0.015 if key == "low" else 0.15, momentum=0.9)
            scheduler = StepLR(optimizer, step_size=10, gamma=0.1) if key == "decayed" else None
            runs[key].append(nnedu.fit(model, nn.CrossEntropyLoss(), optimizer, X_train, y_train, epochs=15,
                                       batch_size=32, validation_data=(X_val, y_val), scheduler=scheduler,
                                       progress=False))
    return runs, len(X_val)


def test_the_decayed_run_is_the_high_run_until_the_step_then_its_training_loss_drops(schedule_runs):
    runs, _ = schedule_runs
    for high, decayed in zip(runs["high"], runs["decayed"]):
        np.testing.assert_array_equal(high.loss[:10], decayed.loss[:10])
        np.testing.assert_allclose(decayed.lr, [0.15] * 10 + [0.015] * 5, rtol=1e-12)
    loss = {key: np.array([h.loss for h in histories]).mean(axis=0) for key, histories in runs.items()}
    assert loss["decayed"][10] < 0.5 * loss["decayed"][9]             # "drops at once ... in one epoch"
    assert np.all(np.diff(loss["decayed"][9:]) < 0)                   # "and keeps falling"
    after = loss["high"][10:]                                         # the high rate, same epochs:
    assert np.any(np.diff(after) > 0) and np.any(np.diff(after) < 0)  # "goes up and down"
    assert loss["decayed"][-1] < 0.3 * after.min()
    assert loss["decayed"][-1] < 0.3 * loss["low"][-1]


def test_start_high_then_lower_ends_with_the_lowest_validation_loss(schedule_runs):
    runs, n_val = schedule_runs
    val_loss = {key: np.array([h.val_loss[-1] for h in histories]) for key, histories in runs.items()}
    acc = {key: np.array([h.val_accuracy[-1] for h in histories]) for key, histories in runs.items()}
    # Lowest validation loss; the lead over the low rate is a real one (about twice the larger spread),
    # and over the high rate larger still.
    gap = val_loss["low"].mean() - val_loss["decayed"].mean()
    ratio = gap / max(val_loss["low"].std(), val_loss["decayed"].std())
    assert 1.5 < ratio < 4
    assert val_loss["high"].mean() - val_loss["decayed"].mean() > gap
    # The highest accuracy too, but the gain over the low rate is about one standard error: not conclusive.
    assert acc["decayed"].mean() == max(a.mean() for a in acc.values())
    p = acc["decayed"].mean()
    standard_error = np.sqrt(p * (1 - p) / n_val)
    assert 0.5 * standard_error < acc["decayed"].mean() - acc["low"].mean() < 2 * standard_error


# --- batch normalisation: forward and running statistics --------------------------------------------------


def chapter_batch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[2.0, -1.0, 0.5], scale=[3.0, 0.5, 1.0], size=(6, 3))
    return x, np.array([0.5, 2.0, -1.5]), np.array([0.1, 0.0, -0.3])


def test_forward_and_running_statistics_equal_torch_with_the_unbiased_running_variance():
    torch = pytest.importorskip("torch")
    x, gamma, beta = chapter_batch()
    ours = nn.BatchNorm1d(3)
    assert ours.weight is not None and ours.bias is not None
    ours.weight.data[:], ours.bias.data[:] = gamma, beta
    theirs = torch.nn.BatchNorm1d(3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))
    rng = np.random.default_rng(5)
    for batch in [x, rng.normal(1.0, 2.0, size=(6, 3)), rng.normal(size=(4, 3))]:
        np.testing.assert_allclose(ours(batch), theirs(torch.tensor(batch)).detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)

    # After the chapter's one batch: m mu_B and (1 - m) + m N/(N-1) sigma_B^2 (not the biased variance).
    layer = nn.BatchNorm1d(3)
    layer(x)
    N = len(x)
    biased = np.var(x, axis=0)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * np.var(x, axis=0, ddof=1), rtol=1e-12)
    assert not np.allclose(layer.running_var, 0.9 + 0.1 * biased)
    np.testing.assert_allclose(np.var(x, axis=0, ddof=1), N / (N - 1) * biased, rtol=1e-12)
    # Evaluation mode normalises with those estimates, as torch does.
    theirs = torch.nn.BatchNorm1d(3).double()
    theirs(torch.tensor(x))
    layer.eval()
    theirs.eval()
    np.testing.assert_allclose(layer(x), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer(x), (x - layer.running_mean) / np.sqrt(layer.running_var + EPS), rtol=1e-12)


def test_a_bias_before_batch_norm_does_nothing_and_pairs_normalise_to_plus_minus_one():
    x, _, _ = chapter_batch()
    layer = nn.BatchNorm1d(3)
    np.testing.assert_allclose(layer(x + np.array([5.0, -2.0, 0.7])), layer(x), atol=1e-12)
    # N = 2: x_hat_1 = -x_hat_2 = (d/2) / sqrt(d^2/4 + eps) with d = x_1 - x_2, which is +-1 up to eps.
    half = (x[0] - x[1]) / 2
    pair = nn.BatchNorm1d(3)(x[:2])
    np.testing.assert_allclose(pair[0], half / np.sqrt(half ** 2 + EPS), rtol=1e-12)
    np.testing.assert_allclose(pair[1], -pair[0], rtol=1e-12)
    np.testing.assert_allclose(np.abs(nn.BatchNorm1d(3, eps=1e-14)(x[:2])), 1.0, rtol=1e-9)


# --- batch normalisation: the compact backward ----------------------------------------------------------


def forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = EPS) -> np.ndarray:
    """y = gamma (x - mu_B) / sqrt(sigma_B^2 + eps) + beta, per column, written from the equations."""
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def compact_backward(x: np.ndarray, dy: np.ndarray, gamma: np.ndarray,
                     eps: float = EPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dx = gamma / (N sigma_B) (N dy - sum dy - x_hat sum dy x_hat), dL/dgamma, dL/dbeta."""
    N = len(x)
    sigma = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / sigma
    dx = gamma / (N * sigma) * (N * dy - dy.sum(axis=0) - x_hat * (dy * x_hat).sum(axis=0))
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def finite_differences(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


CASES = [(6, 3, 0), (2, 4, 1), (32, 5, 2), (9, 1, 3)]   # (N, C, seed): the chapter's shape, a pair, ...


@pytest.mark.parametrize("N, C, seed", CASES)
def test_compact_backward_equals_torch_autograd_and_nnedu(N, C, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.normal(size=C), rng.uniform(0.3, 3.0, size=C), size=(N, C))
    gamma, beta, dy = rng.normal(size=C), rng.normal(size=C), rng.normal(size=(N, C))   # gamma may be < 0
    dx, dgamma, dbeta = compact_backward(x, dy, gamma)

    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    torch.nn.functional.batch_norm(xt, None, None, gt, bt, training=True, eps=EPS).backward(torch.tensor(dy))
    for mine, theirs in [(dx, xt.grad), (dgamma, gt.grad), (dbeta, bt.grad)]:
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-9, atol=1e-11)

    layer = nn.BatchNorm1d(C)
    assert layer.weight is not None and layer.bias is not None
    layer.weight.data[:], layer.bias.data[:] = gamma, beta
    layer(x)
    np.testing.assert_allclose(layer.backward(dy), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(layer.weight.grad, gt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(layer.bias.grad, bt.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("N, C, seed", CASES)
def test_compact_backward_equals_finite_differences(N, C, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(rng.normal(size=C), rng.uniform(0.3, 3.0, size=C), size=(N, C))
    gamma, beta, dy = rng.normal(size=C), rng.normal(size=C), rng.normal(size=(N, C))
    dx, dgamma, dbeta = compact_backward(x, dy, gamma)
    np.testing.assert_allclose(dx, finite_differences(lambda v: np.sum(dy * forward(v, gamma, beta)), x),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dgamma, finite_differences(lambda g: np.sum(dy * forward(x, g, beta)), gamma),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dbeta, finite_differences(lambda b: np.sum(dy * forward(x, gamma, b)), beta),
                               rtol=1e-6, atol=1e-7)


def test_the_input_gradient_sums_to_zero_and_is_orthogonal_to_x_hat_without_eps():
    rng = np.random.default_rng(4)
    x, dy, gamma = rng.normal(2.0, 0.2, size=(10, 3)), rng.normal(size=(10, 3)), rng.normal(size=3)
    dx, _, _ = compact_backward(x, dy, gamma)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)
    x_hat = (x - x.mean(axis=0)) / x.std(axis=0)
    scale = np.abs(dx).sum(axis=0)
    assert np.all(np.abs((x_hat * dx).sum(axis=0)) > 1e-6 * scale)            # with eps: only nearly zero
    dx0, _, _ = compact_backward(x, dy, gamma, eps=0.0)
    np.testing.assert_allclose((x_hat * dx0).sum(axis=0), 0.0, atol=1e-10)


# --- batch normalisation: the deep network ----------------------------------------------------------------

RATES = (0.03, 0.1, 0.3, 1.0, 3.0)


def deep_mlp(batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    n_in = 64
    for _ in range(7):
        linear = nn.Linear(n_in, 32)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        assert linear.bias is not None
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.BatchNorm1d(32), nn.ReLU()] if batch_norm else [linear, nn.ReLU()]
        n_in = 32
    return nn.Sequential(*layers, nn.Linear(n_in, 10))


@pytest.fixture(scope="module")
def deep_runs(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    runs: dict[tuple[bool, float], list[tuple[nn.Sequential, nnedu.History | None]]] = {}
    for batch_norm in (False, True):
        for lr in RATES:
            runs[batch_norm, lr] = []
            for seed in SEEDS:
                nnedu.manual_seed(seed)
                model = deep_mlp(batch_norm)
                try:
                    history = nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr), X_train,
                                        y_train, epochs=8, batch_size=32, validation_data=(X_val, y_val),
                                        progress=False)
                except nnedu.TrainingDiverged:
                    history = None
                runs[batch_norm, lr].append((model, history))
    return runs


def test_batch_norm_trains_the_deep_network_much_faster(deep_runs):
    curves = {bn: np.array([h.val_accuracy for _, h in deep_runs[bn, 0.1]]) for bn in (False, True)}
    second = {bn: c[:, 1] for bn, c in curves.items()}
    gap = second[True].mean() - second[False].mean()
    assert gap > 5 * max(second[True].std(), second[False].std())   # "a gap many times the larger spread"
    assert np.all(curves[True].mean(axis=0) > curves[False].mean(axis=0))       # ahead at every epoch
    assert curves[True][:, -1].mean() > curves[False][:, -1].mean() + 0.03


def test_batch_norm_widens_the_range_of_rates_that_work(deep_runs):
    acc = {key: np.array([h.val_accuracy[-1] if h else np.nan for _, h in runs]) for key, runs in deep_runs.items()}
    mean = {key: np.nanmean(a) for key, a in acc.items()}
    # Without BN: 0.1 is the best rate, 0.03 and 0.1 learn, 0.3 is unsteady, 1 stays at chance, 3 diverges.
    assert max(RATES, key=lambda lr: mean[False, lr]) == 0.1
    assert mean[False, 0.03] > 0.75 and mean[False, 0.1] > 0.85
    assert mean[False, 0.3] < 0.6 and np.std(acc[False, 0.3]) > 0.1
    assert mean[False, 1.0] < 0.15
    assert np.isnan(acc[False, 3.0]).sum() >= 1 and np.nanmax(acc[False, 3.0]) < 0.15
    # With BN: every rate from 0.1 to 1 works, with small spreads; 3 fails; all seeds finish.
    for lr in (0.1, 0.3, 1.0):
        assert mean[True, lr] > 0.94 and np.std(acc[True, lr]) < 0.02
    assert mean[True, 3.0] < 0.5
    assert not any(np.isnan(acc[True, lr]).any() for lr in RATES)
    # At 0.03 neither has finished learning.
    assert mean[True, 0.03] < 0.9 and mean[False, 0.03] < 0.9
    assert mean[True, 0.03] < mean[True, 0.1] - 0.05


def test_evaluating_in_training_mode_makes_predictions_depend_on_the_batch(deep_runs, digits):
    torch = pytest.importorskip("torch")
    _, X_val, _, _, y_val, _ = digits

    def accuracy(model: nn.Module, batches: list[np.ndarray]) -> float:
        return sum(np.sum(model(X_val[i]).argmax(axis=1) == y_val[i]) for i in batches) / len(X_val)

    every = np.arange(len(X_val))
    results: dict[str, list[float]] = {"eval": [], "all": [], "pairs": [], "class": []}
    for model, _ in deep_runs[True, 0.1]:
        model = copy.deepcopy(model)
        results["eval"].append(accuracy(model.eval(), [every]))
        pairs = np.array_split(every, len(every) // 2)
        np.testing.assert_allclose(np.concatenate([model(X_val[i]) for i in pairs]), model(X_val),
                                   rtol=1e-12, atol=1e-12)      # evaluation mode: the batch does not matter
        before = model.state_dict()
        results["all"].append(accuracy(copy.deepcopy(model).train(), [every]))
        results["pairs"].append(accuracy(copy.deepcopy(model).train(), pairs))
        results["class"].append(accuracy(copy.deepcopy(model).train(), [np.flatnonzero(y_val == d) for d in range(10)]))
        after = model.state_dict()
        assert all(np.array_equal(before[k], after[k]) for k in before)     # the copies kept it untouched
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            copy.deepcopy(model).train()(X_val[:1])
    mean = {k: np.mean(v) for k, v in results.items()}
    assert mean["eval"] > 0.94
    assert abs(mean["all"] - mean["eval"]) < 0.02             # one large batch: almost the same
    assert mean["pairs"] < 0.4                                # pairs: collapses
    assert mean["class"] < 0.2                                # one class per batch: no better than guessing
    # torch refuses a single example in training mode too.
    with pytest.raises(ValueError):
        torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))


@pytest.mark.parametrize("name, options", [("StepLR", dict(step_size=3, gamma=0.5)),
                                           ("StepLR", dict(step_size=5, gamma=0.5)),
                                           ("ExponentialLR", dict(gamma=0.8))])
def test_a_resumed_schedule_continues_from_the_saved_rate_as_torchs_does(name, options):
    """Resuming at last_epoch = 5 with the rate the optimizer had: creating the scheduler (its epoch 6)
    changes the rate as torch's does: ExponentialLR not at all (torch's initial step only counts), StepLR
    at a multiple of its step."""
    torch = pytest.importorskip("torch")
    ours_opt = SGD([nn.Parameter(np.zeros(1))], lr=0.2)
    weight = torch.zeros(1, requires_grad=True)
    theirs_opt = torch.optim.SGD([weight], lr=0.2)
    for optimizer in (ours_opt, theirs_opt):
        optimizer.param_groups[0]["initial_lr"] = 0.4
    ours = getattr(nnedu.optim.lr_scheduler, name)(ours_opt, last_epoch=5, **options)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, last_epoch=5, **options)
    rates = []
    for _ in range(8):
        rates.append((ours_opt.param_groups[0]["lr"], theirs_opt.param_groups[0]["lr"]))
        theirs_opt.step()
        ours.step()
        theirs.step()
    ours_rates, theirs_rates = np.array(rates).T
    np.testing.assert_allclose(ours_rates, theirs_rates, rtol=1e-12)
