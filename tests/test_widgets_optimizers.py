"""The optimizer race of chapter 10: its state, its controls, its recording, and its four
trajectories against nnedu.optim applied directly and against torch.optim."""

from __future__ import annotations

import re

import numpy as np
import pytest
from chapters import quadratic, rosenbrock, torch_optimizer

from nnedu import nn, optim, widgets
from nnedu.widgets.optimizers import (
    LEARNING_RATES,
    MINIMA,
    RACE,
    RACE_SURFACES,
    OptimizerRace,
    trajectory,
)

torch = pytest.importorskip("torch")


def autograd(f):
    """The gradient of ``f`` by torch autograd (an independent reference for the surface)."""
    def grad(w: np.ndarray) -> np.ndarray:
        x = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        f(x).backward()
        return x.grad.numpy()
    return grad


GRADS = {"ill-conditioned quadratic": autograd(quadratic), "rosenbrock": autograd(rosenbrock)}


def _torch_path(surface: str, name: str, lr: float, steps: int) -> np.ndarray:
    p = torch.tensor(RACE_SURFACES[surface].start, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(name, [p], lr)
    path = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        p.grad = torch.tensor(GRADS[surface](p.detach().numpy()))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


def _nnedu_path(surface: str, name: str, lr: float, steps: int) -> np.ndarray:
    """nnedu.optim applied by hand, without the widget's Runner."""
    w = nn.Parameter(np.array(RACE_SURFACES[surface].start, dtype=float))
    opt = {"SGD": lambda: optim.SGD([w], lr=lr), "momentum": lambda: optim.SGD([w], lr=lr, momentum=0.9),
           "Nesterov": lambda: optim.SGD([w], lr=lr, momentum=0.9, nesterov=True),
           "RMSprop": lambda: optim.RMSprop([w], lr=lr), "Adam": lambda: optim.Adam([w], lr=lr)}[name]()
    path = [w.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        w.grad += GRADS[surface](w.data)
        opt.step()
        path.append(w.data.copy())
    return np.array(path)


@pytest.mark.parametrize("surface", list(RACE_SURFACES))
@pytest.mark.parametrize("name", ["SGD", "momentum", "Nesterov", "RMSprop", "Adam"])
def test_trajectory_equals_nnedu_optim_and_torch_optim(surface, name):
    lr, steps = LEARNING_RATES[surface].get(name, LEARNING_RATES[surface]["momentum"]), 60
    path = trajectory(surface, name, lr, steps)
    assert path.shape == (steps + 1, 2)
    np.testing.assert_allclose(path, _nnedu_path(surface, name, lr, steps), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(path, _torch_path(surface, name, lr, steps), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("surface", list(RACE_SURFACES))
def test_widget_paths_after_n_steps_are_the_trajectories(surface):
    race = OptimizerRace(surface=surface)
    for _ in range(7):
        race.step()
    n = 7 * race.updates_per_step
    assert race.t == n
    for name in RACE:
        lr = LEARNING_RATES[surface][name]
        assert race.lr[name].value == pytest.approx(lr)
        np.testing.assert_allclose(np.array(race.runners[name].path), _torch_path(surface, name, lr, n),
                                   rtol=1e-12, atol=1e-12)
    for name, loss in race.current_losses().items():
        assert f"{name} (lr" in race.describe() and f"{loss:.2g}" in race.describe()


def test_surfaces_and_their_minima():
    for surface, s in RACE_SURFACES.items():
        for w in ([0.3, -0.7], [-1.2, 1.0], [2.0, 0.5]):
            np.testing.assert_allclose(s.grad(np.array(w)), GRADS[surface](np.array(w)), rtol=1e-12)
        m = np.array(MINIMA[surface])
        assert float(s.f(m[0], m[1])) == 0.0 and np.allclose(s.grad(m), 0.0)
    q = RACE_SURFACES["ill-conditioned quadratic"]
    hessian = np.array([q.grad(np.array(e)) for e in np.eye(2)])   # the gradient is linear: its columns
    assert np.linalg.cond(hessian) == pytest.approx(100.0)


def test_reset_and_learning_rate_change_restart_the_race():
    race = OptimizerRace()
    for _ in range(3):
        race.step()
    race.reset_button.click()
    assert race.t == 0 and all(len(r.path) == 1 for r in race.runners.values())
    race.step()
    race.lr["Adam"].value = 0.05                       # a changed control resets, with the new rate
    assert race.t == 0 and race.runners["Adam"].optimizer.lr == pytest.approx(0.05)
    race.step()
    np.testing.assert_allclose(race.runners["Adam"].path[-1],
                               trajectory("ill-conditioned quadratic", "Adam", 0.05, race.updates_per_step)[-1])


def test_surface_change_brings_its_start_and_learning_rates():
    race = OptimizerRace()
    race.step()
    race.surface_choice.value = "rosenbrock"
    assert race.t == 0
    for name, runner in race.runners.items():
        np.testing.assert_array_equal(runner.path[0], RACE_SURFACES["rosenbrock"].start)
        assert runner.optimizer.lr == pytest.approx(LEARNING_RATES["rosenbrock"][name])
    assert race.ax.get_xlim() == RACE_SURFACES["rosenbrock"].xlim


def test_a_diverging_optimizer_stops_and_says_so_while_the_others_go_on():
    race = OptimizerRace(lrs={"SGD": 0.05})            # above 2/100, the steep direction's limit
    for _ in range(40):
        race.step()
    assert race.runners["SGD"].diverged and "SGD (lr 0.05) diverged" in race.describe()
    assert not race.runners["Adam"].diverged and len(race.runners["Adam"].path) == race.t + 1
    assert np.isfinite(np.array(race.runners["SGD"].path)).all()
    race.render()                                      # draws without error


def test_bad_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown surface 'bowl'; expected one of"):
        trajectory("bowl", "SGD", 0.1, 3)
    with pytest.raises(ValueError, match="unknown optimizer 'adam'; expected one of"):
        trajectory("rosenbrock", "adam", 0.1, 3)
    with pytest.raises(ValueError, match=r"lrs has rates for \['adam'\]; the race has"):
        OptimizerRace(lrs={"adam": 0.1})


@pytest.mark.parametrize("lr", [-1.0, 0.0, float("nan"), 5e-5, 3.0, 1e9, "0.1", None])
def test_a_rate_the_slider_cannot_show_is_a_clear_error_not_a_silent_clamp(lr):
    with pytest.raises(ValueError, match=rf"learning rates from 0.0001 to 2; got {lr} for Adam"):
        OptimizerRace(lrs={"Adam": lr})


def test_static_html_is_a_player_with_the_declared_frames(monkeypatch):
    monkeypatch.setenv("NNEDU_STATIC", "1")
    race = OptimizerRace()
    html = race._repr_mimebundle_()["text/html"]
    n = race.static_frames
    assert f'data-frames="{n}"' in html and len(re.findall(r"<img ", html)) == n and len(html) < 1.5e6
    alts = re.findall(r'alt="([^"]*)"', html)
    assert alts[0].startswith(f"OptimizerRace, step 1 of {n}: ill-conditioned quadratic, start")
    last = (n - 1) * race.updates_per_step
    assert f"after {last} updates" in alts[-1] and all(f"{name} (lr" in alts[-1] for name in RACE)


def test_exported_and_live():
    assert widgets.OptimizerRace is OptimizerRace
    race = OptimizerRace()
    assert race.app is not None and race.picture.value[:4] == b"\x89PNG"


# -- the contract every widget keeps (the checks of tests/test_widgets.py, on this widget) ----

def test_the_shared_widget_contract(monkeypatch):
    import test_widgets as shared  # tests/ is on the path when pytest runs

    shared.test_labelled_controls_show_their_whole_label(OptimizerRace)
    shared.test_blitted_picture_equals_a_full_redraw(OptimizerRace)
    shared.test_live_mode_is_an_ipywidget(OptimizerRace, monkeypatch)
    shared.test_static_mode_is_a_self_contained_accessible_player(OptimizerRace, monkeypatch)
