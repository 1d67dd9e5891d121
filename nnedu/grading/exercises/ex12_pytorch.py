"""Public tests of exercise 12 (from nnedu to PyTorch). The grader itself needs no torch.

The student's code runs PyTorch and hands back numpy arrays; every reference answer here comes from
nnedu's own layers, losses and optimisers (tested against PyTorch in tests/test_layers_vs_torch.py)
or from numpy closed forms. float64 throughout, so the tolerances are tight: an answer computed in
float32 is recognised by being right to about 1e-7 only.
"""

import numpy as np

from nnedu import functional as F
from nnedu import nn
from nnedu.grading import expect_choice, expect_close, expect_equal, expect_length, expect_shape, mistake, points
from nnedu.grading.api import StudentError
from nnedu.optim import SGD

# Academic integrity: the graded code may import nnedu only to call nnedu.check (nnedu holds the
# reference answers); nnedu grade flags a submission that uses anything else of it. PyTorch is the point.
MUST_NOT_USE = ("nnedu",)

RTOL, ATOL = 1e-9, 1e-12  # float64 against float64: agreement to rounding error
FLOAT32 = "float32 instead of float64 (torch's default dtype met the float64 data)"
KEYS = ("0.weight", "0.bias", "2.weight", "2.bias")

rng = np.random.default_rng(12)


def float32_like(expected):
    """A predicate: right to float32's precision only (a float32 tensor somewhere in the computation)."""
    return lambda got: np.allclose(got, expected, rtol=1e-4, atol=1e-6)


def call_float64(function, *args):
    """``function(*args)``; a dtype clash inside the student's code (float32 layer, float64 data) is named."""
    try:
        return function(*args)
    except StudentError as exc:
        if "dtype" in str(exc):
            raise mistake(FLOAT32, "a layer made by torch.nn is float32 unless told otherwise, and a float32 "
                                   "layer cannot take float64 inputs:\n" + str(exc).splitlines()[0][:300]) from None
        raise


def mlp_params(d, h, c, generator):
    """The state dict of Linear(d, h), ReLU, Linear(h, c): weights (out, in), as torch and nnedu store them."""
    return {"0.weight": generator.normal(size=(h, d)) * 0.7, "0.bias": generator.normal(size=h) * 0.3,
            "2.weight": generator.normal(size=(c, h)) * 0.7, "2.bias": generator.normal(size=c) * 0.3}


def nnedu_mlp(params):
    """nnedu's Sequential(Linear, ReLU, Linear) holding ``params`` (the reference network)."""
    (h, d), c = params["0.weight"].shape, params["2.weight"].shape[0]
    model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, c))
    model.load_state_dict(params)
    return model


def reference_loss_and_grads(params, X, y):
    """(mean cross-entropy, gradients by name) from nnedu's hand-written backward passes."""
    model = nnedu_mlp(params)
    loss_fn = nn.CrossEntropyLoss()
    loss = float(loss_fn(model(X), y))
    model.zero_grad()
    model.backward(loss_fn.backward())
    return loss, {name: p.grad.copy() for name, p in model.named_parameters()}


def cross_entropy_of_probabilities(params, X, y):
    """The loss when softmax probabilities are fed to a loss that expects logits (it takes a softmax again)."""
    probabilities = F.softmax(nnedu_mlp(params)(X), axis=1)
    return float(-F.log_softmax(probabilities, axis=1)[np.arange(len(y)), y].mean())


# ---------------------------------------------------------------- Question 1: autograd's gradients
Q1_PARAMS = mlp_params(4, 5, 3, rng)
Q1_X, Q1_Y = rng.normal(size=(6, 4)), np.array([0, 2, 1, 2, 0, 1])
Q1_GIVEN = {"X": Q1_X, "y": Q1_Y, "W1": Q1_PARAMS["0.weight"]}


def q1_call(student):
    args = [Q1_PARAMS[k] for k in KEYS] + [Q1_X, Q1_Y]
    result = call_float64(student.mlp_loss_and_grads, *args)
    expect_length(result, 2)
    expect_length(result[1], 4, what="the list of gradients [dW1, db1, dW2, db2]")
    return result


@points(1, question="q1", kind="implement",
        hint="cross_entropy wants the raw scores of the last layer, and averages over the batch.")
def test_mlp_loss(student):
    loss, _ = q1_call(student)
    expected, _ = reference_loss_and_grads(Q1_PARAMS, Q1_X, Q1_Y)
    n = len(Q1_Y)
    expect_close(loss, expected, RTOL, ATOL, what="loss", given=Q1_GIVEN, mistakes={
        "softmax probabilities fed to cross_entropy, which expects logits":
            cross_entropy_of_probabilities(Q1_PARAMS, Q1_X, Q1_Y),
        "the loss summed over the batch instead of averaged (reduction='sum')": n * expected,
        FLOAT32: float32_like(expected),
    })


@points(2, question="q1", kind="implement",
        hint="Make every parameter a leaf tensor that records gradients, call backward once on the loss, "
             "then read each parameter's .grad.")
def test_mlp_grads(student):
    _, grads = q1_call(student)
    _, expected = reference_loss_and_grads(Q1_PARAMS, Q1_X, Q1_Y)
    n = len(Q1_Y)
    for key, got in zip(KEYS, grads):
        name = {"0.weight": "dW1", "0.bias": "db1", "2.weight": "dW2", "2.bias": "db2"}[key]
        expect_shape(got, Q1_PARAMS[key].shape, what=name)
        expect_close(got, expected[key], RTOL, ATOL, what=name, given=Q1_GIVEN, mistakes={
            "the gradient of the loss summed over the batch (a factor of N)": n * expected[key],
            FLOAT32: float32_like(expected[key]),
        })


# ---------------------------------------------------------------- Question 2: a loss and a gradient by hand
Q2_W = np.array([[1.0, -1.0], [2.0, 0.0], [0.0, 1.0]])
Q2_B = np.array([1.0, -2.0, 0.0])
Q2_X = np.array([[1.0, 2.0], [0.0, 1.0]])
Q2_Y = np.array([2, 0])


def q2_reference():
    z = Q2_X @ Q2_W.T + Q2_B
    p = F.softmax(z, axis=1)
    one_hot = F.one_hot(Q2_Y, 3)
    losses = -np.log(p[np.arange(2), Q2_Y])
    return z, p, one_hot, losses


@points(1, question="q2", kind="derive",
        hint="Logits first (one row per sample), then a softmax per row; the loss is a mean over the two samples.")
def test_q2_loss(student):
    z, p, _, losses = q2_reference()
    z_no_bias = Q2_X @ Q2_W.T
    expect_close(student.q2_loss(), losses.mean(), rtol=1e-3, atol=1e-4, what="loss.item()", mistakes={
        "the sum over the batch, not the mean (CrossEntropyLoss averages)": losses.sum(),
        "the probability of the right class instead of minus its logarithm": p[np.arange(2), Q2_Y].mean(),
        "the bias was left out of the logits":
            -F.log_softmax(z_no_bias, axis=1)[np.arange(2), Q2_Y].mean(),
        "the loss of the first sample only": losses[0],
    })


@points(1, question="q2", kind="derive",
        hint="For softmax with cross-entropy, the gradient with respect to the logits is a difference of two "
             "rows; the bias collects it from every sample, and the mean divides by the batch size.")
def test_q2_bias_grad(student):
    _, p, one_hot, _ = q2_reference()
    expected = (p - one_hot).mean(axis=0)
    got = student.q2_bias_grad()
    expect_shape(got, (3,), what="layer.bias.grad")
    expect_close(got, expected, rtol=1e-3, atol=1e-4, what="layer.bias.grad", mistakes={
        "the gradient has the wrong sign (one-hot minus softmax)": -expected,
        "the sum over the batch, not the mean (CrossEntropyLoss averages)": 2 * expected,
    })


# ---------------------------------------------------------------- Question 3: the decks' Keras MLP in torch.nn
def keras_layers(sizes, generator):
    """Keras' Dense weights for the given layer sizes: kernels (in, out) and biases (out,)."""
    kernels = [generator.normal(size=(a, b)) * 0.8 for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [generator.normal(size=b) * 0.3 for b in sizes[1:]]
    return kernels, biases


def keras_reference(kernels, biases, X, p_drop, as_loaded=False):
    """Logits of the decks' MLP in evaluation mode, from nnedu's layers (the Linear weight is the kernel's
    transpose). ``as_loaded=True``: the kernels loaded as the weights as they come, without the transpose."""
    layers: list[nn.Module] = []
    for i, (kernel, bias) in enumerate(zip(kernels, biases)):
        linear = nn.Linear(*kernel.shape)
        weight = kernel if as_loaded else kernel.T
        linear.load_state_dict({"weight": weight, "bias": bias})
        layers += [linear] if i == len(kernels) - 1 else [linear, nn.ReLU(), nn.Dropout(p_drop)]
    model = nn.Sequential(*layers)
    model.eval()
    return model(X)


Q3_SQUARE = keras_layers((3, 3, 3, 3), rng)  # every kernel square: a missing transpose still runs
Q3_SQUARE_X = rng.normal(size=(5, 3))
Q3_DECKS = keras_layers((6, 5, 4, 3), rng)   # the decks' shape: in, hidden, hidden, classes
Q3_DECKS_X = rng.normal(size=(7, 6))


@points(2, question="q3", kind="implement",
        hint="Keras multiplies a row by its kernel from the right; a Linear layer of PyTorch stores its weight "
             "the other way round. The model ends with its last Linear layer, and a PyTorch model has no softmax.")
def test_keras_mlp_square_layers(student):
    kernels, biases = Q3_SQUARE
    got = call_float64(student.keras_mlp_logits, kernels, biases, Q3_SQUARE_X, 0.2)
    expected = keras_reference(kernels, biases, Q3_SQUARE_X, 0.2)
    expect_close(got, expected, RTOL, ATOL, what="logits", given={"X": Q3_SQUARE_X, "kernels[0]": kernels[0]},
                 mistakes={
        "kernel loaded without transposing (Keras stores (in, out), torch.nn.Linear (out, in))":
            keras_reference(kernels, biases, Q3_SQUARE_X, 0.2, as_loaded=True),
        "softmax kept at the end of the model (a PyTorch model returns logits: the loss applies log-softmax)":
            F.softmax(expected, axis=1),
        FLOAT32: float32_like(expected),
    })


@points(1, question="q3", kind="implement",
        hint="Read the layer sizes off the kernels' shapes: the first kernel has the inputs as rows.")
def test_keras_mlp_decks_shapes(student):
    kernels, biases = Q3_DECKS
    got = call_float64(student.keras_mlp_logits, kernels, biases, Q3_DECKS_X, 0.2)
    expect_shape(got, (7, 3), what="logits (one row per sample, one column per class)")
    expected = keras_reference(kernels, biases, Q3_DECKS_X, 0.2)
    expect_close(got, expected, RTOL, ATOL, what="logits", given={"X": Q3_DECKS_X}, mistakes={
        "softmax kept at the end of the model (a PyTorch model returns logits: the loss applies log-softmax)":
            F.softmax(expected, axis=1),
        FLOAT32: float32_like(expected),
    })


@points(1, question="q3", kind="implement",
        hint="A model answers the same input with the same logits only once its dropout layers are switched off.")
def test_keras_mlp_dropout_off_for_predictions(student):
    kernels, biases = Q3_DECKS
    first = call_float64(student.keras_mlp_logits, kernels, biases, Q3_DECKS_X, 0.5)
    second = call_float64(student.keras_mlp_logits, kernels, biases, Q3_DECKS_X, 0.5)
    expect_shape(first, (7, 3), what="logits")
    if not np.allclose(first, second, rtol=RTOL, atol=ATOL):
        raise mistake("model left in training mode: dropout still on (call model.eval() before predicting)",
                      "the same input, twice, gave different logits with p_drop = 0.5")
    expect_close(first, keras_reference(kernels, biases, Q3_DECKS_X, 0.5), RTOL, ATOL, what="logits",
                 given={"X": Q3_DECKS_X, "p_drop": 0.5})


# ---------------------------------------------------------------- Question 4: parameters, counted by hand
MLP_LAYERS = [(784, 512), (512, 512), (512, 10)]
CNN_CONV = [(1, 32), (32, 64)]  # (in, out) channels of the two 3x3 convolutions


def linear_count(layers, bias=True):
    return sum(a * b + (b if bias else 0) for a, b in layers)


def cnn_count(side, bias=True):
    conv = sum(c_in * c_out * 9 + (c_out if bias else 0) for c_in, c_out in CNN_CONV)
    return conv + linear_count([(64 * side * side, 128), (128, 10)], bias)


@points(1, question="q4", kind="derive",
        hint="A linear layer from n_in to n_out units holds a weight matrix and a bias vector; dropout and ReLU "
             "hold nothing.")
def test_q4_mlp_parameters(student):
    got = int(student.q4_mlp_parameters())
    if got == linear_count(MLP_LAYERS, bias=False):
        raise mistake("the biases were not counted",
                      f"you answered {got}: each Linear(n_in, n_out) also has n_out biases")
    expect_equal(got, linear_count(MLP_LAYERS), what="parameters of the MLP")


@points(1, question="q4", kind="derive",
        hint="Chapter 11's output size: an unpadded 3x3 convolution takes one pixel off every side, "
             "and 2x2 pooling halves the side; then channels times height times width.")
def test_q4_cnn_features(student):
    got = int(student.q4_cnn_features())
    named = {64 * 14 * 14: "the convolutions were taken as padded (28 -> 28 -> 28, pooled to 14)",
             64 * 24 * 24: "the max pooling was left out (24 x 24 maps)",
             64 * 13 * 13: "each 3x3 convolution taken to remove one pixel in all, not one on each side",
             32 * 12 * 12: "the channels of the first convolution, not of the second"}
    if got in named:
        raise mistake(named[got], f"you answered {got}")
    expect_equal(got, 64 * 12 * 12, what="in_features of the first Linear")


@points(1, question="q4", kind="derive",
        hint="A convolution from c_in to c_out channels has one 3x3 kernel per pair of input and output channels, "
             "plus one bias per output channel.")
def test_q4_cnn_parameters(student):
    got = int(student.q4_cnn_parameters())
    named = {cnn_count(12, bias=False): "the biases were not counted",
             cnn_count(14): "the convolutions were taken as padded (28 -> 28 -> 28, pooled to 14)",
             cnn_count(24): "the max pooling was left out (24 x 24 maps)",
             cnn_count(12) - 8 * (1 * 32 + 32 * 64): "one weight per channel pair instead of a 3x3 kernel"}
    if got in named:
        raise mistake(named[got], f"you answered {got}")
    expect_equal(got, cnn_count(12), what="parameters of the CNN")


# ---------------------------------------------------------------- Question 5: one epoch with a DataLoader
Q5_PARAMS = mlp_params(4, 6, 3, rng)
Q5_X = rng.normal(size=(10, 4))
Q5_Y = rng.integers(0, 3, size=10)
Q5_GIVEN = {"X": Q5_X, "y": Q5_Y}


def reference_epoch(params, X, y, lr, momentum, batch_size, zero_grad=True):
    """(loss of every batch, state dict after the epoch) with nnedu's SGD, batches in order."""
    model = nnedu_mlp(params)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        if zero_grad:
            optimizer.zero_grad()
        losses.append(float(loss_fn(model(xb), yb)))
        model.backward(loss_fn.backward())
        optimizer.step()
    return losses, model.state_dict()


def losses_without_training(params, X, y, batch_size):
    """The loss of every batch when the weights never move."""
    model, loss_fn = nnedu_mlp(params), nn.CrossEntropyLoss()
    return [float(loss_fn(model(X[i:i + batch_size]), y[i:i + batch_size])) for i in range(0, len(X), batch_size)]


def q5_call(student, lr, momentum, batch_size):
    result = call_float64(student.train_one_epoch, Q5_PARAMS, Q5_X, Q5_Y, lr, momentum, batch_size)
    expect_length(result, 2)
    losses, state = result
    if not isinstance(state, dict):
        raise AssertionError(f"the second result must be the state dict (a dict of arrays), got {type(state).__name__}")
    expect_equal(sorted(state), sorted(KEYS), what="the state dict's keys")
    return losses, state


@points(1, question="q5", kind="implement",
        hint="10 samples in batches of 4 make three batches, the last one smaller; "
             "the first batch's loss is computed before any step.")
def test_epoch_batches(student):
    losses, _ = q5_call(student, 0.1, 0.0, 4)
    expect_shape(losses, (3,), what="the list of batch losses")
    first = losses_without_training(Q5_PARAMS, Q5_X[:4], Q5_Y[:4], 4)[0]
    expect_close(losses[0], first, RTOL, ATOL, what="loss of the first batch", given=Q5_GIVEN, mistakes={
        "softmax probabilities fed to CrossEntropyLoss, which expects logits":
            cross_entropy_of_probabilities(Q5_PARAMS, Q5_X[:4], Q5_Y[:4]),
        FLOAT32: float32_like(first),
    })


@points(2, question="q5", kind="implement",
        hint="For each batch, in this order: clear the old gradients; forward pass and loss; backpropagation; "
             "then the step.")
def test_epoch_losses_and_weights(student):
    lr, momentum, batch_size = 0.2, 0.9, 3
    losses, state = q5_call(student, lr, momentum, batch_size)
    expected_losses, expected_state = reference_epoch(Q5_PARAMS, Q5_X, Q5_Y, lr, momentum, batch_size)
    accumulated_losses, accumulated = reference_epoch(Q5_PARAMS, Q5_X, Q5_Y, lr, momentum, batch_size,
                                                      zero_grad=False)
    forgot_zero_grad = "zero_grad forgotten: the gradients of earlier batches accumulate in .grad"
    never_moved = "step before backward: zero_grad then step find no gradient, so the weights never change"
    expect_close(losses, expected_losses, RTOL, ATOL, what="batch losses", given=Q5_GIVEN, mistakes={
        forgot_zero_grad: accumulated_losses,
        never_moved: losses_without_training(Q5_PARAMS, Q5_X, Q5_Y, batch_size),
        FLOAT32: float32_like(expected_losses),
    })
    for key in KEYS:
        expect_close(state[key], expected_state[key], RTOL, ATOL, what=f"{key} after the epoch", given=Q5_GIVEN,
                     mistakes={forgot_zero_grad: accumulated[key], never_moved: Q5_PARAMS[key],
                               FLOAT32: float32_like(expected_state[key])})


# ---------------------------------------------------------------- Question 6: predictions
@points(1, question="q6", kind="predict",
        hint="Does backward write into .grad or add to it?")
def test_q6_two_backwards(student):
    w = np.array([1.0, 2.0])
    got = student.q6_grad_after_two_backwards()
    expect_close(got, 2 * (2 * w), what="w.grad after the loop", mistakes={
        "backward was taken to overwrite .grad (it adds to it until zero_grad)": 2 * w,
        "the gradient of w ** 2 is 2 w, not w ** 2 (or w)": lambda got: np.allclose(got, w) or
                                                                          np.allclose(got, w**2),
    })


@points(1, question="q6", kind="predict",
        hint="Inverted dropout does its scaling while training.")
def test_q6_dropout_in_eval_mode(student):
    expect_choice(student.q6_dropout_eval(), "b", "abcd", mistakes={
        "a": "eval() switches dropout off: no units are dropped at evaluation",
        "c": "inverted dropout scales by 1 / (1 - p) during training, so evaluation needs no scaling",
        "d": "eval() switches dropout off: no units are dropped at evaluation",
    })


@points(1, question="q6", kind="predict",
        hint="What is in .grad at the moment step() runs?")
def test_q6_step_before_backward(student):
    expect_choice(student.q6_step_before_backward(), "b", "abcd", mistakes={
        "a": "zero_grad clears the gradient before step could use it, every time round the loop",
        "c": "step() skips a parameter whose .grad is None: no error",
    })


@points(1, question="q6", kind="predict",
        hint="Which of the two changes what the layers compute, and which stops the recording of operations?")
def test_q6_eval_and_no_grad(student):
    expect_choice(student.q6_eval_and_gradients(), "c", "abcd", mistakes={
        "a": "eval() changes only layers that behave differently in training (dropout, batch norm); "
             "autograd still records: that is torch.no_grad()",
        "b": "eval() changes only layers that behave differently in training (dropout, batch norm); "
             "autograd still records: that is torch.no_grad()",
    })
