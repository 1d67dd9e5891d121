"""Every computed claim in the prose of chapters 5 (softmax) and 6 (cost functions), recomputed
independently: from the deck's printed numbers (typed here from the slide deck, not read from the
notebooks), with PyTorch's softmax, losses and autograd, with plain ``math``, and with finite differences.

The chapters glue their numbers from their own code; these tests check that those numbers, and the
corrections to the deck that the chapters make, are right.
"""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chapters import l2_groups, t

import nnedu
from nnedu import functional as F
from nnedu import nn
from nnedu.widgets import SoftmaxExplorer

torch = pytest.importorskip("torch", reason="the claims are checked against PyTorch's softmax, losses and autograd")

BOOK = Path(__file__).resolve().parents[1] / "book"

# Deck 003, "Another idea": the outputs of a one-number digit predictor (label 5) and its "Loss" row.
DECK_OUTPUTS = [0.79, 1.83, 2.54, 2.99, 3.45, 4.89, 5.32, 6.22, 7.13, 8.72]
DECK_ERRORS = ["17.72", "10.04", "6.051", "4.040", "2.402", "0.012", "0.102", "1.488", "4.536", "13.83"]
# Deck 003, "Softmax Activation and Cross Entropy Loss" (true class 5).
DECK_LOGITS = [4.1, 2.2, 2.9, -1.8, 2.5, 4.2, 3.3, -2.5, -1.5, 1.1]
DECK_OUTPUT = [0.326, 0.044, 0.12, 0.002, 0.044, 0.326, 0.12, 0.001, 0.001, 0.016]
DECK_MINUS_LN_OUT = [1.121, 3.121, 2.121, 6.121, 3.121, 1.121, 2.121, 7.121, 7.121, 4.121]
DECK_MINUS_LN_1_MINUS_OUT = [0.394, 0.045, 0.128, 0.002, 0.045, 0.394, 0.128, 0.001, 0.001, 0.016]
DECK_LOSS_ROW = [0.394, 0.045, 0.128, 0.002, 0.045, 1.121, 0.128, 0.001, 0.001, 0.016]
DECK_TOTAL = 1.822
ROUNDED_LOGITS = [4, 2, 3, -1, 2, 4, 3, -2, -2, 1]   # the chapters' explanation of the deck's table
TRUE_CLASS = 5


def binary_terms(p: Any, label: int = TRUE_CLASS) -> Any:
    """The deck's per-class loss: the binary cross-entropy of each softmax output."""
    y = torch.zeros_like(p)
    y[label] = 1.0
    return torch.nn.functional.binary_cross_entropy(p, y, reduction="none")


def notebook_constant(notebook: str, name: str) -> object:
    """The value assigned to ``name`` in a code cell of ``book/<notebook>`` (a literal or ``np.array([...])``)."""
    cells = json.loads((BOOK / notebook).read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Assign) and any(isinstance(x, ast.Name) and x.id == name for x in node.targets):
                value = node.value
                if isinstance(value, ast.Call):   # np.array([...])
                    value = value.args[0]
                return ast.literal_eval(value)
    raise AssertionError(f"{notebook} assigns no {name}")


# --------------------------------------------------------------------------------------------
# Chapter 5
# --------------------------------------------------------------------------------------------

def test_ch5_the_chapters_copy_the_decks_numbers_correctly():
    assert notebook_constant("05_softmax_and_one_hot.ipynb", "DECK_PROBS") == DECK_OUTPUT
    assert notebook_constant("05_softmax_and_one_hot.ipynb", "DECK_ERRORS") == [float(e) for e in DECK_ERRORS]
    assert notebook_constant("05_softmax_and_one_hot.ipynb", "outputs") == DECK_OUTPUTS
    assert notebook_constant("05_softmax_and_one_hot.ipynb", "logits") == DECK_LOGITS
    assert notebook_constant("05_softmax_and_one_hot.ipynb", "deck_logits") == ROUNDED_LOGITS
    assert notebook_constant("06_cost_functions.ipynb", "DECK_LOSS_ROW") == DECK_LOSS_ROW
    assert notebook_constant("06_cost_functions.ipynb", "DECK_TOTAL") == DECK_TOTAL


def test_ch5_one_number_for_the_digit_orders_the_classes():
    # "Answering 4 or 6 costs 1, answering 9 costs 16."
    cost = {k: (k - 5) ** 2 for k in range(10)}
    assert cost[4] == cost[6] == 1 and cost[9] == 16 and cost[0] == 25


def test_ch5_the_deck_cuts_the_squared_errors_short_instead_of_rounding():
    # "prints the squared errors cut short rather than rounded, for example 10.04 for 10.0489"
    exact = [(out - 5) ** 2 for out in DECK_OUTPUTS]
    assert exact[1] == pytest.approx(10.0489, abs=1e-9)
    assert round(exact[1], 2) == 10.05 != float(DECK_ERRORS[1])
    for value, printed in zip(exact, DECK_ERRORS):
        decimals = len(printed.split(".")[1])
        assert math.floor(value * 10**decimals + 1e-9) / 10**decimals == pytest.approx(float(printed)), printed


def test_ch5_softmax_of_the_printed_logits():
    # "Class 5 gets the largest probability, 0.339, and class 0 the next, 0.306."
    p = torch.softmax(t(DECK_LOGITS), dim=0)
    assert round(p[5].item(), 3) == 0.339 and round(p[0].item(), 3) == 0.306
    assert torch.argsort(p, descending=True)[:2].tolist() == [5, 0]
    assert p.sum().item() == pytest.approx(1.0)
    # shift invariance, "adding the same constant to every logit changes nothing"
    assert torch.allclose(torch.softmax(t(DECK_LOGITS) + 100, dim=0), p)


def test_ch5_the_decks_probabilities_sum_to_one_and_are_the_softmax_of_the_rounded_logits():
    assert f"{math.fsum(DECK_OUTPUT):.3f}" == "1.000"
    rounded = torch.softmax(t(ROUNDED_LOGITS), dim=0)
    assert [round(v, 3) for v in rounded.tolist()] == DECK_OUTPUT
    # not the softmax of the printed logits
    printed = torch.softmax(t(DECK_LOGITS), dim=0)
    assert [round(v, 3) for v in printed.tolist()] != DECK_OUTPUT
    # its -ln rows come from the same rounded probabilities: -ln p_k = logsumexp(z) - z_k
    minus_ln = (torch.logsumexp(t(ROUNDED_LOGITS), 0) - t(ROUNDED_LOGITS)).tolist()
    assert [round(v, 3) for v in minus_ln] == DECK_MINUS_LN_OUT
    assert [round(-math.log1p(-p), 3) for p in rounded.tolist()] == DECK_MINUS_LN_1_MINUS_OUT


def test_ch5_the_rounding_the_deck_did():
    # "Nine of the ten are what np.rint gives (halves to even); the fourth, -1.8, became -1 instead of -2."
    half_to_even = [round(z) for z in DECK_LOGITS]   # Python's round is half-to-even, like np.rint
    differ = [k for k in range(10) if half_to_even[k] != ROUNDED_LOGITS[k]]
    assert differ == [3] and half_to_even[3] == -2 and ROUNDED_LOGITS[3] == -1
    assert (round(2.5), round(-2.5), round(-1.5)) == (2, -2, -2)
    # with -2 at class 3 the deck's row would not come out
    other = list(ROUNDED_LOGITS)
    other[3] = -2
    assert [round(v, 3) for v in torch.softmax(t(other), dim=0).tolist()] != DECK_OUTPUT
    # "moved the probabilities by up to 0.028 (class 2)", "gave classes 0 and 5 the same probability"
    difference = (torch.softmax(t(DECK_LOGITS), 0) - torch.softmax(t(ROUNDED_LOGITS), 0)).abs()
    assert round(difference.max().item(), 3) == 0.028 and difference.argmax().item() == 2
    rounded = torch.softmax(t(ROUNDED_LOGITS), 0)
    assert rounded[0].item() == rounded[5].item()
    assert DECK_LOGITS[5] - DECK_LOGITS[0] == pytest.approx(0.1)


def test_ch5_naive_softmax_overflows_and_the_stable_one_does_not():
    big = [1000.0, 999.0, 0.0]
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(big) / np.exp(big).sum()
    assert np.isnan(naive[:2]).all()
    np.testing.assert_allclose(F.softmax(np.array(big)), torch.softmax(t(big), 0).numpy(), rtol=1e-12)
    # log_softmax([1000, 0]) is exactly [0, -1000]; the log of the softmax is -inf
    assert F.log_softmax(np.array([1000.0, 0.0])).tolist() == [0.0, -1000.0]
    assert torch.log_softmax(t([1000.0, 0.0]), 0).tolist() == [0.0, -1000.0]
    with np.errstate(divide="ignore"):
        assert np.log(F.softmax(np.array([1000.0, 0.0])))[1] == -np.inf


def test_ch5_temperature_limits():
    z = t(DECK_LOGITS)
    cold = torch.softmax(z / 0.01, 0)
    assert cold[5].item() > 0.9999 and cold.argmax().item() == 5   # T -> 0: arg-max
    hot = torch.softmax(z / 1e6, 0)
    assert torch.allclose(hot, torch.full((10,), 0.1, dtype=torch.float64), atol=1e-6)   # T -> inf: uniform
    assert torch.equal(torch.softmax(z / 1, 0), torch.softmax(z, 0))


def test_ch5_the_explorers_recording_sweeps_the_temperature_from_0_2_to_5():
    temperatures = SoftmaxExplorer().temperatures
    assert temperatures[0] == pytest.approx(0.2) and temperatures[-1] == pytest.approx(5.0)
    assert np.all(np.diff(temperatures) > 0)


# --------------------------------------------------------------------------------------------
# Chapter 6: the worked numbers
# --------------------------------------------------------------------------------------------

def test_ch6_mse_example_and_its_gradient():
    output = t([0.07, 0.17, 0.60, 0.45, 0.92, 0.19, 0.57, 0.85, 0.85, 0.01]).requires_grad_(True)
    target = torch.zeros(10, dtype=torch.float64)
    target[8] = 1.0
    loss = torch.nn.functional.mse_loss(output, target)
    loss.backward()
    assert torch.nn.functional.mse_loss(output, target, reduction="sum").item() == pytest.approx(2.5488)
    assert nn.MSELoss(reduction="sum")(output.detach().numpy(), target.numpy()) == pytest.approx(2.5488)
    # dMSE/dy_i = 2/K (y_i - t_i)
    np.testing.assert_allclose(output.grad.numpy(), 2 / 10 * (output.detach() - target).numpy(), rtol=1e-12)


def test_ch6_the_decks_loss_without_its_minus_sign_rewards_wrong_predictions():
    # deck 004: E = y log(y_hat) + (1 - y) log(1 - y_hat), never positive, largest (0) when perfect
    y_hat = t([0.999999, 0.9, 0.5, 0.1]).requires_grad_(True)
    y = t([1.0, 1.0, 1.0, 1.0])
    deck = y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)
    assert (deck <= 0).all() and deck.argmax().item() == 0
    deck.sum().backward()
    stepped = y_hat.detach() - 0.01 * y_hat.grad          # one gradient-descent step on E
    assert (stepped < y_hat.detach()).all()               # every prediction moves away from the label 1
    bce = torch.nn.functional.binary_cross_entropy(y_hat.detach(), y, reduction="none")
    torch.testing.assert_close(bce, -deck.detach())      # the cross-entropy is its negative


def test_ch6_the_decks_logistic_cost_with_ln_z_is_undefined_and_the_one_with_sigma_is_not():
    z = t([-2.0, 0.5, 3.0])
    y = t([0.0, 1.0, 1.0])
    deck = -(y * torch.log(z) + (1 - y) * torch.log(1 - z)).sum()
    assert math.isnan(deck.item())
    assert math.isnan(float(torch.log(t(-2.0))))                                 # ln z, z < 0
    assert math.isnan(float(torch.log(1 - t(3.0))))                              # ln(1 - z), z > 1
    right = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="sum").item()
    by_hand = -sum(yi * math.log(1 / (1 + math.exp(-zi))) + (1 - yi) * math.log(1 - 1 / (1 + math.exp(-zi)))
                   for zi, yi in zip([-2.0, 0.5, 3.0], [0.0, 1.0, 1.0]))
    assert right == pytest.approx(by_hand, rel=1e-12)
    assert round(right, 4) == 0.6496
    assert nn.BCEWithLogitsLoss(reduction="sum")(z.numpy(), y.numpy()) == pytest.approx(right, rel=1e-12)


def test_ch6_the_decks_table_totals():
    exact = binary_terms(torch.softmax(t(DECK_LOGITS), 0))
    rounded = binary_terms(torch.softmax(t(ROUNDED_LOGITS), 0))
    # the deck's printed total is that of its printed logits...
    assert round(exact.sum().item(), 3) == DECK_TOTAL
    # ...while its LOSS row, which sums to 1.881, is that of the rounded logits
    assert f"{math.fsum(DECK_LOSS_ROW):.3f}" == "1.881"
    assert round(rounded.sum().item(), 3) == 1.881
    assert [round(v, 3) for v in rounded.tolist()] == DECK_LOSS_ROW
    assert [round(v, 3) for v in exact.tolist()] != DECK_LOSS_ROW
    # the categorical cross-entropy is -ln p_5 = 1.083, a different loss
    ce = torch.nn.functional.cross_entropy(t([DECK_LOGITS]), torch.tensor([TRUE_CLASS])).item()
    assert round(ce, 3) == 1.083
    assert ce == pytest.approx(-math.log(math.exp(4.2) / sum(math.exp(z) for z in DECK_LOGITS)), rel=1e-12)


def test_ch6_mse_on_a_sigmoid_stalls_when_confidently_wrong_and_cross_entropy_does_not():
    z = t([-8.0, 0.0]).requires_grad_(True)
    torch.sum((torch.sigmoid(z) - 1) ** 2).backward()
    mse_grad = z.grad.clone()
    z.grad = None
    torch.nn.functional.binary_cross_entropy_with_logits(z, t([1.0, 1.0]), reduction="sum").backward()
    assert abs(mse_grad[0].item()) < 1e-3 < abs(mse_grad[1].item())       # vanishes when most wrong
    assert z.grad[0].item() == pytest.approx(torch.sigmoid(t(-8.0)).item() - 1)   # p - y, close to -1
    assert abs(z.grad[0].item()) > 0.99


def logistic_minimum(x: Any, y: Any) -> Any:
    """(w, b) minimising the mean binary cross-entropy of sigmoid(w x + b), by L-BFGS; its .grad holds the
    gradient at the point found."""
    wb = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([wb], max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-20,
                                  line_search_fn="strong_wolfe")

    def closure() -> Any:
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(wb[0] * x + wb[1], y)
        loss.backward()
        return loss

    optimizer.step(closure)
    closure()                                           # the gradient at the point found
    return wb


def test_ch6_a_separable_data_set_has_no_lowest_point_and_an_overlapping_one_has():
    x = t([-2.0, -1.0, 1.0, 2.0])
    y = t([0.0, 0.0, 1.0, 1.0])                         # separated by the threshold 0
    losses = [torch.nn.functional.binary_cross_entropy_with_logits(w * x, y).item() for w in (1.0, 5.0, 25.0)]
    assert losses[0] > losses[1] > losses[2] > 0        # falls for ever as w grows
    y_overlap = t([0.0, 1.0, 0.0, 1.0])                 # the groups overlap
    w = logistic_minimum(x, y_overlap)
    assert w.grad.abs().max().item() < 1e-9 and w.abs().max().item() < 10   # a finite minimum


def test_ch6_the_chapters_loss_landscape_has_its_minimum_inside_the_drawn_grid():
    # the chapter's data (seed 0): two overlapping groups; the minimum of the mean BCE lies in
    # w in [-3, 6], b in [-5, 5], found here by L-BFGS instead of the chapter's grid search
    rng = np.random.default_rng(0)
    x = t(np.concatenate([rng.normal(-1, 1.2, 30), rng.normal(1.5, 1.2, 30)]))
    y = t(np.concatenate([np.zeros(30), np.ones(30)]))
    wb = logistic_minimum(x, y)
    w, b = wb.tolist()
    assert wb.grad.abs().max().item() < 1e-8
    assert -3 < w < 6 and -5 < b < 5


# --------------------------------------------------------------------------------------------
# Chapter 6: the softmax + cross-entropy gradient, derived
# --------------------------------------------------------------------------------------------

def softmax_jacobian(s: np.ndarray) -> np.ndarray:
    """s_i (delta_ij - s_j), the chapter's formula."""
    return np.diag(s) - np.outer(s, s)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ch6_the_softmax_jacobian_matches_autograd_and_finite_differences(seed):
    z = np.random.default_rng(seed).normal(size=5) * 2
    by_formula = softmax_jacobian(torch.softmax(t(z), 0).numpy())
    by_autograd = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), t(z)).numpy()
    np.testing.assert_allclose(by_formula, by_autograd, atol=1e-15)
    eps = 1e-6
    by_differences = np.column_stack([(F.softmax(z + eps * e) - F.softmax(z - eps * e)) / (2 * eps) for e in np.eye(5)])
    np.testing.assert_allclose(by_formula, by_differences, atol=1e-9)
    np.testing.assert_allclose(by_formula, by_formula.T)                 # symmetric
    np.testing.assert_allclose(by_formula.sum(axis=0), 0, atol=1e-15)   # the probabilities keep summing to 1


def test_ch6_the_chain_rule_product_collapses_to_p_minus_y():
    rng = np.random.default_rng(3)
    z = rng.normal(size=6)
    s = torch.softmax(t(z), 0).numpy()
    y = np.eye(6)[4]
    np.testing.assert_allclose((-y / s) @ softmax_jacobian(s), s - y, atol=1e-14)
    # any target distribution (rows summing to 1) too; in general p * sum(y) - y
    q = rng.dirichlet(np.ones(6))
    np.testing.assert_allclose((-q / s) @ softmax_jacobian(s), s - q, atol=1e-14)
    w = rng.uniform(size=6)
    np.testing.assert_allclose((-w / s) @ softmax_jacobian(s), s * w.sum() - w, atol=1e-14)
    # and autograd of -sum y ln softmax(z) agrees
    zt = t(z).requires_grad_(True)
    (-(t(y) * torch.log_softmax(zt, 0)).sum()).backward()
    np.testing.assert_allclose(zt.grad.numpy(), s - y, atol=1e-14)


@pytest.mark.parametrize("targets", ["labels", "one-hot", "soft"])
def test_ch6_cross_entropy_backward_is_p_minus_y_over_n(targets):
    rng = np.random.default_rng(4)
    n, k = 7, 5
    logits = rng.normal(size=(n, k)) * 3
    labels = rng.integers(0, k, size=n)
    target = {"labels": labels, "one-hot": np.eye(k)[labels], "soft": rng.dirichlet(np.ones(k), size=n)}[targets]
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(logits, target)
    grad = loss_fn.backward()
    y = np.eye(k)[labels] if targets == "labels" else target
    p = torch.softmax(t(logits), 1).numpy()
    np.testing.assert_allclose(grad, (p - y) / n, atol=1e-15)
    z = t(logits).requires_grad_(True)
    torch.nn.functional.cross_entropy(z, torch.from_numpy(target)).backward()
    np.testing.assert_allclose(grad, z.grad.numpy(), atol=1e-15)


def test_ch6_softmax_backward_is_the_jacobian_vector_product():
    rng = np.random.default_rng(5)
    z, g = rng.normal(size=4), rng.normal(size=4)
    s = F.softmax(z)
    np.testing.assert_allclose(F.softmax_backward(s, g), g @ softmax_jacobian(s), atol=1e-15)


# --------------------------------------------------------------------------------------------
# Chapter 6: cross-entropy as maximum likelihood
# --------------------------------------------------------------------------------------------

def test_ch6_negative_log_likelihood_is_n_times_the_mean_cross_entropy():
    rng = np.random.default_rng(6)
    n, k = 6, 4
    logits = rng.normal(size=(n, k))
    labels = rng.integers(0, k, size=n)
    probs = torch.softmax(t(logits), 1)
    likelihood = math.prod(probs[i, labels[i]].item() for i in range(n))
    mean_ce = torch.nn.functional.cross_entropy(t(logits), torch.from_numpy(labels)).item()
    assert -math.log(likelihood) == pytest.approx(n * mean_ce, rel=1e-12)
    assert nn.CrossEntropyLoss()(logits, labels) == pytest.approx(mean_ce, rel=1e-12)


def test_ch6_cross_entropy_minus_entropy_is_the_kl_divergence_and_has_its_gradient():
    rng = np.random.default_rng(7)
    logits = t(rng.normal(size=(6, 4))).requires_grad_(True)
    q = t(rng.dirichlet(np.ones(4), size=6))                           # soft targets
    log_p = torch.log_softmax(logits, 1)
    cross_entropy = -(q * log_p).sum(1)
    entropy = -(q * q.log()).sum(1)
    kl = torch.nn.functional.kl_div(log_p, q, reduction="none").sum(1)   # PyTorch's KL(q || p)
    torch.testing.assert_close(cross_entropy - entropy, kl, rtol=0, atol=1e-14)
    assert (kl >= 0).all()
    # KL is 0 at p = q, and the one-hot target's entropy is 0, so there cross-entropy = KL
    assert torch.nn.functional.kl_div(q.log(), q, reduction="sum").abs().item() < 1e-14
    one_hot = torch.eye(4, dtype=torch.float64)[[0, 3, 1, 1, 2, 0]]
    torch.testing.assert_close(-(one_hot * log_p).sum(1),
                               torch.nn.functional.kl_div(log_p, one_hot, reduction="none").sum(1))
    # same gradient: H(q) does not depend on the logits
    (grad_ce,) = torch.autograd.grad(cross_entropy.sum(), logits, retain_graph=True)
    (grad_kl,) = torch.autograd.grad(kl.sum(), logits)
    torch.testing.assert_close(grad_ce, grad_kl, rtol=0, atol=1e-14)


def test_ch6_bernoulli_negative_log_likelihood_is_the_binary_cross_entropy():
    rng = np.random.default_rng(8)
    p = torch.sigmoid(t(rng.normal(size=9)))
    y = t(rng.integers(0, 2, size=9).astype(float))
    nll = -sum(math.log(pi if yi == 1 else 1 - pi) for pi, yi in zip(p.tolist(), y.tolist()))
    assert torch.nn.functional.binary_cross_entropy(p, y, reduction="sum").item() == pytest.approx(nll, rel=1e-12)
    assert nn.BCELoss(reduction="sum")(p.numpy(), y.numpy()) == pytest.approx(nll, rel=1e-12)


def test_ch6_squared_error_is_the_negative_log_likelihood_of_gaussian_noise():
    y_hat, y, s = t([0.3, -1.2, 2.0]), t([0.5, -0.7, 1.0]), 0.7
    nll = -torch.distributions.Normal(y_hat, s).log_prob(y)
    constant = math.log(s * math.sqrt(2 * math.pi))
    torch.testing.assert_close(nll, (y - y_hat) ** 2 / (2 * s**2) + constant)


# --------------------------------------------------------------------------------------------
# Chapter 6: L2 regularisation over the weights only, with parameter groups
# --------------------------------------------------------------------------------------------

def nnedu_model_and_groups(lam: float, n: int, lr: float, momentum: float = 0.0):
    nnedu.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = nnedu.optim.SGD(l2_groups(model, lam, n), lr=lr, momentum=momentum)
    return model, optimizer


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_ch6_sgd_with_two_groups_minimises_the_l2_regularised_cost(momentum):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=8)
    n, lam, lr = len(x), 0.5, 0.1
    model, optimizer = nnedu_model_and_groups(lam, n, lr, momentum)
    reference = nnedu.to_torch(model)
    # the reference: plain SGD (no weight_decay) on C = C0 + lam/(2n) sum of the weights squared, by autograd
    reference_sgd = torch.optim.SGD(reference.parameters(), lr=lr, momentum=momentum)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(3):
        optimizer.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        optimizer.step()

        reference_sgd.zero_grad()
        c0 = torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(y))
        penalty = lam / (2 * n) * sum((p**2).sum() for name, p in reference.named_parameters() if name.endswith("weight"))
        (c0 + penalty).backward()
        reference_sgd.step()
    for (name, p), (_, tp) in zip(model.named_parameters(), reference.named_parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), atol=1e-13, err_msg=name)


def test_ch6_one_step_is_the_hand_computed_update_and_leaves_the_biases_undecayed():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 2, size=8)
    n, lam, lr = len(x), 0.5, 0.1
    model, optimizer = nnedu_model_and_groups(lam, n, lr)
    reference = nnedu.to_torch(model)
    torch.nn.functional.cross_entropy(reference(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    loss_fn = nn.CrossEntropyLoss()
    optimizer.zero_grad()
    loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    optimizer.step()
    for (name, p), (_, tp) in zip(model.named_parameters(), reference.named_parameters()):
        w, dc0 = tp.detach().numpy(), tp.grad.numpy()            # dC0/dparameter by autograd
        if name.endswith("weight"):
            expected = (1 - lr * lam / n) * w - lr * dc0          # (1 - eta lambda / n) w - eta dC0/dw
        else:
            expected = w - lr * dc0                               # b - eta dC0/db
        np.testing.assert_allclose(p.data, expected, atol=1e-14, err_msg=name)
    # the chapter's decay factor for eta = 0.1, lambda = 0.5, n = 8
    assert 1 - lr * lam / n == pytest.approx(0.99375)


def test_ch6_with_no_data_gradient_weights_shrink_and_biases_stay():
    model, optimizer = nnedu_model_and_groups(lam=0.5, n=8, lr=0.1)
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    optimizer.zero_grad()
    optimizer.step()
    for name, p in model.named_parameters():
        factor = 0.99375 if name.endswith("weight") else 1.0
        np.testing.assert_allclose(p.data, factor * before[name], rtol=1e-15, err_msg=name)
    # and torch.optim.SGD with the same two groups does the same
    reference = nnedu.to_torch(model)
    groups = [{"params": [p for name, p in reference.named_parameters() if name.endswith("weight")],
               "weight_decay": 0.5 / 8},
              {"params": [p for name, p in reference.named_parameters() if name.endswith("bias")],
               "weight_decay": 0.0}]
    for p in reference.parameters():
        p.grad = torch.zeros_like(p)
    torch.optim.SGD(groups, lr=0.1).step()
    optimizer.step()
    for (name, p), (_, tp) in zip(model.named_parameters(), reference.named_parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-15, err_msg=name)
