"""Common mistakes of exercise 6, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/06_losses.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

MISTAKES = [
    # q1: the mean squared error
    dict(question="q1", name="sum instead of mean (a factor of N)", function="mse_loss", code='''
        return float(np.sum((pred - target) ** 2))
    '''),
    dict(question="q1", name="a mean over the rows only (divided by N, not by N * D)", function="mse_loss", code='''
        return float(np.sum((pred - target) ** 2) / len(pred))
    '''),
    dict(question="q1", name="the factor 2 is missing", function="mse_grad", code='''
        return (pred - target) / pred.size
    '''),
    dict(question="q1", name="the gradient has the wrong sign", function="mse_grad", code='''
        return 2 * (target - pred) / pred.size
    '''),
    dict(question="q1", name="changes its input in place", function="mse_grad", code='''
        pred -= target
        return 2 * pred / pred.size
    '''),
    # q2: binary cross-entropy
    dict(question="q2", name="log(0) without clipping (inf or nan)", function="bce_loss", code='''
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    '''),
    dict(question="q2", name="the minus sign is missing (the loss is negative)", function="bce_loss", code='''
        p = np.clip(p, eps, 1 - eps)
        return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    '''),
    dict(question="q2", name="changes its input in place", function="bce_loss", code='''
        np.clip(p, eps, 1 - eps, out=p)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    '''),
    dict(question="q2", name="the sigmoid rounds to 0 or 1 before the log (inf or nan)", function="bce_with_logits",
         code='''
        p = 1 / (1 + np.exp(-z))
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    '''),
    dict(question="q2", name="the probability is clipped before the log (a confident mistake's loss is capped)",
         function="bce_with_logits", code='''
        return bce_loss(1 / (1 + np.exp(-z)), y)
    '''),
    # q3: categorical cross-entropy
    dict(question="q3", name="softmax without the max shift (overflow)", function="log_softmax", code='''
        e = np.exp(z)
        return np.log(e / e.sum(axis=1, keepdims=True))
    '''),
    dict(question="q3", name="changes its input in place", function="log_softmax", code='''
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    '''),
    dict(question="q3", name="sum instead of mean (a factor of N)", function="cross_entropy", code='''
        rows = np.arange(len(labels))
        return float(-np.sum(log_softmax(logits)[rows, labels]))
    '''),
    dict(question="q3", name="[:, labels] picks an N x N block, not one entry per row", function="cross_entropy", code='''
        return float(-np.mean(log_softmax(logits)[:, labels]))
    '''),
    dict(question="q3", name="the gradient has the wrong sign", function="cross_entropy_grad", code='''
        y = np.eye(logits.shape[1])[labels]
        return (y - np.exp(log_softmax(logits))) / len(labels)
    '''),
    dict(question="q3", name="the gradient with respect to the probabilities, not the logits",
         function="cross_entropy_grad", code='''
        y = np.eye(logits.shape[1])[labels]
        return -y / (len(labels) * np.exp(log_softmax(logits)))
    '''),
]
