"""Common mistakes of exercise 02, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/02_neurons.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

NEURON_TAIL = '''
            if activation == "linear":
                return z
            if activation == "step":
                return np.where(z >= 0, 1.0, 0.0)
            if activation == "sigmoid":
                return 1.0 / (1.0 + np.exp(-z))
            if activation == "relu":
                return np.maximum(0.0, z)
            raise ValueError(activation)
'''

MISTAKES = [
    # q1: neuron
    dict(question="q1", name="the bias is left out", function="neuron", code='''
            z = np.asarray(x, dtype=float) @ np.asarray(w, dtype=float)
         ''' + NEURON_TAIL + '''
         '''),
    dict(question="q1", name="the bias is subtracted instead of added", function="neuron", code='''
            z = np.asarray(x, dtype=float) @ np.asarray(w, dtype=float) - b
         ''' + NEURON_TAIL + '''
         '''),
    dict(question="q1", name="the sigmoid has the wrong sign in the exponent", function="neuron", code='''
            z = np.dot(x, w) + b
            if activation == "sigmoid":
                return 1 / (1 + np.exp(z))
            if activation == "step":
                return (z >= 0).astype(float)
            if activation == "relu":
                return np.maximum(z, 0)
            return z
         '''),
    dict(question="q1", name="the weighted sum runs over the batch (axis 0) instead of over the inputs",
         function="neuron", code='''
            z = np.sum(np.asarray(x) * w, axis=0) + b
         ''' + NEURON_TAIL + '''
         '''),
    dict(question="q1", name="the threshold neuron outputs 0 at z = 0 (it fires when z >= 0)", function="neuron",
         code='''
            z = x @ w + b
            if activation == "step":
                return np.where(z > 0, 1.0, 0.0)
            if activation == "sigmoid":
                return 1.0 / (1.0 + np.exp(-z))
            if activation == "relu":
                return np.maximum(0.0, z)
            return z
         '''),
    dict(question="q1", name="the threshold neuron outputs -1 below the threshold (its outputs are 0 and 1; -1 is the "
                             "perceptron's)", function="neuron", code='''
            z = x @ w + b
            if activation == "step":
                return np.where(z >= 0, 1.0, -1.0)
            if activation == "sigmoid":
                return 1.0 / (1.0 + np.exp(-z))
            if activation == "relu":
                return np.maximum(0.0, z)
            return z
         '''),
    # q3: the perceptron's prediction and learning rule
    dict(question="q3", name="the prediction is +1 on the boundary z = 0 (the perceptron says +1 only when z > 0)",
         function="perceptron_predict", code='''
            return np.where(X @ w + b >= 0, 1, -1)
         '''),
    dict(question="q3", name="the labels are 0 and 1 instead of -1 and +1", function="perceptron_predict", code='''
            return (X @ w + b > 0).astype(int)
         '''),
    dict(question="q3", name="the update has the wrong sign", function="perceptron_update", code='''
            if perceptron_predict(x[None, :], w, b)[0] == y:
                return w.copy(), b
            return w - lr * y * x, b - lr * y
         '''),
    dict(question="q3", name="the learning rate is left out of the update", function="perceptron_update", code='''
            if perceptron_predict(x[None, :], w, b)[0] == y:
                return w.copy(), b
            return w + y * x, b + y
         '''),
    dict(question="q3", name="updates even when the prediction is right", function="perceptron_update", code='''
            return w + lr * y * x, b + lr * y
         '''),
    dict(question="q3", name="changes its input in place", function="perceptron_update", code='''
            if perceptron_predict(x[None, :], w, b)[0] != y:
                w += lr * y * x
                b += lr * y
            return w, b
         '''),
    dict(question="q3", name="the bias is not updated", function="perceptron_update", code='''
            if perceptron_predict(x[None, :], w, b)[0] == y:
                return w.copy(), b
            return w + lr * y * x, b
         '''),
    # q6: training
    dict(question="q6", name="the epoch count is off by one",
         function="train_perceptron", code='''
            w, b = np.zeros(X.shape[1]), 0.0
            for epoch in range(max_epochs):
                changed = False
                for x_i, y_i in zip(X, y):
                    w_new, b_new = perceptron_update(w, b, x_i, y_i, lr)
                    if b_new != b or np.any(w_new != w):
                        changed = True
                    w, b = w_new, b_new
                if not changed:
                    break
            return w, b, epoch
         '''),
    dict(question="q6", name="training does not stop after an epoch without a mistake", function="train_perceptron",
         code='''
            w, b = np.zeros(X.shape[1]), 0.0
            for epoch in range(max_epochs):
                for x_i, y_i in zip(X, y):
                    w, b = perceptron_update(w, b, x_i, y_i, lr)
            return w, b, max_epochs
         '''),
    dict(question="q6", name="training stops after the first epoch", function="train_perceptron", code='''
            w, b = np.zeros(X.shape[1]), 0.0
            epochs = 0
            while epochs < max_epochs:
                epochs += 1
                mistakes = 0
                for x_i, y_i in zip(X, y):
                    w, b = perceptron_update(w, b, x_i, y_i, lr)
                if mistakes == 0:      # never counted: always stops here
                    break
            return w, b, epochs
         '''),
]
