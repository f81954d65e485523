"""Metrics fit() and evaluate() record next to the loss: ``accuracy``, ``mse``, your own.

A metric is a function ``(outputs, targets) -> float`` on plain floats, named
in ``fit(metrics=...)`` by a string (``"accuracy"``, ``"mse"``) or passed as a
function (recorded under its ``__name__``). It is kept apart from
``train.py`` because metrics never touch the graph: they read numbers.
Import ``accuracy`` and ``mse`` from ``micrograd_plus.train`` as usual.

Accuracy rule for one-output models (a single score per sample): if any
target is -1 the labels are taken as ±1 and the prediction is the sign of the
score (score > 0 -> 1, else -1); otherwise the labels are 0/1 and the score is
read as a logit (score > 0 -> 1, else 0).  A model whose last layer outputs a
probability needs its own metric.  Multi-output models predict the argmax of
their row, compared with the class index (or with the argmax of a one-hot target).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeAlias

#: A metric function: (the outputs as floats, the targets) -> one number.
MetricFunction: TypeAlias = Callable[[list[Any], list[Any]], float]
#: What ``fit(metrics=...)`` takes per metric: a name from ``METRICS`` or a function.
Metric: TypeAlias = "str | MetricFunction"


def as_floats(outputs: Sequence[Any]) -> list[Any]:
    """Model outputs as plain numbers: a float per sample, or a list of floats per sample."""
    return [
        [float(v) for v in out] if isinstance(out, (list, tuple)) else float(out) for out in outputs
    ]


def uses_sign_labels(targets: Iterable[Any]) -> bool:
    """True for ±1 labels (any target is -1), False for 0/1 labels."""
    return any(not isinstance(t, (list, tuple)) and t == -1 for t in targets)


def accuracy(
    outputs: Sequence[Any], targets: Sequence[Any], sign_labels: bool | None = None
) -> float:
    """Fraction of samples classified right, by the rule in the module docstring.

    Every target must be a class label (0/1 or -1/+1 for one output, a class
    index or a one-hot row for several); anything else is a ValueError naming
    the sample. An output that is NaN makes the accuracy NaN (it has no class).
    """
    outputs = as_floats(outputs)
    _check_same_length(outputs, targets, "accuracy")
    if sign_labels is None:
        sign_labels = uses_sign_labels(targets)
    correct = 0
    for i, (out, target) in enumerate(zip(outputs, targets)):
        if isinstance(out, list):
            if any(v != v for v in out):
                return math.nan
            predicted = argmax(out)
            if isinstance(target, (list, tuple)):
                if len(target) != len(out):
                    raise ValueError(
                        f"accuracy: target {i} is a row of {len(target)} numbers, but the "
                        f"output has {len(out)}"
                    )
                wanted = argmax(target)
            else:
                wanted = _class_index(target, len(out), i)
        else:
            if out != out:
                return math.nan
            negative = -1 if sign_labels else 0
            predicted = 1 if out > 0.0 else negative
            wanted = _binary_label(target, sign_labels, i)
        correct += predicted == wanted
    return correct / len(outputs)


def _is_whole(t: Any) -> bool:
    return (
        not isinstance(t, bool)
        and isinstance(t, numbers.Real)
        and math.isfinite(t)
        and float(t).is_integer()
    )


def _class_index(target: Any, n_classes: int, i: int) -> int:
    if not _is_whole(target) or not 0 <= target < n_classes:
        raise ValueError(
            f"accuracy: target {i} is {target!r}, expected a class index 0..{n_classes - 1} "
            "(or a one-hot row)"
        )
    return int(target)


def _binary_label(target: Any, sign_labels: bool, i: int) -> int:
    allowed = (-1, 1) if sign_labels else (0, 1)
    if not _is_whole(target) or int(target) not in allowed:
        raise ValueError(
            f"accuracy: target {i} is {target!r}, expected a class label "
            f"{allowed[0]} or {allowed[1]}; for a regression use metrics=() or 'mse'"
        )
    return int(target)


def mse(outputs: Sequence[Any], targets: Sequence[Any]) -> float:
    """Mean squared error over every output number.

    Targets must be finite numbers (a ValueError names the sample); NaN outputs
    give NaN and huge errors give inf, as in PyTorch, never an OverflowError.
    """
    outputs = as_floats(outputs)
    _check_same_length(outputs, targets, "mse")
    errors = []
    for i, (out, target) in enumerate(zip(outputs, targets)):
        if isinstance(out, list):
            if not isinstance(target, (list, tuple)) or len(target) != len(out):
                raise ValueError(
                    "the 'mse' metric needs a target row as long as each output row, got "
                    f"{target!r} for an output of {len(out)} numbers"
                )
            errors += [_squared(o, _finite_target(t, i)) for o, t in zip(out, target)]
        else:
            errors.append(_squared(out, _finite_target(target, i)))
    try:
        return math.fsum(errors) / len(errors)
    except OverflowError:  # the sum passes the float range: the mean is as big as floats go
        return math.inf


def _squared(out: float, target: float) -> float:
    d = out - target
    return d * d  # ** 2 would raise OverflowError past 1e154


def _finite_target(target: Any, i: int) -> float:
    if (
        isinstance(target, bool)
        or not isinstance(target, numbers.Real)
        or not math.isfinite(target)
    ):
        raise ValueError(f"the 'mse' metric: target {i} is {target!r}, expected a finite number")
    return float(target)


def _check_same_length(outputs: list[Any], targets: Sequence[Any], metric: str) -> None:
    """A metric compares sample by sample: a length mismatch is a bug, never truncated."""
    if len(outputs) != len(targets) or not outputs:
        raise ValueError(
            f"the {metric!r} metric needs one target per output and at least one sample, "
            f"got {len(outputs)} outputs and {len(targets)} targets"
        )


METRICS: dict[str, Callable[..., float]] = {"accuracy": accuracy, "mse": mse}


def argmax(row: Sequence[Any]) -> int:
    """The index of the largest number in ``row`` (the first one on a tie): a predicted class."""
    values = [float(v) for v in row]
    return max(range(len(values)), key=values.__getitem__)


def metric_table(
    metrics: Metric | Iterable[Metric] | dict[str, Callable[..., float]] | None,
) -> dict[str, Callable[..., float]]:
    """Metric names -> functions; names are the strings given or a callable's __name__.

    A dict is taken as such a table already (fit hands its table to evaluate).
    """
    if isinstance(metrics, dict) and all(callable(fn) for fn in metrics.values()):
        return dict(metrics)
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    table: dict[str, Callable[..., float]] = {}
    for metric in metrics or ():
        if isinstance(metric, str):
            if metric not in METRICS:
                raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)}")
            table[metric] = METRICS[metric]
        elif callable(metric):
            table[getattr(metric, "__name__", type(metric).__name__)] = metric
        else:
            raise TypeError(f"a metric must be a name or a function, got {metric!r}")
    if "loss" in table:
        raise ValueError("'loss' is always recorded; do not list it as a metric")
    return table


def compute_metrics(
    table: Mapping[str, Callable[..., float]],
    outputs: Sequence[Any],
    targets: Sequence[Any],
    sign_labels: bool,
) -> dict[str, float]:
    """Each metric of ``table`` on one batch; ``accuracy`` is told the label kind of the run.

    ``sign_labels`` is decided once over all the data (a batch may hold no -1 at all).
    """
    results = {}
    for name, fn in table.items():
        if fn is accuracy:
            results[name] = accuracy(outputs, targets, sign_labels)
        else:
            results[name] = float(fn(as_floats(outputs), list(targets)))
    return results


# --- the metrics that fit the task ---------------------------------------------------------------

_REGRESSION_LOSSES = ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss")
_CLASSIFICATION_LOSSES = (
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "nll_loss",
)


def default_metrics(loss_fn: Callable[..., Any] | None, targets: Sequence[Any]) -> tuple[str, ...]:
    """What fit/evaluate record when ``metrics=None``: accuracy only where it means something.

    Our regression losses (``mse_loss``) get no metric, our classification
    losses get ``("accuracy",)``. Any other loss function gets accuracy when
    every target is a class label (a whole number, or a one-hot row) and
    nothing when a target is a real number (a regression).
    """
    name = _loss_name(loss_fn)
    if name in _REGRESSION_LOSSES:
        return ()
    if name in _CLASSIFICATION_LOSSES:
        return ("accuracy",)
    labels = all(isinstance(t, (list, tuple)) or _is_whole(t) for t in targets)
    return ("accuracy",) if labels and len(targets) > 0 else ()


def _loss_name(loss_fn: object) -> str | None:
    """The name of one of our losses, seen through functools.partial; None for others."""
    fn = getattr(loss_fn, "func", loss_fn)  # functools.partial
    if getattr(fn, "__module__", None) != "micrograd_plus.losses":
        return None
    return getattr(fn, "__name__", None)
