r"""Backpropagation, one layer at a time, on a small drawn network (chapter 8).

The numbers come from ``nnedu`` layers: ``Linear`` + ``Sigmoid`` forward, ``MSELoss``,
then each layer's ``backward``, then one SGD update. The stepper shows, stage by stage,
the activations on the nodes, the loss, each layer's :math:`\delta = \partial L/\partial z`
on the nodes and :math:`\partial L/\partial w` on the edges, and the updated weights.
"""

from __future__ import annotations

import numpy as np

from nnedu.nn.activation import Sigmoid
from nnedu.nn.linear import Linear
from nnedu.nn.loss import MSELoss
from nnedu.optim import SGD
from nnedu.viz import draw_network
from nnedu.widgets._base import Stepper


class BackpropStepper(Stepper):
    """Forward pass, loss, backward pass and update of a sigmoid network on one sample."""

    def __init__(self, layer_sizes: tuple[int, ...] = (2, 3, 2), x: np.ndarray | None = None,
                 target: np.ndarray | None = None, lr: float = 0.5, seed: int = 0) -> None:
        super().__init__(figsize=(7.5, 3.8))
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

    def reset(self) -> None:
        """New network (seeded), and the whole computation done once with nnedu layers."""
        rng = np.random.default_rng(self.seed)
        sizes = self.layer_sizes
        self.linears = [Linear(a, b, rng=rng) for a, b in zip(sizes[:-1], sizes[1:])]
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
            self.gradients[f"{l - 1}.bias"] = lin.bias.grad.copy()
        SGD([p for lin in self.linears for p in (lin.weight, lin.bias)], lr=self.lr).step()
        self.weights_after = [lin.weight.data.copy() for lin in self.linears]
        self.position = 0
        self.message = "press Step to run the forward pass layer by layer"

    @property
    def stage(self) -> str:
        return "start" if self.position == 0 else self.stages[self.position - 1]

    def step(self) -> None:
        self.position = min(self.position + 1, len(self.stages))
        stage = self.stage
        if stage.startswith("forward"):
            l = int(stage.split()[1])
            self.message = f"layer {l}: a = sigmoid(W a_prev + b) = {np.round(self.activations[l], 4).tolist()}"
        elif stage == "loss":
            self.message = f"loss L = Σ (a - t)² = {self.loss:.5f} with target t = {self.target[0].tolist()}"
        elif stage.startswith("backward"):
            l = int(stage.split()[1])
            self.message = (f"layer {l}: δ = dL/dz = {np.round(self.deltas[l], 5).tolist()}; "
                            f"on the edges dL/dw = δ aᵀ of the layer below")
        else:
            self.message = f"update: w <- w - {self.lr} dL/dw (edges show the new weights)"

    def draw(self) -> None:
        self.ax.clear()
        L = len(self.linears)
        shown = self.position
        node_labels, weights, edge_labels = [], self.weights_before, None
        forward_done = min(shown, L)
        for l, size in enumerate(self.layer_sizes):
            if l == 0:
                labels = [f"x={v:.2f}" for v in self.activations[0]]
            elif l <= forward_done:
                labels = [f"{v:.3f}" for v in self.activations[l]]
            else:
                labels = ["?"] * size
            backward_done = shown - (L + 1)
            if l >= 1 and backward_done >= 1 and l > L - backward_done:
                labels = [f"{a}\nδ={d:.3f}" for a, d in zip(labels, self.deltas[l])]
            node_labels.append(labels)
        stage = self.stage
        if stage.startswith("backward"):
            lowest = int(stage.split()[1])
            edge_labels = [self.gradients[f"{l}.weight"] if l + 1 >= lowest else np.full_like(w, np.nan)
                           for l, w in enumerate(self.weights_before)]
        elif stage == "update":
            weights = self.weights_after
        draw_network(self.ax, self.layer_sizes, weights=weights, node_labels=node_labels, edge_labels=edge_labels,
                     layer_names=["input"] + [f"layer {l}" for l in range(1, L + 1)])
        title = f"stage {self.position}/{len(self.stages)}: {stage}"
        if self.position > L:
            title += f"   (loss {self.loss:.4f})"
        if edge_labels is not None:
            title += "   edges: dL/dw"
        self.ax.set_title(title, fontsize=9)

    def __repr__(self) -> str:
        return f"BackpropStepper(layer_sizes={self.layer_sizes})"
