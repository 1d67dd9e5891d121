r"""Gradient descent, one step at a time, in one and two dimensions (chapter 7).

Every step is ``nnedu.optim.SGD.step()`` on an ``nnedu.nn.Parameter``: the update
:math:`w \leftarrow w - \eta\, \partial L/\partial w` (with momentum :math:`v \leftarrow \mu v + g`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import numpy as np

from nnedu.nn.linear import Linear
from nnedu.nn.loss import MSELoss
from nnedu.nn.module import Parameter
from nnedu.optim import SGD
from nnedu.widgets._base import Stepper, dropdown, slider

#: Beyond this distance a run is declared divergent (and stopped before it overflows).
DIVERGED = 1e6


def updates(t: int) -> str:
    """How far a run is: "start", "after 1 update", "after 12 updates"."""
    return "start" if t == 0 else f"after {t} update{'s' if t > 1 else ''}"


@dataclass(frozen=True)
class Loss1D:
    """A loss of one parameter, its derivative, and a good range to plot."""

    formula: str
    f: Callable[[Any], Any]          # arrays in, arrays out; floats in, floats out
    grad: Callable[[Any], Any]
    xlim: tuple[float, float]
    curvature: float | None = None  # L'' when it is constant (quadratics)


LOSSES_1D = {
    "parabola": Loss1D("L(w) = (w - 3)²  (guess the number 3)", lambda w: (w - 3.0) ** 2,
                       lambda w: 2.0 * (w - 3.0), (-6.0, 12.0), curvature=2.0),
    "two minima": Loss1D("L(w) = w⁴ - 3w² + w", lambda w: w**4 - 3 * w**2 + w,
                         lambda w: 4 * w**3 - 6 * w + 1, (-2.3, 2.3)),
    "smooth |w|": Loss1D("L(w) = √(1 + w²) - 1", lambda w: np.sqrt(1 + w**2) - 1,
                         lambda w: w / np.sqrt(1 + w**2), (-6.0, 6.0)),
}


class GradientDescent1D(Stepper):
    """Guess the number: gradient descent on a 1-D loss, with the tangent at each point."""

    static_frames = 16

    def __init__(self, loss: str = "parabola", lr: float = 0.1, start: float = -4.0) -> None:
        super().__init__(figsize=(7.0, 3.0))
        self.loss_choice = dropdown("loss", list(LOSSES_1D), loss)
        self.lr = slider("learning rate", lr, 0.01, 1.5, 0.01)
        self.start = slider("start", start, -6.0, 6.0, 0.1)
        self.n_steps = W.BoundedIntText(value=10, min=1, max=500, description="steps",
                                        style={"description_width": "initial"}, layout=W.Layout(width="9em"))
        self.run_button = W.Button(description="Run n steps")
        self.run_button.on_click(lambda _: self._run_and_show())
        self.watch(self.loss_choice, self.lr, self.start)
        ax = self.ax = self.fig.add_subplot()
        (self.curve,) = ax.plot([], [], color="0.5")
        (self.path,) = ax.plot([], [], "o-", color="C0", ms=4, lw=1, alpha=0.6)
        (self.tangent,) = ax.plot([], [], "--", color="C3", lw=1)
        (self.point,) = ax.plot([], [], "o", color="C3", ms=8)
        self.animate(self.path, self.tangent, self.point, ax.title)
        ax.set_xlabel("w")
        ax.set_ylabel("L(w)")
        self.reset()

    @property
    def loss(self) -> Loss1D:
        return LOSSES_1D[self.loss_choice.value]

    def controls(self) -> list[W.Widget]:
        return [self.loss_choice, self.lr, self.start]

    def buttons(self) -> list[W.Widget]:
        return [self.step_button, self.n_steps, self.run_button, self.reset_button]

    def reset(self) -> None:
        super().reset()
        self.w = Parameter(np.array([self.start.value]))
        self.optimizer = SGD([self.w], lr=self.lr.value)
        self.history = [float(self.w.data[0])]
        self.diverged = False
        self.message = self._describe()
        grid = np.linspace(*self.loss.xlim, 300)
        self.curve.set_data(grid, self.loss.f(grid))
        self.ax.set_xlim(*self.loss.xlim)
        low, high = self.loss.f(grid).min(), self.loss.f(grid).max()
        self.ax.set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))

    @property
    def finished(self) -> bool:
        return self.diverged

    def step(self) -> None:
        if self.diverged:
            return
        self.optimizer.zero_grad()
        self.w.grad += self.loss.grad(self.w.data)      # dL/dw at the current point
        self.optimizer.step()                           # w <- w - lr * dL/dw
        w = float(self.w.data[0])
        if not np.isfinite(w) or abs(w) > DIVERGED:
            self.diverged = True
            self.message = (f"diverged: after {len(self.history)} steps |w| > {DIVERGED:g}. "
                            + self._bound_advice())
            return
        self.history.append(w)
        self.message = self._describe()

    def run(self, n: int) -> None:
        for _ in range(n):
            self.step()

    def _run_and_show(self) -> None:
        self.run(self.n_steps.value)
        self.refresh()

    @property
    def current(self) -> float:
        return self.history[-1]

    def losses(self) -> list[float]:
        return [float(self.loss.f(w)) for w in self.history]

    def _bound_advice(self) -> str:
        a = self.loss.curvature
        return f"For this quadratic L'' = {a:g}: learning rates above 2/L'' = {2 / a:g} diverge." if a else \
            "The learning rate is too large for this loss."

    def _describe(self) -> str:
        w = self.current
        loss, slope = float(self.loss.f(w)), float(self.loss.grad(w))
        return f"{updates(len(self.history) - 1)}: w = {w:.4f}, L(w) = {loss:.4f}, dL/dw = {slope:.4f}"

    def draw(self) -> None:
        ws = np.array(self.history)
        with np.errstate(over="ignore", invalid="ignore"):
            self.path.set_data(ws, self.loss.f(ws))
            w = ws[-1]
            slope, height = self.loss.grad(w), self.loss.f(w)
        span = 0.15 * (self.loss.xlim[1] - self.loss.xlim[0])
        self.tangent.set_data([w - span, w + span], [height - slope * span, height + slope * span])
        self.point.set_data([w], [height])
        label = "diverged" if self.diverged else updates(len(ws) - 1)
        self.ax.set_title(f"{self.loss.formula}    lr = {self.lr.value:g}, {label}", fontsize=10)

    def describe(self) -> str:
        return f"{self.loss.formula}, learning rate {self.lr.value:g}; {self.message}"

    def __repr__(self) -> str:
        return f"GradientDescent1D(loss={self.loss_choice.value!r}, lr={self.lr.value}, start={self.start.value})"


@dataclass(frozen=True)
class Surface:
    """A loss of two parameters: value and gradient on arrays of points ``(..., 2)``."""

    formula: str
    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]


def _regression_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small noisy line y = 2x - 1, for the SGD surface (MSE of slope and intercept)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, 32)
    return x, 2.0 * x - 1.0 + 0.5 * rng.normal(size=32)


REG_X, REG_Y = _regression_data()


class Regression:
    r"""The model :math:`\hat y = w_1 x + w_2` (an ``nnedu`` ``Linear(1, 1)``) and its
    ``MSELoss`` on the 32 points, as a function of :math:`w = (w_1, w_2)`: the loss is
    the layer's forward pass and the loss, the gradient their backward passes."""

    def __init__(self, x: np.ndarray = REG_X, y: np.ndarray = REG_Y) -> None:
        self.x, self.y = x[:, None], y[:, None]
        self.model = Linear(1, 1, rng=np.random.default_rng(0))   # its weights are set before every use
        self.loss_fn = MSELoss()

    def _set(self, w: np.ndarray) -> None:
        assert self.model.bias is not None
        self.model.weight.data[...] = w[0]
        self.model.bias.data[...] = w[1]

    def loss(self, w: np.ndarray) -> float:
        self._set(w)
        return float(self.loss_fn(self.model(self.x), self.y))

    def grad(self, w: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        r""":math:`(\partial L/\partial w_1, \partial L/\partial w_2)` on the samples ``idx``."""
        self._set(w)
        self.model.zero_grad()
        self.loss_fn(self.model(self.x[idx]), self.y[idx])
        self.model.backward(self.loss_fn.backward())
        assert self.model.bias is not None
        return np.array([self.model.weight.grad[0, 0], self.model.bias.grad[0]])

    def surface(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The loss at every point of the arrays ``a`` (slopes) and ``b`` (intercepts)."""
        flat = [self.loss(np.array(w)) for w in zip(np.ravel(a), np.ravel(b))]
        return np.reshape(flat, np.shape(a))


REGRESSION = Regression()

SURFACES = {
    "bowl": Surface("L = w₁² + w₂²", lambda a, b: a**2 + b**2, lambda w: 2 * w,
                    (-3, 3), (-3, 3), (-2.5, 2.0)),
    "elongated bowl": Surface("L = ½(w₁² + 20 w₂²)", lambda a, b: 0.5 * (a**2 + 20 * b**2),
                              lambda w: np.array([w[0], 20 * w[1]]), (-10, 10), (-2, 2), (-9.0, 1.5)),
    "rosenbrock": Surface("L = (1 - w₁)² + 100 (w₂ - w₁²)²",
                          lambda a, b: (1 - a) ** 2 + 100 * (b - a**2) ** 2,
                          lambda w: np.array([-2 * (1 - w[0]) - 400 * w[0] * (w[1] - w[0] ** 2),
                                              200 * (w[1] - w[0] ** 2)]),
                          (-2, 2), (-1, 3), (-1.5, 2.0)),
    "two minima": Surface("L = (w₁² - 1)² + w₂² + 0.3 w₁", lambda a, b: (a**2 - 1) ** 2 + b**2 + 0.3 * a,
                          lambda w: np.array([4 * w[0] * (w[0] ** 2 - 1) + 0.3, 2 * w[1]]),
                          (-2, 2), (-2, 2), (0.3, 1.8)),
    "saddle": Surface("L = w₁² - w₂²", lambda a, b: a**2 - b**2, lambda w: np.array([2 * w[0], -2 * w[1]]),
                      (-2, 2), (-2, 2), (1.8, 0.01)),
    "regression (MSE)": Surface("MSE of y ≈ w₁ x + w₂ on 32 noisy points", REGRESSION.surface,
                                REGRESSION.grad, (-2, 5), (-4, 3), (-1.5, 2.5)),
}

OPTIMIZERS = ["gradient descent", "momentum", "SGD (batches of 4)"]


def _decades(low: float, high: float) -> tuple[float, float]:
    """Log-scale limits rounded out to whole powers of ten (they change rarely)."""
    return 10.0 ** np.floor(np.log10(max(low, 1e-8))), 10.0 ** np.ceil(np.log10(max(high, 1e-7)))


class GradientDescent2D(Stepper):
    """Contours of a 2-D loss, the path of an optimiser on it, and the loss per step."""

    static_frames = 18
    relayout = True    # the loss axis gains and loses powers of ten

    def __init__(self, surface: str = "elongated bowl", optimizer: str = "gradient descent",
                 lr: float = 0.09, momentum: float = 0.8, start: tuple[float, float] | None = None,
                 seed: int = 0) -> None:
        super().__init__(figsize=(7.5, 3.2))
        self.surface_choice = dropdown("surface", list(SURFACES), surface)
        self.optimizer_choice = dropdown("optimizer", OPTIMIZERS, optimizer)
        self.lr = slider("learning rate", lr, 0.001, 2.0, 0.001, readout_format=".3f")
        self.momentum = slider("momentum", momentum, 0.0, 0.99, 0.01)
        self.seed = seed
        self._start = start
        self.watch(self.surface_choice, self.optimizer_choice, self.lr, self.momentum)
        self.ax, self.loss_ax = self.fig.subplots(1, 2, width_ratios=[1.4, 1])
        (self.path,) = self.ax.plot([], [], "o-", color="C3", ms=3, lw=1)
        self.arrow = self.ax.quiver([0], [0], [0], [0], color="C0", angles="xy", scale_units="xy", scale=1)
        (self.loss_line,) = self.loss_ax.plot([], [], "o-", ms=3, color="C3")
        self.animate(self.path, self.arrow, self.loss_line, self.loss_ax.title)
        self.loss_ax.set_xlabel("update")
        self.loss_ax.set_ylabel("loss")
        self.loss_ax.set_yscale("log")
        self._contours = None
        self._contoured = ""       # the surface the contours show
        self.reset()

    @property
    def surface(self) -> Surface:
        return SURFACES[self.surface_choice.value]

    @property
    def uses_momentum(self) -> bool:
        return self.optimizer_choice.value == "momentum"

    def controls(self) -> list[W.Widget]:
        return [W.VBox([self.surface_choice, self.optimizer_choice]), W.VBox([self.lr, self.momentum])]

    def reset(self) -> None:
        super().reset()
        s = self.surface
        start = self._start if self._start is not None else s.start
        self.w = Parameter(np.array(start, dtype=float))
        self.optimizer = SGD([self.w], lr=self.lr.value, momentum=self.momentum.value if self.uses_momentum else 0.0)
        # the momentum slider is shown only when the optimizer uses it
        self.momentum.layout.display = None if self.uses_momentum else "none"
        self.rng = np.random.default_rng(self.seed)
        self.history = [self.w.data.copy()]
        self.diverged = False
        self.message = ""
        if self._contoured != self.surface_choice.value:       # a learning rate or optimizer change keeps them
            if self._contours is not None:
                self._contours.remove()
            a, b = np.meshgrid(np.linspace(*s.xlim, 120), np.linspace(*s.ylim, 120))
            z = s.f(a, b)
            levels = np.quantile(z, np.linspace(0.01, 0.95, 14))
            self._contours = self.ax.contour(a, b, z, levels=np.unique(levels), cmap="Greys", linewidths=0.7)
            self._contoured = self.surface_choice.value
            self.ax.set_xlim(*s.xlim)
            self.ax.set_ylim(*s.ylim)
            self.ax.set_title(s.formula, fontsize=9)

    @property
    def finished(self) -> bool:
        return self.diverged

    def gradient(self) -> np.ndarray:
        """The full gradient, or for SGD the gradient on a random batch of 4 samples."""
        if self.optimizer_choice.value.startswith("SGD") and self.surface_choice.value == "regression (MSE)":
            return REGRESSION.grad(self.w.data, self.rng.choice(len(REG_X), 4, replace=False))
        if self.optimizer_choice.value.startswith("SGD"):
            # on an analytic surface, SGD is simulated as the gradient plus noise
            return self.surface.grad(self.w.data) * (1 + 0.5 * self.rng.normal(size=2))
        return self.surface.grad(self.w.data)

    def step(self) -> None:
        if self.diverged:
            return
        self.optimizer.zero_grad()
        self.w.grad += self.gradient()
        self.optimizer.step()
        if not np.all(np.isfinite(self.w.data)) or np.abs(self.w.data).max() > DIVERGED:
            self.diverged = True
            self.message = f"diverged after {len(self.history)} steps: lower the learning rate"
            return
        self.history.append(self.w.data.copy())
        w, loss = self.history[-1], self.losses()[-1]
        self.message = f"{updates(len(self.history) - 1)}: w = ({w[0]:.3f}, {w[1]:.3f}), loss {loss:.4g}"

    def losses(self) -> np.ndarray:
        path = np.array(self.history)
        return np.asarray(self.surface.f(path[:, 0], path[:, 1]), dtype=float)

    def describe(self) -> str:
        momentum = f" (momentum {self.momentum.value:g})" if self.uses_momentum else ""
        settings = f"{self.optimizer_choice.value}{momentum}"
        state = self.message or f"start at w = ({self.history[0][0]:.3f}, {self.history[0][1]:.3f})"
        return f"{settings} on {self.surface.formula}, learning rate {self.lr.value:g}; {state}"

    def draw(self) -> None:
        path = np.array(self.history)
        self.path.set_data(path[:, 0], path[:, 1])
        g = self.surface.grad(path[-1])
        scale = 0.15 * (self.surface.xlim[1] - self.surface.xlim[0]) / (np.linalg.norm(g) + 1e-12)
        self.arrow.set_offsets(path[-1:])
        self.arrow.set_UVC([-g[0] * scale], [-g[1] * scale])
        losses = self.losses()
        shift = 1e-12 - min(0.0, losses.min())  # log scale: keep the curve positive
        self.loss_line.set_data(np.arange(len(losses)), losses + shift)
        # limits that change rarely: the picture behind the curve is redrawn only then
        self.loss_ax.set_xlim(0, 10 * max(1, int(np.ceil((len(losses) - 1) / 10))))
        self.loss_ax.set_ylim(*_decades((losses + shift).min() * 0.5, (losses + shift).max() * 2))
        label = "diverged" if self.diverged else updates(len(path) - 1)
        self.loss_ax.set_title(f"{self.optimizer_choice.value}, lr {self.lr.value:g}: {label}", fontsize=9)

    def __repr__(self) -> str:
        return (f"GradientDescent2D(surface={self.surface_choice.value!r}, "
                f"optimizer={self.optimizer_choice.value!r}, lr={self.lr.value})")
