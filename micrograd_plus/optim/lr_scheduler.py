"""Learning-rate schedulers that give the same learning rates as torch.optim.lr_scheduler.

Use as ``micrograd_plus.optim.lr_scheduler``.  A scheduler rewrites
``group["lr"]`` of its optimizer's param groups each time ``step()`` is called
(once per epoch, after ``optimizer.step()``).  Creating one performs step 0,
which for most schedules leaves the learning rate as it was.

Like PyTorch, the schedules are computed *recursively* from the current
``group["lr"]`` (the "chainable" form), not from a closed formula, so that
another change of ``lr`` made between steps carries on.  For
``CosineAnnealingLR`` this means the learning rates agree with the closed form
``eta_min + (base_lr - eta_min)·(1 + cos(π·t/T_max))/2`` only up to rounding
(about 1e-15 relative), and agree with PyTorch's to the last few bits.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .optimizers import Optimizer


class LRScheduler:
    """Base class: remembers base learning rates and the epoch count, sets group['lr']."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} expects a micrograd_plus optimizer, "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer: Optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch: int = -1
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group for epoch ``last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set each group's lr."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last step, one per param group."""
        return list(self._last_lr)

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as a JSON-able dict."""
        return {
            k: (list(v) if isinstance(v, list) else v)
            for k, v in vars(self).items()
            if k != "optimizer"
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict(); it must come from the same kind of scheduler."""
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected keys {sorted(expected)}, "
                f"got {got}"
            )
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr", "min_lrs"):
            if key in state_dict and len(state_dict[key]) != groups:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {key} has "
                    f"{len(state_dict[key])} entries, the optimizer has {groups} param groups"
                )
        for key, value in state_dict.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)


class StepLR(LRScheduler):
    """Multiply lr by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        _check_positive_int(self, "step_size", step_size)
        _check_real(self, "gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Multiply each group's lr by ``gamma`` every ``step_size`` epochs."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class ExponentialLR(LRScheduler):
    """Multiply lr by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        _check_real(self, "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """Multiply each group's lr by ``gamma`` every epoch."""
        if self._is_initial:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal lr from its base value to eta_min along half a cosine over T_max epochs.

    Past T_max the cosine continues, so lr climbs back up (as in PyTorch).
    Computed recursively from the current lr, like PyTorch; see the module notes.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        _check_positive_int(self, "T_max", T_max)
        _check_real(self, "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """One step along the cosine from the base lr to ``eta_min`` (PyTorch's recursive form)."""
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._current_lrs()
        if (t - 1 - T) % (2 * T) == 0:
            # at the bottom of the cosine the ratio below would divide by zero
            return [
                group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base_lr, group in zip(self.base_lrs, groups)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]


class LinearLR(LRScheduler):
    """Warm-up: scale lr by a factor that goes linearly from start_factor to end_factor."""

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        _check_real(self, "start_factor", start_factor)
        _check_real(self, "end_factor", end_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        _check_positive_int(self, "total_iters", total_iters)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        """One step of the linear ramp of the factor from ``start_factor`` to ``end_factor``."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in groups]
        if self.last_epoch > self.total_iters:
            return self._current_lrs()
        # the ratio of this epoch's factor to the previous one
        change = self.end_factor - self.start_factor
        previous = self.total_iters * self.start_factor + (self.last_epoch - 1) * change
        return [group["lr"] * (1.0 + change / previous) for group in groups]


class ReduceLROnPlateau(LRScheduler):
    """Multiply lr by factor once the metric has stopped improving for patience epochs."""

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"ReduceLROnPlateau expects a micrograd_plus optimizer, "
                f"got {type(optimizer).__name__}"
            )
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        _check_real(self, "factor", factor)
        if not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in [0, 1), got {factor!r}")
        _check_nonnegative_int(self, "patience", patience)
        _check_nonnegative_int(self, "cooldown", cooldown)
        for name, value in (("threshold", threshold), ("eps", eps)):
            _check_real(self, name, value)
            if not value >= 0:
                raise ValueError(f"ReduceLROnPlateau: {name} must be >= 0, got {value!r}")
        groups = len(optimizer.param_groups)
        min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * groups
        if len(min_lrs) != groups:
            raise ValueError(
                f"ReduceLROnPlateau: min_lr has {len(min_lrs)} entries, "
                f"the optimizer has {groups} param groups"
            )
        for value in min_lrs:
            _check_real(self, "min_lr", value)
            if not value >= 0:
                raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {value!r}")
        self.optimizer: Optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.min_lrs = min_lrs
        self.eps = eps
        self.last_epoch: int = 0
        self.best: float = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs: int = 0
        self.cooldown_counter: int = 0
        self._last_lr = self._current_lrs()

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record this epoch's metric (e.g. validation loss); reduce lr after a plateau."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _is_better(self, current: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < self.best * (1.0 - self.threshold)
            return current < self.best - self.threshold
        if self.threshold_mode == "rel":
            return current > self.best * (self.threshold + 1.0)
        return current > self.best + self.threshold

    def _reduce_lr(self) -> None:
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
            new_lr = max(group["lr"] * self.factor, min_lr)
            if group["lr"] - new_lr > self.eps:  # changes smaller than eps are skipped
                group["lr"] = new_lr


def _check_real(owner: object, name: str, x: Any) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            f"{type(owner).__name__}: {name} must be a real number, got {type(x).__name__} {x!r}"
        )


def _check_positive_int(owner: object, name: str, x: Any) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x <= 0:
        raise ValueError(f"{type(owner).__name__}: {name} must be a positive integer, got {x!r}")


def _check_nonnegative_int(owner: object, name: str, x: Any) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 0:
        raise ValueError(
            f"{type(owner).__name__}: {name} must be a non-negative integer, got {x!r}"
        )
