"""Example hidden tests of exercise 12 (from nnedu to PyTorch), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 12 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones. References come from nnedu's layers
and optimisers, so the grader needs no torch.
"""

import numpy as np

from nnedu import nn
from nnedu.grading import expect_close, expect_length, expect_shape, points
from nnedu.optim import SGD

RTOL, ATOL = 1e-9, 1e-12
KEYS = ("0.weight", "0.bias", "2.weight", "2.bias")


def random_mlp(rng):
    """A random Linear-ReLU-Linear state dict and a batch for it, every size drawn from ``rng``."""
    n, d, h, k = (int(v) for v in rng.integers([2, 1, 1, 2], [12, 7, 9, 6]))
    params = {"0.weight": rng.normal(size=(h, d)), "0.bias": rng.normal(size=h),
              "2.weight": rng.normal(size=(k, h)), "2.bias": rng.normal(size=k)}
    return params, rng.normal(size=(n, d)), rng.integers(0, k, size=n)


def nnedu_mlp(params):
    (h, d), k = params["0.weight"].shape, params["2.weight"].shape[0]
    model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, k))
    model.load_state_dict(params)
    return model


@points(1, question="q1", hint="Any sizes: the gradients have the shapes of their parameters.", kind="implement")
def test_hidden_autograd_random_sizes(student, rng):
    params, X, y = random_mlp(rng)
    model, loss_fn = nnedu_mlp(params), nn.CrossEntropyLoss()
    loss = float(loss_fn(model(X), y))
    model.backward(loss_fn.backward())
    result = student.mlp_loss_and_grads(*[params[k] for k in KEYS], X, y)
    expect_length(result, 2)
    expect_close(result[0], loss, RTOL, ATOL, what="loss", given={"X": X, "y": y})
    expect_length(result[1], 4, what="the list of gradients")
    for (name, p), got in zip(model.named_parameters(), result[1]):
        expect_close(got, p.grad, RTOL, ATOL, what=f"gradient of {name}", given={"X": X, "y": y})


@points(1, question="q3", hint="Every layer size comes from the kernels; none is fixed.", kind="implement")
def test_hidden_keras_mlp_random_sizes(student, rng):
    sizes = [int(v) for v in rng.integers(1, 8, size=4)]
    kernels = [rng.normal(size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(size=b) for b in sizes[1:]]
    X = rng.normal(size=(int(rng.integers(1, 9)), sizes[0]))
    p_drop = float(rng.uniform(0.1, 0.7))
    a = X
    for i, (kernel, bias) in enumerate(zip(kernels, biases)):
        a = a @ kernel + bias                          # Keras' Dense: x K + b
        a = np.maximum(a, 0) if i < 2 else a           # ReLU on the hidden layers; dropout is off
    got = student.keras_mlp_logits(kernels, biases, X, p_drop)
    expect_shape(got, a.shape, what="logits")
    expect_close(got, a, RTOL, ATOL, what="logits", given={"X": X, "p_drop": p_drop})


@points(1, question="q5", hint="Any batch size, including one that does not divide N.", kind="implement")
def test_hidden_epoch_random_batches(student, rng):
    params, X, y = random_mlp(rng)
    batch_size = int(rng.integers(1, len(X) + 1))
    lr, momentum = float(rng.uniform(0.01, 0.3)), float(rng.choice([0.0, 0.5, 0.9]))
    model, loss_fn = nnedu_mlp(params), nn.CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for start in range(0, len(X), batch_size):
        optimizer.zero_grad()
        losses.append(float(loss_fn(model(X[start:start + batch_size]), y[start:start + batch_size])))
        model.backward(loss_fn.backward())
        optimizer.step()
    result = student.train_one_epoch(params, X, y, lr, momentum, batch_size)
    expect_length(result, 2)
    given = {"X": X, "batch_size": batch_size, "lr": lr, "momentum": momentum}
    expect_close(result[0], losses, RTOL, ATOL, what="batch losses", given=given)
    state = model.state_dict()
    for key in KEYS:
        expect_close(result[1][key], state[key], RTOL, ATOL, what=f"{key} after the epoch", given=given)
