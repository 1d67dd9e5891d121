"""Replay the perceptron learning rule, one example at a time (chapter 2).

The run is ``nnedu.Perceptron.fit``; the widget only replays its ``history``: which
example is looked at, the boundary before and after, and the weights.
"""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets as W
import numpy as np

from nnedu.neuron import Perceptron
from nnedu.widgets._base import Stepper, dropdown

DATASETS = ("and", "or", "blobs", "xor")


def perceptron_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D data set with labels ±1."""
    from nnedu import data

    if name == "blobs":
        X, y = data.make_blobs(n_samples=20, centers=2, cluster_std=0.6, seed=3)
        return X, 2 * y - 1
    return data.logic_gate(name, signed=True)


class PerceptronStepper(Stepper):
    """Step through every example the perceptron looks at, and the updates it makes."""

    static_frames = 30

    def __init__(self, dataset: str = "and", lr: float = 1.0, max_epochs: int = 10) -> None:
        super().__init__(figsize=(5.6, 3.6))
        self.dataset = dropdown("data", DATASETS, dataset)
        self.max_epochs = max_epochs
        self.lr = lr
        self.watch(self.dataset)
        self.ax = self.fig.add_subplot()
        self.points = self.ax.scatter([], [], s=60, edgecolors="k")
        (self.current_point,) = self.ax.plot([], [], "o", ms=16, mfc="none", mec="C2", mew=2.5)
        (self.before_line,) = self.ax.plot([], [], "--", color="0.5", lw=1, label="boundary before")
        (self.after_line,) = self.ax.plot([], [], "-", color="C3", lw=2, label="boundary after")
        self.ax.legend(loc="upper left", fontsize=8)
        self.animate(self.current_point, self.before_line, self.after_line, self.ax.title)
        self.reset()

    def controls(self) -> list[W.Widget]:
        return [self.dataset]

    def reset(self) -> None:
        super().reset()
        self.X, self.y = perceptron_data(self.dataset.value)
        self.perceptron = Perceptron(self.X.shape[1], lr=self.lr).fit(self.X, self.y, max_epochs=self.max_epochs)
        self.history = self.perceptron.history
        self.position = 0  # how many steps of the history have been shown
        low, high = self.X.min(axis=0) - 0.6, self.X.max(axis=0) + 0.6
        self.ax.set_xlim(low[0], high[0])
        self.ax.set_ylim(low[1], high[1])
        self.points.set_offsets(self.X)
        self.points.set_facecolor(["C0" if label > 0 else "C1" for label in self.y])
        self.points.set_edgecolor("k")
        self.message = self._describe()

    def step(self) -> None:
        if self.position < len(self.history):
            self.position += 1
        self.message = self._describe()

    @property
    def finished(self) -> bool:
        return self.position >= len(self.history)

    def _describe(self) -> str:
        if self.position == 0:
            seen, epochs = len(self.history), self.perceptron.epochs_run
            return f"{seen} examples looked at in {epochs} epochs; press {self.step_word}"
        s = self.history[self.position - 1]
        text = (f"epoch {s.epoch + 1}, example {s.index}: x = {s.x.tolist()}, label {int(s.y):+d}, "
                f"predicted {int(s.prediction):+d} -> ")
        text += (f"update: w = {np.round(s.w_after, 3).tolist()}, b = {s.b_after:.3f}" if s.updated
                 else "correct, no update")
        if self.finished:
            text += (" | converged: an epoch without mistakes" if self.perceptron.converged else
                     f" | did not converge in {self.max_epochs} epochs: the data is not linearly separable")
        return text

    def _boundary(self, line, w, b) -> None:
        """The line w·x + b = 0 across the plot (vertical when w[1] = 0)."""
        x0, x1 = self.ax.get_xlim()
        if abs(w[1]) > 1e-12:
            xs = np.array([x0, x1])
            line.set_data(xs, -(w[0] * xs + b) / w[1])
        elif abs(w[0]) > 1e-12:
            line.set_data([-b / w[0]] * 2, list(self.ax.get_ylim()))
        else:
            line.set_data([], [])

    def draw(self) -> None:
        if self.position == 0:
            self.current_point.set_data([], [])
            self._boundary(self.before_line, np.zeros(2), 0.0)
            self._boundary(self.after_line, self.history[0].w_before if self.history else np.zeros(2), 0.0)
            self.ax.set_title(f"perceptron on {self.dataset.value.upper()}: start", fontsize=9)
            return
        s = self.history[self.position - 1]
        self.current_point.set_data([s.x[0]], [s.x[1]])
        self._boundary(self.before_line, s.w_before, s.b_before)
        self._boundary(self.after_line, s.w_after, s.b_after)
        verdict = "update" if s.updated else "no update"
        self.ax.set_title(f"{self.dataset.value.upper()}, check {self.position} of {len(self.history)}: {verdict}, "
                          f"w = {np.round(s.w_after, 2).tolist()}, b = {s.b_after:.2f}", fontsize=9)

    def frames(self, n: int) -> Iterator[int]:
        self.reset()
        total = min(n, len(self.history) + 1)
        yield 0
        for i in range(1, total):
            self.step()
            yield i

    def static_html(self, n_frames: int | None = None) -> str:
        self.reset()
        return super().static_html(min(n_frames or self.static_frames, len(self.history) + 1))

    def __repr__(self) -> str:
        return f"PerceptronStepper(dataset={self.dataset.value!r})"
