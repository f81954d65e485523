"""Check backward() against finite differences: the test every gradient must pass.

The central difference ``(f(x + eps) - f(x - eps)) / (2 eps)`` has an error
of order eps**2, so with eps = 1e-6 it agrees with an exact gradient to about
1e-9 on smooth functions -- enough to catch any wrong derivative rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from .engine import Value, no_grad


class GradcheckError(AssertionError):
    """backward() and finite differences disagree; the message lists every input."""


class _ProbeOutsideDomain(Exception):
    """fn raised a domain error at x + eps or x - eps (reported, not raised)."""

    def __init__(self, index: int, probe: float, error: Exception) -> None:
        super().__init__(index, probe, error)
        self.index, self.probe, self.error = index, probe, error


def numerical_grad(
    fn: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6
) -> list[float]:
    """Central-difference estimate of d fn / d input for each input."""
    point = [float(x) for x in inputs]
    estimates = []
    with no_grad():
        for i in range(len(point)):
            up = point.copy()
            down = point.copy()
            up[i] += eps
            down[i] -= eps
            values = []
            for probe in (up, down):
                try:
                    values.append(float(fn(*[Value(x) for x in probe])))
                except (ValueError, ZeroDivisionError) as error:
                    raise _ProbeOutsideDomain(i, probe[i], error) from None
            estimates.append((values[0] - values[1]) / (2 * eps))
    return estimates


def analytic_grad(fn: Callable[..., Value], inputs: Sequence[float]) -> list[float]:
    """d fn / d input for each input, by backward()."""
    leaves = [Value(float(x)) for x in inputs]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    out.backward()
    return [leaf.grad for leaf in leaves]


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[float | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """True when backward() matches central differences at ``inputs``; else raise.

    ``fn`` takes one Value per input and returns a Value. An input passes when
    ``|analytic - numeric| <= atol + rtol * |numeric|``. On failure,
    GradcheckError reports every input: value, analytic, numeric, error.
    """
    if len(inputs) == 0:
        raise ValueError("gradcheck needs at least one input, got none")
    for name, value, low in (
        ("eps", eps, "positive"),
        ("atol", atol, ">= 0"),
        ("rtol", rtol, ">= 0"),
    ):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if (
            not number
            or not math.isfinite(value)
            or value < 0
            or (low == "positive" and value == 0)
        ):
            raise ValueError(f"gradcheck: {name} must be a finite number {low}, got {value!r}")
    point = [float(x) for x in inputs]
    analytic = analytic_grad(fn, point)
    try:
        numeric = numerical_grad(fn, point, eps)
    except _ProbeOutsideDomain as probe:
        raise GradcheckError(
            f"gradcheck could not probe input {probe.index} (x={point[probe.index]!r}): "
            f"fn is undefined at x ± eps = {probe.probe!r}, outside its domain "
            f"({probe.error}); pass a smaller eps or a point further from the edge"
        ) from None
    rows = []
    failed = False
    for i, (x, a, n) in enumerate(zip(point, analytic, numeric)):
        bad = not abs(a - n) <= atol + rtol * abs(n)
        failed |= bad
        mark = "  <-- mismatch" if bad else ""
        rows.append(
            f"  input {i}: x={x!r} analytic={a!r} numeric={n!r} error={abs(a - n):.3g}{mark}"
        )
    if failed:
        raise GradcheckError(
            f"gradcheck failed (atol={atol}, rtol={rtol}, eps={eps}):\n" + "\n".join(rows)
        )
    return True
