"""Optimizers and gradient clipping with PyTorch's names, defaults and arithmetic.

An optimizer holds ``param_groups``: a list of dicts, each with its
``"params"`` (Values) and its hyper-parameters (``"lr"``, ...).  ``step()``
reads every ``p.grad`` and updates ``p.data`` in place; learning-rate
schedulers (``optim.lr_scheduler``) change ``group["lr"]`` between steps.

Each update is written the way the textbook writes it, in the same order of
floating-point operations as ``torch.optim``'s single-tensor code, so a run
gives the same parameters as PyTorch to about 1e-15 relative per step.

One difference from PyTorch: a Value always has a gradient (0.0 until
backward), so every parameter is updated on every step, where PyTorch skips a
tensor whose ``.grad`` is None.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from ..engine import Value

if TYPE_CHECKING:  # NumPy is loaded only by the array methods (compile_step's path)
    import numpy as np

ParamsT = Iterable[Value] | Iterable[dict[str, Any]]

# Keys a param group may hold besides its optimizer's hyper-parameters.
_EXTRA_GROUP_KEYS = ("params", "initial_lr", "name")


class Optimizer:
    """Base class: param groups, per-parameter state, zero_grad and state dicts.

    A subclass lists its hyper-parameters in ``defaults``, checks them in
    ``_check_hyperparameters`` and updates one parameter in ``_update``.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self._check_hyperparameters(self.defaults)
        self.param_groups: list[dict[str, Any]] = []
        self._holder: Any = None  # a compiled step holding the state in arrays (compile_step)
        self._state: dict[int, dict[str, Any]] = {}  # id(param) -> that parameter's state
        if isinstance(params, (Value, dict)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Values or of "
                f"param-group dicts, got {type(params).__name__}"
            )
        items: list[Any] = list(params)
        if not items:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        groups: list[dict[str, Any]] = items if isinstance(items[0], dict) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)

    @property
    def state(self) -> dict[int, dict[str, Any]]:
        """id(param) -> that parameter's state (momentum buffers, moment estimates, step).

        While a compiled step (``compile_step``) holds this optimizer, the state
        lives in the step's arrays; reading it here first hands it back, so it is
        never stale.
        """
        if self._holder is not None:
            self._holder.sync()
        return self._state

    @state.setter
    def state(self, state: dict[int, dict[str, Any]]) -> None:
        if self._holder is not None:
            self._holder.sync()
        self._state = state

    # --- param groups -------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; hyper-parameters it omits take the defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a param group must be a dict, got {type(param_group)}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a param group needs a 'params' entry")
        unknown = set(param_group) - set(self.defaults) - set(_EXTRA_GROUP_KEYS)
        if unknown:
            raise ValueError(
                f"{name}: unknown param-group key(s) {sorted(unknown)}; "
                f"expected some of {sorted(self.defaults)}"
            )
        params = _as_param_list(param_group["params"], name)
        if not params:
            raise ValueError(f"{name}: a param group has an empty parameter list")
        group = {**self.defaults, **param_group, "params": params}
        self._check_hyperparameters(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if id(p) in seen:
                raise ValueError(f"{name}: a parameter appears more than once ({p!r})")
            seen.add(id(p))
        self.param_groups.append(group)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Raise ValueError naming the first bad hyper-parameter."""

    # --- the update ---------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 (backward() accumulates)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once from its gradient; return closure() if given.

        All or nothing: every new value and state is computed first and only
        then written, so an error (naming the parameter and step) changes nothing.
        """
        loss = closure() if closure is not None else None
        states = self.state
        staged = []
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                state = dict(states.get(id(p), ()))
                shadow = _Staged(p.data)
                try:
                    grad = float(p.grad)
                    if group.get("maximize", False):
                        grad = -grad
                    self._update(cast(Value, shadow), grad, state, group)
                except (ArithmeticError, ValueError, TypeError) as err:
                    raise ValueError(
                        f"{type(self).__name__}.step: parameter {index} (of "
                        f"{sum(len(g['params']) for g in self.param_groups)}), step "
                        f"{state.get('step', '?')}: {err}; no parameter was changed"
                    ) from err
                staged.append((p, shadow.data, state))
                index += 1
        for p, data, state in staged:
            p.data = data
            states[id(p)] = state
        return loss

    def _update(self, p: Value, grad: float, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    # --- the same update on arrays (what compile_step runs) ---------------------------
    def step_arrays(
        self, params: list[np.ndarray], grads: list[np.ndarray], states: list[dict[str, Any]]
    ) -> None:
        """``step()`` on arrays: group i's parameters ``params[i]`` (updated in place),
        gradients ``grads[i]`` and state ``states[i]`` (from ``state_arrays(i)``).

        The update is ``_update`` itself, run on NumPy arrays instead of floats:
        the same operations in the same order, each rounded the same way, so the
        numbers are exactly ``step()``'s.  A compiled step calls it once per step
        instead of one Python-level update per parameter.
        """
        for group, data, grad, state in zip(self.param_groups, params, grads, states):
            grad = _np().array(grad, dtype=float)  # a copy: state may keep it (SGD's buffer)
            if group.get("maximize", False):
                grad = -grad
            shadow = _Staged(data)
            with _np().errstate(all="ignore"):  # inf/nan as float arithmetic gives, silently
                self._update(cast(Value, shadow), grad, state, group)
            if shadow.data is not data:
                data[...] = shadow.data

    def state_arrays(self, group_index: int) -> dict[str, Any]:
        """Param group ``group_index``'s state as one array per field (a count as one int
        when every parameter has the same), the layout ``step_arrays`` updates."""
        group = self.param_groups[group_index]
        entries = [self._state.get(id(p)) or {} for p in group["params"]]
        fields = [f for f in self._state_fields(group) if f in entries[0]]
        for i, entry in enumerate(entries):
            if set(entry) != set(fields):
                raise ValueError(
                    f"{type(self).__name__}: parameters of param group {group_index} have "
                    f"different state fields ({sorted(entries[0])} for parameter 0, "
                    f"{sorted(entry)} for parameter {i}), so they cannot be stepped as one "
                    "array; step() works parameter by parameter"
                )
        np = _np()
        arrays: dict[str, Any] = {}
        kinds = self._state_fields(group)
        for field in fields:
            column = [entry[field] for entry in entries]
            if kinds[field][0] == "count":
                same = all(c == column[0] for c in column)
                arrays[field] = int(column[0]) if same else np.array(column, dtype=np.int64)
            else:
                arrays[field] = np.array(column, dtype=np.float64)
        return arrays

    def load_state_arrays(self, group_index: int, arrays: dict[str, Any]) -> None:
        """Write ``state_arrays``' layout back as each parameter's state (plain numbers)."""
        params = self.param_groups[group_index]["params"]
        if not arrays:
            for p in params:
                self._state.pop(id(p), None)
            return
        np = _np()
        n = len(params)
        columns = [
            [v] * n if isinstance(v, int) else np.broadcast_to(v, (n,)).tolist()
            for v in arrays.values()
        ]
        names = list(arrays)
        for p, row in zip(params, zip(*columns)):
            self._state[id(p)] = dict(zip(names, row))

    def _state_fields(self, group: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        """The per-parameter state an optimizer keeps: field -> (kind, required).

        Kinds: "count" (an int >= 0), "real" (a finite number), "nonneg" (a
        finite number >= 0). ``load_state_dict`` checks every entry against it.
        """
        return {}

    # --- saving and resuming ------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A JSON-able dict: per-parameter state by index, and each group's settings.

        Parameters are numbered in order across the groups, as PyTorch does.
        """
        state: dict[int, dict[str, Any]] = {}
        states = self.state
        groups = []
        index = 0
        for group in self.param_groups:
            indices = []
            for p in group["params"]:
                if states.get(id(p)):
                    state[index] = dict(states[id(p)])
                indices.append(index)
                index += 1
            settings = {k: _jsonable(v) for k, v in group.items() if k != "params"}
            groups.append({**settings, "params": indices})
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state_dict() (also after a JSON round trip); checked before any change."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}: a state dict needs exactly 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, list) or not all(isinstance(g, dict) for g in saved_groups):
            raise ValueError(f"{name}: 'param_groups' must be a list of dicts")
        if not isinstance(state_dict["state"], dict):
            raise ValueError(f"{name}: 'state' must be a dict of parameter index -> state")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: state dict has {len(saved_groups)} param groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        new_groups = []
        params_by_index = []
        for i, (mine, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved.get("params", ())) != len(mine["params"]):
                raise ValueError(
                    f"{name}: param group {i} has {len(mine['params'])} parameters, "
                    f"the state dict's has {len(saved.get('params', ()))}"
                )
            group = {k: _from_json(k, v) for k, v in saved.items() if k != "params"}
            group["params"] = mine["params"]
            unknown = set(group) - set(self.defaults) - set(_EXTRA_GROUP_KEYS)
            missing = set(self.defaults) - set(group)
            if unknown or missing:
                raise ValueError(
                    f"{name}: param group {i} of the state dict has unknown keys "
                    f"{sorted(unknown)} / misses keys {sorted(missing)}"
                )
            self._check_hyperparameters(group)
            new_groups.append(group)
            params_by_index.extend(mine["params"])
        new_state = {}
        group_of = [g for g in new_groups for _ in g["params"]]
        for key, entry in state_dict["state"].items():
            index = _parameter_index(key)
            if not 0 <= index < len(params_by_index) or not isinstance(entry, dict):
                raise ValueError(f"{name}: state dict has state for unknown parameter {key!r}")
            if entry:
                entry = _checked_state(name, key, entry, self._state_fields(group_of[index]))
            new_state[id(params_by_index[index])] = entry
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


# --- the optimizers ------------------------------------------------------------------


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov and weight decay."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check_nonnegative(self, group, "lr", "momentum", "dampening", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _state_fields(self, group: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        return {"momentum_buffer": ("real", False)}

    def _update(self, p: Value, grad: float, state: dict[str, Any], group: dict[str, Any]) -> None:
        """w ← w − lr·g, where g = grad + wd·w, or the momentum buffer b ← μ·b + (1−τ)·g."""
        g = grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            buf = g if buf is None else momentum * buf + (1 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g


class Adam(Optimizer):
    """Adam: steps along a running mean of gradients, scaled by their running RMS."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check_nonnegative(self, group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair, got {betas!r}")
        for i, beta in enumerate(betas):
            _check_number(self, f"betas[{i}]", beta)
            if not 0.0 <= beta < 1.0:
                raise ValueError(
                    f"{type(self).__name__}: betas[{i}] must be in [0, 1), got {beta!r}"
                )

    def _state_fields(self, group: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        return {
            "step": ("count", True),
            "exp_avg": ("real", True),
            "exp_avg_sq": ("nonneg", True),
            "max_exp_avg_sq": ("nonneg", False),
        }

    def _update(self, p: Value, grad: float, state: dict[str, Any], group: dict[str, Any]) -> None:
        """m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  w ← w − lr·m̂ / (√v̂ + ε)."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        if not state:
            state.update(step=0, exp_avg=0.0, exp_avg_sq=0.0)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = 0.0
        state["step"] += 1
        g = grad
        if group["weight_decay"] != 0:
            if group["decoupled_weight_decay"]:
                p.data *= 1 - lr * group["weight_decay"]
            else:
                g = g + group["weight_decay"] * p.data
        m = state["exp_avg"] = state["exp_avg"] + (1 - beta1) * (g - state["exp_avg"])
        v = state["exp_avg_sq"] = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = _maximum(state.get("max_exp_avg_sq", 0.0), v)
        bias_correction1 = 1 - beta1 ** state["step"]
        bias_correction2 = 1 - beta2 ** state["step"]
        step_size = lr / bias_correction1
        denom = _sqrt(v) / bias_correction2**0.5 + eps
        p.data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: w ← w·(1 − lr·wd) before the Adam step."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


class RMSprop(Optimizer):
    """RMSprop: divides each gradient by a running root-mean-square of past gradients."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check_nonnegative(self, group, "lr", "alpha", "eps", "weight_decay", "momentum")

    def _state_fields(self, group: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        return {
            "step": ("count", True),
            "square_avg": ("nonneg", True),
            "grad_avg": ("real", False),
            "momentum_buffer": ("real", False),
        }

    def _update(self, p: Value, grad: float, state: dict[str, Any], group: dict[str, Any]) -> None:
        """s ← α·s + (1−α)·g²;  w ← w − lr·g / (√s + ε)  (s less mean(g)² if centered).

        Centered, the variance s − mean(g)² is clamped at 0: with steady gradients
        rounding can make it slightly negative, where PyTorch's sqrt gives NaN.
        """
        alpha, eps, momentum = group["alpha"], group["eps"], group["momentum"]
        if not state:
            state.update(step=0, square_avg=0.0)
        state["step"] += 1
        g = grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        square_avg = state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * g * g
        if group["centered"]:
            mean = state.get("grad_avg", 0.0)
            mean = state["grad_avg"] = mean + (1 - alpha) * (g - mean)
            avg = _sqrt(_maximum(square_avg - mean * mean, 0.0)) + eps
        else:
            avg = _sqrt(square_avg) + eps
        if momentum > 0:
            buf = momentum * state.get("momentum_buffer", 0.0) + g / avg
            state["momentum_buffer"] = buf
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * (g / avg)


class Adagrad(Optimizer):
    """Adagrad: divides each gradient by the root of the sum of all its past squares."""

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        _check_nonnegative(
            self, group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"
        )

    def _state_fields(self, group: dict[str, Any]) -> dict[str, tuple[str, bool]]:
        return {"step": ("count", True), "sum": ("nonneg", True)}

    def _update(self, p: Value, grad: float, state: dict[str, Any], group: dict[str, Any]) -> None:
        """s ← s + g²;  w ← w − lr/(1 + (t−1)·lr_decay) · g / (√s + ε)."""
        if not state:
            state.update(step=0, sum=float(group["initial_accumulator_value"]))
        state["step"] += 1
        g = grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        decayed_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] = state["sum"] + g * g
        std = _sqrt(state["sum"]) + group["eps"]
        p.data -= decayed_lr * (g / std)


# --- gradient clipping ---------------------------------------------------------------


def clip_grad_norm_(
    parameters: Value | Iterable[Value],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so their total norm is at most max_norm.

    Returns the total norm before clipping.  Like PyTorch, the scale is
    ``max_norm / (total_norm + 1e-6)`` capped at 1, so gradients whose norm is
    already below ``max_norm`` are left (almost exactly) as they are.
    """
    params = _as_param_list([parameters] if isinstance(parameters, Value) else parameters)
    _check_number("clip_grad_norm_", "max_norm", max_norm)
    _check_number("clip_grad_norm_", "norm_type", norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm!r}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    if not params:
        return 0.0
    total_norm = _total_norm([float(p.grad) for p in params], float(norm_type))
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total_norm}, so they cannot be clipped "
            "(pass error_if_nonfinite=False to scale anyway)"
        )
    clip_coef = _clip_coefficient(total_norm, max_norm)
    for p in params:
        p.grad = float(p.grad) * clip_coef
    return total_norm


def clip_coefficient(grads: list[float], max_norm: float) -> float:
    """What ``clip_grad_norm_(params, max_norm)`` multiplies each gradient by, given
    them all as floats: a compiled step clips its gradient array with it, so
    clipping there gives eager's numbers."""
    return _clip_coefficient(_total_norm(grads, 2.0), max_norm)


def _clip_coefficient(total_norm: float, max_norm: float) -> float:
    return min(max_norm / (total_norm + 1e-6), 1.0)


def _total_norm(grads: list[float], norm_type: float) -> float:
    """The p-norm of the gradients; huge gradients give a huge norm, never an OverflowError."""
    if any(g != g for g in grads):
        return math.nan
    biggest = max(abs(g) for g in grads)
    if norm_type == math.inf or biggest in (0.0, math.inf):
        return biggest
    try:
        if norm_type == 2.0:
            norm = math.sqrt(math.fsum(g * g for g in grads))
        else:
            norm = math.fsum(abs(g) ** norm_type for g in grads) ** (1.0 / norm_type)
        if math.isfinite(norm) and norm > 0.0:
            return norm
    except OverflowError:
        pass
    # Overflowed (or underflowed to 0): the same norm of grads / biggest, times biggest.
    scaled = math.fsum((abs(g) / biggest) ** norm_type for g in grads)
    return float(biggest * scaled ** (1.0 / norm_type))


def clip_grad_value_(parameters: Value | Iterable[Value], clip_value: float) -> None:
    """Clamp every gradient into [-clip_value, clip_value]."""
    params = _as_param_list([parameters] if isinstance(parameters, Value) else parameters)
    _check_number("clip_grad_value_", "clip_value", clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    for p in params:
        p.grad = min(max(float(p.grad), -clip_value), clip_value)


# --- helpers -------------------------------------------------------------------------


def _sqrt(x: Any) -> Any:
    """math.sqrt on a float, np.sqrt on an array: both correctly rounded, so equal."""
    return math.sqrt(x) if isinstance(x, float | int) else _np().sqrt(x)


def _maximum(a: Any, b: Any) -> Any:
    """max(a, b) on floats, np.maximum on arrays (the same numbers)."""
    if isinstance(a, float | int) and isinstance(b, float | int):
        return max(a, b)
    return _np().maximum(a, b)


def _np() -> Any:
    """NumPy, imported on first use: plain optimizers (step() on Values) never load it."""
    import numpy

    return numpy


class _Staged:
    """Stands in for a parameter during step(): ``_update`` writes here, step() commits."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data: Any = data  # a float in step(), an array in step_arrays()


def _checked_state(
    owner: str, key: Any, entry: dict[str, Any], fields: dict[str, tuple[str, bool]]
) -> dict[str, Any]:
    """One parameter's saved state, every field checked against ``fields`` (see _state_fields)."""
    where = f"{owner}: state of parameter {key!r}"
    unknown = sorted(set(entry) - set(fields))
    if unknown:
        raise ValueError(f"{where} has unknown fields {unknown}; expected {sorted(fields)}")
    missing = sorted(f for f, (_, required) in fields.items() if required and f not in entry)
    if missing:
        raise ValueError(f"{where} misses {missing}")
    checked: dict[str, Any] = {}
    for field, value in entry.items():
        kind = fields[field][0]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{where}: {field} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{where}: {field} must be finite, got {value!r}")
        if kind == "count":
            if value < 0 or not float(value).is_integer():
                raise ValueError(f"{where}: {field} must be a whole number >= 0, got {value!r}")
            checked[field] = int(float(value))
        elif kind == "nonneg" and value < 0:
            raise ValueError(f"{where}: {field} must be >= 0, got {value!r}")
        else:
            checked[field] = float(value)
    return checked


def _as_param_list(params: Any, owner: str = "optimizer") -> list[Value]:
    if isinstance(params, Value):
        return [params]
    if not isinstance(params, Iterable):
        raise TypeError(f"{owner}: expected Values, got {type(params).__name__}")
    values: list[Value] = []
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"{owner}: every parameter must be a Value, got {type(p).__name__}")
        values.append(p)
    return values


def _check_number(owner: Any, name: str, x: Any) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        owner = owner if isinstance(owner, str) else type(owner).__name__
        raise TypeError(f"{owner}: {name} must be a real number, got {type(x).__name__} {x!r}")


def _check_nonnegative(optimizer: Optimizer, group: dict[str, Any], *names: str) -> None:
    for name in names:
        _check_number(optimizer, name, group[name])
        if not group[name] >= 0:  # also rejects NaN
            raise ValueError(
                f"{type(optimizer).__name__}: {name} must be >= 0, got {group[name]!r}"
            )


def _parameter_index(key: Any) -> int:
    """A state-dict key as a parameter index: an int, or its text after a JSON round trip."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.isdigit():
        return int(key)
    return -1  # no such parameter: load_state_dict reports it


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _from_json(key: str, value: Any) -> Any:
    return tuple(value) if key == "betas" and isinstance(value, list) else value
