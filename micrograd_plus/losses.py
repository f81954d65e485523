"""Loss functions on Values, with PyTorch's formulas and mean reduction.

Every batch loss takes the predictions for a whole batch and returns one
Value, the mean over the batch (PyTorch's default ``reduction="mean"``).
Predictions can be Values or plain numbers; a model with one output unit
gives one Value per sample, and a list of those is what ``mse_loss``,
``binary_cross_entropy(_with_logits)`` and ``hinge_loss`` expect. Samples with
several outputs (lists) are flattened, so the mean is over every element, as
in PyTorch.

The exponentials are arranged so that nothing overflows: ``cross_entropy``
and ``log_softmax`` subtract the row's largest logit first (log-sum-exp), and
``binary_cross_entropy_with_logits`` only ever exponentiates a non-positive
number.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from .engine import Value, max_values, sum_values, take

if TYPE_CHECKING:
    from .module import Module

#: One number or Value.
Scalar: TypeAlias = "Value | float"
#: A number or Value, or lists (tuples, arrays, ...) of them nested to any depth:
#: what the batch losses take as predictions and as targets.
Nested: TypeAlias = "Value | float | Iterable[Nested]"

# PyTorch clamps log(p) at -100 in binary_cross_entropy, so that p = 0 gives a finite loss.
_LOG_FLOOR = -100.0
_SMALLEST_LOGGED = math.exp(_LOG_FLOOR)  # below this, log would pass the floor


# --- checking and flattening inputs -------------------------------------------------------


def _flatten(items: Any, who: str, what: str) -> list[Any]:
    """Every number or Value in ``items`` (a number, or lists nested to any depth), in order."""
    flat: list[Any] = []
    _collect(items, who, what, (), flat)
    return flat


def _collect(items: Any, who: str, what: str, where: tuple[int, ...], flat: list[Any]) -> None:
    if isinstance(items, Value | numbers.Real) and not isinstance(items, bool):
        flat.append(items)
        return
    if isinstance(items, str | bool) or not isinstance(items, Iterable):
        at = f" (item {_index(where)})" if where else ""
        kind = "numbers or Values" if where else "a list of numbers or Values"
        raise TypeError(f"{who}: {what} must be {kind}, got {items!r}{at}")
    for i, item in enumerate(items):
        _collect(item, who, what, (*where, i), flat)


def _index(where: tuple[int, ...]) -> str:
    return "[" + "][".join(map(str, where)) + "]"


def _shape(items: Any, who: str, what: str) -> tuple[int, ...]:
    """The shape of a number (``()``) or of nested lists; ragged lists are a ValueError."""
    if isinstance(items, Value | numbers.Real | str) or not isinstance(items, Iterable):
        return ()
    items = list(items)  # also NumPy arrays, generators of rows, ...
    shapes = [_shape(item, who, what) for item in items]
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise ValueError(
                f"{who}: {what} are ragged: item {i} has shape {_show(shape)} but item 0 "
                f"has shape {_show(shapes[0])}"
            )
    return (len(items), *(shapes[0] if shapes else ()))


def _show(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    """(N, 1) counts as (N,): a one-unit model's outputs wrapped in lists of one."""
    return shape[:-1] if shape and shape[-1] == 1 else shape


def _listed(items: Any) -> Any:
    if isinstance(items, Value | numbers.Real | str) or not isinstance(items, Iterable):
        return items
    return list(items)


def _pairs(
    preds: Any, targets: Any, who: str, pred_name: str = "predictions"
) -> tuple[list[Value], list[Any]]:
    """Flat, equally long, non-empty lists of predictions (as Values) and targets.

    The shapes must agree sample by sample (as PyTorch requires), not just in
    their totals: 3x2 predictions against 2x3 targets are refused.
    """
    preds, targets = _listed(preds), _listed(targets)  # a generator is read once
    flat_preds = _flatten(preds, who, pred_name)
    flat_targets = _flatten(targets, who, "targets")
    pred_shape, target_shape = _shape(preds, who, pred_name), _shape(targets, who, "targets")
    if len(flat_preds) != len(flat_targets):
        raise ValueError(
            f"{who}: got {len(flat_preds)} {pred_name} but {len(flat_targets)} targets "
            f"(shapes {_show(pred_shape)} and {_show(target_shape)})"
        )
    if _squeezed(pred_shape) != _squeezed(target_shape):
        raise ValueError(
            f"{who}: {pred_name} have shape {_show(pred_shape)} but targets have shape "
            f"{_show(target_shape)}; expected the same shape (one target per prediction)"
        )
    if not flat_preds:
        raise ValueError(f"{who}: the batch is empty (no {pred_name})")
    return [p if isinstance(p, Value) else Value(p) for p in flat_preds], flat_targets


def _mean(terms: list[Value]) -> Value:
    return sum_values(terms) / len(terms)


def _data(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _check_range(values: list[Any], low: float, high: float, who: str, what: str) -> None:
    # Compared as Values, not as .data: under compile each comparison is a guard,
    # so the check holds at every call, not only while tracing.
    for i, v in enumerate(values):
        if not (v >= low and v <= high):
            raise ValueError(f"{who}: {what} must be in [{low}, {high}], item {i} is {_data(v)}")


# --- regression and binary classification ---------------------------------------------------


def mse_loss(preds: Nested, targets: Nested) -> Value:
    """Mean of (prediction - target) ** 2."""
    preds, targets = _pairs(preds, targets, "mse_loss")
    return _mean([(p - t) ** 2 for p, t in zip(preds, targets)])


def binary_cross_entropy(probs: Nested, targets: Nested) -> Value:
    """Mean of -(t log p + (1 - t) log(1 - p)) for probabilities p in [0, 1].

    As in PyTorch each log is clamped at -100, so a confident wrong answer costs
    100 instead of infinity (the clamped term passes no gradient). Prefer
    ``binary_cross_entropy_with_logits`` on raw scores: it is exact everywhere.
    """
    probs, targets = _pairs(probs, targets, "binary_cross_entropy", "probabilities")
    _check_range(probs, 0.0, 1.0, "binary_cross_entropy", "probabilities")
    _check_range(targets, 0.0, 1.0, "binary_cross_entropy", "targets")
    terms = []
    for p, t in zip(probs, targets):
        terms.append(-(t * _clamped_log(p) + (1 - t) * _clamped_log(1 - p)))
    return _mean(terms)


def _clamped_log(v: Value) -> Value:
    # A comparison on the Value (not on .data), so that compile guards it.
    if v <= _SMALLEST_LOGGED:
        return Value(_LOG_FLOOR)
    return v.log()


def binary_cross_entropy_with_logits(logits: Nested, targets: Nested) -> Value:
    """``binary_cross_entropy(sigmoid(x), t)`` computed without overflow for any logit x.

    Each term is softplus(x) - t x, with softplus(x) = log(1 + e^x) a primitive
    that never overflows. Gradient: sigmoid(x) - t. No Python branch on the
    data, so ``compile`` traces it faithfully.
    """
    logits, targets = _pairs(logits, targets, "binary_cross_entropy_with_logits", "logits")
    return _mean([x.softplus() - t * x for x, t in zip(logits, targets)])


def hinge_loss(scores: Nested, targets: Nested) -> Value:
    """Mean of max(0, 1 - y * s) for labels y in {-1, +1}: micrograd's demo loss (an SVM's)."""
    scores, targets = _pairs(scores, targets, "hinge_loss", "scores")
    for i, y in enumerate(targets):
        # y in {-1, +1} written as comparisons whose outcomes are the same for every
        # valid label, so that under compile the check is a guard that never flips.
        square = y * y
        if not (square >= 1 and square <= 1):
            raise ValueError(f"hinge_loss: targets must be -1 or +1, item {i} is {_data(y)}")
    return _mean([(1 - y * s).relu() for s, y in zip(scores, targets)])


# --- several classes ---------------------------------------------------------------------------


def _row(values: Any, who: str) -> list[Value]:
    row = [v if isinstance(v, Value) else Value(v) for v in _flatten(values, who, "logits")]
    if not row:
        raise ValueError(f"{who}: needs at least one value, got an empty list")
    return row


def _shifted(row: list[Value]) -> list[Value]:
    """The logits minus their largest one, so that exp never overflows.

    The max passes no gradient (softmax and log-sum-exp do not depend on it), as
    in PyTorch. It is a node (``max_values``), so under ``compile`` the shift is
    recomputed at every call.
    """
    top = max_values(row).detach()
    return [v - top for v in row]


def _log_sum_exp(shifted: list[Value]) -> Value:
    return sum_values([s.exp() for s in shifted]).log()


def softmax(values: Sequence[Scalar]) -> list[Value]:
    """exp(z_i) / sum_j exp(z_j), computed after subtracting max(z) so it never overflows."""
    exps = [s.exp() for s in _shifted(_row(values, "softmax"))]
    total = sum_values(exps)
    return [e / total for e in exps]


def log_softmax(values: Sequence[Scalar]) -> list[Value]:
    """z_i - log(sum_j exp(z_j)), stable for any logits."""
    shifted = _shifted(_row(values, "log_softmax"))
    log_total = _log_sum_exp(shifted)
    return [s - log_total for s in shifted]


def cross_entropy(
    logits_rows: Sequence[Sequence[Scalar]], targets: Sequence[int | Sequence[Scalar]]
) -> Value:
    """Mean over the batch of -log softmax(row)[class]: PyTorch's ``cross_entropy``.

    ``logits_rows`` holds one list of raw scores per sample. ``targets`` holds,
    per sample, either the right class (an int in 0..k-1) or, as PyTorch also
    allows, a row of k class probabilities (e.g. one-hot), giving
    -sum_j p_j log softmax(row)_j. Under ``compile`` int class indices are
    integer inputs, read at every call (``take``).
    """
    who = "cross_entropy"
    if isinstance(logits_rows, Value | numbers.Real) or not isinstance(logits_rows, Iterable):
        raise TypeError(f"{who}: logits_rows must be a list of rows (one list per sample)")
    rows = [_row(r, who) for r in logits_rows]
    for i, row in enumerate(rows):
        if len(row) != len(rows[0]):
            raise ValueError(
                f"{who}: every row needs the same number of logits (one per class), but row "
                f"{i} has {len(row)} and row 0 has {len(rows[0])}"
            )
    targets = list(targets)
    if len(rows) != len(targets):
        raise ValueError(f"{who}: got {len(rows)} rows of logits but {len(targets)} targets")
    if not rows:
        raise ValueError(f"{who}: the batch is empty (no rows of logits)")
    terms = []
    for i, (row, target) in enumerate(zip(rows, targets)):
        shifted = _shifted(row)
        log_total = _log_sum_exp(shifted)
        if isinstance(target, Iterable):
            probs = _probability_row(target, len(row), i)
            terms.append(sum_values([p * (log_total - s) for p, s in zip(probs, shifted)]))
        else:
            _check_class(target, len(row), i)
            terms.append(log_total - take(shifted, target))
    return _mean(terms)


def _probability_row(target: Iterable[Any], n_classes: int, i: int) -> list[Any]:
    probs = list(target)
    if len(probs) != n_classes:
        raise ValueError(
            f"cross_entropy: target {i} has {len(probs)} class probabilities, "
            f"but the row has {n_classes} logits"
        )
    return probs


def _check_class(c: Any, n_classes: int, i: int) -> None:
    if isinstance(c, bool) or not isinstance(c, numbers.Integral):
        raise ValueError(
            f"cross_entropy: target {i} must be an int class index (or a row of class "
            f"probabilities), got {c!r}"
        )
    if not 0 <= c < n_classes:  # type: ignore[operator]  # c may be a traced int: no int()
        raise ValueError(
            f"cross_entropy: class index {i} is {c}, but the row has {n_classes} logits "
            f"(valid: 0..{n_classes - 1})"
        )


# --- regularisation -----------------------------------------------------------------------------


def l2_penalty(params: Iterable[Value] | Module) -> Value:
    """Sum of p ** 2 over ``params`` (a list of Values or a Module), with NO factor 1/2.

    Add ``lam * l2_penalty(model)`` to a loss for weight decay; its gradient is 2 lam p.
    """
    if hasattr(params, "parameters"):
        params = params.parameters()
    params = list(params)
    if not params:
        raise ValueError("l2_penalty: got no parameters")
    return sum_values([p * p for p in params])
