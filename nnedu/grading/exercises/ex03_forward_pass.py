"""Public tests of exercise 3 (the forward pass): run by nnedu.check and nnedu grade.

The references are nnedu's ``Linear``, ``ReLU`` and ``Sequential`` (tested against PyTorch); the common
mistakes are computed here in closed form, as the mistaken code would compute them.
"""

import itertools

import numpy as np

from nnedu import Linear, Module, ReLU, Sequential
from nnedu.grading import ExpectationFailed, expect_choice, expect_close, expect_equal, expect_length, mistake, points

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

NO_BIAS = "the bias is left out"
TRANSPOSED = "the weight is used transposed (x @ W instead of x @ W^T: W has shape (out, in))"
BIAS_AXIS = "the bias is added along the wrong axis (one bias per sample instead of one per output unit)"
RELU_LAST = "ReLU after the last layer too (the output layer has no activation)"
NO_RELU = "no ReLU between the layers"
Z_KEPT = "the pre-activations z are kept instead of the activations a = relu(z)"
NO_INPUT = "the list leaves out the input A^0 = x"


def reference_network(params, relu=True):
    """nnedu's Sequential of Linear layers (with ReLU between them unless relu=False)."""
    layers: list[Module] = []
    for i, (W, b) in enumerate(params):
        layer = Linear(W.shape[1], W.shape[0])
        layer.load_state_dict({"weight": W, "bias": b})
        layers.append(layer)
        if relu and i < len(params) - 1:
            layers.append(ReLU())
    return Sequential(*layers)


def random_params(sizes, seed):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)) for n_in, n_out in itertools.pairwise(sizes)]


# Question 1: the Linear layer

@points(1, question="q1", kind="implement",
        hint="The weight is stored receiver first, (out, in): each output unit's weights are one row.")
def test_linear_on_a_batch(student):
    (W, b), = random_params([3, 4], 0)
    X = np.random.default_rng(1).normal(size=(5, 3))
    expect_close(student.linear_forward(W, b, X), reference_network([(W, b)])(X), what="Z",
                 given={"weight": W, "bias": b, "x": X}, mistakes={NO_BIAS: X @ W.T})


@points(1, question="q1", kind="implement",
        hint="Here N = in = out = 3, so a transposed weight or a bias on the wrong axis runs without an error "
             "and gives the wrong numbers.")
def test_linear_square_layer(student):
    (W, b), = random_params([3, 3], 2)
    X = np.random.default_rng(3).normal(size=(3, 3))
    expect_close(student.linear_forward(W, b, X), reference_network([(W, b)])(X), what="Z",
                 given={"weight": W, "bias": b, "x": X}, mistakes={
                     TRANSPOSED: X @ W + b,
                     NO_BIAS: X @ W.T,
                     BIAS_AXIS: X @ W.T + b[:, None],
                     "W x for a batch of rows (W x is right for one column vector; a batch needs X W^T)": W @ X + b,
                 })


@points(1, question="q1", kind="implement",
        hint="One example of shape (in,) gives one vector of shape (out,): the same expression as for a batch.")
def test_linear_one_example(student):
    (W, b), = random_params([5, 2], 4)
    x = np.random.default_rng(5).normal(size=5)
    expect_close(student.linear_forward(W, b, x), W @ x + b, what="W x + b", given={"weight": W, "bias": b, "x": x},
                 mistakes={
                     NO_BIAS: W @ x,
                     "one example comes back as a batch of one, shape (1, out), instead of (out,)":
                         lambda got: got.shape == (1, 2),
                     BIAS_AXIS: lambda got: got.shape == (2, 2),
                 })


# Question 2: the forward pass

def _activations(student, params, X):
    acts = student.network_forward(params, X)
    if not isinstance(acts, (list, tuple)):
        raise ExpectationFailed(f"network_forward: expected the list [A^0, ..., A^L], got {type(acts).__name__}")
    if len(acts) == len(params) and len(params) > 0:
        raise mistake(NO_INPUT, f"expected {len(params) + 1} arrays for {len(params)} layers, got {len(acts)}")
    expect_length(acts, len(params) + 1, what=f"the list of activations of a {len(params)}-layer network")
    return acts


def _linear_stack(params, X):
    for W, b in params:
        X = X @ W.T + b
    return X


def _check_output(student, sizes, seed):
    params = random_params(sizes, seed)
    X = np.random.default_rng(seed + 1).normal(size=(6, sizes[0]))
    expected = reference_network(params)(X)
    acts = _activations(student, params, X)
    expect_close(acts[-1], expected, what="the output A^L", given={"x": X, "layer widths": sizes}, mistakes={
        RELU_LAST: np.maximum(expected, 0.0),
        NO_RELU: _linear_stack(params, X),
    })


@points(1, question="q2", kind="implement",
        hint="The hidden layer is followed by the ReLU; the output layer is not.")
def test_forward_two_layers(student):
    _check_output(student, [3, 5, 2], 6)


@points(1, question="q2", kind="implement",
        hint="The list starts with the input itself; each hidden entry is what the next layer reads, after the ReLU.")
def test_forward_keeps_every_activation(student):
    sizes = [3, 5, 4, 2]
    params = random_params(sizes, 8)
    X = np.random.default_rng(9).normal(size=(4, 3))
    acts = _activations(student, params, X)
    given = {"x": X, "layer widths": sizes}
    expect_close(acts[0], X, what="A^0", given=given)
    for l in range(1, len(params)):
        z = reference_network(params[:l])(X)          # Z^l: the first l layers, without the ReLU after layer l
        expect_close(acts[l], np.maximum(z, 0.0), what=f"A^{l}", given=given, mistakes={Z_KEPT: z})


@points(1, question="q2", kind="implement",
        hint="Loop over however many layers the list holds: the network may be deeper than two layers.")
def test_forward_deeper_network(student):
    _check_output(student, [4, 6, 5, 3, 2], 10)


# Question 3: a 2-2-1 network by hand

Q3_W1, Q3_B1 = np.array([[1.0, -2.0], [3.0, 1.0]]), np.array([1.0, -2.0])   # receiver first: row j = into unit j
Q3_W2, Q3_B2 = np.array([[2.0, -1.0]]), np.array([0.5])
Q3_X = np.array([[1.0, 2.0]])
SENDER_FIRST = "the weights are read sender first (W^1 transposed)"
NO_HIDDEN_RELU = "the ReLU of the hidden units is left out"
NO_BIASES = "the biases are left out"


def _q3(W1=Q3_W1, b1=Q3_B1, b2=Q3_B2, relu=True):
    z = Q3_X @ W1.T + b1
    a = np.maximum(z, 0.0) if relu else z
    return a[0], (a @ Q3_W2.T + b2)[0, 0]


@points(1, question="q3", kind="derive",
        hint="Unit 3 receives w_31 from x_1 and w_32 from x_2, plus its bias; then the ReLU.")
def test_q3_hidden(student):
    expected = reference_network([(Q3_W1, Q3_B1)])(Q3_X)
    expected = np.maximum(expected, 0.0)[0]
    expect_close(student.q3_hidden(), expected, atol=1e-6, what="[a_3, a_4]", mistakes={
        SENDER_FIRST: _q3(W1=Q3_W1.T)[0],
        NO_HIDDEN_RELU: _q3(relu=False)[0],
        NO_BIASES: _q3(b1=np.zeros(2), b2=np.zeros(1))[0],
    })


@points(1, question="q3", kind="derive", hint="The output unit is linear: w_53 a_3 + w_54 a_4 + b_5, nothing after it.")
def test_q3_output(student):
    expected = reference_network([(Q3_W1, Q3_B1), (Q3_W2, Q3_B2)])(Q3_X)[0, 0]
    expect_close(student.q3_output(), expected, atol=1e-6, what="a_5", mistakes={
        SENDER_FIRST: _q3(W1=Q3_W1.T)[1],
        NO_HIDDEN_RELU: _q3(relu=False)[1],
        NO_BIASES: _q3(b1=np.zeros(2), b2=np.zeros(1))[1],
        "the output unit's ReLU applied (it is linear)": max(expected, 0.0),
    })


# Question 4: counting parameters

def _count(sizes, biases=True, input_biases=False):
    model = reference_network(random_params(sizes, 0))
    total = sum(p.data.size for p in model.parameters() if biases or p.data.ndim == 2)
    return total + (sizes[0] if input_biases else 0)


COUNT_MISTAKES = {
    "the biases are not counted": lambda sizes: _count(sizes, biases=False),
    "the input layer is given biases too (it computes nothing)": lambda sizes: _count(sizes, input_biases=True),
    "the units are counted instead of the parameters": lambda sizes: sum(sizes),
}


def _check_count(got, sizes, what):
    expected = _count(sizes)
    expect_close(got, expected, rtol=0, atol=0.5, what=what, given={"layer widths": sizes},
                 mistakes={name: wrong(sizes) for name, wrong in COUNT_MISTAKES.items()})


@points(1, question="q4", kind="derive",
        hint="A layer from n_in units to n_out units: how many weights, how many biases?")
def test_q4_nielsen(student):
    _check_count(student.q4_nielsen(), [784, 30, 10], "parameters of 784-30-10")


@points(1, question="q4", kind="derive", hint="Three layers of weights now, each with its own biases.")
def test_q4_deeper(student):
    _check_count(student.q4_deeper(), [784, 16, 16, 10], "parameters of 784-16-16-10")


# Question 5: predictions

@points(1, question="q5", kind="predict",
        hint="Weights are (receiving units, sending units); activations are (examples, units).")
def test_q5_shapes(student):
    got = student.q5_shapes()
    expect_length(got, 4, what="[W^1, Z^1, W^2, Z^2] shapes")
    expected = [(30, 784), (64, 30), (10, 30), (64, 10)]
    try:
        shapes = [tuple(int(n) for n in shape) for shape in got]
    except (TypeError, ValueError):
        raise ExpectationFailed(f"expected four tuples such as (30, 784), got {got!r}"[:300]) from None
    if shapes[0] == (784, 30) or shapes[2] == (30, 10):
        raise mistake("a weight shape written (in, out), sender first", f"got W^1 {shapes[0]}, W^2 {shapes[2]}")
    if shapes[1] == (30, 64) or shapes[3] == (10, 64):
        raise mistake("the batch written as columns (the book's batch has one example per row)",
                      f"got Z^1 {shapes[1]}, Z^2 {shapes[3]}")
    for name, got_shape, want in zip(["W^1", "Z^1", "W^2", "Z^2"], shapes, expected):
        expect_equal(got_shape, want, what=f"the shape of {name}")


@points(1, question="q5", kind="predict",
        hint="Write the three layers as one formula and multiply it out: what is left?")
def test_q5_no_activation(student):
    expect_choice(student.q5_no_activation(), "b", "abcd", what="three linear layers", mistakes={
        "a": "without a non-linearity between them the layers collapse into one linear layer, however wide",
        "c": "the universal approximation theorem needs a non-linear activation in the hidden layer",
        "d": "a product of weight matrices is one matrix: x still appears only to the first power",
    })


@points(1, question="q5", kind="predict",
        hint="The chapter lists the theorem's fine print: existence, size, and training data.")
def test_q5_universal(student):
    expect_choice(student.q5_universal(), "b", "abcd", what="the universal approximation theorem", mistakes={
        "a": "the theorem says suitable weights exist, not that gradient descent finds them",
        "c": "the number of units the theorem needs depends on the function and on the tolerance, and can be huge",
        "d": "fitting the training points says nothing about new inputs (generalisation, chapter 9)",
    })


# Question 6: a stack of linear layers as one layer

WRONG_ORDER = "the weights are multiplied in the wrong order (W_1 W_2 ... instead of ... W_2 W_1)"
BIASES_ADDED = "the earlier biases are added without passing through the later weights"
LAST_BIAS = "only the last layer's bias is kept"


def _collapsed(student, params):
    result = student.collapse_linear(params)
    expect_length(result, 2, what="collapse_linear's result (weight, bias)")
    return result


def _stack_output(params, X):
    return reference_network(params, relu=False)(X)


@points(1, question="q6", kind="implement",
        hint="The weight of the collapsed layer has shape (n_L, n_0), like any layer from n_0 inputs to n_L outputs.")
def test_collapse_two_layers(student):
    params = random_params([3, 5, 2], 11)
    (W1, b1), (W2, b2) = params
    weight, bias = _collapsed(student, params)
    given = {"W_1": W1, "b_1": b1, "W_2": W2, "b_2": b2}
    expect_close(weight, W2 @ W1, what="weight", given=given,
                 mistakes={"the collapsed weight is transposed, (in, out)": W1.T @ W2.T})
    expect_close(bias, W2 @ b1 + b2, what="bias", given=given, mistakes={LAST_BIAS: b2})


@points(1, question="q6", kind="implement",
        hint="With square layers every wrong order also has the right shape: think about which layer acts first.")
def test_collapse_square_layers(student):
    params = random_params([3, 3, 3, 3], 12)
    (W1, b1), (W2, b2), (W3, b3) = params
    weight, bias = _collapsed(student, params)
    given = {"W_1": W1, "W_2": W2, "W_3": W3}
    expect_close(weight, W3 @ W2 @ W1, what="weight", given=given, mistakes={WRONG_ORDER: W1 @ W2 @ W3})
    expect_close(bias, W3 @ (W2 @ b1 + b2) + b3, what="bias", given={**given, "b_1": b1, "b_2": b2, "b_3": b3},
                 mistakes={
                     BIASES_ADDED: b1 + b2 + b3,
                     LAST_BIAS: b3,
                     WRONG_ORDER: W1 @ (W2 @ b3 + b2) + b1,
                 })


@points(1, question="q6", kind="implement",
        hint="One layer alone is its own collapse; a deeper stack is folded in one layer at a time.")
def test_collapse_computes_the_same_function(student):
    X = np.random.default_rng(13).normal(size=(7, 4))
    for sizes in ([4, 3], [4, 6, 5, 3, 2]):
        params = random_params(sizes, 14)
        weight, bias = _collapsed(student, params)
        got = X @ np.asarray(weight, dtype=float).T + np.asarray(bias, dtype=float)
        expect_close(got, _stack_output(params, X), what=f"x W^T + b of the collapse of a {len(params)}-layer stack",
                     given={"x": X, "layer widths": sizes})
