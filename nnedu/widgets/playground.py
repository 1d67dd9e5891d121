"""A small TensorFlow-Playground: train a network on a 2-D toy set and watch the
decision boundary move (chapter 9). Training is ``nnedu.fit`` with ``nnedu.optim.SGD``,
one epoch per Step. The widget draws its initial weights and its shuffling from a
generator of its own (seeded by ``seed``), so Reset repeats a run exactly and never
touches the package's or numpy's global generator."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import ipywidgets as W
import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import Colormap

from nnedu.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from nnedu.nn.container import Sequential
from nnedu.nn.linear import Linear
from nnedu.nn.loss import CrossEntropyLoss
from nnedu.optim import SGD
from nnedu.training import History, fit
from nnedu.widgets._base import Stepper, dropdown, int_slider, slider

DATASETS = ("xor", "circles", "spirals", "moons")
ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU}


class PixelGrid(Artist):
    """A grid of RGBA colours filling an axes box, row 0 at the bottom, drawn pixel for
    pixel (each cell repeated): no resampling, so a new boundary costs a copy, not a
    filtered resize as with ``imshow``."""

    def __init__(self, ax: Axes) -> None:
        super().__init__()
        self.ax = ax
        self.colors: np.ndarray | None = None    # (rows, columns, 4) uint8

    def draw(self, renderer) -> None:
        if not self.get_visible() or self.colors is None:
            return
        x0, y0, x1, y1 = (round(v) for v in self.ax.bbox.extents)   # display pixels, y up
        rows = np.arange(y1 - y0) * len(self.colors) // (y1 - y0)
        columns = np.arange(x1 - x0) * self.colors.shape[1] // (x1 - x0)
        image = np.ascontiguousarray(self.colors[rows[::-1]][:, columns])   # the renderer wants the top row first
        gc = renderer.new_gc()
        renderer.draw_image(gc, x0, y0, image)
        gc.restore()


def playground_data(name: str, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from nnedu import data

    makers: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
        "xor": data.make_xor, "circles": data.make_circles, "spirals": data.make_spirals, "moons": data.make_moons}
    make = makers[name]
    return make(n_samples=200, noise=noise, seed=seed)


class Playground(Stepper):
    """Data set, hidden layers, activation, learning rate, batch size and noise; Step
    trains one epoch, Play several."""

    static_frames = 16
    relayout = True    # the epoch axis grows: "300" needs more room than "20"
    #: epochs the recorded run trains for (spread over its frames)
    static_epochs = 300

    def __init__(self, dataset: str = "xor", hidden: tuple[int, ...] = (4,), activation: str = "tanh",
                 lr: float = 0.1, batch_size: int = 16, noise: float = 0.1, seed: int = 0) -> None:
        super().__init__(figsize=(7.5, 3.2))
        self.dataset = dropdown("data", DATASETS, dataset)
        self.hidden = W.Text(value=", ".join(map(str, hidden)), description="hidden layers", continuous_update=False,
                             style={"description_width": "initial"})
        self.activation = dropdown("activation", list(ACTIVATIONS), activation)
        self.lr = slider("learning rate", lr, 0.001, 1.0, 0.001, readout_format=".3f")
        self.batch_size = int_slider("batch size", batch_size, 1, 200)
        self.noise = slider("noise", noise, 0.0, 0.5, 0.01)
        self.epochs_per_play = 10
        self.play_button = W.Button(description=f"Play {self.epochs_per_play} epochs")
        self.play_button.on_click(lambda _: self._play_and_show())
        self.seed = seed
        self.watch(self.dataset, self.hidden, self.activation, self.lr, self.batch_size, self.noise)
        self.ax, self.loss_ax = self.fig.subplots(1, 2, width_ratios=[1.2, 1])
        self.grid_size = 60
        self.colors: Colormap = matplotlib.colormaps.get_cmap("RdBu")
        self.boundary = self.ax.add_artist(PixelGrid(self.ax))
        self.points = self.ax.scatter(np.empty(0), np.empty(0), c=np.empty(0), s=12, edgecolors="k",
                                      linewidths=0.3, cmap="RdBu", vmin=0, vmax=1)
        (self.loss_line,) = self.loss_ax.plot([], [], color="C3")
        self.points.set_zorder(self.boundary.get_zorder() + 1)      # the points over the colours
        # one changing title (a line of text costs as much to draw as the boundary)
        self.animate(self.boundary, self.points, self.loss_line, self.ax.title)
        self.loss_ax.set_xlabel("epoch")
        self.loss_ax.set_ylabel("training loss")
        self.reset()

    def controls(self) -> list[W.Widget]:
        return [W.VBox([self.dataset, self.hidden, self.activation]),
                W.VBox([self.lr, self.batch_size, self.noise])]

    def buttons(self) -> list[W.Widget]:
        return [self.step_button, self.play_button, self.reset_button]

    def hidden_sizes(self) -> tuple[int, ...]:
        text = self.hidden.value.replace(" ", "")
        try:
            sizes = tuple(int(v) for v in text.split(",") if v)
        except ValueError:
            raise ValueError(
                f"hidden expects comma-separated layer sizes such as '8, 8', got {self.hidden.value!r}") from None
        if any(n < 1 for n in sizes):
            raise ValueError(f"hidden layer sizes must be positive, got {self.hidden.value!r}")
        return sizes

    def reset(self) -> None:
        try:
            sizes = self.hidden_sizes()
        except ValueError as error:
            self.message = str(error)   # keep the current network until the text is valid
            return
        super().reset()
        self.X, self.y = playground_data(self.dataset.value, self.noise.value, self.seed)
        self.rng = np.random.default_rng(self.seed)   # the widget's own: initial weights, then shuffling
        layers, width = [], 2
        for n in sizes:
            layers += [Linear(width, n, rng=self.rng), ACTIVATIONS[self.activation.value]()]
            width = n
        self.model = Sequential(*layers, Linear(width, 2, rng=self.rng))
        self.model_sizes = sizes
        self.loss_fn = CrossEntropyLoss()
        self.optimizer = SGD(self.model.parameters(), lr=self.lr.value)
        self.diverged = False
        self.history = History()
        self.message = ""
        (x0, y0), (x1, y1) = self.X.min(axis=0) - 0.3, self.X.max(axis=0) + 0.3
        self.extent = (x0, x1, y0, y1)
        gx, gy = np.meshgrid(np.linspace(x0, x1, self.grid_size), np.linspace(y0, y1, self.grid_size))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        self.points.set_offsets(self.X)
        self.points.set_array(self.y.astype(float))
        self.loss_ax.set_title(f"hidden {sizes}, {self.activation.value}, lr {self.lr.value:g}", fontsize=10)

    @property
    def epoch(self) -> int:
        return len(self.history.loss)

    def step(self) -> None:
        """One epoch of mini-batch SGD with ``nnedu.fit``."""
        from nnedu.training import TrainingDiverged

        try:
            one = fit(self.model, self.loss_fn, self.optimizer, self.X, self.y, epochs=1,
                      batch_size=self.batch_size.value, rng=self.rng, progress=False)
        except TrainingDiverged:
            self.diverged = True
            self.message = "the loss diverged: lower the learning rate and press Reset"
            return
        self.history.loss += one.loss
        self.history.accuracy += one.accuracy
        self.message = f"epoch {self.epoch}: loss {one.loss[-1]:.4f}, accuracy {one.accuracy[-1]:.3f}"

    @property
    def finished(self) -> bool:
        return self.diverged

    def _play_and_show(self) -> None:
        for _ in range(self.epochs_per_play):
            if not self.finished:
                self.step()
        self.refresh()

    def frames(self, n: int) -> Iterator[int]:
        """Static frames: epoch 0, then every ``static_epochs / (n - 1)`` epochs."""
        self.reset()
        yield 0
        per_frame = max(1, round(self.static_epochs / (n - 1)))
        for i in range(1, n):
            for _ in range(per_frame):
                self.step()
            if self.finished:
                return
            yield i

    def describe(self) -> str:
        state = self.message or "before training"
        return (f"{self.dataset.value} data, hidden layers {self.model_sizes}, {self.activation.value}, "
                f"learning rate {self.lr.value:g}, batch size {self.batch_size.value}: {state}")

    def probability_of_class_1(self) -> np.ndarray:
        from nnedu.functional import softmax

        self.model.eval()
        p = softmax(self.model(self.grid))[:, 1]
        self.model.train()
        return p.reshape(self.grid_size, self.grid_size)

    def draw(self) -> None:
        self.boundary.colors = self.colors(self.probability_of_class_1(), alpha=0.5, bytes=True)
        epochs = np.arange(1, self.epoch + 1)
        self.loss_line.set_data(epochs, self.history.loss)
        # limits in round steps: the picture behind the curve is redrawn only when they change
        self.loss_ax.set_xlim(0, 20 * max(1, int(np.ceil(self.epoch / 20))))
        top = max(self.history.loss) if self.history.loss else 1.0
        self.loss_ax.set_ylim(0, 0.2 * np.ceil(top * 1.05 / 0.2))
        accuracy = f", accuracy {self.history.accuracy[-1]:.2f}" if self.history.accuracy else ""
        last = f", loss {self.history.loss[-1]:.3f}" if self.history.loss else ""
        self.ax.set_title(f"{self.dataset.value}, epoch {self.epoch}{last}{accuracy}", fontsize=10)

    def __repr__(self) -> str:
        return f"Playground(dataset={self.dataset.value!r}, hidden={self.model_sizes})"
