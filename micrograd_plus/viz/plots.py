"""Training plots with matplotlib: loss curves, decision boundaries, gradient flow, lr.

matplotlib comes with the ``plot`` extra and is imported on first use.
Every function returns the matplotlib ``Figure`` and accepts an ``ax`` to
draw into an existing figure.  A history is ``fit()``'s ``History`` or its
``to_dict()``: ``epochs``, ``train`` / ``val`` (metric -> per-epoch values),
``lr``, ``grad_norms`` (layer -> per-epoch norm), ``time``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..train import grad_norm_per_layer, parameters_by_layer, predict_classes

_TRAIN_COLOR = "#1f77b4"
_VAL_COLOR = "#ff7f0e"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as missing:
        raise ImportError(
            "the plots need matplotlib: pip install 'micrograd_plus[plot]'"
        ) from missing
    return plt


def _axes(ax, **subplot_options):
    """(figure, axes): the given axes' figure, or a new figure with one axes."""
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(layout="constrained", **subplot_options)
        return fig, ax
    return ax.figure, ax


def _history_dict(history: Any) -> Mapping:
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    if not isinstance(history, Mapping):
        raise TypeError(
            f"expected a History (from fit) or its to_dict(), got {type(history).__name__}"
        )
    return history


def _epochs(history: Mapping, n: int) -> list:
    epochs = list(history.get("epochs") or [])
    return epochs if len(epochs) == n else list(range(1, n + 1))


# --- plot_history ---------------------------------------------------------------------


def plot_history(history: Any, metrics: Sequence[str] | None = None, ax=None, logy: bool = False):
    """Loss and metrics per epoch, train (solid) vs validation (dashed), one panel each.

    ``metrics`` picks the panels (default: every training metric, loss first).
    ``ax`` is one axes (for one metric) or a sequence with one axes per metric.
    """
    history = _history_dict(history)
    train, val = dict(history.get("train") or {}), dict(history.get("val") or {})
    if metrics is None:
        metrics = sorted(train, key=lambda name: (name != "loss", name))
    metrics = list(metrics)
    if not metrics:
        raise ValueError("plot_history: the history has no training metrics to plot")
    unknown = [m for m in metrics if m not in train and m not in val]
    if unknown:
        raise ValueError(
            f"plot_history: no metric {unknown} in the history; it has {sorted(train)}"
        )
    empty = [m for m in metrics if not train.get(m) and not val.get(m)]
    if empty:
        raise ValueError(
            f"plot_history: the history has no values for {empty} (no epoch recorded yet?); "
            "plot it after fit has run at least one epoch"
        )
    fig, axes = _history_axes(ax, len(metrics))
    for metric, axis in zip(metrics, axes):
        for series, name, color, style in (
            (train, "train", _TRAIN_COLOR, "-"),
            (val, "validation", _VAL_COLOR, "--"),
        ):
            values = list(series.get(metric) or [])
            if values:
                epochs = _epochs(history, len(values))
                axis.plot(epochs, values, style, color=color, label=name, marker=".")
        axis.set_title(metric)
        _whole_epochs(axis)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        if logy:
            axis.set_yscale("log")
        axis.grid(alpha=0.3)
        axis.legend()
    return fig


def _history_axes(ax, count: int):
    if ax is None:
        plt = _pyplot()
        fig, axes = plt.subplots(
            1, count, figsize=(4.5 * count, 3.6), squeeze=False, layout="constrained"
        )
        return fig, list(axes[0])
    if hasattr(ax, "flat"):  # a NumPy array of axes, as plt.subplots returns
        axes = list(ax.flat)
    elif isinstance(ax, Sequence):
        axes = list(ax)
    else:
        axes = [ax]
    if len(axes) != count:
        raise ValueError(
            f"plot_history: {count} metrics need {count} axes, got {len(axes)}; "
            f"pass metrics=[...] to choose fewer"
        )
    return axes[0].figure, axes


# --- plot_decision_boundary -----------------------------------------------------------


def plot_decision_boundary(model, X, y, ax=None, resolution: int = 60, margin: float = 0.5):
    """Regions a 2-input classifier assigns to each class, with the data on top.

    One output: class by the score's sign (score > 0 is the positive class,
    whether labels are 0/1 or -1/1).  Several outputs: the argmax.  The
    grid (``resolution`` × ``resolution`` points) is classified by
    ``train.predict_classes``: in eval mode (no random Dropout masks, BatchNorm
    uses its running statistics) and under ``no_grad``.
    """
    points, labels = _check_points(X, y)
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    xs = _linspace(
        min(p[0] for p in points) - margin, max(p[0] for p in points) + margin, resolution
    )
    ys = _linspace(
        min(p[1] for p in points) - margin, max(p[1] for p in points) + margin, resolution
    )
    sign_labels = min(labels) < 0
    flat = predict_classes(model, [[gx, gy] for gy in ys for gx in xs], sign_labels)
    grid = [flat[row * resolution : (row + 1) * resolution] for row in range(resolution)]
    classes = sorted(set(labels) | {c for row in grid for c in row})
    vmin, vmax = classes[0], classes[-1]
    fig, axis = _axes(ax, figsize=(5, 5))
    shade = dict(cmap="Spectral", alpha=0.6, vmin=vmin, vmax=vmax)
    if len(classes) <= 2:  # smooth filled contours, as in micrograd's demo
        axis.contourf(xs, ys, grid, levels=[vmin - 0.5, (vmin + vmax) / 2, vmax + 0.5], **shade)
    else:  # contours would draw a band of the middle class between two others
        axis.pcolormesh(xs, ys, grid, shading="nearest", **shade)
    axis.scatter(
        [p[0] for p in points],
        [p[1] for p in points],
        c=labels,
        cmap="Spectral",
        vmin=vmin,
        vmax=vmax,
        s=25,
        edgecolors="black",
        linewidths=0.5,
    )
    axis.set_xlim(xs[0], xs[-1])
    axis.set_ylim(ys[0], ys[-1])
    axis.set_xlabel("x1")
    axis.set_ylabel("x2")
    axis.set_title("decision boundary")
    return fig


def _check_points(X, y) -> tuple[list[tuple[float, float]], list[int]]:
    points = [_point(row, i) for i, row in enumerate(X)]
    labels = [_label(v, i) for i, v in enumerate(y)]
    if not points:
        raise ValueError("plot_decision_boundary: X is empty")
    if any(len(p) != 2 for p in points):
        raise ValueError(
            "plot_decision_boundary needs 2-D inputs: each row of X must have 2 numbers"
        )
    if len(labels) != len(points):
        raise ValueError(f"X has {len(points)} rows but y has {len(labels)} labels")
    return points, labels


def _point(row, i: int) -> tuple[float, ...]:
    if isinstance(row, str | bytes) or not isinstance(row, Iterable):
        raise TypeError(f"plot_decision_boundary: X[{i}] must be a pair of numbers, got {row!r}")
    coords = tuple(row)
    for c in coords:
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not math.isfinite(c):
            raise ValueError(f"plot_decision_boundary: X[{i}] is {row!r}; expected finite numbers")
    return tuple(float(c) for c in coords)


def _label(value, i: int) -> int:
    """A class label as an int; 1.0 is fine, 0.7 is not a class (never truncated to 0)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or not float(value).is_integer()
    ):
        raise ValueError(
            f"plot_decision_boundary: y[{i}] is {value!r}, expected a class label "
            "(a whole number such as 0, 1 or -1)"
        )
    return int(value)


def _linspace(lo: float, hi: float, n: int) -> list[float]:
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


# --- plot_grad_flow -------------------------------------------------------------------


def plot_grad_flow(source: Any, ax=None):
    """Gradient norm per layer: over epochs from a history, or the current one from a model.

    Log scale, so vanishing (tiny) and exploding (huge) gradients stand out.
    """
    if hasattr(source, "parameters"):
        return _grad_flow_of_model(source, ax)
    history = _history_dict(source)
    norms = dict(history.get("grad_norms") or {})
    if not norms:
        raise ValueError(
            "plot_grad_flow: the history has no grad_norms; "
            "record them during training or pass a model"
        )
    fig, axis = _axes(ax, figsize=(6, 4))
    # One colour per layer along a colormap, input side dark to output side light:
    # depth reads off the colour, and deep nets never repeat a colour.
    colormap = _pyplot().get_cmap("viridis")
    for i, (layer, values) in enumerate(norms.items()):
        values = list(values)
        color = colormap(i / max(1, len(norms) - 1) * 0.9)
        axis.plot(
            _epochs(history, len(values)), _positive(values), marker=".", color=color,
            label=str(layer),
        )  # fmt: skip
    axis.set_yscale("log")
    _whole_epochs(axis)
    axis.set_xlabel("epoch")
    axis.set_ylabel("gradient norm")
    axis.set_title("gradient flow")
    axis.grid(alpha=0.3, which="both")
    if len(norms) > 4:  # many layers: the legend goes beside the plot, not over the lines
        axis.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    else:
        axis.legend(fontsize="small")
    return fig


def _grad_flow_of_model(model, ax):
    by_layer = grad_norm_per_layer(parameters_by_layer(model))
    names = list(by_layer)
    norms = list(by_layer.values())
    fig, axis = _axes(ax, figsize=(max(5.0, 1.2 * len(names)), 4))
    positions = range(len(names))
    axis.bar(positions, _positive(norms), color=_TRAIN_COLOR)
    axis.set_xticks(list(positions), names, rotation=30 if len(names) > 5 else 0)
    if any(value > 0.0 for value in norms):  # all zeros (before backward) cannot be logged
        axis.set_yscale("log")
    axis.set_ylabel("gradient norm")
    axis.set_title("gradient norm per layer")
    axis.grid(alpha=0.3, axis="y", which="both")
    for x, value in zip(positions, norms):
        if value == 0.0:
            axis.annotate("0", (x, 0), xycoords=("data", "axes fraction"), ha="center", va="bottom")
    return fig


def _whole_epochs(axis) -> None:
    """Epochs are whole numbers: no 2.5 ticks on short runs."""
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def _positive(values: list) -> list[float]:
    """Zeros cannot be drawn on a log scale: they become NaN (a gap) instead of an error."""
    return [float(v) if float(v) > 0.0 else math.nan for v in values]


# --- plot_lr --------------------------------------------------------------------------


def plot_lr(history: Any, ax=None, logy: bool = False):
    """The learning rate used at each epoch (to check a scheduler)."""
    history = _history_dict(history)
    lr = list(history.get("lr") or [])
    if not lr:
        raise ValueError("plot_lr: the history has no learning rates (lr is empty)")
    fig, axis = _axes(ax, figsize=(6, 3.5))
    axis.plot(_epochs(history, len(lr)), lr, marker=".", color=_TRAIN_COLOR)
    if logy:
        axis.set_yscale("log")
    _whole_epochs(axis)
    axis.set_xlabel("epoch")
    axis.set_ylabel("learning rate")
    axis.set_title("learning rate schedule")
    axis.grid(alpha=0.3)
    return fig
