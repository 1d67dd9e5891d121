"""A small TensorFlow-Playground: train a network on a 2-D toy set and watch the
decision boundary move (chapter 9). Training is ``nnedu.fit``, one epoch per Step."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from nnedu.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from nnedu.nn.container import Sequential
from nnedu.nn.linear import Linear
from nnedu.nn.loss import CrossEntropyLoss
from nnedu.optim import SGD
from nnedu.training import History, fit
from nnedu.widgets._base import Stepper, slider

DATASETS = ("xor", "circles", "spirals", "moons")
ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU}


def playground_data(name: str, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from nnedu import data

    make = {"xor": data.make_xor, "circles": data.make_circles, "spirals": data.make_spirals,
            "moons": data.make_moons}[name]
    return make(n_samples=200, noise=noise, seed=seed)


class Playground(Stepper):
    """Data set, hidden layers, activation, learning rate, batch size and noise; Step
    trains one epoch, Play several."""

    static_frames = 16

    def __init__(self, dataset: str = "xor", hidden: tuple[int, ...] = (4,), activation: str = "tanh",
                 lr: float = 0.1, batch_size: int = 16, noise: float = 0.1, seed: int = 0) -> None:
        super().__init__(figsize=(7.5, 3.2))
        self.dataset = W.Dropdown(options=DATASETS, value=dataset, description="data")
        self.hidden = W.Text(value=", ".join(map(str, hidden)), description="hidden", continuous_update=False)
        self.activation = W.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation")
        self.lr = slider("learning rate", lr, 0.001, 1.0, 0.001, readout_format=".3f")
        self.batch_size = W.IntSlider(value=batch_size, min=1, max=200, description="batch size",
                                      continuous_update=False)
        self.noise = slider("noise", noise, 0.0, 0.5, 0.01)
        self.epochs_per_play = 10
        self.play_button = W.Button(description=f"Play {self.epochs_per_play} epochs")
        self.play_button.on_click(lambda _: self._play_and_show())
        self.seed = seed
        self.watch(self.dataset, self.hidden, self.activation, self.lr, self.batch_size, self.noise)
        self.ax, self.loss_ax = self.fig.subplots(1, 2, width_ratios=[1.2, 1])
        self.grid_size = 60
        self.boundary = self.ax.imshow(np.zeros((self.grid_size, self.grid_size)), origin="lower",
                                       cmap="RdBu", vmin=0, vmax=1, alpha=0.5, aspect="auto")
        self.points = self.ax.scatter(np.empty(0), np.empty(0), c=np.empty(0), s=12, edgecolors="k",
                                      linewidths=0.3, cmap="RdBu", vmin=0, vmax=1)
        (self.loss_line,) = self.loss_ax.plot([], [], color="C3")
        self.loss_ax.set_xlabel("epoch")
        self.loss_ax.set_ylabel("training loss")
        self.reset()

    def controls(self):
        return [W.VBox([self.dataset, self.hidden, self.activation]),
                W.VBox([self.lr, self.batch_size, self.noise])]

    def buttons(self):
        return [self.step_button, self.play_button, self.reset_button]

    def hidden_sizes(self) -> tuple[int, ...]:
        text = self.hidden.value.replace(" ", "")
        try:
            sizes = tuple(int(v) for v in text.split(",") if v)
        except ValueError:
            raise ValueError(f"hidden expects comma-separated layer sizes such as '8, 8', got {self.hidden.value!r}")
        if any(n < 1 for n in sizes):
            raise ValueError(f"hidden layer sizes must be positive, got {self.hidden.value!r}")
        return sizes

    def reset(self) -> None:
        import nnedu

        try:
            sizes = self.hidden_sizes()
        except ValueError as error:
            self.message = str(error)   # keep the current network until the text is valid
            return
        self.X, self.y = playground_data(self.dataset.value, self.noise.value, self.seed)
        nnedu.manual_seed(self.seed)
        layers, width = [], 2
        for n in sizes:
            layers += [Linear(width, n), ACTIVATIONS[self.activation.value]()]
            width = n
        self.model = Sequential(*layers, Linear(width, 2))
        self.model_sizes = sizes
        self.loss_fn = CrossEntropyLoss()
        self.optimizer = SGD(self.model.parameters(), lr=self.lr.value)
        self.rng = np.random.default_rng(self.seed)
        self.history = History()
        self.message = ""
        (x0, y0), (x1, y1) = self.X.min(axis=0) - 0.3, self.X.max(axis=0) + 0.3
        self.extent = (x0, x1, y0, y1)
        gx, gy = np.meshgrid(np.linspace(x0, x1, self.grid_size), np.linspace(y0, y1, self.grid_size))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.boundary.set_extent(self.extent)
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        self.points.set_offsets(self.X)
        self.points.set_array(self.y.astype(float))

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
            self.message = "the loss diverged: lower the learning rate and press Reset"
            return
        self.history.loss += one.loss
        self.history.accuracy += one.accuracy
        self.message = f"epoch {self.epoch}: loss {one.loss[-1]:.4f}, accuracy {one.accuracy[-1]:.3f}"

    def _play_and_show(self) -> None:
        for _ in range(self.epochs_per_play):
            self.step()
        self.refresh()

    def frames(self, n: int):
        """Static frames: epoch 0, then every few epochs."""
        self.reset()
        yield 0
        for i in range(1, n):
            for _ in range(4):
                self.step()
            yield i

    def probability_of_class_1(self) -> np.ndarray:
        from nnedu.functional import softmax

        self.model.eval()
        p = softmax(self.model(self.grid))[:, 1]
        self.model.train()
        return p.reshape(self.grid_size, self.grid_size)

    def draw(self) -> None:
        self.boundary.set_data(self.probability_of_class_1())
        epochs = np.arange(1, self.epoch + 1)
        self.loss_line.set_data(epochs, self.history.loss)
        self.loss_ax.set_xlim(0, max(10, self.epoch))
        top = max(self.history.loss) if self.history.loss else 1.0
        self.loss_ax.set_ylim(0, top * 1.1)
        accuracy = f", accuracy {self.history.accuracy[-1]:.2f}" if self.history.accuracy else ""
        self.ax.set_title(f"{self.dataset.value}, hidden {self.model_sizes}, {self.activation.value}: "
                          f"epoch {self.epoch}{accuracy}", fontsize=8)

    def __repr__(self) -> str:
        return f"Playground(dataset={self.dataset.value!r}, hidden={self.model_sizes})"
