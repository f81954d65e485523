"""Watching training happen: a live plot for notebooks and a replay of the decision boundary.

Both are ``fit`` callbacks, so the training loop needs no change::

    live = LivePlot(every=5, data=(X, y))        # curves + decision boundary, redrawn in place
    snaps = Snapshots(X, y, every=2)             # records the decision boundary over epochs
    history = fit(model, loss, opt, X, y, epochs=100, callbacks=[live, snaps])
    save_training_html(snaps, "training.html")   # one self-contained file with a slider

``LivePlot`` updates one notebook output through an IPython display handle (no
widget extension): what a stored notebook keeps is the last picture.  Outside
a notebook it draws nothing, or writes its picture to ``path`` when given one.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..train import predict
from ._files import asset, pyplot, write_atomically

if TYPE_CHECKING:
    from ..history import History
    from ..module import Model

# One colour per class, legible on white and told apart by colour-blind readers
# (Okabe-Ito blue, vermillion, bluish green, ... ).
CLASS_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")


def _check_every(every: Any) -> int:
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be an int >= 1 (epochs between updates), got {every!r}")
    return every


def _check_2d(
    X: Sequence[Sequence[float]], y: Sequence[float], who: str
) -> tuple[list[list[float]], list[int]]:
    points = [[float(c) for c in row] for row in X]
    labels = [int(v) for v in y]
    if not points:
        raise ValueError(f"{who}: X is empty")
    if any(len(p) != 2 for p in points):
        raise ValueError(f"{who} draws a decision boundary: each row of X needs 2 numbers")
    if len(points) != len(labels):
        raise ValueError(f"{who}: X has {len(points)} rows but y has {len(labels)} labels")
    return points, labels


# --- LivePlot -----------------------------------------------------------------------------


class LivePlot:
    """A ``fit`` callback that redraws loss/metric curves every ``every`` epochs, in place.

    ``metrics``: the History series to plot (default: the loss and every
    training metric, validation dashed beside them).  ``data=(X, y)`` with
    2-D inputs adds a decision-boundary panel.  ``path`` also writes the
    picture to a PNG file at each update (for scripts and terminals).
    """

    every: int
    metrics: list[str] | None
    #: The decision-boundary panel's points and labels (None: no such panel).
    data: tuple[list[list[float]], list[int]] | None
    path: str | os.PathLike[str] | None
    dpi: int
    #: How many pictures were drawn (for tests and curious users).
    updates: int

    def __init__(
        self,
        every: int = 1,
        metrics: Sequence[str] | None = None,
        data: tuple[Sequence[Sequence[float]], Sequence[float]] | None = None,
        path: str | os.PathLike[str] | None = None,
        dpi: int = 80,
    ) -> None:
        self.every = _check_every(every)
        self.metrics = None if metrics is None else list(metrics)
        self.data = None if data is None else _check_2d(*data, "LivePlot")
        self.path = path
        self.dpi = dpi
        self.updates = 0
        self._handle: Any = None

    def on_train_begin(self, history: History, model: Model) -> None:
        """Open the picture's place in the notebook (nothing outside one)."""
        self.updates = 0
        self._handle = None
        if _in_notebook():
            from IPython.display import display

            self._handle = display(_blank(), display_id=True)

    def on_epoch_end(self, epoch: int, history: History, model: Model) -> bool:
        """Redraw every ``every`` epochs; never stops training (returns False)."""
        if epoch % self.every == 0:
            self._update(history, model)
        return False

    def on_train_end(self, history: History, model: Model) -> None:
        """Draw the last epoch if it was not drawn yet, so the final state is always shown."""
        if self.updates == 0 or history.epochs and history.epochs[-1] % self.every:
            self._update(history, model)  # the last epoch is always shown

    def _update(self, history: History, model: Model) -> None:
        if self._handle is None and self.path is None:
            return
        png = self.render(history, model)
        self.updates += 1
        if self.path is not None:
            write_atomically(self.path, png)
        if self._handle is not None:
            from IPython.display import Image

            self._handle.update(Image(data=png, format="png"))

    def render(self, history: History, model: Model) -> bytes:
        """The current picture as PNG bytes."""
        from . import plots

        plt = pyplot()
        metrics = self.metrics or sorted(history.train, key=lambda m: (m != "loss", m))
        panels = len(metrics) + (self.data is not None)
        fig, axes = plt.subplots(
            1, panels, figsize=(4.2 * panels, 3.6), squeeze=False, layout="constrained"
        )
        axes = list(axes[0])
        plots.plot_history(history, metrics=metrics, ax=axes[: len(metrics)])
        if self.data is not None:
            points, labels = self.data
            plots.plot_decision_boundary(model, points, labels, ax=axes[-1], resolution=40)
            epoch = history.epochs[-1] if history.epochs else 0
            axes[-1].set_title(f"decision boundary, epoch {epoch}")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=self.dpi)
        plt.close(fig)
        return buffer.getvalue()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _blank() -> Any:
    from IPython.display import HTML

    return HTML("<i>training ...</i>")


# --- Snapshots and the replay ----------------------------------------------------------


class Snapshots:
    """A ``fit`` callback recording the decision boundary on a grid every ``every`` epochs.

    Each snapshot is a dict: ``epoch``, ``logs`` (the epoch's losses and
    metrics), ``classes`` and ``confidence`` (one number per grid cell, rows
    from the bottom).  ``save_training_html`` replays them with a slider.
    """

    #: The data's 2-D points and class labels, as checked floats and ints.
    points: list[list[float]]
    labels: list[int]
    every: int
    resolution: int
    #: ``(x_min, x_max, y_min, y_max)`` of the grid: the data's box plus ``margin``.
    extent: tuple[float, float, float, float]

    def __init__(
        self,
        X: Sequence[Sequence[float]],
        y: Sequence[float],
        every: int = 1,
        resolution: int = 40,
        margin: float = 0.5,
    ) -> None:
        self.points, self.labels = _check_2d(X, y, "Snapshots")
        self.every = _check_every(every)
        if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
            raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
        self.resolution = resolution
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        self.extent = (min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin)
        self.snapshots: list[dict[str, Any]] = []
        self.curve: list[dict[str, Any]] = []  # every epoch's logs (the grid: every few)

    def grid(self) -> list[list[float]]:
        """The cell centres, row by row from the bottom (y smallest) to the top."""
        x0, x1, y0, y1 = self.extent
        n = self.resolution
        return [
            [x0 + (x1 - x0) * (i + 0.5) / n, y0 + (y1 - y0) * (j + 0.5) / n]
            for j in range(n)
            for i in range(n)
        ]

    def on_train_begin(self, history: History, model: Model) -> None:
        """Start a fresh recording (a second ``fit`` does not append to the first)."""
        self.snapshots = []
        self.curve = []

    def on_epoch_end(self, epoch: int, history: History, model: Model) -> bool:
        """Log the epoch and, every ``every`` epochs, classify the grid; never stops training."""
        self.curve.append({"epoch": int(epoch), "logs": _latest_logs(history)})
        if epoch % self.every == 0:
            self.record(epoch, history, model)
        return False

    def on_train_end(self, history: History, model: Model) -> None:
        """Record the last epoch if it was not, so the replay ends where training ended."""
        if history.epochs and (
            not self.snapshots or self.snapshots[-1]["epoch"] != history.epochs[-1]
        ):
            self.record(history.epochs[-1], history, model)

    def record(self, epoch: int, history: History, model: Model) -> None:
        """Classify the grid with the model as it is now (eval mode, no graph)."""
        classes, confidence = _classify(predict(model, self.grid()), min(self.labels) < 0)
        self.snapshots.append(
            {
                "epoch": int(epoch),
                "logs": _latest_logs(history),
                "classes": classes,
                "confidence": confidence,
            }
        )


def _latest_logs(history: History) -> dict[str, float]:
    logs = {k: v[-1] for k, v in history.train.items() if v}
    logs.update({f"val_{k}": v[-1] for k, v in history.val.items() if v})
    return logs


def _classify(outputs: list[Any], sign_labels: bool) -> tuple[list[int], list[float]]:
    """Class and confidence per output: sigmoid of a single score, softmax of a row."""
    classes: list[int] = []
    confidence: list[float] = []
    for out in outputs:
        if isinstance(out, list) and len(out) > 1:
            top = max(out)
            weights = [math.exp(v - top) for v in out]
            best = max(range(len(out)), key=out.__getitem__)
            classes.append(best)
            confidence.append(round(weights[best] / sum(weights), 3))
        else:
            score = out[0] if isinstance(out, list) else out
            p = 1.0 / (1.0 + math.exp(-max(min(score, 50.0), -50.0)))
            classes.append(1 if score > 0.0 else (-1 if sign_labels else 0))
            confidence.append(round(max(p, 1.0 - p), 3))
    return classes, confidence


def save_training_html(source: Any, path: str | os.PathLike[str], title: str = "Training") -> str:
    """Write a self-contained replay of training (slider, play, loss curve) to ``path``.

    ``source`` is a :class:`Snapshots` callback after ``fit`` (decision
    boundary per recorded epoch, with the data on top), its ``snapshots``
    list, or a ``History`` (curves only).  Returns the path written.  The
    file has no external resource: it opens offline in any browser.
    """
    payload = _payload(source)
    page = (
        asset("training.html")
        .replace("__TITLE__", _escape_html(title))
        .replace("__DATA__", json.dumps(payload, separators=(",", ":")).replace("</", "<\\/"))
    )
    write_atomically(path, page)
    return os.fspath(path)


def _payload(source: Any) -> dict[str, Any]:
    if isinstance(source, Snapshots):
        if not source.snapshots:
            raise ValueError("save_training_html: the Snapshots callback recorded nothing yet")
        x0, x1, y0, y1 = source.extent
        classes = sorted(set(source.labels) | {c for s in source.snapshots for c in s["classes"]})
        return {
            "frames": [
                {
                    "epoch": s["epoch"],
                    "logs": s["logs"],
                    "cls": s["classes"],
                    "conf": s["confidence"],
                }
                for s in source.snapshots
            ],
            "curve": source.curve or None,
            "grid": {"n": source.resolution, "extent": [x0, x1, y0, y1]},
            "points": source.points,
            "labels": source.labels,
            "classes": classes,
            "colors": list(CLASS_COLORS),
        }
    if hasattr(source, "to_dict") or isinstance(source, dict):
        history = source.to_dict() if hasattr(source, "to_dict") else source
        epochs = list(history.get("epochs") or [])
        if not epochs:
            raise ValueError("save_training_html: the history has no epochs")
        series = {k: list(v) for k, v in (history.get("train") or {}).items()}
        series.update({f"val_{k}": list(v) for k, v in (history.get("val") or {}).items()})
        frames = [
            {"epoch": e, "logs": {k: v[i] for k, v in series.items() if i < len(v)}}
            for i, e in enumerate(epochs)
        ]
        return {"frames": frames, "grid": None, "colors": list(CLASS_COLORS)}
    if isinstance(source, list) and source and isinstance(source[0], dict):
        raise TypeError(
            "save_training_html: pass the Snapshots callback itself (it knows the grid and "
            "the data), not its list of snapshots"
        )
    raise TypeError(
        f"save_training_html expects a Snapshots callback or a History, got {type(source).__name__}"
    )


def _escape_html(text: str) -> str:
    import html

    return html.escape(str(text))
