"""micrograd_plus: a scalar autograd engine and a small neural-network library.

```python
from micrograd_plus import Value

a, b = Value(2.0, label="a"), Value(-3.0, label="b")
loss = (a * b).tanh()
loss.backward()  # a.grad, b.grad now hold d loss / d a, d loss / d b
```

Every name below is loaded on first use (PEP 562), so ``import micrograd_plus``
and ``import micrograd_plus.engine`` stay quick and load neither NumPy, graphviz,
tqdm nor matplotlib until a feature that needs them is used.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads these
    from . import data, losses, nn, optim, train
    from .compiler import CompiledFunction, CompiledStep, GuardError, compile, compile_step
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

    __version__: str

#: public name -> the submodule that defines it
_NAMES = {
    "AnomalyError": "engine",
    "Value": "engine",
    "detect_anomaly": "engine",
    "grad": "engine",
    "is_grad_enabled": "engine",
    "no_grad": "engine",
    "sum_values": "engine",
    "max_values": "engine",
    "min_values": "engine",
    "take": "engine",
    "CompiledFunction": "compiler",
    "GuardError": "compiler",
    "compile": "compiler",  # the function; its package is micrograd_plus.compiler
    "CompiledStep": "compiler",
    "compile_step": "compiler",
    "GradcheckError": "gradcheck",
    "gradcheck": "gradcheck",  # the function, likewise
    "load": "io",
    "save": "io",
    "EarlyStopping": "train",
    "History": "train",
    "fit": "train",
    "draw_dot": "viz",
    "draw_module": "viz",
    "explain_backward": "viz",
}
#: submodules that are public attributes themselves
_SUBMODULES = ("data", "losses", "nn", "optim", "train")

__all__ = [
    "AnomalyError",
    "CompiledFunction",
    "CompiledStep",
    "EarlyStopping",
    "GradcheckError",
    "GuardError",
    "History",
    "Value",
    "compile",
    "compile_step",
    "data",
    "detect_anomaly",
    "draw_dot",
    "draw_module",
    "explain_backward",
    "fit",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "load",
    "losses",
    "nn",
    "no_grad",
    "optim",
    "save",
    "sum_values",
    "train",
    "max_values",
    "min_values",
    "take",
]


def __getattr__(name: str) -> Any:
    """Import the submodule behind ``name`` on first use and cache the result."""
    if name == "__version__":
        from ._version import version

        value: Any = version()
    elif name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # next time, a plain attribute (no __getattr__ call)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})


class _Package(types.ModuleType):
    """Keeps ``micrograd_plus.gradcheck`` the function, whatever is imported first.

    Importing a submodule makes Python set it as an attribute of its package; for a
    submodule named like the function it defines, that would hide the function.
    (``compile`` lives in the ``compiler`` package, whose name shadows nothing.)
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _NAMES.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
