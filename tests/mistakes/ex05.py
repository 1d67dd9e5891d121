"""Common mistakes of exercise 5, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/05_softmax.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

MISTAKES = [
    # q1: a stable softmax
    dict(question="q1", name="softmax without the max shift (overflow: inf / inf = nan)", function="softmax", code='''
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)
    '''),
    dict(question="q1", name="normalised over the wrong axis (each column sums to 1, not each row)",
         function="softmax", code='''
        z = np.asarray(z, dtype=float)
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)
    '''),
    dict(question="q1", name="the maximum of the whole batch subtracted instead of each row's (underflow: 0 / 0 = nan)",
         function="softmax", code='''
        z = np.asarray(z, dtype=float)
        e = np.exp(z - z.max())
        return e / e.sum(axis=-1, keepdims=True)
    '''),
    dict(question="q1", name="changes its input in place", function="softmax", code='''
        z = np.asarray(z, dtype=float)
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        return z / z.sum(axis=-1, keepdims=True)
    '''),
    # q2: one-hot with validation
    dict(question="q2", name="one-hot transposed: shape (num_classes, N) instead of (N, num_classes)",
         function="one_hot", code='''
        labels = np.asarray(labels, dtype=int)
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError("label out of range")
        out = np.zeros((num_classes, labels.shape[0]))
        out[labels, np.arange(labels.shape[0])] = 1.0
        return out
    '''),
    dict(question="q2", name="the number of columns taken from the largest label instead of num_classes",
         function="one_hot", code='''
        labels = np.asarray(labels, dtype=int)
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError("label out of range")
        out = np.zeros((labels.shape[0], labels.max() + 1))
        out[np.arange(labels.shape[0]), labels] = 1.0
        return out
    '''),
    dict(question="q2", name="the 1 one column off (off by one)", function="one_hot", code='''
        labels = np.asarray(labels, dtype=int)
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError("label out of range")
        out = np.zeros((labels.shape[0], num_classes))
        out[np.arange(labels.shape[0]), labels - 1] = 1.0
        return out
    '''),
    dict(question="q2", name="a negative label accepted (numpy reads index -1 as the last column)", function="one_hot",
         code='''
        labels = np.asarray(labels, dtype=int)
        return np.eye(num_classes)[labels]
    '''),
    # q3: predictions and accuracy
    dict(question="q3", name="the position of the maximum taken over the wrong axis (one index per column)",
         function="predict", code='''
        return np.argmax(np.asarray(probs), axis=0)
    '''),
    dict(question="q3", name="the largest probability returned instead of its index", function="predict", code='''
        return np.max(np.asarray(probs), axis=-1)
    '''),
    dict(question="q3", name="the number of correct rows instead of the fraction (a factor of N)", function="accuracy",
         code='''
        return float(np.sum(predict(probs) == np.asarray(labels)))
    '''),
    # q4: log-softmax and softmax + cross-entropy
    dict(question="q4", name="the log of the softmax: a probability that underflows to 0 gives log 0 = -inf",
         function="log_softmax", code='''
        return np.log(softmax(z))
    '''),
    dict(question="q4", name="changes its input in place", function="log_softmax", code='''
        z = np.asarray(z, dtype=float)
        z -= z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    '''),
    dict(question="q4", name="sum instead of mean (a factor of N)", function="softmax_cross_entropy", code='''
        labels = np.asarray(labels, dtype=int)
        n = z.shape[0]
        loss = -log_softmax(z)[np.arange(n), labels].sum()
        dz = softmax(z) - one_hot(labels, z.shape[1])
        return float(loss), dz
    '''),
    dict(question="q4", name="the gradient has the wrong sign", function="softmax_cross_entropy", code='''
        labels = np.asarray(labels, dtype=int)
        n = z.shape[0]
        loss = -log_softmax(z)[np.arange(n), labels].mean()
        dz = (one_hot(labels, z.shape[1]) - softmax(z)) / n
        return float(loss), dz
    '''),
    dict(question="q4", name="a mean over all N * C entries instead of over the N examples",
         function="softmax_cross_entropy", code='''
        labels = np.asarray(labels, dtype=int)
        y = one_hot(labels, z.shape[1])
        loss = -np.mean(y * log_softmax(z))
        dz = (softmax(z) - y) / z.shape[0]
        return float(loss), dz
    '''),
    dict(question="q4", name="changes its input in place", function="softmax_cross_entropy", code='''
        labels = np.asarray(labels, dtype=int)
        n = z.shape[0]
        loss = -log_softmax(z)[np.arange(n), labels].mean()
        z -= z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        dz = (e / e.sum(axis=-1, keepdims=True) - one_hot(labels, z.shape[1])) / n
        return float(loss), dz
    '''),
]
