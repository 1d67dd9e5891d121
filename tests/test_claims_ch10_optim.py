"""Chapter 10, optimisers: every quantitative claim of the section recomputed independently
(torch.optim and torch autograd, exact formulas), never copied from the notebook's output."""

from __future__ import annotations

import math

import numpy as np
import pytest
from chapters import SEEDS, digits_mlp, quadratic, rosenbrock, three_way_split, torch_optimizer

import nnedu
from nnedu import nn
from nnedu.optim import SGD, Adam, RMSprop
from nnedu.widgets import optimizers as race

torch = pytest.importorskip("torch")



# --- momentum: PyTorch's form and the textbook's -------------------------------------------------

def _textbook_momentum(grad, w0, lrs, mu):
    """u <- mu u - eta_t g; w <- w + u (Nielsen, CS231n), by hand."""
    w, u, path = np.array(w0, dtype=float), np.zeros(len(w0)), []
    for lr in lrs:
        u = mu * u - lr * grad(w)
        w = w + u
        path.append(w.copy())
    return np.array(path)


def _torch_momentum(grad, w0, lrs, mu):
    p = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lrs[0], momentum=mu)
    path = []
    for lr in lrs:
        opt.param_groups[0]["lr"] = lr
        opt.zero_grad()
        p.grad = torch.tensor(grad(p.detach().numpy()))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


def test_pytorch_and_textbook_momentum_agree_for_a_constant_rate_and_differ_when_it_changes():
    grad = lambda w: np.array([1.0, 20.0]) * w          # noqa: E731  the chapter's bowl
    constant = [0.05] * 50
    np.testing.assert_allclose(_torch_momentum(grad, [-9.0, 1.5], constant, 0.9),
                               _textbook_momentum(grad, [-9.0, 1.5], constant, 0.9), rtol=1e-10, atol=1e-12)
    # the chapter's own check is nnedu's SGD: it equals torch's form too
    w = nn.Parameter(np.array([-9.0, 1.5]))
    opt = SGD([w], lr=0.05, momentum=0.9)
    for _ in range(50):
        opt.zero_grad()
        w.grad += grad(w.data)
        opt.step()
    np.testing.assert_allclose(w.data, _textbook_momentum(grad, [-9.0, 1.5], constant, 0.9)[-1], atol=1e-12)
    # a schedule (the rate halves after 10 steps) separates them: "they differ when the rate changes"
    schedule = [0.05] * 10 + [0.025] * 40
    gap = np.abs(_torch_momentum(grad, [-9.0, 1.5], schedule, 0.9)
                 - _textbook_momentum(grad, [-9.0, 1.5], schedule, 0.9)).max()
    assert gap > 1e-2


def test_nesterov_steps_along_gradient_plus_mu_times_velocity():
    """PyTorch's Nesterov: v <- mu v + g, w <- w - lr (g + mu v); by hand against nnedu's SGD."""
    grad = lambda w: np.array([1.0, 100.0]) * w          # noqa: E731
    w = nn.Parameter(np.array([-9.0, 1.0]))
    opt = SGD([w], lr=0.01, momentum=0.9, nesterov=True)
    mine, v = np.array([-9.0, 1.0]), np.zeros(2)
    for _ in range(30):
        opt.zero_grad()
        w.grad += grad(w.data)
        opt.step()
        g = grad(mine)
        v = 0.9 * v + g
        mine = mine - 0.01 * (g + 0.9 * v)
    np.testing.assert_allclose(w.data, mine, rtol=1e-12)


# --- Adam's bias correction ------------------------------------------------------------------------

def test_adam_averages_are_biased_by_one_minus_beta_to_the_t():
    """With a constant gradient g, E[g] = g and the unrolled sum is exact: m_t = (1 - b1^t) g and
    v_t = (1 - b2^t) g^2, read from torch's Adam state (an independent implementation)."""
    g = 0.7
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3)
    for t in range(1, 31):
        opt.zero_grad()
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        state = opt.state[p]
        assert state["exp_avg"].item() == pytest.approx((1 - 0.9**t) * g, rel=1e-12)
        assert state["exp_avg_sq"].item() == pytest.approx((1 - 0.999**t) * g * g, rel=1e-12)


def test_mean_of_m_over_random_gradients_follows_the_derivation():
    """The chapter's Monte-Carlo check, in torch: 20,000 coordinates, g ~ N(1, 1), mean of m_t."""
    gen = torch.Generator().manual_seed(1)
    p = torch.zeros(20_000, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3)
    for t in range(1, 11):
        opt.zero_grad()
        p.grad = 1.0 + torch.randn(20_000, dtype=torch.float64, generator=gen)
        opt.step()
        # m_t has a standard deviation below sqrt((1 - b1) / (1 + b1)) = 0.23, so its mean over 20,000
        # coordinates has a standard error below 0.0016: 0.01 is six of them
        assert abs(opt.state[p]["exp_avg"].mean().item() - (1 - 0.9**t)) < 0.01


@pytest.mark.parametrize("g", [0.01, 3.0, -250.0])
def test_first_adam_step_is_lr_and_would_be_too_large_uncorrected(g):
    lr = 1e-3
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr)
    p.grad = torch.tensor([g], dtype=torch.float64)
    opt.step()
    assert abs(p.item()) / lr == pytest.approx(1.0, rel=1e-5)                  # corrected: one lr
    m, v = opt.state[p]["exp_avg"].item(), opt.state[p]["exp_avg_sq"].item()
    assert abs(m / math.sqrt(v / (1 - 0.999))) == pytest.approx(0.1, rel=1e-12)   # m alone: too small
    assert abs(m / math.sqrt(v)) == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-12)   # both: 3.16 lr
    w = nn.Parameter(np.zeros(1))                                              # nnedu takes the same step
    nnedu_opt = Adam([w], lr=lr)
    w.grad += g
    nnedu_opt.step()
    assert w.data[0] == pytest.approx(p.item(), rel=1e-12)


def test_uncorrected_ratio_peaks_then_decays_towards_one():
    """r_t = (1 - b1^t) / sqrt(1 - b2^t): its maximum over integer t, found by a plain loop."""
    best_t, best = 1, 0.0
    for t in range(1, 5001):
        r = (1 - 0.9**t) / math.sqrt(1 - 0.999**t)
        if r > best:
            best_t, best = t, r
    assert 8 < best_t < 16 and 6.0 < best < 7.0                 # several times too large, early on
    assert 1.0 < (1 - 0.9**1000) / math.sqrt(1 - 0.999**1000) < 1.3
    assert (1 - 0.9**5000) / math.sqrt(1 - 0.999**5000) > 1.0   # from above: too large all along


# --- the race: torch.optim with the surfaces' autograd gradients ------------------------------------

SURFACES = {"ill-conditioned quadratic": (quadratic, (-9.0, 1.0), 100),
            "rosenbrock": (rosenbrock, (-1.5, 2.0), 1000)}


def _torch_losses(surface, name, lr):
    f, start, steps = SURFACES[surface]
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(name, [p], lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(p)
        losses.append(loss.item())
        loss.backward()
        opt.step()
        if not torch.isfinite(p).all() or p.abs().max() > 1e6:
            return np.full(steps + 1, np.inf)
    losses.append(f(p).item())
    return np.array(losses)


@pytest.fixture(scope="module")
def searched():
    """The chapter's rule, in torch: the lowest mean log10 loss among steady runs, on 1e-4 ... 1."""
    grid = [m * 10.0**k for k in range(-4, 0) for m in (1, 2, 5)] + [1.0]
    chosen, losses = {}, {}
    for surface in SURFACES:
        for name in race.RACE:
            runs = {lr: _torch_losses(surface, name, lr) for lr in grid}
            score = {lr: np.mean(np.log10(ls + 1e-300)) if np.isfinite(ls).all() and ls.max() <= ls[0] else np.inf
                     for lr, ls in runs.items()}
            chosen[surface, name] = min(grid, key=lambda lr: score[lr])
            losses[surface, name] = runs[chosen[surface, name]]
    return chosen, losses


def test_the_widget_rates_are_the_searched_ones(searched):
    chosen, _ = searched
    for (surface, name), lr in chosen.items():
        assert race.LEARNING_RATES[surface][name] == lr, (surface, name)


def _reached(losses):
    below = np.flatnonzero(losses < 1e-3)
    return below[0] if len(below) else None


def test_race_on_the_quadratic(searched):
    _, losses = searched
    q = {name: losses["ill-conditioned quadratic", name] for name in race.RACE}
    lr = race.LEARNING_RATES["ill-conditioned quadratic"]
    assert _reached(q["SGD"]) is None and q["SGD"][-1] > 1                        # SGD held back
    # "shrunk w1 only by a factor (1 - eta)^100": the SGD path's w1 after 100 steps, by torch
    p = torch.tensor([-9.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr["SGD"])
    for _ in range(100):
        opt.zero_grad()
        quadratic(p).backward()
        opt.step()
    assert p[0].item() / -9.0 == pytest.approx((1 - lr["SGD"]) ** 100, rel=1e-12)
    assert lr["momentum"] == lr["SGD"] and q["momentum"][-1] < 1e-3
    nesterov = _torch_losses("ill-conditioned quadratic", "Nesterov", lr["momentum"])
    assert nesterov[-1] < q["momentum"][-1]                                      # look-ahead helps here
    reached = {name: _reached(ls) for name, ls in q.items()}
    assert reached["RMSprop"] < reached["Adam"] < reached["momentum"]            # "RMSprop wins by far"
    assert q["RMSprop"][-1] < 1e-10 and q["Adam"][-1] < 1e-3


def test_race_in_rosenbrocks_valley(searched):
    _, losses = searched
    r = {name: losses["rosenbrock", name] for name in race.RACE}
    lr = race.LEARNING_RATES["rosenbrock"]
    assert lr["SGD"] <= 1e-3 and lr["momentum"] <= 1e-3                          # "small rates"
    assert r["SGD"][-1] > 1                                                     # still creeping
    assert r["momentum"][-1] < r["SGD"][-1] / 100                                # much further
    assert r["RMSprop"][-1] > r["momentum"][-1] and np.ptp(r["RMSprop"][-100:]) > 0   # ends bouncing, higher
    assert [name for name, ls in r.items() if _reached(ls) is not None] == ["Adam"]   # the only one
    assert r["Adam"][-1] < 1e-5


# --- the digits ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_runs():
    X, y = nnedu.data.load_digits()
    X_train, X_val, _, y_train, y_val, _ = three_way_split(X, y)
    make = {"SGD": lambda p, lr: SGD(p, lr=lr), "momentum": lambda p, lr: SGD(p, lr=lr, momentum=0.9),
            "RMSprop": lambda p, lr: RMSprop(p, lr=lr), "Adam": lambda p, lr: Adam(p, lr=lr)}

    def run(name, lr, seed):
        nnedu.manual_seed(seed)
        model = digits_mlp()
        return nnedu.fit(model, nn.CrossEntropyLoss(), make[name](model.parameters(), lr), X_train, y_train,
                         epochs=8, batch_size=32, validation_data=(X_val, y_val), progress=False)
    return run


CANDIDATES = {"SGD": (0.1, 0.3, 1.0), "momentum": (0.01, 0.03, 0.1),
              "RMSprop": (1e-3, 3e-3, 1e-2), "Adam": (1e-3, 3e-3, 1e-2)}


def test_digits_rates_and_the_spread(digits_runs):
    chosen, final, epoch2 = {}, {}, {}
    for name, rates in CANDIDATES.items():
        histories = {lr: digits_runs(name, lr, SEEDS[0]) for lr in rates}
        first = {lr: h.val_loss[-1] for lr, h in histories.items()}
        chosen[name] = min(rates, key=first.get)
        assert chosen[name] == rates[1], (name, first)     # an interior rate: the grid brackets the best
        runs = [histories[chosen[name]]] + [digits_runs(name, chosen[name], s) for s in SEEDS[1:]]
        final[name] = np.array([h.val_loss[-1] for h in runs])
        epoch2[name] = np.array([h.val_loss[1] for h in runs])
    # "SGD's rate is 10 times momentum's and 100 times Adam's"
    assert chosen["SGD"] / chosen["momentum"] == pytest.approx(10) and chosen["SGD"] / chosen["Adam"] == pytest.approx(100)
    means = {k: v.mean() for k, v in final.items()}
    gap = max(means.values()) - min(means.values())
    assert gap < 2 * max(v.std() for v in final.values())            # "within the noise of each other"
    assert min(means, key=means.get) in ("RMSprop", "Adam")           # "RMSprop and Adam end a little lower"
    # "they start faster: after two epochs every seed of RMSprop and Adam is below every seed of SGD and momentum"
    adaptive = np.concatenate([epoch2["RMSprop"], epoch2["Adam"]])
    others = np.concatenate([epoch2["SGD"], epoch2["momentum"]])
    assert adaptive.max() < others.min()
