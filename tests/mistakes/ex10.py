"""Common mistakes of exercise 10, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/10_training.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

MISTAKES = [
    # q1: initialisation
    dict(question="q1", name="the variance used as the standard deviation", function="he_normal", code='''
        return np.random.default_rng(seed).normal(0.0, 2.0 / fan_in, size=(fan_out, fan_in))
    '''),
    dict(question="q1", name="fan_out instead of fan_in", function="he_normal", code='''
        std = np.sqrt(2.0 / fan_out)
        return np.random.default_rng(seed).normal(0.0, std, size=(fan_out, fan_in))
    '''),
    dict(question="q1", name="the standard deviation used as the bound b of U(-b, b) (its variance is b^2 / 3)",
         function="xavier_uniform", code='''
        b = np.sqrt(2 / (fan_in + fan_out))
        return np.random.default_rng(seed).uniform(-b, b, size=(fan_out, fan_in))
    '''),
    dict(question="q1", name="the shape is (fan_in, fan_out); a weight matrix has one row per unit",
         function="xavier_uniform", code='''
        b = np.sqrt(6 / (fan_in + fan_out))
        return np.random.default_rng(seed).uniform(-b, b, size=(fan_in, fan_out))
    '''),
    # q2, q3: derive and predict
    dict(question="q2", name="the variance of the ReLU outputs used instead of their mean square E[a^2]",
         function="q2_var_z", code='''
        var_a = 4 * (1 / 2 - 1 / (2 * np.pi))      # Var(relu(u)) for u ~ N(0, 4)
        return 300 * 2 / 400 * var_a
    '''),
    dict(question="q2", name="the standard deviation given as the bound (a uniform distribution on [-b, b] has "
                             "variance b^2 / 3)", function="q2_bound", code='''
        return np.sqrt(2 / 300)
    '''),
    dict(question="q3", name="Xavier's variance keeps the signal of tanh-like layers; a ReLU halves E[a^2] in "
                             "every layer", function="q3_steady", code='''
        return "c"
    '''),
    # q4: clipping
    dict(question="q4", name="each array clipped by its own norm instead of all of them together",
         function="clip_by_total_norm", code='''
        total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads], total
    '''),
    dict(question="q4", name="changes its input in place", function="clip_by_total_norm", code='''
        total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        if total > max_norm:
            for g in grads:
                g *= max_norm / (total + 1e-6)
        return grads, total
    '''),
    dict(question="q4", name="the norm after clipping returned instead of the norm before",
         function="clip_by_total_norm", code='''
        total = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        factor = min(1.0, max_norm / (total + 1e-6))
        return [g * factor for g in grads], total * factor
    '''),
    # q5: optimisers
    dict(question="q5", name="no bias correction (Adam's first steps are then several times too long)",
         function="adam_step", code='''
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        return w - lr * m / (np.sqrt(v) + eps), m, v
    '''),
    dict(question="q5", name="eps added under the square root (PyTorch adds it to the root)",
         function="rmsprop_step", code='''
        s = alpha * s + (1 - alpha) * g**2
        return w - lr * g / np.sqrt(s + eps), s
    '''),
    dict(question="q5", name="the gradient added as (1 - momentum) g (an average; PyTorch adds g itself)",
         function="momentum_step", code='''
        v = momentum * v + (1 - momentum) * g
        return w - lr * v, v
    '''),
    dict(question="q5", name="the bias-corrected m_hat or v_hat kept as the state (the state is m and v themselves)",
         function="adam_step", code='''
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m = m / (1 - beta1**t)
        v = v / (1 - beta2**t)
        return w - lr * m / (np.sqrt(v) + eps), m, v
    '''),
    dict(question="q5", name="divided by s instead of its square root", function="rmsprop_step", code='''
        s = alpha * s + (1 - alpha) * g**2
        return w - lr * g / (s + eps), s
    '''),
    dict(question="q5", name="changes its input in place", function="adam_step", code='''
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g**2
        w = w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        return w, m, v
    '''),
    # q6: batch normalisation
    dict(question="q6", name="the unbiased variance (divided by N - 1); batch normalisation divides by N",
         function="batchnorm_forward", code='''
        x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + eps)
        return gamma * x_hat + beta
    '''),
    dict(question="q6", name="the backward pass ignores the batch statistics (mu and sigma treated as constants: "
                             "gamma dy / sigma)", function="batchnorm_backward", code='''
        sigma = np.sqrt(x.var(axis=0) + eps)
        x_hat = (x - x.mean(axis=0)) / sigma
        return gamma * dy / sigma, np.sum(dy * x_hat, axis=0), np.sum(dy, axis=0)
    '''),
    dict(question="q6", name="averaged over the batch instead of summed (a factor of N)",
         function="batchnorm_backward", code='''
        n = len(x)
        sigma = np.sqrt(x.var(axis=0) + eps)
        x_hat = (x - x.mean(axis=0)) / sigma
        dbeta, dgamma = dy.mean(axis=0), (dy * x_hat).mean(axis=0)
        dx = gamma / sigma * (dy - dy.mean(axis=0) - x_hat * (dy * x_hat).mean(axis=0))
        return dx, dgamma, dbeta
    '''),
    # q7: dropout (region 0: forward, region 1: backward)
    dict(question="q7", name="not scaled by 1 / (1 - p): the expected value of the output becomes (1 - p) x",
         function="Dropout", region=0, code='''
        if self.training:
            self._scale = (self.rng.random(x.shape) >= self.p).astype(float)
        else:
            self._scale = np.ones_like(x)
        return x * self._scale
    '''),
    dict(question="q7", name="dropout applied in eval mode (it must be the identity there)",
         function="Dropout", region=0, code='''
        self._scale = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self._scale
    '''),
    dict(question="q7", name="keep and drop probabilities swapped (p is the probability to drop)",
         function="Dropout", region=0, code='''
        if not self.training:
            self._scale = np.ones_like(x)
            return x
        keep = self.rng.random(x.shape) < self.p
        self._scale = keep / self.p
        return x * self._scale
    '''),
    dict(question="q7", name="the backward pass ignores the mask (dy passed through unchanged)",
         function="Dropout", region=1, code='''
        return dy
    '''),
    dict(question="q7", name="the same mask at every forward pass (draw a new one in each)",
         function="Dropout", region=0, code='''
        if not self.training:
            self._scale = np.ones_like(x)
        elif self._scale is None:
            self._scale = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        return x * self._scale
    '''),
    # q8: predict
    dict(question="q8", name="1 / p: p is the probability to drop, 1 - p to keep", function="q8_unscaled_ratio",
         code='''
        return 1 / 0.2
    '''),
]
