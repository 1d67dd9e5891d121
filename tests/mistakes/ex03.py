"""Common mistakes of exercise 03, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/03_forward_pass.ipynb with `code` and asserts that nnedu.check and nnedu
grade name the mistake."""

MISTAKES = [
    # q1: Linear.forward
    dict(question="q1", name="the weight is used transposed (x @ W instead of x @ W^T: W has shape (out, in))",
         function="Linear", code='''
            return x @ self.weight + self.bias
         '''),
    dict(question="q1", name="the bias is left out", function="Linear", code='''
            return x @ self.weight.T
         '''),
    dict(question="q1", name="the bias is added along the wrong axis (one bias per sample instead of one per output "
                             "unit)", function="Linear", code='''
            return x @ self.weight.T + self.bias.reshape(-1, 1)
         '''),
    dict(question="q1", name="W x for a batch of rows (W x is right for one column vector; a batch needs X W^T)",
         function="Linear", code='''
            return self.weight @ x + self.bias
         '''),
    dict(question="q1", name="one example comes back as a batch of one, shape (1, out), instead of (out,)",
         function="Linear", code='''
            return np.atleast_2d(x) @ self.weight.T + self.bias
         '''),
    # q2: forward_all
    dict(question="q2", name="ReLU after the last layer too (the output layer has no activation)",
         function="forward_all", code='''
            activations = [x]
            for layer in layers:
                activations.append(relu(layer(activations[-1])))
            return activations
         '''),
    dict(question="q2", name="no ReLU between the layers", function="forward_all", code='''
            activations = [x]
            for layer in layers:
                activations.append(layer(activations[-1]))
            return activations
         '''),
    dict(question="q2", name="the pre-activations z are kept instead of the activations a = relu(z)",
         function="forward_all", code='''
            activations = [x]
            a = x
            for i, layer in enumerate(layers):
                z = layer(a)
                activations.append(z)
                a = relu(z) if i < len(layers) - 1 else z
            return activations
         '''),
    dict(question="q2", name="the list leaves out the input A^0 = x", function="forward_all", code='''
            activations = []
            a = x
            for i, layer in enumerate(layers):
                a = layer(a)
                if i < len(layers) - 1:
                    a = relu(a)
                activations.append(a)
            return activations
         '''),
    # q6: collapse_linear
    dict(question="q6", name="the weights are multiplied in the wrong order (W_1 W_2 ... instead of ... W_2 W_1)",
         function="collapse_linear", code='''
            W, b = params[0]
            for W_next, b_next in params[1:]:
                W = W @ W_next
                b = W_next @ b + b_next
            return W, b
         '''),
    dict(question="q6", name="the earlier biases are added without passing through the later weights",
         function="collapse_linear", code='''
            W, b = params[0]
            for W_next, b_next in params[1:]:
                W = W_next @ W
                b = b + b_next
            return W, b
         '''),
    dict(question="q6", name="only the last layer's bias is kept", function="collapse_linear", code='''
            W = params[0][0]
            for W_next, _ in params[1:]:
                W = W_next @ W
            return W, params[-1][1]
         '''),
    dict(question="q6", name="the collapsed weight is transposed, (in, out)", function="collapse_linear", code='''
            W, b = params[0]
            W = W.T
            for W_next, b_next in params[1:]:
                W = W @ W_next.T
                b = W_next @ b + b_next
            return W, b
         '''),
]
