"""compile(fn): trace a function of Values once, replay it as vectorised NumPy.

A scalar engine is slow because every number is a Python object.  Like
``jax.jit`` and ``torch.compile``, ``compile`` runs ``fn`` once on Value
inputs to record its graph, flattens the graph into a tape of index arrays
(``tape.py``), and from then on replays that tape: forward and backward are a
few dozen NumPy calls, whatever the number of nodes, and the parts of the graph
too narrow to pay for a NumPy call run on plain floats.  The derivative rules
are the ones of ``ops.py``, run on arrays or on floats.

    fast = compile(lambda X, y: loss_fn(model, X, y))
    loss = fast(X_batch, y_batch)   # numbers or nested lists of numbers
    loss.backward()                 # adds into p.grad of every parameter, as eager would
    opt.step()                      # parameters are read again at the next call

What is read at each call, what is frozen at trace time and what is guarded:
see the docstring of ``compile`` below.
"""

from __future__ import annotations

import functools
import linecache
import numbers
import operator
import os
import sys
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, overload

import numpy as np

from .. import engine
from ..engine import Value
from .graph import Graph, build, number
from .tape import NUMPY, Tape

__all__ = ["NUMPY", "CompiledFunction", "CompiledResult", "GuardError", "compile"]

_OUTCOME = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_OWN_FILES = {os.path.abspath(engine.__file__), os.path.abspath(__file__)}


class GuardError(RuntimeError):
    """A comparison on a traced Value came out differently than when it was traced."""


class _Lease:
    """A replay's arrays, held by its results; when the last result is gone, the tape
    gets the value array back for its next call (``Tape.release``)."""

    __slots__ = ("tape", "vals")
    tape: Tape
    vals: np.ndarray

    def __init__(self, tape: Tape, vals: np.ndarray) -> None:
        self.tape, self.vals = tape, vals

    def __del__(self) -> None:
        self.tape.release(self.vals)


class CompiledResult:
    """The output of a compiled call: ``.data`` and ``.backward()``, like a Value."""

    __slots__ = ("data", "_tape", "_vals", "_saved", "_root", "_grad_enabled", "_lease")
    #: The result's value, as ``Value.data``.
    data: float

    def __init__(
        self,
        tape: Tape,
        vals: np.ndarray,
        saved: list[Any],
        root: int,
        grad_enabled: bool,
        lease: _Lease | None = None,
    ) -> None:
        self.data = float(vals[root])
        self._tape, self._vals, self._saved = tape, vals, saved
        self._root, self._grad_enabled = root, grad_enabled
        self._lease = lease

    def backward(self, create_graph: bool = False) -> None:
        """Add d(self)/d(p) into ``p.grad`` for every Value p the function read."""
        if create_graph:
            raise ValueError(
                "backward(create_graph=True) is not supported on a compiled result; "
                "call the function without compile to differentiate twice"
            )
        if self._grad_enabled:
            self._tape.backward(self._vals, self._saved, self._root)

    def item(self) -> float:
        """The result as a float (``.data``), as ``torch.Tensor.item()``."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        return f"CompiledResult(data={self.data!r})"


class CompiledFunction:
    """``fn`` traced once per argument structure and replayed on NumPy arrays."""

    #: How many times ``fn`` was traced (for tests and curious users).
    traces: int
    #: Wall seconds the latest trace took (tracing, planning, laying out the tape).
    last_trace_seconds: float

    def __init__(
        self,
        fn: Callable,
        cache_size: int = 8,
        on_guard_failure: str = "retrace",
        has_aux: bool = False,
        max_variants: int = 8,
        warn_after: int = 8,
    ):
        if not callable(fn):
            raise TypeError(f"compile() expects a callable, got {type(fn).__name__}")
        for name, n in (("cache_size", cache_size), ("max_variants", max_variants),
                        ("warn_after", warn_after)):  # fmt: skip
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{name} must be a positive integer, got {n!r}")
        if on_guard_failure not in ("retrace", "raise"):
            raise ValueError(
                f"on_guard_failure must be 'retrace' or 'raise', got {on_guard_failure!r}"
            )
        if not isinstance(has_aux, bool):
            raise TypeError(f"has_aux must be True or False, got {has_aux!r}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.has_aux = has_aux
        self.cache_size = cache_size  # argument structures kept
        self.max_variants = max_variants  # branch variants kept per structure
        self.warn_after = warn_after  # retraces of either kind before a warning
        self.on_guard_failure = on_guard_failure
        self.traces = 0  # how many times fn was traced (for tests and curious users)
        self.last_tape: Tape | None = None  # the latest tape, for inspection and benchmarks
        self._last_ir: tuple | None = None  # what ir() formats, for a graph small enough
        self.last_trace_seconds = 0.0
        self._cache: OrderedDict[tuple, list[_Entry]] = OrderedDict()
        self._lock = threading.Lock()  # tracing and the cache; replays run unlocked
        self._structures_traced = 0
        self._variants_traced: dict[tuple, int] = {}

    def ir(self) -> str:
        """The latest trace as a small typed program, like ``jax.make_jaxpr``'s jaxpr.

        ``print(fast.ir())`` after a call shows what compile built: the inputs
        (``f64`` numbers, ``int`` integer inputs), the leaves (``p``: parameters and
        constants), then one line per node: ``v7:f64 = tanh v6``.  Sums of
        products (``+ - *`` chains, fused) print as ``lin``.
        """
        if self._last_ir is None:
            raise RuntimeError("ir(): call the compiled function once first, so it traces")
        if self._last_ir[0] is None:
            raise ValueError(
                f"ir(): the latest trace has {self._last_ir[1]:,} nodes, more than the "
                f"{_IR_MAX_NODES:,} kept for printing; trace a smaller batch to read it"
            )
        return format_ir(*self._last_ir)

    def retrace(self) -> None:
        """Forget every trace: the next call traces ``fn`` again.

        Needed after replacing a Value that ``fn`` reads through its closure (a new
        parameter object): the tape keeps reading the old object.  Modules passed as
        arguments need no retrace: a changed set of parameters is seen at the call.
        """
        with self._lock:
            self._cache.clear()
            self._variants_traced.clear()

    def __call__(self, *args: Any) -> Any:
        entry, vals, saved = self._replay(args)
        return _results(entry, vals, saved)

    def _replay(self, args: tuple, key_of_module: Any = None, live: Any = None) -> Any:
        """(entry, vals, saved): the forward replay of the trace whose guards hold for
        these arguments, tracing ``fn`` again when none does.

        For ``compile_step``, which holds the parameters in an array:
        ``key_of_module(m)`` keys a Module argument (see ``_flatten_args``), and
        ``live(tape)`` gives the values of ``tape.live``; by default each Value's
        ``.data`` is read.
        """
        structure, flat, _ = _flatten_args(args, key_of_module or module_key)
        with self._lock:
            traced = self._cache.get(structure)
            if traced is None:
                traced = self._cache[structure] = []
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            self._cache.move_to_end(structure)
            entries = list(traced)
        failed_site = None
        for entry in entries:
            try:
                vals, saved = entry.tape.forward(flat, None if live is None else live(entry.tape))
            except (ValueError, ZeroDivisionError, IndexError):
                if not entry.sites:
                    raise
                continue  # another branch may not compute what failed: trace again
            failed = entry.tape.failed_guard(vals)
            if failed is None:
                return entry, vals, saved
            failed_site = entry.sites[failed]
            if self.on_guard_failure == "raise":
                raise GuardError(
                    f"a comparison on a traced Value changed outcome since tracing, so "
                    f"the traced branch no longer applies: {failed_site}"
                )
        with self._lock:
            entry = self._trace(structure, flat, args)
            self._count_retrace(structure, bool(entries), failed_site)
            traced.insert(0, entry)
            del traced[self.max_variants :]
        vals, saved = entry.tape.forward(flat, None if live is None else live(entry.tape))
        return entry, vals, saved

    def _count_retrace(self, structure: tuple, is_variant: bool, site: str | None) -> None:
        """Warn, once per limit, when fn keeps being traced (as torch.compile's recompile
        limit does): for new argument structures, or for one structure's branches."""
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        if not is_variant:
            self._structures_traced += 1
            if self._structures_traced == self.warn_after:
                warnings.warn(
                    f"compile: {name} has been traced for {self.warn_after} different argument "
                    "structures (shapes, lengths, int or float); each new one traces again. "
                    "Keep batch shapes fixed (drop or pad the last batch) to trace once",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return
        count = self._variants_traced[structure] = self._variants_traced.get(structure, 0) + 1
        if count == self.warn_after:
            warnings.warn(
                f"compile: {name} has been traced again {count} times for one argument "
                f"structure because a guarded comparison keeps changing outcome, last at "
                f"{site}. Each retrace costs a full trace: write the branch without a "
                "comparison on Values (relu, max_values, min_values, take), or compare .data "
                "if the branch is meant to be frozen",
                RuntimeWarning,
                stacklevel=3,
            )

    def _trace(self, structure: tuple, flat: np.ndarray, args: tuple) -> _Entry:
        start = time.perf_counter()
        with engine.gc_paused():  # millions of new nodes and no cycles: nothing to collect
            traced = _trace_graph(self.fn, structure, flat, self.has_aux, args)
            self.traces += 1
            tape = Tape(traced.graph, traced.leaf_values, len(flat), traced.guards)
        small = len(traced.graph.ops) <= _IR_MAX_NODES
        self._last_ir = (
            (traced.graph, _input_kinds(structure), traced.guards)
            if small
            else (None, len(traced.graph.ops))
        )
        self.last_tape, self.last_trace_seconds = tape, time.perf_counter() - start
        return _Entry(tape, traced.sites, traced.single, traced.n_results, traced.aux)


@dataclass
class _Traced:
    """What one trace of fn recorded: its graph as integers and how to read the results."""

    graph: Graph
    leaf_values: list[Value]  # the constant leaves, in position order
    guards: list[tuple]  # (symbol, position, other, outcome) per recorded comparison
    sites: list[str]  # the user's source line of each guard
    single: bool  # fn returned one Value (else a list)
    n_results: int  # results before the aux Values among the roots
    aux: Any  # the layout of fn's aux (has_aux=True), or None


@dataclass
class _Entry:
    """One cached trace: its tape, and how to turn a replay into fn's results."""

    tape: Tape
    sites: list[str]
    single: bool
    n_results: int
    aux: Any


@overload
def compile(
    fn: Callable[..., Any],
    *,
    cache_size: int = ...,
    on_guard_failure: str = ...,
    has_aux: bool = ...,
    max_variants: int = ...,
    warn_after: int = ...,
) -> CompiledFunction: ...
@overload
def compile(
    fn: None = ...,
    *,
    cache_size: int = ...,
    on_guard_failure: str = ...,
    has_aux: bool = ...,
    max_variants: int = ...,
    warn_after: int = ...,
) -> Callable[[Callable[..., Any]], CompiledFunction]: ...
def compile(
    fn: Callable[..., Any] | None = None,
    *,
    cache_size: int = 8,
    on_guard_failure: str = "retrace",
    has_aux: bool = False,
    max_variants: int = 8,
    warn_after: int = 8,
) -> CompiledFunction | Callable[[Callable[..., Any]], CompiledFunction]:
    """Trace ``fn`` once per argument structure; replay forward and backward with NumPy.

    ``fn`` takes numbers, (nested) lists of numbers, NumPy arrays or Modules
    and returns a Value (or a list of Values).  The compiled function returns a
    ``CompiledResult`` with ``.data`` and ``.backward()``.  Usable as ``@compile``
    or ``@compile(cache_size=4)``.

    Arguments: a float (or a list or array of floats) reaches ``fn`` as Values;
    an int (or a list or integer array of ints) as *traced ints*: indices such as
    class labels and token ids, read at every call through ``take`` /
    ``nn.Embedding`` / ``cross_entropy``.  A Module (anything with
    ``parameters()``) is passed as itself; its parameters are read at every call,
    and a changed set of parameter objects traces again.

    ``has_aux=True`` (as in JAX): ``fn`` returns a pair ``(loss, aux)``, where
    ``aux`` is a Value, a number or a (nested) list/tuple of them, such as the
    model's outputs.  The compiled function then returns ``(result, aux_floats)``:
    ``aux_floats`` has ``aux``'s structure with plain floats, read off the same
    replay that computes the loss (no second forward pass).

    Read at each call:

    * the arguments (a new structure, such as another batch size, traces again;
      the last ``cache_size`` structures are kept);
    * the ``.data`` of every leaf Value that outlives the trace: parameters and
      any Value held by a closure or an object.  ``backward()`` adds into their
      ``.grad`` what eager ``backward()`` would.  Such Values are read by
      reference: *replacing* one by a new object (``layer.w[0] = Value(1.0)``) is
      not seen until ``fn.retrace()``; pass the module as an argument instead;
    * ``v.detach()``, ``Value(v)``, ``max_values``/``min_values`` (so the
      softmax shift) and the checks losses make on their inputs (hinge labels,
      BCE ranges, class indices): eager's numbers and eager's errors at every call;
    * ``detect_anomaly()``: a replay inside it raises ``AnomalyError`` naming the
      op that made the first NaN, in the forward or the backward.

    Frozen at trace time (a later call replays what happened during the trace):

    * every plain number ``fn`` computes or reads: ``v.data`` or ``float(v)`` of a
      Value, a Python variable (a loss weight), ``len(X)``;
    * Values made inside ``with no_grad():`` (they are constants, not a graph);
    * random numbers: a ``Dropout`` mask in training mode is the same at every call;
    * side effects: ``BatchNorm1d`` updates its running statistics only while
      tracing, and in ``eval()`` mode its running statistics are baked in;
      appending to a list or printing happens once.

    In training mode BatchNorm's batch mean and variance are traced (correct at
    every call); only its running statistics freeze.  Keep ``fn`` a pure
    function of its arguments and parameters (``fit(compile=True)`` refuses
    models holding Dropout or BatchNorm).

    Guarded: a comparison (``< <= > >= == !=``) or ``bool()`` on a traced Value,
    as in ``if h > 0:`` or ``max(a, b)``, is recorded and checked at each call.
    When an outcome changes, ``fn`` is traced again for that call
    (``on_guard_failure="retrace"``, the default) or ``GuardError`` names the
    line (``on_guard_failure="raise"``).  Comparing ``h.data`` is not guarded.
    Up to ``max_variants`` branch variants are kept per argument structure and
    ``cache_size`` structures in all; after ``warn_after`` retraces of either
    kind a ``RuntimeWarning`` names the cause (the guarded line, or new shapes).

    Threads: tracing state is per thread, and several threads may call one
    compiled function at once (traces are made one at a time).

    Errors are eager's: a domain error in the forward (``log``/``sqrt`` of a
    negative number, division by zero, ``0 ** -1``) raises the same exception
    with the same message, and an infinite gradient in ``backward()`` (``sqrt``
    or ``x ** 0.5`` at 0) raises ``ZeroDivisionError``, leaving every ``.grad``
    as it was.  One difference: eager's backward also raises for an infinite
    derivative that no parameter's gradient passes through (``sqrt`` of an input
    at 0); compiled skips those nodes.

    ``backward(create_graph=True)`` is not available on a compiled result.
    """
    if fn is None:
        return lambda f: CompiledFunction(
            f, cache_size, on_guard_failure, has_aux, max_variants, warn_after
        )
    return CompiledFunction(fn, cache_size, on_guard_failure, has_aux, max_variants, warn_after)


def aux_floats(entry: _Entry, vals: np.ndarray) -> Any:
    """The aux structure of a replay (``has_aux``), with floats for its Values; None without."""
    if entry.aux is None:
        return None
    return _fill_aux(entry.aux, vals[entry.tape.roots[entry.n_results :]].tolist())


def _results(entry: _Entry, vals, saved):
    """The CompiledResult(s) of a replay; with has_aux, paired with the aux floats."""
    grad_enabled = engine.is_grad_enabled()
    tape = entry.tape
    roots, lease = tape.roots, _Lease(tape, vals)
    results = [
        CompiledResult(tape, vals, saved, r, grad_enabled, lease) for r in roots[: entry.n_results]
    ]
    result = results[0] if entry.single else results
    if entry.aux is None:
        return result
    return result, aux_floats(entry, vals)


# --- tracing -----------------------------------------------------------------------------


def _trace_graph(
    fn: Callable, structure: tuple, flat: np.ndarray, has_aux: bool = False, args: tuple = ()
):
    """Run fn on fresh Value inputs, recording comparisons; return the graph as integers.

    With ``has_aux`` the Values of fn's aux become extra roots after the result's,
    and ``aux`` is its layout (see ``_aux_layout``).

    When this returns, no traced Value is referenced any more (except the
    ones fn's closure or the caller keep), which lets the tape bake constants.
    """
    inputs = [Value(x) for x in flat.tolist()]
    kinds = _input_kinds(structure)
    values = iter([TracedInt(v, int(v.data)) if is_int else v for v, is_int in zip(inputs, kinds)])
    args = [  # type: ignore[assignment]  # the rebuilt arguments, as a list
        arg if key[0] == "module" else _rebuild(key, values) for key, arg in zip(structure, args)
    ]
    records: list[tuple] = []
    with engine.tracing(functools.partial(_record_comparison, records)):
        out = fn(*args)
    aux = None
    if has_aux:
        out, aux_out = _split_aux(out)
        aux_values: list[Value] = []
        aux = _aux_layout(aux_out, aux_values, "aux")
    elif isinstance(out, tuple):
        raise TypeError(
            f"a compiled function returned a tuple of {len(out)}; to return (loss, aux) "
            "compile it with has_aux=True, and return a list for several results"
        )
    single = isinstance(out, Value)
    roots = [out] if single else _as_value_list(out)
    n_results = len(roots)
    if aux is not None:
        roots += aux_values
    pinned_index: dict[int, int] = {}
    pinned: list[Value] = []
    for _, a, b, _, _ in records:
        for v in (a, b):
            if v.__class__ is Value and id(v) not in pinned_index:
                pinned_index[id(v)] = len(pinned)
                pinned.append(v)
    numbered = number(roots, pinned, inputs)
    pinned_pos = numbered.top_pos[len(roots) :]
    position = {key: pinned_pos[i] for key, i in pinned_index.items()}
    guards = [
        (symbol, position[id(a)], position[id(b)] if b.__class__ is Value else b, outcome)
        for symbol, a, b, outcome, _ in records
    ]
    sites = [site for *_, site in records]
    # The traced Values are no longer needed: free them before the NumPy part.
    del out, roots, pinned, records, args, values
    if has_aux:
        del aux_out, aux_values
    graph, leaf_values = build(numbered)
    return _Traced(graph, leaf_values, guards, sites, single, n_results, aux)


def _as_value_list(out) -> list[Value]:
    if isinstance(out, (list, tuple)) and out and all(isinstance(v, Value) for v in out):
        return list(out)
    raise TypeError(
        "a compiled function must return a Value or a non-empty list of Values, "
        f"got {type(out).__name__}"
    )


def _split_aux(out) -> tuple[Any, Any]:
    if not (isinstance(out, tuple) and len(out) == 2):
        got = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        raise TypeError(
            f"a function compiled with has_aux=True must return a pair (loss, aux), got {got}"
        )
    return out


def _aux_layout(obj, values: list[Value], where: str):
    """aux's structure: an int (index into ``values``) for a Value, a float for a number,
    and a list or tuple (the same kind as in aux) for a list or tuple."""
    if isinstance(obj, Value):
        values.append(obj)
        return len(values) - 1
    if isinstance(obj, numbers.Real):
        return float(obj)
    if isinstance(obj, (list, tuple)):
        parts = [_aux_layout(x, values, f"{where}[{i}]") for i, x in enumerate(obj)]
        return parts if isinstance(obj, list) else tuple(parts)
    raise TypeError(
        f"{where} of a compiled function must be a Value, a number or a (nested) list/tuple "
        f"of them, got {type(obj).__name__} {obj!r:.60}"
    )


def _fill_aux(layout, floats: list[float]):
    """The aux structure with each Value's index replaced by its replayed float."""
    if layout.__class__ is int:
        return floats[layout]
    if layout.__class__ is float:
        return layout
    parts = [_fill_aux(part, floats) for part in layout]
    return parts if isinstance(layout, list) else tuple(parts)


def _record_comparison(records: list, symbol: str, a: Value, b) -> None:
    """The compare hook: remember each comparison's operands, outcome and source line."""
    if symbol == "bool":
        symbol, b = "!=", 0.0
    if b.__class__ is not Value:
        if not isinstance(b, numbers.Real):
            return  # the comparison itself returns NotImplemented
        b = float(b)
    outcome = _OUTCOME[symbol](a.data, b.data if b.__class__ is Value else b)
    records.append((symbol, a, b, outcome, _user_line()))


def _user_line() -> str:
    """'file:line: source' of the innermost frame outside the engine and this module."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename) in _OWN_FILES:
        frame = frame.f_back
    if frame is None:
        return "<unknown location>"
    filename, line = frame.f_code.co_filename, frame.f_lineno
    source = linecache.getline(filename, line).strip()
    return f"{filename}:{line}: {source}" if source else f"{filename}:{line}"


# --- the printable IR ------------------------------------------------------------------------


#: ir() keeps the latest graph only up to this size (its text would be unreadable anyway).
_IR_MAX_NODES = 20_000


def format_ir(graph: Graph, int_inputs: list[bool], guards: Sequence[tuple[Any, ...]] = ()) -> str:
    """A traced graph as text: typed inputs, parameters, one line per node, guards, results."""
    from .graph import MINUS_ONE, ONE

    names: dict[int, str] = {ONE: "1.0", MINUS_ONE: "-1.0"}
    for pos, index in graph.inputs.items():
        names[pos] = f"x{index}"
    for k, pos in enumerate(graph.leaves):
        names[pos] = f"p{k}"
    inputs = sorted(graph.inputs.items(), key=lambda item: item[1])
    head = " ".join(f"x{i}:{'int' if int_inputs[i] else 'f64'}" for _, i in inputs)
    params = " ".join(f"p{k}:f64" for k in range(len(graph.leaves)))
    lines = [f"{{ lambda {params} ; {head} . let"]
    linear = _linear_names()
    for i, op in enumerate(graph.ops):
        if not op or (i not in graph.terms and op in linear):
            continue
        names[i] = f"v{i}"
        if i in graph.terms:
            terms = " + ".join(
                names.get(b, "?")
                if a == ONE
                else f"{names.get(a, '?')}*{names.get(b, '?')}"
                if b != ONE
                else names.get(a, "?")
                for a, b in graph.terms[i]
            )
            lines.append(f"    v{i}:f64 = lin {terms}")
        else:
            args = " ".join(names.get(p, "?") for p in graph.parents[i])
            lines.append(f"    v{i}:f64 = {op} {args}")
    for symbol, a, b, outcome in guards:
        other = names.get(b, "?") if b.__class__ is int else repr(b)
        lines.append(f"    guard ({names.get(a, '?')} {symbol} {other}) is {outcome}")
    results = ", ".join(names.get(r, "?") for r in graph.roots)
    lines.append(f"  in ({results}) }}")
    return "\n".join(lines)


def _linear_names() -> set[str]:
    from .graph import linear_ops

    return set(linear_ops())


# --- arguments ---------------------------------------------------------------------------

#: Integers beyond this are not exact in the tape's float64 slots.
_LARGEST_EXACT_INT = 2**53


def module_key(module: Any) -> tuple[Any, ...]:
    """A Module argument's part of the cache key: its parameter objects, so that a
    changed set of parameters (a replaced neuron) traces again.

    The one walk over the parameters a call makes: what each module holds, in order,
    without ``parameters()``' de-duplication (a Value held twice is the same key
    every time), so about one list extension per module.
    """
    walk = getattr(module, "_walk", None)
    if callable(walk):
        ids: list[int] = []
        for _, sub in walk():
            ids.extend(map(id, sub._own_parameter_values()))
    else:  # a duck-typed model: parameters() is all it offers
        ids = list(map(id, module.parameters()))
    return ("module", _ParameterIds(tuple(ids)))


class _ParameterIds:
    """A Module's parameter ids, hashed once: a key of 100,000 ids is looked up in the
    cache at every call, and a tuple would hash them all each time."""

    __slots__ = ("ids", "_hash")

    def __init__(self, ids: tuple[int, ...]) -> None:
        self.ids, self._hash = ids, hash(ids)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _ParameterIds) and self._hash == other._hash and self.ids == other.ids
        )


def _flatten_args(args: tuple, key_of_module=module_key) -> tuple[tuple, np.ndarray, None]:
    """The arguments' structure (the cache key) and all their numbers, flattened.

    An argument that is an int, a (nested) list of ints or an integer array is
    an *integer input*: it reaches ``fn`` as ``TracedInt``s, never as float
    Values.  A NumPy array is read without conversion when it holds float64.
    ``key_of_module(arg)`` keys a Module argument (``compile_step`` passes the
    key it computed when it took hold of the parameters).
    """
    structure: list[tuple[Any, ...]] = []
    chunks: list[Any] = []
    for position, arg in enumerate(args):
        if _is_module(arg):  # read at every call: a new set of parameter objects retraces
            structure.append(key_of_module(arg))
            continue
        array = arg if arg.__class__ is np.ndarray else None
        if array is None and not isinstance(arg, Value):
            try:
                array = np.asarray(arg)
            except ValueError:  # ragged nested lists
                array = None
        if array is not None and array.dtype.kind in "fiub":
            is_int = array.dtype.kind != "f"
            if is_int and array.size and int(np.abs(array).max()) > _LARGEST_EXACT_INT:
                raise ValueError(
                    f"argument {position} of a compiled function holds an integer beyond "
                    f"2**53, which the replay cannot hold exactly"
                )
            structure.append(("shape", array.shape, is_int))
            chunks.append(array.astype(np.float64, copy=False).ravel())
        else:
            numbers_out: list[float] = []
            structure.append(("nested", _flatten_nested(arg, numbers_out, position)))
            chunks.append(np.array(numbers_out, dtype=np.float64))
    flat = chunks[0] if len(chunks) == 1 else (np.concatenate(chunks) if chunks else np.zeros(0))
    return tuple(structure), flat, None


def _is_module(arg) -> bool:
    """A Module, or anything with a parameters() method (a duck-typed model)."""
    return not isinstance(arg, (list, tuple, np.ndarray, Value, numbers.Number)) and callable(
        getattr(arg, "parameters", None)
    )


def _flatten_nested(obj, out: list[float], position: int):
    """The layout of a ragged argument: "i" or "f" for a number, a tuple for a list."""
    if isinstance(obj, Value):
        raise TypeError(
            f"argument {position} of a compiled function holds a Value; pass plain numbers "
            "(the arguments are traced), and let the function read Values such as parameters"
        )
    if isinstance(obj, numbers.Real):
        out.append(float(obj))
        return "i" if isinstance(obj, numbers.Integral) else "f"
    if isinstance(obj, (list, tuple, np.ndarray)):
        return tuple(_flatten_nested(x, out, position) for x in obj)
    raise TypeError(
        f"argument {position} of a compiled function must be a number or a (nested) list "
        f"of numbers, got {type(obj).__name__} {obj!r:.60}"
    )


def _input_kinds(structure: tuple) -> list[bool]:
    """For each flattened number, whether it is an integer input."""
    kinds: list[bool] = []

    def walk(layout) -> None:
        if layout.__class__ is str:
            kinds.append(layout == "i")
        else:
            for part in layout:
                walk(part)

    for key in structure:
        if key[0] == "module":
            continue
        if key[0] == "shape":
            kinds.extend([key[2]] * int(np.prod(key[1], dtype=np.int64)))
        else:
            walk(key[1])
    return kinds


def _rebuild(key: tuple, values):
    """The argument as fn sees it while tracing: the same nesting, Values for numbers."""
    if key[0] == "shape":
        return _nest_shape(key[1], values)
    return _nest_ragged(key[1], values)


def _nest_shape(shape: tuple, values):
    if not shape:
        return next(values)
    return [_nest_shape(shape[1:], values) for _ in range(shape[0])]


def _nest_ragged(layout, values):
    if layout.__class__ is str:
        return next(values)
    return [_nest_ragged(part, values) for part in layout]


# --- integer inputs ------------------------------------------------------------------------


def _guard(symbol: str, node: Value, other) -> None:
    """Record a comparison on a traced integer, as the engine records one on a Value."""
    hook = engine.comparison_hook()
    if hook is not None:
        hook(symbol, node, other)


class TracedInt:
    """An integer argument of a compiled function, as ``fn`` sees it while tracing.

    It behaves as its int: indexing with it through ``take`` (or ``nn.Embedding``)
    is a gather node that reads the index at every call; ``+ - *`` with ints give
    traced ints, with Values or floats give Values; comparisons are guarded.
    Anything that needs the concrete int (``list[t]``, ``range(t)``, ``hash``,
    ``float(t)``) gets it with a guard, so a call with another value traces again.
    """

    __slots__ = ("_trace_node", "value")
    #: The int it stands for in this trace.
    value: int

    def __init__(self, node: Value, value: int) -> None:
        self._trace_node = node
        self.value = value

    def _concrete(self) -> int:
        _guard("==", self._trace_node, float(self.value))
        return self.value

    def __index__(self) -> int:
        return self._concrete()

    __int__ = __index__

    def __float__(self) -> float:
        return float(self._concrete())

    def __hash__(self) -> int:
        return hash(self._concrete())

    def __bool__(self) -> bool:
        return self._compare("!=", 0)

    def __repr__(self) -> str:
        return f"TracedInt({self.value})"

    def __str__(self) -> str:
        return str(self._concrete())

    def __format__(self, spec: str) -> str:
        return format(self._concrete(), spec)

    # comparisons: guarded, like comparisons on Values
    def _compare(self, symbol: str, other: object) -> Any:
        if isinstance(other, TracedInt):
            _guard(symbol, self._trace_node, other._trace_node)
            return _OUTCOME[symbol](self.value, other.value)
        if isinstance(other, Value):
            _guard(symbol, self._trace_node, other)
            return _OUTCOME[symbol](self.value, other.data)
        if isinstance(other, numbers.Real):
            _guard(symbol, self._trace_node, float(other))
            return _OUTCOME[symbol](self.value, other)
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        return self._compare("<", other)

    def __le__(self, other: object) -> bool:
        return self._compare("<=", other)

    def __gt__(self, other: object) -> bool:
        return self._compare(">", other)

    def __ge__(self, other: object) -> bool:
        return self._compare(">=", other)

    def __eq__(self, other: object) -> bool:
        return self._compare("==", other)

    def __ne__(self, other: object) -> bool:
        return self._compare("!=", other)

    # arithmetic: ints stay traced ints, anything else becomes a Value
    def _arith(self, other: object, op: Callable[[Any, Any], Any], reflected: bool = False) -> Any:
        if isinstance(other, TracedInt) or (
            isinstance(other, numbers.Integral) and not isinstance(other, bool)
        ):
            other_node = other._trace_node if isinstance(other, TracedInt) else other
            other_value = other.value if isinstance(other, TracedInt) else int(other)
            if reflected:
                return TracedInt(op(other_node, self._trace_node), op(other_value, self.value))
            return TracedInt(op(self._trace_node, other_node), op(self.value, other_value))
        if isinstance(other, Value | numbers.Real):
            return op(other, self._trace_node) if reflected else op(self._trace_node, other)
        return NotImplemented

    def __add__(self, other: TracedInt | Value | float) -> TracedInt | Value:
        return self._arith(other, operator.add)

    def __radd__(self, other: TracedInt | Value | float) -> TracedInt | Value:
        return self._arith(other, operator.add, True)

    def __sub__(self, other: TracedInt | Value | float) -> TracedInt | Value:
        return self._arith(other, operator.sub)

    def __rsub__(self, other: TracedInt | Value | float) -> TracedInt | Value:
        return self._arith(other, operator.sub, True)

    def __mul__(self, other: TracedInt | Value | float) -> TracedInt | Value:
        return self._arith(other, operator.mul)

    def __rmul__(self, other: TracedInt | Value | float) -> TracedInt | Value:
        return self._arith(other, operator.mul, True)

    def __truediv__(self, other: Value | float) -> Value:
        return self._trace_node / other

    def __rtruediv__(self, other: Value | float) -> Value:
        return other / self._trace_node

    def __neg__(self) -> TracedInt:
        return TracedInt(-self._trace_node, -self.value)

    def __pos__(self) -> TracedInt:
        return self

    def __floordiv__(self, other: int) -> int:
        return self._concrete() // other

    def __mod__(self, other: int) -> int:
        return self._concrete() % other

    def __pow__(self, other: int) -> int | float:
        return self._concrete() ** other


numbers.Integral.register(TracedInt)
