"""The claims of chapter 10's sections on initialisation, vanishing and exploding gradients, data augmentation
and the training recipe, recomputed here independently of the notebook: with torch (autograd, torch.nn.init,
torch's own Linear and clipping) where there is a reference, with exact maths or Monte Carlo where there is a
formula, and with an augmentation written here from its definition.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from chapters import SEEDS, accuracy, digits_mlp, t

import nnedu
from nnedu import nn
from nnedu.nn import init
from nnedu.optim import SGD

torch = pytest.importorskip("torch")



# --- symmetry -------------------------------------------------------------------------------------------


def test_an_equal_start_keeps_the_hidden_units_equal_in_torch_too(digits):
    """Every weight and bias 0.01, SGD with momentum: torch's autograd leaves the hidden units identical."""
    X_train, _, _, y_train, _, _ = digits
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 100), torch.nn.ReLU(), torch.nn.Linear(100, 50),
                                torch.nn.ReLU(), torch.nn.Linear(50, 10)).double()
    for p in model.parameters():
        torch.nn.init.constant_(p, 0.01)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    X, y = t(X_train), torch.tensor(y_train)
    for _ in range(3):
        for batch in torch.randperm(len(X)).split(32):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[batch]), y[batch]).backward()
            optimizer.step()
    for layer in (model[0], model[2]):
        w = layer.weight.detach().numpy()
        assert np.ptp(w, axis=0).max() < 1e-12
    assert np.abs(model[0].weight.detach().numpy() - 0.01).max() > 1e-3      # it did train


def test_the_equal_start_network_learns_like_one_unit_per_layer(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    spreads, equal, random = [], [], []
    for seed in SEEDS:
        for start, results in (("equal", equal), ("random", random)):
            nnedu.manual_seed(seed)
            model = digits_mlp()
            if start == "equal":
                for p in model.parameters():
                    p.data[...] = 0.01
            nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9), X_train,
                      y_train, epochs=10, batch_size=32, progress=False)
            results.append(accuracy(model, X_val, y_val))
            if start == "equal":
                spreads.append(max(np.ptp(model[i].weight.data, axis=0).max() for i in (0, 2)))
    assert max(spreads) < 1e-12                           # rounding, not learning
    assert np.mean(equal) < 0.5 < 0.9 < np.mean(random)
    assert np.mean(random) - np.mean(equal) > 10 * (np.std(random) + np.std(equal))


# --- the variance argument ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_var_z_is_n_in_var_w_times_the_mean_square_of_the_inputs(seed):
    """Var(z) = n_in Var(w) E[a^2] for inputs of nonzero mean; E[relu(z)^2] = Var(z)/2, to a few percent."""
    rng = np.random.default_rng(100 + seed)
    a = np.maximum(rng.normal(size=(2000, 100)), 0)
    w = rng.normal(0.0, 0.3, size=(1000, 100))
    z = a @ w.T
    assert z.var() == pytest.approx(100 * 0.3**2 * 0.5, rel=0.05)       # the exact expectation
    assert np.mean(np.maximum(z, 0) ** 2) == pytest.approx(z.var() / 2, rel=0.08)


def test_half_the_variance_survives_a_relu_exactly():
    """E[relu(z)^2] = Var(z)/2 for symmetric z: the Gaussian integral, and a large Monte Carlo sample."""
    from scipy import integrate

    for s in (0.1, 1.0, 7.0):
        density = lambda x, s=s: math.exp(-x * x / (2 * s * s)) / (s * math.sqrt(2 * math.pi))  # noqa: E731
        value, _ = integrate.quad(lambda x: x * x * density(x), 0, math.inf)
        assert value == pytest.approx(s * s / 2, rel=1e-9)


def default_uniform_variance(n_in: int) -> float:
    """U(-b, b) with b = sqrt(3) * gain / sqrt(n_in), gain = sqrt(2 / (1 + 5)): variance b^2 / 3."""
    gain = math.sqrt(2 / (1 + 5))
    bound = math.sqrt(3) * gain / math.sqrt(n_in)
    return bound**2 / 3


def test_linear_default_is_uniform_one_over_sqrt_n_in_with_variance_one_third_over_n_in():
    assert default_uniform_variance(1000) == pytest.approx(1 / 3000, rel=1e-12)
    ours = nn.Linear(1000, 1000, rng=np.random.default_rng(0)).weight.data
    theirs = torch.nn.Linear(1000, 1000, dtype=torch.float64).weight.detach().numpy()
    for w in (ours, theirs):
        assert np.abs(w).max() <= 1 / math.sqrt(1000)
        assert w.var() == pytest.approx(1 / 3000, rel=0.01)


SCHEMES = {   # name: (variance of the weights for n = 100, a torch initialiser)
    "normal": (1.0, lambda w: torch.nn.init.normal_(w, 0.0, 1.0)),
    "small": (1e-4, lambda w: torch.nn.init.normal_(w, 0.0, 0.01)),
    "xavier": (1 / 100, torch.nn.init.xavier_normal_),
    "kaiming": (2 / 100, lambda w: torch.nn.init.kaiming_normal_(w, nonlinearity="relu")),
    "default": (1 / 300, None),
}


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_each_relu_layer_multiplies_the_signal_by_sqrt_of_n_var_w_over_2_forward_and_backward(scheme):
    """Ten torch ReLU layers of 100 units, zero biases: the per-layer factor of the activations' and the
    gradients' standard deviation (through autograd) is sqrt(n Var(w) / 2)."""
    var_w, fill = SCHEMES[scheme]
    torch.manual_seed(0)
    layers = []
    for _ in range(10):
        linear = torch.nn.Linear(100, 100, dtype=torch.float64)
        with torch.no_grad():
            if fill is not None:
                fill(linear.weight)
            linear.bias.zero_()
        layers.append(linear)
    x = torch.randn(500, 100, dtype=torch.float64)
    activations = []
    a = x
    for linear in layers:
        a = torch.relu(linear(a))
        a.retain_grad()
        activations.append(a)
    (a * torch.randn_like(a)).sum().backward()
    forward = np.array([float(a.detach().std()) for a in activations])
    backward = np.array([float(a.grad.std()) for a in activations])
    predicted = math.sqrt(100 * var_w / 2)
    assert (forward[-1] / forward[0]) ** (1 / 9) == pytest.approx(predicted, rel=0.06)
    assert (backward[0] / backward[-1]) ** (1 / 9) == pytest.approx(predicted, rel=0.06)


def test_ten_tanh_layers_saturate_with_n01_shrink_tenfold_with_small_weights_and_work_with_xavier():
    """torch, autograd: the tanh network's stories in the chapter's figure."""
    def run(fill) -> tuple[np.ndarray, np.ndarray]:
        torch.manual_seed(1)
        a, outs = torch.randn(500, 100, dtype=torch.float64), []
        for _ in range(10):
            linear = torch.nn.Linear(100, 100, dtype=torch.float64)
            with torch.no_grad():
                fill(linear.weight)
                linear.bias.zero_()
            a = torch.tanh(linear(a))
            a.retain_grad()
            outs.append(a)
        (a * torch.randn_like(a)).sum().backward()
        return (np.array([float(o.detach().std()) for o in outs]), np.array([float(o.grad.std()) for o in outs]))
    forward, backward = run(lambda w: torch.nn.init.normal_(w, 0.0, 1.0))
    assert forward[-1] > 0.9 and backward[0] / backward[-1] > 100           # saturated; gradients grow
    forward, backward = run(lambda w: torch.nn.init.normal_(w, 0.0, 0.01))
    assert (forward[-1] / forward[0]) ** (1 / 9) == pytest.approx(0.1, rel=0.05)
    assert (backward[0] / backward[-1]) ** (1 / 9) == pytest.approx(0.1, rel=0.05)
    forward, backward = run(torch.nn.init.xavier_normal_)
    assert 0.1 < forward[-1] < 0.5 and 0.2 < backward[0] / backward[-1] < 0.8


def test_a_deep_relu_network_from_the_default_does_not_train_and_from_kaiming_does(digits):
    """torch, not nnedu: ten ReLU layers of 100, 5 epochs of SGD(0.01, momentum 0.9), three seeds."""
    X_train, X_val, _, y_train, y_val, _ = digits
    X, y, Xv = t(X_train), torch.tensor(y_train), t(X_val)
    results: dict[str, list[tuple[float, float]]] = {"default": [], "kaiming": []}
    for name in results:
        for seed in SEEDS:
            torch.manual_seed(seed)
            layers, n_in = [], 64
            for _ in range(10):
                linear = torch.nn.Linear(n_in, 100, dtype=torch.float64)
                if name == "kaiming":
                    torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
                    torch.nn.init.zeros_(linear.bias)
                layers += [linear, torch.nn.ReLU()]
                n_in = 100
            model = torch.nn.Sequential(*layers, torch.nn.Linear(100, 10, dtype=torch.float64))
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            for _ in range(5):
                total = 0.0
                for batch in torch.randperm(len(X)).split(32):
                    optimizer.zero_grad()
                    loss = torch.nn.functional.cross_entropy(model(X[batch]), y[batch])
                    loss.backward()
                    optimizer.step()
                    total += float(loss.detach()) * len(batch)
            with torch.no_grad():
                acc = float((model(Xv).argmax(1).numpy() == y_val).mean())
            results[name].append((total / len(X), acc))
    default, kaiming = np.array(results["default"]), np.array(results["kaiming"])
    assert np.all(np.abs(default[:, 0] - math.log(10)) < 0.01)      # stuck at the loss of a guess
    assert np.all(default[:, 1] < 0.2)
    assert kaiming[:, 1].mean() > 0.85 and kaiming[:, 0].max() < 1.0


# --- vanishing and exploding -------------------------------------------------------------------------------


def deep(activation: type, gain: float | None, seed: int = 0) -> nn.Sequential:
    nnedu.manual_seed(seed)
    layers, n_in = [], 64
    for _ in range(10):
        linear = nn.Linear(n_in, 100)
        if gain is not None:
            init.normal_(linear.weight, 0.0, gain / math.sqrt(n_in))
            init.zeros_(linear.bias)
        layers += [linear, activation()]
        n_in = 100
    return nn.Sequential(*layers, nn.Linear(100, 10))


def torch_deltas(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> tuple[list, list, list]:
    """delta^l = dC/dz^l, z^l and dC/dW^l by torch autograd on nnedu.to_torch(model)."""
    twin = nnedu.to_torch(model).double()
    zs, a = [], t(X)
    for layer in twin:
        a = layer(a)
        if isinstance(layer, torch.nn.Linear):
            a.retain_grad()
            zs.append(a)
    torch.nn.functional.cross_entropy(a, torch.tensor(y)).backward()
    linears = [layer for layer in twin if isinstance(layer, torch.nn.Linear)]
    return ([z.grad.numpy() for z in zs], [z.detach().numpy() for z in zs],
            [float(torch.linalg.norm(layer.weight.grad)) for layer in linears])


NETS = {"sigmoid": (nn.Sigmoid, None, torch.sigmoid), "tanh": (nn.Tanh, 4.0, torch.tanh),
        "relu_big": (nn.ReLU, 2.0, torch.relu), "kaiming": (nn.ReLU, math.sqrt(2), torch.relu)}


@pytest.mark.parametrize("name", list(NETS))
def test_delta_shrinks_or_grows_by_sqrt_n_var_w_times_rms_slope_and_never_beyond_the_bound(name, digits):
    X_train, _, _, y_train, _, _ = digits
    activation, gain, g = NETS[name]
    model = deep(activation, gain)
    deltas, zs, _ = torch_deltas(model, X_train[:256], y_train[:256])
    linears = model.layers[0::2]
    measured, predicted = [], []
    for l in range(1, 10):                                   # delta^(l+1) -> delta^l, 1-based l
        z = torch.tensor(zs[l - 1], requires_grad=True)
        slope = torch.autograd.grad(g(z).sum(), z)[0].numpy()     # sigma'(z^l) by autograd
        w = linears[l].weight.data
        ratio = np.linalg.norm(deltas[l - 1]) / np.linalg.norm(deltas[l])
        assert ratio <= np.linalg.norm(w, 2) * np.abs(slope).max() * (1 + 1e-12)   # the bound, exactly
        measured.append(ratio)
        predicted.append(math.sqrt(w.shape[1] * w.var() * np.mean(slope**2)))
    geo = lambda v: float(np.exp(np.mean(np.log(v))))  # noqa: E731
    assert geo(measured) == pytest.approx(geo(predicted), rel=0.05)
    expected = {"sigmoid": (0.1, 0.2), "tanh": (1.3, 2.0), "relu_big": (1.3, 1.6), "kaiming": (0.9, 1.1)}[name]
    assert expected[0] < geo(measured) < expected[1]


def test_the_vanishing_and_exploding_pictures(digits):
    X_train, _, _, y_train, _, _ = digits
    grads = {name: np.array(torch_deltas(deep(act, gain), X_train[:256], y_train[:256])[2])
             for name, (act, gain, _) in NETS.items()}
    assert grads["sigmoid"][-1] / grads["sigmoid"][0] > 1e6           # the first layers do not learn
    assert np.all(np.diff(grads["sigmoid"]) > 0)
    assert grads["tanh"][0] / grads["tanh"][9] > 10                  # largest at the bottom
    assert np.linalg.norm(grads["relu_big"]) / np.linalg.norm(grads["kaiming"]) > 50
    big = grads["relu_big"][:10]
    assert big.max() / big.min() < 3                                  # flat across the hidden layers
    spectral = max(np.linalg.norm(layer.weight.data, 2) for layer in deep(nn.Sigmoid, None).layers[2:-1:2])
    assert spectral < 4                                               # so the sigmoid bound is below one


def torch_clip_run(X, y, Xv, y_val, seed: int, clip: bool) -> float:
    """torch's SGD(0.05) on the ReLU network with std 2/sqrt(n_in), 3 epochs; validation accuracy or NaN."""
    torch.manual_seed(seed)
    layers, n_in = [], 64
    for _ in range(10):
        linear = torch.nn.Linear(n_in, 100, dtype=torch.float64)
        torch.nn.init.normal_(linear.weight, 0.0, 2.0 / math.sqrt(n_in))
        torch.nn.init.zeros_(linear.bias)
        layers += [linear, torch.nn.ReLU()]
        n_in = 100
    model = torch.nn.Sequential(*layers, torch.nn.Linear(100, 10, dtype=torch.float64))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(3):
        for batch in torch.randperm(len(X)).split(32):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[batch]), y[batch])
            if not torch.isfinite(loss):
                return math.nan
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
    with torch.no_grad():
        return float((model(Xv).argmax(1).numpy() == y_val).mean())


def test_clipping_rescues_the_large_weight_relu_network_in_torch(digits):
    """torch's own clip_grad_norm_, six seeds: without clipping most runs diverge and the survivors are
    behind; with clipping every run trains."""
    X_train, X_val, _, y_train, y_val, _ = digits
    args = (t(X_train), torch.tensor(y_train), t(X_val), y_val)
    plain = np.array([torch_clip_run(*args, seed, clip=False) for seed in range(6)])
    clipped = np.array([torch_clip_run(*args, seed, clip=True) for seed in range(6)])
    assert np.isnan(plain).sum() >= 3
    assert not np.isnan(clipped).any() and clipped.min() > 0.5 and clipped.mean() > 0.6
    assert np.nanmean(plain) < clipped.mean()


def test_the_chapters_clipping_runs_diverge_without_and_train_with_nnedu_clip_grad_norm(digits):
    """The chapter's three seeds with nnedu: every unclipped run reaches NaN within ten steps."""
    X_train, X_val, _, y_train, y_val, _ = digits
    from nnedu.nn.utils import clip_grad_norm_

    for seed in SEEDS:
        for clip in (False, True):
            model = deep(nn.ReLU, 2.0, seed)
            loss_fn, optimizer = nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.05)
            steps, finite, lengths = 0, True, []
            with np.errstate(all="ignore"):
                for _ in range(3):
                    for xb, yb in nnedu.data.batches(X_train, y_train, 32):
                        optimizer.zero_grad()
                        loss = loss_fn(model(xb), yb)
                        steps += 1
                        if not math.isfinite(float(loss)):
                            finite = False
                            break
                        model.backward(loss_fn.backward())
                        grads = np.concatenate([p.grad.ravel() for p in model.parameters()])
                        lengths.append(float(np.linalg.norm(grads)))      # measured here, not by nnedu
                        if clip:
                            clip_grad_norm_(model.parameters(), 1.0)
                        optimizer.step()
                    if not finite:
                        break
            if clip:
                assert finite and accuracy(model, X_val, y_val) > 0.6
                assert np.mean(np.array(lengths) > 1.0) > 0.9 and np.median(lengths) > 5   # most steps clipped
            else:
                assert not finite and steps <= 10
                assert lengths[0] > 50 and lengths[2] > lengths[0]      # long at once, and growing


# --- data augmentation -----------------------------------------------------------------------------------


def shift_by_definition(images: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Image k moved by (dy[k], dx[k]) with zero fill, by np.roll and a mask: independent of nnedu.data.augment."""
    out = np.zeros_like(images)
    rows, cols = np.indices(images.shape[1:])
    for d_y, d_x in {(int(a), int(b)) for a, b in zip(dy, dx)}:       # one roll per distinct shift
        k = (dy == d_y) & (dx == d_x)
        inside = (rows - d_y >= 0) & (rows - d_y < 8) & (cols - d_x >= 0) & (cols - d_x < 8)
        out[k] = np.where(inside, np.roll(images[k], (d_y, d_x), axis=(1, 2)), 0.0)
    return out


def test_augmentation_trades_a_little_accuracy_on_the_digits_as_drawn_for_a_lot_on_shifted_ones(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    images = X_train.reshape(-1, 8, 8)
    zero = np.zeros(len(X_val), dtype=int)
    X_val_shifted = shift_by_definition(X_val.reshape(-1, 8, 8), zero, zero + 1).reshape(len(X_val), -1)
    results: dict[tuple[bool, int], list[tuple[float, float]]] = {}
    for augmented in (False, True):
        for seed in SEEDS:
            nnedu.manual_seed(seed)
            rng = np.random.default_rng(1000 + seed)
            model = digits_mlp()
            optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
            for epoch in range(1, 61):
                if augmented:
                    dy, dx = rng.integers(-1, 2, size=(2, len(images)))
                    X_epoch = shift_by_definition(images, dy, dx).reshape(len(images), -1)
                else:
                    X_epoch = X_train
                nnedu.train_epoch(model, nn.CrossEntropyLoss(), optimizer, nnedu.data.batches(X_epoch, y_train, 32))
                if epoch in (30, 60):
                    results.setdefault((augmented, epoch), []).append(
                        (accuracy(model, X_val, y_val), accuracy(model, X_val_shifted, y_val)))
    r = {key: np.array(value) for key, value in results.items()}
    plain, aug = r[(False, 30)], r[(True, 30)]
    spread = max(plain.std(axis=0).max(), aug.std(axis=0).max())
    gain = aug[:, 1].mean() - plain[:, 1].mean()
    assert gain > 0.3 and gain > 10 * spread                           # many times the spread
    assert 0.3 < plain[:, 1].mean() < 0.6                              # chapter 11: about half is lost
    cost_30 = plain[:, 0].mean() - aug[:, 0].mean()
    cost_60 = r[(False, 60)][:, 0].mean() - r[(True, 60)][:, 0].mean()
    assert cost_30 > spread                                            # not free after 30 epochs
    assert 0 < cost_60 < cost_30 / 2                                   # mostly training time
    assert r[(True, 60)][:, 1].mean() > r[(True, 30)][:, 1].mean()
    assert abs(r[(False, 60)][:, 1].mean() - plain[:, 1].mean()) < 0.05  # longer training alone does not help


# --- the recipe ------------------------------------------------------------------------------------------


def test_the_initial_loss_is_ln_10_by_torch_and_one_batch_can_be_memorised(digits):
    X_train, *_ = digits
    y_train = digits[3]
    for seed in SEEDS:
        nnedu.manual_seed(seed)
        model = digits_mlp()
        logits = t(model(X_train))
        loss = float(torch.nn.functional.cross_entropy(logits, torch.tensor(y_train)))
        assert loss == pytest.approx(math.log(10), abs=0.02)
        nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9), X_train[:20],
                  y_train[:20], epochs=200, batch_size=20, progress=False)
        assert float(torch.nn.functional.cross_entropy(t(model(X_train[:20])), torch.tensor(y_train[:20]))) < 0.01


def test_the_backprop_gradient_matches_autograd_and_forgetting_one_over_n_shows(digits):
    X_train, *_ = digits
    y_train = digits[3]
    nnedu.manual_seed(0)
    model, loss_fn = digits_mlp(), nn.CrossEntropyLoss()
    loss_fn(model(X_train[:5]), y_train[:5])
    model.backward(loss_fn.backward())
    twin = nnedu.to_torch(model).double()
    torch.nn.functional.cross_entropy(twin(t(X_train[:5])), torch.tensor(y_train[:5])).backward()
    reference = twin[0].weight.grad.numpy()
    assert nnedu.relative_error(model[0].weight.grad, reference) < 1e-10
    assert nnedu.relative_error(5 * model[0].weight.grad, reference) == pytest.approx(4 / 6, rel=1e-6)


def test_the_learning_rate_grid_brackets_the_useful_range_and_the_curves_show_a_gap(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    final: dict[float, list] = {}
    for lr in (0.001, 0.01, 0.1, 1.0):
        final[lr] = []
        for seed in SEEDS:
            nnedu.manual_seed(seed)
            model = digits_mlp()
            history = nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr, momentum=0.9),
                                X_train, y_train, epochs=10, batch_size=32, validation_data=(X_val, y_val),
                                progress=False)
            final[lr].append(history)
    acc = {lr: np.array([h.val_accuracy[-1] for h in hs]) for lr, hs in final.items()}
    assert acc[0.001].mean() < 0.6 and acc[1.0].mean() < 0.15           # too slow; destroyed
    assert acc[0.01].mean() > 0.9 and acc[0.1].mean() > 0.9
    assert acc[0.1].mean() > acc[0.01].mean()                           # best on average ...
    assert acc[0.1].mean() - acc[0.01].mean() < 2 * (acc[0.1].std() + acc[0.01].std())  # ... by little
    best = final[0.1]
    assert all(h.accuracy[-1] > h.val_accuracy[-1] for h in best)        # the gap
    assert all(h.val_loss[-1] > h.loss[-1] for h in best)
    assert np.argmin(np.mean([h.val_loss for h in best], axis=0)) == 9   # still lowest at the last epoch
