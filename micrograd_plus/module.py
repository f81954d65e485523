"""``Module``, the base class of every layer, and the one-sample calling convention.

Everything here is machinery shared by all modules: finding parameters by
walking attributes, dotted parameter names, train/eval mode, state dicts, the
repr, and the small helpers that turn "one sample" into a list and back. It
lives apart from ``nn.py`` so that ``nn.py`` reads like micrograd's: Neuron,
Layer, MLP. Import ``Module`` from ``micrograd_plus.nn`` as usual.

A subclass needs only ``forward(x)``; how its parameters are found and named
is told in the docstring of ``nn.py``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from .engine import Value, gc_paused

# --- what the training and plotting functions accept -----------------------------------


class Model(Protocol):
    """Anything ``predict``, ``evaluate`` and the plots can run: called on ONE sample.

    Every :class:`Module` is one, and so is a plain function such as
    ``lambda x: w * x[0] + b``. A ``forward_batch(X)``, ``train()`` or ``eval()``
    method is used when the model has one.
    """

    def __call__(self, x: Any, /) -> Any: ...


class TrainableModel(Model, Protocol):
    """A :class:`Model` that also lists its parameters: what ``fit`` trains.

    ``named_parameters()`` is used when present (for per-layer gradient norms).
    """

    def parameters(self) -> list[Value]:
        """The Values the optimizer updates (``fit`` reads their ``.grad``)."""
        ...


# --- the base class ------------------------------------------------------------------


class Module:
    """Base class: parameters, names, train/eval mode, state dicts, repr."""

    training: bool = True
    #: What compile's tracing would freeze in this module ("" for nothing):
    #: fit(compile=True) refuses a model where any module says so.
    frozen_by_tracing: str = ""

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        """The module's output for one sample ``x`` (what ``model(x)`` returns)."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(x) or __call__(x)")

    def forward_batch(self, X: Sequence[Any]) -> list[Any]:
        """One output per sample of the batch ``X``.

        The garbage collector is paused meanwhile (and restored after): building a
        graph makes no reference cycles, and the collector's scans of the growing
        graph would otherwise take a quarter of the time."""
        with gc_paused():
            return [self(x) for x in X]

    # --- discovering sub-modules, parameters and buffers ---------------------------
    def children(self) -> list[tuple[str, Module]]:
        """Named direct sub-modules, in assignment order (also inside lists, tuples, dicts)."""
        return [(name, m) for name, m in _held(self) if isinstance(m, Module)]

    def _own_parameters(self) -> list[tuple[str, Value]]:
        """Parameters held directly by this module (not by its children).

        A Value in a nested list, tuple or dict is named by its path in brackets:
        ``w[2,0]`` is ``self.w[2][0]``, ``gates[input,1]`` is ``self.gates["input"][1]``.
        """
        return [(name, v) for name, v in _held(self) if isinstance(v, Value)]

    def _own_parameter_values(self) -> list[Value]:
        """``_own_parameters`` without the names (the hot path of ``parameters()``)."""
        found: list[Value] = []
        for _, value in _public_attributes(self):
            if isinstance(value, Value):
                found.append(value)
            elif isinstance(value, _CONTAINERS):
                _collect_values(value, found, set())
            elif isinstance(value, set | frozenset):
                _refuse_set(self, value)
        return found

    def _own_buffers(self) -> list[tuple[str, list[float], int]]:
        """Non-trainable state kept in ``state_dict`` as (name, list, index) slots."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, each Value once, in a stable order."""
        found: list[tuple[str, Value]] = []
        seen: set[int] = set()
        for prefix, module in self._walk():
            for name, p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    found.append((prefix + name, p))
        return found

    def parameters(self) -> list[Value]:
        """Every parameter once, in ``named_parameters()`` order (without building names:
        optimizers and ``zero_grad`` call this every step)."""
        found: list[Value] = []
        for _, module in self._walk():
            found += module._own_parameter_values()
        return list(dict.fromkeys(found))  # each once, first seen first (a Value hashes by id)

    def named_buffers(self) -> list[tuple[str, float]]:
        """Non-trainable state (BatchNorm's running statistics) with dotted names, as floats."""
        return [(name, store[i]) for name, store, i in self._buffer_slots()]

    def _buffer_slots(self) -> list[tuple[str, list[float], int]]:
        return [
            (prefix + name, store, i)
            for prefix, module in self._walk()
            for name, store, i in module._own_buffers()
        ]

    def _walk(
        self, prefix: str = "", _path: frozenset[int] = frozenset()
    ) -> Iterator[tuple[str, Module]]:
        """This module and all modules below it, with their name prefixes.

        A module that (directly or not) holds itself is visited once, not forever.
        """
        yield prefix, self
        path = _path | {id(self)}
        for name, child in self.children():
            if id(child) not in path:
                yield from child._walk(f"{prefix}{name}.", path)

    # --- training helpers -------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0: gradients add up over ``backward()`` calls."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Switch to training mode (Dropout drops, BatchNorm uses batch statistics)."""
        for _, module in self._walk():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (Dropout is the identity, BatchNorm uses running stats)."""
        return self.train(False)

    # --- state dicts ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, float]:
        """Parameter values and buffers (BatchNorm's running stats) by name, as floats."""
        entries = [(name, p.data) for name, p in self.named_parameters()]
        entries += self.named_buffers()
        state = dict(entries)
        if len(state) != len(entries):
            seen: set[str] = set()
            clash = next(n for n, _ in entries if n in seen or seen.add(n))  # type: ignore[func-returns-value]
            raise ValueError(
                f"two entries of {type(self).__name__}'s state are both named {clash!r}; "
                "rename an attribute or a dict key so every name is unique"
            )
        return state

    def load_state_dict(self, state_dict: Mapping[str, float]) -> Module:
        """Copy values in by name. Everything is checked first: on error nothing changes."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping of name -> number, got {state_dict!r}")
        params = self.named_parameters()
        slots = self._buffer_slots()
        expected = [name for name, _ in params] + [name for name, _, _ in slots]
        _check_names(expected, state_dict)
        for name in expected:
            _check_number(name, state_dict[name])
        for name, p in params:
            p.data = float(state_dict[name])
        for name, store, i in slots:
            store[i] = float(state_dict[name])
        return self

    # --- repr -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's one-line repr."""
        return ""

    def __repr__(self) -> str:
        children = self.children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        lines.append(")")
        return "\n".join(lines)


def _public_attributes(module: Module) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in vars(module).items() if not k.startswith("_")]


_CONTAINERS = (list, tuple, dict)


def _held(module: Module) -> list[tuple[str, object]]:
    """Every Value and Module a module holds, with its name, in assignment order.

    Lists, tuples and dicts are searched at any depth (as torch's ModuleList,
    ParameterList and ModuleDict would hold them). A Value at path (2, 0) under
    attribute ``w`` is ``w[2,0]``; a Module there is ``w.2.0`` (a sub-module
    prefix, as PyTorch names ModuleList entries).
    """
    found: list[tuple[str, object]] = []
    for name, value in _public_attributes(module):
        if isinstance(value, Value | Module):
            found.append((name, value))
        elif isinstance(value, _CONTAINERS):
            for path, item in _walk_container(value, (), set()):
                keys = [str(k) for k in path]
                if isinstance(item, Value):
                    found.append((f"{name}[{','.join(keys)}]", item))
                else:
                    found.append((".".join([name, *keys]), item))
        elif isinstance(value, set | frozenset):
            _refuse_set(module, value, name)
    return found


def _refuse_set(module: Module, value: Iterable[object], name: str = "") -> None:
    if any(isinstance(v, Value | Module) for v in value):
        name = name or next(k for k, v in vars(module).items() if v is value)
        raise TypeError(
            f"{type(module).__name__}.{name} is a set holding Values or Modules: a set has "
            "no stable order, so its parameters could not be named; use a list or a dict"
        )


def _walk_container(
    container: Any, path: tuple[Any, ...], on_path: set[int]
) -> Iterator[tuple[tuple[Any, ...], Value | Module]]:
    """(path, item) for every Value or Module inside nested lists, tuples and dicts."""
    if id(container) in on_path:
        return  # a list that contains itself
    on_path.add(id(container))
    items = container.items() if isinstance(container, dict) else enumerate(container)
    for key, item in items:
        if isinstance(item, Value | Module):
            yield path + (key,), item
        elif isinstance(item, _CONTAINERS):
            yield from _walk_container(item, path + (key,), on_path)
    on_path.discard(id(container))


def _collect_values(container: Any, found: list[Value], on_path: set[int]) -> None:
    """``_walk_container`` for Values only, without building paths (the hot path)."""
    if id(container) in on_path:
        return
    on_path.add(id(container))
    for item in container.values() if isinstance(container, dict) else container:
        if isinstance(item, Value):
            found.append(item)
        elif isinstance(item, _CONTAINERS):
            _collect_values(item, found, on_path)
    on_path.discard(id(container))


def _check_names(expected: list[str], state_dict: Mapping[str, object]) -> None:
    missing = [n for n in expected if n not in state_dict]
    expected_set = set(expected)
    unexpected = [n for n in state_dict if n not in expected_set]
    if missing or unexpected:
        parts = [f"the model has {len(expected)} entries, the state dict {len(state_dict)}"]
        if missing:
            parts.append(f"missing {len(missing)}: {_preview(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)}: {_preview(unexpected)}")
        raise ValueError("state dict does not fit the model (" + "; ".join(parts) + ")")


def _check_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"state dict entry {name!r} must be a number, got {type(value).__name__} {value!r}"
        )


def _preview(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")


# --- one sample in, one sample out --------------------------------------------------------


def as_sample(x: Any) -> list[Any]:
    """A sample as a list: a bare number or Value counts as a one-feature sample."""
    if isinstance(x, Value | numbers.Real):
        return [x]
    if isinstance(x, str) or not isinstance(x, Iterable):
        raise TypeError(f"a sample must be a list of numbers or Values, got {type(x).__name__}")
    return list(x)


def unwrap(outputs: list[Any]) -> Any:
    """micrograd's rule: a single output Value is returned as a Value, not a list.

    A list holding one list (an image with one channel) is left as it is."""
    return outputs[0] if len(outputs) == 1 and not isinstance(outputs[0], list) else outputs


def check_width(x: Sequence[Any], expected: int, who: str) -> None:
    """A ValueError naming ``who`` unless the sample ``x`` has ``expected`` features."""
    if len(x) != expected:
        raise ValueError(f"{who} expects {expected} inputs per sample, got {len(x)}")


def chain(modules: Sequence[Module], x: Any) -> Any:
    """Run one sample through modules in turn (one-unit outputs fed on as lists)."""
    for m in modules:
        x = as_sample(m(x))
    return unwrap(x)


def chain_batch(modules: Sequence[Module], X: Sequence[Any]) -> list[Any]:
    """Run a whole batch through modules, one module at a time (what BatchNorm needs).

    The garbage collector is paused meanwhile, as in ``Module.forward_batch``."""
    with gc_paused():
        X = [as_sample(x) for x in X]
        for m in modules:
            X = [as_sample(out) for out in m.forward_batch(X)]
        return [unwrap(x) for x in X]
