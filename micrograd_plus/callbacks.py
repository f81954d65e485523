"""Callbacks for fit(): the protocol, ``EarlyStopping``, and how fit calls them.

Callback protocol (every hook optional; a plain function counts as ``on_epoch_end``)::

    on_train_begin(history, model)                  before the first epoch
    on_epoch_end(epoch, history, model) -> bool     True stops training
    on_train_end(history, model)                    after the last epoch

A callback sees only the :class:`History` and the model, never the loop's
internals, so it lives apart from the training loop in ``train.py``: this one
file is all you need to read to write your own. Import ``EarlyStopping``
from ``micrograd_plus.train`` (or ``micrograd_plus``) as usual.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable
from typing import Any

from .history import History
from .module import TrainableModel


class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``monitor`` is a History series name (``"val_loss"``, ``"loss"``,
    ``"val_accuracy"``, ...); ``mode="auto"`` maximises names containing
    "accuracy" and minimises the rest.  With ``restore_best`` the model gets
    back the weights of its best epoch when training ends, whether it stopped
    early or not.
    """

    monitor: str
    patience: int
    min_delta: float
    restore_best: bool
    maximize: bool
    #: The best monitored value so far and its epoch (None before the first epoch).
    best: float | None
    best_epoch: int | None
    #: Epochs since the last improvement.
    wait: int

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
        if (
            isinstance(min_delta, bool)
            or not isinstance(min_delta, numbers.Real)
            or not 0 <= min_delta < math.inf  # NaN could never be beaten: stopping never fires
        ):
            raise ValueError(
                f"EarlyStopping: min_delta must be a finite number >= 0, got {min_delta!r}"
            )
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.maximize = mode == "max" or (mode == "auto" and "accuracy" in monitor)
        self._reset()

    def _reset(self) -> None:
        self.best = None
        self.best_epoch = None
        self.wait = 0
        self._best_state: Any = None

    def on_train_begin(self, history: History, model: TrainableModel) -> None:
        """Check that ``monitor`` is a series fit records, and start counting afresh."""
        try:
            history.get(self.monitor)
        except KeyError as error:
            raise ValueError(f"EarlyStopping(monitor={self.monitor!r}): {error.args[0]}") from None
        self._reset()

    def on_epoch_end(self, epoch: int, history: History, model: TrainableModel) -> bool:
        """Note the best epoch so far; True (stop) after ``patience`` epochs without one."""
        value = history.get(self.monitor)[-1]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self._best_state = _snapshot(model)
            return False
        self.wait += 1
        return self.wait >= self.patience

    def on_train_end(self, history: History, model: TrainableModel) -> None:
        """Record the best epoch in the history and, with ``restore_best``, its weights."""
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


def _snapshot(model: TrainableModel) -> Any:
    if hasattr(model, "state_dict"):
        return copy.deepcopy(model.state_dict())
    return [p.data for p in model.parameters()]


def _restore(model: TrainableModel, state: Any) -> None:
    if hasattr(model, "load_state_dict"):
        model.load_state_dict(state)
    else:
        for p, data in zip(model.parameters(), state):
            p.data = data


class Hooks:
    """A callback seen through the full protocol: missing hooks do nothing."""

    callback: Any
    _epoch_end: Callable[[int, History, TrainableModel], Any]

    def __init__(self, callback: Any) -> None:
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

    def on_train_begin(self, history: History, model: TrainableModel) -> None:
        """The callback's ``on_train_begin``, if it has one."""
        hook = getattr(self.callback, "on_train_begin", None)
        if hook is not None:
            hook(history, model)

    def on_epoch_end(self, epoch: int, history: History, model: TrainableModel) -> bool:
        """The callback's ``on_epoch_end`` (or the callback itself), as a bool: True stops."""
        return bool(self._epoch_end(epoch, history, model))

    def on_train_end(self, history: History, model: TrainableModel) -> None:
        """The callback's ``on_train_end``, if it has one."""
        hook = getattr(self.callback, "on_train_end", None)
        if hook is not None:
            hook(history, model)
