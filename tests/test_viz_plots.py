"""Training plots: each returns a figure with the expected axes, lines and labels (Agg backend)."""

import math
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from micrograd_plus.engine import Value, is_grad_enabled  # noqa: E402
from micrograd_plus.nn import MLP  # noqa: E402
from micrograd_plus.viz import (  # noqa: E402
    plot_decision_boundary,
    plot_grad_flow,
    plot_history,
    plot_lr,
)
from micrograd_plus.viz.plots import CLASS_COLORS, decision_grid  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def history_dict(with_val=True):
    epochs = [1, 2, 3, 4]
    return {
        "epochs": epochs,
        "train": {"loss": [1.0, 0.6, 0.4, 0.3], "accuracy": [0.5, 0.7, 0.8, 0.9]},
        "val": {"loss": [1.1, 0.7, 0.5, 0.45], "accuracy": [0.5, 0.6, 0.7, 0.8]}
        if with_val
        else {},
        "lr": [0.1, 0.05, 0.025, 0.0125],
        "grad_norms": {"layers.0": [2.0, 1.0, 0.1, 0.01], "layers.1": [1.0, 1.0, 1.0, 1.0]},
        "time": [0.1, 0.1, 0.1, 0.1],
    }


class FakeHistory:
    """Anything with to_dict() is accepted, like fit()'s History."""

    def to_dict(self):
        return history_dict()


def test_history_has_one_panel_per_metric_with_train_and_validation():
    fig = plot_history(history_dict())
    loss_ax, acc_ax = fig.axes
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert [line.get_label() for line in loss_ax.lines] == ["train", "validation"]
    assert list(loss_ax.lines[0].get_xdata()) == [1, 2, 3, 4]
    assert list(loss_ax.lines[1].get_ydata()) == [1.1, 0.7, 0.5, 0.45]
    assert list(acc_ax.lines[0].get_ydata()) == [0.5, 0.7, 0.8, 0.9]
    assert loss_ax.get_xlabel() == "epoch" and acc_ax.get_ylabel() == "accuracy"
    assert loss_ax.get_legend() is not None


def test_history_accepts_history_objects_and_draws_into_given_axes():
    fig, ax = plt.subplots()
    assert plot_history(FakeHistory(), metrics=["loss"], ax=ax, logy=True) is fig
    assert ax.get_yscale() == "log" and len(ax.lines) == 2


def test_history_without_validation_draws_train_only():
    fig = plot_history(history_dict(with_val=False))
    assert all([line.get_label() for line in ax.lines] == ["train"] for ax in fig.axes)


def test_history_errors_name_the_problem():
    with pytest.raises(ValueError, match="no metric"):
        plot_history(history_dict(), metrics=["f1"])
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="2 metrics need 2 axes"):
        plot_history(history_dict(), ax=ax)
    with pytest.raises(TypeError, match="History"):
        plot_history([1, 2, 3])


def test_history_from_a_real_fit():
    train = pytest.importorskip("micrograd_plus.train")
    losses = pytest.importorskip("micrograd_plus.losses")
    optim = pytest.importorskip("micrograd_plus.optim")
    model = MLP(2, [4, 1], seed=0)
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], [1, 1, -1, -1]
    history = train.fit(
        model, losses.hinge_loss, optim.SGD(model.parameters(), lr=0.1), X, y, 3, progress=False
    )
    fig = plot_history(history)
    assert fig.axes[0].get_title() == "loss"
    assert list(fig.axes[0].lines[0].get_ydata()) == history.train["loss"]
    flow = plot_grad_flow(history)
    assert {line.get_label() for line in flow.axes[0].lines} == set(history.grad_norms)


def test_decision_boundary_one_output_uses_the_sign_under_no_grad():
    calls = []

    def model(x):
        calls.append(is_grad_enabled())
        return Value(x[0]) * 2.0  # positive class exactly where x1 > 0

    X = [[-1.0, 0.0], [1.0, 0.0], [-0.5, 1.0], [0.5, -1.0]]
    y = [0, 1, 0, 1]
    xs, ys, classes, sure = decision_grid(model, X, resolution=10)
    assert len(calls) == 100 and not any(calls)
    for row in range(10):
        for col, gx in enumerate(xs):
            assert classes[row][col] == (1 if gx > 0 else 0)
            p = 1 / (1 + math.exp(-2 * gx))
            assert sure[row][col] == pytest.approx(max(p, 1 - p))
    fig = plot_decision_boundary(model, X, y, resolution=10)
    ax = fig.axes[0]
    boundary = ax.collections[0]  # where P(class 1) - P(class 0) = 0, i.e. x1 = 0
    assert list(boundary.levels) == [0.0]
    path = boundary.get_paths()[0].vertices
    assert max(abs(v) for v in path[:, 0]) == pytest.approx(0.0, abs=1e-9)
    points = ax.collections[1:]
    assert [c.get_offsets().tolist() for c in points] == [X[0::2], X[1::2]]
    assert ax.get_title() == "decision boundary"
    assert ax.get_xlim() == pytest.approx((-1.5, 1.5)) and ax.get_ylim() == pytest.approx(
        (-1.5, 1.5)
    )


def test_decision_boundary_multiclass_takes_the_argmax_and_its_softmax_probability():
    def model(x):
        return [Value(-x[0]), Value(x[0]), Value(x[1])]

    X = [[-1.0, -1.0], [1.0, -1.0], [0.0, 2.0]]
    xs, ys, classes, sure = decision_grid(model, X, resolution=5, margin=0.0)
    assert xs == [-1.0, -0.5, 0.0, 0.5, 1.0] and ys == [-1.0, -0.25, 0.5, 1.25, 2.0]
    for row, gy in enumerate(ys):
        for col, gx in enumerate(xs):
            scores = [-gx, gx, gy]
            assert classes[row][col] == max(range(3), key=scores.__getitem__)
            total = sum(math.exp(s) for s in scores)
            assert sure[row][col] == pytest.approx(math.exp(max(scores)) / total)


def test_decision_boundary_colours_classes_from_one_palette_with_a_legend():
    from matplotlib.colors import to_rgb

    model = MLP(2, [4, 1], seed=1)
    X = [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    fig = plot_decision_boundary(model, X, [-1, -1, 1, 1], resolution=8)
    ax = fig.axes[0]
    points = [c for c in ax.collections if c.get_offsets().shape[0] == 2]
    assert [tuple(c.get_facecolor()[0][:3]) for c in points] == [
        pytest.approx(to_rgb(CLASS_COLORS[0])),
        pytest.approx(to_rgb(CLASS_COLORS[1])),
    ]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["class -1", "class 1", "boundary"]


def test_decision_boundary_shades_by_confidence():
    def model(x):
        return Value(x[0]) * 4.0

    X = [[-1.0, -1.0], [1.0, 1.0]]
    fig = plot_decision_boundary(model, X, [0, 1], resolution=21, margin=0.0)
    image = fig.axes[0].images[0].get_array()
    centre, edge = image[10][10], image[10][20]  # x1 = 0 (unsure) and x1 = 1 (sure)
    assert sum(centre[:3]) > sum(edge[:3])  # the unsure middle is paler (closer to white)


def test_decision_boundary_rejects_bad_data():
    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="2-D"):
        plot_decision_boundary(model, [[1.0, 2.0, 3.0]], [0])
    with pytest.raises(ValueError, match="1 rows but y has 2"):
        plot_decision_boundary(model, [[1.0, 2.0]], [0, 1])
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(model, [[1.0, 2.0]], [0], resolution=1)


def test_grad_flow_from_history_is_one_log_line_per_layer():
    fig = plot_grad_flow(history_dict())
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.lines] == ["layers.0", "layers.1"]
    assert list(ax.lines[0].get_ydata()) == [2.0, 1.0, 0.1, 0.01]
    assert ax.get_title() == "gradient flow" and ax.get_ylabel() == "gradient norm"


def test_grad_flow_from_a_model_shows_current_norm_per_layer():
    model = MLP(2, [3, 1], seed=0)
    out = model([1.0, -2.0])
    out.backward()
    fig = plot_grad_flow(model)
    ax = fig.axes[0]
    bars = ax.patches
    assert [t.get_text() for t in ax.get_xticklabels()] == ["layers.0", "layers.1"]
    for bar, layer in zip(bars, model.layers):
        norm = math.sqrt(sum(p.grad**2 for p in layer.parameters()))
        assert bar.get_height() == pytest.approx(norm)


def test_grad_flow_errors():
    history = history_dict()
    history["grad_norms"] = {}
    with pytest.raises(ValueError, match="grad_norms"):
        plot_grad_flow(history)


def test_lr_plot():
    fig, ax = plt.subplots()
    assert plot_lr(history_dict(), ax=ax, logy=True) is fig
    assert list(ax.lines[0].get_ydata()) == [0.1, 0.05, 0.025, 0.0125]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "learning rate"
    empty = history_dict()
    empty["lr"] = []
    with pytest.raises(ValueError, match="lr"):
        plot_lr(empty)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import now fails
    with pytest.raises(ImportError, match=r"pip install 'micrograd_plus\[plot\]'"):
        plot_lr(history_dict())


def test_importing_viz_does_not_import_matplotlib():
    import subprocess

    code = "import sys, micrograd_plus.viz; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_decision_boundary_classifies_the_grid_in_eval_mode_and_restores_the_mode():
    from micrograd_plus.nn import BatchNorm1d, Dropout, Linear, ReLU, Sequential

    model = Sequential(Linear(2, 8, seed=0), BatchNorm1d(8), ReLU(), Dropout(0.5, seed=1),
                       Linear(8, 3, seed=2))  # fmt: skip
    model.forward_batch([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])  # running statistics move off 0/1
    X = [[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]]
    # in training mode BatchNorm refuses single samples and Dropout would draw random masks
    _, _, classes, _ = decision_grid(model, X, resolution=6, margin=0.0)
    plot_decision_boundary(model, X, [0, 1, 2], resolution=6, margin=0.0)
    assert model.training and model[3].training  # the mode is given back
    model.eval()
    xs = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    expected = []
    for gy in xs:
        for gx in xs:
            scores = [v.data for v in model([gx, gy])]
            expected.append(scores.index(max(scores)))
    assert [c for row in classes for c in row] == expected


def test_grad_flow_of_many_layers_is_a_heatmap_with_a_row_per_layer():
    norms = {f"layers.{i}": [0.1 * (i + 1), 0.2 * (i + 1), 0.3 * (i + 1)] for i in range(13)}
    history = {"epochs": [1, 2, 3], "train": {"loss": [1.0, 0.5, 0.2]}, "val": {},
               "lr": [0.1] * 3, "grad_norms": norms, "time": [0.1] * 3}  # fmt: skip
    fig = plot_grad_flow(history, vmin=1e-3, vmax=10.0)
    axis = fig.axes[0]
    mesh = axis.collections[0]
    assert mesh.get_array().shape == (13, 3)
    assert mesh.get_array()[12][2] == pytest.approx(0.3 * 13)
    assert (mesh.norm.vmin, mesh.norm.vmax) == (1e-3, 10.0)  # a shared, honest colour range
    assert [t.get_text() for t in axis.get_yticklabels()] == list(norms)
    fig.canvas.draw()
    ticks = [t for t in axis.get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_grad_flow_picks_and_renames_layers_and_never_zooms_below_a_decade():
    fig = plot_grad_flow(history_dict(), layers={"layers.1": "Linear 2"}, kind="lines")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["Linear 2"]
    low, high = ax.get_ylim()
    assert high / low >= 10
    with pytest.raises(ValueError, match="no layer"):
        plot_grad_flow(history_dict(), layers=["layers.7"])
    with pytest.raises(ValueError, match="kind"):
        plot_grad_flow(history_dict(), kind="pie")
