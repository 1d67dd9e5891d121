"""Common mistakes of exercise 8, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/08_backprop.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

MISTAKES = [
    # q1 (derive): the 2-2-1 network by hand
    dict(question="q1", name="forgot the activation derivative (sigma') in delta", function="q1_gradients", code='''
        # delta1 = W2^T delta2 = (2, -1) * 0.5, without sigma'(0)
        return {"W1": np.array([[2.0, 1.0], [-1.0, -0.5]]), "b1": np.array([1.0, -0.5]),
                "W2": np.array([[0.25, 0.25]]), "b2": np.array([0.5])}
    '''),
    dict(question="q1", name="the gradient has the wrong sign", function="q1_gradients", code='''
        # delta2 = t - o, Mitchell's sign
        return {"W1": np.array([[-0.5, -0.25], [0.25, 0.125]]), "b1": np.array([-0.25, 0.125]),
                "W2": np.array([[-0.25, -0.25]]), "b2": np.array([-0.5])}
    '''),
    # q2: the Linear layer's backward (region 1 of the class)
    dict(question="q2", name="the gradient has the wrong sign", function="Linear", region=1, code='''
        self.dW = -(delta.T @ self._x)
        self.db = -delta.sum(axis=0)
        return -(delta @ self.W)
    '''),
    dict(question="q2", name="transposed weight gradient (shape (in, out))", function="Linear", region=1, code='''
        self.dW = self._x.T @ delta
        self.db = delta.sum(axis=0)
        return delta @ self.W
    '''),
    dict(question="q2", name="bias gradient not summed over the batch", function="Linear", region=1, code='''
        self.dW = delta.T @ self._x
        self.db = delta
        return delta @ self.W
    '''),
    dict(question="q2", name="missing bias gradient", function="Linear", region=1, code='''
        self.dW = delta.T @ self._x
        return delta @ self.W
    '''),
    dict(question="q2", name="divided by N again (the 1/N of the mean is already in delta)", function="Linear",
         region=1, code='''
        N = delta.shape[0]
        self.dW = delta.T @ self._x / N
        self.db = delta.mean(axis=0)
        return delta @ self.W
    '''),
    # q3: two layers on a batch
    dict(question="q3", name="sum instead of mean (a factor of N)", function="two_layer_gradients", code='''
        Z1 = X @ W1.T + b1
        A1 = sigmoid(Z1)
        O = A1 @ W2.T + b2
        Delta2 = O - T
        Delta1 = (Delta2 @ W2) * sigmoid_grad(Z1)
        return {"W1": Delta1.T @ X, "b1": Delta1.sum(axis=0), "W2": Delta2.T @ A1, "b2": Delta2.sum(axis=0)}
    '''),
    dict(question="q3", name="forgot the activation derivative (sigma') in delta", function="two_layer_gradients",
         code='''
        N = X.shape[0]
        A1 = sigmoid(X @ W1.T + b1)
        O = A1 @ W2.T + b2
        Delta2 = (O - T) / N
        Delta1 = Delta2 @ W2
        return {"W1": Delta1.T @ X, "b1": Delta1.sum(axis=0), "W2": Delta2.T @ A1, "b2": Delta2.sum(axis=0)}
    '''),
    dict(question="q3", name="sigma' of the activation A instead of the pre-activation Z",
         function="two_layer_gradients", code='''
        N = X.shape[0]
        A1 = sigmoid(X @ W1.T + b1)
        O = A1 @ W2.T + b2
        Delta2 = (O - T) / N
        Delta1 = (Delta2 @ W2) * sigmoid_grad(A1)
        return {"W1": Delta1.T @ X, "b1": Delta1.sum(axis=0), "W2": Delta2.T @ A1, "b2": Delta2.sum(axis=0)}
    '''),
    dict(question="q3", name="the gradient has the wrong sign", function="two_layer_gradients", code='''
        N = X.shape[0]
        Z1 = X @ W1.T + b1
        A1 = sigmoid(Z1)
        O = A1 @ W2.T + b2
        Delta2 = (T - O) / N
        Delta1 = (Delta2 @ W2) * sigmoid_grad(Z1)
        return {"W1": Delta1.T @ X, "b1": Delta1.sum(axis=0), "W2": Delta2.T @ A1, "b2": Delta2.sum(axis=0)}
    '''),
    dict(question="q3", name="bias gradient not summed over the batch", function="two_layer_gradients", code='''
        N = X.shape[0]
        Z1 = X @ W1.T + b1
        A1 = sigmoid(Z1)
        O = A1 @ W2.T + b2
        Delta2 = (O - T) / N
        Delta1 = (Delta2 @ W2) * sigmoid_grad(Z1)
        return {"W1": Delta1.T @ X, "b1": Delta1, "W2": Delta2.T @ A1, "b2": Delta2}
    '''),
    # q4: L layers
    dict(question="q4", name="forgot the activation derivative (sigma') in delta", function="backprop", code='''
        L = len(weights)
        A, Z = [X], [None]
        for W, b in zip(weights, biases):
            Z.append(A[-1] @ W.T + b)
            A.append(sigmoid(Z[-1]))
        grads_W, grads_b = [None] * L, [None] * L
        Delta = (A[L] - T) / X.shape[0] * sigmoid_grad(Z[L])
        for l in range(L, 0, -1):
            grads_W[l - 1] = Delta.T @ A[l - 1]
            grads_b[l - 1] = Delta.sum(axis=0)
            if l > 1:
                Delta = Delta @ weights[l - 1]  # BP2 without sigma'
        return grads_W, grads_b
    '''),
    dict(question="q4", name="sigma' of the activation A instead of the pre-activation Z", function="backprop",
         code='''
        L = len(weights)
        A = [X]
        for W, b in zip(weights, biases):
            A.append(sigmoid(A[-1] @ W.T + b))
        grads_W, grads_b = [None] * L, [None] * L
        Delta = (A[L] - T) / X.shape[0] * sigmoid_grad(A[L])
        for l in range(L, 0, -1):
            grads_W[l - 1] = Delta.T @ A[l - 1]
            grads_b[l - 1] = Delta.sum(axis=0)
            if l > 1:
                Delta = (Delta @ weights[l - 1]) * sigmoid_grad(A[l - 1])
        return grads_W, grads_b
    '''),
    dict(question="q4", name="sum instead of mean (a factor of N)", function="backprop", code='''
        L = len(weights)
        A, Z = [X], [None]
        for W, b in zip(weights, biases):
            Z.append(A[-1] @ W.T + b)
            A.append(sigmoid(Z[-1]))
        grads_W, grads_b = [None] * L, [None] * L
        Delta = (A[L] - T) * sigmoid_grad(Z[L])
        for l in range(L, 0, -1):
            grads_W[l - 1] = Delta.T @ A[l - 1]
            grads_b[l - 1] = Delta.sum(axis=0)
            if l > 1:
                Delta = (Delta @ weights[l - 1]) * sigmoid_grad(Z[l - 1])
        return grads_W, grads_b
    '''),
    dict(question="q4", name="transposed weight gradient (shape (in, out))", function="backprop", code='''
        L = len(weights)
        A, Z = [X], [None]
        for W, b in zip(weights, biases):
            Z.append(A[-1] @ W.T + b)
            A.append(sigmoid(Z[-1]))
        grads_W, grads_b = [None] * L, [None] * L
        Delta = (A[L] - T) / X.shape[0] * sigmoid_grad(Z[L])
        for l in range(L, 0, -1):
            grads_W[l - 1] = A[l - 1].T @ Delta
            grads_b[l - 1] = Delta.sum(axis=0)
            if l > 1:
                Delta = (Delta @ weights[l - 1]) * sigmoid_grad(Z[l - 1])
        return grads_W, grads_b
    '''),
    # q5: the gradient check
    dict(question="q5", name="one-sided difference instead of the central one", function="numerical_gradient",
         code='''
        grad = np.zeros_like(x, dtype=float)
        f_x = f(x)
        for index in np.ndindex(x.shape):
            original = x[index]
            x[index] = original + eps
            grad[index] = (f(x) - f_x) / eps
            x[index] = original
        return grad
    '''),
    dict(question="q5", name="divided by eps instead of 2 eps", function="numerical_gradient", code='''
        grad = np.zeros_like(x, dtype=float)
        for index in np.ndindex(x.shape):
            original = x[index]
            x[index] = original + eps
            f_plus = f(x)
            x[index] = original - eps
            f_minus = f(x)
            x[index] = original
            grad[index] = (f_plus - f_minus) / eps
        return grad
    '''),
    dict(question="q5", name="changes its input in place", function="numerical_gradient", code='''
        grad = np.zeros_like(x, dtype=float)
        for index in np.ndindex(x.shape):
            x[index] += eps
            f_plus = f(x)
            x[index] -= 2 * eps
            f_minus = f(x)
            grad[index] = (f_plus - f_minus) / (2 * eps)
        return grad
    '''),
    dict(question="q5", name="numerical_gradient perturbs a copy of x, which mlp_loss never sees (every estimate is 0)",
         function="numerical_gradient", code='''
        x = np.array(x, dtype=float)  # a copy, to leave the caller's array alone
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            original = x[index]
            x[index] = original + eps
            f_plus = f(x)
            x[index] = original - eps
            f_minus = f(x)
            x[index] = original
            grad[index] = (f_plus - f_minus) / (2 * eps)
        return grad
    '''),
    dict(question="q5", name="divided by the norm of one gradient instead of the sum of both norms",
         function="relative_error", code='''
        if np.linalg.norm(b) == 0:
            return 0.0
        return float(np.linalg.norm(np.subtract(a, b)) / np.linalg.norm(b))
    '''),
    dict(question="q5", name="the biases left out of the check", function="gradient_check", code='''
        weights = [np.array(W, dtype=float) for W in weights]

        def cost(_):
            return mlp_loss(X, T, weights, biases)

        return max(relative_error(g, numerical_gradient(cost, W, eps)) for W, g in zip(weights, grads_W))
    '''),
    dict(question="q5", name="the mean of the relative errors instead of the largest", function="gradient_check",
         code='''
        weights = [np.array(W, dtype=float) for W in weights]
        biases = [np.array(b, dtype=float) for b in biases]

        def cost(_):
            return mlp_loss(X, T, weights, biases)

        errors = [relative_error(g, numerical_gradient(cost, p, eps))
                  for p, g in zip(weights + biases, list(grads_W) + list(grads_b))]
        return float(np.mean(errors))
    '''),
    # q6 (predict)
    dict(question="q6", name="||a - b|| divided by the larger norm only (7/8), not by the sum of both",
         function="q6_reported_errors", code='''
        return 1.0, 7 / 8
    '''),
]
