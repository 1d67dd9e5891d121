"""Interactive steppers: live ipywidgets apps in Jupyter, recorded HTML players in the book.

Each widget is built on the ``nnedu`` core (optimisers, layers, the perceptron), never
on a second implementation of the maths. See :mod:`nnedu.widgets._base` for the two
render modes.
"""

from nnedu.widgets._base import Stepper, static_mode
from nnedu.widgets.backprop import BackpropStepper
from nnedu.widgets.explorers import (
    ActivationExplorer,
    ConvolutionExplorer,
    SoftmaxExplorer,
)
from nnedu.widgets.gradient_descent import GradientDescent1D, GradientDescent2D
from nnedu.widgets.optimizers import OptimizerRace
from nnedu.widgets.perceptron import PerceptronStepper
from nnedu.widgets.playground import Playground

__all__ = [
    "ActivationExplorer",
    "BackpropStepper",
    "ConvolutionExplorer",
    "GradientDescent1D",
    "GradientDescent2D",
    "OptimizerRace",
    "PerceptronStepper",
    "Playground",
    "SoftmaxExplorer",
    "Stepper",
    "static_mode",
]
