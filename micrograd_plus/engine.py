"""Value: a scalar that records the operations made on it, and backward().

A reader who knows micrograd will recognise this file: each operation makes
a new Value whose ``_prev`` are its inputs and whose ``_op`` names the op.
What differs is where the calculus lives.  micrograd gives every node its own
``_backward`` closure; here every op is one entry of the table in
``ops.py`` and ``backward()`` looks the rule up by ``_op``.  With no
closures, no per-node dict and no set, a node is four small objects instead
of about eight, which is what makes this engine fast and small.
"""

from __future__ import annotations

import contextlib
import gc
import numbers
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from .ops import FORWARD, MATH, PRIMITIVES, VJP

Number = int | float


class _ThreadModes(threading.local):
    """This thread's modes: no_grad(), detect_anomaly() and tracing() set them."""

    grad_enabled = True  # False inside no_grad(): ops record no graph
    anomaly = False  # True inside detect_anomaly(): NaNs raise at once
    hook: Callable[[str, Value, object], None] | None = None  # sees every comparison


_modes = _ThreadModes()
# How many mode blocks are open in all threads together.  While it is 0 (nearly
# always) every thread is in the default modes and ops need not read the
# thread-local state, which costs six times a global lookup.
_open_blocks = 0
_open_blocks_lock = threading.Lock()


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
    """A NaN appeared in the forward or backward pass under detect_anomaly()."""


class Value:
    """A scalar node of the computation graph: data, grad, and how it was made."""

    __slots__ = ("data", "grad", "label", "_prev", "_op")

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(
                f"Value(data, label): label must be a str, got {type(label).__name__}. "
                "(micrograd's Value(data, _children, _op) form is not public here: "
                "make new nodes with operations such as a + b or a.tanh())"
            )
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self._prev: tuple[Value, ...] = ()
        self._op = ""

    # --- arithmetic: one-line wrappers over the primitive table ---------------
    def __add__(self, other):
        return _apply2("+", self, other)

    def __radd__(self, other):
        return _apply2("+", other, self)

    def __sub__(self, other):
        return _apply2("-", self, other)

    def __rsub__(self, other):
        return _apply2("-", other, self)

    def __mul__(self, other):
        return _apply2("*", self, other)

    def __rmul__(self, other):
        return _apply2("*", other, self)

    def __truediv__(self, other):
        return _apply2("/", self, other)

    def __rtruediv__(self, other):
        return _apply2("/", other, self)

    def __pow__(self, other):
        return _apply2("pow" if isinstance(other, Value) else "**", self, other)

    def __rpow__(self, other):
        return _apply2("pow", other, self)

    def __neg__(self):
        return _apply1("neg", self)

    def __abs__(self):
        return _apply1("abs", self)

    def exp(self) -> Value:
        return _apply1("exp", self)

    def log(self) -> Value:
        return _apply1("log", self)

    def sqrt(self) -> Value:
        return _apply1("sqrt", self)

    def sin(self) -> Value:
        return _apply1("sin", self)

    def cos(self) -> Value:
        return _apply1("cos", self)

    def tanh(self) -> Value:
        return _apply1("tanh", self)

    def sigmoid(self) -> Value:
        return _apply1("sigmoid", self)

    def softplus(self) -> Value:
        return _apply1("softplus", self)

    def relu(self) -> Value:
        return _apply1("relu", self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        return _apply2("leaky_relu", self, negative_slope)

    # --- comparisons look at data, like PyTorch; hashing stays by identity ---
    def __lt__(self, other):
        return _compare("<", self, other)

    def __le__(self, other):
        return _compare("<=", self, other)

    def __gt__(self, other):
        return _compare(">", self, other)

    def __ge__(self, other):
        return _compare(">=", self, other)

    def __eq__(self, other):
        return _compare("==", self, other)

    def __ne__(self, other):
        return _compare("!=", self, other)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if _open_blocks and _modes.hook is not None:
            _modes.hook("bool", self, None)
        return self.data != 0.0

    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # --- graph utilities ------------------------------------------------------
    def detach(self) -> Value:
        """A new leaf with the same data: gradients stop here."""
        return Value(self.data, self.label)

    def backward(self, create_graph: bool = False) -> None:
        """Add d(self)/d(node) into ``.grad`` of every node of the graph.

        Gradients add up across calls, as in PyTorch. With ``create_graph``
        every gradient is itself a Value, so it can be differentiated again.
        """
        # The pass makes no reference cycles, so the cyclic garbage collector has
        # nothing to find here; pausing it saves the time it would spend scanning
        # the graph's nodes (about 15% of a training step).
        collector_was_on = gc.isenabled()
        gc.disable()
        try:
            self._backward_pass(create_graph)
        finally:
            if collector_was_on:
                gc.enable()

    def _backward_pass(self, create_graph: bool) -> None:
        topo = topological_order(self)
        # Earlier gradients are set aside so that this pass propagates only its
        # own contributions (intermediate nodes keep grads too), then added back.
        saved = [(n, n.grad) for n in topo if n.grad.__class__ is not float or n.grad]
        for node, _ in saved:
            node.grad = 0.0
        try:
            _backprop(self, topo, create_graph)
        except BaseException:
            for node in topo:
                node.grad = 0.0
            for node, grad in saved:
                node.grad = grad
            raise
        for node, grad in saved:
            node.grad = grad + node.grad


# --- building nodes --------------------------------------------------------------

_new = object.__new__


def _as_float(x) -> float:
    if isinstance(x, float):
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, Value):
        raise TypeError("Value(...) expects a number; to copy a Value use v.detach()")
    raise TypeError(f"Value expects a real number (int or float), got {type(x).__name__} {x!r}")


def _leaf(x) -> Value | None:
    """A constant leaf for a plain number; None for anything that is not a number."""
    cls = x.__class__
    if cls is float or cls is int or isinstance(x, numbers.Real):
        v = _new(Value)
        v.data = float(x)
        v.grad = 0.0
        v.label = ""
        v._prev = ()
        v._op = ""
        return v
    return None


def _apply1(op: str, a: Value) -> Value:
    out = _new(Value)
    out.data = FORWARD[op](a.data)
    out.grad = 0.0
    out.label = ""
    if not _open_blocks or _modes.grad_enabled:
        out._prev = (a,)
        out._op = op
    else:
        out._prev = ()
        out._op = ""
    if _open_blocks and _modes.anomaly:
        _check_forward(out, op, (a,))
    return out


def _apply2(op: str, a, b) -> Value:
    if a.__class__ is not Value:
        a = _leaf(a)
        if a is None:
            return NotImplemented
    if b.__class__ is not Value:
        b = _leaf(b)
        if b is None:
            return NotImplemented
    out = _new(Value)
    out.data = FORWARD[op](a.data, b.data)
    out.grad = 0.0
    out.label = ""
    if not _open_blocks or _modes.grad_enabled:
        out._prev = (a, b)
        out._op = op
    else:
        out._prev = ()
        out._op = ""
    if _open_blocks and _modes.anomaly:
        _check_forward(out, op, (a, b))
    return out


def sum_values(values: Iterable[Value | Number]) -> Value:
    """The sum of many values as a single n-ary node (faster than a chain of +)."""
    parents = tuple(v if v.__class__ is Value else _lift_or_raise(v) for v in values)
    if not parents:
        raise ValueError("sum_values() needs at least one value, got an empty sequence")
    out = _new(Value)
    out.data = FORWARD["sum"](*[p.data for p in parents])
    out.grad = 0.0
    out.label = ""
    if not _open_blocks or _modes.grad_enabled:
        out._prev = parents
        out._op = "sum"
    else:
        out._prev = ()
        out._op = ""
    if _open_blocks and _modes.anomaly:
        _check_forward(out, "sum", parents)
    return out


def _lift_or_raise(x) -> Value:
    v = _leaf(x)
    if v is None:
        raise TypeError(f"expected a Value or a number, got {type(x).__name__} {x!r}")
    return v


def _compare(symbol: str, a: Value, b) -> bool:
    if _open_blocks and _modes.hook is not None:
        _modes.hook(symbol, a, b)
    if b.__class__ is Value:
        b = b.data
    elif not isinstance(b, numbers.Real):
        return NotImplemented
    d = a.data
    if symbol == "<":
        return d < b
    if symbol == "<=":
        return d <= b
    if symbol == ">":
        return d > b
    if symbol == ">=":
        return d >= b
    if symbol == "==":
        return d == b
    return d != b


# --- backward ----------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, inputs before outputs (iterative DFS, no recursion)."""
    order: list[Value] = []
    visited = {root}
    stack: list[tuple[Value, Iterator[Value]]] = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in visited:
                visited.add(parent)
                stack.append((parent, iter(parent._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _backprop(root: Value, topo: list[Value], create_graph: bool) -> None:
    """One pass over ``topo`` (outputs first): on Values, on checked floats, or on floats."""
    if create_graph:
        _backprop_values(root, topo)
    elif _open_blocks and _modes.anomaly:
        _backprop_checked(root, topo)
    else:
        _backprop_floats(root, topo)


def _backprop_floats(root: Value, topo: list[Value]) -> None:
    """The ordinary pass: the table's rules applied to floats, outputs first."""
    root.grad += 1.0
    rules = VJP
    B = MATH
    node = root
    try:
        for node in reversed(topo):
            prev = node._prev
            if not prev:
                continue
            if len(prev) == 2:
                a, b = prev
                ga, gb = rules[node._op](node.grad, node.data, a.data, b.data, B)
                a.grad += ga
                b.grad += gb
            elif len(prev) == 1:
                a = prev[0]
                a.grad += rules[node._op](node.grad, node.data, a.data, B)[0]
            else:
                grads = rules[node._op](node.grad, node.data, *[p.data for p in prev], B)
                for p, gp in zip(prev, grads):
                    p.grad += gp
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"the gradient of '{node._op}' is infinite at its inputs {[p.data for p in node._prev]}"
        ) from None


def _backprop_checked(root: Value, topo: list[Value]) -> None:
    """The float pass under detect_anomaly(): stops at the first NaN gradient."""
    root.grad += 1.0
    for node in reversed(topo):
        if not node._prev:
            continue
        args = [p.data for p in node._prev]
        grads = VJP[node._op](node.grad, node.data, *args, MATH)
        for p, gp in zip(node._prev, grads):
            if gp != gp:
                raise AnomalyError(
                    f"NaN gradient in the backward of '{node._op}' "
                    f"(inputs {args}, output {node.data}, upstream gradient {node.grad})"
                )
            p.grad += gp


VALUE_BACKEND = SimpleNamespace(
    log=lambda v: v.log(),
    sin=lambda v: v.sin(),
    cos=lambda v: v.cos(),
    sigmoid=lambda v: v.sigmoid(),
    sign=lambda v: MATH.sign(float(v)),
    step=lambda v: MATH.step(float(v)),
)


def _backprop_values(root: Value, topo: list[Value]) -> None:
    """The same rules applied to Values: the gradients form a graph of their own."""
    root.grad = root.grad + Value(1.0) if root.grad else Value(1.0)
    for node in reversed(topo):
        if not node._prev:
            continue
        const = PRIMITIVES[node._op].const_inputs
        args = [p.data if i in const else p for i, p in enumerate(node._prev)]
        grads = VJP[node._op](node.grad, node, *args, VALUE_BACKEND)
        for i, (p, gp) in enumerate(zip(node._prev, grads)):
            if i in const:
                continue
            if _open_blocks and _modes.anomaly and float(gp) != float(gp):
                raise AnomalyError(f"NaN gradient in the backward of '{node._op}'")
            p.grad = gp if (p.grad.__class__ is float and p.grad == 0.0) else p.grad + gp


def _check_forward(out: Value, op: str, inputs: tuple[Value, ...]) -> None:
    if out.data != out.data:
        raise AnomalyError(
            f"NaN produced by '{op}' in the forward pass (inputs {[v.data for v in inputs]})"
        )


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


def tracing(hook: Callable[[str, Value, object], None]) -> contextlib.AbstractContextManager[None]:
    """For this thread: call ``hook(symbol, a, b)`` on every comparison and bool() of a
    Value, with grad mode on, until the block ends (compile traces inside it)."""
    return _mode_block(hook=hook, grad_enabled=True)


def comparison_hook() -> Callable[[str, Value, object], None] | None:
    """The hook tracing() installed in this thread, or None."""
    return _modes.hook if _open_blocks else None


def grad(output: Value, inputs: Iterable[Value], create_graph: bool = False) -> list:
    """d(output)/d(input) for each input, leaving every ``.grad`` as it was.

    Like ``torch.autograd.grad``: handy for Newton's method and Hessians.
    """
    inputs = list(inputs)
    topo = topological_order(output)
    saved = [(n, n.grad) for n in topo]
    for n in topo:
        n.grad = 0.0
    try:
        _backprop(output, topo, create_graph)
        in_graph = set(topo)
        return [x.grad if x in in_graph else 0.0 for x in inputs]
    finally:
        for n, g in saved:
            n.grad = g
