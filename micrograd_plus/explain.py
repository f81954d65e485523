"""Which inputs drove a decision: input-gradient saliency and integrated gradients.

Both work on any model that maps nested lists of Values (a feature row, an
image ``[C][H][W]``, rows of word embeddings) to an output Value or a list of
logits, and return plain floats in the input's nesting:

* ``saliency(model, x, target)``: d output[target] / d x, the first-order
  sensitivity of the score to each input (Simonyan et al., 2014);
* ``integrated_gradients(model, x, target)``: (x - baseline) times the gradient
  averaged along the straight path from ``baseline`` to ``x`` (Sundararajan et
  al., 2017).  Its attributions add up to score(x) - score(baseline), which
  ``completeness_gap`` reports: a check that the path had enough steps.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, TypeAlias

from .engine import Value, grad
from .module import Model

__all__ = ["completeness_gap", "integrated_gradients", "saliency", "score"]

#: An input: a number, or (nested) lists of numbers such as a row or an image ``[C][H][W]``.
Input: TypeAlias = "float | Sequence[Input]"
#: An attribution, in the nesting of its input: a float per input number.
Nested: TypeAlias = "list[Any] | float"


def _as_values(x: Any) -> tuple[list[Any] | Value, list[Value]]:
    """x with every number replaced by a fresh leaf Value, and those leaves in order."""
    leaves: list[Value] = []

    def wrap(item: Any) -> Any:
        if isinstance(item, Value | numbers.Real) and not isinstance(item, bool):
            leaf = Value(float(item))
            leaves.append(leaf)
            return leaf
        if isinstance(item, Sequence) and not isinstance(item, str):
            return [wrap(v) for v in item]
        raise TypeError(f"expected nested lists of numbers, got {type(item).__name__} {item!r:.40}")

    return wrap(x), leaves


def _like(x: Any, values: list[float]) -> Nested:
    it = iter(values)

    def fill(item: Any) -> Any:
        if isinstance(item, Sequence) and not isinstance(item, str):
            return [fill(v) for v in item]
        return next(it)

    filled: Nested = fill(x)
    return filled


def _pick(out: Any, target: int | None, who: str) -> Value:
    if isinstance(out, Value):
        if target not in (None, 0):
            raise ValueError(f"{who}: the model returns one Value, so target must be None")
        return out
    outputs: list[Value] = list(out)
    if target is None:
        if len(outputs) != 1:
            raise ValueError(
                f"{who}: the model returns {len(outputs)} outputs: say which (target=k)"
            )
        return outputs[0]
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(outputs):
        raise ValueError(
            f"{who}: target must be an output index 0..{len(outputs) - 1}, got {target!r}"
        )
    return outputs[target]


def score(model: Model, x: Input, target: int | None = None) -> float:
    """The model's output ``target`` (a logit) on ``x``, as a float."""
    inputs, _ = _as_values(x)
    return _pick(model(inputs), target, "score").data


def saliency(model: Model, x: Input, target: int | None = None) -> Nested:
    """d model(x)[target] / dx for every input number, in x's nesting.

    The model's parameters' ``.grad`` are left as they were.
    """
    inputs, leaves = _as_values(x)
    out = _pick(model(inputs), target, "saliency")
    return _like(x, grad(out, leaves))


def integrated_gradients(
    model: Model,
    x: Input,
    target: int | None = None,
    baseline: Input | None = None,
    steps: int = 32,
) -> Nested:
    """Integrated gradients from ``baseline`` (all zeros by default) to ``x``, in x's nesting.

    The path integral is taken with the midpoint rule over ``steps`` points.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"integrated_gradients: steps must be a positive int, got {steps!r}")
    _, leaves = _as_values(x)
    xs = [v.data for v in leaves]
    if baseline is None:
        bs = [0.0] * len(xs)
    else:
        _, base_leaves = _as_values(baseline)
        bs = [v.data for v in base_leaves]
        if len(bs) != len(xs):
            raise ValueError(
                f"integrated_gradients: baseline has {len(bs)} numbers, x has {len(xs)}"
            )
    total = [0.0] * len(xs)
    for k in range(steps):
        alpha = (k + 0.5) / steps
        point = _like(x, [b + alpha * (v - b) for v, b in zip(xs, bs)])
        g = saliency(model, point, target)
        total = [t + gi for t, gi in zip(total, _flat(g))]
    return _like(x, [(v - b) * t / steps for v, b, t in zip(xs, bs, total)])


def completeness_gap(
    model: Model,
    x: Input,
    attributions: Input,
    target: int | None = None,
    baseline: Input | None = None,
) -> float:
    """sum(attributions) - (score(x) - score(baseline)): near 0 for good integrated gradients."""
    base = baseline if baseline is not None else _like(x, [0.0] * len(_flat(x)))
    return sum(_flat(attributions)) - (score(model, x, target) - score(model, base, target))


def _flat(x: Any) -> list[float]:
    if isinstance(x, Sequence) and not isinstance(x, str):
        return [v for item in x for v in _flat(item)]
    return [float(x)]
