"""Public tests of exercise 9: mini-batches, SGD with momentum, an MLP's gradients, an epoch, and a capstone.

The references are nnedu's own pieces (tested against PyTorch): ``nnedu.data.batches`` for the order of the
samples, ``nn.Linear``/``nn.ReLU``/``nn.CrossEntropyLoss`` for the loss and gradients, ``optim.SGD`` for
momentum and ``nnedu.train_epoch`` for an epoch. The named mistakes are computed here, as the mistaken code
would compute them.
"""

import functools
import time

import numpy as np

from nnedu import nn, train_epoch
from nnedu.data import batches as reference_batches
from nnedu.grading import (
    ExpectationFailed,
    Partial,
    expect_choice,
    expect_close,
    expect_equal,
    expect_length,
    expect_shape,
    expect_unchanged,
    mistake,
    points,
)
from nnedu.grading.api import describe
from nnedu.nn.module import Parameter
from nnedu.optim import SGD

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")


def _bias(layer: nn.Linear) -> Parameter:
    """A Linear layer's bias (every layer here is built with one)."""
    assert layer.bias is not None
    return layer.bias

rng = np.random.default_rng(9)


# ----------------------------------------------------------------------------- question 1: mini-batches

def reference_epochs(n, batch_size, epochs, seed):
    """The index batches of nnedu.data.batches, one generator for all the epochs (as nnedu.fit)."""
    generator = np.random.default_rng(seed)
    index = np.arange(n)
    return [[xb for xb, _ in reference_batches(index, index, batch_size, rng=generator)]
            for _ in range(epochs)]


def as_epochs(got, epochs):
    """The student's epochs as lists of integer arrays (or a failure saying what the shape was)."""
    expect_length(got, epochs, what="epoch_batches(...): the list of epochs")
    out = []
    for e, batches in enumerate(got):
        if not isinstance(batches, (list, tuple)):
            raise ExpectationFailed(f"epoch {e}: minibatch_indices should return a list of index arrays, got "
                                    f"{type(batches).__name__}")
        out.append([np.asarray(b).ravel() for b in batches])
    return out


def diagnose_batches(epochs, n, batch_size):
    """Name the common mistakes of an epoch's batches: a dropped last batch, repeats, no reshuffling."""
    for e, batches in enumerate(epochs):
        flat = np.concatenate(batches) if batches else np.array([], dtype=int)
        sizes = [len(b) for b in batches]
        if len(flat) == n - n % batch_size and n % batch_size and len(np.unique(flat)) == len(flat):
            raise mistake("the last, smaller batch is dropped",
                          f"epoch {e}: {len(flat)} of n = {n} samples in batches of sizes {sizes}; with "
                          f"batch_size = {batch_size} the last batch should hold the {n % batch_size} left over")
        if len(flat) == n and len(np.unique(flat)) < n:
            raise mistake("samples drawn with replacement (some repeated, others missing)",
                          f"epoch {e}: {n - len(np.unique(flat))} of the indices 0..{n - 1} are missing and "
                          "others appear twice; an epoch is a permutation: every sample exactly once")
    if len(epochs) > 1 and all(len(b) == len(epochs[0]) for b in epochs):
        same = all(np.array_equal(np.concatenate(b), np.concatenate(epochs[0])) for b in epochs[1:])
        if same and np.array_equal(np.concatenate(epochs[0]), np.arange(n)):
            raise mistake("the samples are not shuffled",
                          "every epoch visits the samples in the order 0, 1, 2, ...: draw a random order")
        if same:
            raise mistake("the same order in every epoch (not reshuffled)",
                          f"all {len(epochs)} epochs have the same order: make one generator for the whole run "
                          "(in epoch_batches) and draw each epoch's permutation from it (in minibatch_indices)")


@points(1, question="q1", hint="Every index once per epoch; the last batch holds what is left over, even if smaller.")
def test_every_sample_once_per_epoch(student):
    n, batch_size = 23, 5
    epochs = as_epochs(student.epoch_batches(n, batch_size, 2, 3), 2)
    diagnose_batches(epochs, n, batch_size)
    for e, batches in enumerate(epochs):
        expect_equal([len(b) for b in batches], [5, 5, 5, 5, 3], what=f"epoch {e}: batch sizes (n = 23, B = 5)")
        expect_equal(np.sort(np.concatenate(batches)), np.arange(n), what=f"epoch {e}: the indices, sorted")


@points(1, question="q1", hint="A new order every epoch: draw it from the generator you are given, not from a new one.")
def test_reshuffled_every_epoch(student):
    n, batch_size = 30, 8
    epochs = as_epochs(student.epoch_batches(n, batch_size, 4, 11), 4)
    diagnose_batches(epochs, n, batch_size)
    orders = [np.concatenate(b) for b in epochs]
    for e in range(1, 4):
        if np.array_equal(orders[e], orders[e - 1]):
            raise mistake("the same order in every epoch (not reshuffled)",
                          f"epochs {e - 1} and {e} visit the samples in the same order")


@points(1, question="q1", hint="The order is exactly the generator's permutation of n, cut from its start.")
def test_batches_match_the_chapter(student):
    n, batch_size, seed = 23, 5, 7
    epochs = as_epochs(student.epoch_batches(n, batch_size, 3, seed), 3)
    diagnose_batches(epochs, n, batch_size)
    expected = reference_epochs(n, batch_size, 3, seed)
    for e, (got, want) in enumerate(zip(epochs, expected)):
        expect_length(got, len(want), what=f"epoch {e}: number of batches")
        for k, (g, w) in enumerate(zip(got, want)):
            expect_equal(g, w, what=f"epoch {e}, batch {k} (n = {n}, B = {batch_size}, seed = {seed})")


# ----------------------------------------------------------------------------- question 2: by hand

@points(1, question="q2", hint="One update per mini-batch, and a smaller last batch is still a batch.", kind="derive")
def test_number_of_updates(student):
    got = student.q2_updates()
    expect_close(got, 1020, what="updates in 30 epochs (n = 1077, B = 32)", mistakes={
        "the last, smaller batch not counted (rounded down instead of up)": 990,
        "a fraction of an update: the number of batches is a whole number, rounded up": 1077 * 30 / 32,
        "one update per sample (that is B = 1)": 1077 * 30,
        "one update per epoch (that is full batch)": 30,
        "the updates of one epoch only": 34,
    })


@points(1, question="q2", kind="derive",
        hint="How many digits are left after as many full batches of 32 as fit into 1077?")
def test_last_batch(student):
    expect_close(student.q2_last_batch(), 21, what="samples in the last batch of an epoch", mistakes={
        "a full batch: 32 does not divide 1077": 32,
        "the number of full batches, not the samples left over": 33,
    })


W0, V0, G0, LR0, MU0 = np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([0.2, -1.0]), 0.2, 0.9


@points(1, question="q2", kind="derive",
        hint="The old velocity shrinks by the momentum, then the gradient is added to it.")
def test_momentum_velocity_by_hand(student):
    expect_close(student.q2_velocity(), MU0 * V0 + G0, what="the new velocity", mistakes={
        "momentum in the other convention (lr inside v)": MU0 * V0 + LR0 * G0,
        "the old velocity not multiplied by the momentum": V0 + G0,
        "the old velocity forgotten (v = g)": G0,
        "(1 - momentum) times the gradient: that is a moving average, PyTorch adds the gradient itself":
            MU0 * V0 + (1 - MU0) * G0,
    })


@points(1, question="q2", hint="The weights move against the new velocity, scaled by the learning rate.", kind="derive")
def test_momentum_weights_by_hand(student):
    v = MU0 * V0 + G0
    expect_close(student.q2_weights(), W0 - LR0 * v, what="the new weights", mistakes={
        "the step has the wrong sign": W0 + LR0 * v,
        "momentum in the other convention (lr inside v)": W0 - (MU0 * V0 + LR0 * G0),
        "a plain SGD step: the velocity was left out": W0 - LR0 * G0,
        "stepped with the old velocity instead of the new one": W0 - LR0 * V0,
    })


# ----------------------------------------------------------------------------- question 3: the update

def random_params(generator, shapes):
    return {name: generator.normal(size=shape) for name, shape in shapes.items()}


def reference_momentum(params, grads_per_step, lrs, momentum):
    """(params, velocity) after one SGD(momentum) step per gradient dict, the learning rate set before each."""
    ps = {name: Parameter(np.array(value, dtype=float)) for name, value in params.items()}
    optimizer = SGD(list(ps.values()), lr=lrs[0], momentum=momentum)
    for grads, lr in zip(grads_per_step, lrs):
        optimizer.param_groups[0]["lr"] = lr
        for name, p in ps.items():
            p.grad = np.array(grads[name], dtype=float)
        optimizer.step()
    velocity = dict(zip(ps, optimizer.velocity))
    return {name: p.data.copy() for name, p in ps.items()}, velocity


def other_momentum(params, grads_per_step, lrs, momentum, sign=1.0, lr_inside=False, dampening=0.0):
    """(params, velocity) of the mistaken forms of momentum (lr inside v, the wrong sign, a moving average)."""
    w = {k: np.array(v, dtype=float) for k, v in params.items()}
    v = {k: np.zeros_like(a) for k, a in w.items()}
    for grads, lr in zip(grads_per_step, lrs):
        for k in w:
            v[k] = momentum * v[k] + (lr if lr_inside else 1.0) * (1.0 - dampening) * grads[k]
            w[k] = w[k] - sign * (1.0 if lr_inside else lr) * v[k]
    return w, v


SHAPES = {"W1": (3, 4), "b1": (3,), "W2": (2, 3), "b2": (2,)}
P3 = random_params(rng, SHAPES)
G3 = [random_params(rng, SHAPES) for _ in range(3)]
V3 = random_params(rng, SHAPES)


def expect_dict(got, what):
    if not isinstance(got, dict):
        raise ExpectationFailed(f"{what}: expected a dict of arrays with the keys {sorted(SHAPES)}, got "
                                f"{type(got).__name__}")
    missing = [k for k in SHAPES if k not in got]
    if missing:
        raise ExpectationFailed(f"{what}: the keys {missing} are missing (got {sorted(got)})")


@points(1, question="q3",
        hint="Return a new dict; the step goes against the gradient, and nothing you were given may change.")
def test_sgd_step(student):
    out, (params_after, grads_after, _) = student.sgd_step.and_inputs(P3, G3[0], 0.1)
    expect_dict(out, "sgd_step(...)")
    for name in SHAPES:
        expect_close(out[name], P3[name] - 0.1 * G3[0][name], what=f"new {name}",
                     given={name: P3[name], f"grad {name}": G3[0][name], "lr": 0.1}, mistakes={
                         "the step has the wrong sign": P3[name] + 0.1 * G3[0][name],
                         "the learning rate left out": P3[name] - G3[0][name],
                     })
    for name in SHAPES:
        expect_unchanged(P3[name], params_after[name], what=f"params['{name}']")
        expect_unchanged(G3[0][name], grads_after[name], what=f"grads['{name}']")


def momentum_run(student, lrs, momentum):
    """Three momentum_step calls from zero velocity, each with its own learning rate; the last (params, velocity)."""
    params, velocity = dict(P3), {k: np.zeros_like(v) for k, v in P3.items()}
    for grads, lr in zip(G3, lrs):
        result = student.momentum_step(params, grads, velocity, lr, momentum)
        expect_length(result, 2, what="momentum_step(...) (new params, new velocity)")
        params, velocity = result
        expect_dict(params, "the new params")
        expect_dict(velocity, "the new velocity")
    return params, velocity


@points(1, question="q3",
        hint="PyTorch's form: the velocity holds gradients only, the learning rate multiplies it when stepping.")
def test_momentum_matches_pytorch_when_lr_changes(student):
    lrs, mu = (0.1, 0.1, 0.02), 0.9
    params, velocity = momentum_run(student, lrs, mu)
    want_params, want_velocity = reference_momentum(P3, G3, lrs, mu)
    other_params, other_velocity = other_momentum(P3, G3, lrs, mu, lr_inside=True)
    wrong = {
        "momentum in the other convention (lr inside v)": other_params,
        "the step has the wrong sign": other_momentum(P3, G3, lrs, mu, sign=-1.0)[0],
        "(1 - momentum) times the gradient: that is a moving average, PyTorch adds the gradient itself":
            other_momentum(P3, G3, lrs, mu, dampening=mu)[0],
        "a plain SGD step: the velocity was left out": other_momentum(P3, G3, lrs, 0.0)[0],
    }
    for name in SHAPES:
        expect_close(params[name], want_params[name], what=f"{name} after 3 steps with lr = {lrs}, momentum {mu}",
                     given={f"{name} at the start": P3[name]},
                     mistakes={label: w[name] for label, w in wrong.items()})
    for name in SHAPES:
        expect_close(velocity[name], want_velocity[name], what=f"velocity of {name} after 3 steps", mistakes={
            "momentum in the other convention (lr inside v)": other_velocity[name],
        })


@points(1, question="q3",
        hint="The old velocity is decayed by the momentum before the gradient is added; build new dicts, never "
             "write into the ones you were given.")
def test_momentum_step_from_a_velocity_leaves_its_inputs_alone(student):
    call = student.momentum_step.and_inputs
    result, (params_after, grads_after, velocity_after, _, _) = call(P3, G3[0], V3, 0.1, 0.9)
    expect_length(result, 2, what="momentum_step(...) (new params, new velocity)")
    params, velocity = result
    expect_dict(params, "the new params")
    want_params, want_velocity = {}, {}
    for name in SHAPES:
        want_velocity[name] = 0.9 * V3[name] + G3[0][name]
        want_params[name] = P3[name] - 0.1 * want_velocity[name]
        expect_close(velocity[name], want_velocity[name], what=f"new velocity of {name}",
                     given={"old velocity": V3[name], "grad": G3[0][name], "momentum": 0.9}, mistakes={
                         "momentum in the other convention (lr inside v)": 0.9 * V3[name] + 0.1 * G3[0][name],
                         "the old velocity not multiplied by the momentum": V3[name] + G3[0][name],
                         "the old velocity forgotten (v = g)": G3[0][name],
                     })
        expect_close(params[name], want_params[name], what=f"new {name}")
    for name in SHAPES:
        expect_unchanged(P3[name], params_after[name], what=f"params['{name}']")
        expect_unchanged(V3[name], velocity_after[name], what=f"velocity['{name}']")
        expect_unchanged(G3[0][name], grads_after[name], what=f"grads['{name}']")


# ----------------------------------------------------------------------------- question 4: an MLP's gradients

def reference_model(params):
    """nnedu's Sequential of Linear and ReLU layers with the weights of ``params``."""
    n_layers = len(params) // 2
    layers = []
    for l in range(1, n_layers + 1):
        out_features, in_features = params[f"W{l}"].shape
        layer = nn.Linear(in_features, out_features)
        layer.load_state_dict({"weight": params[f"W{l}"], "bias": params[f"b{l}"]})
        layers += [layer] + ([nn.ReLU()] if l < n_layers else [])
    return nn.Sequential(*layers)


def reference_loss_and_grads(params, X, y):
    model = reference_model(params)
    loss_fn = nn.CrossEntropyLoss()
    loss = float(loss_fn(model(X), y))
    model.backward(loss_fn.backward())
    linears = [m for m in model.children() if isinstance(m, nn.Linear)]
    grads = {}
    for l, layer in enumerate(linears, start=1):
        grads[f"W{l}"], grads[f"b{l}"] = layer.weight.grad.copy(), _bias(layer).grad.copy()
    return loss, grads


def grads_without_relu_slope(params, X, y):
    """The gradients a backward pass computes when it forgets to multiply by ReLU's slope."""
    n_layers, n = len(params) // 2, len(y)
    acts = [X]
    for l in range(1, n_layers + 1):
        z = acts[-1] @ params[f"W{l}"].T + params[f"b{l}"]
        acts.append(np.maximum(z, 0) if l < n_layers else z)
    z = acts[-1] - acts[-1].max(axis=1, keepdims=True)
    delta = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    delta[np.arange(n), y] -= 1
    delta /= n
    grads = {}
    for l in range(n_layers, 0, -1):
        grads[f"W{l}"], grads[f"b{l}"] = delta.T @ acts[l - 1], delta.sum(axis=0)
        delta = delta @ params[f"W{l}"]
    return grads


SIZES4 = (6, 5, 4, 3)
P4 = {}
for _l in range(1, len(SIZES4)):
    P4[f"W{_l}"] = rng.normal(0.0, 0.7, size=(SIZES4[_l], SIZES4[_l - 1]))
    P4[f"b{_l}"] = rng.normal(0.0, 0.3, size=SIZES4[_l])
X4 = rng.normal(size=(7, SIZES4[0]))
Y4 = np.array([0, 2, 1, 1, 0, 2, 2])


@points(1, question="q4", hint="The last layer stays linear: the logits go to the loss without a ReLU.")
def test_logits(student):
    want = reference_model(P4)(X4)
    got = student.mlp_logits(P4, X4)
    expect_close(got, want, what="mlp_logits on a 6-5-4-3 network", given={"X": X4}, mistakes={
        "a ReLU on the last layer too (the logits must stay linear)": np.maximum(want, 0),
        "the weight used untransposed (shape (n_l, n_(l-1)) multiplies from the right as its transpose)":
            lambda got: np.asarray(got).shape != want.shape,
    })


@points(1, question="q4",
        hint="The loss is a mean over the batch; shift each row of logits by its maximum before exponentiating.")
def test_loss(student):
    want, _ = reference_loss_and_grads(P4, X4, Y4)
    result = student.mlp_loss_and_grads(P4, X4, Y4)
    expect_length(result, 2, what="mlp_loss_and_grads(...) (loss, grads)")
    expect_close(result[0], want, what="loss", given={"X": X4, "y": Y4}, mistakes={
        "sum instead of mean over the batch (a factor of N)": want * len(Y4),
        "the loss has the wrong sign (minus the log-probability)": -want,
    })
    big = {k: 60.0 * v for k, v in P4.items()}                     # logits in the hundreds or more
    want_big, _ = reference_loss_and_grads(big, X4, Y4)
    got_big = student.mlp_loss_and_grads(big, X4, Y4)[0]
    expect_close(got_big, want_big, what="loss with logits in the hundreds", mistakes={
        "softmax without the max shift (overflow)": lambda got: not np.all(np.isfinite(got)),
    })


@points(2, question="q4",
        hint="Delta^L is (softmax - one-hot) / N; on the way down, through W^l, then ReLU's slope of the layer below.")
def test_gradients(student):
    _, want = reference_loss_and_grads(P4, X4, Y4)
    result = student.mlp_loss_and_grads(P4, X4, Y4)
    expect_length(result, 2, what="mlp_loss_and_grads(...) (loss, grads)")
    grads = result[1]
    if not isinstance(grads, dict):
        raise ExpectationFailed(f"grads: expected a dict with the keys of params, got {type(grads).__name__}")
    no_slope = grads_without_relu_slope(P4, X4, Y4)
    for name in ["W3", "b3", "W2", "b2", "W1", "b1"]:             # from the output down, as backprop goes
        if name not in grads:
            raise ExpectationFailed(f"grads: the key {name!r} is missing (got {sorted(grads)})")
        expect_close(grads[name], want[name], what=f"dC/d{name}", given={"X": X4, "y": Y4}, mistakes={
            "sum instead of mean over the batch (a factor of N)": want[name] * len(Y4),
            "the gradient has the wrong sign": -want[name],
            "ReLU's slope left out of the backward pass": no_slope[name],
            "transposed weight gradient": lambda got, name=name: got.ndim == 2 and got.shape == want[name].shape[::-1],
        })


# ----------------------------------------------------------------------------- question 5: one epoch

def reference_epochs_of_training(params, X, y, epochs, lr, momentum):
    """(params, velocity, losses) of nnedu's train_epoch with SGD(momentum), one epoch per list of index arrays."""
    model = reference_model(params)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for batches in epochs:
        loss, _ = train_epoch(model, nn.CrossEntropyLoss(), optimizer, [(X[i], y[i]) for i in batches])
        losses.append(loss)
    linears = [m for m in model.children() if isinstance(m, nn.Linear)]
    out, velocity = {}, {}
    for l, layer in enumerate(linears, start=1):
        out[f"W{l}"], out[f"b{l}"] = layer.weight.data.copy(), _bias(layer).data.copy()
        velocity[f"W{l}"], velocity[f"b{l}"] = (optimizer.state[layer.weight]["momentum_buffer"].copy(),
                                                optimizer.state[_bias(layer)]["momentum_buffer"].copy())
    return out, velocity, losses


def mistaken_epochs(params, X, y, epochs, lr, momentum, reset_velocity=False, frozen=False):
    """(params, means of the batch losses, sums of the batch losses) of the mistaken loops.

    ``reset_velocity``: a velocity of zeros for every batch; ``frozen``: every batch's gradient taken at the
    weights the epoch started from.
    """
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    v = {k: np.zeros_like(a) for k, a in p.items()}
    means, sums = [], []
    for batches in epochs:
        start = dict(p)
        batch_losses = []
        for index in batches:
            loss, grads = reference_loss_and_grads(start if frozen else p, X[index], y[index])
            batch_losses.append(loss)
            if reset_velocity:
                v = {k: np.zeros_like(a) for k, a in p.items()}
            for k in p:
                v[k] = momentum * v[k] + grads[k]
                p[k] = p[k] - lr * v[k]
        means.append(float(np.mean(batch_losses)))
        sums.append(float(np.sum(batch_losses)))
    return p, means, sums


SIZES5 = (6, 8, 3)
P5 = {}
for _l in range(1, len(SIZES5)):
    P5[f"W{_l}"] = rng.normal(0.0, np.sqrt(2.0 / SIZES5[_l - 1]), size=(SIZES5[_l], SIZES5[_l - 1]))
    P5[f"b{_l}"] = np.zeros(SIZES5[_l])
X5 = rng.normal(size=(45, SIZES5[0]))
Y5 = (X5[:, 0] > 0).astype(np.int64) + (X5[:, 1] > 0.5)             # three classes from the inputs
EPOCHS5 = reference_epochs(45, 8, 3, seed=5)                          # 5 batches of 8 and one of 5, 3 times
LR5, MU5 = 0.1, 0.9
V5 = {k: 0.3 * rng.normal(size=v.shape) for k, v in P5.items()}      # a velocity left from earlier epochs


def run_epochs(student):
    """Three calls of the student's sgd_epoch, carrying params and velocity: (params, velocity, losses)."""
    params, velocity, losses = dict(P5), {k: np.zeros_like(v) for k, v in P5.items()}, []
    for batches in EPOCHS5:
        result = student.sgd_epoch(params, velocity, X5, Y5, batches, LR5, MU5)
        expect_length(result, 3, what="sgd_epoch(...) (params, velocity, mean loss)")
        params, velocity, loss = result
        for what, value in (("params", params), ("velocity", velocity)):
            if not isinstance(value, dict) or any(k not in value for k in P5):
                raise ExpectationFailed(f"the {what} sgd_epoch returns: expected a dict with the keys {sorted(P5)}, "
                                        f"got {describe(value)}")
        losses.append(loss)
    return params, velocity, losses


@points(2, question="q5",
        hint="For every batch: gradients at the current weights, then momentum_step; carry params and velocity on.")
def test_weights_after_three_epochs(student):
    params, velocity, _ = run_epochs(student)
    want, want_velocity, _ = reference_epochs_of_training(P5, X5, Y5, EPOCHS5, LR5, MU5)
    per_batch = mistaken_epochs(P5, X5, Y5, EPOCHS5, LR5, MU5, reset_velocity=True)[0]
    frozen = mistaken_epochs(P5, X5, Y5, EPOCHS5, LR5, MU5, frozen=True)[0]
    for name in want:
        expect_close(params[name], want[name], rtol=1e-5, atol=1e-7,
                     what=f"{name} after 3 epochs (n = 45, B = 8, lr = {LR5}, momentum {MU5})",
                     given={f"{name} at the start": P5[name]}, mistakes={
                         "the velocity is not carried from one batch to the next": per_batch[name],
                         "every batch's gradient taken at the weights the epoch started from": frozen[name],
                     })
    for name in want:
        expect_close(velocity[name], want_velocity[name], rtol=1e-5, atol=1e-7,
                     what=f"the velocity of {name} after 3 epochs")


@points(1, question="q5",
        hint="The epoch's loss is a mean over samples: a batch of 5 counts 5/8 as much as a batch of 8.")
def test_mean_loss_per_epoch(student):
    _, _, losses = run_epochs(student)
    _, _, want = reference_epochs_of_training(P5, X5, Y5, EPOCHS5, LR5, MU5)
    _, means, sums = mistaken_epochs(P5, X5, Y5, EPOCHS5, LR5, MU5)
    expect_close(losses, want, rtol=1e-5, atol=1e-7, what="the mean loss of each of the 3 epochs", mistakes={
        "the mean of the batch losses (the smaller last batch counts as much as a full one)": means,
        "the batch losses summed, not averaged over the samples": sums,
    })


@points(1, question="q5",
        hint="Start from the velocity you are given, and keep what momentum_step returns; never write into params.")
def test_sgd_epoch_goes_on_from_its_inputs_and_leaves_them_alone(student):
    result, inputs = student.sgd_epoch.and_inputs(P5, V5, X5, Y5, EPOCHS5[0], LR5, MU5)
    expect_length(result, 3, what="sgd_epoch(...) (params, velocity, mean loss)")
    want = dict(P5)
    v = dict(V5)
    for index in EPOCHS5[0]:
        _, grads = reference_loss_and_grads(want, X5[index], Y5[index])
        v = {k: MU5 * v[k] + grads[k] for k in v}
        want = {k: want[k] - LR5 * v[k] for k in want}
    zero_start = mistaken_epochs(P5, X5, Y5, [EPOCHS5[0]], LR5, MU5)[0]
    params = result[0]
    if not isinstance(params, dict):
        raise ExpectationFailed(f"the params sgd_epoch returns: expected a dict, got {describe(params)}")
    for name in P5:
        expect_close(params.get(name), want[name], rtol=1e-5, atol=1e-7,
                     what=f"{name} after one epoch from a non-zero velocity", mistakes={
                         "the velocity given is ignored (each epoch starts again from zero)": zero_start[name],
                     })
    params_after, velocity_after = inputs[0], inputs[1]
    for name in P5:
        expect_unchanged(P5[name], params_after[name], what=f"the params['{name}'] that sgd_epoch was given")
        expect_unchanged(V5[name], velocity_after[name], what=f"the velocity['{name}'] that sgd_epoch was given")


# ----------------------------------------------------------------------------- question 6: predict

@points(1, question="q6", hint="A mean of B independent terms: its variance falls like 1/B.", kind="predict")
def test_batch_noise(student):
    expect_choice(student.q6_batch_noise(), "b", "abcd", what="the noise of a batch of 32 against 8", mistakes={
        "c": "a quarter is the variance's ratio (1/4); the standard deviation is its square root, 1/2",
        "a": "the mean of B samples scatters less than one sample: the noise averages out",
        "d": "a larger batch averages more samples, so its gradient scatters less, not more",
    })


@points(1, question="q6", kind="predict",
        hint="A step a hundred times too long: what does it do to the loss, then to ReLU units pushed far below 0?")
def test_large_learning_rate(student):
    expect_choice(student.q6_large_lr(), "c", "abcd", what="training with lr = 5", mistakes={
        "a": "larger steps only help while they stay below the largest stable learning rate (chapter 7)",
        "b": "momentum makes the steps longer, not shorter: it cannot rescue a learning rate that is far too large",
        "d": "numpy does not stop: overflow gives inf and NaN with a warning, and the training goes on",
    })


# ----------------------------------------------------------------------------- question 7: capstone

THRESHOLD, CLOSE = 0.95, 0.90


@functools.cache
def chapter_digits():
    """The chapter's split of the digits: (X_train, y_train, X_test, y_test), validation left out."""
    from nnedu.data import load_digits, train_test_split

    X, y = load_digits()
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    X_train, _, y_train, _ = train_test_split(X_rest, y_rest, test_size=0.25, seed=0, stratify=True)
    return X_train, y_train, X_test, y_test


def expect_labels(got, n, what):
    """Integer labels of shape (n,), or the named mistake of scores and probabilities."""
    array = np.asarray(got) if not isinstance(got, (str, dict)) else None
    if array is not None and array.ndim == 2 and array.shape[0] == n:
        raise mistake("predict_mlp returns scores or probabilities, not labels",
                      f"{what}: got an array of shape {array.shape}; return the index of the largest logit of "
                      f"each row, shape ({n},)")
    if array is not None and array.ndim == 1 and array.shape[0] != n and array.shape[0] == 10:
        raise mistake("the largest logit taken over the wrong axis",
                      f"{what}: got {array.shape[0]} labels for {n} samples: one label per row")
    expect_shape(got, (n,), what=what)
    array = np.asarray(got)
    if not np.all(np.equal(np.mod(array, 1), 0)):
        raise ExpectationFailed(f"{what}: expected integer labels 0-9, got values such as {array[:3]}")
    return array.astype(int)


@points(1, question="q7", hint="One label per row: the index of the largest of its logits.", kind="capstone")
def test_predict_mlp_on_given_weights(student):
    generator = np.random.default_rng(97)
    params = {}
    for l, (n_in, n_out) in enumerate([(64, 30), (30, 10)], start=1):
        params[f"W{l}"] = generator.normal(0.0, np.sqrt(2.0 / n_in), size=(n_out, n_in))
        params[f"b{l}"] = generator.normal(0.0, 0.1, size=n_out)
    X = generator.uniform(0.0, 1.0, size=(40, 64))                  # 40 images of 64 pixels in [0, 1]
    want = reference_model(params)(X).argmax(axis=1)
    got = expect_labels(student.predict_mlp(params, X), len(X), what="predict_mlp on a given 64-30-10 network")
    expect_equal(got, want, what="the predicted labels")


@points(3, question="q7", hint="Train on the chapter's 1077 digits; choose the hyperparameters on the validation set.",
        kind="capstone", timeout=120)
def test_capstone_accuracy_on_the_test_digits(student):
    X_train, y_train, X_test, y_test = chapter_digits()
    start = time.perf_counter()
    params = student.train_mlp(X_train, y_train, 0)
    seconds = time.perf_counter() - start
    labels = expect_labels(student.predict_mlp(params, X_test), len(y_test), what="predict_mlp on the test digits")
    accuracy = float(np.mean(labels == y_test))
    said = (f"test accuracy {accuracy:.1%} ({int(np.sum(labels != y_test))} of {len(y_test)} test digits wrong), "
            f"train_mlp took {seconds:.1f} s")
    part = Partial()
    with part(1):
        if accuracy < CLOSE:
            raise ExpectationFailed(f"{said}: below {CLOSE:.0%}, the bar for a third of the marks")
    with part(2):
        if accuracy < THRESHOLD:
            raise ExpectationFailed(f"{said}: below {THRESHOLD:.0%}, the bar for full marks" if accuracy >= CLOSE
                                    else f"and below {THRESHOLD:.0%}, the bar for full marks")
    return part
