"""Layers and losses with PyTorch's names: ``import nnedu.nn as nn`` reads like ``torch.nn``."""

from nnedu import functional
from nnedu.nn.activation import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Step, Tanh
from nnedu.nn.container import Sequential
from nnedu.nn.dropout import Dropout
from nnedu.nn.linear import Linear
from nnedu.nn.loss import BCELoss, CrossEntropyLoss, MSELoss
from nnedu.nn.module import Module, Parameter

__all__ = [
    "functional", "Module", "Parameter", "Linear", "ReLU", "Sigmoid", "Tanh", "LeakyReLU",
    "Identity", "Step", "Softmax", "Dropout", "Sequential", "MSELoss", "BCELoss",
    "CrossEntropyLoss",
]
