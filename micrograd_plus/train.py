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
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from .callbacks import EarlyStopping, Hooks
from .data import batches, check_xy
from .engine import Value, gc_paused, no_grad
from .history import History
from .metrics import (
    METRICS,
    Metric,
    accuracy,
    argmax,
    as_floats,
    compute_metrics,
    default_metrics,
    metric_table,
    mse,
    uses_sign_labels,
)
from .module import Model, TrainableModel

if TYPE_CHECKING:
    import numpy as np

    from .compiler.step import CompiledStep
    from .optim.lr_scheduler import LRScheduler

__all__ = [
    "METRICS",
    "EarlyStopping",
    "History",
    "NonFiniteError",
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


#: A loss: (the batch's outputs, its targets) -> one Value (every function in ``losses``).
LossFunction: TypeAlias = Callable[[list[Any], list[Any]], Value]
# (X batch, y batch) -> (loss, outputs): the loss is a Value, or under compile the replay's
# CompiledResult (it has .data and .backward() too).
_StepLoss: TypeAlias = Callable[[list[Any], list[Any]], tuple[Any, list[Any]]]


class Optimizer(Protocol):
    """What fit needs of an optimizer: ``torch.optim``'s interface, which every class of
    ``micrograd_plus.optim`` has (the first group's ``"lr"`` is recorded each epoch)."""

    @property
    def param_groups(self) -> Sequence[Mapping[str, Any]]:
        """Groups of parameters with their options; fit records ``param_groups[0]["lr"]``."""
        ...

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to 0, before each batch's backward pass."""
        ...

    def step(self) -> Any:
        """Update the parameters from their gradients, once per batch."""
        ...


# --- predict / evaluate ---------------------------------------------------------------------


def _forward_batch(model: Model, X: Sequence[Any]) -> list[Any]:
    forward_batch = getattr(model, "forward_batch", None)
    if forward_batch is not None:
        outputs: list[Any] = forward_batch(X)
        return outputs
    return [model(x) for x in X]


class _eval_mode:
    """Eval mode and no_grad inside the block; the model's previous mode afterwards."""

    def __init__(self, model: Model) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.was_training = getattr(self.model, "training", True)
        if hasattr(self.model, "eval"):
            self.model.eval()
        self.no_grad = no_grad()
        self.no_grad.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.no_grad.__exit__(*exc)
        if self.was_training and hasattr(self.model, "train"):
            self.model.train()


def predict(model: Model, X: Sequence[Any]) -> list[Any]:
    """Raw model outputs as floats (a float per sample, or a list per sample), in eval mode."""
    if len(X) == 0:
        raise ValueError("predict: X is empty, expected at least one sample")
    with _eval_mode(model):
        return as_floats(_forward_batch(model, X))


def predict_classes(model: Model, X: Sequence[Any], sign_labels: bool = False) -> list[int]:
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
    model: Model,
    loss_fn: LossFunction | None,
    X: Sequence[Any],
    y: Sequence[Any],
    metrics: Metric | Iterable[Metric] | dict[str, Callable[..., float]] | None = None,
) -> dict[str, float]:
    """``{"loss": ..., metric: ...}`` on (X, y) in eval mode without recording a graph.

    ``metrics=None`` picks the metrics that fit the task (see ``default_metrics``).
    """
    check_xy(X, y)
    table = metric_table(default_metrics(loss_fn, y) if metrics is None else metrics)
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


def parameters_by_layer(model: TrainableModel) -> dict[str, list[Value]]:
    """The model's parameters grouped by ``layer_name``; without ``named_parameters``
    everything is one group, ``"model"``."""
    named_parameters = getattr(model, "named_parameters", None)
    if named_parameters is not None:
        named: list[tuple[str, Value]] = named_parameters()
    else:
        named = [(f"{i}", p) for i, p in enumerate(model.parameters())]
    groups: dict[str, list[Value]] = {}
    for name, p in named:
        groups.setdefault(layer_name(name), []).append(p)
    return groups


def grad_norm_per_layer(groups: dict[str, list[Value]]) -> dict[str, float]:
    """The L2 norm of each group's gradients (what ``History.grad_norms`` records).

    ``math.hypot`` scales as it goes, so huge gradients give a huge norm, not an OverflowError.
    """
    return {name: math.hypot(*[float(p.grad) for p in params]) for name, params in groups.items()}


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
        assert self.unprinted is not None
        epoch, text = self.unprinted
        fields = ", ".join(f"{k} {v}" for k, v in text.items())
        print(f"epoch {epoch}/{self.epochs}: {fields}", file=sys.stderr, flush=True)
        self.unprinted = None


# --- fit -----------------------------------------------------------------------------------------


def fit(
    model: TrainableModel,
    loss_fn: LossFunction,
    optimizer: Optimizer,
    X: Sequence[Any],
    y: Sequence[Any],
    epochs: int,
    batch_size: int | None = None,
    val: tuple[Sequence[Any], Sequence[Any]] | None = None,
    scheduler: LRScheduler | None = None,
    clip_grad_norm: float | None = None,
    metrics: Metric | Iterable[Metric] | None = None,
    callbacks: Iterable[object] = (),
    progress: bool = True,
    seed: int | None = None,
    compile: bool = False,
    on_nonfinite: str = "raise",
    on_interrupt: str = "return",
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

    ``metrics=None`` picks what fits the loss: accuracy for the classification
    losses, nothing for ``mse_loss`` (see ``default_metrics``).

    fit never trains on garbage. A batch whose loss or gradient is NaN or
    infinite, or whose step would make a parameter so, is never applied:
    ``on_nonfinite="raise"`` (default) stops with :class:`NonFiniteError`
    naming the epoch and batch (the model keeps its last finite weights, the
    History so far is ``error.history``); ``"skip"`` skips such batches and
    lists them in ``history.skipped_batches``; ``"warn"`` does the same with a
    ``RuntimeWarning`` for each.

    Ctrl-C (KeyboardInterrupt) ends training cleanly: the History keeps the
    epochs that finished (``history.interrupted`` is True), callbacks' train-end
    hooks run (``EarlyStopping(restore_best=True)`` restores the best weights),
    and fit returns it. ``on_interrupt="raise"`` re-raises the
    KeyboardInterrupt instead, with the History attached as ``.history``.
    """
    if on_nonfinite not in NONFINITE_MODES:
        raise ValueError(
            f"on_nonfinite must be one of {', '.join(map(repr, NONFINITE_MODES))}, "
            f"got {on_nonfinite!r}"
        )
    if on_interrupt not in ("return", "raise"):
        raise ValueError(f"on_interrupt must be 'return' or 'raise', got {on_interrupt!r}")
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
    table = metric_table(default_metrics(loss_fn, y) if metrics is None else metrics)
    hooks = [Hooks(cb) for cb in callbacks]
    groups = parameters_by_layer(model)
    params = [p for group in groups.values() for p in group]
    # compile=True: the whole step compiled (compile_step, parameters held in arrays) where
    # it applies, else a compiled loss whose replay fills each Value's .grad
    held_step = _make_held_step(model, loss_fn, optimizer, params) if compile else None
    step_loss = _make_step_loss(model, loss_fn, compile) if held_step is None else None
    # Validation gets its own compiled function, traced in eval mode: a trace made in
    # training mode must never answer for eval mode (a module may branch on .training).
    val_loss = _make_step_loss(model, loss_fn, compile) if compile and val is not None else None
    clip = _clip_function() if clip_grad_norm is not None else None

    history = History(list(table), has_val=val is not None)
    history.grad_norms = {name: [] for name in groups}
    guard = _NonFiniteGuard(model, params, on_nonfinite, history)
    sign_labels = uses_sign_labels(y) or (val is not None and uses_sign_labels(val[1]))
    rng = random.Random(seed)
    was_training = getattr(model, "training", True)
    for cb in hooks:
        cb.on_train_begin(history, model)

    bar = _Progress(epochs) if progress else None
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            lr = float(optimizer.param_groups[0]["lr"])
            if hasattr(model, "train"):
                model.train()
            size = n if batch_size is None else batch_size
            shuffle = batch_size is not None
            epoch_batches = batches(X, y, size, shuffle=shuffle, seed=rng.getrandbits(64))
            if held_step is not None:
                train_logs, norms = _train_one_epoch_held(
                    held_step, epoch_batches, table, sign_labels, groups, clip_grad_norm,
                    guard.at_epoch(epoch),
                )  # fmt: skip
            else:
                assert step_loss is not None  # made exactly when there is no held step
                train_logs, norms = _train_one_epoch(
                    model, step_loss, optimizer, epoch_batches, table, sign_labels, groups,
                    clip, clip_grad_norm, params, guard.at_epoch(epoch),
                )  # fmt: skip
            history.lr.append(lr)
            _record(history.train, train_logs)
            for name, value in norms.items():
                history.grad_norms[name].append(value)
            if val is not None:
                if val_loss is not None:  # made exactly when compile and val
                    logs = _evaluate_compiled(model, val_loss, val[0], val[1], table)
                else:
                    logs = evaluate(model, loss_fn, val[0], val[1], table)
                _record(history.val, logs)
            _step_scheduler(scheduler, history)
            history.epochs.append(epoch)
            history.time.append(time.perf_counter() - start)
            if bar is not None:
                bar.update(epoch, _latest_logs(history))
            stop = [cb.on_epoch_end(epoch, history, model) for cb in hooks]
            if any(stop):
                history.stopped_early = True
                break
    except KeyboardInterrupt as interrupt:
        _keep_finished_epochs(history)
        history.interrupted = True
        _finish(history, hooks, model, was_training)
        if on_interrupt == "raise":
            interrupt.history = history  # type: ignore[attr-defined]
            raise
        print(
            f"fit: interrupted; returning the History of the {len(history.epochs)} "
            "finished epoch(s)",
            file=sys.stderr,
        )
        return history
    except NonFiniteError as error:
        _keep_finished_epochs(history)
        history.best_epoch = _default_best_epoch(history)
        _restore_mode(model, was_training)
        error.history = history
        raise
    finally:
        if bar is not None:
            bar.close()
    _finish(history, hooks, model, was_training)
    return history


def _finish(
    history: History, callbacks: list[Hooks], model: TrainableModel, was_training: bool
) -> None:
    history.best_epoch = _default_best_epoch(history)
    for cb in callbacks:
        cb.on_train_end(history, model)
    _restore_mode(model, was_training)


def _restore_mode(model: Model, was_training: bool) -> None:
    if not was_training and hasattr(model, "eval"):
        model.eval()


def _keep_finished_epochs(history: History) -> None:
    """Cut every per-epoch series to the epochs that finished (an interrupted one is dropped)."""
    done = len(history.epochs)
    for series in [history.lr, history.time, *history.train.values(), *history.val.values()]:
        del series[done:]
    for series in history.grad_norms.values():
        del series[done:]


class _EpochTotals:
    """What one epoch adds up over the batches it applied: loss, metrics, grad norms."""

    def __init__(
        self, table: dict[str, Callable[..., float]], groups: dict[str, Any], sign_labels: bool
    ) -> None:
        self.table, self.sign_labels = table, sign_labels
        self.sums: dict[str, float] = {"loss": 0.0, **dict.fromkeys(table, 0.0)}
        self.norm_sums = dict.fromkeys(groups, 0.0)
        self.seen = self.steps = 0

    def add(self, loss_value: float, outputs: Any, yb: list[Any], norms: dict[str, float]) -> None:
        """Count one applied batch (weighted by its size; norms once per step)."""
        for name, value in norms.items():
            self.norm_sums[name] += value
        metrics = compute_metrics(self.table, outputs, yb, self.sign_labels)
        for key, value in {"loss": loss_value, **metrics}.items():
            self.sums[key] = self.sums.get(key, 0.0) + value * len(yb)
        self.seen += len(yb)
        self.steps += 1

    def means(self) -> tuple[dict[str, float], dict[str, float]]:
        """The epoch's mean loss/metrics and mean grad norms; NaN if no batch was applied."""
        seen, steps = self.seen, self.steps
        means = {key: total / seen if seen else math.nan for key, total in self.sums.items()}
        norms = {
            name: total / steps if steps else math.nan for name, total in self.norm_sums.items()
        }
        return means, norms


def _train_one_epoch(
    model: TrainableModel,
    step_loss: _StepLoss,
    optimizer: Optimizer,
    epoch_batches: Iterable[tuple[list[Any], list[Any]]],
    table: dict[str, Callable[..., float]],
    sign_labels: bool,
    groups: dict[str, list[Value]],
    clip: Callable[[list[Value], float], Any] | None,
    max_norm: float | None,
    params: list[Value],
    guard: _NonFiniteGuard,
) -> tuple[dict[str, float], dict[str, float]]:
    """One pass over the batches; returns the epoch's mean loss/metrics and mean grad norms.

    A batch the guard refuses (non-finite loss, gradient or step) is not applied
    and not averaged in; an epoch with no batch applied records NaN.
    """
    totals = _EpochTotals(table, groups, sign_labels)
    epoch_batches = list(epoch_batches)
    for batch, (Xb, yb) in enumerate(epoch_batches, start=1):
        optimizer.zero_grad()
        with gc_paused():  # the forward builds no reference cycles: no collector scans
            loss, outputs = step_loss(Xb, yb)
        loss_value = float(loss.data)
        if not math.isfinite(loss_value):
            guard.refuse(batch, len(epoch_batches), f"the loss is {loss_value}")
            continue
        loss.backward()
        norms = grad_norm_per_layer(groups)
        if not all(math.isfinite(v) for v in norms.values()):
            guard.refuse(batch, len(epoch_batches), guard.describe_gradient())
            continue
        if clip is not None:
            clip(params, max_norm)  # type: ignore[arg-type]  # max_norm is set when clip is
        before = [p.data for p in params]
        optimizer.step()
        if not all(math.isfinite(p.data) for p in params):
            problem = guard.describe_step()
            for p, data in zip(params, before):
                p.data = data
            guard.refuse(batch, len(epoch_batches), problem)
            continue
        totals.add(loss_value, outputs, yb, norms)
    return totals.means()


def _train_one_epoch_held(
    step: CompiledStep,
    epoch_batches: Iterable[tuple[list[Any], list[Any]]],
    table: dict[str, Callable[..., float]],
    sign_labels: bool,
    groups: dict[str, list[Value]],
    max_norm: float | None,
    guard: _NonFiniteGuard,
) -> tuple[dict[str, float], dict[str, float]]:
    """``_train_one_epoch`` with fit(compile=True)'s compiled step (``compile_step``):
    the same checks, clipping and update, on the step's arrays instead of each Value.

    Gradient norms are NumPy's (equal to ``math.hypot``'s to rounding); clipping
    uses ``clip_grad_norm_``'s own norm and scale, so its numbers are eager's.
    """
    import numpy as np  # here: an eager fit loads no NumPy

    from .optim.optimizers import clip_coefficient

    totals = _EpochTotals(table, groups, sign_labels)
    batch_list = list(epoch_batches)
    layers: tuple[int, dict[str, np.ndarray]] | None = None
    for batch, (Xb, yb) in enumerate(batch_list, start=1):
        loss_value, outputs = step.forward_backward(Xb, yb)
        if layers is None or layers[0] != step.holds:  # where each layer sits in the arrays
            layers = (step.holds, {name: step.positions(ps) for name, ps in groups.items()})
        if not math.isfinite(loss_value):
            step.grads = np.zeros(step.grads.size)  # eager refuses before backward()
            guard.refuse(batch, len(batch_list), f"the loss is {loss_value}")
            continue
        norms = {name: _norm(step.grads[where]) for name, where in layers[1].items()}
        if not all(math.isfinite(v) for v in norms.values()):
            guard.refuse(batch, len(batch_list), guard.describe_gradient())  # hands back
            continue
        if max_norm is not None:  # clip_grad_norm_ on the array
            step.grads = step.grads * clip_coefficient(step.grads.tolist(), max_norm)
        before = step.params.copy()
        step.apply()
        if not np.isfinite(step.params).all():
            bad = {id(p) for p in step.nonfinite_parameters()}
            step.params[:] = before
            guard.refuse(batch, len(batch_list), guard.describe_step(bad))
            continue
        totals.add(loss_value, outputs, yb, norms)
    return totals.means()


def _norm(grads: np.ndarray) -> float:
    """The L2 norm of an array, scaled so that huge values give a huge norm, not inf."""
    biggest = float(abs(grads).max()) if grads.size else 0.0
    if biggest == 0.0 or not math.isfinite(biggest):
        return biggest if biggest == biggest else math.nan
    scaled = grads / biggest
    return biggest * math.sqrt(float(scaled.dot(scaled)))


NONFINITE_MODES = ("raise", "skip", "warn")


class NonFiniteError(FloatingPointError):
    """fit met a NaN or infinite loss, gradient or step; ``.history`` holds the epochs before."""

    def __init__(self, message: str, epoch: int, batch: int) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.batch = batch
        self.history: History | None = None


class _NonFiniteGuard:
    """What fit does with a batch that would train on garbage (``on_nonfinite``)."""

    def __init__(
        self, model: TrainableModel, params: list[Value], mode: str, history: History
    ) -> None:
        self.model, self.params, self.mode, self.history = model, params, mode, history
        self.epoch = 0

    def at_epoch(self, epoch: int) -> _NonFiniteGuard:
        self.epoch = epoch
        return self

    def refuse(self, batch: int, n_batches: int, problem: str) -> None:
        where = f"epoch {self.epoch}, batch {batch} of {n_batches}"
        if self.mode == "raise":
            raise NonFiniteError(
                f"fit: {problem} in {where}; stopped before applying that batch, so the "
                "model keeps its last finite weights. Look for NaN/inf in the data or "
                "lower the learning rate; on_nonfinite='skip' skips such batches instead",
                self.epoch,
                batch,
            )
        self.history.skipped_batches.append([self.epoch, batch])
        if self.mode == "warn":
            warnings.warn(f"fit: skipped {where}: {problem}", RuntimeWarning, stacklevel=4)

    def describe_gradient(self) -> str:
        found = self._first(lambda p: not math.isfinite(float(p.grad)))
        if found is None:  # every gradient is finite, their norm is beyond the float range
            return "the gradient norm overflows (gradients near 1e308)"
        name, p = found
        return f"the gradient of parameter {name} is {float(p.grad)}"

    def describe_step(self, bad: set[int] | None = None) -> str:
        """The first parameter the step made non-finite (``bad``: their ids, when the
        step ran on a compiled step's arrays, which hold the new values)."""
        if bad is None:
            found = self._first(lambda p: not math.isfinite(float(p.data)))
        else:
            found = self._first(lambda p: id(p) in bad)
        name, p = found if found is not None else ("(unknown)", self.params[0])
        value = p.data if bad is None else "non-finite"
        return f"the optimizer step would make parameter {name} {value}"

    def _first(self, is_bad: Callable[[Value], bool]) -> tuple[str, Value] | None:
        named = (
            self.model.named_parameters()
            if hasattr(self.model, "named_parameters")
            else [(str(i), p) for i, p in enumerate(self.params)]
        )
        for name, p in named:
            if is_bad(p):
                return repr(name), p
        return None


def _make_step_loss(model: TrainableModel, loss_fn: LossFunction, compiled: bool) -> _StepLoss:
    """A function (Xb, yb) -> (loss, outputs): eager (outputs are Values), or one
    replay of micrograd_plus.compile (outputs are the floats of that same replay)."""

    def loss_and_outputs(Xb: list[Any], yb: list[Any]) -> tuple[Any, list[Any]]:
        outputs = _forward_batch(model, Xb)
        return loss_fn(outputs, yb), outputs

    if not compiled:
        return loss_and_outputs
    from .compiler import compile as compile_fn

    _refuse_frozen_randomness(model)

    def model_loss_and_outputs(
        model: TrainableModel, Xb: list[Any], yb: list[Any]
    ) -> tuple[Any, list[Any]]:
        outputs = _forward_batch(model, Xb)
        return loss_fn(outputs, yb), outputs

    # The model is an argument, so its current parameters are read at every call;
    # int class labels travel as integer inputs (cross_entropy takes them under compile).
    traced = compile_fn(model_loss_and_outputs, has_aux=True)
    return lambda Xb, yb: traced(model, Xb, yb)


def _make_held_step(
    model: TrainableModel, loss_fn: LossFunction, optimizer: Optimizer, params: list[Value]
) -> CompiledStep | None:
    """fit(compile=True)'s training step: ``compile_step``, which holds the parameters
    in arrays, when the optimizer steps arrays and updates every parameter of the
    model (else None: fit replays a compiled loss and steps the Values)."""
    if not callable(getattr(optimizer, "step_arrays", None)):
        return None
    updated = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not all(id(p) in updated for p in params):
        return None
    from .compiler import compile_step

    _refuse_frozen_randomness(model)

    def model_loss_and_outputs(
        model: TrainableModel, Xb: list[Any], yb: list[Any]
    ) -> tuple[Value, list[Any]]:
        outputs = _forward_batch(model, Xb)
        return loss_fn(outputs, yb), outputs

    return compile_step(model_loss_and_outputs, model, optimizer, has_aux=True)


def _evaluate_compiled(
    model: Model,
    val_loss: _StepLoss,
    X: Sequence[Any],
    y: Sequence[Any],
    table: dict[str, Callable[..., float]],
) -> dict[str, float]:
    """``evaluate`` through a compiled loss used only in eval mode: one replay, no backward.

    Under ``no_grad`` the compiled result's ``backward()`` would do nothing, so no
    ``.grad`` can change here.
    """
    with _eval_mode(model):
        loss, outputs = val_loss(list(X), list(y))
    results = {"loss": float(loss.data)}
    results.update(compute_metrics(table, outputs, y, uses_sign_labels(y)))
    return results


def _refuse_frozen_randomness(model: Model) -> None:
    """Tracing would freeze a dropout mask or BatchNorm's batch statistics: refuse early."""
    walk = getattr(model, "_walk", None)
    for name, module in walk() if callable(walk) else [("", model)]:
        frozen = getattr(module, "frozen_by_tracing", "")
        if frozen:
            kind = type(module).__name__
            where = name.rstrip(".") or "the top"
            raise ValueError(
                f"fit(compile=True) cannot train a model with {kind} (at {where!r}): "
                f"tracing would freeze {frozen} at the first call; "
                "use compile=False for this model"
            )


def _clip_function() -> Callable[[list[Value], float], Any]:
    from .optim import clip_grad_norm_

    return clip_grad_norm_


def _step_scheduler(scheduler: LRScheduler | None, history: History) -> None:
    if scheduler is None:
        return
    if type(scheduler).__name__ == "ReduceLROnPlateau":
        series = history.val["loss"] if history.val else history.train["loss"]
        scheduler.step(series[-1])  # type: ignore[call-arg]  # its step takes the metric
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


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
