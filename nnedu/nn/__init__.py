"""Layers and losses with PyTorch's names: ``import nnedu.nn as nn`` reads like ``torch.nn``.

A new layer needs its module here, one import line below, and its name in ``__all__``
(which ``nnedu`` re-exports); see CONTRIBUTING.md.
"""

from nnedu import functional  # noqa: F401  (nn.functional, as in torch)
from nnedu.nn import init, utils  # noqa: F401  (nn.init and nn.utils, as in torch)
from nnedu.nn.activation import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Step, Tanh
from nnedu.nn.batchnorm import BatchNorm1d, BatchNorm2d
from nnedu.nn.container import Sequential
from nnedu.nn.conv import Conv2d
from nnedu.nn.dropout import Dropout
from nnedu.nn.flatten import Flatten
from nnedu.nn.linear import Linear
from nnedu.nn.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nnedu.nn.module import Module, Parameter
from nnedu.nn.pooling import AvgPool2d, MaxPool2d

__all__ = [
    "Module", "Parameter", "Linear", "ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Identity", "Step",
    "Softmax", "Dropout", "BatchNorm1d", "BatchNorm2d", "Sequential", "MSELoss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten",
]
