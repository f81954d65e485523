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
from typing import TYPE_CHECKING, Any, overload

from ..train import grad_norm_per_layer, parameters_by_layer, predict
from ._files import pyplot

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from ..module import Model

_TRAIN_COLOR = "#0072B2"  # the course palette (CLASS_COLORS below): blue
_VAL_COLOR = "#D55E00"  # and vermillion


def _axes(ax: Axes | None, **subplot_options: Any) -> tuple[Figure | SubFigure, Axes]:
    """(figure, axes): the given axes' figure, or a new figure with one axes."""
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(layout="constrained", **subplot_options)
        return fig, ax
    return ax.figure, ax


def _history_dict(history: Any) -> Mapping[str, Any]:
    if hasattr(history, "to_dict"):
        history = history.to_dict()
    if not isinstance(history, Mapping):
        raise TypeError(
            f"expected a History (from fit) or its to_dict(), got {type(history).__name__}"
        )
    return history


def _epochs(history: Mapping[str, Any], n: int) -> list[int]:
    epochs = list(history.get("epochs") or [])
    return epochs if len(epochs) == n else list(range(1, n + 1))


# --- plot_history ---------------------------------------------------------------------


@overload
def plot_history(
    history: Any, metrics: Sequence[str] | None = ..., ax: None = ..., logy: bool = ...
) -> Figure: ...
@overload
def plot_history(
    history: Any, metrics: Sequence[str] | None, ax: Axes | Iterable[Axes], logy: bool = ...
) -> Figure | SubFigure: ...
@overload
def plot_history(
    history: Any,
    metrics: Sequence[str] | None = ...,
    *,
    ax: Axes | Iterable[Axes],
    logy: bool = ...,
) -> Figure | SubFigure: ...
def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    ax: Axes | Iterable[Axes] | None = None,
    logy: bool = False,
) -> Figure | SubFigure:
    """Loss and metrics per epoch, train (solid) vs validation (dashed), one panel each.

    ``metrics`` picks the panels (default: every training metric, loss first).
    ``ax`` is one axes (for one metric) or a sequence with one axes per metric.
    ``history`` is a :class:`History` or its ``to_dict()``. Returns the figure drawn on
    (a new one when ``ax`` is None).
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


def _history_axes(
    ax: Axes | Iterable[Axes] | None, count: int
) -> tuple[Figure | SubFigure, list[Axes]]:
    if ax is None:
        plt = pyplot()
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

# One colour per class for every figure of the course and the demo: the Okabe-Ito palette,
# distinct for colour-blind readers and dark enough to read on white (no pale yellow).
CLASS_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def class_color(index: int) -> str:
    """The colour of the ``index``-th class (classes sorted: 0 or -1 first)."""
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def decision_grid(
    model: Model,
    X: Iterable[Iterable[float]],
    resolution: int = 60,
    margin: float = 0.5,
    sign_labels: bool = False,
) -> tuple[list[float], list[float], list[list[int]], list[list[float]]]:
    """What ``plot_decision_boundary`` draws: ``(xs, ys, classes, confidence)`` on a grid.

    ``classes[row][col]`` is the class at ``(xs[col], ys[row])``; ``confidence`` is the
    model's probability for it: ``sigmoid(score)`` (or 1 - it) for one output, the top
    ``softmax`` probability for several.  Run in eval mode under ``no_grad``.
    """
    xs, ys, probabilities = _grid_probabilities(model, X, resolution, margin)
    return (xs, ys, *_classes_and_confidence(probabilities, resolution, sign_labels))


def _classes_and_confidence(
    probabilities: list[list[float]], resolution: int, sign_labels: bool
) -> tuple[list[list[int]], list[list[float]]]:
    negative = -1 if sign_labels else 0
    classes: list[int] = []
    confidence: list[float] = []
    for probs in probabilities:
        best = probs.index(max(probs))
        classes.append((1 if best else negative) if len(probs) == 2 else best)
        confidence.append(probs[best])
    rows = range(resolution)
    grid = [classes[r * resolution : (r + 1) * resolution] for r in rows]
    sure = [confidence[r * resolution : (r + 1) * resolution] for r in rows]
    return grid, sure


def _grid_probabilities(
    model: Model, X: Iterable[Iterable[float]], resolution: int, margin: float
) -> tuple[list[float], list[float], list[list[float]]]:
    """The grid's xs and ys, and each grid point's class probabilities (row by row).

    One output gives ``[1 - sigmoid(score), sigmoid(score)]``; several give their softmax.
    """
    points = [tuple(float(c) for c in row) for row in X]
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    xs = _linspace(
        min(p[0] for p in points) - margin, max(p[0] for p in points) + margin, resolution
    )
    ys = _linspace(
        min(p[1] for p in points) - margin, max(p[1] for p in points) + margin, resolution
    )
    probabilities: list[list[float]] = []
    for out in predict(model, [[gx, gy] for gy in ys for gx in xs]):
        scores = out if isinstance(out, list) else [out]
        if len(scores) == 1:
            positive = _sigmoid(scores[0])
            probabilities.append([1.0 - positive, positive])
        else:
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            total = math.fsum(weights)
            probabilities.append([w / total for w in weights])
    return xs, ys, probabilities


def _sigmoid(score: float) -> float:
    if score >= 0:
        return 1.0 / (1.0 + math.exp(-score))
    z = math.exp(score)
    return z / (1.0 + z)


@overload
def plot_decision_boundary(
    model: Model,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    ax: None = ...,
    resolution: int = ...,
    margin: float = ...,
    legend: bool = ...,
) -> Figure: ...
@overload
def plot_decision_boundary(
    model: Model,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    ax: Axes,
    resolution: int = ...,
    margin: float = ...,
    legend: bool = ...,
) -> Figure | SubFigure: ...
def plot_decision_boundary(
    model: Model,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    ax: Axes | None = None,
    resolution: int = 60,
    margin: float = 0.5,
    legend: bool = True,
) -> Figure | SubFigure:
    """Regions a 2-input classifier assigns to each class, shaded by confidence, data on top.

    One output: class by the score's sign (score > 0 is the positive class, whether
    labels are 0/1 or -1/1), confidence ``sigmoid(score)``.  Several outputs: the argmax,
    confidence the top softmax probability.  A region is pale where the model is unsure
    and full where it is sure; a black line marks the boundary.  Every class keeps its
    colour from ``CLASS_COLORS`` across figures, named in the legend. Returns the figure
    drawn on (a new one when ``ax`` is None).
    """
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D

    points, labels = _check_points(X, y)
    sign_labels = min(labels) < 0
    xs, ys, probabilities = _grid_probabilities(model, points, resolution, margin)
    grid, sure = _classes_and_confidence(probabilities, resolution, sign_labels)
    classes = sorted(set(labels) | {c for row in grid for c in row})
    colour_of = {c: to_rgb(class_color(i)) for i, c in enumerate(classes)}
    lowest = 1.0 / max(2, len(classes))  # a guess among the classes: no confidence at all
    image = []
    for row_classes, row_sure in zip(grid, sure):
        row = []
        for c, p in zip(row_classes, row_sure):
            strength = 0.08 + 0.42 * max(0.0, (p - lowest) / (1.0 - lowest))
            row.append(tuple(1.0 - strength * (1.0 - channel) for channel in colour_of[c]))
        image.append(row)
    fig, axis = _axes(ax, figsize=(5.6, 4.6))
    step_x, step_y = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2
    axis.imshow(
        image, origin="lower", interpolation="bilinear", aspect="auto",
        extent=(xs[0] - step_x, xs[-1] + step_x, ys[0] - step_y, ys[-1] + step_y),
    )  # fmt: skip
    edges = [1] if len(probabilities[0]) == 2 else range(len(probabilities[0]))
    for k in edges:  # where class k's probability meets the best of the others: a smooth line
        lead = [p[k] - max(q for j, q in enumerate(p) if j != k) for p in probabilities]
        if min(lead) < 0.0 < max(lead):
            region = [lead[r * resolution : (r + 1) * resolution] for r in range(resolution)]
            axis.contour(xs, ys, region, levels=[0.0], colors="black", linewidths=1.0)
    handles: list[Artist] = []
    for c in classes:
        mine = [p for p, label in zip(points, labels) if label == c]
        if mine:
            axis.scatter(
                [p[0] for p in mine], [p[1] for p in mine], color=colour_of[c], s=28,
                edgecolors="black", linewidths=0.6, label=f"class {c}", zorder=3,
            )  # fmt: skip
            handles.append(axis.collections[-1])
    handles.append(Line2D([], [], color="black", lw=1.0, label="boundary"))
    axis.set_xlim(xs[0], xs[-1])
    axis.set_ylim(ys[0], ys[-1])
    axis.set_xlabel("x1")
    axis.set_ylabel("x2")
    axis.set_title("decision boundary")
    if legend:  # beside the plot, so it never covers a point
        axis.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
            title="pale = unsure", title_fontsize="small", frameon=False,
        )  # fmt: skip
    return fig


def _check_points(X: Any, y: Any) -> tuple[list[tuple[float, float]], list[int]]:
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
    return [(p[0], p[1]) for p in points], labels  # each row checked to hold 2 numbers


def _point(row: Any, i: int) -> tuple[float, ...]:
    if isinstance(row, str | bytes) or not isinstance(row, Iterable):
        raise TypeError(f"plot_decision_boundary: X[{i}] must be a pair of numbers, got {row!r}")
    coords = tuple(row)
    for c in coords:
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not math.isfinite(c):
            raise ValueError(f"plot_decision_boundary: X[{i}] is {row!r}; expected finite numbers")
    return tuple(float(c) for c in coords)


def _label(value: Any, i: int) -> int:
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
    return int(float(value))


def _linspace(lo: float, hi: float, n: int) -> list[float]:
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


# --- plot_grad_flow -------------------------------------------------------------------


@overload
def plot_grad_flow(
    source: Any,
    ax: None = ...,
    kind: str = ...,
    layers: Sequence[str] | Mapping[str, str] | None = ...,
    vmin: float | None = ...,
    vmax: float | None = ...,
) -> Figure: ...
@overload
def plot_grad_flow(
    source: Any,
    ax: Axes,
    kind: str = ...,
    layers: Sequence[str] | Mapping[str, str] | None = ...,
    vmin: float | None = ...,
    vmax: float | None = ...,
) -> Figure | SubFigure: ...
def plot_grad_flow(
    source: Any,
    ax: Axes | None = None,
    kind: str = "auto",
    layers: Sequence[str] | Mapping[str, str] | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure | SubFigure:
    """Gradient norm per layer: over epochs from a history, or the current one from a model.

    Log scale, so vanishing (tiny) and exploding (huge) gradients stand out.  A history
    is drawn as one line per layer (``kind="lines"``) or, for many layers, as a heatmap
    (``kind="heatmap"``: a row per layer, first layer on top, a column per epoch);
    ``"auto"`` picks the heatmap above 4 layers.  ``layers`` keeps only the named layers
    (a mapping also renames them, e.g. ``{"layers.0": "Linear 1"}``), so panels compare
    like with like.  ``vmin``/``vmax`` fix the colour range (or the y-range of lines and
    bars): give two panels the same range to compare them honestly.  The y-range of lines
    and bars spans at least a factor of 10, so a small spread does not look dramatic.
    """
    if kind not in ("auto", "lines", "heatmap"):
        raise ValueError(f"kind must be 'auto', 'lines' or 'heatmap', got {kind!r}")
    if hasattr(source, "parameters"):
        by_layer = _select_layers(grad_norm_per_layer(parameters_by_layer(source)), layers)
        return _grad_flow_bars(by_layer, ax, vmin, vmax)
    history = _history_dict(source)
    norms = dict(history.get("grad_norms") or {})
    if not norms:
        raise ValueError(
            "plot_grad_flow: the history has no grad_norms; "
            "record them during training or pass a model"
        )
    norms = _select_layers(norms, layers)
    if kind == "heatmap" or (kind == "auto" and len(norms) > 4):
        return _grad_flow_heatmap(history, norms, ax, vmin, vmax)
    fig, axis = _axes(ax, figsize=(6, 4))
    # One colour per layer along a colormap, input side dark to output side light.
    colormap = pyplot().get_cmap("viridis")
    for i, (layer, values) in enumerate(norms.items()):
        values = list(values)
        color = colormap(i / max(1, len(norms) - 1) * 0.9)
        axis.plot(
            _epochs(history, len(values)), _positive(values), marker=".", color=color,
            label=str(layer),
        )  # fmt: skip
    axis.set_yscale("log")
    _honest_log_range(axis, [v for values in norms.values() for v in values], vmin, vmax)
    _whole_epochs(axis)
    axis.set_xlabel("epoch")
    axis.set_ylabel("gradient norm")
    axis.set_title("gradient flow")
    axis.grid(alpha=0.3, which="both")
    axis.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def _select_layers(
    norms: Mapping[str, Any], layers: Sequence[str] | Mapping[str, str] | None
) -> dict[str, Any]:
    if layers is None:
        return dict(norms)
    names = dict(layers) if isinstance(layers, Mapping) else {name: name for name in layers}
    missing = [name for name in names if name not in norms]
    if missing:
        raise ValueError(f"plot_grad_flow: no layer {missing}; the layers are {list(norms)}")
    return {shown: norms[name] for name, shown in names.items()}


def _grad_flow_heatmap(
    history: Mapping[str, Any],
    norms: dict[str, Any],
    ax: Axes | None,
    vmin: float | None,
    vmax: float | None,
) -> Figure | SubFigure:
    from matplotlib.colors import LogNorm

    fig, axis = _axes(ax, figsize=(6.5, 0.3 * len(norms) + 2))
    rows = [_positive(list(values)) for values in norms.values()]
    finite = [v for row in rows for v in row if not math.isnan(v)]
    if not finite:
        raise ValueError("plot_grad_flow: every gradient norm is 0, nothing to draw on a log scale")
    epochs = _epochs(history, max(len(row) for row in rows))
    width = max(len(row) for row in rows)
    rows = [row + [math.nan] * (width - len(row)) for row in rows]
    scale = LogNorm(vmin=vmin or min(finite), vmax=vmax or max(finite))
    mesh = axis.pcolormesh(
        epochs, list(range(len(rows))), rows, norm=scale, cmap="viridis", shading="nearest"
    )
    axis.set_yticks(range(len(rows)), [str(name) for name in norms])
    axis.invert_yaxis()  # the first layer (nearest the input) on top
    _whole_epochs(axis)
    axis.set_xlabel("epoch")
    axis.set_ylabel("layer (input side on top)")
    axis.set_title("gradient flow")
    fig.colorbar(mesh, ax=axis, label="gradient norm (log scale)")
    return fig


def _grad_flow_bars(
    by_layer: dict[str, float], ax: Axes | None, vmin: float | None, vmax: float | None
) -> Figure | SubFigure:
    names = list(by_layer)
    norms = list(by_layer.values())
    fig, axis = _axes(ax, figsize=(max(5.0, 0.8 * len(names)), 4))
    positions = range(len(names))
    axis.bar(positions, _positive(norms), color=_TRAIN_COLOR)
    axis.set_xticks(list(positions), names, rotation=30 if len(names) > 5 else 0)
    if any(value > 0.0 for value in norms):  # all zeros (before backward) cannot be logged
        axis.set_yscale("log")
        _honest_log_range(axis, norms, vmin, vmax)
    axis.set_ylabel("gradient norm")
    axis.set_title("gradient norm per layer")
    axis.grid(alpha=0.3, axis="y", which="both")
    for x, value in zip(positions, norms):
        if value == 0.0:
            axis.annotate("0", (x, 0), xycoords=("data", "axes fraction"), ha="center", va="bottom")
    return fig


def _honest_log_range(
    axis: Axes, values: Iterable[float], vmin: float | None, vmax: float | None
) -> None:
    """Given limits, or the data's range widened to at least one decade around its middle."""
    positive = [float(v) for v in values if float(v) > 0.0]
    if not positive:
        return
    low, high = min(positive), max(positive)
    if high / low < 10.0:
        middle = math.sqrt(low * high)
        low, high = middle / math.sqrt(10.0), middle * math.sqrt(10.0)
    else:
        low, high = low / 1.5, high * 1.5
    axis.set_ylim(vmin or low, vmax or high)


def _whole_epochs(axis: Axes) -> None:
    """Epochs are whole numbers: no 2.5 ticks on short runs."""
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def _positive(values: Iterable[float]) -> list[float]:
    """Zeros cannot be drawn on a log scale: they become NaN (a gap) instead of an error."""
    return [float(v) if float(v) > 0.0 else math.nan for v in values]


# --- plot_lr --------------------------------------------------------------------------


@overload
def plot_lr(history: Any, ax: None = ..., logy: bool = ...) -> Figure: ...
@overload
def plot_lr(history: Any, ax: Axes, logy: bool = ...) -> Figure | SubFigure: ...
def plot_lr(history: Any, ax: Axes | None = None, logy: bool = False) -> Figure | SubFigure:
    """The learning rate used at each epoch (to check a scheduler).

    ``history`` is a :class:`History` or its ``to_dict()``. Returns the figure drawn on
    (a new one when ``ax`` is None).
    """
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
