r"""SGD, momentum, RMSprop and Adam side by side on the same surface (chapter 10).

Every step is the real ``step()`` of :mod:`nnedu.optim` on an ``nnedu.nn.Parameter``
whose ``.grad`` holds the surface's gradient, so the paths drawn here are the updates of
chapter 10's equations:

.. math::
    \text{SGD: } w \leftarrow w - \eta g, \qquad
    \text{momentum: } v \leftarrow \mu v + g,\ w \leftarrow w - \eta v, \qquad
    \text{RMSprop: } s \leftarrow \alpha s + (1-\alpha) g^2,\ w \leftarrow w - \eta \frac{g}{\sqrt s + \epsilon},

and Adam, both averages with bias correction. :func:`trajectory` runs one optimizer on
one surface; :class:`OptimizerRace` steps the four together. The chapter's figures call
:func:`trajectory` too, so the book and the widget share one source of truth.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real

import ipywidgets as W
import numpy as np

from nnedu.nn.module import Parameter
from nnedu.optim import SGD, Adam, Optimizer, RMSprop
from nnedu.widgets._base import Stepper, dropdown
from nnedu.widgets.gradient_descent import DIVERGED, SURFACES, Surface, _decades, updates

#: momentum of the "momentum" and "Nesterov" optimizers (the usual 0.9)
MOMENTUM = 0.9

#: each optimizer from its parameters and learning rate; the others keep PyTorch's defaults
OPTIMIZERS: dict[str, Callable[[list[Parameter], float], Optimizer]] = {
    "SGD": lambda params, lr: SGD(params, lr=lr),
    "momentum": lambda params, lr: SGD(params, lr=lr, momentum=MOMENTUM),
    "Nesterov": lambda params, lr: SGD(params, lr=lr, momentum=MOMENTUM, nesterov=True),
    "RMSprop": lambda params, lr: RMSprop(params, lr=lr),
    "Adam": lambda params, lr: Adam(params, lr=lr),
}

#: the four the race shows, with their colours (distinct in light and dark mode)
RACE = {"SGD": "C0", "momentum": "C1", "RMSprop": "C2", "Adam": "C3"}

#: condition number of the ill-conditioned quadratic: its curvatures are 1 and this
CONDITION = 100.0

#: the surfaces of the race and where each has its minimum (the loss there is 0)
RACE_SURFACES: dict[str, Surface] = {
    "ill-conditioned quadratic": Surface(
        f"L = ½(w₁² + {CONDITION:g} w₂²)", lambda a, b: 0.5 * (a**2 + CONDITION * b**2),
        lambda w: np.array([w[0], CONDITION * w[1]]), (-10.0, 10.0), (-1.2, 1.2), (-9.0, 1.0)),
    "rosenbrock": SURFACES["rosenbrock"],        # chapter 7's banana valley, minimum at (1, 1)
}
MINIMA = {"ill-conditioned quadratic": (0.0, 0.0), "rosenbrock": (1.0, 1.0)}

#: learning rates for the race: on the grid 1e-4, 2e-4, 5e-4, ..., 1, the rate with the lowest
#: mean of log10(loss) over a run whose loss never climbs above its start (chapter 10 searches
#: it again: 100 updates on the quadratic, 1000 on Rosenbrock's valley)
LEARNING_RATES = {
    "ill-conditioned quadratic": {"SGD": 0.01, "momentum": 0.01, "RMSprop": 0.2, "Adam": 1.0},
    "rosenbrock": {"SGD": 0.001, "momentum": 0.0005, "RMSprop": 0.01, "Adam": 0.1},
}

#: the range of the learning-rate sliders
LR_RANGE = (1e-4, 2.0)


def surface_named(surface: str | Surface) -> Surface:
    """The surface called ``surface`` (or the one given), with a clear error for a wrong name."""
    if isinstance(surface, Surface):
        return surface
    if surface not in RACE_SURFACES:
        raise ValueError(f"unknown surface {surface!r}; expected one of {sorted(RACE_SURFACES)}")
    return RACE_SURFACES[surface]


class Runner:
    """One optimizer on one surface: a 2-vector ``Parameter``, its optimizer, and the path so far."""

    def __init__(self, surface: str | Surface, optimizer: str, lr: float,
                 start: tuple[float, float] | None = None) -> None:
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(OPTIMIZERS)}")
        self.surface = surface_named(surface)
        self.w = Parameter(np.array(start if start is not None else self.surface.start, dtype=float))
        self.optimizer = OPTIMIZERS[optimizer]([self.w], lr)
        self.path = [self.w.data.copy()]
        self.diverged = False

    def step(self) -> None:
        """One update: ``.grad`` is the surface's gradient at ``w``, then the optimizer's ``step()``."""
        if self.diverged:
            return
        self.optimizer.zero_grad()
        self.w.grad += self.surface.grad(self.w.data)
        self.optimizer.step()
        if not np.all(np.isfinite(self.w.data)) or np.abs(self.w.data).max() > DIVERGED:
            self.diverged = True            # the path stops at the last finite point
            return
        self.path.append(self.w.data.copy())

    def losses(self) -> np.ndarray:
        path = np.array(self.path)
        return np.asarray(self.surface.f(path[:, 0], path[:, 1]), dtype=float)


def trajectory(surface: str | Surface, optimizer: str, lr: float, steps: int,
               start: tuple[float, float] | None = None) -> np.ndarray:
    """The points ``(steps + 1, 2)`` that ``optimizer`` visits on ``surface``, from ``start``
    (default: the surface's). A run that diverges stops early: fewer rows."""
    runner = Runner(surface, optimizer, lr, start)
    for _ in range(steps):
        runner.step()
    return np.array(runner.path)


def log_slider(description: str, value: float, low: float, high: float) -> W.FloatLogSlider:
    """A learning-rate slider on a log scale (powers of ten), updating on release."""
    return W.FloatLogSlider(value=value, base=10, min=np.log10(low), max=np.log10(high), step=0.05,
                            description=description, readout_format=".2g", continuous_update=False,
                            style={"description_width": "initial"})


class OptimizerRace(Stepper):
    """SGD, momentum, RMSprop and Adam from the same start: their paths and their losses."""

    static_frames = 21
    relayout = True            # the loss axis gains and loses powers of ten
    #: updates per Step (the recording shows ``static_frames - 1`` Steps)
    updates_per_step = 5
    #: the loss axis stops here (RMSprop reaches 1e-14 on the quadratic): smaller losses are drawn at this floor
    loss_floor = 1e-16
    #: Steps per Play
    steps_per_play = 10

    def __init__(self, surface: str = "ill-conditioned quadratic",
                 lrs: dict[str, float] | None = None) -> None:
        super().__init__(figsize=(7.5, 3.4))
        surface_named(surface)
        self.surface_choice = dropdown("surface", list(RACE_SURFACES), surface)
        unknown = set(lrs or {}) - set(RACE)
        if unknown:
            raise ValueError(f"lrs has rates for {sorted(unknown)}; the race has {list(RACE)}")
        low, high = LR_RANGE
        for name, lr in (lrs or {}).items():
            if isinstance(lr, bool) or not isinstance(lr, Real) or not low <= lr <= high:   # a slider would clamp it
                raise ValueError(f"the race's sliders take learning rates from {low:g} to {high:g}; "
                                 f"got {lr} for {name}")
        chosen = {**LEARNING_RATES[surface], **(lrs or {})}
        self.lr = {name: log_slider(f"{name} lr", chosen[name], low, high) for name in RACE}
        self.play_button = W.Button(description=f"Play {self.steps_per_play} Steps")
        self.play_button.on_click(lambda _: self._play_and_show())
        self.surface_choice.observe(self._on_surface, names="value")
        self.watch(*self.lr.values())
        self.ax, self.loss_ax = self.fig.subplots(1, 2, width_ratios=[1.4, 1])
        self.paths = {name: self.ax.plot([], [], "o-", color=color, ms=2, lw=1.2, label=name)[0]
                      for name, color in RACE.items()}
        self.loss_lines = {name: self.loss_ax.plot([], [], color=color, lw=1.5)[0]
                           for name, color in RACE.items()}
        (self.minimum,) = self.ax.plot([], [], "*", color="0.25", ms=9)
        # each one's current loss, in its colour, in the corner of the loss panel
        self.loss_texts = {name: self.loss_ax.text(0.98, 0.97 - 0.09 * i, "", color=color, fontsize=8,
                                                   ha="right", va="top", transform=self.loss_ax.transAxes,
                                                   bbox=dict(facecolor="white", alpha=0.75, edgecolor="none", pad=1))
                           for i, (name, color) in enumerate(RACE.items())}
        self.animate(*self.paths.values(), *self.loss_lines.values(), *self.loss_texts.values(),
                     self.loss_ax.title)
        self.loss_ax.set_xlabel("update")
        self.loss_ax.set_ylabel("loss")
        self.loss_ax.set_yscale("log")
        self.ax.set_xlabel("w₁")
        self.ax.set_ylabel("w₂")
        self._contours = None
        self.reset()

    @property
    def surface(self) -> Surface:
        return RACE_SURFACES[self.surface_choice.value]

    def controls(self) -> list[W.Widget]:
        names = list(RACE)
        return [self.surface_choice, W.VBox([self.lr[n] for n in names[:2]]),
                W.VBox([self.lr[n] for n in names[2:]])]

    def buttons(self) -> list[W.Widget]:
        return [self.step_button, self.play_button, self.reset_button]

    def _on_surface(self, _change: object) -> None:
        """A new surface brings its own learning rates (set without a reset each), then one reset."""
        for name, slider in self.lr.items():
            self.set_quietly(slider, LEARNING_RATES[self.surface_choice.value][name])
        self._reset_and_show()

    def reset(self) -> None:
        super().reset()
        self.runners = {name: Runner(self.surface, name, self.lr[name].value) for name in RACE}
        self.t = 0                                    # updates so far (the same for the four)
        s = self.surface
        if self._contours is not None:
            self._contours.remove()
        a, b = np.meshgrid(np.linspace(*s.xlim, 160), np.linspace(*s.ylim, 160))
        z = s.f(a, b)
        levels = np.geomspace(max(z.min(), 1e-3), z.max(), 14)
        self._contours = self.ax.contour(a, b, z, levels=levels, colors="0.6", linewidths=0.6)
        self.minimum.set_data([MINIMA[self.surface_choice.value][0]], [MINIMA[self.surface_choice.value][1]])
        self.ax.set_xlim(*s.xlim)
        self.ax.set_ylim(*s.ylim)
        self.ax.set_title(s.formula, fontsize=9)

    def step(self) -> None:
        for _ in range(self.updates_per_step):
            for runner in self.runners.values():
                runner.step()
            self.t += 1

    def _play_and_show(self) -> None:
        for _ in range(self.steps_per_play):
            self.step()
        self.refresh()

    def current_losses(self) -> dict[str, float]:
        """Each optimizer's loss now (``inf`` once it has diverged)."""
        return {name: np.inf if r.diverged else float(r.losses()[-1]) for name, r in self.runners.items()}

    def describe(self) -> str:
        losses = ", ".join(f"{name} (lr {self.lr[name].value:.2g}) {'diverged' if np.isinf(loss) else f'{loss:.2g}'}"
                           for name, loss in self.current_losses().items())
        return f"{self.surface_choice.value}, {updates(self.t)}; loss: {losses}"

    def draw(self) -> None:
        highs = []
        for name, runner in self.runners.items():
            path = np.array(runner.path)
            self.paths[name].set_data(path[:, 0], path[:, 1])
            losses = np.maximum(runner.losses(), self.loss_floor)     # log scale: keep the curve positive
            self.loss_lines[name].set_data(np.arange(len(losses)), losses)
            loss = "diverged" if runner.diverged else f"{runner.losses()[-1]:.2g}"
            self.loss_texts[name].set_text(f"{name}: {loss}")
            highs.append(losses.max())
        # limits that change rarely: the picture behind the curves is redrawn only then
        self.loss_ax.set_xlim(0, 50 * max(1, int(np.ceil(self.t / 50))))
        self.loss_ax.set_ylim(self.loss_floor, _decades(1.0, max(highs) * 2)[1])
        self.loss_ax.set_title(updates(self.t), fontsize=9)

    def __repr__(self) -> str:
        lrs = {name: slider.value for name, slider in self.lr.items()}
        return f"OptimizerRace(surface={self.surface_choice.value!r}, lrs={lrs})"
