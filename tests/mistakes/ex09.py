"""Common mistakes of exercise 09, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/09_sgd.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

MISTAKES = [
    # q1: mini-batches
    dict(question="q1", name="the last, smaller batch is dropped", function="minibatch_indices", code='''
        order = rng.permutation(n)
        return [order[i * batch_size:(i + 1) * batch_size] for i in range(n // batch_size)]
     '''),
    dict(question="q1", name="samples drawn with replacement (some repeated, others missing)",
         function="minibatch_indices", code='''
        order = rng.integers(0, n, size=n)
        return [order[start:start + batch_size] for start in range(0, n, batch_size)]
     '''),
    dict(question="q1", name="the same order in every epoch (not reshuffled)", function="epoch_batches", code='''
        batches = []
        for _ in range(epochs):
            rng = np.random.default_rng(seed)
            batches.append(minibatch_indices(n, batch_size, rng))
        return batches
     '''),
    dict(question="q1", name="the samples are not shuffled", function="minibatch_indices", code='''
        order = np.arange(n)
        return [order[start:start + batch_size] for start in range(0, n, batch_size)]
     '''),
    # q3: the update
    dict(question="q3", name="the step has the wrong sign", function="sgd_step", code='''
        return {name: params[name] + lr * grads[name] for name in params}
     '''),
    dict(question="q3", name="changes its input in place", function="sgd_step", code='''
        for name in params:
            params[name] -= lr * grads[name]
        return params
     '''),
    dict(question="q3", name="momentum in the other convention (lr inside v)", function="momentum_step", code='''
        velocity = {name: momentum * velocity[name] + lr * grads[name] for name in params}
        params = {name: params[name] - velocity[name] for name in params}
        return params, velocity
     '''),
    dict(question="q3", name="changes its input in place", function="momentum_step", code='''
        for name in params:
            velocity[name] *= momentum
            velocity[name] += grads[name]
            params[name] -= lr * velocity[name]
        return params, velocity
     '''),
    dict(question="q3", name="(1 - momentum) times the gradient: that is a moving average, PyTorch adds the gradient itself",
         function="momentum_step", code='''
        velocity = {name: momentum * velocity[name] + (1 - momentum) * grads[name] for name in params}
        params = {name: params[name] - lr * velocity[name] for name in params}
        return params, velocity
     '''),
    # q4: the gradients of an MLP
    dict(question="q4", name="a ReLU on the last layer too (the logits must stay linear)", function="mlp_logits", code='''
        a = X
        for l in range(1, len(params) // 2 + 1):
            a = np.maximum(a @ params[f"W{l}"].T + params[f"b{l}"], 0.0)
        return a
     '''),
    dict(question="q4", name="sum instead of mean over the batch (a factor of N)", function="mlp_loss_and_grads",
         code='''
        n_layers, n = len(params) // 2, len(y)
        activations, pre = [X], []
        for l in range(1, n_layers + 1):
            z = activations[-1] @ params[f"W{l}"].T + params[f"b{l}"]
            pre.append(z)
            activations.append(np.maximum(z, 0.0) if l < n_layers else z)
        shifted = pre[-1] - pre[-1].max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-log_p[np.arange(n), y].sum())
        delta = np.exp(log_p)
        delta[np.arange(n), y] -= 1.0
        grads = {}
        for l in range(n_layers, 0, -1):
            grads[f"W{l}"] = delta.T @ activations[l - 1]
            grads[f"b{l}"] = delta.sum(axis=0)
            if l > 1:
                delta = (delta @ params[f"W{l}"]) * (pre[l - 2] > 0)
        return loss, grads
     '''),
    dict(question="q4", name="ReLU's slope left out of the backward pass", function="mlp_loss_and_grads", code='''
        n_layers, n = len(params) // 2, len(y)
        activations = [X]
        for l in range(1, n_layers + 1):
            z = activations[-1] @ params[f"W{l}"].T + params[f"b{l}"]
            activations.append(np.maximum(z, 0.0) if l < n_layers else z)
        shifted = activations[-1] - activations[-1].max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-log_p[np.arange(n), y].mean())
        delta = np.exp(log_p)
        delta[np.arange(n), y] -= 1.0
        delta /= n
        grads = {}
        for l in range(n_layers, 0, -1):
            grads[f"W{l}"] = delta.T @ activations[l - 1]
            grads[f"b{l}"] = delta.sum(axis=0)
            delta = delta @ params[f"W{l}"]
        return loss, grads
     '''),
    dict(question="q4", name="softmax without the max shift (overflow)", function="mlp_loss_and_grads", code='''
        n_layers, n = len(params) // 2, len(y)
        activations, pre = [X], []
        for l in range(1, n_layers + 1):
            z = activations[-1] @ params[f"W{l}"].T + params[f"b{l}"]
            pre.append(z)
            activations.append(np.maximum(z, 0.0) if l < n_layers else z)
        e = np.exp(pre[-1])
        p = e / e.sum(axis=1, keepdims=True)
        loss = float(-np.log(p[np.arange(n), y]).mean())
        delta = p.copy()
        delta[np.arange(n), y] -= 1.0
        delta /= n
        grads = {}
        for l in range(n_layers, 0, -1):
            grads[f"W{l}"] = delta.T @ activations[l - 1]
            grads[f"b{l}"] = delta.sum(axis=0)
            if l > 1:
                delta = (delta @ params[f"W{l}"]) * (pre[l - 2] > 0)
        return loss, grads
     '''),
    dict(question="q4", name="the gradient has the wrong sign", function="mlp_loss_and_grads", code='''
        n_layers, n = len(params) // 2, len(y)
        activations, pre = [X], []
        for l in range(1, n_layers + 1):
            z = activations[-1] @ params[f"W{l}"].T + params[f"b{l}"]
            pre.append(z)
            activations.append(np.maximum(z, 0.0) if l < n_layers else z)
        shifted = pre[-1] - pre[-1].max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = float(-log_p[np.arange(n), y].mean())
        onehot = np.eye(pre[-1].shape[1])[y]
        delta = (onehot - np.exp(log_p)) / n
        grads = {}
        for l in range(n_layers, 0, -1):
            grads[f"W{l}"] = delta.T @ activations[l - 1]
            grads[f"b{l}"] = delta.sum(axis=0)
            if l > 1:
                delta = (delta @ params[f"W{l}"]) * (pre[l - 2] > 0)
        return loss, grads
     '''),
    # q5: one epoch
    dict(question="q5", name="the mean of the batch losses (the smaller last batch counts as much as a full one)",
         function="sgd_epoch", code='''
        losses = []
        for index in batches:
            loss, grads = mlp_loss_and_grads(params, X[index], y[index])
            params, velocity = momentum_step(params, grads, velocity, lr, momentum)
            losses.append(loss)
        return params, velocity, float(np.mean(losses))
     '''),
    dict(question="q5", name="changes its input in place", function="sgd_epoch", code='''
        total = 0.0
        for index in batches:
            loss, grads = mlp_loss_and_grads(params, X[index], y[index])
            for name in params:
                velocity[name] *= momentum
                velocity[name] += grads[name]
                params[name] -= lr * velocity[name]
            total += loss * len(index)
        return params, velocity, total / len(y)
     '''),
    dict(question="q5", name="the velocity is not carried from one batch to the next", function="sgd_epoch", code='''
        total = 0.0
        for index in batches:
            loss, grads = mlp_loss_and_grads(params, X[index], y[index])
            params, _ = momentum_step(params, grads, velocity, lr, momentum)
            total += loss * len(index)
        return params, velocity, total / len(y)
     '''),
    dict(question="q5", name="the velocity given is ignored (each epoch starts again from zero)", function="sgd_epoch",
         code='''
        total = 0.0
        velocity = {name: np.zeros_like(value) for name, value in params.items()}
        for index in batches:
            loss, grads = mlp_loss_and_grads(params, X[index], y[index])
            params, velocity = momentum_step(params, grads, velocity, lr, momentum)
            total += loss * len(index)
        return params, velocity, total / len(y)
     '''),
    dict(question="q5", name="every batch's gradient taken at the weights the epoch started from", function="sgd_epoch",
         code='''
        total, start = 0.0, params
        for index in batches:
            loss, grads = mlp_loss_and_grads(start, X[index], y[index])
            params, velocity = momentum_step(params, grads, velocity, lr, momentum)
            total += loss * len(index)
        return params, velocity, total / len(y)
     '''),
    # q7: capstone
    dict(question="q7", name="predict_mlp returns scores or probabilities, not labels", function="predict_mlp", code='''
        z = mlp_logits(params, X)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
     '''),
]
