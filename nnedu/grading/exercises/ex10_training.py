"""Public tests of exercise 10: initialisation, gradient clipping, optimisers, batch normalisation, dropout.

The references are nnedu's own (``nnedu.nn.init``, ``nnedu.nn.utils.clip_grad_norm_``, ``nnedu.optim``,
``nnedu.nn.BatchNorm1d`` and ``nnedu.nn.Dropout``, each tested against PyTorch) or closed forms. A named
mistake is recognised by recomputing what the mistaken code would return on the same input.
"""

import math

import numpy as np

from nnedu import nn
from nnedu.grading import (
    expect_choice,
    expect_close,
    expect_length,
    expect_shape,
    expect_unchanged,
    points,
)
from nnedu.nn import init
from nnedu.nn.module import Parameter
from nnedu.nn.utils import clip_grad_norm_
from nnedu.optim import SGD, Adam, RMSprop

# Academic integrity: the answers are written with numpy. nnedu holds the reference answers (and
# torch, scipy and scikit-learn have ready-made ones): the graded code may import nnedu only to call
# nnedu.check, and nnedu grade flags a submission that uses any of these for review.
MUST_NOT_USE = ("nnedu", "torch", "scipy", "sklearn")

rng = np.random.default_rng(10)
X = rng.normal(loc=2.0, scale=3.0, size=(8, 5))                 # batch normalisation's batch
DY = rng.normal(size=(8, 5))
GAMMA, BETA = rng.normal(size=5), rng.normal(size=5)
STEP_GRADS = [rng.normal(size=4) for _ in range(5)]              # five gradients for the optimisers
CLIP_GRADS = [np.array([[3.0, 0.0, -2.0], [1.0, 4.0, 0.0]]),     # norm sqrt(30): longer than max_norm alone
              np.array([0.5, -0.5, 0.5, -0.5]),                   # norm 1: shorter than max_norm alone
              np.array([[6.0, -2.0], [0.0, 3.0]])]                # norm 7
DROP_X = rng.uniform(0.5, 2.0, size=(20, 50))                    # no zeros, so a zero is a dropped entry
DROP_DY = rng.normal(size=(20, 50))


def _near(target, rtol=0.05):
    """A predicate: the received scalar is within rtol of target (for statistics of many draws)."""
    return lambda got: got.shape == () and abs(float(got) / target - 1) < rtol


# ---------------------------------------------------------------- q1: initialisation

def reference_init(fill, fan_in, fan_out, seed, **kwargs):
    return fill(np.empty((fan_out, fan_in)), rng=np.random.default_rng(seed), **kwargs)


@points(1, question="q1", hint="A uniform distribution on [-b, b] has variance b squared over 3; the matrix has "
                               "one row per unit, like Linear.weight.")
def test_xavier_uniform(student):
    fan_in, fan_out, seed = 30, 7, 4
    got = student.xavier_uniform(fan_in, fan_out, seed)
    expected = reference_init(init.xavier_uniform_, fan_in, fan_out, seed)
    u = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(fan_out, fan_in))      # the same draws on [-1, 1]
    expect_close(got, expected, what="xavier_uniform(30, 7, 4)",
                 given={"fan_in": fan_in, "fan_out": fan_out, "seed": seed}, mistakes={
                     "the standard deviation used as the bound b of U(-b, b) (its variance is b^2 / 3)":
                         u * math.sqrt(2 / (fan_in + fan_out)),
                     "fan_in alone instead of fan_in + fan_out": u * math.sqrt(6 / fan_in),
                     "the shape is (fan_in, fan_out); a weight matrix has one row per unit":
                         lambda g: g.shape == (fan_in, fan_out),
                 })


@points(1, question="q1", hint="The variance is 2 / fan_in; what does the normal distribution's scale argument "
                               "take?")
def test_he_normal(student):
    fan_in, fan_out, seed = 30, 7, 4
    got = student.he_normal(fan_in, fan_out, seed)
    z = np.random.default_rng(seed).normal(size=(fan_out, fan_in))                  # the same standard draws
    expected = reference_init(init.kaiming_normal_, fan_in, fan_out, seed, nonlinearity="relu")
    expect_close(got, expected, what="he_normal(30, 7, 4)",
                 given={"fan_in": fan_in, "fan_out": fan_out, "seed": seed}, mistakes={
                     "the variance used as the standard deviation": z * (2 / fan_in),
                     "fan_out instead of fan_in": z * math.sqrt(2 / fan_out),
                     "Xavier's variance instead of He's": z * math.sqrt(2 / (fan_in + fan_out)),
                     "the shape is (fan_in, fan_out); a weight matrix has one row per unit":
                         lambda g: g.shape == (fan_in, fan_out),
                 })


@points(1, question="q1", hint="Measure the variance of a large draw of yours and compare it with the formulas.")
def test_init_variances(student):
    """40,000 draws each: the sample variance is within 3 % of the formula (its relative std is below 0.8 %)."""
    fan_in, fan_out = 400, 100
    xavier = np.asarray(student.xavier_uniform(fan_in, fan_out, 1), dtype=float)
    expect_shape(xavier, (fan_out, fan_in), what="xavier_uniform(400, 100, 1)")
    expect_close(xavier.var(), 2 / (fan_in + fan_out), rtol=0.03, what="variance of xavier_uniform(400, 100, 1)",
                 mistakes={"the standard deviation used as the bound b of U(-b, b) (its variance is b^2 / 3)":
                           _near(2 / (fan_in + fan_out) / 3),
                           "fan_in alone instead of fan_in + fan_out": _near(2 / fan_in)})
    he = np.asarray(student.he_normal(fan_in, fan_out, 1), dtype=float)
    expect_shape(he, (fan_out, fan_in), what="he_normal(400, 100, 1)")
    expect_close(he.var(), 2 / fan_in, rtol=0.03, what="variance of he_normal(400, 100, 1)",
                 mistakes={"the variance used as the standard deviation": _near((2 / fan_in) ** 2),
                           "fan_out instead of fan_in": _near(2 / fan_out),
                           "Xavier's variance instead of He's": _near(2 / (fan_in + fan_out))})


# ---------------------------------------------------------------- q2: the variance through one layer (derive)
# Var(w) = 2 / 400, E[relu(u)^2] = Var(u) / 2 = 2, so Var(z) = 300 * 2 / 400 * 2 = 3.
# For Var(z) = 4: Var(w) = 4 / (300 * 2) = 1 / 150 = b^2 / 3, b = sqrt(0.02).
VAR_RELU = 4 * (0.5 - 1 / (2 * math.pi))        # Var(relu(u)) for u ~ N(0, 4)


@points(1, question="q2", kind="derive", hint="Two factors to work out: Var(w) of Xavier's rule for 300 inputs "
                                              "and 100 units, and the mean square of a ReLU's output.")
def test_var_z(student):
    expect_close(student.q2_var_z(), 3.0, rtol=0.01, what="q2_var_z()", mistakes={
        "the variance of the ReLU outputs used instead of their mean square E[a^2]": 300 / 200 * VAR_RELU,
        "the ReLU left out: E[a^2] is half of Var(u) here, not all of it": 6.0,
        "Var(w) taken as b^2 instead of b^2 / 3": 9.0,
        "the standard deviation of u (2) used as its variance (4)": 1.5,
    })


@points(1, question="q2", kind="derive", hint="Solve n_in Var(w) E[a^2] = 4 for Var(w), then turn a uniform "
                                              "distribution's variance into its bound.")
def test_bound(student):
    expect_close(student.q2_bound(), math.sqrt(0.02), rtol=0.01, what="q2_bound()", mistakes={
        "the standard deviation given as the bound (a uniform distribution on [-b, b] has variance b^2 / 3)":
            math.sqrt(2 / 300),
        "Xavier's bound: it keeps the variance of tanh-like layers, not of ReLU layers": math.sqrt(6 / 400),
        "the variance given as the bound (the square root is missing)": 0.02,
        "fan_out instead of fan_in": math.sqrt(6 / 100),
    })


# ---------------------------------------------------------------- q3: twenty ReLU layers (predict)

@points(1, question="q3", kind="predict", hint="Per ReLU layer, E[a^2] is multiplied by n_in Var(w) / 2: "
                                               "which choice makes that factor 1?")
def test_steady(student):
    expect_choice(student.q3_steady(), "d", "abcde", what="q3_steady()", mistakes={
        "c": "Xavier's variance keeps the signal of tanh-like layers; a ReLU halves E[a^2] in every layer",
        "e": "Linear's default has Var(w) = 1 / (3 n_in), a sixth of what a ReLU layer needs",
        "a": "N(0, 1) multiplies E[a^2] by n_in / 2 = 128 per layer: the signal explodes",
        "b": "N(0, 0.01^2) multiplies E[a^2] by 0.0128 per layer: the signal vanishes",
    })


@points(1, question="q3", kind="predict", hint="Twenty layers multiply E[a^2] by the same factor twenty times; "
                                               "the rms is a square root.")
def test_xavier_rms(student):
    expect_choice(student.q3_xavier_rms(), "c", "abcde", what="q3_xavier_rms()", mistakes={
        "a": "the square root of 1/2 is one layer's factor for the rms; there are twenty layers",
        "b": "1/2 is one layer's factor for E[a^2]; there are twenty layers",
        "d": "2^-20 is the factor of the mean square E[a^2]; the rms is its square root",
        "e": "a ReLU zeroes only the negative half: the signal shrinks geometrically but never becomes exactly 0",
    })


# ---------------------------------------------------------------- q4: gradient clipping

def reference_clip(grads, max_norm):
    """(clipped copies, total norm) from nnedu's clip_grad_norm_ (PyTorch's semantics)."""
    params = [Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = np.array(g, dtype=float)
    total = clip_grad_norm_(params, max_norm)
    return [p.grad for p in params], total


def _flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def _clipped_list(result, grads, what):
    expect_length(result, 2, what=what)
    clipped, total = result
    expect_length(clipped, len(grads), what=f"{what}[0], the list of clipped arrays")
    for i, (c, g) in enumerate(zip(clipped, grads)):
        expect_shape(c, g.shape, what=f"{what}[0][{i}]")
    return clipped, total


@points(1, question="q4", hint="All the arrays form one vector: one length, and one factor for every array.")
def test_clip_together(student):
    max_norm = 2.5                                                           # the three norms: 5.48, 1, 7
    expected, expected_total = reference_clip(CLIP_GRADS, max_norm)
    clipped, total = _clipped_list(student.clip_by_total_norm(CLIP_GRADS, max_norm), CLIP_GRADS,
                                   "clip_by_total_norm(grads, 2.5)")
    given = {f"grads[{i}]": g for i, g in enumerate(CLIP_GRADS)} | {"max_norm": max_norm}
    expect_close(total, expected_total, what="the total norm (before clipping)", given=given, mistakes={
        "the squared norm (the square root is missing)": expected_total**2,
        "the norm after clipping returned instead of the norm before": lambda g: abs(float(g) - max_norm) < 1e-4,
        "the sum of the arrays' norms instead of the norm of all entries together":
            sum(np.linalg.norm(g) for g in CLIP_GRADS),
    })
    per_array = [g * min(max_norm / (np.linalg.norm(g) + 1e-6), 1.0) for g in CLIP_GRADS]
    expect_close(_flat(clipped), _flat(expected), what="the clipped arrays, one after the other", given=given,
                 mistakes={"each array clipped by its own norm instead of all of them together": _flat(per_array)})


@points(1, question="q4", hint="A gradient already shorter than max_norm passes unchanged; and return new "
                               "arrays, leave the ones you are given alone.")
def test_clip_short_and_inputs(student):
    short = [np.array([0.3, -0.4]), np.zeros((2, 2))]                           # total norm 0.5
    clipped, total = _clipped_list(student.clip_by_total_norm(short, 1.0), short, "clip_by_total_norm(short, 1.0)")
    expect_close(total, 0.5, what="the total norm", given={"grads[0]": short[0], "max_norm": 1.0})
    expect_close(_flat(clipped), _flat(short), what="the arrays, which were short enough already",
                 given={"grads[0]": short[0], "max_norm": 1.0},
                 mistakes={"rescaled to max_norm although the gradient was shorter": _flat(short) * 2.0})
    _, (grads_after, _) = student.clip_by_total_norm.and_inputs(CLIP_GRADS, 2.5)
    for i, (before, after) in enumerate(zip(CLIP_GRADS, grads_after)):
        expect_unchanged(before, after, what=f"grads[{i}]")


# ---------------------------------------------------------------- q5: momentum, RMSprop, Adam

def reference_run(make, grads, w0):
    """w after len(grads) steps of an nnedu optimiser (PyTorch's algorithm), and its state."""
    p = Parameter(np.array(w0, dtype=float))
    optimizer = make([p])
    for g in grads:
        p.grad = np.array(g, dtype=float)
        optimizer.step()
    return p.data, optimizer.state.get(p, {})


def simulate(update, grads, w0, state):
    """w after the steps of a (possibly mistaken) update rule written here: update(w, g, state, t)."""
    w = np.array(w0, dtype=float)
    for t, g in enumerate(grads, start=1):
        w = update(w, g, state, t)
    return w


def student_run(function, grads, w0, *hyper, with_t=False, n_state=1):
    w, state = np.array(w0, dtype=float), [np.zeros_like(w0)] * n_state
    for t, g in enumerate(grads, start=1):
        result = function(w, g, *state, *((t,) if with_t else ()), *hyper)
        expect_length(result, 1 + n_state, what=f"{function.name}'s result at step {t}")
        w, state = result[0], list(result[1:])
    return w, state


W0 = np.array([1.0, -2.0, 0.5, 3.0])


@points(1, question="q5", hint="PyTorch's velocity adds the gradient itself, not a fraction of it, and the step "
                               "uses the velocity just updated.")
def test_momentum(student):
    lr, mu = 0.05, 0.9
    expected, state = reference_run(lambda ps: SGD(ps, lr=lr, momentum=mu), STEP_GRADS, W0)
    w, (v,) = student_run(student.momentum_step, STEP_GRADS, W0, lr, mu)

    def dampened(w, g, s, t):
        s["v"] = mu * s.get("v", 0) + (1 - mu) * g
        return w - lr * s["v"]

    def late(w, g, s, t):
        w = w - lr * s.get("v", 0)
        s["v"] = mu * s.get("v", 0) + g
        return w

    given = {"w0": W0, "g at step 1": STEP_GRADS[0], "lr": lr, "momentum": mu}
    expect_close(w, expected, what="w after 5 steps", given=given, mistakes={
        "the gradient added as (1 - momentum) g (an average; PyTorch adds g itself)":
            simulate(dampened, STEP_GRADS, W0, {}),
        "the weights moved with the velocity of the previous step": simulate(late, STEP_GRADS, W0, {}),
    })
    expect_close(v, state["momentum_buffer"], what="the velocity v after 5 steps", given=given, mistakes={
        "the velocity of the textbook form (u = mu u - lr g) returned instead of PyTorch's v = mu v + g":
            -lr * state["momentum_buffer"],
    })


@points(1, question="q5", hint="Update the running mean of g squared before the step; epsilon is added after the "
                               "square root, as in PyTorch.")
def test_rmsprop(student):
    lr, alpha, eps = 0.01, 0.9, 0.01              # a large eps (and small gradients): where it goes shows
    grads = [0.05 * g for g in STEP_GRADS]
    expected, state = reference_run(lambda ps: RMSprop(ps, lr=lr, alpha=alpha, eps=eps), grads, W0)
    w, (s,) = student_run(student.rmsprop_step, grads, W0, lr, alpha, eps)

    def rule(denominator, late=False):
        def update(w, g, st, t):
            old = st.get("s", 0)
            st["s"] = alpha * old + (1 - alpha) * g * g
            return w - lr * g / denominator(old if late else st["s"])
        return update

    given = {"w0": W0, "g at step 1": grads[0], "lr": lr, "alpha": alpha, "eps": eps}
    expect_close(w, expected, what="w after 5 steps", given=given, mistakes={
        "eps added under the square root (PyTorch adds it to the root)":
            simulate(rule(lambda s: np.sqrt(s + eps)), grads, W0, {}),
        "divided by s instead of its square root": simulate(rule(lambda s: s + eps), grads, W0, {}),
        "the step divided by the old s (s updated after the step)":
            simulate(rule(lambda s: np.sqrt(s) + eps, late=True), grads, W0, {}),
    })
    expect_close(s, state["square_avg"], what="s after 5 steps", given=given)


def adam_rule(lr, beta1, beta2, eps, correct_m=True, correct_v=True):
    def update(w, g, st, t):
        st["m"] = beta1 * st.get("m", 0) + (1 - beta1) * g
        st["v"] = beta2 * st.get("v", 0) + (1 - beta2) * g * g
        m_hat = st["m"] / (1 - beta1**t) if correct_m else st["m"]
        v_hat = st["v"] / (1 - beta2**t) if correct_v else st["v"]
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return update


def adam_hat_as_state(lr, beta1, beta2, eps, keep_m_hat, keep_v_hat):
    def update(w, g, st, t):
        m = beta1 * st.get("m", 0) + (1 - beta1) * g
        v = beta2 * st.get("v", 0) + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        st["m"], st["v"] = (m_hat if keep_m_hat else m), (v_hat if keep_v_hat else v)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return update


def adam_mistakes(grads, w0, lr, beta1, beta2, eps):
    hat_runs = [simulate(adam_hat_as_state(lr, beta1, beta2, eps, keep_m, keep_v), grads, w0, {})
                for keep_m, keep_v in ((True, True), (True, False), (False, True))]
    return {
        "the bias-corrected m_hat or v_hat kept as the state (the state is m and v themselves)":
            lambda got: len(grads) > 1 and any(got.shape == w.shape and np.allclose(got, w) for w in hat_runs),
        "no bias correction (Adam's first steps are then several times too long)":
            simulate(adam_rule(lr, beta1, beta2, eps, False, False), grads, w0, {}),
        "the bias correction of v left out": simulate(adam_rule(lr, beta1, beta2, eps, True, False), grads, w0, {}),
        "the bias correction of m left out": simulate(adam_rule(lr, beta1, beta2, eps, False, True), grads, w0, {}),
    }


@points(1, question="q5", hint="On step 1 every weight should move by about lr, whatever the size of its gradient.")
def test_adam_first_step(student):
    w, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -4.0, 1e-3])
    lr, betas, eps = 0.1, (0.9, 0.999), 1e-8
    result = student.adam_step(w, g, np.zeros(3), np.zeros(3), 1, lr, *betas, eps)
    expect_length(result, 3, what="adam_step's result")
    expected, _ = reference_run(lambda ps: Adam(ps, lr=lr, betas=betas, eps=eps), [g], w)
    expect_close(result[0], expected, what="w after step 1", given={"w": w, "g": g, "lr": lr},
                 mistakes=adam_mistakes([g], w, lr, *betas, eps))


@points(1, question="q5", hint="Return m and v themselves (the corrected ones are only for the step), in new "
                               "arrays.")
def test_adam_steps_and_inputs(student):
    lr, betas, eps = 0.01, (0.8, 0.99), 1e-8
    expected, state = reference_run(lambda ps: Adam(ps, lr=lr, betas=betas, eps=eps), STEP_GRADS, W0)
    w, (m, v) = student_run(student.adam_step, STEP_GRADS, W0, lr, *betas, eps, with_t=True, n_state=2)
    given = {"w0": W0, "g at step 1": STEP_GRADS[0], "lr": lr, "betas": betas}
    expect_close(w, expected, what="w after 5 steps", given=given,
                 mistakes=adam_mistakes(STEP_GRADS, W0, lr, *betas, eps))
    t = len(STEP_GRADS)
    expect_close(m, state["exp_avg"], what="m after 5 steps", given=given, mistakes={
        "the corrected m_hat returned as the state instead of m": state["exp_avg"] / (1 - betas[0]**t)})
    expect_close(v, state["exp_avg_sq"], what="v after 5 steps", given=given, mistakes={
        "the corrected v_hat returned as the state instead of v": state["exp_avg_sq"] / (1 - betas[1]**t)})
    m0, v0 = 0.1 * STEP_GRADS[0], 0.01 * STEP_GRADS[0] ** 2
    _, after = student.adam_step.and_inputs(W0, STEP_GRADS[1], m0, v0, 2, lr, *betas, eps)
    for name, before, now in zip(("w", "g", "m", "v"), (W0, STEP_GRADS[1], m0, v0), after):
        expect_unchanged(before, now, what=name)


# ---------------------------------------------------------------- q6: batch normalisation

def reference_batchnorm(x, dy, gamma, beta, eps=1e-5):
    """y and (dx, dgamma, dbeta) from nnedu's BatchNorm1d in training mode."""
    layer = nn.BatchNorm1d(x.shape[1], eps=eps)
    layer.load_state_dict({"weight": gamma, "bias": beta, "running_mean": np.zeros(x.shape[1]),
                           "running_var": np.ones(x.shape[1]), "num_batches_tracked": np.array(0)})
    y = layer(x)
    dx = layer.backward(dy)
    weight, bias = layer.parameters()
    return y, dx, weight.grad, bias.grad


def _standardise(x, axis=0, ddof=0, eps=1e-5):
    mean = x.mean(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axis, ddof=ddof, keepdims=True) + eps)


@points(1, question="q6", hint="Each feature is a column: its mean and variance are taken down the batch, and the "
                               "variance divides by N.")
def test_batchnorm_forward(student):
    y = student.batchnorm_forward(X, GAMMA, BETA, 1e-5)
    expected = reference_batchnorm(X, DY, GAMMA, BETA)[0]
    expect_close(y, expected, what="y", given={"x": X, "gamma": GAMMA, "beta": BETA}, mistakes={
        "the unbiased variance (divided by N - 1); batch normalisation divides by N":
            GAMMA * _standardise(X, ddof=1) + BETA,
        "statistics per example (over the features) instead of per feature (over the batch)":
            GAMMA * _standardise(X, axis=1) + BETA,
        "gamma and beta swapped": BETA * _standardise(X) + GAMMA,
    })


@points(1, question="q6", hint="Every example's y uses the same gamma and beta: their gradients add up over the "
                               "batch.")
def test_batchnorm_parameter_gradients(student):
    result = student.batchnorm_backward(DY, X, GAMMA, 1e-5)
    expect_length(result, 3, what="batchnorm_backward's result")
    _, _, dgamma, dbeta = reference_batchnorm(X, DY, GAMMA, BETA)
    given = {"dy": DY, "x": X, "gamma": GAMMA}
    n = len(X)
    expect_close(result[2], dbeta, what="dbeta", given=given, mistakes={
        "averaged over the batch instead of summed (a factor of N)": dbeta / n})
    expect_close(result[1], dgamma, what="dgamma", given=given, mistakes={
        "averaged over the batch instead of summed (a factor of N)": dgamma / n,
        "dgamma without x_hat (that is dbeta)": dbeta,
        "the unbiased variance (divided by N - 1); batch normalisation divides by N":
            (DY * _standardise(X, ddof=1)).sum(axis=0),
    })


@points(1, question="q6", hint="x reaches every y of its feature through the batch mean and variance too: the "
                               "compact form removes the mean of N dy and its component along x_hat.")
def test_batchnorm_dx(student):
    result = student.batchnorm_backward(DY, X, GAMMA, 1e-5)
    expect_length(result, 3, what="batchnorm_backward's result")
    _, dx, _, _ = reference_batchnorm(X, DY, GAMMA, BETA)
    sigma = np.sqrt(X.var(axis=0) + 1e-5)
    n = len(X)
    x_hat_unbiased = _standardise(X, ddof=1)
    sigma_unbiased = np.sqrt(X.var(axis=0, ddof=1) + 1e-5)
    dx_unbiased = GAMMA / (n * sigma_unbiased) * (n * DY - DY.sum(axis=0)
                                                  - x_hat_unbiased * (DY * x_hat_unbiased).sum(axis=0))
    expect_close(result[0], dx, what="dx", given={"dy": DY, "x": X, "gamma": GAMMA}, mistakes={
        "the backward pass ignores the batch statistics (mu and sigma treated as constants: gamma dy / sigma)":
            GAMMA * DY / sigma,
        "dx without gamma": dx / GAMMA,
        "the unbiased variance (divided by N - 1); batch normalisation divides by N": dx_unbiased,
    })


# ---------------------------------------------------------------- q7: dropout

def reference_dropout(x, dy, p, training, seed):
    """(y1, y2, dx) from nnedu's Dropout: two forward passes on x, then backward(dy)."""
    layer = nn.Dropout(p, rng=np.random.default_rng(seed))
    layer.train(training)
    y1, y2 = layer(x), layer(x)
    return y1, y2, layer.backward(dy)


def _zeros(a):
    return np.asarray(a) == 0


def dropout_forward_mistakes(x, p):
    """Predicates of what mistaken training-mode outputs look like (they hold whatever the mask)."""
    def dropped_p(g):
        return g.shape == x.shape and abs(np.mean(_zeros(g)) - p) < 0.1

    def kept_as(factor):
        return lambda g: dropped_p(g) and bool(np.allclose(g[~_zeros(g)], factor * x[~_zeros(g)]))

    return {
        "not scaled by 1 / (1 - p): the expected value of the output becomes (1 - p) x": kept_as(1.0),
        "multiplied by (1 - p) instead of divided": kept_as(1 - p),
        "keep and drop probabilities swapped (p is the probability to drop)":
            lambda g: g.shape == x.shape and abs(np.mean(_zeros(g)) - (1 - p)) < 0.1,
        "no entry dropped in training mode": lambda g: g.shape == x.shape and not _zeros(g).any(),
    }


@points(1, question="q7", hint="One draw from the layer's generator per forward pass; the survivors are divided by the "
                               "probability to keep.")
def test_dropout_training_forward(student):
    p, seed = 0.2, 3
    result = student.dropout_roundtrip(DROP_X, DROP_DY, p, True, seed)
    expect_length(result, 3, what="dropout_roundtrip's result (y1, y2, dx)")
    y1, y2, _ = reference_dropout(DROP_X, DROP_DY, p, True, seed)
    given = {"x": DROP_X, "p": p, "seed": seed}
    expect_close(result[0], y1, what="y1, the first forward pass in training mode", given=given,
                 mistakes=dropout_forward_mistakes(DROP_X, p))
    expect_close(result[1], y2, what="y2, the second forward pass (a new mask)", given=given, mistakes={
        "the same mask at every forward pass (draw a new one in each)":
            lambda g: g.shape == y1.shape and np.array_equal(g, np.asarray(result[0])),
    })


@points(1, question="q7", hint="In evaluation mode the layer is the identity, forward and backward.")
def test_dropout_evaluation(student):
    p, seed = 0.5, 4
    result = student.dropout_roundtrip(DROP_X, DROP_DY, p, False, seed)
    expect_length(result, 3, what="dropout_roundtrip's result (y1, y2, dx)")
    given = {"x": DROP_X, "p": p, "training": False}
    expect_close(result[0], DROP_X, what="y1 in evaluation mode", given=given, mistakes={
        "dropout applied in eval mode (it must be the identity there)":
            lambda g: g.shape == DROP_X.shape and _zeros(g).any(),
        "the output scaled in eval mode (inverted dropout scales during training only)":
            lambda g: g.shape == DROP_X.shape and any(np.allclose(g, DROP_X * f) for f in (1 - p, 1 / (1 - p))),
    })
    expect_close(result[2], DROP_DY, what="dx in evaluation mode", given={"dy": DROP_DY} | given)


@points(1, question="q7", hint="The mask of the forward pass decides which gradients come back, and they are "
                               "multiplied by what forward multiplied x by.")
def test_dropout_backward(student):
    p, seed = 0.3, 5
    result = student.dropout_roundtrip(DROP_X, DROP_DY, p, True, seed)
    expect_length(result, 3, what="dropout_roundtrip's result (y1, y2, dx)")
    _, y2, dx = reference_dropout(DROP_X, DROP_DY, p, True, seed)
    kept = ~_zeros(y2)
    expect_close(result[2], dx, what="dx, after the second forward pass", given={"dy": DROP_DY, "p": p}, mistakes={
        "the backward pass ignores the mask (dy passed through unchanged)": DROP_DY,
        "the backward pass not scaled by 1 / (1 - p)": DROP_DY * kept,
        "the backward pass uses the mask of the first forward pass, not of the last one":
            lambda g: g.shape == dx.shape and np.array_equal(g == 0, np.asarray(result[0]) == 0)
            and not np.array_equal(g == 0, np.asarray(result[1]) == 0),
    })


# ---------------------------------------------------------------- q8: dropout at evaluation time (predict)

@points(1, question="q8", kind="predict", hint="The expected value is an average over masks; one forward pass "
                                               "uses a single mask.")
def test_left_on(student):
    expect_choice(student.q8_left_on(), "b", "abcd", what="q8_left_on()", mistakes={
        "a": "the expected value over masks is the input, but each forward pass draws one random mask",
        "c": "that is non-inverted dropout's scale; and the labels do change: each pass drops other units",
        "d": "only a fraction p of the units is zeroed, a different fraction in every pass",
    })


@points(1, question="q8", kind="predict", hint="During training a unit's output is x with probability 1 - p and "
                                               "0 otherwise: what is its mean?")
def test_unscaled_ratio(student):
    expect_close(student.q8_unscaled_ratio(), 1.25, rtol=0.01, what="q8_unscaled_ratio()", mistakes={
        "the ratio upside down (training averages 0.8 x, evaluation gives x)": 0.8,
        "1 / p: p is the probability to drop, 1 - p to keep": 5.0,
        "1 is inverted dropout's ratio; these outputs were not scaled in training": 1.0,
    })

