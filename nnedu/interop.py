"""From nnedu to PyTorch (chapter 12): the same network, the same weights, in ``torch.nn``.

Because nnedu uses PyTorch's names, shapes and state-dict keys, converting a model is
two steps: build the ``torch.nn`` twin layer by layer (a table lookup), then
``twin.load_state_dict(model.state_dict())``: no transposes, no reshapes, and batch
normalisation's running statistics travel with the weights. torch is imported inside
:func:`to_torch`, so ``import nnedu`` never loads it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnedu.nn.module import Module


def _twin(layer: Any, torch_nn: Any) -> Any:
    """The ``torch.nn`` twin of one nnedu layer, with torch's own (random) weights for now."""
    name = type(layer).__name__
    simple = {"ReLU": torch_nn.ReLU, "Sigmoid": torch_nn.Sigmoid, "Tanh": torch_nn.Tanh,
              "Identity": torch_nn.Identity}
    if name in simple:
        return simple[name]()
    if name == "Sequential":
        return torch_nn.Sequential(*(_twin(child, torch_nn) for child in layer.children()))
    if name == "Linear":
        return torch_nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
    if name == "Conv2d":
        return torch_nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, stride=layer.stride,
                               padding=layer.padding, bias=layer.bias is not None)
    if name in ("BatchNorm1d", "BatchNorm2d"):
        return getattr(torch_nn, name)(layer.num_features, eps=layer.eps, momentum=layer.momentum,
                                       affine=layer.affine, track_running_stats=layer.track_running_stats)
    if name == "MaxPool2d":
        return torch_nn.MaxPool2d(layer.kernel_size, stride=layer.stride)
    if name == "AvgPool2d":
        return torch_nn.AvgPool2d(layer.kernel_size, stride=layer.stride)
    if name == "Flatten":
        return torch_nn.Flatten(layer.start_dim)
    if name == "LeakyReLU":
        return torch_nn.LeakyReLU(layer.negative_slope)
    if name == "Softmax":
        return torch_nn.Softmax(dim=layer.dim)
    if name == "Dropout":
        return torch_nn.Dropout(layer.p)
    raise TypeError(
        f"to_torch does not know how to convert {layer!r}: it converts Sequential, Linear, "
        f"Conv2d, BatchNorm1d, BatchNorm2d, MaxPool2d, AvgPool2d, Flatten, Dropout, Softmax and "
        f"the activations ReLU, Sigmoid, Tanh, LeakyReLU, Identity ({name} has no torch.nn twin here)"
    )


def to_torch(model: Module, dtype: Any = None) -> Any:
    """Return a ``torch.nn`` module equivalent to ``model``, with copies of its state.

    ``dtype`` defaults to the dtype of the model's parameters (float64 stays float64).
    The copy is independent: training one does not change the other. The torch module
    is in the same train/eval mode as ``model``.
    """
    import torch

    params = model.parameters()
    if dtype is None:
        dtype = torch.float64 if (not params or params[0].data.dtype == np.float64) else torch.float32
    twin = _twin(model, torch.nn).to(dtype)
    state = {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in model.state_dict().items()}
    twin.load_state_dict(state)
    return twin.train(model.training)
