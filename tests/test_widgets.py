"""Every widget driven headlessly (controls set, buttons clicked), live and static;
the static player's HTML, and (when Chromium is installed) the player in a browser."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
import torch
from PIL import Image

import nnedu
from nnedu import widgets
from nnedu.widgets._base import CSS_DPI, LIVE_SCALE


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
    z, g, _ = w.curves()
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


# -- what the steps compute, against independent references ------------------------------

def test_gradient_descent_1d_trajectory_is_the_closed_form_of_sgd():
    """On L = (w - 3)², one SGD step is w <- w - lr·2(w - 3), so w_t - 3 = (1 - 2 lr)^t (w_0 - 3)."""
    w = widgets.GradientDescent1D(loss="parabola", lr=0.15, start=-4.0)
    for _ in range(12):
        w.step()
    expected = 3.0 + (1 - 2 * 0.15) ** np.arange(13) * (-4.0 - 3.0)
    np.testing.assert_allclose(w.history, expected, rtol=1e-12)


def _torch_trajectory(grad, start, steps, lr, momentum=0.0):
    """The same run with torch.optim.SGD, the gradient supplied by ``grad``."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum)
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        p.grad = torch.tensor(grad(p.detach().numpy()))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("optimizer,momentum", [("gradient descent", 0.0), ("momentum", 0.8)])
def test_gradient_descent_2d_trajectory_equals_torch_sgd(optimizer, momentum):
    w = widgets.GradientDescent2D(surface="elongated bowl", optimizer=optimizer, lr=0.09, momentum=0.8)
    for _ in range(25):
        w.step()
    expected = _torch_trajectory(lambda v: np.array([v[0], 20 * v[1]]), [-9.0, 1.5], 25, 0.09, momentum)
    np.testing.assert_allclose(np.array(w.history), expected, rtol=1e-10, atol=1e-12)


def test_regression_surface_is_mse_of_a_line_and_its_gradient_is_autograd():
    from nnedu.widgets.gradient_descent import REG_X, REG_Y, SURFACES

    s = SURFACES["regression (MSE)"]
    x, y = torch.tensor(REG_X), torch.tensor(REG_Y)
    for w0 in ([2.0, -1.0], [-1.5, 2.5], [0.3, 0.7]):
        w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
        loss = ((w[0] * x + w[1] - y) ** 2).mean()
        loss.backward()
        assert float(s.f(np.array(w0[0]), np.array(w0[1]))) == pytest.approx(loss.item(), rel=1e-12)
        np.testing.assert_allclose(s.grad(np.array(w0)), w.grad.numpy(), rtol=1e-12)
    grid = s.f(np.array([[0.0, 1.0]]), np.array([[0.0, -1.0]]))
    assert grid.shape == (1, 2) and grid[0, 0] == pytest.approx(float((y ** 2).mean()))


def test_sgd_on_the_regression_uses_batches_of_the_data():
    w = widgets.GradientDescent2D(surface="regression (MSE)", optimizer="SGD (batches of 4)", lr=0.05, seed=3)
    for _ in range(60):
        w.step()
    path = np.array(w.history)
    assert np.linalg.norm(path[-1] - [2.0, -1.0]) < 0.6        # near the line y = 2x - 1 the data came from
    again = widgets.GradientDescent2D(surface="regression (MSE)", optimizer="SGD (batches of 4)", lr=0.05, seed=3)
    for _ in range(60):
        again.step()
    np.testing.assert_array_equal(np.array(again.history), path)   # the widget's own seeded generator


# -- controls --------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_labelled_controls_show_their_whole_label(cls):
    widget = cls()
    stack = list(widget.controls())
    labelled = []
    while stack:
        control = stack.pop()
        stack.extend(getattr(control, "children", ()))
        if getattr(control, "description", ""):
            labelled.append(control)
    for control in labelled:
        assert control.style.description_width == "initial", control.description


def test_momentum_slider_shown_only_for_momentum():
    w = widgets.GradientDescent2D(optimizer="gradient descent")
    assert w.momentum.layout.display == "none"
    w.optimizer_choice.value = "momentum"
    assert w.momentum.layout.display in (None, "", "flex", "block")
    w.optimizer_choice.value = "SGD (batches of 4)"
    assert w.momentum.layout.display == "none"


def test_backprop_step_is_disabled_at_the_last_stage_and_says_so():
    w = widgets.BackpropStepper()
    w.app  # noqa: B018 (builds the app: the first render)
    for _ in range(len(w.stages) - 1):
        w.step_button.click()
        assert not w.step_button.disabled
    w.step_button.click()
    assert w.stage == "update" and w.finished
    assert w.step_button.disabled and "last stage" in w.status.value
    w.step_button.click()                                     # a click that arrives anyway changes nothing
    assert w.stage == "update"
    w.reset_button.click()
    assert w.stage == "start" and not w.step_button.disabled and "last stage" not in w.status.value


def test_diverged_gradient_descent_disables_step():
    w = widgets.GradientDescent1D(lr=1.2)
    w.app  # noqa: B018 (builds the app: the first render)
    while not w.diverged:
        w.step_button.click()
    assert w.step_button.disabled and w.run_button.disabled and not w.reset_button.disabled
    w.reset_button.click()
    assert not w.step_button.disabled and not w.run_button.disabled


def test_live_picture_is_sharp_and_never_stretched():
    w = widgets.GradientDescent1D()
    w.app  # noqa: B018 (builds the app: the first render)
    image = Image.open(io.BytesIO(w.picture.value))
    css_width, css_height = (round(v * CSS_DPI) for v in w.fig.get_size_inches())
    assert image.size == (round(css_width * LIVE_SCALE), round(css_height * LIVE_SCALE))
    assert w.picture.layout.width == f"{css_width}px" and w.picture.layout.max_width == "100%"
    assert w.picture.layout.height == "auto"


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_blitted_picture_equals_a_full_redraw(cls):
    """Drawing only the animated artists over the kept background gives the picture a
    full redraw gives (the background is not stale)."""
    widget = cls()
    widget.app  # noqa: B018 (builds the app: the first render)
    for _ in range(3):
        widget.step_button.click()
    fast = widget.pixels().copy()
    widget._backgrounds.clear()
    full = widget.pixels()
    assert np.abs(fast.astype(int) - full.astype(int)).max() <= 1


# -- built on the core ---------------------------------------------------------------------

def test_playground_never_touches_the_global_generators(monkeypatch):
    numpy_state = np.random.get_state()[1].copy()
    package_state = nnedu.random.default_rng().bit_generator.state
    w = widgets.Playground(dataset="xor", hidden=(8,), seed=5)
    first = [p.data.copy() for p in w.model.parameters()]
    w.step_button.click()
    w.reset_button.click()
    assert all(np.array_equal(a, p.data) for a, p in zip(first, w.model.parameters()))  # Reset repeats the run
    w.step_button.click()
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    assert nnedu.random.default_rng().bit_generator.state == package_state


def test_playground_trains_with_nnedu_fit_and_sgd(monkeypatch):
    from nnedu.widgets import playground

    calls = []
    real_fit = playground.fit

    def spy(model, loss_fn, optimizer, *args, **kwargs):
        calls.append(type(optimizer))
        return real_fit(model, loss_fn, optimizer, *args, **kwargs)

    monkeypatch.setattr(playground, "fit", spy)
    w = widgets.Playground()
    w.step_button.click()
    assert calls == [nnedu.optim.SGD]


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (3, 2), (2, 0)])
def test_convolution_explorer_sizes_are_conv2d_output_size(stride, padding):
    w = widgets.ConvolutionExplorer(stride=stride, padding=padding)
    n = (8 + 2 * padding - 3) // stride + 1                     # the formula, written out
    assert w.output.shape == (n, n)
    assert f"{n}x{n}" in w.message


def _luminance(rgb):
    """WCAG relative luminance."""
    c = np.asarray(rgb[:3], dtype=float)
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


@pytest.mark.parametrize("kernel", list(widgets.explorers.KERNELS))
def test_convolution_kernel_numbers_contrast_with_their_cells(kernel):
    import matplotlib.colors as mcolors

    w = widgets.ConvolutionExplorer(kernel=kernel)
    w.render()
    for (u, v), value in np.ndenumerate(w.kernel):
        cell = w.kernel_image.cmap(w.kernel_image.norm(value))
        text = mcolors.to_rgb(w.kernel_texts[u][v].get_color())
        a, b = sorted([_luminance(cell), _luminance(text)])
        assert (b + 0.05) / (a + 0.05) >= 4.5, (kernel, value)   # WCAG AA for normal text


def test_backprop_drawing_is_readable():
    """Edge labels never overlap, numbers have two significant digits, node texts stay
    inside their nodes."""
    w = widgets.BackpropStepper()
    w.recording = True
    renderer = w.fig.canvas.get_renderer()
    for _ in w.frames(len(w.stages) + 1):
        w.pixels()
        boxes = [t.get_window_extent(renderer) for layer in w.network["edge_texts"] for t in layer
                 if t.get_visible() and t.get_text()]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (w.stage, a, b)
        for layer in w.network["edge_texts"] + w.network["node_texts"]:
            for t in layer:
                for number in re.findall(r"[\d.]+", t.get_text()):              # two significant digits
                    assert len(number.replace(".", "").lstrip("0")) <= 2, t.get_text()
        for nodes, texts in zip(w.network["nodes"], w.network["node_texts"]):
            radius = np.sqrt(nodes.get_sizes()[0]) / 2 * w.fig.dpi / 72          # points² -> pixels
            centres = nodes.get_offset_transform().transform(nodes.get_offsets())
            for (cx, cy), t in zip(centres, texts):
                box = t.get_window_extent(renderer)
                corners = [(box.x0, box.y0), (box.x0, box.y1), (box.x1, box.y0), (box.x1, box.y1)]
                assert max(np.hypot(x - cx, y - cy) for x, y in corners) <= radius * 1.02, (w.stage, t.get_text())


def test_recorded_playground_of_chapter_9_succeeds():
    w = widgets.Playground(dataset="spirals", hidden=(8, 8), activation="tanh", lr=0.3)
    for _ in w.frames(w.static_frames):
        pass
    assert w.epoch >= 200 and w.history.accuracy[-1] > 0.9
    assert w.history.loss[-1] < 0.5 * w.history.loss[0]


# -- live and static -------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_live_mode_is_an_ipywidget(cls, monkeypatch):
    monkeypatch.delenv("NNEDU_STATIC", raising=False)
    bundle = cls()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("value,static", [("", False), ("0", False), ("1", True), ("yes", True)])
def test_nnedu_static_zero_means_off(value, static, monkeypatch):
    monkeypatch.setenv("NNEDU_STATIC", value)
    assert widgets.static_mode() is static


class _Player(HTMLParser):
    """Collects what the tests check in a player's HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.players, self.images, self.buttons, self.counters, self.scripts, self.links = [], [], [], [], 0, 0
        self._button: dict | None = None
        self._counter = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "nnedu-player" in classes:
            self.players.append(a)
        if tag == "img":
            self.images.append(a)
        if tag == "button":
            self._button = {**a, "text": ""}
        if "nnedu-player-counter" in classes:
            self._counter = True
            self.counters.append("")
        self.scripts += tag == "script"
        self.links += tag == "link"

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.buttons.append(self._button)
            self._button = None
        if tag == "span":
            self._counter = False

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data
        if self._counter:
            self.counters[-1] += data


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_static_mode_is_a_self_contained_accessible_player(cls, monkeypatch):
    monkeypatch.setenv("NNEDU_STATIC", "1")
    widget = cls()
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    html = bundle["text/html"]
    assert len(html) < 1.5e6
    without_images = re.sub(r'src="data:image/png;base64,[A-Za-z0-9+/=]+"', "", html)
    assert "src=" not in without_images, "every image is embedded"
    assert not re.search(r"https?:|href|url\(|@import|fetch\(|XMLHttpRequest", without_images), "refers to the network"
    page = _Player()
    page.feed(html)
    assert len(page.players) == 1 and page.scripts == 1 and page.links == 0
    player = page.players[0]
    n = int(player["data-frames"])
    assert player["tabindex"] == "0" and n >= 2 and len(page.images) == n
    assert [b["data-action"] for b in page.buttons] == ["first", "prev", "play", "next", "last", "zoom"]
    assert [b["text"] for b in page.buttons] == ["First", "Previous", "Play", "Next", "Last", "Zoom"]
    assert page.counters == [f"Step 1 of {n}"]
    name = cls.__name__
    for k, image in enumerate(page.images):
        assert image["alt"].startswith(f"{name}, step {k + 1} of {n}: ") and len(image["alt"]) > len(name) + 25
        assert ("hidden" in image) == (k > 0)
        png = Image.open(io.BytesIO(base64.b64decode(image["src"].split(",", 1)[1])))
        css_width = int(image["width"])
        assert css_width <= 730 and png.size[0] >= css_width          # never upscaled, fits the column
        assert png.convert("RGBA").getpixel((0, 0))[3] == 0             # transparent: dark-mode friendly
    descriptions = [image["alt"].split(": ", 1)[1] for image in page.images]
    assert len(set(descriptions)) == n, "every frame says what it shows"


def test_static_frame_counts():
    def frames(html):
        return len(re.findall(r"<img ", html))

    assert frames(widgets.BackpropStepper().static_html()) == 7          # start + 6 stages
    html = widgets.PerceptronStepper(dataset="and").static_html(100)
    expected = len(nnedu.Perceptron(2).fit(*nnedu.data.logic_gate("and", signed=True), max_epochs=10).history) + 1
    assert frames(html) == expected


def _chromium():
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not shutil.which("chromium") and not __import__("os").path.exists("/usr/bin/chromium"):
        pytest.skip("Chromium is not installed (apt-get install -y chromium)")
    return sync_api


def test_players_work_in_a_browser_with_mouse_and_keyboard(tmp_path):
    """Two players on one page, light and dark, desktop and phone: buttons, keys, counter,
    no console message, nothing wider than a 390 px phone."""
    sync_api = _chromium()
    first = widgets.BackpropStepper().static_html()
    second = widgets.GradientDescent1D().static_html(6)
    page_file = tmp_path / "players.html"
    # the book's theme CSS when it is installed: its dark-mode rules for images and HTML
    # outputs (a light card, a dimming filter) must not reach the frames
    theme = ""
    try:
        from importlib.resources import files

        styles = files("pydata_sphinx_theme") / "theme" / "pydata_sphinx_theme" / "static" / "styles"
        theme = (styles / "pydata-sphinx-theme.css").read_text()
    except (ImportError, FileNotFoundError, OSError):
        pass

    def output(player: str) -> str:      # the markup a myst-nb page puts around an HTML output
        return f'<div class="cell_output"><div class="output text_html">{player}</div></div>'

    page_file.write_text('<!doctype html><html data-theme="light"><head><meta charset="utf-8">'
                         '<meta name="viewport" content="width=device-width, initial-scale=1">'
                         f'<style>{theme}</style></head><body><div class="bd-content" style="margin:0 auto;'
                         f'max-width:730px">{output(first)}{output(second)}</div></body></html>')
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        for width, mode in [(1280, "light"), (390, "light"), (1280, "dark")]:
            page = browser.new_page(viewport={"width": width, "height": 800})
            messages: list[str] = []
            page.on("console", lambda m, out=messages: out.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e, out=messages: out.append(f"error: {e}"))
            page.goto(page_file.as_uri())
            page.evaluate(f"document.documentElement.dataset.theme = '{mode}'")
            players = page.locator(".nnedu-player")
            one, two = players.nth(0), players.nth(1)

            def counter(player):
                return player.locator(".nnedu-player-counter").inner_text()

            def shown(player):
                return player.locator("img:not([hidden])").get_attribute("alt")

            assert counter(one) == "Step 1 of 7" and counter(two) == "Step 1 of 6"
            one.locator('button[data-action="next"]').click()
            one.locator('button[data-action="next"]').click()
            assert counter(one) == "Step 3 of 7" and shown(one).startswith("BackpropStepper, step 3 of 7")
            assert counter(two) == "Step 1 of 6"                            # players are independent
            one.locator('button[data-action="prev"]').click()
            assert counter(one) == "Step 2 of 7"
            two.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowLeft")
            assert counter(two) == "Step 2 of 6"
            page.keyboard.press("End")
            assert counter(two) == "Step 6 of 6"
            page.keyboard.press("Home")
            play = two.locator('button[data-action="play"]')
            play.click()
            assert play.inner_text().strip() == "Pause" and play.get_attribute("aria-pressed") == "true"
            page.wait_for_function("() => document.querySelectorAll('.nnedu-player-counter')[1].textContent"
                                   " === 'Step 6 of 6'", timeout=10000)
            assert play.inner_text().strip() == "Play"
            for box in [b.bounding_box() for b in one.locator("button").all() if b.is_visible()]:
                assert box["height"] >= 40 and box["width"] >= 40
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            frame = one.locator("img:not([hidden])")
            natural = int(frame.get_attribute("width"))
            assert frame.bounding_box()["width"] <= min(width, 730) + 0.5
            zoom = one.locator('button[data-action="zoom"]')
            assert zoom.is_visible() == (width < 600)              # only where frames are shrunk
            if width < 600:
                zoom.click()                  # the frame at its natural size, scrolling in its own box
                assert zoom.get_attribute("aria-pressed") == "true"
                assert abs(frame.bounding_box()["width"] - natural) < 1
                assert one.locator(".nnedu-player-frames").evaluate("e => e.scrollWidth > e.clientWidth")
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                zoom.click()
                assert frame.bounding_box()["width"] < natural
            if mode == "dark":
                frame = "getComputedStyle(document.querySelector('.nnedu-player-frame'))"
                assert page.evaluate(f"{frame}.filter").startswith("invert(1)")
                assert page.evaluate(f"{frame}.backgroundColor") == "rgba(0, 0, 0, 0)"
                assert page.evaluate("getComputedStyle(document.querySelector('.text_html')).backgroundColor") \
                    == "rgba(0, 0, 0, 0)"
            assert messages == []
            page.close()
        browser.close()


def test_a_player_over_budget_is_recorded_at_a_lower_resolution(monkeypatch):
    from nnedu.widgets import _base

    full = widgets.GradientDescent1D().static_html(4)
    monkeypatch.setattr(_base, "STATIC_BUDGET", int(len(full) * 0.6))
    smaller = widgets.GradientDescent1D().static_html(4)
    assert len(smaller) <= _base.STATIC_BUDGET < len(full)

    def first_width(html: str) -> int:
        data = re.search(r'base64,([A-Za-z0-9+/=]+)', html).group(1)
        return Image.open(io.BytesIO(base64.b64decode(data))).size[0]

    assert first_width(smaller) < first_width(full) == round(7.0 * CSS_DPI * _base.STATIC_SCALES[0])
    assert 'width="672"' in smaller                          # shown at the same CSS size


def test_nnedu_static_is_read_in_one_place():
    """Widgets, training and the rest of the package ask nnedu._static; only it reads the variable."""
    import re
    from pathlib import Path

    package = Path(widgets.__file__).parents[1]
    readers = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if re.search(r"environ[^\n]*NNEDU_STATIC", p.read_text())}
    assert readers == {"_static.py"}
    assert widgets.static_mode is __import__("nnedu._static", fromlist=["static_mode"]).static_mode


def test_live_display_with_ipywidgets_7_has_no_repr_mimebundle(monkeypatch):
    """Colab ships ipywidgets 7.7, whose widgets have no _repr_mimebundle_: the stepper still
    hands Jupyter the widget view of its app (not only its text form)."""
    monkeypatch.delenv("NNEDU_STATIC", raising=False)
    widget = widgets.GradientDescent1D()

    class OldBox:  # what an ipywidgets 7 VBox offers: a model id, no _repr_mimebundle_
        model_id = "abc123"

    monkeypatch.setattr(type(widget), "app", property(lambda self: OldBox()))
    bundle = widget._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == "abc123"
    assert bundle["application/vnd.jupyter.widget-view+json"]["version_major"] == 2
