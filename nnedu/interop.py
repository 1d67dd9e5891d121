"""From nnedu to PyTorch (chapter 11): the same network, the same weights, in ``torch.nn``.

Because nnedu uses PyTorch's names, shapes and weight layouts, converting a model is a
table lookup per layer and a copy of each parameter: no transposes, no reshapes.
torch is imported inside :func:`to_torch`, so ``import nnedu`` never loads it.
"""

from __future__ import annotations

from nnedu.nn.module import Module


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _convert(layer: Module, torch_nn, copy):
    """The ``torch.nn`` twin of one nnedu layer."""
    name = type(layer).__name__
    simple = {"ReLU": torch_nn.ReLU, "Sigmoid": torch_nn.Sigmoid, "Tanh": torch_nn.Tanh,
              "Identity": torch_nn.Identity}
    if name in simple:
        return simple[name]()
    if name == "Sequential":
        return torch_nn.Sequential(*(_convert(child, torch_nn, copy) for child in layer.layers))
    if name == "Linear":
        twin = torch_nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
        return copy(layer, twin)
    if name == "Conv2d":
        twin = torch_nn.Conv2d(layer.in_channels, layer.out_channels, _pair(layer.kernel_size),
                               stride=_pair(layer.stride), padding=_pair(layer.padding),
                               bias=layer.bias is not None)
        return copy(layer, twin)
    if name == "MaxPool2d":
        return torch_nn.MaxPool2d(layer.kernel_size, stride=layer.stride)
    if name == "AvgPool2d":
        return torch_nn.AvgPool2d(layer.kernel_size, stride=layer.stride)
    if name == "Flatten":
        return torch_nn.Flatten(getattr(layer, "start_dim", 1))
    if name == "LeakyReLU":
        return torch_nn.LeakyReLU(layer.negative_slope)
    if name == "Softmax":
        return torch_nn.Softmax(dim=layer.dim)
    if name == "Dropout":
        return torch_nn.Dropout(layer.p)
    raise TypeError(
        f"to_torch does not know how to convert {layer!r}: it converts Sequential, Linear, "
        f"Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, Softmax and the activations "
        f"ReLU, Sigmoid, Tanh, LeakyReLU, Identity ({name} has no torch.nn twin here)"
    )


def to_torch(model: Module, dtype=None):
    """Return a ``torch.nn`` module equivalent to ``model``, with copies of its weights.

    ``dtype`` defaults to the dtype of the model's parameters (float64 stays float64).
    The copy is independent: training one does not change the other. The torch module
    is in the same train/eval mode as ``model``.
    """
    import numpy as np
    import torch

    params = model.parameters()
    if dtype is None:
        dtype = torch.float64 if (not params or params[0].data.dtype == np.float64) else torch.float32

    pairs = []  # (nnedu layer, torch twin): weights are copied once the twin has its dtype

    def copy(layer: Module, twin):
        pairs.append((layer, twin))
        return twin

    twin = _convert(model, torch.nn, copy).to(dtype)
    with torch.no_grad():
        for layer, layer_twin in pairs:
            layer_twin.weight.copy_(torch.from_numpy(np.array(layer.weight.data)))
            if layer.bias is not None:
                layer_twin.bias.copy_(torch.from_numpy(np.array(layer.bias.data)))
    return twin.train(model.training)
