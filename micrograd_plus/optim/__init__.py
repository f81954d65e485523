"""Optimizers, learning-rate schedulers and gradient clipping, laid out like ``torch.optim``.

``from micrograd_plus.optim import SGD`` and ``micrograd_plus.optim.lr_scheduler.StepLR``
work as they do in PyTorch. The optimizers and clipping live in ``optimizers.py``;
the schedulers, which only need the ``Optimizer`` base class, in ``lr_scheduler.py``.
"""

from . import lr_scheduler
from .optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    Optimizer,
    ParamsT,
    RMSprop,
    clip_grad_norm_,
    clip_grad_value_,
)

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "ParamsT",
    "RMSprop",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
]
