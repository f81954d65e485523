"""micrograd_plus: a scalar autograd engine and a small neural-network library."""

from .engine import AnomalyError, Value, detect_anomaly, grad, is_grad_enabled, no_grad, sum_values

__version__ = "0.1.0"
__all__ = [
    "AnomalyError",
    "Value",
    "detect_anomaly",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "sum_values",
]
