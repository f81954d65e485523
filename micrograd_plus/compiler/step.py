"""compile_step(loss_fn, model, optimizer): a whole training step, compiled.

A compiled *call* (``compile(fn)``) replays forward and backward as a few
NumPy calls, but around it every parameter is still a Python object: the call
reads each ``p.data``, ``backward()`` adds into each ``p.grad``, and
``zero_grad()`` and ``optimizer.step()`` visit each parameter.  With 100,000
parameters (an MNIST-sized MLP) those per-parameter Python operations cost
twenty times the replay itself.

A compiled step removes them.  Between calls it *holds* the parameters: their
numbers live in one float64 array (``step.params``, with ``step.grads``) and
the optimizer's state in arrays beside it.  A call is then

    zero_grad  ->  forward replay  ->  backward replay  ->  optimizer step

on those arrays, with the optimizer's own update rule run on arrays
(``Optimizer.step_arrays``: the same operations in the same order, so the same
numbers as ``optimizer.step()``).  Nothing walks the parameters.

    step = compile_step(loss_fn, model, optimizer)  # loss_fn(model, *batch) -> Value
    for Xb, yb in batches:
        loss = step(Xb, yb)                         # a float
    model.state_dict()                              # current values (see below)

**Nothing is silently stale.**  While held, each parameter is a ``HeldValue``
(a subclass of Value with no state of its own).  The first time anything
*uses* one of them (reads or writes ``.data`` or ``.grad``, computes with it,
prints it, saves the model) or reads ``optimizer.state``, the step hands every
parameter back: it writes ``.data`` and ``.grad`` (the last batch's gradient,
as after ``zero_grad(); loss.backward(); step()``) and the optimizer's state,
and they are plain Values again.  The next call takes hold again, re-reading
every ``.data``: an edit such as ``p.data = 0.5`` between calls is always
honoured.  ``step.sync()`` hands back explicitly.  Handing back and taking
hold cost one pass over the parameters each, so touch the model every epoch,
not every batch.

Also read at every call: the optimizer's hyper-parameters (a scheduler's
``lr``) and its param groups (a new group takes hold again).  Values the loss
reads that the optimizer does not update (frozen parameters, constants held by
a closure) are read, and their ``.grad`` added into, at every call, as eager
would.  Not seen while held: a parameter *replaced* by a new object inside a
Module (``layer.neurons[0].w[3] = Value(1.0)``) without touching the old one;
call ``step.sync()`` after such surgery, and the next call finds the new
parameters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

import numpy as np

from ..engine import Value
from .function import CompiledFunction, aux_floats, module_key

__all__ = ["CompiledStep", "compile_step"]


class CompiledStep:
    """``optimizer.zero_grad(); loss = loss_fn(model, *args); loss.backward();
    optimizer.step()`` as one compiled call, with the parameters held in arrays."""

    def __init__(
        self,
        loss_fn: Callable[..., Any],
        model: Any,
        optimizer: Any,
        *,
        has_aux: bool = False,
        **options: Any,
    ) -> None:
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(
                f"compile_step: model must be a Module (anything with parameters()), "
                f"got {type(model).__name__}"
            )
        if not callable(getattr(optimizer, "step_arrays", None)):
            raise TypeError(
                "compile_step: optimizer must be one of micrograd_plus.optim's optimizers "
                f"(it steps arrays with step_arrays), got {type(optimizer).__name__}"
            )
        self.function: CompiledFunction = CompiledFunction(loss_fn, has_aux=has_aux, **options)
        self.model: Any = model
        self.optimizer: Any = optimizer
        self.has_aux: bool = has_aux
        self.steps: int = 0  # calls that updated the parameters
        self.holds: int = 0  # times the step took hold of the parameters (tests, the curious)
        self._lock = threading.RLock()
        self._held: dict[type, type] = {}  # a parameter's class -> the class it wears held
        self._holding = False
        self._model_key: tuple = ()
        self.params: np.ndarray = np.zeros(0)  # while held: every parameter's data, in order
        self.grads: np.ndarray = np.zeros(0)  # while held: the last step's gradients
        self._param_list: list[Value] = []  # the held parameters, in optimizer order
        self._states: list[dict[str, Any]] = []  # per param group: its state as arrays
        self._bounds: list[tuple[int, int]] = []  # per param group: its slice of params
        self._signature: list[tuple[int, int]] = []
        self._index: dict[int, int] = {}  # id(parameter) -> its position in params
        self._live_maps: dict[int, _LiveMap] = {}  # id(tape) -> where its leaves are held

    # --- the step ----------------------------------------------------------------------
    def __call__(self, *args: Any) -> Any:
        """One training step on this batch; returns the loss (with has_aux, (loss, aux))."""
        with self._lock:
            loss, aux = self.forward_backward(*args)
            self.apply()
        return (loss, aux) if self.has_aux else loss

    def forward_backward(self, *args: Any) -> tuple[float, Any]:
        """zero_grad, forward and backward: the loss (and aux), gradients in ``self.grads``.

        ``apply()`` then steps the optimizer; ``fit`` looks at the gradients in between.
        """
        with self._lock:
            if not self._holding or self._groups_changed():
                self.sync()
                self._hold()
            self.grads = np.zeros(self.params.size)  # zero_grad (a new array: see step_arrays)
            model, model_key = self.model, self._model_key
            entry, vals, saved = self.function._replay(
                (model, *args),
                lambda m: model_key if m is model else module_key(m),
                self._read_live,
            )
            if not entry.single:
                raise TypeError(
                    "compile_step: the loss function must return one Value (the loss), "
                    f"got a list of {entry.n_results}"
                )
            if not self._holding:  # tracing used the parameters, so they were handed back
                self._hold()
            root = entry.tape.roots[0]
            live = entry.tape.leaf_grads(vals, saved, root)
            where = self._live_map(entry.tape)
            if where.every_parameter:
                self.grads = live  # a view of this backward's own gradient array
            elif where.all_held:
                self.grads[where.held] = live
            else:
                self.grads[where.held] = live[where.held_slots]
                for v, g in zip(where.others, live[where.other_slots].tolist()):
                    v.grad += g
            loss, aux = float(vals[root]), aux_floats(entry, vals)
            entry.tape.release(vals)  # read in full: the next replay may reuse the array
            return loss, aux

    def apply(self) -> None:
        """The optimizer's step on the held arrays (``Optimizer.step_arrays``)."""
        with self._lock:
            if not self._holding:
                raise RuntimeError(
                    "compile_step: apply() needs the gradients of forward_backward() "
                    "just before; the parameters were handed back since"
                )
            bounds = self._bounds
            self.optimizer.step_arrays(
                [self.params[lo:hi] for lo, hi in bounds],
                [self.grads[lo:hi] for lo, hi in bounds],
                self._states,
            )
            self.steps += 1

    def positions(self, values: Iterable[Value]) -> np.ndarray:
        """Where these held parameters sit in ``params`` and ``grads`` (fit's per-layer norms)."""
        if not self._holding:
            raise RuntimeError("compile_step: positions() while the parameters are not held")
        return np.array([self._index[id(v)] for v in values], dtype=np.intp)

    def nonfinite_parameters(self) -> list[Value]:
        """The held parameters whose value in ``params`` is NaN or infinite."""
        return [self._param_list[i] for i in np.flatnonzero(~np.isfinite(self.params)).tolist()]

    # --- holding and handing back ------------------------------------------------------
    def sync(self) -> None:
        """Hand the parameters back: write every ``.data``, ``.grad`` and the optimizer's
        state, and make them plain Values again.  Called by itself when anything uses a
        held parameter; the next step takes hold again (re-reading ``.data``)."""
        with self._lock:
            if not self._holding:
                return
            self._holding = False
            set_attribute = object.__setattr__
            for p, data, grad in zip(self._param_list, self.params.tolist(), self.grads.tolist()):
                set_attribute(p, "__class__", type(p).__bases__[0])  # its own class again
                p._data = data
                p.grad = grad
            optimizer = self.optimizer
            optimizer._holder = None
            for i, state in enumerate(self._states):
                optimizer.load_state_arrays(i, state)
            self._param_list, self._states, self._live_maps = [], [], {}

    def _hold(self) -> None:
        """Read every parameter and the optimizer's state into arrays; mark them held."""
        optimizer = self.optimizer
        optimizer.state  # noqa: B018  (hands it back if another step holds it)
        groups = optimizer.param_groups
        params = [p for g in groups for p in g["params"]]
        # Reading the data hands back any parameter another step holds.
        self.params = np.fromiter(map(attrgetter("_data"), params), np.float64, len(params))
        self.grads = np.zeros(len(params))
        sizes = np.cumsum([0] + [len(g["params"]) for g in groups]).tolist()
        self._bounds = list(zip(sizes[:-1], sizes[1:]))
        self._signature = self._group_signature()
        self._states = [optimizer.state_arrays(i) for i in range(len(groups))]
        key = module_key(self.model)
        if key != self._model_key:  # keep the old object if equal: identity makes lookups fast
            self._model_key = key
        self._index = {id(p): i for i, p in enumerate(params)}
        self._param_list = params
        self._live_maps = {}
        held = self._held
        for p in params:
            cls = type(p)
            wear = held.get(cls)
            if wear is None:
                wear = held[cls] = _held_class(self, cls)
            p.__class__ = wear
        optimizer._holder = self
        self._holding = True
        self.holds += 1

    def _group_signature(self) -> list[tuple[int, int]]:
        return [(id(g["params"]), len(g["params"])) for g in self.optimizer.param_groups]

    def _groups_changed(self) -> bool:
        return self._group_signature() != self._signature

    def _read_live(self, tape: Any) -> np.ndarray | None:
        """The values of ``tape.live`` from the held array (None: read each ``.data``)."""
        if not self._holding:
            return None
        where = self._live_map(tape)
        if where.all_held:
            return self.params[where.held]
        live = np.empty(len(tape.live))
        live[where.held_slots] = self.params[where.held]
        live[where.other_slots] = [v.data for v in where.others]
        return live

    def _live_map(self, tape: Any) -> _LiveMap:
        where = self._live_maps.get(id(tape))
        if where is None or where.tape is not tape:
            where = self._live_maps[id(tape)] = _LiveMap(tape, self._index)
        return where


class _LiveMap:
    """Where a tape's live leaves sit in the held array (and which are not held)."""

    def __init__(self, tape: Any, index: dict[int, int]) -> None:
        self.tape = tape
        positions = [index.get(id(v), -1) for v in tape.live]
        slots = np.arange(len(positions))
        is_held = np.array(positions, dtype=np.intp) >= 0
        self.held_slots, self.other_slots = slots[is_held], slots[~is_held]
        self.held: Any = np.array([p for p in positions if p >= 0], dtype=np.intp)
        self.others = [v for v, p in zip(tape.live, positions) if p < 0]
        self.all_held = not self.others
        if self.held.size and _is_run(self.held):
            self.held = slice(int(self.held[0]), int(self.held[-1]) + 1)
        # the tape's leaves are exactly the held parameters, in order
        self.every_parameter = (
            self.all_held and isinstance(self.held, slice) and self.held == slice(0, len(index))
        )


def _is_run(index: np.ndarray) -> bool:
    return bool(index[-1] - index[0] == index.size - 1 and (np.diff(index) == 1).all())


def _held_class(step: CompiledStep, base: type) -> type[Value]:
    """The class a step's parameters of class ``base`` (Value, or a user's subclass)
    wear while it holds them: a subclass of ``base`` with no state of its own."""

    class HeldValue(base):
        """A parameter held by a compiled step: its numbers are in ``step.params``.

        Using it in any way first hands every parameter of the step back (``sync``),
        so what you see is always current.  ``__class__`` answers the parameter's own
        class, so isinstance checks and ``__class__`` tests see an ordinary Value.
        """

        __slots__ = ()

        def __getattribute__(self, name: str) -> Any:
            if name == "__class__":
                return base
            step.sync()
            return object.__getattribute__(self, name)

        def __setattr__(self, name: str, value: Any) -> None:
            step.sync()
            object.__setattr__(self, name, value)

        def __delattr__(self, name: str) -> None:
            step.sync()
            object.__delattr__(self, name)

    return HeldValue


def compile_step(
    loss_fn: Callable[..., Any],
    model: Any,
    optimizer: Any,
    *,
    has_aux: bool = False,
    **options: Any,
) -> CompiledStep:
    """A compiled training step: ``step(*batch)`` does ``optimizer.zero_grad()``,
    ``loss = loss_fn(model, *batch)``, ``loss.backward()`` and ``optimizer.step()``,
    and returns ``loss.data``, with eager's numbers (to rounding; the optimizer's
    update is exactly its own).

    ``loss_fn`` is traced and replayed as by ``compile`` (``options`` are
    compile's: ``cache_size``, ``on_guard_failure``, ...); ``model`` is passed to it
    as its first argument.  ``has_aux=True``: ``loss_fn`` returns ``(loss, aux)``
    and the step returns ``(loss, aux_floats)``.

    Between calls the step holds the parameters in one array (``step.params``):
    using any of them, or ``optimizer.state``, hands them all back first, so
    nothing you read is stale and every edit is seen by the next call.  See the
    module docstring of ``micrograd_plus.compiler.step`` for what is read when.
    """
    return CompiledStep(loss_fn, model, optimizer, has_aux=has_aux, **options)
