"""Layers and losses with PyTorch's names: ``import nnedu.nn as nn`` reads like ``torch.nn``."""

from nnedu import functional
from nnedu.nn.activation import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Step, Tanh
from nnedu.nn.container import Sequential
from nnedu.nn.conv import Conv2d
from nnedu.nn.dropout import Dropout
from nnedu.nn.flatten import Flatten
from nnedu.nn.linear import Linear
from nnedu.nn.loss import BCELoss, CrossEntropyLoss, MSELoss
from nnedu.nn.module import Module, Parameter
from nnedu.nn.pooling import AvgPool2d, MaxPool2d

__all__ = [
    "functional", "Module", "Parameter", "Linear", "ReLU", "Sigmoid", "Tanh", "LeakyReLU",
    "Identity", "Step", "Softmax", "Dropout", "Sequential", "MSELoss", "BCELoss",
    "CrossEntropyLoss", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten",
]
