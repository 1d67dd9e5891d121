"""Example hidden tests of exercise 10 (training deep networks well), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 10 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes, hyper-parameters and values from it: an
answer hard-coded to the public tests' inputs fails. The points add to the public ones.
"""

import numpy as np

from nnedu import nn
from nnedu.grading import expect_close, expect_length, points
from nnedu.nn import init
from nnedu.nn.module import Parameter
from nnedu.optim import SGD, Adam, RMSprop


@points(1, question="q1", hint="Shape (fan_out, fan_in), one draw from default_rng(seed).", kind="implement")
def test_hidden_init_random_sizes(student, rng):
    fan_in, fan_out = (int(n) for n in rng.integers(1, 60, size=2))
    seed = int(rng.integers(0, 2**31))
    given = {"fan_in": fan_in, "fan_out": fan_out, "seed": seed}
    xavier = init.xavier_uniform_(np.empty((fan_out, fan_in)), rng=np.random.default_rng(seed))
    expect_close(student.xavier_uniform(fan_in, fan_out, seed), xavier, what="xavier_uniform", given=given)
    he = init.kaiming_normal_(np.empty((fan_out, fan_in)), nonlinearity="relu", rng=np.random.default_rng(seed))
    expect_close(student.he_normal(fan_in, fan_out, seed), he, what="he_normal", given=given)


@points(1, question="q5", hint="PyTorch's three algorithms, elementwise, for any shape and hyper-parameters.",
        kind="implement")
def test_hidden_optimisers_random_runs(student, rng):
    shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 3))))
    steps = int(rng.integers(1, 8))
    w0 = rng.normal(size=shape)
    grads = [rng.normal(scale=rng.uniform(0.01, 3.0), size=shape) for _ in range(steps)]
    lr, mu = float(rng.uniform(0.001, 0.3)), float(rng.uniform(0.0, 0.99))
    alpha, eps = float(rng.uniform(0.5, 0.999)), float(10.0 ** rng.uniform(-8, -2))
    beta1, beta2 = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999))
    runs = {
        "momentum_step": (lambda ps: SGD(ps, lr=lr, momentum=mu), (lr, mu), 1, False),
        "rmsprop_step": (lambda ps: RMSprop(ps, lr=lr, alpha=alpha, eps=eps), (lr, alpha, eps), 1, False),
        "adam_step": (lambda ps: Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps), (lr, beta1, beta2, eps), 2, True),
    }
    for name, (make, hyper, n_state, with_t) in runs.items():
        p = Parameter(w0.copy())
        optimizer = make([p])
        w, state = w0.copy(), [np.zeros(shape)] * n_state
        for t, g in enumerate(grads, start=1):
            p.grad = g.copy()
            optimizer.step()
            result = getattr(student, name)(w, g, *state, *((t,) if with_t else ()), *hyper)
            expect_length(result, 1 + n_state, what=f"{name}'s result")
            w, state = result[0], list(result[1:])
        expect_close(w, p.data, what=f"w after {steps} steps of {name}",
                     given={"w0": w0, "g at step 1": grads[0], "hyper-parameters": hyper})


@points(1, question="q6", hint="Per feature over the batch, for any batch size and number of features.",
        kind="implement")
def test_hidden_batchnorm_random_batch(student, rng):
    n, d = int(rng.integers(2, 12)), int(rng.integers(1, 7))
    x = rng.normal(loc=rng.normal(scale=5.0, size=d), scale=rng.uniform(0.1, 5.0, size=d), size=(n, d))
    dy, gamma, beta = rng.normal(size=(n, d)), rng.normal(size=d), rng.normal(size=d)
    eps = float(10.0 ** rng.uniform(-6, -2))
    layer = nn.BatchNorm1d(d, eps=eps)
    layer.weight.data[:], layer.bias.data[:] = gamma, beta
    y = layer(x)
    dx = layer.backward(dy)
    given = {"x": x, "dy": dy, "gamma": gamma, "eps": eps}
    expect_close(student.batchnorm_forward(x, gamma, beta, eps), y, what="y", given=given)
    result = student.batchnorm_backward(dy, x, gamma, eps)
    expect_length(result, 3, what="batchnorm_backward's result")
    expect_close(result[0], dx, what="dx", given=given)
    expect_close(result[1], layer.weight.grad, what="dgamma", given=given)
    expect_close(result[2], layer.bias.grad, what="dbeta", given=given)


@points(1, question="q7", hint="Any p in [0, 1), any shape, any seed; the identity in evaluation mode.",
        kind="implement")
def test_hidden_dropout_random_layer(student, rng):
    shape = tuple(int(n) for n in rng.integers(1, 9, size=int(rng.integers(1, 4))))
    p, seed = float(rng.uniform(0.05, 0.9)), int(rng.integers(0, 2**31))
    x, dy = rng.normal(size=shape), rng.normal(size=shape)
    for training in (True, False):
        layer = nn.Dropout(p, rng=np.random.default_rng(seed))
        layer.train(training)
        y1, y2 = layer(x), layer(x)
        dx = layer.backward(dy)
        result = student.dropout_roundtrip(x, dy, p, training, seed)
        expect_length(result, 3, what="dropout_roundtrip's result (y1, y2, dx)")
        given = {"x": x, "p": p, "seed": seed, "training": training}
        for what, got, expected in zip(("y1", "y2", "dx"), result, (y1, y2, dx)):
            expect_close(got, expected, what=f"{what} (training={training})", given=given)
