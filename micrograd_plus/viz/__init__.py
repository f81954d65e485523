"""Seeing backpropagation: graph drawing, the backward explainer and its player, training views.

The plots need matplotlib (``pip install 'micrograd_plus[plot]'``); they are
imported on first use, so ``import micrograd_plus.viz`` works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .graph import GraphvizNotInstalledError, draw_dot, draw_module, render
from .player import Player
from .steps import BackwardExplainer, Step, backward_steps, explain_backward
from .tikz import to_tikz

# Loaded on first use (module, names): matplotlib is an extra.
_LAZY = {
    "plots": ("plot_history", "plot_decision_boundary", "plot_grad_flow", "plot_lr"),
    "live": ("LivePlot", "Snapshots", "save_training_html"),
    "gradcheck_plot": ("plot_gradcheck",),
}

__all__ = [
    "BackwardExplainer",
    "GraphvizNotInstalledError",
    "Player",
    "Step",
    "backward_steps",
    "draw_dot",
    "draw_module",
    "explain_backward",
    "render",
    "to_tikz",
    *(name for names in _LAZY.values() for name in names),
]


# What type checkers see (these names are in __all__ through _LAZY); at run time
# __getattr__ loads them.
if TYPE_CHECKING:
    from .gradcheck_plot import plot_gradcheck  # noqa: F401
    from .live import LivePlot, Snapshots, save_training_html  # noqa: F401
    from .plots import plot_decision_boundary, plot_grad_flow, plot_history, plot_lr  # noqa: F401


def __getattr__(name: str) -> Any:
    """Load the plots (and matplotlib) and the live views only when one is asked for."""
    for module, names in _LAZY.items():
        if name in names:
            from importlib import import_module

            return getattr(import_module(f".{module}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
