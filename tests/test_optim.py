"""Optimizers and schedulers against torch.optim: same parameters after 20 steps, every option."""

from __future__ import annotations

import numpy as np
import pytest

from nnedu import nn, optim
from nnedu.gradcheck import relative_error

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_trajectory_equals_pytorch(momentum, weight_decay, rng):
    w0 = rng.normal(size=(3, 4))
    ours = nn.Parameter(w0.copy())
    theirs = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt = optim.SGD([ours], lr=0.1, momentum=momentum, weight_decay=weight_decay)
    t_opt = torch.optim.SGD([theirs], lr=0.1, momentum=momentum, weight_decay=weight_decay)
    for _ in range(5):
        g = rng.normal(size=(3, 4))
        opt.zero_grad()
        t_opt.zero_grad()
        ours.grad += g
        theirs.grad = torch.from_numpy(g.copy())
        opt.step()
        t_opt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)


def test_plain_step_is_w_minus_lr_grad():
    p = nn.Parameter(np.array([1.0, -2.0]))
    p.grad = np.array([0.5, -1.0])
    optim.SGD([p], lr=0.2).step()
    np.testing.assert_allclose(p.data, [1.0 - 0.1, -2.0 + 0.2])


def test_zero_grad_clears_model_gradients():
    model = nn.Linear(2, 2)
    model(np.ones((1, 2)))
    model.backward(np.ones((1, 2)))
    opt = optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_bad_arguments():
    p = [nn.Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="positive learning rate"):
        optim.SGD(p, lr=0)
    with pytest.raises(ValueError, match="momentum"):
        optim.SGD(p, lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="Parameters"):
        optim.SGD([np.zeros(2)], lr=0.1)


# -- every optimizer, 20 steps, against torch.optim (float64, relative error < 1e-10) -----

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.001, alpha=0.9, eps=1e-7, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.001, momentum=0.9, centered=True)),
]


def run_trajectories(make_ours, make_theirs, rng, steps=20, shapes=((3, 4), (4,))):
    """Apply the same random gradients to twin parameters; return both final values."""
    starts = [rng.normal(size=s) for s in shapes]
    ours = [nn.Parameter(w.copy()) for w in starts]
    theirs = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in starts]
    opt, t_opt = make_ours(ours), make_theirs(theirs)
    for _ in range(steps):
        opt.zero_grad()
        t_opt.zero_grad()
        for p, t in zip(ours, theirs):
            g = rng.normal(size=p.shape) * rng.uniform(0.1, 10)  # gradients of varying scale
            p.grad += g
            t.grad = torch.from_numpy(g.copy())
        opt.step()
        t_opt.step()
    return ours, theirs


@pytest.mark.parametrize("name, options", CONFIGS, ids=lambda c: str(c))
def test_every_optimizer_follows_torchs_trajectory(name, options, rng):
    ours, theirs = run_trajectories(lambda ps: getattr(optim, name)(ps, **options),
                                    lambda ps: getattr(torch.optim, name)(ps, **options), rng)
    for p, t in zip(ours, theirs):
        assert relative_error(p.data, t.detach().numpy()) < 1e-10


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_parameter_groups_decay_weights_not_biases_like_torch(name, rng):
    def groups(ps):
        return [{"params": [ps[0]], "weight_decay": 0.1, "lr": 0.05}, {"params": [ps[1]], "weight_decay": 0.0}]

    ours, theirs = run_trajectories(lambda ps: getattr(optim, name)(groups(ps), lr=0.01, momentum=0.9)
                                    if name != "Adam" else optim.Adam(groups(ps), lr=0.01),
                                    lambda ps: getattr(torch.optim, name)(groups(ps), lr=0.01, momentum=0.9)
                                    if name != "Adam" else torch.optim.Adam(groups(ps), lr=0.01), rng)
    for p, t in zip(ours, theirs):
        assert relative_error(p.data, t.detach().numpy()) < 1e-10


def test_parameter_group_errors():
    w, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w, b]}], lr=0.1)
    with pytest.raises(ValueError, match="does not know the option"):
        optim.SGD([{"params": [w], "mometum": 0.9}], lr=0.1)
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([w], betas=(0.9, 1.0))
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5] and opt.lr == 0.1


def test_adam_first_step_is_lr_in_every_coordinate():
    """Bias correction: after one step m_hat = g and v_hat = g^2, so the step is lr * sign(g)."""
    p = nn.Parameter(np.zeros(3))
    p.grad = np.array([1e-4, -3.0, 250.0])
    optim.Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [-0.01, 0.01, -0.01], rtol=1e-3)


# -- learning-rate schedulers ---------------------------------------------------------

SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
]


@pytest.mark.parametrize("name, options", SCHEDULES, ids=lambda c: str(c))
def test_schedulers_set_torchs_learning_rates(name, options):
    ours_p, theirs_p = nn.Parameter(np.zeros(1)), torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = optim.SGD([{"params": [ours_p], "lr": 0.1}], lr=0.1)
    t_opt = torch.optim.SGD([theirs_p], lr=0.1)
    sched = getattr(optim.lr_scheduler, name)(opt, **options)
    t_sched = getattr(torch.optim.lr_scheduler, name)(t_opt, **options)
    ours, theirs = [], []
    for _ in range(12):
        ours.append(opt.param_groups[0]["lr"])
        theirs.append(t_opt.param_groups[0]["lr"])
        opt.step()
        t_opt.step()
        sched.step()
        t_sched.step()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert sched.get_last_lr() == pytest.approx(t_sched.get_last_lr())
    assert len(set(ours)) > 2  # the schedule did change the rate


def test_lambda_lr_and_fit_records_the_schedule():
    p = nn.Parameter(np.zeros(1))
    opt = optim.Adam([p], lr=0.1)
    sched = optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + epoch))
    for _ in range(3):
        sched.step()
    assert opt.lr == pytest.approx(0.1 / 4)
