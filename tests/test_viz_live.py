"""LivePlot and Snapshots are fit callbacks: what they draw, record and write."""

import json
import re

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from micrograd_plus import fit, losses, nn, optim  # noqa: E402
from micrograd_plus.data import make_moons  # noqa: E402
from micrograd_plus.train import predict_classes  # noqa: E402
from micrograd_plus.viz import LivePlot, Snapshots, save_training_html  # noqa: E402
from micrograd_plus.viz import live as live_module  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def small_run(epochs, callbacks, seed=0):
    X, y = make_moons(n_samples=30, noise=0.1, seed=seed)
    model = nn.MLP(2, [4, 1])
    history = fit(
        model,
        losses.binary_cross_entropy_with_logits,
        optim.Adam(model.parameters(), lr=0.05),
        X,
        y,
        epochs=epochs,
        callbacks=callbacks,
        progress=False,
    )
    return model, history, X, y


def test_liveplot_writes_a_png_every_n_epochs_and_at_the_end(tmp_path, monkeypatch):
    path = tmp_path / "live.png"
    X, y = make_moons(n_samples=30, noise=0.1, seed=0)
    live = LivePlot(every=3, data=(X, y), path=path)
    drawn = []
    real_render = live.render
    monkeypatch.setattr(
        live, "render", lambda h, m: drawn.append(h.epochs[-1]) or real_render(h, m)
    )
    small_run(7, [live])
    assert drawn == [3, 6, 7]  # every 3rd epoch, and the last one
    assert live.updates == 3
    assert path.read_bytes().startswith(PNG)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert path.stat().st_mode & 0o044  # readable by others, like any file the user writes


def test_liveplot_updates_one_notebook_output_in_place(monkeypatch):
    """In a notebook LivePlot displays once, then only updates that display handle."""
    from IPython import display as ipy_display

    class Handle:
        def __init__(self):
            self.updates = []

        def update(self, obj):
            self.updates.append(obj)

    handle = Handle()
    shown = []
    monkeypatch.setattr(live_module, "_in_notebook", lambda: True)
    monkeypatch.setattr(
        ipy_display, "display", lambda obj, display_id=False: shown.append(obj) or handle
    )
    live = LivePlot(every=2)
    small_run(4, [live])
    assert len(shown) == 1
    assert len(handle.updates) == 2
    assert all(isinstance(u, ipy_display.Image) and u.data.startswith(PNG) for u in handle.updates)


def test_liveplot_outside_a_notebook_without_path_draws_nothing(monkeypatch):
    monkeypatch.setattr(live_module, "_in_notebook", lambda: False)
    live = LivePlot(every=1)
    small_run(2, [live])
    assert live.updates == 0


def test_liveplot_render_has_a_panel_per_metric_and_the_boundary(monkeypatch):
    X, y = make_moons(n_samples=30, noise=0.1, seed=0)
    model, history, _, _ = small_run(2, [])
    figures = []
    plt = matplotlib.pyplot
    original = plt.subplots
    monkeypatch.setattr(
        plt, "subplots", lambda *a, **k: figures.append(original(*a, **k)) or figures[-1]
    )
    png = LivePlot(data=(X, y)).render(history, model)
    assert png.startswith(PNG)
    fig, axes = figures[0]
    titles = [ax.get_title() for ax in axes[0]]
    assert titles == ["loss", "accuracy", "decision boundary, epoch 2"]


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="every"):
        LivePlot(every=0)
    with pytest.raises(ValueError, match="2 numbers"):
        LivePlot(data=([[1.0, 2.0, 3.0]], [0]))
    with pytest.raises(ValueError, match="rows"):
        Snapshots([[1.0, 2.0]], [0, 1])
    with pytest.raises(ValueError, match="resolution"):
        Snapshots([[1.0, 2.0]], [0], resolution=1)


def test_snapshots_record_the_model_decisions_on_the_grid():
    X, y = make_moons(n_samples=30, noise=0.1, seed=0)
    snaps = Snapshots(X, y, every=2, resolution=6)
    model, history, _, _ = small_run(5, [snaps])
    assert [s["epoch"] for s in snaps.snapshots] == [2, 4, 5]
    last = snaps.snapshots[-1]
    assert last["classes"] == predict_classes(model, snaps.grid())
    assert len(last["confidence"]) == 36 and all(0.5 <= c <= 1.0 for c in last["confidence"])
    assert last["logs"]["loss"] == history.train["loss"][-1]
    grid = snaps.grid()
    assert grid[0][1] < grid[-1][1] and grid[0][0] < grid[5][0]  # rows from the bottom


def test_save_training_html_is_one_self_contained_file(tmp_path):
    X, y = make_moons(n_samples=30, noise=0.1, seed=0)
    snaps = Snapshots(X, y, every=1, resolution=5)
    _, history, _, _ = small_run(3, [snaps])
    path = save_training_html(snaps, tmp_path / "training.html", title="Moons")
    page = (tmp_path / "training.html").read_text(encoding="utf-8")
    assert path.endswith("training.html")
    assert "<title>Moons</title>" in page
    assert not re.search(r"(src|href)=\"?https?:", page)  # nothing fetched from the network
    data = json.loads(re.search(r"const D = (\{.*?\});\n", page).group(1))
    assert [f["epoch"] for f in data["frames"]] == [1, 2, 3]
    assert data["grid"]["n"] == 5 and len(data["frames"][0]["cls"]) == 25
    curves = save_training_html(history, tmp_path / "curves.html")
    assert "const D = " in (tmp_path / "curves.html").read_text(encoding="utf-8") and curves


def test_save_training_html_refuses_what_it_cannot_replay(tmp_path):
    X, y = make_moons(n_samples=30, noise=0.1, seed=0)
    with pytest.raises(ValueError, match="recorded nothing"):
        save_training_html(Snapshots(X, y), tmp_path / "t.html")
    with pytest.raises(TypeError, match="Snapshots"):
        save_training_html(42, tmp_path / "t.html")
    assert not (tmp_path / "t.html").exists()
