"""Pictures the chapters and widgets share: network diagrams, decision boundaries,
digits, learning curves and confusion matrices. Each function draws on a matplotlib
``Axes`` it is given and returns what it drew, so a widget can update it in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage


def node_positions(layer_sizes: Sequence[int]) -> list[np.ndarray]:
    """``(x, y)`` of every node: layer ``l`` at x = l, its nodes centred vertically."""
    return [np.column_stack([np.full(n, float(l)), (n - 1) / 2 - np.arange(n)])
            for l, n in enumerate(layer_sizes)]


def number(value: float, digits: int = 2) -> str:
    """``value`` with ``digits`` significant digits and a real minus sign: ``-0.0312 -> "−0.031"``."""
    return f"{value:.{digits}g}".replace("-", "\u2212")


def label_fraction(start: np.ndarray, end: np.ndarray, low: float = 0.3, high: float = 0.7) -> float:
    """Where along the edges between two layers to write their labels.

    A label sits at ``start + t (end - start)`` on its edge; all labels of the layer
    share ``t``, so they stand in one column, and ``t`` is chosen in ``[low, high]``
    to keep them as far apart vertically as possible (no two labels overlap).
    """
    ys = [(1 - t) * start[:, None, 1] + t * end[None, :, 1] for t in np.linspace(low, high, 41)]
    gaps = [np.diff(np.sort(y.ravel())).min() if y.size > 1 else np.inf for y in ys]
    return float(np.linspace(low, high, 41)[int(np.argmax(gaps))])


def draw_network(
    ax: Axes,
    layer_sizes: Sequence[int],
    weights: Sequence[np.ndarray] | None = None,
    node_values: Sequence[np.ndarray] | None = None,
    layer_names: Sequence[str] | None = None,
    edge_labels: Sequence[np.ndarray] | None = None,
    node_labels: Sequence[Sequence[str]] | None = None,
    node_size: float = 2000.0,
    fontsize: float = 8.0,
) -> dict[str, list]:
    """Draw a fully connected feed-forward network.

    ``weights[l]`` has the shape of ``Linear.weight`` between layers ``l`` and ``l + 1``,
    ``(out, in)``: edge colour is its sign (red positive, blue negative) and width its
    size. ``node_values[l]`` (one array per layer) or ``node_labels[l]`` (strings) is
    written inside the nodes (``node_size`` in points², large enough for two short
    lines); ``edge_labels`` (arrays shaped like ``weights``, NaN for none) or else the
    weights are written on the edges, in one column per layer placed by
    :func:`label_fraction`. Returns the artists, which :func:`update_network` changes in
    place: ``{"nodes": [...], "edges": [[...]], "node_texts": [[...]], "edge_texts": [[...]]}``.
    """
    pos = node_positions(layer_sizes)
    artists: dict[str, list] = {"nodes": [], "edges": [], "node_texts": [], "edge_texts": []}
    box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9}
    for l in range(len(layer_sizes) - 1):
        t = label_fraction(pos[l], pos[l + 1])
        layer_edges, layer_texts = [], []
        for (x1, y1) in pos[l + 1]:
            for (x0, y0) in pos[l]:
                (edge,) = ax.plot([x0, x1], [y0, y1], color="0.6", lw=1.0, zorder=1, alpha=0.8)
                layer_edges.append(edge)
                layer_texts.append(ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), "", fontsize=fontsize,
                                           ha="center", va="center", bbox=box, zorder=2))
        artists["edges"].append(layer_edges)
        artists["edge_texts"].append(layer_texts)
    for l, p in enumerate(pos):
        artists["nodes"].append(ax.scatter(p[:, 0], p[:, 1], s=node_size, c="white", edgecolors="k", zorder=3))
        artists["node_texts"].append([ax.text(x, y, "", ha="center", va="center", fontsize=fontsize, zorder=4)
                                      for x, y in p])
        if layer_names is not None:
            ax.text(l, -max(layer_sizes) / 2 - 0.15, layer_names[l], ha="center", va="top", fontsize=9)
    if node_labels is None and node_values is not None:
        node_labels = [[number(float(v), 3) for v in np.asarray(values)] for values in node_values]
    update_network(artists, weights=weights, edge_labels=edge_labels, node_labels=node_labels)
    ax.set_xlim(-0.5, len(layer_sizes) - 0.5)
    ax.set_ylim(-max(layer_sizes) / 2 - 0.6, max(layer_sizes) / 2)
    ax.set_axis_off()
    return artists


def update_network(
    artists: dict[str, list],
    weights: Sequence[np.ndarray] | None = None,
    edge_labels: Sequence[np.ndarray] | None = None,
    node_labels: Sequence[Sequence[str]] | None = None,
) -> None:
    """Restyle the edges for ``weights`` and rewrite the labels of a :func:`draw_network` drawing."""
    largest = max((float(np.abs(w).max()) for w in weights), default=1.0) if weights is not None else 1.0
    for l, (edges, texts) in enumerate(zip(artists["edges"], artists["edge_texts"])):
        n_in = len(artists["node_texts"][l])
        for k, (edge, text) in enumerate(zip(edges, texts)):
            j, i = divmod(k, n_in)                      # edge from node i of layer l to node j of layer l + 1
            w = None if weights is None else float(np.asarray(weights[l])[j, i])
            edge.set_color("0.6" if w is None else ("C3" if w > 0 else "C0"))
            edge.set_linewidth(1.0 if w is None else 0.6 + 2.4 * abs(w) / (largest or 1.0))
            label = ""
            if edge_labels is not None:
                value = float(np.asarray(edge_labels[l])[j, i])
                label = "" if np.isnan(value) else number(value)
            elif w is not None:
                label = number(w)
            text.set_text(label)
            text.set_visible(bool(label))
    if node_labels is not None:
        for texts, labels in zip(artists["node_texts"], node_labels):
            for text, label in zip(texts, labels):
                text.set_text(label)


def plot_decision_boundary(ax: Axes, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                           resolution: int = 150, margin: float = 0.5) -> tuple[AxesImage, PathCollection]:
    """Colour the plane by ``predict`` (class labels or the probability of class 1) and plot the points."""
    (x0, y0), (x1, y1) = X.min(axis=0) - margin, X.max(axis=0) + margin
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    values = np.asarray(predict(np.column_stack([gx.ravel(), gy.ravel()]))).reshape(gx.shape)
    image = ax.imshow(values, origin="lower", extent=(x0, x1, y0, y1), cmap="RdBu", alpha=0.45,
                      vmin=0, vmax=max(1, values.max()), aspect="auto")
    points = ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolors="k", s=18)
    return image, points


def show_digits(fig: Figure, images: np.ndarray, labels: Sequence[int] | None = None,
                predictions: Sequence[int] | None = None, columns: int = 12) -> list:
    """A grid of digit images, titled with their label (and prediction when given)."""
    n = len(images)
    rows = max(1, int(np.ceil(n / columns)))
    axes = fig.subplots(rows, min(columns, max(n, 1)), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= n:
            continue
        ax.imshow(images[k], cmap="gray_r")
        title = []
        if labels is not None:
            title.append(f"true {labels[k]}")
        if predictions is not None:
            title.append(f"said {predictions[k]}")
        ax.set_title("\n".join(title), fontsize=8)
    return list(axes.flat)


def plot_history(ax: Axes, history: Any) -> list:
    """Learning curves from an ``nnedu.History``: loss (and validation loss) per epoch."""
    lines = []
    epochs = np.arange(1, len(history.loss) + 1)
    lines += ax.plot(epochs, history.loss, label="training loss")
    if history.val_loss:
        lines += ax.plot(epochs, history.val_loss, label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if history.val_accuracy:
        twin = ax.twinx()
        lines += twin.plot(epochs, history.val_accuracy, color="C2", ls="--", label="validation accuracy")
        twin.set_ylabel("accuracy")
    ax.legend(handles=lines, fontsize=8, loc="center right")
    return lines


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples of true class ``i`` predicted as ``j``."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def plot_confusion_matrix(ax: Axes, cm: np.ndarray) -> AxesImage:
    """The confusion matrix as an image with its counts written in."""
    image = ax.imshow(cm, cmap="Blues")
    for (i, j), count in np.ndenumerate(cm):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7,
                    color="white" if count > cm.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_xticks(range(len(cm)))
    ax.set_yticks(range(len(cm)))
    return image
