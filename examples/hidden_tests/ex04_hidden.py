"""Example hidden tests of exercise 4 (activation functions and their derivatives), for instructors.

Run with ``nnedu grade SUBMISSIONS --exercise 04 --out OUT --tests examples/hidden_tests``. Each test takes
``rng``, a numpy Generator seeded per student, and draws its shapes and values from it: an answer hard-coded
to the public tests' inputs fails. The points add to the public ones.
"""

import numpy as np

from nnedu import functional as F
from nnedu import nn
from nnedu.grading import expect_close, expect_length, points


def _shape(rng):
    return tuple(int(n) for n in rng.integers(1, 7, size=int(rng.integers(1, 4))))


@points(1, question="q1", hint="Right and finite for every z, large or small.", kind="implement")
def test_hidden_sigmoid_pair_random_shapes(student, rng):
    z = rng.normal(scale=10.0 ** rng.uniform(0, 3), size=_shape(rng))
    z.flat[0] = rng.choice([-800.0, 800.0])  # always one entry far out
    expect_close(student.sigmoid(z), F.sigmoid(z), what="sigmoid(z)", given={"z": z})
    expect_close(student.sigmoid_grad(z), F.sigmoid_grad(z), what="sigmoid_grad(z)", given={"z": z})


@points(1, question="q2", hint="Any shape, any negative_slope; the kink z = 0 takes its left slope.", kind="implement")
def test_hidden_relu_family_random(student, rng):
    z = np.round(rng.normal(size=_shape(rng)), 1)  # rounding puts some entries exactly at 0
    z.flat[0] = 0.0
    slope = float(rng.uniform(0.05, 0.5))
    given = {"z": z, "negative_slope": slope}
    expect_close(student.relu(z), F.relu(z), what="relu(z)", given=given)
    expect_close(student.relu_grad(z), F.relu_grad(z), what="relu_grad(z)", given=given)
    expect_close(student.leaky_relu(z, slope), F.leaky_relu(z, slope), what="leaky_relu(z, slope)", given=given)
    expect_close(student.leaky_relu_grad(z, slope), F.leaky_relu_grad(z, slope), what="leaky_relu_grad(z, slope)",
                 given=given)


@points(1, question="q3", hint="Both layers: backward multiplies the slope by the upstream gradient.", kind="implement")
def test_hidden_layers_against_nnedu(student, rng):
    shape = (int(rng.integers(1, 8)), int(rng.integers(1, 8)))
    z, upstream = rng.normal(scale=2.0, size=shape), rng.normal(size=shape)
    slope = float(rng.uniform(0.05, 0.5))
    for name, layer, call in [("tanh_layer", nn.Tanh(), lambda: student.tanh_layer(z, upstream)),
                              ("leaky_relu_layer", nn.LeakyReLU(slope),
                               lambda: student.leaky_relu_layer(z, upstream, slope))]:
        result = call()
        expect_length(result, 2, what=name)
        a, dz = result
        given = {"z": z, "grad_output": upstream}
        expect_close(a, layer(z), what=f"{name}: a", given=given)
        expect_close(dz, layer.backward(upstream), what=f"{name}: dL/dz", given=given)


@points(1, question="q4", hint="The central difference, with the step given, on arrays of any shape.", kind="implement")
def test_hidden_numerical_check_random(student, rng):
    z = rng.uniform(-3, 3, size=_shape(rng))
    eps = float(10.0 ** rng.uniform(-4, -2))
    expect_close(student.numerical_derivative(student.cubic, z, eps=eps), 3 * z**2 - 2 + eps**2, rtol=1e-6,
                 atol=1e-8, what="numerical_derivative(cubic, z, eps)", given={"z": z, "eps": eps})
    a = rng.normal(size=_shape(rng))
    b = a + rng.normal(scale=10.0 ** rng.uniform(-6, 0), size=a.shape)
    expected = np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
    expect_close(student.relative_error(a, b), expected, what="relative_error(a, b)", given={"a": a, "b": b})
