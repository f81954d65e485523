"""micrograd_plus: a scalar autograd engine and a small neural-network library.

from micrograd_plus import Value
a, b = Value(2.0, label="a"), Value(-3.0, label="b")
loss = (a * b).tanh()
loss.backward()          # a.grad, b.grad now hold d loss / d a, d loss / d b
"""

from . import data, losses, nn, optim, train
from .compile import CompiledFunction, GuardError, compile
from .engine import (
    AnomalyError,
    Value,
    detect_anomaly,
    grad,
    is_grad_enabled,
    max_values,
    min_values,
    no_grad,
    sum_values,
    take,
)
from .gradcheck import GradcheckError, gradcheck
from .io import load, save
from .train import EarlyStopping, History, fit
from .viz import draw_dot, draw_module, explain_backward

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "CompiledFunction",
    "GuardError",
    "compile",
    "GradcheckError",
    "Value",
    "detect_anomaly",
    "draw_dot",
    "draw_module",
    "explain_backward",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "optim",
    "nn",
    "losses",
    "data",
    "save",
    "train",
    "fit",
    "History",
    "EarlyStopping",
    "load",
    "sum_values",
    "max_values",
    "min_values",
    "take",
]
