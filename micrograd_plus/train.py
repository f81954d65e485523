"""fit(): the textbook training loop in one readable call, and the parts it is made of.

Each epoch: shuffle, and for every mini-batch run the forward pass, the loss,
``backward()``, optional gradient clipping and ``optimizer.step()``; then
evaluate on the validation data (eval mode, ``no_grad``), step the learning-rate
scheduler, record everything in a :class:`History` and ask the callbacks
whether to stop.

Callback protocol (every hook optional; a plain function counts as ``on_epoch_end``)::

    on_train_begin(history, model)                  before the first epoch
    on_epoch_end(epoch, history, model) -> bool     True stops training
    on_train_end(history, model)                    after the last epoch

Accuracy rule for one-output models (a single score per sample): if any
target is -1 the labels are taken as ±1 and the prediction is the sign of the
score (score > 0 -> 1, else -1); otherwise the labels are 0/1 and the score is
read as a logit (score > 0 -> 1, else 0).  A model whose last layer outputs a
probability needs its own metric.  Multi-output models predict the argmax of
their row, compared with the class index (or with the argmax of a one-hot target).
"""

from __future__ import annotations

import copy
import json
import math
import numbers
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .data import _check_xy, batches
from .engine import Value, no_grad

Metric = str | Callable[[list, list], float]

__all__ = ["EarlyStopping", "History", "evaluate", "fit", "predict", "predict_classes"]


# --- History ----------------------------------------------------------------------------


class History:
    """What happened during fit(), one entry per epoch; plain lists and dicts, JSON-ready.

    ``epochs``: epoch numbers, counted from 1.  ``train`` / ``val``: ``"loss"``
    and each metric name -> list of per-epoch values (``val`` is empty without
    validation data).  ``lr``: the learning rate used during each epoch.
    ``grad_norms``: layer name -> L2 norm of that layer's gradient, averaged
    over the epoch's steps (measured before clipping).  ``time``: wall seconds
    per epoch.  ``stopped_early``: a callback stopped training.
    ``best_epoch``: the epoch with the best monitored value (EarlyStopping's
    monitor, else the lowest validation loss, else the lowest training loss).
    """

    FORMAT_VERSION = 1

    def __init__(self, metric_names: Sequence[str] = (), has_val: bool = False) -> None:
        keys = ["loss", *metric_names]
        self.epochs: list[int] = []
        self.train: dict[str, list[float]] = {k: [] for k in keys}
        self.val: dict[str, list[float]] = {k: [] for k in keys} if has_val else {}
        self.lr: list[float] = []
        self.grad_norms: dict[str, list[float]] = {}
        self.time: list[float] = []
        self.stopped_early: bool = False
        self.best_epoch: int | None = None

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.train.items() if v}
        return f"History(epochs={len(self.epochs)}, last={last}, best_epoch={self.best_epoch})"

    def get(self, key: str) -> list[float]:
        """A series by its logged name: ``"loss"``, ``"accuracy"``, ``"val_loss"``, ..."""
        if key.startswith("val_"):
            series = self.val.get(key[4:])
        else:
            series = self.train.get(key)
        if series is None:
            known = list(self.train) + [f"val_{k}" for k in self.val]
            raise KeyError(f"History has no series {key!r}; it has {known}")
        return series

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.FORMAT_VERSION,
            "epochs": list(self.epochs),
            "train": {k: list(v) for k, v in self.train.items()},
            "val": {k: list(v) for k, v in self.val.items()},
            "lr": list(self.lr),
            "grad_norms": {k: list(v) for k, v in self.grad_norms.items()},
            "time": list(self.time),
            "stopped_early": self.stopped_early,
            "best_epoch": self.best_epoch,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        history = cls()
        try:
            history.epochs = [int(e) for e in d["epochs"]]
            history.train = {k: [float(x) for x in v] for k, v in d["train"].items()}
            history.val = {k: [float(x) for x in v] for k, v in d.get("val", {}).items()}
            history.lr = [float(x) for x in d.get("lr", [])]
            history.grad_norms = {
                k: [float(x) for x in v] for k, v in d.get("grad_norms", {}).items()
            }
            history.time = [float(x) for x in d.get("time", [])]
        except (KeyError, AttributeError, TypeError) as error:
            raise ValueError(
                f"not a History dict (expected 'epochs' and 'train'): {error}"
            ) from None
        history.stopped_early = bool(d.get("stopped_early", False))
        best = d.get("best_epoch")
        history.best_epoch = None if best is None else int(best)
        return history

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The history as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> History:
        """Read a history from JSON text (a string starting with '{') or from a file path."""
        if isinstance(source, str) and source.lstrip().startswith("{"):
            return cls.from_dict(json.loads(source))
        with open(source, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))


# --- callbacks ---------------------------------------------------------------------------


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``monitor`` is a History series name (``"val_loss"``, ``"loss"``,
    ``"val_accuracy"``, ...); ``mode="auto"`` maximises names containing
    "accuracy" and minimises the rest.  With ``restore_best`` the model gets
    back the weights of its best epoch when training ends, whether it stopped
    early or not.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = True,
        mode: str = "auto",
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an int >= 1, got {patience!r}")
        if not isinstance(min_delta, numbers.Real) or min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got {min_delta!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.maximize = mode == "max" or (mode == "auto" and "accuracy" in monitor)
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self._best_state = None

    def on_train_begin(self, history: History, model) -> None:
        try:
            history.get(self.monitor)
        except KeyError as error:
            raise ValueError(f"EarlyStopping(monitor={self.monitor!r}): {error.args[0]}") from None
        self._reset()

    def on_epoch_end(self, epoch: int, history: History, model) -> bool:
        value = history.get(self.monitor)[-1]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self._best_state = _snapshot(model)
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, history: History, model) -> None:
        if self.best_epoch is not None:
            history.best_epoch = self.best_epoch
        if self.restore_best and self._best_state is not None:
            _restore(model, self._best_state)

    def _improved(self, value: float) -> bool:
        if value != value:  # NaN never improves
            return False
        if self.best is None:
            return True
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta


def _snapshot(model):
    if hasattr(model, "state_dict"):
        return copy.deepcopy(model.state_dict())
    return [p.data for p in model.parameters()]


def _restore(model, state) -> None:
    if hasattr(model, "load_state_dict"):
        model.load_state_dict(state)
    else:
        for p, data in zip(model.parameters(), state):
            p.data = data


# --- metrics ---------------------------------------------------------------------------------


def _as_floats(outputs: Sequence) -> list:
    """Model outputs as plain numbers: a float per sample, or a list of floats per sample."""
    return [
        [float(v) for v in out] if isinstance(out, (list, tuple)) else float(out) for out in outputs
    ]


def _uses_sign_labels(targets: Iterable) -> bool:
    """True for ±1 labels (any target is -1), False for 0/1 labels."""
    return any(not isinstance(t, (list, tuple)) and t == -1 for t in targets)


def accuracy(outputs: Sequence, targets: Sequence, sign_labels: bool | None = None) -> float:
    """Fraction of samples classified right, by the rule in the module docstring."""
    outputs = _as_floats(outputs)
    _check_same_length(outputs, targets, "accuracy")
    if sign_labels is None:
        sign_labels = _uses_sign_labels(targets)
    correct = 0
    for out, target in zip(outputs, targets):
        if isinstance(out, list):
            predicted = _argmax(out)
            wanted = _argmax(target) if isinstance(target, (list, tuple)) else int(target)
        else:
            negative = -1 if sign_labels else 0
            predicted = 1 if out > 0.0 else negative
            wanted = target
        correct += predicted == wanted
    return correct / len(outputs)


def mse(outputs: Sequence, targets: Sequence) -> float:
    """Mean squared error over every output number."""
    outputs = _as_floats(outputs)
    _check_same_length(outputs, targets, "mse")
    errors = []
    for out, target in zip(outputs, targets):
        if isinstance(out, list):
            if not isinstance(target, (list, tuple)) or len(target) != len(out):
                raise ValueError(
                    "the 'mse' metric needs a target row as long as each output row, got "
                    f"{target!r} for an output of {len(out)} numbers"
                )
            errors += [(o - float(t)) ** 2 for o, t in zip(out, target)]
        else:
            errors.append((out - float(target)) ** 2)
    return math.fsum(errors) / len(errors)


def _check_same_length(outputs: list, targets: Sequence, metric: str) -> None:
    """A metric compares sample by sample: a length mismatch is a bug, never truncated."""
    if len(outputs) != len(targets) or not outputs:
        raise ValueError(
            f"the {metric!r} metric needs one target per output and at least one sample, "
            f"got {len(outputs)} outputs and {len(targets)} targets"
        )


METRICS: dict[str, Callable[..., float]] = {"accuracy": accuracy, "mse": mse}


def _argmax(row: Sequence) -> int:
    row = [float(v) for v in row]
    return max(range(len(row)), key=row.__getitem__)


def _metric_table(metrics) -> dict[str, Callable[..., float]]:
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


def _compute_metrics(table, outputs, targets, sign_labels: bool) -> dict[str, float]:
    results = {}
    for name, fn in table.items():
        if fn is accuracy:
            results[name] = accuracy(outputs, targets, sign_labels)
        else:
            results[name] = float(fn(_as_floats(outputs), list(targets)))
    return results


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
        return _as_floats(_forward_batch(model, X))


def predict_classes(model, X: Sequence, sign_labels: bool = False) -> list[int]:
    """Class predictions: the argmax of each output row, or for one-output models
    1 where the score is > 0 and 0 (or -1 with ``sign_labels``) elsewhere."""
    negative = -1 if sign_labels else 0
    classes = []
    for out in predict(model, X):
        if isinstance(out, list) and len(out) > 1:
            classes.append(_argmax(out))
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
    _check_xy(X, y)
    table = _metric_table(metrics)
    with _eval_mode(model):
        outputs = _forward_batch(model, X)
        results = {} if loss_fn is None else {"loss": float(loss_fn(outputs, list(y)).data)}
    results.update(_compute_metrics(table, outputs, y, _uses_sign_labels(y)))
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
    n = _check_xy(X, y)
    _check_positive_int("epochs", epochs)
    if batch_size is not None:
        _check_positive_int("batch_size", batch_size)
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) != 2:
            raise ValueError("val must be a pair (X_val, y_val)")
        try:
            _check_xy(*val)
        except ValueError as error:
            raise ValueError(f"val: {error}") from None
    if clip_grad_norm is not None and not (
        isinstance(clip_grad_norm, numbers.Real) and clip_grad_norm > 0
    ):
        raise ValueError(f"clip_grad_norm must be a number > 0 or None, got {clip_grad_norm!r}")
    table = _metric_table(metrics)
    callbacks = [_Hooks(cb) for cb in callbacks]
    step_loss = _make_step_loss(model, loss_fn, compile)
    # Validation gets its own compiled function, traced in eval mode: a trace made in
    # training mode must never answer for eval mode (a module may branch on .training).
    val_loss = _make_step_loss(model, loss_fn, compile) if compile and val is not None else None
    clip = _clip_function() if clip_grad_norm is not None else None

    history = History(list(table), has_val=val is not None)
    groups = parameters_by_layer(model)
    history.grad_norms = {name: [] for name in groups}
    params = [p for group in groups.values() for p in group]
    sign_labels = _uses_sign_labels(y) or (val is not None and _uses_sign_labels(val[1]))
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
        logs = {"loss": float(loss.data), **_compute_metrics(table, outputs, yb, sign_labels)}
        for key, value in logs.items():
            sums[key] = sums.get(key, 0.0) + value * len(yb)
        seen += len(yb)
        steps += 1
    means = {key: total / seen for key, total in sums.items()}
    return means, {name: total / steps for name, total in norm_sums.items()}


def _make_step_loss(model, loss_fn, compiled: bool):
    """A function (Xb, yb) -> (loss, outputs): eager (outputs are Values), or one
    replay of micrograd_plus.compile (outputs are the floats of that same replay)."""
    if not compiled:

        def eager(Xb, yb):
            outputs = _forward_batch(model, Xb)
            return loss_fn(outputs, yb), outputs

        return eager
    from .compile import compile as compile_fn

    _refuse_frozen_randomness(model)

    def loss_and_outputs(Xb, yb):
        outputs = _forward_batch(model, Xb)
        return loss_fn(outputs, yb), outputs

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
    results.update(_compute_metrics(table, outputs, y, _uses_sign_labels(y)))
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


class _Hooks:
    """A callback seen through the full protocol: missing hooks do nothing."""

    def __init__(self, callback) -> None:
        if hasattr(callback, "on_epoch_end"):
            self.callback = callback
            self._epoch_end = callback.on_epoch_end
        elif callable(callback):
            self.callback = None
            self._epoch_end = callback
        else:
            raise TypeError(
                f"a callback needs an on_epoch_end method or must be callable, got {callback!r}"
            )

    def on_train_begin(self, history: History, model) -> None:
        hook = getattr(self.callback, "on_train_begin", None)
        if hook is not None:
            hook(history, model)

    def on_epoch_end(self, epoch: int, history: History, model) -> bool:
        return bool(self._epoch_end(epoch, history, model))

    def on_train_end(self, history: History, model) -> None:
        hook = getattr(self.callback, "on_train_end", None)
        if hook is not None:
            hook(history, model)


def _check_positive_int(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
