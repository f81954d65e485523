"""Value: a scalar that records the operations made on it, and backward().

A reader who knows micrograd will recognise this file: each operation makes
a new Value whose ``_prev`` are its inputs and whose ``_op`` names the op,
and ``node._backward()`` adds the node's local derivative times its ``.grad``
into its parents' grads.  What differs is where the calculus lives: micrograd
gives every node its own closure; here every op is one entry of the table in
``ops.py`` and backward looks the rule up by ``_op`` (a closure assigned to
``node._backward``, micrograd-style, is honoured too).  With no closure, no
set and no dict per node, a node is a few small objects, which is what makes
this engine fast and small.
"""

from __future__ import annotations

import contextlib
import gc
import numbers
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .ops import FORWARD, MATH, PRIMITIVES, VALUES, VARIADIC, VJP, Backend, take_error

Number = int | float
Hook = Callable[[str, "Value", object], None]


class _ThreadModes(threading.local):
    """This thread's modes: no_grad(), detect_anomaly() and tracing() set them."""

    grad_enabled = True  # False inside no_grad(): ops record no graph
    anomaly = False  # True inside detect_anomaly(): NaNs raise at once
    hook: Hook | None = None  # sees every comparison while compile traces


_modes = _ThreadModes()
# How many mode blocks are open in all threads together.  While it is 0 (nearly
# always) every thread is in the default modes and ops need not read the
# thread-local state, which costs six times a global lookup.
_open_blocks = 0
_open_blocks_lock = threading.Lock()
# Set once a micrograd-style closure is assigned to some node's _backward; until
# then backward need not look for closures.
_closures_assigned = False


@contextmanager
def _mode_block(**modes: object) -> Iterator[None]:
    """Set some of this thread's modes for the block, and restore them after."""
    global _open_blocks
    previous = {name: getattr(_modes, name) for name in modes}
    for name, value in modes.items():
        setattr(_modes, name, value)
    with _open_blocks_lock:
        _open_blocks += 1
    try:
        yield
    finally:
        for name, value in previous.items():
            setattr(_modes, name, value)
        with _open_blocks_lock:
            _open_blocks -= 1


class AnomalyError(RuntimeError):
    """A NaN (or an overflowing gradient) appeared under detect_anomaly()."""


class Value:
    """A scalar node of the computation graph: data, grad, and how it was made.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's signature: a
    node built by hand with an ``_op`` of the table uses that op's rule.
    """

    # The parents sit in two slots, _a and _b (None when absent; an n-ary node
    # keeps a tuple in _a and _MANY in _b): no tuple per node, so half the
    # objects for the garbage collector to scan.  _prev shows them as a tuple.
    # __dict__ lets users keep their own attributes on a node (it is only
    # created when one is set); label lives there too, "" by default.
    __slots__ = ("_data", "grad", "_op", "_a", "_b", "__dict__")
    _data: float
    _a: Any  # the first parent, the tuple of parents of an n-ary node, or None
    _b: Any  # the second parent, _MANY, or None
    label: str = ""
    _backward_fn: Callable[[], None] | None = None  # a closure assigned to _backward

    def __init__(
        self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = ""
    ) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value(...): label must be a str, got {type(label).__name__}")
        if not isinstance(_op, str):
            raise TypeError(f"Value(...): _op must be a str naming the op, got {_op!r}")
        if data.__class__ is not float and _open_blocks:
            source = _traced_source(data)
            if source is not None:  # Value(v) while compile traces: follows v at replay
                data, _children, _op = source._data, (source,), "stop_gradient"
        self._data = _as_float(data)
        self.grad: Any = 0.0
        self._op = _op
        self._prev = _as_children(_children, _op)
        if label:
            self.label = label

    # --- data: always a Python float --------------------------------------------
    @property
    def data(self) -> float:
        """The number this node holds: always a Python float (a number assigned is converted)."""
        return self._data

    @data.setter
    def data(self, value: Number) -> None:
        self._data = value if value.__class__ is float else _as_float(value, "data")

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The parents, in order (``a * a`` keeps both edges); () for a leaf."""
        b = self._b
        if b is None:
            a = self._a
            return () if a is None else (a,)
        if b is _MANY:
            return self._a  # type: ignore[no-any-return]
        return (self._a, b)

    @_prev.setter
    def _prev(self, parents: tuple[Value, ...]) -> None:
        n = len(parents)
        if n > 2 or (n and getattr(self, "_op", "") in _VARIADIC_OPS):
            self._a, self._b = tuple(parents), _MANY
        else:
            self._a = parents[0] if n else None
            self._b = parents[1] if n == 2 else None

    # --- micrograd's per-node backward step ------------------------------------
    @property
    def _backward(self) -> Callable[[], None]:
        """Add this node's local derivative times ``self.grad`` into its parents' grads."""
        fn = self._backward_fn
        return fn if fn is not None else self._table_backward

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        global _closures_assigned
        if not callable(fn):
            raise TypeError(f"_backward must be a function of no arguments, got {fn!r}")
        self._backward_fn = fn
        _closures_assigned = True

    def _table_backward(self) -> None:
        if self._a is not None:
            _accumulate(self._prev, local_vjp(self, self.grad))

    # --- arithmetic: thin wrappers over the primitive table --------------------
    # + and * are the commonest ops by far; they build their node inline.
    def __add__(self, other: Value | float) -> Value:
        rhs: Any = other
        if rhs.__class__ is not Value:
            rhs = _operand(rhs)
            if rhs is NotImplemented:
                return NotImplemented
        out = _new(self.__class__)
        out._data = self._data + rhs._data
        out.grad = 0.0
        out._op = "+"
        out._a = self
        out._b = rhs
        if _open_blocks:
            _in_mode_block(out)
        return out

    def __radd__(self, other: float) -> Value:  # 1 + x, and sum() of Values (0 + x)
        lhs = _operand(other)
        if lhs is NotImplemented:
            return NotImplemented
        out = _new(self.__class__)
        out._data = lhs._data + self._data
        out.grad = 0.0
        out._op = "+"
        out._a = lhs
        out._b = self
        if _open_blocks:
            _in_mode_block(out)
        return out

    def __mul__(self, other: Value | float) -> Value:
        rhs: Any = other
        if rhs.__class__ is not Value:
            rhs = _operand(rhs)
            if rhs is NotImplemented:
                return NotImplemented
        out = _new(self.__class__)
        out._data = self._data * rhs._data
        out.grad = 0.0
        out._op = "*"
        out._a = self
        out._b = rhs
        if _open_blocks:
            _in_mode_block(out)
        return out

    def __rmul__(self, other: float) -> Value:  # 2 * x
        lhs = _operand(other)
        if lhs is NotImplemented:
            return NotImplemented
        out = _new(self.__class__)
        out._data = lhs._data * self._data
        out.grad = 0.0
        out._op = "*"
        out._a = lhs
        out._b = self
        if _open_blocks:
            _in_mode_block(out)
        return out

    def __sub__(self, other: Value | float) -> Value:
        rhs: Any = other
        if rhs.__class__ is not Value:
            rhs = _operand(rhs)
            if rhs is NotImplemented:
                return NotImplemented
        out = _new(self.__class__)
        out._data = self._data - rhs._data
        out.grad = 0.0
        out._op = "-"
        out._a = self
        out._b = rhs
        if _open_blocks:
            _in_mode_block(out)
        return out

    def __rsub__(self, other: float) -> Value:
        return _apply2("-", other, self)

    def __truediv__(self, other: Value | float) -> Value:
        return _apply2("/", self, other)

    def __rtruediv__(self, other: float) -> Value:
        return _apply2("/", other, self)

    def __pow__(self, other: Value | float) -> Value:
        return _apply2("pow" if isinstance(other, Value) else "**", self, other)

    def __rpow__(self, other: float) -> Value:
        return _apply2("pow", other, self)

    def __neg__(self) -> Value:
        return _apply1("neg", self)

    def __abs__(self) -> Value:
        return _apply1("abs", self)

    def exp(self) -> Value:
        """``e ** self``; its gradient is the output itself."""
        return _apply1("exp", self)

    def log(self) -> Value:
        """The natural logarithm; a ValueError for x <= 0 (it is defined for positive x only)."""
        return _apply1("log", self)

    def sqrt(self) -> Value:
        """The square root; a ValueError for x < 0 (its gradient ``1 / (2 sqrt(x))``)."""
        return _apply1("sqrt", self)

    def sin(self) -> Value:
        """``sin(self)`` in radians; its gradient is ``cos``."""
        return _apply1("sin", self)

    def cos(self) -> Value:
        """``cos(self)`` in radians; its gradient is ``-sin``."""
        return _apply1("cos", self)

    def tanh(self) -> Value:
        """The hyperbolic tangent, micrograd's classic activation; gradient ``1 - out**2``."""
        return _apply1("tanh", self)

    def sigmoid(self) -> Value:
        """``1 / (1 + e**-x)``, computed without overflow; gradient ``out * (1 - out)``."""
        return _apply1("sigmoid", self)

    def softplus(self) -> Value:
        """``log(1 + e**x)`` without overflow (``binary_cross_entropy_with_logits`` uses it)."""
        return _apply1("softplus", self)

    def relu(self) -> Value:
        """``max(x, 0)``; the gradient is 0 where x <= 0, as in PyTorch."""
        return _apply1("relu", self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """``x`` where x > 0, else ``negative_slope * x``: ReLU that keeps a small gradient."""
        if isinstance(negative_slope, Value) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(f"leaky_relu: negative_slope must be a number, got {negative_slope!r}")
        return _apply2("leaky_relu", self, negative_slope)

    # --- comparisons: == is identity (as micrograd), order compares data -------
    def __lt__(self, other: Value | float) -> bool:
        return _compare("<", self, other)

    def __le__(self, other: Value | float) -> bool:
        return _compare("<=", self, other)

    def __gt__(self, other: Value | float) -> bool:
        return _compare(">", self, other)

    def __ge__(self, other: Value | float) -> bool:
        return _compare(">=", self, other)

    def __bool__(self) -> bool:
        if _open_blocks and _modes.hook is not None:
            _modes.hook("bool", self, None)
        return self._data != 0.0

    def __float__(self) -> float:
        return self._data

    def __format__(self, spec: str) -> str:
        return format(self._data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self._data!r}, grad={self.grad!r}{label})"

    # --- graph utilities ------------------------------------------------------
    def detach(self) -> Value:
        """A Value with the same data through which no gradient flows.

        Eagerly a new leaf; while ``compile`` traces, a ``stop_gradient`` node, so
        that a replay follows this Value's data instead of freezing it."""
        if _open_blocks and _modes.hook is not None:
            return _apply1("stop_gradient", self)
        return Value(self._data, label=self.label)

    def backward(
        self, gradient: Value | float | None = None, *, create_graph: bool = False
    ) -> None:
        """Add gradient * d(self)/d(node) into ``.grad`` of every node of the graph.

        ``gradient`` (1.0 by default) seeds the pass, as in PyTorch. Gradients
        add up across calls. With ``create_graph`` every gradient is itself a
        Value, so it can be differentiated again.
        """
        seed = _seed(gradient, create_graph)
        with gc_paused():
            if _closures_assigned or self._a is None:  # a closure may sit on any node
                _run_pass(self, topological_order(self), seed, create_graph)
            else:
                order, saved = _pass_order(self)
                _run_pass(self, order, seed, create_graph, saved)


# --- building nodes --------------------------------------------------------------

_new: Callable[[type[Value]], Value] = object.__new__  # skips __init__: nodes built inline
_MANY = object()  # in _b: the node's parents are the tuple in _a
_VARIADIC_OPS = frozenset(name for name, p in PRIMITIVES.items() if p.arity == VARIADIC)


def _as_float(x: object, what: str = "Value(...)") -> float:
    """x as a Python float (NumPy scalars included), or a clear TypeError/ValueError."""
    if x.__class__ is float:
        return x
    if isinstance(x, Value):
        raise TypeError(
            f"{what} expects a number, got a Value ({x!r}); to copy a Value use v.detach(), "
            "and after backward(create_graph=True) use p.grad.data for the number"
        )
    if x.__class__ is int or isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{what}: {x!r} is too large for a float") from None
    raise TypeError(f"{what} expects a real number (int or float), got {type(x).__name__} {x!r}")


def _as_children(children: Iterable[Value], op: str) -> tuple[Value, ...]:
    prev = children if children.__class__ is tuple else tuple(children)
    for child in prev:
        if not isinstance(child, Value):
            raise TypeError(f"Value(...): _children must be Values, got {child!r}")
    prim = PRIMITIVES.get(op)
    if prim is not None and prim.arity != VARIADIC and prim.arity != len(prev):
        raise ValueError(
            f"Value(...): op {op!r} takes {prim.arity} input(s), got {len(prev)} _children"
        )
    return prev


def _leaf(x: float) -> Value:
    v = _new(Value)
    v._data = x
    v.grad = 0.0
    v._op = ""
    v._a = v._b = None
    return v


def _operand(x: object) -> Value:
    """A Value for the other side of an arithmetic op; NotImplemented if it is no number.

    While compile traces, an integer argument (a traced int) gives its node."""
    if x.__class__ is int:  # 2 * x, and the 0 that sum() starts from: a float leaf below
        try:
            x = float(x)
        except OverflowError:
            return _leaf(_as_float(x))  # its clear ValueError
    if x.__class__ is float:  # the commonest constant (x + 1.0, 0.5 * x): a leaf, no checks
        v = _new(Value)
        v._data = x
        v.grad = 0.0
        v._op = ""
        v._a = v._b = None
        return v
    if isinstance(x, Value):
        return x
    if _open_blocks:  # floats and ints returned above
        source = _traced_source(x)
        if source is not None:
            return source
    if isinstance(x, numbers.Real):
        return _leaf(_as_float(x))
    return NotImplemented  # type: ignore[no-any-return]


def _in_mode_block(out: Value) -> None:
    """Apply this thread's modes to a node just made (only called inside some block)."""
    if _modes.anomaly and out._data != out._data:
        raise AnomalyError(
            f"NaN produced by '{out._op}' in the forward pass "
            f"(inputs {[p._data for p in out._prev]})"
        )
    if not _modes.grad_enabled:
        out._op = ""
        out._a = out._b = None


def _apply1(op: str, a: Value) -> Value:
    out = _new(a.__class__)
    out._data = FORWARD[op](a._data)
    out.grad = 0.0
    out._op = op
    out._a = a
    out._b = None
    if _open_blocks:
        _in_mode_block(out)
    return out


def _apply2(op: str, a: Any, b: Any) -> Value:
    if a.__class__ is not Value or b.__class__ is not Value:
        cls = a.__class__ if isinstance(a, Value) else b.__class__
        a, b = _operand(a), _operand(b)
        if a is NotImplemented or b is NotImplemented:
            return NotImplemented  # type: ignore[no-any-return]
    else:
        cls = Value
    out = _new(cls)
    out._data = FORWARD[op](a._data, b._data)
    out.grad = 0.0
    out._op = op
    out._a = a
    out._b = b
    if _open_blocks:
        _in_mode_block(out)
    return out


def max_values(values: Iterable[Value | Number]) -> Value:
    """The largest of many values, one node; its gradient goes to the first largest.

    Use it instead of Python's ``max`` on Values: under ``compile`` it is traced
    (recomputed at every call) where ``max`` would be a guarded comparison."""
    return _apply_n("max", _parents(values, "max_values"))


def min_values(values: Iterable[Value | Number]) -> Value:
    """The smallest of many values, one node; its gradient goes to the first smallest."""
    return _apply_n("min", _parents(values, "min_values"))


def take(values: Iterable[Value | Number], index: int) -> Value:
    """``values[index]`` for an integer index; under ``compile`` the index may be an
    integer argument, and one trace then serves every index (a gather node).

    Negative indices count from the end, as in Python; out of range is an IndexError."""
    source = _traced_source(index) if _open_blocks else None
    if source is None:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(
                f"take(values, index): index must be an int, got {type(index).__name__} {index!r}"
            )
        values = values if isinstance(values, list | tuple) else list(values)
        if not -len(values) <= index < len(values):
            raise IndexError(take_error(index, len(values)))
        v = values[index]
        return v if v.__class__ is Value else _lift_or_raise(v)
    return _apply_n("take", (source, *_parents(values, "take")))


def _parents(values: Iterable[Value | Number], who: str) -> tuple[Value, ...]:
    parents = tuple(v if v.__class__ is Value else _lift_or_raise(v) for v in values)
    if not parents:
        raise ValueError(f"{who}() needs at least one value, got an empty sequence")
    return parents


def _apply_n(op: str, parents: tuple[Value, ...]) -> Value:
    out = _new(Value)
    out._data = FORWARD[op](*[p._data for p in parents])
    out.grad = 0.0
    out._op = op
    out._a = parents
    out._b = _MANY
    if _open_blocks:
        _in_mode_block(out)
    return out


def _traced_source(x: object) -> Value | None:
    """While compile traces in this thread, the Value standing for x in the traced graph
    (x itself for a Value, the node of a traced integer argument); else None."""
    if _modes.hook is None:
        return None
    if isinstance(x, Value):
        return x
    return getattr(x, "_trace_node", None)


def sum_values(values: Iterable[Value | Number]) -> Value:
    """The sum of many values as a single n-ary node (faster than a chain of +)."""
    parents = tuple(v if v.__class__ is Value else _lift_or_raise(v) for v in values)
    if not parents:
        raise ValueError("sum_values() needs at least one value, got an empty sequence")
    total = 0.0
    for p in parents:
        total += p._data
    out = _new(Value)
    out._data = total
    out.grad = 0.0
    out._op = "sum"
    out._a = parents
    out._b = _MANY
    if _open_blocks:
        _in_mode_block(out)
    return out


def weighted_sum(weights: Sequence[Value], inputs: Sequence[Any], bias: Value) -> Value:
    """``sum_values([w * x for w, x in zip(weights, inputs)] + [bias])``: a neuron's w . x + b.

    The same nodes (one ``*`` per pair, then one n-ary sum), built in one loop
    instead of one ``__mul__`` call per product, which makes it about twice as
    fast; inside a mode block (no_grad, detect_anomaly, compile's trace) it is
    literally the expression above.
    """
    if _open_blocks:
        return sum_values([w * x for w, x in zip(weights, inputs)] + [bias])
    terms: list[Value] = []
    append = terms.append
    total = 0.0
    for w, x in zip(weights, inputs):
        if x.__class__ is float:
            x = _operand(x)
        if w.__class__ is not Value or x.__class__ is not Value:
            p = w * x  # a subclass or another kind of number: the ordinary operator
            if not isinstance(p, Value):
                p = _lift_or_raise(p)
        else:
            p = _new(Value)
            p._data = w._data * x._data
            p.grad = 0.0
            p._op = "*"
            p._a = w
            p._b = x
        append(p)
        total += p._data
    if bias.__class__ is not Value:
        bias = _lift_or_raise(bias)
    append(bias)
    out = _new(Value)
    out._data = total + bias._data
    out.grad = 0.0
    out._op = "sum"
    out._a = tuple(terms)
    out._b = _MANY
    return out


def _lift_or_raise(x: object) -> Value:
    v = _operand(x)
    if v is NotImplemented:
        raise TypeError(f"expected a Value or a number, got {type(x).__name__} {x!r}")
    return v


def _compare(symbol: str, a: Value, b: object) -> bool:
    if _open_blocks and _modes.hook is not None:
        _modes.hook(symbol, a, b)
    if isinstance(b, Value):
        b = b._data
    elif not isinstance(b, numbers.Real):
        return NotImplemented  # type: ignore[no-any-return]
    d = a._data
    if symbol == "<":
        return d < b  # type: ignore[operator]  # mypy's numbers.Real has no order
    if symbol == "<=":
        return d <= b  # type: ignore[operator]
    if symbol == ">":
        return d > b
    return d >= b


# --- backward ----------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, inputs before outputs (iterative DFS, no recursion).

    The order of a recursive depth-first search that visits each node's parents
    in order and lists a node once its parents are listed.  Without recursion:
    a node popped for the first time pushes a ``None`` marker (its exit) and
    then its parents; when the marker comes back up, the parents are done.
    """
    order: list[Value] = []
    append = order.append
    visited: set[Value] = set()
    add = visited.add
    stack: list[Value | None] = [root]
    push = stack.append
    pop = stack.pop
    exits: list[Value] = []  # the nodes whose marker is on the stack, innermost last
    enter = exits.append
    leave = exits.pop
    while stack:
        node = pop()
        if node is None:  # a marker: all of that node's parents are listed
            append(leave())
            continue
        if node in visited:
            continue
        add(node)
        a = node._a
        if a is None:  # a leaf is done at once
            append(node)
            continue
        push(None)
        enter(node)
        b = node._b
        if b is _MANY:
            for parent in reversed(a):
                if parent not in visited:
                    push(parent)
            continue
        if b is not None and b not in visited:
            push(b)
        if a not in visited:
            push(a)
    return order


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (restored after).

    Building a graph and walking it backward make no reference cycles, so the
    collector has nothing to find there; pausing it saves the time it would
    spend scanning the graph (backward, grad, forward_batch and fit use it).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _seed(gradient: object, create_graph: bool) -> Any:
    if not isinstance(create_graph, bool):
        raise TypeError(f"backward: create_graph must be True or False, got {create_graph!r}")
    if gradient is None:
        return Value(1.0) if create_graph else 1.0
    if isinstance(gradient, bool):
        raise TypeError(
            f"backward(gradient): the first argument is the seed gradient, got {gradient!r}; "
            "for second derivatives write backward(create_graph=True)"
        )
    if isinstance(gradient, Value):
        if not create_graph:
            return gradient._data
        return gradient
    value = _as_float(gradient, "backward(gradient)")
    return Value(value) if create_graph else value


def _pass_order(root: Value) -> tuple[list[Value], list[tuple[Value, Any]]]:
    """What backward needs of ``topological_order(root)``, in one walk: its nodes
    without the leaves (the same order), and the earlier grads set aside.

    A leaf has no rule to apply, so it need not be ordered, only have its earlier
    grad set aside (saved and zeroed when first met, so later meetings see 0.0).
    No visited set: a node met is marked by the grad it is given, ``mark``, a
    float 0.0 made for this walk alone (``node.grad is mark`` means visited; the
    pass then adds into it like any 0.0).  That and the leaves handled in line
    make the walk a third faster than with a set.  The walk is recursive (in
    Python faster than ``topological_order``'s explicit stack); a graph deeper
    than Python's recursion limit (a long chain) takes ``topological_order``.
    """
    order: list[Value] = []
    append = order.append
    saved: list[tuple[Value, Any]] = []
    keep = saved.append
    mark = float("0")  # a new object: no grad left by an earlier pass is this one

    def set_aside(node: Value) -> None:  # for the nodes of the deep-graph fallback
        g = node.grad
        if g is not mark and (g.__class__ is not float or g):
            keep((node, g))
            node.grad = 0.0

    def visit(node: Value) -> None:  # node is not a leaf, nor marked
        g = node.grad
        if g.__class__ is not float or g:
            keep((node, g))
        node.grad = mark
        a = node._a
        b = node._b
        if b is _MANY:
            for parent in a:
                if parent._a is None:  # a leaf: set its grad aside, written out
                    g = parent.grad
                    if g.__class__ is not float or g:
                        keep((parent, g))
                        parent.grad = 0.0
                elif parent.grad is not mark:
                    visit(parent)
        else:
            if a._a is None:
                g = a.grad
                if g.__class__ is not float or g:
                    keep((a, g))
                    a.grad = 0.0
            elif a.grad is not mark:
                visit(a)
            if b is not None:
                if b._a is None:
                    g = b.grad
                    if g.__class__ is not float or g:
                        keep((b, g))
                        b.grad = 0.0
                elif b.grad is not mark:
                    visit(b)
        append(node)  # after its parents: inputs before outputs

    try:
        visit(root)
    except RecursionError:
        order = topological_order(root)  # leaves included; the marked nodes are aside
        for node in order:
            set_aside(node)
    except BaseException:  # interrupted: put back what was set aside
        for node, g in saved:
            node.grad = g
        raise
    finally:
        # visit calls itself through its closure: a reference cycle that would keep
        # the order, hence the whole graph, alive until the collector runs.  Break it.
        visit = set_aside
    return order, saved


def _run_pass(
    root: Value,
    topo: list[Value],
    seed: Any,
    create_graph: bool,
    saved: list[tuple[Value, Any]] | None = None,
) -> None:
    """Propagate ``seed`` from root through ``topo``, adding to the grads already there.

    Earlier gradients are set aside so that this pass propagates only its own
    contributions (intermediate nodes keep grads too), then added back; if the
    pass fails, every grad is left as it was.  ``saved``: the grads already set
    aside by ``_pass_order`` (whose ``topo`` has no leaves).
    """
    if saved is None:
        saved = [(n, n.grad) for n in topo if n.grad.__class__ is not float or n.grad]
        for node, _ in saved:
            node.grad = 0.0
    try:
        root.grad = seed
        if create_graph:
            _backprop_values(topo)
        elif _closures_assigned:
            _backprop_with_closures(topo)
        elif _open_blocks and _modes.anomaly:
            _backprop_checked(topo)
        else:
            _backprop_floats(topo)
    except BaseException:
        for node in topological_order(root):  # leaves too, if topo has none
            node.grad = 0.0
        for node, grad in saved:
            node.grad = grad
        raise
    for node, grad in saved:
        node.grad = grad + node.grad


def local_vjp(node: Value, g: Any, backend: Backend = MATH) -> tuple[Any, ...]:
    """The table rule of ``node``'s op applied to upstream ``g``: one gradient per parent.

    Every backward path (plain, anomaly-checked, create_graph, ``_backward()``)
    applies rules here, so the same failure gives the same error everywhere: a
    pole (an infinite derivative, such as sqrt at 0) raises ZeroDivisionError
    naming the op and its inputs; an overflowing gradient is inf, as in
    PyTorch (AnomalyError under detect_anomaly()).
    """
    op = node._op
    rule = VJP.get(op)
    if rule is None:
        raise _no_rule(node)
    prev = node._prev
    if backend is MATH:
        inputs: list[Any] = [p._data for p in prev]
        out: Any = node._data
    else:
        const = PRIMITIVES[op].const_inputs
        inputs = [p._data if i in const else p for i, p in enumerate(prev)]
        out = node
    try:
        return rule(g, out, *inputs, backend)
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"the gradient of '{op}' is infinite at its inputs {[p._data for p in prev]}"
        ) from None
    except OverflowError:
        if _open_blocks and _modes.anomaly:
            raise AnomalyError(
                f"the gradient of '{op}' overflowed to inf (inputs {[p._data for p in prev]}, "
                f"output {node._data}, upstream gradient {float(g)})"
            ) from None
        # As PyTorch: redo the rule in NumPy float64, which rounds to inf instead.
        import numpy as np  # only here: importing the engine loads no NumPy

        with np.errstate(all="ignore"):
            grads = rule(np.float64(g), np.float64(node._data), *map(np.float64, inputs), MATH)
        return tuple(float(x) for x in grads)


def _no_rule(node: Value) -> ValueError:
    return ValueError(
        f"backward: no derivative rule for op {node._op!r} (node {node!r}): it is not in "
        "the primitive table (micrograd_plus.ops.PRIMITIVES) and the node has no _backward "
        "closure; assign node._backward = a function, or build the node with a table op"
    )


def _accumulate(parents: Sequence[Value], grads: Sequence[float]) -> None:
    for p, gp in zip(parents, grads):
        p.grad += gp


#: The ops whose rules _backprop_floats writes inline (tests/test_engine_inline.py
#: checks each against its table rule, value for value, edge cases included).
INLINED_RULES = ("*", "+", "sum", "relu", "-", "tanh", "exp", "/", "neg", "log", "**", "sigmoid")


def _backprop_floats(topo: list[Value]) -> None:
    """The ordinary pass on floats, outputs first.

    The rules of the commonest ops (``INLINED_RULES``: most nodes of a network)
    are written inline, the same arithmetic as their table entries without a
    call per node; every other op goes through ``local_vjp``.  A rule that
    raises (a division by zero, an overflow in ``**``) is redone by
    ``local_vjp``, so the error and the overflow handling are the table's.
    """
    for node in reversed(topo):
        a = node._a
        if a is None:
            continue
        op = node._op
        g = node.grad
        try:
            if op == "*":
                b = node._b
                a.grad += g * b._data
                b.grad += g * a._data
            elif op == "+":
                a.grad += g
                node._b.grad += g
            elif op == "sum":
                for p in a:
                    p.grad += g
            elif op == "relu":
                a.grad += g * (0.0 if a._data <= 0.0 else 1.0)
            elif op == "-":
                a.grad += g
                node._b.grad -= g
            elif op == "tanh":
                out = node._data
                a.grad += g * (1 - out * out)
            elif op == "exp":
                a.grad += g * node._data
            elif op == "/":
                b = node._b
                ga = g / b._data
                gb = -g * node._data / b._data
                a.grad += ga
                b.grad += gb
            elif op == "neg":
                a.grad += -g
            elif op == "log":
                a.grad += g / a._data
            elif op == "**":  # a ** c with c a number: the table's mask for c == 0 included
                b = node._b
                c = b._data
                a.grad += g * c * a._data ** (c - 1 + (c == 0))
                b.grad += 0.0
            elif op == "sigmoid":
                out = node._data
                a.grad += g * out * (1 - out)
            else:
                for p, gp in zip(node._prev, local_vjp(node, g)):
                    p.grad += gp
        except (ZeroDivisionError, OverflowError):  # raised before any grad was added
            for p, gp in zip(node._prev, local_vjp(node, g)):
                p.grad += gp


def _backprop_checked(topo: list[Value]) -> None:
    """The float pass under detect_anomaly(): stops at the first NaN gradient."""
    for node in reversed(topo):
        if node._a is not None:
            grads = local_vjp(node, node.grad)
            _check_grads(node, grads)
            _accumulate(node._prev, grads)


def _check_grads(node: Value, grads: Sequence[Any]) -> None:
    for gp in grads:
        if float(gp) != float(gp):
            raise AnomalyError(
                f"NaN gradient in the backward of '{node._op}' "
                f"(inputs {[p._data for p in node._prev]}, output {node._data}, "
                f"upstream gradient {float(node.grad)})"
            )


def _backprop_with_closures(topo: list[Value]) -> None:
    """The float pass when some node carries a micrograd-style _backward closure."""
    checked = _open_blocks and _modes.anomaly
    for node in reversed(topo):
        fn = node._backward_fn
        if fn is not None:
            fn()
        elif node._a is not None:
            grads = local_vjp(node, node.grad)
            if checked:
                _check_grads(node, grads)
            _accumulate(node._prev, grads)


def _backprop_values(topo: list[Value]) -> None:
    """The same rules applied to Values: the gradients form a graph of their own."""
    checked = _open_blocks and _modes.anomaly
    for node in reversed(topo):
        if node._a is None:
            continue
        if node._backward_fn is not None:
            raise TypeError(
                f"backward(create_graph=True) needs the table rule of every node, but node "
                f"{node!r} (op {node._op!r}) has a custom _backward closure, which works on floats"
            )
        grads = local_vjp(node, node.grad, VALUES)
        if checked:
            _check_grads(node, grads)
        const = PRIMITIVES[node._op].const_inputs
        for i, (p, gp) in enumerate(zip(node._prev, grads)):
            if i in const:
                continue
            p.grad = gp if (p.grad.__class__ is float and p.grad == 0.0) else p.grad + gp


# --- modes ---------------------------------------------------------------------------


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Inside this block operations record no graph (evaluation, updates); this thread only."""
    return _mode_block(grad_enabled=False)


def is_grad_enabled() -> bool:
    """True when operations in this thread record the graph (outside no_grad())."""
    return _modes.grad_enabled


def detect_anomaly() -> contextlib.AbstractContextManager[None]:
    """Inside this block a NaN in forward or backward raises AnomalyError naming the op.

    Like no_grad(), it holds for the calling thread only.
    """
    return _mode_block(anomaly=True)


def tracing(hook: Hook) -> contextlib.AbstractContextManager[None]:
    """For this thread: call ``hook(symbol, a, b)`` on every comparison and bool() of a
    Value, with grad mode on, until the block ends (compile traces inside it)."""
    return _mode_block(hook=hook, grad_enabled=True)


def is_anomaly_enabled() -> bool:
    """True inside detect_anomaly() in this thread (compile's replays check it too)."""
    return bool(_open_blocks) and _modes.anomaly


def comparison_hook() -> Hook | None:
    """The hook tracing() installed in this thread, or None."""
    return _modes.hook if _open_blocks else None


def grad(
    output: Value,
    inputs: Iterable[Value],
    create_graph: bool = False,
    allow_unused: bool = False,
) -> list[Any]:
    """d(output)/d(input) for each input, leaving every ``.grad`` as it was.

    Like ``torch.autograd.grad``: an input the output does not depend on is an
    error, unless ``allow_unused`` (then its gradient is None).  Handy for
    Newton's method and Hessians (``create_graph=True``).
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs must be Values, got {x!r}")
    with gc_paused():
        topo = topological_order(output)
        in_graph = set(topo)
        unused = [x for x in inputs if x not in in_graph]
        if unused and not allow_unused:
            raise ValueError(
                f"grad: output does not depend on input(s) {unused}; "
                "pass allow_unused=True to get None for them"
            )
        saved = [(n, n.grad) for n in topo]
        for n in topo:
            n.grad = 0.0
        try:
            _run_pass(output, topo, _seed(None, create_graph), create_graph)
            return [x.grad if x in in_graph else None for x in inputs]
        finally:
            for n, g in saved:
                n.grad = g
