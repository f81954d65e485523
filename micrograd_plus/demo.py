"""The one-command demo: train a small MLP on a toy dataset and save what it learned.

``python -m micrograd_plus demo`` (or ``micrograd-plus demo``) trains with
``fit`` and a progress bar, prints the final train/validation accuracy, and
writes three files into the output directory:

* ``decision_boundary.png`` -- the regions the model assigns to each class;
* ``history.png`` -- loss and accuracy per epoch, train vs validation;
* ``graph.svg`` -- micrograd's lecture neuron ``tanh(x1 w1 + x2 w2 + b)``
  after ``backward()``, drawn by ``draw_dot`` (``graph.dot`` when Graphviz's
  ``dot`` program is missing, with instructions to render it).
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import data, losses, nn, optim
from .engine import Value
from .files import write_atomic
from .module import Module
from .train import evaluate, fit

PLOT_HINT = "matplotlib is not installed, so no PNG was written: pip install 'micrograd_plus[plot]'"
DOT_HINT = (
    "Graphviz's `dot` program was not found, so the graph was saved as DOT source.\n"
    "  Render it with:   dot -Tsvg {path} -o {svg}\n"
    "  Install Graphviz: Debian/Ubuntu `sudo apt-get install graphviz`, "
    "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`,\n"
    "  or paste the file into any online Graphviz viewer."
)


@dataclass(frozen=True)
class Recipe:
    """How the demo trains on one dataset: the data, the network and the loss."""

    make_data: Callable[[int], tuple[list[Any], list[Any]]]  # seed -> (X, y)
    hidden: tuple[int, ...]
    n_classes: int
    epochs: int
    lr: float
    description: str

    @property
    def n_outputs(self) -> int:
        """Output units of the network: one score for two classes, else one per class."""
        return 1 if self.n_classes == 2 else self.n_classes

    def loss(self, outputs: Sequence[Any], targets: Sequence[Any]) -> Value:
        """Binary cross-entropy on logits for two classes, cross-entropy for more."""
        if self.n_classes == 2:
            return losses.binary_cross_entropy_with_logits(outputs, targets)
        return losses.cross_entropy(outputs, targets)


RECIPES: dict[str, Recipe] = {
    "moons": Recipe(
        make_data=lambda seed: data.make_moons(200, noise=0.1, seed=seed),
        hidden=(16, 16),
        n_classes=2,
        epochs=80,
        lr=0.03,
        description="two interleaving half circles",
    ),
    "circles": Recipe(
        make_data=lambda seed: data.make_circles(200, noise=0.08, factor=0.5, seed=seed),
        hidden=(16, 16),
        n_classes=2,
        epochs=80,
        lr=0.03,
        description="a small circle inside a large one",
    ),
    "spirals": Recipe(
        make_data=lambda seed: data.make_spirals(240, n_classes=3, noise=0.03, seed=seed),
        hidden=(24, 24),
        n_classes=3,
        epochs=100,
        lr=0.02,
        description="three spiral arms, one class each",
    ),
}


@dataclass
class DemoResult:
    """What a demo run produced: accuracies, timings and the files written."""

    dataset: str
    epochs: int
    train_accuracy: float
    val_accuracy: float
    seconds: float
    compiled: bool
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_demo(
    dataset: str = "moons",
    epochs: int | None = None,
    seed: int = 0,
    out: str | Path = "micrograd_plus_demo",
    quiet: bool = False,
    use_compile: bool = True,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Train on ``dataset``, save the plots and the neuron graph into ``out``; return a summary."""
    if dataset not in RECIPES:
        raise ValueError(f"dataset must be one of {sorted(RECIPES)}, got {dataset!r}")
    recipe = RECIPES[dataset]
    epochs = recipe.epochs if epochs is None else epochs
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    out_dir = _prepare_output_dir(out)

    X, y = recipe.make_data(seed)
    X_train, X_val, y_train, y_val = data.train_test_split(X, y, test_size=0.25, seed=seed)
    model = nn.MLP(2, [*recipe.hidden, recipe.n_outputs], seed=seed)
    compiled = use_compile
    say(
        f"Training an MLP 2 -> {' -> '.join(map(str, recipe.hidden))} -> {recipe.n_outputs} on "
        f"{dataset} ({recipe.description}): {len(X_train)} training and {len(X_val)} validation "
        f"samples, {epochs} epochs of Adam(lr={recipe.lr}), "
        f"{'compiled with micrograd_plus.compile' if compiled else 'eager'}."
    )
    start = time.perf_counter()
    history = fit(
        model,
        recipe.loss,
        optim.Adam(model.parameters(), lr=recipe.lr),
        X_train,
        y_train,
        epochs=epochs,
        val=(X_val, y_val),
        progress=not quiet,
        seed=seed,
        compile=compiled,
    )
    seconds = time.perf_counter() - start
    result = DemoResult(
        dataset=dataset,
        epochs=len(history.epochs),
        train_accuracy=evaluate(model, None, X_train, y_train)["accuracy"],
        val_accuracy=evaluate(model, None, X_val, y_val)["accuracy"],
        seconds=seconds,
        compiled=compiled,
    )
    say(
        f"Done in {seconds:.1f} s. Final accuracy: train {result.train_accuracy:.1%}, "
        f"validation {result.val_accuracy:.1%}."
    )
    _save_plots(model, history, X, y, out_dir, result)
    _save_neuron_graph(out_dir, result)
    for note in result.notes:
        say(note)
    say("Wrote:")
    for path in result.files:
        say(f"  {path}")
    return result


OUTPUT_NAMES = ("decision_boundary.png", "history.png", "graph.svg", "graph.dot")


def _prepare_output_dir(out: str | Path) -> Path:
    """Create ``out`` and prove it writable *before* training; every problem is a ValueError.

    Checked: ``out`` is (or can be made) a directory we can create files in,
    and none of the files the demo writes is a directory or read-only there.
    """
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out must be a directory, but {out_dir} is a file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"--out {out_dir} cannot be created: {err.strerror or err}") from None
    probe = out_dir / f".micrograd_plus_probe_{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ValueError(f"--out {out_dir} is not writable: {err.strerror or err}") from None
    for name in OUTPUT_NAMES:
        path = out_dir / name
        if path.is_dir():
            raise ValueError(
                f"--out {out_dir}: {path} is a directory, the demo writes a file there"
            )
        if path.exists() and not os.stat(path).st_mode & stat.S_IWUSR:
            raise ValueError(
                f"--out {out_dir}: {path} is read-only; make it writable or choose another --out"
            )
    return out_dir


# --- the files ----------------------------------------------------------------------------------


def matplotlib_available() -> bool:
    """Whether matplotlib can be imported (the demo's PNGs need it)."""
    return importlib.util.find_spec("matplotlib") is not None


def _save_plots(
    model: Module, history: Any, X: list[Any], y: list[Any], out_dir: Path, result: DemoResult
) -> None:
    if not matplotlib_available():
        result.notes.append(PLOT_HINT)
        return
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    from .viz.plots import plot_decision_boundary, plot_history

    predictor = _compiled_predictor(model) if result.compiled else model
    boundary = plot_decision_boundary(predictor, X, y, resolution=80)
    boundary.axes[0].set_title(
        f"{result.dataset}: train {result.train_accuracy:.0%}, validation {result.val_accuracy:.0%}"
    )
    curves = plot_history(history, metrics=["loss", "accuracy"])
    for name, figure in (("decision_boundary.png", boundary), ("history.png", curves)):
        path = out_dir / name
        image = io.BytesIO()
        figure.savefig(image, format="png", dpi=100, bbox_inches="tight")
        plt.close(figure)
        write_atomic(path, image.getvalue())
        result.files.append(path)


def _compiled_predictor(model: Module) -> Callable[[Any], Any]:
    """``model`` traced once by ``compile``: the 6400 grid points of the plot run ~5x faster."""
    from .compiler import compile as compile_fn

    predictor: Callable[[Any], Any] = compile_fn(lambda x: model(x))
    return predictor


def lecture_neuron() -> Value:
    """micrograd's lecture neuron o = tanh(x1 w1 + x2 w2 + b), after backward()."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    weighted = x1w1 + x2w2
    weighted.label = "x1*w1 + x2*w2"
    n = weighted + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def find_dot() -> str | None:
    """The path of Graphviz's ``dot`` program, or None when it is not installed."""
    return shutil.which("dot")


def _save_neuron_graph(out_dir: Path, result: DemoResult) -> None:
    from .viz.graph import GraphvizNotInstalledError, draw_dot

    graph = draw_dot(lecture_neuron(), format="svg")
    svg_path = out_dir / "graph.svg"
    if find_dot() is not None:
        try:
            write_atomic(svg_path, graph.pipe(format="svg"))
            result.files.append(svg_path)
            return
        except GraphvizNotInstalledError:
            pass
    dot_path = out_dir / "graph.dot"
    write_atomic(dot_path, graph.source)
    result.files.append(dot_path)
    result.notes.append(DOT_HINT.format(path=dot_path, svg=svg_path))
