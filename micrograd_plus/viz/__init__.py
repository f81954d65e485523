"""Seeing backpropagation: graph drawing, a step-by-step backward explainer, training plots.

The plots need matplotlib (``pip install 'micrograd_plus[plot]'``); they are
imported on first use, so ``import micrograd_plus.viz`` works without it.
"""

from .graph import GraphvizNotInstalledError, draw_dot, draw_module, render

__all__ = ["GraphvizNotInstalledError", "draw_dot", "draw_module", "render"]
