r"""Backpropagation, one layer at a time, on a small drawn network (chapter 8).

The numbers come from ``nnedu`` layers: ``Linear`` + ``Sigmoid`` forward, ``MSELoss``,
then each layer's ``backward``, then one SGD update. The stepper shows, stage by stage,
the activations on the nodes, the loss, each layer's :math:`\delta = \partial L/\partial z`
on the nodes and :math:`\partial L/\partial w` on the edges, and the updated weights.
"""

from __future__ import annotations

import itertools

import numpy as np

from nnedu.nn.activation import Sigmoid
from nnedu.nn.linear import Linear
from nnedu.nn.loss import MSELoss
from nnedu.optim import SGD
from nnedu.viz import draw_network, number, update_network
from nnedu.widgets._base import Stepper


class BackpropStepper(Stepper):
    """Forward pass, loss, backward pass and update of a sigmoid network on one sample."""

    def __init__(self, layer_sizes: tuple[int, ...] = (2, 3, 2), x: np.ndarray | None = None,
                 target: np.ndarray | None = None, lr: float = 0.5, seed: int = 0) -> None:
        super().__init__(figsize=(7.5, 3.6))
        self.layer_sizes = tuple(layer_sizes)
        rng = np.random.default_rng(seed)
        self.x = np.asarray(x if x is not None else rng.uniform(0, 1, self.layer_sizes[0]), dtype=float)[None]
        self.target = np.asarray(target if target is not None else np.eye(self.layer_sizes[-1])[0], dtype=float)[None]
        self.lr = lr
        self.seed = seed
        self.ax = self.fig.add_subplot()
        L = len(self.layer_sizes) - 1
        self.stages = ([f"forward {l + 1}" for l in range(L)] + ["loss"]
                       + [f"backward {l}" for l in range(L, 0, -1)] + ["update"])
        self.static_frames = len(self.stages) + 1
        self.reset()
        self.network = draw_network(self.ax, self.layer_sizes, weights=self.weights_before,
                                    layer_names=["input x"] + [f"layer {l}" for l in range(1, L + 1)])
        self.footer = self.fig.supxlabel("", fontsize=9)
        # The edges change at three stages only (see background_state); the nodes, which lie
        # over the edges, and their numbers change at every stage.
        self.animate(*self.network["nodes"], *[a for layer in self.network["node_texts"] for a in layer],
                     self.ax.title, self.footer)

    def reset(self) -> None:
        """New network (seeded: the same at every reset), and the whole computation done
        once with nnedu layers."""
        rng = np.random.default_rng(self.seed)
        sizes = self.layer_sizes
        self.linears = [Linear(a, b, rng=rng) for a, b in itertools.pairwise(sizes)]
        self.sigmoids = [Sigmoid() for _ in self.linears]
        self.weights_before = [lin.weight.data.copy() for lin in self.linears]
        # forward: a_0 = x, z_l = W_l a_{l-1} + b_l, a_l = sigmoid(z_l)
        self.activations = [self.x[0]]
        a = self.x
        for lin, sig in zip(self.linears, self.sigmoids):
            a = sig(lin(a))
            self.activations.append(a[0])
        self.loss_fn = MSELoss(reduction="sum")
        self.loss = self.loss_fn(a, self.target)
        # backward, last layer first: delta_l = dL/dz_l, dL/dW_l = delta_l a_{l-1}^T
        self.deltas: dict[int, np.ndarray] = {}
        self.gradients: dict[str, np.ndarray] = {}
        grad = self.loss_fn.backward()
        for l in range(len(self.linears), 0, -1):
            lin, sig = self.linears[l - 1], self.sigmoids[l - 1]
            delta = sig.backward(grad)
            self.deltas[l] = delta[0]
            grad = lin.backward(delta)
            self.gradients[f"{l - 1}.weight"] = lin.weight.grad.copy()
            self.gradients[f"{l - 1}.bias"] = lin.bias.grad.copy() if lin.bias is not None else np.zeros(0)
        SGD([p for lin in self.linears for p in lin.parameters()], lr=self.lr).step()
        self.weights_after = [lin.weight.data.copy() for lin in self.linears]
        self.position = 0
        self.message = f"press {self.step_word} to run the forward pass layer by layer"

    @property
    def stage(self) -> str:
        return "start" if self.position == 0 else self.stages[self.position - 1]

    @property
    def finished(self) -> bool:
        return self.position == len(self.stages)

    def step(self) -> None:
        self.position = min(self.position + 1, len(self.stages))
        stage = self.stage
        if stage.startswith("forward"):
            l = int(stage.split()[1])
            self.message = f"forward, layer {l}: a = σ(W a_prev + b) = {_vector(self.activations[l])}"
        elif stage == "loss":
            self.message = f"loss L = Σ (a − t)² = {self.loss:.3f} for the target t = {_vector(self.target[0], 1)}"
        elif stage.startswith("backward"):
            l = int(stage.split()[1])
            self.message = (f"backward, layer {l}: δ = ∂L/∂z = {_vector(self.deltas[l])}; "
                            f"the edges into layer {l} show ∂L/∂w = δ aᵀ")
        else:
            self.message = f"update: w ← w − {self.lr:g} ∂L/∂w; the edges show the new weights"

    def edges_show(self) -> str:
        """What the edges show: the weights before the update, gradients (backward), new weights."""
        stage = self.stage
        return stage if stage.startswith("backward") or stage == "update" else "weights"

    def background_state(self) -> str:
        """The edges and their labels. Reset rebuilds the same seeded network, so the
        pictures of the edges are drawn once and kept across resets."""
        return self.edges_show()

    def describe(self) -> str:
        if self.position == 0:
            return (f"start: input x = {_vector(self.x[0])}, target t = {_vector(self.target[0], 1)}, "
                    f"the edges show the weights; press {self.step_word} for the forward pass")
        return self.message

    def draw(self) -> None:
        L = len(self.linears)
        forward_done = min(self.position, L)
        backward_done = self.position - (L + 1)              # how many layers have their δ
        node_labels = []
        for l, size in enumerate(self.layer_sizes):
            if l == 0:
                labels = [number(v) for v in self.activations[0]]
            elif l <= forward_done:
                labels = [number(v) for v in self.activations[l]]
            else:
                labels = ["?"] * size
            if l >= 1 and backward_done >= 1 and l > L - backward_done:
                labels = [f"{a}\nδ {number(d)}" for a, d in zip(labels, self.deltas[l])]
            node_labels.append(labels)
        stage, weights, edge_labels = self.stage, self.weights_before, None
        if self.edges_show().startswith("backward"):
            lowest = int(stage.split()[1])
            edge_labels = [self.gradients[f"{l}.weight"] if l + 1 >= lowest else np.full_like(w, np.nan)
                           for l, w in enumerate(self.weights_before)]
        elif self.edges_show() == "update":
            weights = self.weights_after
        update_network(self.network, weights=weights, edge_labels=edge_labels, node_labels=node_labels)
        title = stage
        if self.position > L:
            title += f"   (loss {self.loss:.3f})"
        title += "   edges: ∂L/∂w" if edge_labels is not None else "   edges: weights"
        self.ax.set_title(title, fontsize=10)
        self.footer.set_text(self.describe() if self.recording else "")   # live: in the status line

    def __repr__(self) -> str:
        return f"BackpropStepper(layer_sizes={self.layer_sizes})"


def _vector(values: np.ndarray, digits: int = 2) -> str:
    """A short vector for the text: ``(0.62, −0.031)``."""
    return "(" + ", ".join(number(float(v), digits) for v in values) + ")"
