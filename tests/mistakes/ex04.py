"""Common mistakes of exercise 4, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/04_activations.ipynb with `code` and asserts that nnedu.check and nnedu
grade name the mistake."""

MISTAKES = [
    # q1: the sigmoid and its derivative
    dict(question="q1", name="the sigmoid written as e^z / (1 + e^z) overflows to nan for large z", function="sigmoid",
         code='''
        z = np.asarray(z, dtype=float)
        return np.exp(z) / (1.0 + np.exp(z))
    '''),
    dict(question="q1", name="the sign of the exponent is flipped (that is sigma(-z))", function="sigmoid", code='''
        z = np.asarray(z, dtype=float)
        return 1.0 / (1.0 + np.exp(z))
    '''),
    dict(question="q1", name="changes its input in place", function="sigmoid", code='''
        z = np.asarray(z, dtype=float)
        positive = z >= 0
        np.abs(z, out=z)
        e = np.exp(-z)
        return np.where(positive, 1.0 / (1.0 + e), e / (1.0 + e))
    '''),
    dict(question="q1", name="the derivative written as sigma(z) * (1 - z) instead of sigma(z) * (1 - sigma(z))",
         function="sigmoid_grad", code='''
        return sigmoid(z) * (1 - z)
    '''),
    dict(question="q1", name="the derivative written as z * (1 - z): a(1 - a) needs a = sigma(z), not z",
         function="sigmoid_grad", code='''
        return z * (1 - z)
    '''),
    # q2: ReLU and leaky ReLU
    dict(question="q2", name="changes its input in place", function="relu", code='''
        z[z < 0] = 0.0
        return z
    '''),
    dict(question="q2", name="the derivative at z = 0 taken as 1 (nnedu and PyTorch take 0 there)",
         function="relu_grad", code='''
        return (np.asarray(z) >= 0).astype(float)
    '''),
    dict(question="q2", name="the slope fixed at 0.01 instead of negative_slope", function="leaky_relu", code='''
        z = np.asarray(z, dtype=float)
        return np.where(z > 0, z, 0.01 * z)
    '''),
    dict(question="q2", name="changes its input in place", function="leaky_relu", code='''
        z[z < 0] *= negative_slope
        return z
    '''),
    dict(question="q2", name="the derivative on the negative side taken as 0 (ReLU's derivative)",
         function="leaky_relu_grad", code='''
        return (np.asarray(z) > 0).astype(float)
    '''),
    # q3: activation layers
    dict(question="q3", name="backward ignores grad_output (the chain rule multiplies the slope by it)",
         function="Tanh", region=1, code='''
        return 1.0 - self._a ** 2
    '''),
    dict(question="q3", name="backward uses 1 - tanh(z) instead of 1 - tanh(z)**2", function="Tanh", region=1, code='''
        return (1.0 - self._a) * grad_output
    '''),
    dict(question="q3", name="the gradient has the wrong sign", function="Tanh", region=1, code='''
        return (self._a ** 2 - 1.0) * grad_output
    '''),
    dict(question="q3", name="backward ignores grad_output (the chain rule multiplies the slope by it)",
         function="LeakyReLU", region=1, code='''
        return leaky_relu_grad(self._z, self.negative_slope)
    '''),
    # q4: numerical derivatives
    dict(question="q4", name="the forward difference (g(z + eps) - g(z)) / eps instead of the central difference",
         function="numerical_derivative", code='''
        z = np.asarray(z, dtype=float)
        return (g(z + eps) - g(z)) / eps
    '''),
    dict(question="q4", name="divided by eps instead of 2 * eps (twice the derivative)",
         function="numerical_derivative", code='''
        z = np.asarray(z, dtype=float)
        return (g(z + eps) - g(z - eps)) / eps
    '''),
    dict(question="q4", name="the largest entry-wise relative error instead of a ratio of norms",
         function="relative_error", code='''
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
    '''),
    dict(question="q4", name="0 / 0 = nan when both arrays are zero (return 0.0 there)",
         function="relative_error", code='''
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
    '''),
]
