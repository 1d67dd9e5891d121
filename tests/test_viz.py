"""nnedu.viz: the drawing helpers draw what they are given."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib.figure import Figure

import nnedu


def test_draw_network_has_one_edge_per_weight_and_writes_values():
    ax = Figure().add_subplot()
    weights = [np.array([[2, -3], [1, 4]]), np.array([[2, -1]])]
    art = nnedu.viz.draw_network(ax, [2, 2, 1], weights=weights,
                                 node_values=[np.array([1, 2]), np.array([0, 1]), np.array([0])])
    assert [len(e) for e in art["edges"]] == [4, 2]
    assert [t.get_text() for t in art["node_texts"][0]] == ["1", "2"]
    assert sorted(t.get_text() for t in art["edge_texts"][0]) == ["1", "2", "4", "\u22123"]   # a real minus
    colors = [matplotlib.colors.to_hex(e.get_color()) for e in art["edges"][1]]
    assert colors[0] != colors[1]   # positive and negative weights differ
    # updated in place: gradients on the second layer's edges, none (NaN) on the first
    nnedu.viz.update_network(art, weights=weights, edge_labels=[np.full((2, 2), np.nan), np.array([[0.01234, -5.0]])])
    assert [t.get_visible() for t in art["edge_texts"][0]] == [False] * 4
    assert [t.get_text() for t in art["edge_texts"][1]] == ["0.012", "\u22125"]


def test_number_has_two_significant_digits():
    assert nnedu.viz.number(0.61803) == "0.62"
    assert nnedu.viz.number(-0.0031415) == "\u22120.0031"
    assert nnedu.viz.number(12.6) == "13"


def test_edge_labels_of_a_layer_stand_apart():
    """2 -> 3 nodes: the six labels at one x, at least a quarter of the node spacing apart."""
    pos = nnedu.viz.node_positions([2, 3])
    t = nnedu.viz.label_fraction(pos[0], pos[1])
    ys = np.sort([(1 - t) * a[1] + t * b[1] for b in pos[1] for a in pos[0]])
    assert 0.3 <= t <= 0.7 and np.diff(ys).min() >= 0.25 - 1e-12


def test_confusion_matrix_counts():
    cm = nnedu.viz.confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    ax = Figure().add_subplot()
    nnedu.viz.plot_confusion_matrix(ax, cm)
    assert len(ax.texts) == 5


def test_plot_history_and_digits_and_boundary():
    history = nnedu.History(loss=[1.0, 0.5], val_loss=[1.1, 0.7], val_accuracy=[0.5, 0.8])
    fig = Figure()
    lines = nnedu.viz.plot_history(fig.add_subplot(), history)
    assert len(lines) == 3 and list(lines[0].get_ydata()) == [1.0, 0.5]
    fig2 = Figure()
    axes = nnedu.viz.show_digits(fig2, np.zeros((3, 8, 8)), labels=[1, 2, 3], predictions=[1, 7, 3], columns=3)
    assert axes[1].get_title() == "true 2\nsaid 7"
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    image, _ = nnedu.viz.plot_decision_boundary(Figure().add_subplot(), lambda P: (P[:, 0] > 0.5).astype(float),
                                                X, np.array([0, 1]), resolution=20)
    data = image.get_array()
    assert data[:, 0].max() == 0 and data[:, -1].min() == 1
