"""plot_gradcheck: the bars are backward() and the central difference; the errors form a V."""

import math

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from micrograd_plus.gradcheck import analytic_grad, numerical_grad  # noqa: E402
from micrograd_plus.viz import plot_gradcheck  # noqa: E402
from micrograd_plus.viz.gradcheck_plot import gradcheck_errors  # noqa: E402


def g(x, y):
    return (x * y).tanh() + x.exp() / (1 + y**2)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_bars_show_backward_and_the_central_difference():
    fig = plot_gradcheck(g, [0.7, -1.3], eps=1e-5, names=["x", "y"])
    bars, curve = fig.axes
    heights = [p.get_height() for p in bars.patches]
    assert heights[:2] == pytest.approx(analytic_grad(g, [0.7, -1.3]), rel=1e-15)
    assert heights[2:] == pytest.approx(numerical_grad(g, [0.7, -1.3], 1e-5), rel=1e-15)
    assert [t.get_text() for t in bars.get_xticklabels()] == ["x", "y"]
    assert curve.get_xscale() == "log" and curve.get_yscale() == "log"
    assert [line.get_label() for line in curve.get_lines()][:2] == ["x", "y"]


def test_the_error_against_eps_has_the_truncation_and_roundoff_arms():
    sweep = [10.0**-k for k in range(1, 14)]
    _, errors = gradcheck_errors(g, [0.7, -1.3], sweep)
    x_errors = [errors[e][0] for e in sweep]
    best = min(range(len(sweep)), key=x_errors.__getitem__)
    assert 3 <= best <= 9  # the minimum is in the middle, near eps = 1e-5
    assert x_errors[0] > 100 * x_errors[best] and x_errors[-1] > 100 * x_errors[best]
    # truncation: error ∝ eps² on the right arm (eps 1e-1 -> 1e-2 divides it by ~100)
    assert 30 < x_errors[0] / x_errors[1] < 300


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least one"):
        plot_gradcheck(g, [])
    with pytest.raises(ValueError, match="names"):
        plot_gradcheck(g, [1.0, 2.0], names=["x"])
    with pytest.raises(ValueError, match="positive"):
        plot_gradcheck(g, [1.0, 2.0], eps=0.0)
    assert not math.isnan(plot_gradcheck(lambda x: x * x, [3.0]).axes[0].patches[0].get_height())
