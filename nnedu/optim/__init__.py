r"""Optimizers: turn the gradients in ``param.grad`` into a step on ``param.data``.

With PyTorch's names, defaults and update order, so that the same hyper-parameters mean
the same thing in both: :class:`SGD` (chapter 7; momentum, Nesterov, weight decay),
:class:`RMSprop`, :class:`Adam` and :class:`AdamW`, all taking parameters or parameter
groups (:mod:`nnedu.optim.optimizer`), and the schedules of :mod:`nnedu.optim.lr_scheduler`.
"""

from nnedu.optim import lr_scheduler
from nnedu.optim.adam import Adam, AdamW
from nnedu.optim.optimizer import Optimizer
from nnedu.optim.rmsprop import RMSprop
from nnedu.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "lr_scheduler"]
