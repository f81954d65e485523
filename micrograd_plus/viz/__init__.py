"""Seeing backpropagation: graph drawing, a step-by-step backward explainer, training plots.

The plots need matplotlib (``pip install 'micrograd_plus[plot]'``); they are
imported on first use, so ``import micrograd_plus.viz`` works without it.
"""

from __future__ import annotations

from .graph import GraphvizNotInstalledError, draw_dot, draw_module, render
from .steps import BackwardExplainer, Step, backward_steps, explain_backward

_PLOTS = ("plot_history", "plot_decision_boundary", "plot_grad_flow", "plot_lr")
_LIVE = ("LivePlot", "Snapshots", "save_training_html")

__all__ = [
    "BackwardExplainer",
    "GraphvizNotInstalledError",
    "Step",
    "backward_steps",
    "draw_dot",
    "draw_module",
    "explain_backward",
    "render",
    *_PLOTS,
    *_LIVE,
]


def __getattr__(name: str):
    """Load the plots (and matplotlib) and the live views only when one is asked for."""
    if name in _PLOTS:
        from . import plots

        return getattr(plots, name)
    if name in _LIVE:
        from . import live

        return getattr(live, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
