"""Example hidden tests of exercise 9: the same checks as the public ones, on inputs drawn per student.

Each test's ``rng`` is seeded from the test's and the student's names, so an answer fitted to the public
tests' inputs fails here. The references are nnedu's (tested against PyTorch).
"""

import numpy as np

from nnedu import nn, train_epoch
from nnedu.data import batches as reference_batches
from nnedu.grading import ExpectationFailed, expect_close, expect_equal, expect_length, points
from nnedu.nn.module import Parameter
from nnedu.optim import SGD

MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")


def random_mlp(rng, sizes):
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = rng.normal(0.0, np.sqrt(2.0 / sizes[l - 1]), size=(sizes[l], sizes[l - 1]))
        params[f"b{l}"] = rng.normal(0.0, 0.1, size=sizes[l])
    return params


def reference_model(params):
    n_layers = len(params) // 2
    layers = []
    for l in range(1, n_layers + 1):
        out_features, in_features = params[f"W{l}"].shape
        layer = nn.Linear(in_features, out_features)
        layer.load_state_dict({"weight": params[f"W{l}"], "bias": params[f"b{l}"]})
        layers += [layer] + ([nn.ReLU()] if l < n_layers else [])
    return nn.Sequential(*layers)


def linears_of(model):
    return [m for m in model.children() if isinstance(m, nn.Linear)]


@points(1, question="q1", hint="")
def test_hidden_batches_random_sizes(student, rng):
    n = int(rng.integers(5, 60))
    batch_size, epochs, seed = int(rng.integers(1, n + 1)), int(rng.integers(2, 5)), int(rng.integers(0, 10**6))
    got = student.epoch_batches(n, batch_size, epochs, seed)
    expect_length(got, epochs, what="epochs")
    generator, index = np.random.default_rng(seed), np.arange(n)
    for e in range(epochs):
        want = [xb for xb, _ in reference_batches(index, index, batch_size, rng=generator)]
        expect_length(got[e], len(want), what=f"epoch {e}: number of batches (n = {n}, B = {batch_size})")
        for k, (g, w) in enumerate(zip(got[e], want)):
            expect_equal(np.asarray(g), w, what=f"epoch {e}, batch {k}")


@points(1, question="q3", hint="")
def test_hidden_momentum_random_shapes_and_rates(student, rng):
    shapes = {f"p{i}": tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3)))) for i in range(3)}
    params = {k: rng.normal(size=s) for k, s in shapes.items()}
    lrs, momentum = rng.uniform(0.01, 0.5, size=4), float(rng.uniform(0.5, 0.99))
    ps = {k: Parameter(v.copy()) for k, v in params.items()}
    optimizer = SGD(list(ps.values()), lr=float(lrs[0]), momentum=momentum)
    mine, velocity = dict(params), {k: np.zeros(s) for k, s in shapes.items()}
    for lr in lrs:
        grads = {k: rng.normal(size=s) for k, s in shapes.items()}
        mine, velocity = student.momentum_step(mine, grads, velocity, float(lr), momentum)
        optimizer.param_groups[0]["lr"] = float(lr)
        for k, p in ps.items():
            p.grad = grads[k]
        optimizer.step()
    for k, p in ps.items():
        expect_close(mine[k], p.data, what=f"{k} after 4 steps with changing learning rates")


@points(1, question="q4", hint="")
def test_hidden_gradients_random_network(student, rng):
    sizes = [int(s) for s in rng.integers(2, 8, size=int(rng.integers(3, 5)))]
    params = random_mlp(rng, sizes)
    n = int(rng.integers(2, 12))
    X, y = rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n)
    model, loss_fn = reference_model(params), nn.CrossEntropyLoss()
    want_loss = float(loss_fn(model(X), y))
    model.backward(loss_fn.backward())
    loss, grads = student.mlp_loss_and_grads(params, X, y)
    expect_close(loss, want_loss, what=f"loss of a {'-'.join(map(str, sizes))} network")
    if not isinstance(grads, dict):
        raise ExpectationFailed("grads: expected a dict")
    for l, layer in enumerate(linears_of(model), start=1):
        expect_close(grads.get(f"W{l}"), layer.weight.grad, what=f"dC/dW{l}")
        expect_close(grads.get(f"b{l}"), layer.bias.grad, what=f"dC/db{l}")


@points(1, question="q5", hint="")
def test_hidden_epoch_random_data(student, rng):
    sizes = [int(rng.integers(3, 7)), int(rng.integers(3, 9)), int(rng.integers(2, 5))]
    params = random_mlp(rng, sizes)
    n, batch_size = int(rng.integers(10, 40)), int(rng.integers(3, 9))
    X, y = rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n)
    lr, momentum = float(rng.uniform(0.01, 0.2)), float(rng.uniform(0.0, 0.95))
    batches = [xb for xb, _ in reference_batches(np.arange(n), y, batch_size, rng=rng)]
    model = reference_model(params)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    want_loss, _ = train_epoch(model, nn.CrossEntropyLoss(), optimizer, [(X[i], y[i]) for i in batches])
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    got_params, _, got_loss = student.sgd_epoch(params, velocity, X, y, batches, lr, momentum)
    expect_close(got_loss, want_loss, rtol=1e-5, what="the epoch's mean loss")
    for l, layer in enumerate(linears_of(model), start=1):
        expect_close(got_params.get(f"W{l}"), layer.weight.data, rtol=1e-5, atol=1e-8, what=f"W{l} after the epoch")
        expect_close(got_params.get(f"b{l}"), layer.bias.data, rtol=1e-5, atol=1e-8, what=f"b{l} after the epoch")
