"""The claims chapters 9 and 11 derive or measure, recomputed here independently of the notebooks.

- Chapter 9: L2 regularisation as two parameter groups (against ``torch.optim.SGD``), the batch-size,
  regularisation and training-set-size experiments over the chapter's three seeds, with the
  conclusions the prose draws from them.
- Chapter 11: the gradient of a convolution (``x ⋆ δ`` for the filter, the full convolution ``δ * w``
  for the input, with stride and padding) and of max-pooling (to the argmax), against torch autograd;
  the receptive-field recurrence against the support of a gradient; the MLP-vs-CNN shift experiment.
"""

from __future__ import annotations

import numpy as np
import pytest
from chapters import SEEDS, accuracy, l2_groups, three_way_split, weights_and_biases
from chapters import digits_mlp as mlp
from scipy.signal import convolve2d

import nnedu
from nnedu import nn
from nnedu.data import load_digits, train_test_split
from nnedu.optim import SGD

# --- data, as the chapters split it ---------------------------------------------------------------


# --- chapter 9: L2 as parameter groups --------------------------------------------------------------


def test_l2_parameter_groups_decay_the_weights_by_lambda_over_n_and_leave_the_biases():
    """w <- w - eta (dC0/dw + (lambda/n) w) on the weights, b <- b - eta dC0/db, as torch.optim.SGD does."""
    torch = pytest.importorskip("torch")
    lam, n, lr, mu = 0.5, 150, 0.05, 0.9
    nnedu.manual_seed(3)
    model = mlp()
    weights, biases = weights_and_biases(model)
    assert len(weights) == 3 and len(biases) == 3
    twins = [torch.tensor(p.data.copy(), requires_grad=True) for p in weights + biases]
    ours = SGD([{"params": weights, "weight_decay": lam / n}, {"params": biases, "weight_decay": 0.0}],
               lr=lr, momentum=mu)
    theirs = torch.optim.SGD([{"params": twins[:3], "weight_decay": lam / n}, {"params": twins[3:]}],
                             lr=lr, momentum=mu)
    rng = np.random.default_rng(0)
    for _ in range(5):
        grads = [rng.normal(size=p.data.shape) for p in weights + biases]
        ours.zero_grad()
        theirs.zero_grad()
        for p, t, g in zip(weights + biases, twins, grads):
            p.grad += g
            t.grad = torch.tensor(g)
        ours.step()
        theirs.step()
    for p, t in zip(weights + biases, twins):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-12)

    # With a zero data gradient one step multiplies each weight by 1 - lr lam / n and leaves every bias.
    fresh = mlp()
    weights, biases = weights_and_biases(fresh)
    before = [p.data.copy() for p in weights + biases]
    SGD([{"params": weights, "weight_decay": lam / n}, {"params": biases, "weight_decay": 0.0}], lr=lr).step()
    for p, old in zip(weights, before[:3]):
        np.testing.assert_allclose(p.data, (1 - lr * lam / n) * old, rtol=1e-12)
    for p, old in zip(biases, before[3:]):
        np.testing.assert_array_equal(p.data, old)


# --- chapter 9: the experiments over three seeds ----------------------------------------------------


def test_ch9_per_epoch_stochastic_beats_mini_batches_beats_full_batch(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    final = {}
    for name, batch_size, lr in [("sgd", 1, 0.01), ("mini", 32, 0.1), ("full", len(X_train), 0.5)]:
        losses = []
        for seed in SEEDS:
            nnedu.manual_seed(seed)
            model = mlp()
            losses.append(nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=lr), X_train, y_train,
                                    epochs=5, batch_size=batch_size, progress=False).loss[-1])
        final[name] = np.array(losses)
    assert final["sgd"].max() < final["mini"].min() and final["mini"].max() < final["full"].min()
    assert abs(final["full"].mean() - np.log(10)) < 0.1          # "close to the ln 10 of a network that guesses"


@pytest.fixture(scope="module")
def regularisation(digits):
    """Final training loss, validation loss, best validation loss and accuracy per variant and seed."""
    X_train, X_val, _, y_train, y_val, _ = digits
    small_X, small_y = X_train[:150], y_train[:150]
    results = {}
    for key, lam, dropout in [("plain", 0.0, 0.0), ("l2", 0.5, 0.0), ("l2_big", 5.0, 0.0), ("dropout", 0.0, 0.2)]:
        rows = []
        for seed in SEEDS:
            nnedu.manual_seed(seed)
            model = mlp(dropout=dropout)
            optimizer = SGD(l2_groups(model, lam, len(small_X)), lr=0.05, momentum=0.9)
            h = nnedu.fit(model, nn.CrossEntropyLoss(), optimizer, small_X, small_y, epochs=200, batch_size=32,
                          validation_data=(X_val, y_val), progress=False)
            rows.append((h.loss[-1], h.val_loss[-1], min(h.val_loss), h.val_accuracy[-1], np.argmin(h.val_loss) + 1))
        results[key] = dict(zip(["loss", "val_loss", "best_val_loss", "acc", "best_epoch"], np.array(rows).T))
    return results, len(X_val)


def test_ch9_regularisation_conclusions_follow_from_the_seeds(regularisation):
    r, n_val = regularisation
    mean = {k: {m: v.mean() for m, v in d.items()} for k, d in r.items()}
    std = {k: {m: v.std() for m, v in d.items()} for k, d in r.items()}
    p = mean["plain"]["acc"]
    standard_error = np.sqrt(p * (1 - p) / n_val)

    # Without regularisation the 150 digits are memorised and the validation loss turns round early.
    assert mean["plain"]["loss"] < 1e-2 and mean["plain"]["best_epoch"] < 50
    assert np.all(r["plain"]["val_loss"] > 1.2 * r["plain"]["best_val_loss"])    # every seed turns round
    # L2 (lambda = 0.5): final validation loss lower by many times the spread between seeds ...
    gap = mean["plain"]["val_loss"] - mean["l2"]["val_loss"]
    assert gap > 3 * max(std["plain"]["val_loss"], std["l2"]["val_loss"])
    assert mean["l2"]["loss"] > 10 * mean["plain"]["loss"]           # cannot reach zero any more
    # ... but an accuracy that does not improve, within the noise.
    assert mean["l2"]["acc"] <= mean["plain"]["acc"] + standard_error / 2
    assert abs(mean["l2"]["acc"] - mean["plain"]["acc"]) < standard_error
    # Ten times the penalty underfits: both losses higher, accuracy lower by more than the noise.
    assert mean["l2_big"]["loss"] > mean["l2"]["loss"] > mean["plain"]["loss"]
    assert mean["l2_big"]["val_loss"] > mean["plain"]["val_loss"]
    assert mean["l2_big"]["acc"] < mean["plain"]["acc"] - standard_error
    # Dropout: as low as L2 on the way (within the seeds' spread), then back up; the best accuracy, but
    # by less than one standard error of the validation set.
    assert abs(mean["dropout"]["best_val_loss"] - mean["l2"]["best_val_loss"]) < (
        std["dropout"]["best_val_loss"] + std["l2"]["best_val_loss"])
    assert mean["dropout"]["val_loss"] > mean["dropout"]["best_val_loss"] + 3 * std["dropout"]["val_loss"]
    assert mean["dropout"]["acc"] == max(m["acc"] for m in mean.values())
    assert 0 < mean["dropout"]["acc"] - mean["plain"]["acc"] < standard_error


def test_ch9_learning_curve_rises_with_diminishing_returns(digits):
    X_train, X_val, _, y_train, y_val, _ = digits
    sizes = [50, 100, 200, 400, 800, len(X_train)]
    curve = np.zeros((len(sizes), len(SEEDS)))
    for a, m in enumerate(sizes):
        for b, seed in enumerate(SEEDS):
            if m < len(X_train):
                X_m, _, y_m, _ = train_test_split(X_train, y_train, test_size=len(X_train) - m,
                                                             seed=seed, stratify=True)
            else:
                X_m, y_m = X_train, y_train
            assert len(X_m) == m and set(np.unique(y_m)) == set(range(10))
            nnedu.manual_seed(seed)
            model = mlp()
            nnedu.fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9), X_m, y_m,
                      epochs=int(np.ceil(600 / np.ceil(m / 32))), batch_size=32, progress=False)
            curve[a, b] = accuracy(model, X_val, y_val)
    means, stds = curve.mean(axis=1), curve.std(axis=1)
    # Monotone on average: no size does worse than the one before by more than that one's spread.
    assert all(means[i + 1] >= means[i] - stds[i] for i in range(len(sizes) - 1))
    assert np.corrcoef(np.log(sizes), means)[0, 1] > 0.9
    assert means[-1] - means[0] > 5 * max(stds[0], stds[-1])       # "much more than the spread"
    # Diminishing returns: the first doubling gains more than the 400 -> 800 one.
    assert means[1] - means[0] > 2 * (means[4] - means[3]) > 0
    # The error falls roughly as a power of the size, a factor between 0.5 and 0.85 per doubling.
    slope = np.polyfit(np.log2(sizes), np.log2(1 - means), 1)[0]
    assert 0.5 < 2 ** slope < 0.85


# --- chapter 11: the gradient of a convolution --------------------------------------------------------


def gradients_from_the_formulas(x: np.ndarray, w: np.ndarray, delta: np.ndarray, stride: int,
                                padding: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dL/dx = pad_{k-1}(dilated δ) ⋆ rot180(w) summed over o, dL/dw = x ⋆ dilated δ summed over n, dL/db = Σ δ.

    Written with explicit sums over the k×k filter offsets (not scipy), in the rotated-filter form.
    """
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    Hd, Wd = xp.shape[2] - kh + 1, xp.shape[3] - kw + 1
    d = np.zeros((N, O, Hd, Wd))
    d[:, :, ::stride, ::stride] = delta                                     # dilated δ
    dw = np.zeros_like(w)
    for u in range(kh):
        for v in range(kw):
            dw[:, :, u, v] = np.einsum("noij,ncij->oc", d, xp[:, :, u:u + Hd, v:v + Wd])
    d_padded = np.pad(d, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    rotated = w[:, :, ::-1, ::-1]
    dxp = np.zeros_like(xp)
    for u in range(kh):
        for v in range(kw):
            dxp += np.einsum("noij,oc->ncij", d_padded[:, :, u:u + xp.shape[2], v:v + xp.shape[3]],
                             rotated[:, :, u, v])
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, delta.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("shape, kernel, stride, padding", [
    ((2, 1, 6, 6), (3, 3), 1, 0),     # one channel, stride 1, no padding: the derivation's case
    ((2, 3, 7, 6), (3, 3), 1, 0),     # channels
    ((2, 3, 7, 6), (3, 3), 2, 1),     # the chapter's stride and padding check
    ((1, 2, 9, 8), (3, 2), 3, 2),     # a rectangular filter, a stride that leaves rows uncovered
    ((3, 2, 8, 8), (5, 5), 2, 0),
])
def test_conv_gradient_formulas_match_torch_autograd_and_conv2d_backward(shape, kernel, stride, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.normal(size=shape)
    layer = nn.Conv2d(shape[1], 4, kernel, stride=stride, padding=padding, rng=rng)
    assert layer.bias is not None
    delta = rng.normal(size=layer(x).shape)
    dx = layer.backward(delta)

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.weight.data, requires_grad=True)
    bt = torch.tensor(layer.bias.data, requires_grad=True)
    torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding).backward(torch.tensor(delta))

    formulas = gradients_from_the_formulas(x, layer.weight.data, delta, stride, padding)
    for mine, ours, theirs in zip(formulas, (dx, layer.weight.grad, layer.bias.grad), (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_full_convolution_is_cross_correlation_with_the_rotated_filter():
    """δ * w (scipy's true convolution, full) = pad_{k-1}(δ) ⋆ rot180(w), the step the chapter derives."""
    rng = np.random.default_rng(2)
    d, w = rng.normal(size=(5, 4)), rng.normal(size=(3, 2))
    padded = np.pad(d, ((2, 2), (1, 1)))
    rotated = w[::-1, ::-1]
    by_hand = np.array([[np.sum(padded[p:p + 3, q:q + 2] * rotated) for q in range(5)] for p in range(7)])
    np.testing.assert_allclose(convolve2d(d, w), by_hand, rtol=1e-12)
    assert not np.allclose(convolve2d(d, w), np.array(
        [[np.sum(padded[p:p + 3, q:q + 2] * w) for q in range(5)] for p in range(7)]))   # unrotated differs


# --- chapter 11: the gradient of max-pooling ------------------------------------------------------------


def routed_to_the_argmax(x: np.ndarray, delta: np.ndarray, k: int, s: int) -> np.ndarray:
    """Each window's δ added to its first maximum (row-major), as the chapter derives."""
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(delta.shape):
        window = x[n, c, i * s:i * s + k, j * s:j * s + k]
        u, v = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, i * s + u, j * s + v] += delta[n, c, i, j]
    return dx


@pytest.mark.parametrize("k, s, ties", [(2, 2, False), (2, 2, True), (3, 2, False), (3, 2, True), (3, 1, True)])
def test_max_pool_gradient_goes_to_the_argmax_as_in_torch(k, s, ties):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, size=(2, 3, 7, 7)).astype(float) if ties else rng.normal(size=(2, 3, 7, 7))
    pool = nn.MaxPool2d(k, stride=s)
    delta = rng.normal(size=pool(x).shape)
    dx = pool.backward(delta)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, k, stride=s).backward(torch.tensor(delta))
    np.testing.assert_allclose(routed_to_the_argmax(x, delta, k, s), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_max_pool_2x2_leaves_three_quarters_of_the_inputs_without_gradient():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 6, 6))
    pool = nn.MaxPool2d(2)
    dx = pool.backward(rng.normal(size=pool(x).shape))
    assert np.mean(dx == 0) == 0.75


# --- chapter 11: receptive fields ----------------------------------------------------------------------

Stack = list[tuple[str, int, int, int]]     # ("conv" | "pool", kernel, stride, padding)

OUR_CNN: Stack = [("conv", 3, 1, 1), ("pool", 2, 2, 0), ("conv", 3, 1, 1)]
DECKS_CNN: Stack = [("conv", 3, 1, 0), ("conv", 3, 1, 0), ("pool", 2, 2, 0)]
STACKS = [OUR_CNN, DECKS_CNN, [("conv", 5, 1, 2)], [("conv", 3, 2, 0), ("conv", 3, 2, 1), ("conv", 3, 1, 0)],
          [("conv", 7, 2, 3), ("pool", 3, 2, 1), ("conv", 3, 1, 1), ("conv", 3, 1, 1)],
          [("pool", 2, 2, 0), ("pool", 2, 2, 0), ("conv", 3, 1, 0)]]


def recurrence(stack: Stack) -> tuple[int, int, int]:
    """(r, j, start) after the stack: r += (k - 1) j, start -= p j, j *= s (start: unit 0's first pixel)."""
    r, j, start = 1, 1, 0
    for _, k, s, p in stack:
        r, start, j = r + (k - 1) * j, start - p * j, j * s
    return r, j, start


def torch_support(stack: Stack, size: int, unit: int, max_pool: bool) -> np.ndarray:
    """Where d(unit (unit, unit) of the last map)/d(input) is nonzero, with random positive weights, no
    activation and average pooling; with ``max_pool`` the real max-pooling and ReLUs, random weights, and the
    union over a batch of random inputs."""
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(0)
    batch = 512 if max_pool else 1                     # a window sends to 1 of its k*k entries: many samples
    x = (torch.randn(batch, 1, size, size, generator=generator, dtype=torch.float64) if max_pool
         else torch.zeros(1, 1, size, size, dtype=torch.float64)).requires_grad_(True)
    h = x
    for kind, k, s, p in stack:
        if kind == "conv":
            w = torch.rand(2, h.shape[1], k, k, generator=generator, dtype=torch.float64) + 0.1
            if max_pool:
                w = w - 0.55
            h = torch.nn.functional.conv2d(h, w, stride=s, padding=p)
            h = torch.relu(h) if max_pool else h
        elif max_pool:
            h = torch.nn.functional.max_pool2d(h, k, stride=s, padding=p)
        else:
            h = torch.nn.functional.avg_pool2d(h, k, stride=s, padding=p)
    h[:, 0, unit, unit].sum().backward()
    return (x.grad.abs().sum(axis=(0, 1)) > 0).numpy()


@pytest.mark.parametrize("stack", STACKS)
def test_receptive_field_recurrence_equals_the_support_of_a_gradient(stack):
    r, j, start = recurrence(stack)
    unit = -(start // j) + 1                            # the first unit whose field starts inside the input
    first = start + unit * j                            # the unit's field is [first, first + r) on both axes
    size = first + r + r + 2 * j
    assert first >= 0 and first + r <= size             # inside the input: not cut by the border
    expected = np.zeros((size, size), dtype=bool)
    expected[first:first + r, first:first + r] = True
    np.testing.assert_array_equal(torch_support(stack, size, unit, max_pool=False), expected)
    np.testing.assert_array_equal(torch_support(stack, size, unit, max_pool=True), expected)


def test_the_chapters_receptive_fields_by_hand_and_through_nnedu():
    """Our CNN: 1 -> 3 -> 4 -> 8 (jump 2); the decks' Keras CNN: 1 -> 3 -> 5 -> 6 (jump 2)."""
    assert recurrence(OUR_CNN)[:2] == (1 + 2 + 1 + 2 * 2, 2)
    assert recurrence(DECKS_CNN)[:2] == (1 + 2 + 2 + 1, 2)
    for stack, size in [(OUR_CNN, 16), (DECKS_CNN, 28)]:
        layers: list[nn.Module] = []
        for kind, k, s, p in stack:
            if kind == "conv":
                conv = nn.Conv2d(1, 1, k, stride=s, padding=p, bias=False)
                conv.weight.data[:] = 1.0
                layers.append(conv)
            else:
                layers.append(nn.AvgPool2d(k, stride=s))
        net = nn.Sequential(*layers)
        out = net(np.zeros((1, 1, size, size)))
        one_hot = np.zeros_like(out)
        one_hot[0, 0, out.shape[2] // 2, out.shape[3] // 2] = 1.0
        support = net.backward(one_hot)[0, 0] != 0
        rows, cols = np.nonzero(support)
        r = recurrence(stack)[0]
        assert rows.max() - rows.min() + 1 == r and cols.max() - cols.min() + 1 == r
        assert support[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()


# --- chapter 11: the shift experiment over three seeds ---------------------------------------------------


def test_ch11_cnn_loses_somewhat_less_than_the_mlp_on_shifted_digits_but_both_lose_about_half():
    images, labels = load_digits(flatten=False)
    X_train, X_val, X_test, y_train, y_val, y_test = three_way_split(images, labels)

    def shifted(batch: np.ndarray) -> np.ndarray:
        out = np.zeros_like(batch)
        out[..., 1:] = batch[..., :-1]
        return out

    flat = lambda batch: batch.reshape(len(batch), -1)  # noqa: E731
    channel = lambda batch: batch[:, None]  # noqa: E731
    results: dict[str, list[list[float]]] = {"mlp": [], "cnn": []}
    for seed in SEEDS:
        nnedu.manual_seed(seed)
        dense = mlp()
        nnedu.fit(dense, nn.CrossEntropyLoss(), SGD(dense.parameters(), lr=0.05, momentum=0.9), flat(X_train),
                  y_train, epochs=30, batch_size=32, progress=False)
        nnedu.manual_seed(seed)
        cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(256, 10))
        nnedu.fit(cnn, nn.CrossEntropyLoss(), SGD(cnn.parameters(), lr=0.05, momentum=0.9), channel(X_train),
                  y_train, epochs=15, batch_size=32, validation_data=(channel(X_val), y_val), progress=False)
        for name, model, prepare in [("mlp", dense, flat), ("cnn", cnn, channel)]:
            results[name].append([accuracy(model, prepare(X), y) for X, y in
                                  [(X_val, y_val), (shifted(X_val), y_val), (X_test, y_test), (shifted(X_test), y_test)]])
    mlp_r, cnn_r = np.array(results["mlp"]), np.array(results["cnn"])
    # About as accurate on the validation digits as drawn.
    assert abs(cnn_r[:, 0].mean() - mlp_r[:, 0].mean()) < 0.02 and min(cnn_r[:, 0].mean(), mlp_r[:, 0].mean()) > 0.95
    drop_mlp, drop_cnn = mlp_r[:, 0] - mlp_r[:, 1], cnn_r[:, 0] - cnn_r[:, 1]
    # The CNN loses less, by more than the spread between seeds ...
    assert drop_mlp.mean() - drop_cnn.mean() > max(drop_mlp.std(), drop_cnn.std())
    # ... but both lose about half of their accuracy.
    assert 0.3 < drop_cnn.mean() < 0.7 and 0.3 < drop_mlp.mean() < 0.7
    # The test set, used once, tells the same story.
    assert cnn_r[:, 3].mean() > mlp_r[:, 3].mean()
    assert abs(cnn_r[:, 2].mean() - mlp_r[:, 2].mean()) < 0.03 and min(cnn_r[:, 2].mean(), mlp_r[:, 2].mean()) > 0.94
    count = lambda model: sum(p.data.size for p in model.parameters())  # noqa: E731
    assert count(cnn) < count(dense) / 3
