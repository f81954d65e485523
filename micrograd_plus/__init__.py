"""micrograd_plus: a scalar autograd engine and a small neural-network library.

    from micrograd_plus import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    loss = (a * b).tanh()
    loss.backward()          # a.grad, b.grad now hold d loss / d a, d loss / d b
"""

from .engine import (
    AnomalyError,
    Value,
    detect_anomaly,
    grad,
    is_grad_enabled,
    no_grad,
    sum_values,
)
from .gradcheck import GradcheckError, gradcheck

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "GradcheckError",
    "Value",
    "detect_anomaly",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "sum_values",
]
