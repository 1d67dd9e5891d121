"""nnedu: the reference package of an executable course on neural networks.

Written in numpy with PyTorch's names and shapes, so that the last chapter can swap
the import. Layers of the package (each imports only those above it):

1. :mod:`nnedu.functional`: activations, softmax and their derivatives;
2. :mod:`nnedu.nn`: layers and losses with ``forward`` and ``backward``, and ``nn.init``;
3. :mod:`nnedu.optim` and :func:`nnedu.fit`: composing and training;
4. :mod:`nnedu.data`: data sets (its numpy-only ``batches`` is what ``fit`` uses);
5. :mod:`nnedu.viz` and :mod:`nnedu.widgets`: drawings and interactive steppers.

``import nnedu`` is fast: torch, scikit-learn, matplotlib and ipywidgets are imported
only by the functions and modules that need them.
"""

from nnedu import convolution, functional, nn, optim
from nnedu._memory import keep_freed_memory
from nnedu.gradcheck import numerical_gradient, relative_error
from nnedu.interop import to_torch
from nnedu.neuron import Neuron, Perceptron, PerceptronStep
from nnedu.nn import *  # noqa: F403  (the layers and losses, listed once, in nnedu.nn.__all__)
from nnedu.random import manual_seed
from nnedu.threads import default_threads, get_num_threads, set_num_threads
from nnedu.training import History, TrainingDiverged, accuracy, evaluate, fit, train_epoch

__version__ = "0.1.0"

keep_freed_memory()  # numpy's per-step temporaries reused instead of re-mapped (see nnedu/_memory.py)
default_threads()    # one BLAS thread: small products, no waiting on a busy core (see nnedu/threads.py)


_LAZY_MODULES = ("data", "viz", "widgets")


def __getattr__(name: str) -> object:
    # Imported on first use: nnedu.data may need scikit-learn, nnedu.viz and
    # nnedu.widgets need matplotlib and ipywidgets; ``import nnedu`` needs neither.
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f"nnedu.{name}")
    if name == "check":  # nnedu.check("q1") in an exercise notebook
        from nnedu.grading.check import check

        return check
    if name == "demo":  # with nnedu.demo(): ... in an exercise notebook
        from nnedu.grading.check import demo

        return demo
    raise AttributeError(f"module 'nnedu' has no attribute {name!r}")


# ``from nnedu import *`` gives the layers and the training functions; the lazy modules
# (data, viz, widgets) are left out so that it never imports matplotlib or ipywidgets.
__all__ = [
    "functional", "convolution", "nn", "optim", "numerical_gradient", "relative_error", "Neuron",
    "Perceptron", "PerceptronStep", "manual_seed", "History", "TrainingDiverged", "accuracy",
    "evaluate", "fit", "train_epoch", "to_torch", "set_num_threads", "get_num_threads", *nn.__all__,
]
