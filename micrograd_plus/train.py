"""fit(): the textbook training loop in one readable call, and the parts it is made of.

Each epoch: shuffle, and for every mini-batch run the forward pass, the loss,
``backward()``, optional gradient clipping and ``optimizer.step()``; then
evaluate on the validation data (eval mode, ``no_grad``), step the learning-rate
scheduler, record everything in a :class:`History` and ask the callbacks
whether to stop.

The pieces fit() records into and calls out to have their own files, each
importable from here: ``history.py`` (:class:`History` and its JSON),
``callbacks.py`` (the callback protocol and :class:`EarlyStopping`) and
``metrics.py`` (``accuracy``, ``mse`` and the accuracy rule for one-output models).
"""

from __future__ import annotations

import math
import numbers
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence

from .callbacks import EarlyStopping, Hooks
from .data import batches, check_xy
from .engine import Value, no_grad
from .history import History
from .metrics import (
    METRICS,
    Metric,
    accuracy,
    argmax,
    as_floats,
    compute_metrics,
    metric_table,
    mse,
    uses_sign_labels,
)

__all__ = [
    "METRICS",
    "EarlyStopping",
    "History",
    "accuracy",
    "evaluate",
    "fit",
    "grad_norm_per_layer",
    "layer_name",
    "mse",
    "parameters_by_layer",
    "predict",
    "predict_classes",
]


# --- predict / evaluate ---------------------------------------------------------------------


def _forward_batch(model, X: Sequence) -> list:
    if hasattr(model, "forward_batch"):
        return model.forward_batch(X)
    return [model(x) for x in X]


class _eval_mode:
    """Eval mode and no_grad inside the block; the model's previous mode afterwards."""

    def __init__(self, model) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.was_training = getattr(self.model, "training", True)
        if hasattr(self.model, "eval"):
            self.model.eval()
        self.no_grad = no_grad()
        self.no_grad.__enter__()

    def __exit__(self, *exc) -> None:
        self.no_grad.__exit__(*exc)
        if self.was_training and hasattr(self.model, "train"):
            self.model.train()


def predict(model, X: Sequence) -> list:
    """Raw model outputs as floats (a float per sample, or a list per sample), in eval mode."""
    if len(X) == 0:
        raise ValueError("predict: X is empty, expected at least one sample")
    with _eval_mode(model):
        return as_floats(_forward_batch(model, X))


def predict_classes(model, X: Sequence, sign_labels: bool = False) -> list[int]:
    """Class predictions: the argmax of each output row, or for one-output models
    1 where the score is > 0 and 0 (or -1 with ``sign_labels``) elsewhere."""
    negative = -1 if sign_labels else 0
    classes = []
    for out in predict(model, X):
        if isinstance(out, list) and len(out) > 1:
            classes.append(argmax(out))
        else:  # one score, maybe wrapped in a list of one
            score = out[0] if isinstance(out, list) else out
            classes.append(1 if score > 0.0 else negative)
    return classes


def evaluate(
    model,
    loss_fn: Callable | None,
    X: Sequence,
    y: Sequence,
    metrics: Metric | Iterable[Metric] = ("accuracy",),
) -> dict[str, float]:
    """``{"loss": ..., metric: ...}`` on (X, y) in eval mode without recording a graph."""
    check_xy(X, y)
    table = metric_table(metrics)
    with _eval_mode(model):
        outputs = _forward_batch(model, X)
        results = {} if loss_fn is None else {"loss": float(loss_fn(outputs, list(y)).data)}
    results.update(compute_metrics(table, outputs, y, uses_sign_labels(y)))
    return results


# --- gradient norms per layer ------------------------------------------------------------------


def layer_name(param_name: str) -> str:
    """The layer that owns a parameter: its dotted name up to the last dot (nn's convention).

    ``"layers.0.w[3,1]"`` -> ``"layers.0"``; a name without a dot (a lone
    Neuron's ``"w[0]"``) belongs to ``"model"``.
    """
    owner, dot, _ = param_name.rpartition(".")
    return owner if dot else "model"


def parameters_by_layer(model) -> dict[str, list[Value]]:
    """The model's parameters grouped by ``layer_name``; without ``named_parameters``
    everything is one group, ``"model"``."""
    if hasattr(model, "named_parameters"):
        named = model.named_parameters()
    else:
        named = [(f"{i}", p) for i, p in enumerate(model.parameters())]
    groups: dict[str, list[Value]] = {}
    for name, p in named:
        groups.setdefault(layer_name(name), []).append(p)
    return groups


def grad_norm_per_layer(groups: dict[str, list[Value]]) -> dict[str, float]:
    """The L2 norm of each group's gradients (what ``History.grad_norms`` records)."""
    return {
        name: math.sqrt(math.fsum(float(p.grad) ** 2 for p in params))
        for name, params in groups.items()
    }


# --- progress ----------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar in notebooks and terminals; elsewhere (CI logs) at most ~20 plain lines."""

    MAX_LINES = 20

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.bar = None
        in_notebook = "ipykernel.zmqshell" in sys.modules
        if in_notebook or sys.stderr.isatty():
            if in_notebook:
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm
            self.bar = tqdm(total=epochs, desc="fit", unit="epoch", leave=True)
        self.every = max(1, math.ceil(epochs / self.MAX_LINES))
        self.unprinted: tuple[int, dict[str, str]] | None = None

    def update(self, epoch: int, logs: dict[str, float]) -> None:
        text = {k: f"{v:.4g}" for k, v in logs.items()}
        if self.bar is not None:
            self.bar.set_postfix(text, refresh=False)
            self.bar.update(1)
            return
        self.unprinted = (epoch, text)
        if epoch % self.every == 0 or epoch == self.epochs:
            self._print_line()

    def close(self) -> None:
        """Close the bar, or print the last epoch if its line is still due (early stop)."""
        if self.bar is not None:
            self.bar.close()
        elif self.unprinted is not None:
            self._print_line()

    def _print_line(self) -> None:
        epoch, text = self.unprinted
        fields = ", ".join(f"{k} {v}" for k, v in text.items())
        print(f"epoch {epoch}/{self.epochs}: {fields}", file=sys.stderr, flush=True)
        self.unprinted = None


# --- fit -----------------------------------------------------------------------------------------


def fit(
    model,
    loss_fn: Callable,
    optimizer,
    X: Sequence,
    y: Sequence,
    epochs: int,
    batch_size: int | None = None,
    val: tuple[Sequence, Sequence] | None = None,
    scheduler=None,
    clip_grad_norm: float | None = None,
    metrics: Metric | Iterable[Metric] = ("accuracy",),
    callbacks: Iterable = (),
    progress: bool = True,
    seed: int | None = None,
    compile: bool = False,
) -> History:
    """Train ``model`` on (X, y) for ``epochs`` epochs and return its :class:`History`.

    ``batch_size=None`` uses the whole training set as one batch; otherwise
    the batches are reshuffled each epoch (reproducibly with ``seed``).
    ``val=(X_val, y_val)`` is evaluated after each epoch in eval mode under
    ``no_grad``.  ``scheduler.step()`` is called once per epoch
    (``ReduceLROnPlateau`` gets the validation loss, or the training loss).
    ``clip_grad_norm`` clips the global gradient norm before each step.
    Training metrics are measured on each batch's outputs before its update
    and averaged over the epoch, as Keras does.  ``compile=True`` traces the
    forward pass and the loss once with ``micrograd_plus.compile(...,
    has_aux=True)`` and replays it for every batch (much faster): the metrics
    read the outputs of that same replay, and validation runs through a second
    compiled function traced in eval mode (never a backward).  Models holding
    Dropout or BatchNorm are refused: tracing would freeze their randomness.
    """
    n = check_xy(X, y)
    _check_positive_int("epochs", epochs)
    if batch_size is not None:
        _check_positive_int("batch_size", batch_size)
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) != 2:
            raise ValueError("val must be a pair (X_val, y_val)")
        try:
            check_xy(*val)
        except ValueError as error:
            raise ValueError(f"val: {error}") from None
    if clip_grad_norm is not None and not (
        isinstance(clip_grad_norm, numbers.Real) and clip_grad_norm > 0
    ):
        raise ValueError(f"clip_grad_norm must be a number > 0 or None, got {clip_grad_norm!r}")
    table = metric_table(metrics)
    callbacks = [Hooks(cb) for cb in callbacks]
    step_loss = _make_step_loss(model, loss_fn, compile)
    # Validation gets its own compiled function, traced in eval mode: a trace made in
    # training mode must never answer for eval mode (a module may branch on .training).
    val_loss = _make_step_loss(model, loss_fn, compile) if compile and val is not None else None
    clip = _clip_function() if clip_grad_norm is not None else None

    history = History(list(table), has_val=val is not None)
    groups = parameters_by_layer(model)
    history.grad_norms = {name: [] for name in groups}
    params = [p for group in groups.values() for p in group]
    sign_labels = uses_sign_labels(y) or (val is not None and uses_sign_labels(val[1]))
    rng = random.Random(seed)
    was_training = getattr(model, "training", True)
    for cb in callbacks:
        cb.on_train_begin(history, model)

    bar = _Progress(epochs) if progress else None
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            history.lr.append(float(optimizer.param_groups[0]["lr"]))
            if hasattr(model, "train"):
                model.train()
            size = n if batch_size is None else batch_size
            shuffle = batch_size is not None
            epoch_batches = batches(X, y, size, shuffle=shuffle, seed=rng.getrandbits(64))
            train_logs, norms = _train_one_epoch(
                model, step_loss, optimizer, epoch_batches, table, sign_labels, groups,
                clip, clip_grad_norm, params,
            )  # fmt: skip
            _record(history.train, train_logs)
            for name, value in norms.items():
                history.grad_norms[name].append(value)
            if val is not None:
                if compile:
                    logs = _evaluate_compiled(model, val_loss, val[0], val[1], table)
                else:
                    logs = evaluate(model, loss_fn, val[0], val[1], table)
                _record(history.val, logs)
            _step_scheduler(scheduler, history)
            history.epochs.append(epoch)
            history.time.append(time.perf_counter() - start)
            if bar is not None:
                bar.update(epoch, _latest_logs(history))
            stop = [cb.on_epoch_end(epoch, history, model) for cb in callbacks]
            if any(stop):
                history.stopped_early = True
                break
    finally:
        if bar is not None:
            bar.close()
    history.best_epoch = _default_best_epoch(history)
    for cb in callbacks:
        cb.on_train_end(history, model)
    if not was_training and hasattr(model, "eval"):
        model.eval()
    return history


def _train_one_epoch(
    model, step_loss, optimizer, epoch_batches, table, sign_labels, groups, clip, max_norm, params,
):  # fmt: skip
    """One pass over the batches; returns the epoch's mean loss/metrics and mean grad norms."""
    seen = 0
    sums: dict[str, float] = {}
    norm_sums = dict.fromkeys(groups, 0.0)
    steps = 0
    for Xb, yb in epoch_batches:
        optimizer.zero_grad()
        loss, outputs = step_loss(Xb, yb)
        loss.backward()
        for name, value in grad_norm_per_layer(groups).items():
            norm_sums[name] += value
        if clip is not None:
            clip(params, max_norm)
        optimizer.step()
        logs = {"loss": float(loss.data), **compute_metrics(table, outputs, yb, sign_labels)}
        for key, value in logs.items():
            sums[key] = sums.get(key, 0.0) + value * len(yb)
        seen += len(yb)
        steps += 1
    means = {key: total / seen for key, total in sums.items()}
    return means, {name: total / steps for name, total in norm_sums.items()}


def _make_step_loss(model, loss_fn, compiled: bool):
    """A function (Xb, yb) -> (loss, outputs): eager (outputs are Values), or one
    replay of micrograd_plus.compile (outputs are the floats of that same replay)."""

    def loss_and_outputs(Xb, yb):
        outputs = _forward_batch(model, Xb)
        return loss_fn(outputs, yb), outputs

    if not compiled:
        return loss_and_outputs
    from .compile import compile as compile_fn

    _refuse_frozen_randomness(model)
    traced = compile_fn(loss_and_outputs, has_aux=True)
    width = _output_width(model)
    # Traced targets are Values, and a Value cannot index a row: class indices for a
    # multi-output model travel as one-hot rows (cross_entropy takes both forms).
    return lambda Xb, yb: traced(Xb, _one_hot(yb, width))


def _evaluate_compiled(model, val_loss, X: Sequence, y: Sequence, table) -> dict[str, float]:
    """``evaluate`` through a compiled loss used only in eval mode: one replay, no backward.

    Under ``no_grad`` the compiled result's ``backward()`` would do nothing, so no
    ``.grad`` can change here.
    """
    with _eval_mode(model):
        loss, outputs = val_loss(list(X), list(y))
    results = {"loss": float(loss.data)}
    results.update(compute_metrics(table, outputs, y, uses_sign_labels(y)))
    return results


def _one_hot(yb: list, width: int | None) -> list:
    if width is None or width < 2 or not all(isinstance(c, numbers.Integral) for c in yb):
        return yb
    return [[1.0 if j == c else 0.0 for j in range(width)] for c in yb]


def _output_width(model) -> int | None:
    """How many outputs the model's last layer has, when it can be read off."""
    layers = getattr(model, "layers", None)
    last = layers[-1] if layers else model
    neurons = getattr(last, "neurons", None)
    return len(neurons) if neurons is not None else None


def _refuse_frozen_randomness(model) -> None:
    """Tracing would freeze a dropout mask or BatchNorm's batch statistics: refuse early."""
    from .nn import BatchNorm1d, Dropout

    for name, module in model._walk():
        if isinstance(module, Dropout) and module.p > 0 or isinstance(module, BatchNorm1d):
            kind = type(module).__name__
            frozen = "random mask" if kind == "Dropout" else "running statistics"
            where = name.rstrip(".") or "the top"
            raise ValueError(
                f"fit(compile=True) cannot train a model with {kind} (at {where!r}): "
                f"tracing would freeze its {frozen} at the first call; "
                "use compile=False for this model"
            )


def _clip_function():
    from .optim import clip_grad_norm_

    return clip_grad_norm_


def _step_scheduler(scheduler, history: History) -> None:
    if scheduler is None:
        return
    if type(scheduler).__name__ == "ReduceLROnPlateau":
        series = history.val["loss"] if history.val else history.train["loss"]
        scheduler.step(series[-1])
    else:
        scheduler.step()


def _record(store: dict[str, list[float]], logs: dict[str, float]) -> None:
    for key, value in logs.items():
        store[key].append(value)


def _latest_logs(history: History) -> dict[str, float]:
    logs = {k: v[-1] for k, v in history.train.items()}
    logs.update({f"val_{k}": v[-1] for k, v in history.val.items()})
    return logs


def _default_best_epoch(history: History) -> int | None:
    series = history.val["loss"] if history.val else history.train["loss"]
    finite = [(v, e) for v, e in zip(series, history.epochs) if v == v]
    return min(finite)[1] if finite else None


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
