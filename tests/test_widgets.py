"""Every widget driven headlessly (controls set, buttons clicked), live and static."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import nnedu
from nnedu import widgets


def test_gradient_descent_1d_decreases_then_diverges_above_two_over_curvature():
    w = widgets.GradientDescent1D(loss="parabola", lr=0.1, start=-4.0)
    for _ in range(10):
        w.step_button.click()
    losses = np.array(w.losses())
    assert len(losses) == 11 and np.all(np.diff(losses) < 0)
    assert abs(w.current - 3.0) < abs(-4.0 - 3.0) * 0.9**10 * 1.01   # |1 - lr·L''| = 0.8 per step
    w.lr.value = 1.05                                                  # above 2 / L'' = 1: resets
    assert w.history == [-4.0]
    w.n_steps.value = 200
    w.run_button.click()
    assert w.diverged and "diverged" in w.message and "2/L'' = 1" in w.message
    assert "diverged" in w.status.value


def test_gradient_descent_2d_bowl_and_momentum():
    w = widgets.GradientDescent2D(surface="bowl", lr=0.1)
    for _ in range(20):
        w.step()
    assert np.all(np.diff(w.losses()) < 0)
    slow = widgets.GradientDescent2D(surface="elongated bowl", lr=0.09, optimizer="gradient descent")
    fast = widgets.GradientDescent2D(surface="elongated bowl", lr=0.09, optimizer="momentum", momentum=0.8)
    for _ in range(60):
        slow.step()
        fast.step()
    assert fast.losses()[-1] < slow.losses()[-1] / 5
    noisy = widgets.GradientDescent2D(surface="regression (MSE)", optimizer="SGD (batches of 4)", lr=0.05)
    for _ in range(100):
        noisy.step()
    losses = noisy.losses()
    assert losses[-1] < losses[0] / 5 and np.any(np.diff(losses) > 0)  # downhill, but noisy
    big = widgets.GradientDescent2D(surface="bowl", lr=1.2)             # 2/L'' = 1 for L = w1² + w2²
    for _ in range(100):
        big.step()
    assert big.diverged


def test_perceptron_stepper_and_converges_xor_does_not():
    w = widgets.PerceptronStepper(dataset="and")
    while not w.finished:
        w.step_button.click()
    assert w.perceptron.converged and "converged" in w.message
    assert np.array_equal(w.perceptron.predict(w.X), w.y)
    w.dataset.value = "xor"
    while not w.finished:
        w.step()
    assert not w.perceptron.converged and "did not converge" in w.message


def test_backprop_stepper_gradients_equal_torch_autograd():
    w = widgets.BackpropStepper(layer_sizes=(2, 3, 2), seed=0)
    x = torch.tensor(w.x, requires_grad=False)
    params = []
    a = x
    # rebuild the same network in torch from the widget's initial weights and biases
    rng = np.random.default_rng(0)
    layers = [nnedu.nn.Linear(a_, b_, rng=rng) for a_, b_ in zip((2, 3), (3, 2))]
    for lin in layers:
        weight = torch.tensor(lin.weight.data, requires_grad=True)
        bias = torch.tensor(lin.bias.data, requires_grad=True)
        params += [weight, bias]
        a = torch.sigmoid(a @ weight.T + bias)
    loss = ((a - torch.tensor(w.target)) ** 2).sum()
    loss.backward()
    assert loss.item() == pytest.approx(w.loss)
    for l in range(2):
        assert nnedu.relative_error(w.gradients[f"{l}.weight"], params[2 * l].grad.numpy()) < 1e-10
        assert nnedu.relative_error(w.gradients[f"{l}.bias"], params[2 * l + 1].grad.numpy()) < 1e-10
    stages = []
    for _ in range(len(w.stages)):
        w.step_button.click()
        stages.append(w.stage)
    assert stages == ["forward 1", "forward 2", "loss", "backward 2", "backward 1", "update"]
    np.testing.assert_allclose(w.weights_after[0], w.weights_before[0] - 0.5 * params[0].grad.numpy())


def test_activation_explorer_shows_vanishing_gradients():
    w = widgets.ActivationExplorer(name="sigmoid", width=10.0)
    w.render()
    assert 0.3 < w.vanishing_fraction() < 0.7          # sigmoid'(z) < 0.01 for |z| > 4.6
    w.activation.value = "relu"
    w.render()
    assert w.vanishing_fraction() == pytest.approx(0.5, abs=0.01)   # the whole negative half
    w.activation.value = "leaky_relu"
    assert w.vanishing_fraction() == 0.0
    z, g, d = w.curves()
    assert np.allclose(g, np.where(z >= 0, z, 0.01 * z))


def test_softmax_explorer_equals_torch_and_reports_cross_entropy():
    w = widgets.SoftmaxExplorer(logits=(2.0, 1.0, 0.1), temperature=1.0, true_class=1)
    expected = torch.softmax(torch.tensor([2.0, 1.0, 0.1], dtype=torch.float64), 0).numpy()
    np.testing.assert_allclose(w.probabilities, expected, rtol=1e-12)
    assert w.cross_entropy == pytest.approx(-np.log(expected[1]))
    w.temperature.value = 0.1
    assert w.probabilities[0] > 0.9999
    w.logit_sliders[2].value = 5.0
    assert np.argmax(w.probabilities) == 2


def test_convolution_explorer_output_equals_a_direct_sum():
    image = np.arange(64.0).reshape(8, 8) / 64
    w = widgets.ConvolutionExplorer(kernel="edge", stride=2, padding=1, image=image)
    kernel = widgets.explorers.KERNELS["edge"]
    padded = np.pad(image, 1)
    expected = np.array([[np.sum(padded[i:i + 3, j:j + 3] * kernel) for j in range(0, 7, 2)]
                         for i in range(0, 7, 2)])
    np.testing.assert_allclose(w.output, expected)
    w.step_button.click()
    w.step_button.click()
    assert w.position == 2 and "out[0,1]" in w.message and f"{expected[0, 1]:.3f}" in w.message


def test_playground_learns_xor():
    w = widgets.Playground(dataset="xor", hidden=(8,), activation="tanh", lr=0.3, batch_size=16)
    for _ in range(3):
        w.play_button.click()
    assert w.epoch == 30
    assert w.history.loss[-1] < w.history.loss[0] * 0.6
    assert w.history.accuracy[-1] > 0.85
    w.hidden.value = "x"                                   # a typo in the box: a message, not a crash
    assert "comma-separated layer sizes" in w.message and w.epoch == 30
    with pytest.raises(ValueError, match="comma-separated layer sizes"):
        w.hidden_sizes()


ALL = [widgets.GradientDescent1D, widgets.GradientDescent2D, widgets.PerceptronStepper, widgets.BackpropStepper,
       widgets.ActivationExplorer, widgets.SoftmaxExplorer, widgets.ConvolutionExplorer, widgets.Playground]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_live_mode_is_an_ipywidget(cls, monkeypatch):
    monkeypatch.delenv("NNEDU_STATIC", raising=False)
    bundle = cls()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_static_mode_is_a_self_contained_player(cls, monkeypatch):
    monkeypatch.setenv("NNEDU_STATIC", "1")
    widget = cls()
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    html = bundle["text/html"]
    assert len(html) < 1.5e6
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "refers to another host"
    frames = len(re.findall(r"frames\[\d+\] = ", html))
    assert frames == min(widget.static_frames, frames) and frames >= 2
    for label in ("First", "Previous", "Next", "Last", "Play"):
        assert label.lower() in html.lower()


def test_static_frame_counts():
    html = widgets.BackpropStepper().static_html()
    assert len(re.findall(r"frames\[\d+\] = ", html)) == 7          # start + 6 stages
    html = widgets.PerceptronStepper(dataset="and").static_html(100)
    expected = len(nnedu.Perceptron(2).fit(*nnedu.data.logic_gate("and", signed=True), max_epochs=10).history) + 1
    assert len(re.findall(r"frames\[\d+\] = ", html)) == expected
