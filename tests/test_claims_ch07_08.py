"""The claims chapters 7 (gradient descent) and 8 (backpropagation) make from a computation, recomputed.

Each test recomputes a claim of the prose independently of the notebook: derivatives with PyTorch's
autograd, backpropagation written out here from BP1-BP4, operation counts with PyTorch's FLOP counter,
and the training claims by training again. No expected value is copied from a notebook's output.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import nnedu
from nnedu import nn
from nnedu.optim import SGD

torch = pytest.importorskip("torch")

DIGITS_MLP = (64, 100, 50, 10)


# --------------------------------------------------------------------------------------------------
# Chapter 7: what a derivative promises
# --------------------------------------------------------------------------------------------------

def tutorial_loss(w1: Any) -> Any:
    """V. Zhou's tutorial network: inputs (-2, -1), target 1, every weight 1 but w1, every bias 0, L = (t - o)^2."""
    x1, x2, t = -2.0, -1.0, 1.0
    h1 = torch.sigmoid(w1 * x1 + x2)
    h2 = torch.sigmoid(torch.tensor(x1 + x2, dtype=torch.float64))
    o = torch.sigmoid(h1 + h2)
    return (t - o) ** 2


def tutorial_slope() -> float:
    w1 = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    tutorial_loss(w1).backward()
    return float(w1.grad)


def tutorial_change(dw: float) -> float:
    w1 = torch.tensor(1.0, dtype=torch.float64)
    return float(tutorial_loss(w1 + dw) - tutorial_loss(w1))


def test_ch7_the_decks_slope_is_the_tutorial_networks_derivative():
    slope = tutorial_slope()
    assert slope == pytest.approx(0.0214, abs=1e-4)            # the deck's value, to its rounding
    assert round(slope, 4) != 0.0214                            # unrounded it is 0.02147 ...
    assert round(-0.952 * 0.249 * -0.0904, 4) == 0.0214         # ... the deck multiplied rounded factors


def test_ch7_a_derivative_predicts_only_small_changes():
    slope = tutorial_slope()
    assert tutorial_change(1.0) < 0.5 * slope                   # one unit up: less than half the promise
    assert -tutorial_change(-1.0) > 2.0 * slope                 # one unit down: more than twice
    assert tutorial_change(0.01) == pytest.approx(0.01 * slope, rel=0.01)    # small steps: within 1 %
    # the error of the linear prediction shrinks like dw^2 (Taylor): ten times smaller step, ~100 times smaller error
    error = {dw: abs(tutorial_change(dw) - slope * dw) for dw in (0.01, 0.001)}
    assert error[0.001] / error[0.01] == pytest.approx(0.01, rel=0.05)


@pytest.fixture(scope="module")
def learning_rate_search():
    """Chapter 7's search: the digits MLP, five epochs per rate, halving from 12.8, three seeds per rate."""
    X, y = nnedu.data.load_digits()
    runs = {}
    lr = 12.8
    while lr > 0.02:
        runs[lr] = []
        for seed in (0, 1, 2):
            nnedu.manual_seed(seed)
            model = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 50), nn.ReLU(), nn.Linear(50, 10))
            try:
                losses = nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr), X, y,
                                   epochs=5, batch_size=32, progress=False).loss
            except nnedu.TrainingDiverged as error:
                losses = error.history.loss
            runs[lr].append((losses, model))
        lr /= 2
    return X, runs


def test_ch7_the_largest_rates_kill_the_network(learning_rate_search):
    X, runs = learning_rate_search
    for lr in sorted(runs)[-3:]:
        for losses, model in runs[lr]:
            hidden2 = model[3](model[2](model[1](model[0](X))))
            assert np.all(hidden2.max(axis=0) == 0), f"lr {lr}: some second-layer unit still fires"
            outputs = model(X)
            assert np.all(outputs == outputs[0]), f"lr {lr}: a dead layer should give every image the same output"
            assert losses[-1] >= math.log(10) - 0.01, f"lr {lr}: loss {losses[-1]} below ln 10"


def test_ch7_the_best_rate_is_reliable_and_twice_it_is_not(learning_rate_search):
    _, runs = learning_rate_search
    finals = {lr: np.array([losses[-1] for losses, _ in seeds]) for lr, seeds in runs.items()}
    ranked = sorted(finals, key=lambda lr: finals[lr].mean())
    best = ranked[0]
    assert 0.1 < best < 0.8, f"the best rate {best} is not in the middle of the search"
    assert finals[best].max() < 0.5 * math.log(10)             # every seed trains: far below the uniform guess
    assert finals[2 * best].std() > 5 * finals[best].std()     # twice the best rate: the seeds end far apart
    climbed = [losses[-1] > min(losses) for losses, _ in runs[2 * best]]
    assert any(climbed)                                         # and some runs climb back from their lowest loss
    assert ranked[1] in (best / 2, best * 2)                    # the runner-up is a neighbour of the best


# --------------------------------------------------------------------------------------------------
# Chapter 8: the chain rule, the sigmoid unit, the 3-4-2 example, Mitchell's algorithm
# --------------------------------------------------------------------------------------------------

def test_ch8_chain_rule_follows_the_dependency():
    """w -> c -> b -> L: dL/dw = dL/db * db/dc * dc/dw, each factor a node's derivative by the one before it."""
    w = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    c = torch.sin(w)                  # c depends on w
    b = c**3                          # b depends on c
    loss = torch.exp(b)               # L depends on b
    loss.backward()
    w0 = 0.7
    c0, b0 = math.sin(w0), math.sin(w0) ** 3
    dL_db, db_dc, dc_dw = math.exp(b0), 3 * c0**2, math.cos(w0)
    assert float(w.grad) == pytest.approx(dL_db * db_dc * dc_dw, rel=1e-12)


def test_ch8_sigmoid_unit_gradient_and_the_decks_sign():
    rng = np.random.default_rng(0)
    X, t, w = rng.normal(size=(5, 3)), rng.uniform(size=5), rng.normal(size=3)
    w_t = torch.tensor(w, requires_grad=True)
    (0.5 * ((torch.sigmoid(torch.tensor(X) @ w_t) - torch.tensor(t)) ** 2).sum()).backward()
    o = 1 / (1 + np.exp(-X @ w))
    ours = ((o - t) * o * (1 - o)) @ X
    np.testing.assert_allclose(ours, w_t.grad.numpy(), rtol=1e-12)
    decks = -ours
    assert np.all(np.sign(decks) == -np.sign(w_t.grad.numpy()))


def test_ch8_the_3_4_2_example_by_the_chapters_formulas():
    rng = np.random.default_rng(1)
    W1, W2 = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))      # W1[j, k] = w^1_{jk}, W2[i, j] = w^2_{ij}
    x, t = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0])
    W1_t, W2_t = torch.tensor(W1, requires_grad=True), torch.tensor(W2, requires_grad=True)
    o_t = W2_t @ torch.sigmoid(W1_t @ torch.tensor(x))
    (0.5 * ((o_t - torch.tensor(t)) ** 2).sum()).backward()
    z1 = W1 @ x
    a1 = 1 / (1 + np.exp(-z1))
    o = W2 @ a1
    assert (o[1] - t[1]) * a1[3] == pytest.approx(float(W2_t.grad[1, 3]), rel=1e-12)          # dL/dw^2_24
    delta1_1 = a1[0] * (1 - a1[0]) * np.sum((o - t) * W2[:, 0])
    assert delta1_1 * x[0] == pytest.approx(float(W1_t.grad[0, 0]), rel=1e-12)                 # dL/dw^1_11


def mitchell_step(w_hidden: np.ndarray, w_out: np.ndarray, x: np.ndarray, t: np.ndarray, eta: float):
    """Mitchell's steps 1-4 for one example, unit by unit, with t the target and o the outputs."""
    w_hidden, w_out = w_hidden.copy(), w_out.copy()
    def sigmoid(z: float) -> float:
        return 1 / (1 + math.exp(-z))

    o_h = [sigmoid(sum(w_hidden[h, i] * x[i] for i in range(len(x)))) for h in range(len(w_hidden))]
    o_k = [sigmoid(sum(w_out[k, h] * o_h[h] for h in range(len(o_h)))) for k in range(len(w_out))]
    d_k = [o_k[k] * (1 - o_k[k]) * (t[k] - o_k[k]) for k in range(len(o_k))]
    d_h = [o_h[h] * (1 - o_h[h]) * sum(w_out[k, h] * d_k[k] for k in range(len(d_k))) for h in range(len(o_h))]
    for k in range(len(d_k)):
        for h in range(len(o_h)):
            w_out[k, h] += eta * d_k[k] * o_h[h]
    for h in range(len(d_h)):
        for i in range(len(x)):
            w_hidden[h, i] += eta * d_h[h] * x[i]
    return w_hidden, w_out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ch8_mitchells_step_is_one_sgd_step(seed):
    rng = np.random.default_rng(seed)
    x, t, eta = rng.uniform(size=3), rng.uniform(size=2), 0.5
    w_hidden, w_out = rng.normal(size=(4, 3)), rng.normal(size=(2, 4))
    new_hidden, new_out = mitchell_step(w_hidden, w_out, x, t, eta)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4, bias=False), torch.nn.Sigmoid(),
                                torch.nn.Linear(4, 2, bias=False), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor(w_hidden))
        model[2].weight.copy_(torch.tensor(w_out))
    opt = torch.optim.SGD(model.parameters(), lr=eta)
    (0.5 * ((model(torch.tensor(x)) - torch.tensor(t)) ** 2).sum()).backward()
    opt.step()
    np.testing.assert_allclose(new_hidden, model[0].weight.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(new_out, model[2].weight.detach().numpy(), rtol=1e-12, atol=1e-14)
    # Read with y as the OUTPUT, the deck's delta_k = o_k (1 - o_k)(y_k - o_k) is zero: nothing would learn.
    outputs = 1 / (1 + np.exp(-w_out @ (1 / (1 + np.exp(-w_hidden @ x)))))
    unchanged_hidden, unchanged_out = mitchell_step(w_hidden, w_out, x, outputs, eta)
    np.testing.assert_allclose(unchanged_out, w_out, atol=1e-15)
    np.testing.assert_allclose(unchanged_hidden, w_hidden, atol=1e-15)


# --------------------------------------------------------------------------------------------------
# Chapter 8: initialisation (symmetry, saturation)
# --------------------------------------------------------------------------------------------------

def test_ch8_equal_weights_keep_hidden_units_identical_in_nnedu():
    X, y = nnedu.data.load_digits()
    spreads = {}
    for start in ("equal", "random"):
        nnedu.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 4), nn.Sigmoid(), nn.Linear(4, 10))
        if start == "equal":
            for p in model.parameters():
                p.data[...] = 0.1
        nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.5), X, y, epochs=3, progress=False)
        W1 = model[0].weight.data
        spreads[start] = np.max(W1.max(axis=0) - W1.min(axis=0))
        if start == "equal":
            assert np.ptp(W1) > 0, "the weights did train"
    assert spreads["equal"] == 0.0
    assert spreads["random"] > 0.5


def test_ch8_equal_weights_keep_hidden_units_identical_in_torch():
    """The same claim with PyTorch's autograd and optimiser: identical units get identical gradients."""
    X, y = nnedu.data.load_digits()
    model = torch.nn.Sequential(torch.nn.Linear(64, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 10)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(0.2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    X_t, y_t = torch.tensor(X[:256]), torch.tensor(y[:256])
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(X_t), y_t).backward()
        opt.step()
    W1 = model[0].weight.detach().numpy()
    assert np.ptp(W1) > 0
    np.testing.assert_allclose(W1, np.broadcast_to(W1[0], W1.shape), rtol=0, atol=1e-12)


def test_ch8_large_weights_saturate_sigmoids():
    X, _ = nnedu.data.load_digits()
    rng = np.random.default_rng(7)
    slope = {}
    for scale in (0.1, 10.0):
        z = torch.tensor(X @ (scale * rng.normal(size=(100, 64))).T, requires_grad=True)
        torch.sigmoid(z).sum().backward()            # d sigma / dz, element by element, by autograd
        slope[scale] = z.grad.numpy()
    assert slope[0.1].mean() > 0.2 and np.all(slope[0.1] >= 0.01)
    assert slope[10.0].mean() < 0.02 and np.mean(slope[10.0] < 0.01) > 0.8
    assert slope[0.1].max() <= 0.25                  # sigma' is at most 1/4


# --------------------------------------------------------------------------------------------------
# Chapter 8: BP1-BP4 and their mini-batch matrix form
# --------------------------------------------------------------------------------------------------

ACTIVATIONS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, torch.sigmoid,
                nn.Sigmoid),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2, torch.tanh, nn.Tanh),
}


def backprop_by_the_four_equations(Ws, bs, X, T, g, g_prime):
    """BP1-BP4 one example at a time (column vectors), summed over the batch, for C = (1/2N) sum ||a^L - t||^2."""
    N, L = len(X), len(Ws)
    grad_W = [np.zeros_like(W) for W in Ws]
    grad_b = [np.zeros_like(b) for b in bs]
    for x, t in zip(X, T):
        a, zs = [x], []
        for W, b in zip(Ws, bs):
            zs.append(W @ a[-1] + b)
            a.append(g(zs[-1]))
        delta = (a[-1] - t) / N * g_prime(zs[-1])                        # BP1 (the 1/N of the mean)
        for l in reversed(range(L)):
            grad_b[l] += delta                                            # BP3
            grad_W[l] += np.outer(delta, a[l])                            # BP4: delta_j a_k
            if l > 0:
                delta = (Ws[l].T @ delta) * g_prime(zs[l - 1])            # BP2
    return grad_W, grad_b


def matrix_form(Ws, bs, X, T, g, g_prime):
    """The mini-batch matrix form: rows are examples, Delta^l of shape (N, n_l)."""
    N, L = len(X), len(Ws)
    A, Z = [X], []
    for W, b in zip(Ws, bs):
        Z.append(A[-1] @ W.T + b)
        A.append(g(Z[-1]))
    Delta = (A[-1] - T) / N * g_prime(Z[-1])
    grad_W, grad_b = [None] * L, [None] * L
    for l in reversed(range(L)):
        grad_W[l] = Delta.T @ A[l]
        grad_b[l] = Delta.sum(axis=0)
        if l > 0:
            Delta = (Delta @ Ws[l]) * g_prime(Z[l - 1])
    return grad_W, grad_b


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("seed, sizes, N", [(0, (5, 4, 3, 2), 6), (1, (3, 7, 2, 4), 1), (2, (8, 6, 5, 3), 11)])
def test_ch8_bp1_to_bp4_match_torch_autograd_and_nnedu(activation, seed, sizes, N):
    g, g_prime, torch_g, layer = ACTIVATIONS[activation]
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]   # W^l: (n_l, n_{l-1})
    bs = [rng.normal(size=n_out) for n_out in sizes[1:]]
    X, T = rng.normal(size=(N, sizes[0])), rng.uniform(size=(N, sizes[-1]))

    # torch autograd, the reference
    W_t = [torch.tensor(W, requires_grad=True) for W in Ws]
    b_t = [torch.tensor(b, requires_grad=True) for b in bs]
    a = torch.tensor(X)
    for W, b in zip(W_t, b_t):
        a = torch_g(a @ W.T + b)
    (((a - torch.tensor(T)) ** 2).sum() / (2 * N)).backward()

    per_example = backprop_by_the_four_equations(Ws, bs, X, T, g, g_prime)
    batched = matrix_form(Ws, bs, X, T, g, g_prime)

    # nnedu, from the same weights
    modules = []
    for W, b in zip(Ws, bs):
        linear = nn.Linear(W.shape[1], W.shape[0])
        linear.weight.data[...] = W
        linear.bias.data[...] = b
        modules += [linear, layer()]
    model = nn.Sequential(*modules)
    loss_fn = nn.MSELoss(reduction="sum")
    model.zero_grad()
    loss_fn(model(X), T)
    model.backward(loss_fn.backward() / (2 * N))

    for l in range(len(Ws)):
        for grad_W, grad_b in (per_example, batched, ([m.weight.grad for m in modules[::2]],
                                                     [m.bias.grad for m in modules[::2]])):
            assert grad_W[l].shape == Ws[l].shape
            np.testing.assert_allclose(grad_W[l], W_t[l].grad.numpy(), rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(grad_b[l], b_t[l].grad.numpy(), rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------------------------------
# Chapter 8: why backpropagation is fast
# --------------------------------------------------------------------------------------------------

def multiply_adds(sizes):
    layers = list(zip(sizes[:-1], sizes[1:]))
    return sum(n_in * n_out for n_in, n_out in layers)


@pytest.mark.parametrize("sizes", [(64, 16, 10), DIGITS_MLP, (3, 5, 5, 5, 2)])
def test_ch8_operation_counts_agree_with_torchs_flop_counter(sizes):
    from torch.utils.flop_counter import FlopCounterMode

    N = 7
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1]).double()
    P = sum(p.numel() for p in model.parameters())
    assert P == sum(n_out * n_in + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    F = multiply_adds(sizes)
    assert P - F == sum(sizes[1:])                    # the rest of the parameters are biases: F is about P

    for input_needs_grad in (True, False):
        X = torch.randn(N, sizes[0], dtype=torch.float64, requires_grad=input_needs_grad)
        with FlopCounterMode(display=False) as forward:
            loss = model(X).square().sum()
        with FlopCounterMode(display=False) as backward:
            loss.backward()
        assert forward.get_total_flops() == 2 * N * F                      # one FLOP count = 2 per multiply-add
        skipped = 0 if input_needs_grad else sizes[0] * sizes[1]           # Delta^1 W^1, when no one needs it
        assert backward.get_total_flops() == 2 * N * (2 * F - skipped)     # B = 2F


def test_ch8_the_predicted_ratio_for_the_digits_network():
    P = sum(n_in * n_out + n_out for n_in, n_out in zip(DIGITS_MLP[:-1], DIGITS_MLP[1:]))
    F = multiply_adds(DIGITS_MLP)
    assert P == 12060
    assert 2 * P * F / (F + 2 * F) == pytest.approx(2 * P / 3)
    assert round(2 * P / 3) == 8040


def test_ch8_finite_differences_cost_two_forward_passes_per_parameter():
    X, y = nnedu.data.load_digits()
    nnedu.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))
    loss_fn = nn.CrossEntropyLoss()
    calls = 0

    def loss(_):
        nonlocal calls
        calls += 1
        return loss_fn(model(X[:16]), y[:16])

    for p in model.parameters():
        nnedu.numerical_gradient(loss, p.data)
    assert calls == 2 * sum(p.data.size for p in model.parameters()) == 2 * (64 * 16 + 16 + 16 * 10 + 10)


@pytest.mark.parametrize("sizes", [(64, 16, 10), DIGITS_MLP])
def test_ch8_the_two_gradients_of_the_measurement_agree(sizes):
    """The chapter times backprop and finite differences on 16 digits; both must give the same gradient."""
    X, y = nnedu.data.load_digits()
    Xb, yb = X[:16], y[:16]
    nnedu.manual_seed(0)
    layers = [nn.Linear(sizes[0], sizes[1])]
    for n_in, n_out in zip(sizes[1:-1], sizes[2:]):
        layers += [nn.ReLU(), nn.Linear(n_in, n_out)]
    model = nn.Sequential(*layers)
    loss_fn = nn.CrossEntropyLoss()
    model.zero_grad()
    loss_fn(model(Xb), yb)
    grad_x = model.backward(loss_fn.backward())
    backprop = np.concatenate([p.grad.ravel() for p in model.parameters()])
    differences = np.concatenate([nnedu.numerical_gradient(lambda _: loss_fn(model(Xb), yb), p.data).ravel()
                                  for p in model.parameters()])
    assert nnedu.relative_error(backprop, differences) < 1e-7
    # nnedu's first Linear also returns dC/dX (the Delta^1 W^1 that PyTorch may skip); check it against autograd
    torch_layers: list[Any] = []
    for m in model:
        if isinstance(m, nn.Linear):
            t = torch.nn.Linear(m.in_features, m.out_features).double()
            with torch.no_grad():
                t.weight.copy_(torch.tensor(m.weight.data))
                t.bias.copy_(torch.tensor(m.bias.data))
            torch_layers += [t, torch.nn.ReLU()]
    reference = torch.nn.Sequential(*torch_layers[:-1])
    X_t = torch.tensor(Xb, requires_grad=True)
    torch.nn.functional.cross_entropy(reference(X_t), torch.tensor(yb)).backward()
    np.testing.assert_allclose(grad_x, X_t.grad.numpy(), rtol=1e-9, atol=1e-14)
