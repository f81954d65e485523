"""Seeing a gradient check: analytic vs numerical gradients, and the error against eps.

``plot_gradcheck(fn, inputs)`` draws two panels: for each input, the gradient
``backward()`` computes beside the central-difference estimate; and, on a
log-log scale, how far the estimate is from ``backward()`` as the step eps
shrinks.  The V shape is the lesson: on the right the truncation error falls
like eps², on the left the round-off error grows like 1/eps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..engine import Value
from ..gradcheck import analytic_grad, numerical_grad
from ._files import pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def gradcheck_errors(
    fn: Callable[..., Value], inputs: Sequence[float], eps_values: Sequence[float]
) -> tuple[list[float], dict[float, list[float]]]:
    """``backward()``'s gradient and, per eps, ``|numerical - analytic|`` for each input."""
    analytic = analytic_grad(fn, inputs)
    errors = {
        eps: [abs(n - a) for n, a in zip(numerical_grad(fn, inputs, eps), analytic)]
        for eps in eps_values
    }
    return analytic, errors


def plot_gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    eps_values: Sequence[float] | None = None,
    names: Sequence[str] | None = None,
) -> Figure:
    """Analytic vs numerical gradient per input, and the error against eps (log-log).

    ``fn`` takes one Value per input and returns a Value (as for
    ``gradcheck``); ``eps`` is the step of the bar chart, marked on the
    error plot; ``eps_values`` the steps swept (default 1e-1 ... 1e-13);
    ``names`` label the inputs (default x1, x2, ...).  An error of exactly 0
    cannot be drawn on a log axis and leaves a gap.  Returns the Figure.
    """
    points = [float(x) for x in inputs]
    if not points:
        raise ValueError("plot_gradcheck needs at least one input, got none")
    if not eps > 0:
        raise ValueError(f"plot_gradcheck: eps must be positive, got {eps}")
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(len(points))]
    if len(names) != len(points):
        raise ValueError(f"plot_gradcheck: {len(points)} inputs but {len(names)} names")
    sweep = sorted(set(eps_values or [10.0**-k for k in range(1, 14)]) | {eps}, reverse=True)
    if any(not e > 0 for e in sweep):
        raise ValueError("plot_gradcheck: every eps in eps_values must be positive")
    analytic, errors = gradcheck_errors(fn, points, sweep)
    numeric = numerical_grad(fn, points, eps)

    plt = pyplot()
    fig: Figure
    fig, (bars, curve) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    width = 0.38
    positions = range(len(points))
    left = [p - width / 2 for p in positions]
    right = [p + width / 2 for p in positions]
    bars.bar(left, analytic, width, label="backward()", color="#0072B2")
    bars.bar(right, numeric, width, label=f"central difference, eps={eps:g}", color="#E69F00")
    bars.axhline(0.0, color="#444", linewidth=0.8)
    bars.set_xticks(list(positions), names)
    bars.set_ylabel("gradient")
    bars.set_title("analytic vs numerical gradient")
    bars.legend(fontsize="small")
    for i, a in enumerate(analytic):
        bars.annotate(f"{a:.4g}", (i, a), ha="center", va="bottom" if a >= 0 else "top", fontsize=8)

    colors = plt.get_cmap("tab10")
    for i, name in enumerate(names):
        values = [errors[e][i] if errors[e][i] > 0 else float("nan") for e in sweep]
        curve.loglog(sweep, values, "o-", markersize=4, color=colors(i % 10), label=name)
    curve.axvline(eps, color="#888", linestyle="--", linewidth=1)
    curve.annotate(
        f"eps={eps:g}",
        (eps, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -12),
        textcoords="offset points",
        fontsize=8,
        color="#555",
    )
    curve.set_xlabel("step eps")
    curve.set_ylabel("|numerical − analytic|")
    curve.set_title("error against eps: round-off (left) vs truncation (right)")
    curve.grid(alpha=0.3, which="both")
    curve.legend(fontsize="small")
    return fig
