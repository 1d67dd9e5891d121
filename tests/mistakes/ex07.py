"""Common mistakes of exercise 7, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/07_gradient_descent.ipynb with `code` and asserts that nnedu.check and
nnedu grade name the mistake."""

MISTAKES = [
    # q1: the gradient-descent loop
    dict(question="q1", name="the gradient has the wrong sign (ascent)", function="gradient_descent", code='''
        w = np.array(w0, dtype=float)
        v = np.zeros_like(w)
        path = [w.copy()]
        for _ in range(steps):
            v = momentum * v + grad(w)
            w = w + lr * v
            path.append(w)
        return np.array(path)
    '''),
    dict(question="q1", name="every row is the last w (one array changed in place and stored at every step)",
         function="gradient_descent", code='''
        w = np.array(w0, dtype=float)
        v = np.zeros_like(w)
        path = [w]
        for _ in range(steps):
            v = momentum * v + grad(w)
            w -= lr * v
            path.append(w)
        return np.array(path)
    '''),
    dict(question="q1", name="changes its input in place", function="gradient_descent", code='''
        w = w0
        v = np.zeros_like(w)
        path = [w.copy()]
        for _ in range(steps):
            v = momentum * v + grad(w)
            w -= lr * v
            path.append(w.copy())
        return np.array(path)
    '''),
    dict(question="q1", name="the trajectory lacks the starting point w0", function="gradient_descent", code='''
        w = np.array(w0, dtype=float)
        v = np.zeros_like(w)
        path = []
        for _ in range(steps):
            v = momentum * v + grad(w)
            w = w - lr * v
            path.append(w)
        return np.array(path)
    '''),
    dict(question="q1", name="the step uses the old velocity (the velocity is updated after the step)",
         function="gradient_descent", code='''
        w = np.array(w0, dtype=float)
        v = np.zeros_like(w)
        path = [w.copy()]
        for _ in range(steps):
            g = grad(w)
            w = w - lr * v
            v = momentum * v + g
            path.append(w)
        return np.array(path)
    '''),
    dict(question="q1", name="the velocity is not kept from one step to the next (plain gradient descent)",
         function="gradient_descent", code='''
        w = np.array(w0, dtype=float)
        path = [w.copy()]
        for _ in range(steps):
            v = grad(w)
            w = w - lr * v
            path.append(w)
        return np.array(path)
    '''),
    # q4: the gradient checker
    dict(question="q4", name="forward difference instead of central (an error of order h)",
         function="numerical_gradient", code='''
        w = np.array(w, dtype=float)
        grad = np.zeros_like(w)
        f_at = f(w)
        for i in np.ndindex(w.shape):
            shifted = w.copy()
            shifted[i] += h
            grad[i] = (f(shifted) - f_at) / h
        return grad
    '''),
    dict(question="q4", name="divided by h instead of 2h (twice the gradient)", function="numerical_gradient", code='''
        w = np.array(w, dtype=float)
        grad = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            plus, minus = w.copy(), w.copy()
            plus[i] += h
            minus[i] -= h
            grad[i] = (f(plus) - f(minus)) / h
        return grad
    '''),
    dict(question="q4", name="w is moved in place and not restored (later entries are measured at a shifted point)",
         function="numerical_gradient", code='''
        w = np.array(w, dtype=float)
        grad = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            w[i] += h
            f_plus = f(w)
            w[i] -= 2 * h
            grad[i] = (f_plus - f(w)) / (2 * h)
        return grad
    '''),
    dict(question="q4", name="every entry moved at once (each entry is the same directional derivative)",
         function="numerical_gradient", code='''
        w = np.array(w, dtype=float)
        return np.full(w.shape, (f(w + h) - f(w - h)) / (2 * h))
    '''),
    dict(question="q4", name="absolute instead of relative error (the norm of the difference alone)",
         function="relative_error", code='''
        return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
    '''),
    dict(question="q4", name="0 / 0 for two zero gradients (nan)", function="relative_error", code='''
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
    '''),
    # q5: linear regression
    dict(question="q5", name="sum instead of mean (a factor of N)", function="linear_regression_grads", code='''
        residual = X @ w + b - y
        return float(np.mean(residual**2)), 2 * X.T @ residual, float(2 * np.mean(residual))
    '''),
    dict(question="q5", name="the gradient has the wrong sign", function="linear_regression_grads", code='''
        residual = y - X @ w - b
        n = len(y)
        return float(np.mean(residual**2)), 2 * X.T @ residual / n, float(-2 * np.mean(residual))
    '''),
    dict(question="q5", name="the bias gradient is missing (db = 0)", function="linear_regression_grads", code='''
        residual = X @ w + b - y
        return float(np.mean(residual**2)), 2 * X.T @ residual / len(y), 0.0
    '''),
    dict(question="q5", name="one entry per example, not per weight (the batch is not summed)",
         function="linear_regression_grads", code='''
        residual = X @ w + b - y
        return float(np.mean(residual**2)), 2 * X * residual[:, None] / len(y), float(2 * np.mean(residual))
    '''),
    dict(question="q5", name="the bias is never updated", function="fit_linear_regression", code='''
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(steps):
            _, dw, db = linear_regression_grads(X, y, w, b)
            w = w - lr * dw
        return w, b
    '''),
    dict(question="q5", name="the gradient has the wrong sign (ascent)", function="fit_linear_regression", code='''
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(steps):
            _, dw, db = linear_regression_grads(X, y, w, b)
            w, b = w + lr * dw, b + lr * db
        return w, b
    '''),
]
