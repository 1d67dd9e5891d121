"""Common mistakes of exercise 12, each written as a student would: tests/test_mistakes.py replaces the named
function's solution region in solutions/12_pytorch.ipynb with `code` and asserts that nnedu.check and nnedu grade
name the mistake."""

FLOAT32 = "float32 instead of float64 (torch's default dtype met the float64 data)"

MISTAKES = [
    # q1: autograd's gradients of Linear-ReLU-Linear with cross-entropy
    dict(question="q1", name="softmax probabilities fed to cross_entropy, which expects logits",
         function="mlp_loss_and_grads", code='''
        params = [torch.tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
        W1_t, b1_t, W2_t, b2_t = params
        A1 = torch.relu(torch.tensor(X) @ W1_t.T + b1_t)
        probabilities = torch.softmax(A1 @ W2_t.T + b2_t, dim=1)
        loss = torch.nn.functional.cross_entropy(probabilities, torch.tensor(y))
        loss.backward()
        return loss.item(), [p.grad.numpy() for p in params]
    '''),
    dict(question="q1", name=FLOAT32, function="mlp_loss_and_grads", code='''
        params = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in (W1, b1, W2, b2)]
        W1_t, b1_t, W2_t, b2_t = params
        A1 = torch.relu(torch.tensor(X, dtype=torch.float32) @ W1_t.T + b1_t)
        Z2 = A1 @ W2_t.T + b2_t
        loss = torch.nn.functional.cross_entropy(Z2, torch.tensor(y))
        loss.backward()
        return loss.item(), [p.grad.numpy() for p in params]
    '''),
    dict(question="q1", name="the loss summed over the batch instead of averaged (reduction='sum')",
         function="mlp_loss_and_grads", code='''
        params = [torch.tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
        W1_t, b1_t, W2_t, b2_t = params
        A1 = torch.relu(torch.tensor(X) @ W1_t.T + b1_t)
        Z2 = A1 @ W2_t.T + b2_t
        loss = torch.nn.functional.cross_entropy(Z2, torch.tensor(y), reduction="sum")
        loss.backward()
        return loss.item(), [p.grad.numpy() for p in params]
    '''),
    # q3: the decks' Keras MLP in torch.nn
    dict(question="q3", name="kernel loaded without transposing (Keras stores (in, out), torch.nn.Linear (out, in))",
         function="load_keras_weights", code='''
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for layer, kernel, bias in zip(linears, kernels, biases):
                layer.weight.copy_(torch.tensor(kernel))
                layer.bias.copy_(torch.tensor(bias))
    '''),
    dict(question="q3",
         name="softmax kept at the end of the model (a PyTorch model returns logits: the loss applies log-softmax)",
         function="KerasMLP", region=1, code='''
        return torch.softmax(self.layers(x), dim=1)
    '''),
    dict(question="q3", name="model left in training mode: dropout still on (call model.eval() before predicting)",
         function="keras_mlp_logits", code='''
        sizes = (kernels[0].shape[0], kernels[0].shape[1], kernels[1].shape[1], kernels[2].shape[1])
        model = KerasMLP(sizes, p_drop)
        load_keras_weights(model, kernels, biases)
        with torch.no_grad():
            return model(torch.tensor(X)).numpy()
    '''),
    dict(question="q3", name=FLOAT32, function="KerasMLP", region=0, code='''
        n_in, h1, h2, n_out = sizes
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(n_in, h1), torch.nn.ReLU(), torch.nn.Dropout(p_drop),
            torch.nn.Linear(h1, h2), torch.nn.ReLU(), torch.nn.Dropout(p_drop),
            torch.nn.Linear(h2, n_out),
        )
    '''),
    # q5: one epoch with a DataLoader and torch.optim.SGD
    dict(question="q5", name="zero_grad forgotten: the gradients of earlier batches accumulate in .grad",
         function="train_one_epoch", code='''
        (hidden, inputs), classes = params["0.weight"].shape, params["2.weight"].shape[0]
        model = torch.nn.Sequential(torch.nn.Linear(inputs, hidden), torch.nn.ReLU(),
                                    torch.nn.Linear(hidden, classes)).double()
        model.load_state_dict({name: torch.tensor(value) for name, value in params.items()})
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                             batch_size=batch_size)
        loss_fn = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        losses = []
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
    '''),
    dict(question="q5", name="step before backward: zero_grad then step find no gradient, so the weights never change",
         function="train_one_epoch", code='''
        (hidden, inputs), classes = params["0.weight"].shape, params["2.weight"].shape[0]
        model = torch.nn.Sequential(torch.nn.Linear(inputs, hidden), torch.nn.ReLU(),
                                    torch.nn.Linear(hidden, classes)).double()
        model.load_state_dict({name: torch.tensor(value) for name, value in params.items()})
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                             batch_size=batch_size)
        loss_fn = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        losses = []
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            optimizer.step()
            loss.backward()
            losses.append(loss.item())
        return losses, {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
    '''),
    dict(question="q5", name=FLOAT32, function="train_one_epoch", code='''
        (hidden, inputs), classes = params["0.weight"].shape, params["2.weight"].shape[0]
        model = torch.nn.Sequential(torch.nn.Linear(inputs, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, classes))
        model.load_state_dict({name: torch.tensor(value) for name, value in params.items()})
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                             batch_size=batch_size)
        loss_fn = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        losses = []
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
    '''),
    dict(question="q5", name="softmax probabilities fed to CrossEntropyLoss, which expects logits",
         function="train_one_epoch", code='''
        (hidden, inputs), classes = params["0.weight"].shape, params["2.weight"].shape[0]
        model = torch.nn.Sequential(torch.nn.Linear(inputs, hidden), torch.nn.ReLU(),
                                    torch.nn.Linear(hidden, classes), torch.nn.Softmax(dim=1)).double()
        model.load_state_dict({name: torch.tensor(value) for name, value in params.items()})
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(y)),
                                             batch_size=batch_size)
        loss_fn = torch.nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        losses = []
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, {name: value.detach().numpy().copy() for name, value in model.state_dict().items()}
    '''),
    # q2, q4 and q6 (derive, predict): answers with a recognised wrong reasoning
    dict(question="q2", name="the sum over the batch, not the mean (CrossEntropyLoss averages)", function="q2_loss",
         code='''
        return 0.23956 + 1.34901
    '''),
    dict(question="q4", name="the biases were not counted", function="q4_cnn_parameters", code='''
        return 1 * 32 * 9 + 32 * 64 * 9 + 64 * 12 * 12 * 128 + 128 * 10
    '''),
    dict(question="q4", name="the convolutions were taken as padded (28 -> 28 -> 28, pooled to 14)",
         function="q4_cnn_features", code='''
        return 64 * 14 * 14
    '''),
    dict(question="q6", name="backward was taken to overwrite .grad (it adds to it until zero_grad)",
         function="q6_grad_after_two_backwards", code='''
        return [2.0, 4.0]
    '''),
    dict(question="q6", name="zero_grad clears the gradient before step could use it, every time round the loop",
         function="q6_step_before_backward", code='''
        return "a"
    '''),
]
