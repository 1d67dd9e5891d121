"""Public tests of exercise 12 (PyTorch's autograd). The grader itself needs no torch."""

import numpy as np

from nnedu import Linear, MSELoss, Parameter
from nnedu.grading import expect_close, expect_length, points
from nnedu.optim import SGD

# Academic integrity: the graded code may import nnedu only to call nnedu.check (nnedu holds the
# reference answers); nnedu grade flags a submission that uses anything else of it.
MUST_NOT_USE = ("nnedu",)

rng = np.random.default_rng(11)
X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
W, B = rng.normal(size=(2, 3)), rng.normal(size=2)


def reference_grads():
    layer = Linear(3, 2)
    layer.load_state_dict({"weight": W, "bias": B})
    loss_fn = MSELoss()
    loss_fn(layer(X), Y)
    layer.backward(loss_fn.backward())
    return layer


@points(2, question="q1", hint="Return t.grad.detach().numpy(), not the tensor: the derivative is 3x^2 + 2.")
def test_autograd_derivative(student):
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    expect_close(student.autograd_derivative(x), 3 * x**2 + 2)


@points(3, question="q2", hint="W and b need requires_grad=True; the loss is mse_loss(X @ W.T + b, y).")
def test_linear_mse_grads(student):
    layer = reference_grads()
    result = student.linear_mse_grads(X, Y, W, B)
    expect_length(result, 2)
    expect_close(result[0], layer.weight.grad, what="grad_W")
    expect_close(result[1], layer.bias.grad, what="grad_b")


@points(3, question="q3", hint="optimizer.zero_grad(); loss.backward(); optimizer.step(); then convert to numpy.")
def test_sgd_step(student):
    layer = reference_grads()
    weight, bias = Parameter(W.copy()), Parameter(B.copy())
    weight.grad[...], bias.grad[...] = layer.weight.grad, layer.bias.grad
    SGD([weight, bias], lr=0.1, momentum=0.9).step()
    result = student.sgd_step(W, B, X, Y, 0.1, 0.9)
    expect_length(result, 2)
    expect_close(result[0], weight.data, what="W")
    expect_close(result[1], bias.data, what="b")
