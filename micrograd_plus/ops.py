"""The primitive table: every differentiable op, its forward and its derivative rule.

Each entry holds a forward on plain floats and a vector-Jacobian rule
``vjp(g, out, *inputs, B)`` that returns one gradient per input.  The rules
use only arithmetic on ``g`` (the upstream gradient), ``out`` (the op's
result) and the inputs, plus a few functions taken from the backend ``B``.
Because of that, the same rule runs on three kinds of number:

* floats (``MATH``): the ordinary backward pass;
* Values (``VALUES``): ``backward(create_graph=True)`` builds the graph of
  the gradient, giving second derivatives;
* NumPy arrays (``compiler.vectorised``): a traced graph replayed in bulk.

Adding an op means adding one entry here; the table-driven tests check it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

VARIADIC = -1


def _np(name: str) -> Callable[..., Any]:
    """``numpy.<name>``, imported at the first call: importing the engine loads no NumPy.

    It passes ``out=`` on (a ufunc writes its result in place), so entries built
    with it say ``numpy_out=True``."""

    def call(*args: Any, out: Any = None) -> Any:
        import numpy

        return getattr(numpy, name)(*args, out=out)

    call.__name__ = call.__qualname__ = f"numpy.{name}"
    return call


def _ufunc(name: str) -> dict[str, Any]:
    """The compile fields of an op whose NumPy forward is the ufunc ``numpy.<name>``."""
    return {"numpy_forward": _np(name), "numpy_out": True}


@dataclass(frozen=True)
class Primitive:
    """One differentiable op: its name (also the graph label), forward and rule."""

    name: str
    arity: int  # number of inputs, or VARIADIC
    forward: Callable[..., float]
    vjp: Callable[..., tuple[Any, ...]]
    const_inputs: tuple[int, ...] = ()  # inputs that are constants (no gradient)
    doc: str = ""
    #: How graphs, the explainer and the player show the op ("+", "tanh", "Σ").
    symbol: str = ""
    #: The local derivative d(out)/d(input) for each input, as printable text in
    #: the names a, b (the inputs; x1..xn for a variadic op), out and g-free
    #: functions log, sin, cos, sign, sigmoid.  The rule is ``g * local``; a test
    #: evaluates each text and checks it against ``vjp`` at random points.
    local_grads: tuple[str, ...] = ()
    #: The forward on NumPy arrays (compile's replay), where ``forward`` does not
    #: work on arrays; None runs ``forward`` element by element (slow but exact).
    numpy_forward: Callable[..., object] | None = None
    #: Whether ``forward`` may raise (a domain error): compile then checks the
    #: NumPy result for non-finite numbers and reruns those groups on floats.
    forward_may_raise: bool = True
    #: Whether the rule may raise on floats once the forward succeeded (a
    #: division by an output that can be 0): compile checks its NumPy result too.
    rule_may_raise: bool = True
    #: Whether ``numpy_forward`` takes ``out=`` (an array it writes the result into,
    #: as a ufunc does): compile's replay then writes straight into its buffer.
    numpy_out: bool = False
    #: The rule on NumPy arrays, where ``vjp`` run on arrays would take several passes
    #: and temporaries: ``numpy_vjp(g, out, *inputs, into=...)`` returns what ``vjp``
    #: returns (without the backend argument).  ``into`` holds, per input, an array
    #: to write that input's gradient into (overlapping none of the arguments), or
    #: None; the replay passes its gradient array's slots there, so a gradient that
    #: is a slot's only contribution is written once instead of added into zeros.
    numpy_vjp: Callable[..., tuple[Any, ...]] | None = None
    #: How the op fuses into a sum of products (compile's linear nodes):
    #: "add" (every input a term), "sub" (a - b), "neg" (-a), "mul" (one product).
    linear: str = ""
    #: For an op whose operand order matters, the names a drawn graph gives its
    #: input edges (``("a", "b")`` for ``a - b``); () when the order does not matter.
    operand_names: tuple[str, ...] = ()
    #: Whether the symbol goes between the operands: a graph's op node then shows
    #: the formula ``a − b`` instead of the bare symbol.
    infix: bool = False

    @property
    def graph_label(self) -> str:
        """The op node's text in a drawn graph: the formula of an infix op, else the symbol."""
        if self.infix:
            left, right = self.operand_names
            return f"{left} {self.symbol} {right}"
        return self.symbol

    def rule_text(self, i: int = 0) -> str:
        """The printable VJP rule for input ``i``, e.g. ``"g * (1 - out**2)"``."""
        local = self.local_grads[min(i, len(self.local_grads) - 1)]
        return "g" if local == "1" else f"g * ({local})"


# --- forwards on floats, with the domain checks the error rules ask for ------


def _div(a: float, b: float) -> float:
    if b == 0.0:
        raise ZeroDivisionError(f"division by zero in '/': {a!r} / {b!r}")
    return a / b


def _pow(a: float, b: float) -> float:
    if a == 0.0 and b < 0.0:
        raise ZeroDivisionError(f"'**': 0.0 cannot be raised to a negative power ({b!r})")
    if a < 0.0 and b == b and not float(b).is_integer():
        raise ValueError(f"'**': a negative base ({a!r}) needs an integer exponent, got {b!r}")
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.copysign(math.inf, a) if float(b).is_integer() and b % 2 else math.inf


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def _log(a: float) -> float:
    if a <= 0.0:  # NaN passes through as NaN, as in math.log and PyTorch
        raise ValueError(f"log is only defined for positive numbers, got {a!r}")
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0.0:
        raise ValueError(f"sqrt is only defined for non-negative numbers, got {a!r}")
    return math.sqrt(a)


def _sin(a: float) -> float:
    if a in (math.inf, -math.inf):
        raise ValueError(f"sin is not defined at {a!r}")
    return math.sin(a)


def _cos(a: float) -> float:
    if a in (math.inf, -math.inf):
        raise ValueError(f"cos is not defined at {a!r}")
    return math.cos(a)


def _relu(a: float) -> float:
    return 0.0 if a <= 0.0 else a  # relu(NaN) is NaN, as in PyTorch


def _is_zero(x: Any, B: Backend) -> Any:
    """1 where x == 0 else 0, as arithmetic on any backend (a mask, not a branch)."""
    return (1 - B.step(x)) * (1 - B.step(-x))


def _sigmoid(a: float) -> float:
    # Two branches so that exp never overflows: sigmoid(+-1000) is exactly 1.0 / 0.0.
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _softplus(a: float) -> float:
    # log(1 + e^a) written so that exp never overflows: max(a, 0) + log(1 + e^-|a|).
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _np_sigmoid(a: Any) -> Any:
    import numpy as np

    z = np.exp(-np.abs(a))  # never overflows, as in _sigmoid
    return np.where(a >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _np_softplus(a: Any) -> Any:
    import numpy as np

    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


def _np_relu(a: Any, out: Any = None) -> Any:
    import numpy as np

    return np.maximum(a, 0.0, out=out)  # 3x faster than np.where(a > 0, a, 0)


def _np_relu_vjp(g: Any, out: Any, a: Any, into: Sequence[Any] = (None,)) -> tuple[Any]:
    """relu's rule in two passes: relu(a) is exactly 0 where a <= 0 and NaN where a
    is NaN, so ``out != 0`` is the rule's mask ``1 - nonpositive(a)``."""
    import numpy as np

    dest = into[0]
    mask = np.not_equal(out, 0.0, out=dest) if dest is not None else np.not_equal(out, 0.0)
    return (np.multiply(mask, g, out=dest),)


def _np_leaky_relu(a: Any, s: Any) -> Any:
    import numpy as np

    return np.where(a > 0.0, a, a * s)


def _np_max(*xs: Any) -> Any:
    import numpy as np

    return functools.reduce(np.maximum, xs)


def _np_min(*xs: Any) -> Any:
    import numpy as np

    return functools.reduce(np.minimum, xs)


def _max(*xs: float) -> float:
    top = xs[0]
    for x in xs:
        if x > top or x != x:  # a NaN wins, as in PyTorch
            top = x
            if x != x:
                break
    return top


def _min(*xs: float) -> float:
    low = xs[0]
    for x in xs:
        if x < low or x != x:
            low = x
            if x != x:
                break
    return low


def _take(i: float, *xs: float) -> float:
    """xs[i], Python's indexing (negative i counts from the end)."""
    n = len(xs)
    if not -n <= i < n:
        raise IndexError(take_error(i, n))
    return xs[int(i)]


def take_error(i: float, n: int) -> str:
    """The message of the IndexError for index ``i`` into ``n`` values."""
    index = int(i) if float(i).is_integer() else i
    return f"take: index {index} is out of range for {n} values (valid: {-n}..{n - 1})"


def _np_take(i: Any, *xs: Any) -> Any:
    import numpy as np

    n = len(xs)
    bad = (i < -n) | (i >= n)
    if bad.any():
        raise IndexError(take_error(i[bad][0], n))
    return np.stack(xs)[i.astype(np.intp), np.arange(i.size)]


def _first_extreme_rule(g: Any, out: Any, *xs_and_B: Any) -> tuple[Any, ...]:
    """max / min: the whole gradient to the first input equal to the output."""
    *xs, B = xs_and_B
    return tuple(g * m for m in B.first_equal(out, xs))


def _take_rule(g: Any, out: Any, i: Any, *xs_and_B: Any) -> tuple[Any, ...]:
    """take: nothing to the index, the gradient to the value taken (a scatter-add)."""
    *xs, B = xs_and_B
    return (0.0, *(g * m for m in B.one_hot(i, len(xs))))


def _sum(*xs: float) -> float:
    total = 0.0
    for x in xs:
        total += x
    return total


def _step(a: float) -> float:
    return 1.0 if a > 0.0 else 0.0


def _sign(a: float) -> float:
    return 1.0 if a > 0.0 else (-1.0 if a < 0.0 else 0.0)


# --- the table ---------------------------------------------------------------

PRIMITIVES: dict[str, Primitive] = {}
FORWARD: dict[str, Callable[..., float]] = {}  # name -> forward, for fast lookup
VJP: dict[str, Callable[..., tuple[Any, ...]]] = {}  # name -> rule, for fast lookup


def primitive(
    name: str,
    arity: int,
    forward: Callable[..., float],
    vjp: Callable[..., tuple[Any, ...]],
    const_inputs: Sequence[int] = (),
    doc: str = "",
    symbol: str = "",
    local_grads: Sequence[str] = (),
    **fields: Any,
) -> None:
    """Register one op in the table (used below, and by extensions).

    ``fields`` are Primitive's other fields: how it is drawn (``operand_names``,
    ``infix``) and what compile needs (``numpy_forward``, ``numpy_out``, ``numpy_vjp``,
    ``forward_may_raise``, ``rule_may_raise``, ``linear``)."""
    PRIMITIVES[name] = Primitive(
        name,
        arity,
        forward,
        vjp,
        tuple(const_inputs),
        doc,
        symbol or name,
        tuple(local_grads),
        **fields,
    )
    FORWARD[name] = forward
    VJP[name] = vjp


# fmt: off
# Never-raising forwards and rules say so (forward_may_raise=False, rule_may_raise=False):
# compile then skips checking their NumPy results for non-finite numbers.
SAFE: dict[str, Any] = {"forward_may_raise": False, "rule_may_raise": False}
# Binary ops whose operand order matters are drawn as a formula, edges named a and b.
ORDERED: dict[str, Any] = {"operand_names": ("a", "b"), "infix": True}
primitive("+", 2, lambda a, b: a + b, lambda g, out, a, b, B: (g, g), doc="a + b",
          symbol="+", local_grads=("1", "1"), linear="add", **_ufunc("add"), **SAFE)
primitive("-", 2, lambda a, b: a - b, lambda g, out, a, b, B: (g, -g), doc="a - b",
          symbol="−", local_grads=("1", "-1"), linear="sub", **_ufunc("subtract"),
          **ORDERED, **SAFE)
primitive("*", 2, lambda a, b: a * b, lambda g, out, a, b, B: (g * b, g * a), doc="a * b",
          symbol="*", local_grads=("b", "a"), linear="mul", **_ufunc("multiply"),
          **SAFE)
primitive("/", 2, _div, lambda g, out, a, b, B: (g / b, -g * out / b), doc="a / b",
          symbol="/", local_grads=("1 / b", "-out / b"), **_ufunc("divide"),
          rule_may_raise=False, **ORDERED)
# As PyTorch masks them: x ** 0 has derivative 0 even at x = 0 (the exponent is
# nudged to 0 there, so 0 ** -1 is never formed), and the exponent's gradient is 0
# where the base is 0 (log is taken of 1 there).
primitive("**", 2, _pow, lambda g, out, a, b, B: (g * b * a ** (b - 1 + (b == 0)), 0.0),
          const_inputs=(1,), doc="a ** c, c a number",
          symbol="**", local_grads=("b * a**(b - 1)", "0"), **_ufunc("power"),
          **ORDERED)
primitive("pow", 2, _pow,
          lambda g, out, a, b, B: (g * b * a ** (b - 1 + _is_zero(b, B)),
                                   g * out * B.log(a + _is_zero(a, B))),
          doc="a ** b, b a Value",
          symbol="**", local_grads=("b * a**(b - 1)", "out * log(a)"),
          **_ufunc("power"), **ORDERED)
primitive("neg", 1, lambda a: -a, lambda g, out, a, B: (-g,), doc="-a",
          symbol="−a", local_grads=("-1",), linear="neg", **_ufunc("negative"),
          **SAFE)
primitive("abs", 1, abs, lambda g, out, a, B: (g * B.sign(a),), doc="|a|",
          symbol="|a|", local_grads=("sign(a)",), **_ufunc("abs"), **SAFE)
primitive("exp", 1, _exp, lambda g, out, a, B: (g * out,), doc="e ** a",
          symbol="exp", local_grads=("out",), **_ufunc("exp"), **SAFE)
primitive("log", 1, _log, lambda g, out, a, B: (g / a,), doc="natural log",
          symbol="log", local_grads=("1 / a",), **_ufunc("log"), rule_may_raise=False)
primitive("sqrt", 1, _sqrt, lambda g, out, a, B: (g * 0.5 / out,), doc="square root",
          symbol="sqrt", local_grads=("0.5 / out",), **_ufunc("sqrt"))
primitive("sin", 1, _sin, lambda g, out, a, B: (g * B.cos(a),), doc="sine",
          symbol="sin", local_grads=("cos(a)",), **_ufunc("sin"), rule_may_raise=False)
primitive("cos", 1, _cos, lambda g, out, a, B: (-g * B.sin(a),), doc="cosine",
          symbol="cos", local_grads=("-sin(a)",), **_ufunc("cos"), rule_may_raise=False)
primitive("tanh", 1, math.tanh, lambda g, out, a, B: (g * (1 - out * out),), doc="tanh",
          symbol="tanh", local_grads=("1 - out**2",), **_ufunc("tanh"), **SAFE)
primitive("sigmoid", 1, _sigmoid, lambda g, out, a, B: (g * out * (1 - out),),
          doc="1 / (1 + e ** -a)",
          symbol="sigmoid", local_grads=("out * (1 - out)",), numpy_forward=_np_sigmoid, **SAFE)
primitive("softplus", 1, _softplus, lambda g, out, a, B: (g * B.sigmoid(a),),
          doc="log(1 + e ** a), a smooth relu",
          symbol="softplus", local_grads=("sigmoid(a)",), numpy_forward=_np_softplus, **SAFE)
# relu's mask is PyTorch's: 0 where a <= 0, else 1, so a NaN input passes its gradient on.
primitive("relu", 1, _relu, lambda g, out, a, B: (g * (1 - B.nonpositive(a)),),
          doc="max(a, 0)",
          symbol="relu", local_grads=("0 if a <= 0 else 1",),
          numpy_forward=_np_relu, numpy_out=True, numpy_vjp=_np_relu_vjp, **SAFE)
primitive("leaky_relu", 2, lambda a, s: a if a > 0.0 else a * s,
          lambda g, out, a, s, B: (g * (B.step(a) + s * (1 - B.step(a))), 0.0),
          const_inputs=(1,), doc="a if a > 0 else slope * a",
          symbol="leaky_relu", local_grads=("1 if a > 0 else b", "0"),
          operand_names=("x", "slope"), numpy_forward=_np_leaky_relu, **SAFE)
primitive("sum", VARIADIC, _sum, lambda g, out, *xs_and_B: (g,) * (len(xs_and_B) - 1),
          doc="a1 + a2 + ... + an, one node",
          symbol="Σ", local_grads=("1",), linear="add", **SAFE)
primitive("max", VARIADIC, _max, _first_extreme_rule,
          doc="the largest of a1 ... an; its gradient goes to the first largest (as PyTorch's max)",
          symbol="max", local_grads=("1 if k == first_argmax(xs) else 0",),
          numpy_forward=_np_max, **SAFE)
primitive("min", VARIADIC, _min, _first_extreme_rule,
          doc="the smallest of a1 ... an; its gradient goes to the first smallest",
          symbol="min", local_grads=("1 if k == first_argmin(xs) else 0",),
          numpy_forward=_np_min, **SAFE)
primitive("take", VARIADIC, _take, _take_rule,
          const_inputs=(0,),
          doc="x[i]: the value at an integer index i among x0 ... xn-1 (inputs i, x0, ...); "
              "its gradient is added to the value taken (a scatter-add)",
          symbol="take", local_grads=("0", "1 if k == 1 + x1 % (n - 1) else 0"),
          numpy_forward=_np_take, rule_may_raise=False)
primitive("stop_gradient", 1, lambda a: a, lambda g, out, a, B: (0.0,), const_inputs=(0,),
          doc="a, but no gradient flows back through it (detach() while compile traces)",
          symbol="detach", local_grads=("0",), numpy_forward=lambda a: a, **SAFE)
# fmt: on


def _first_equal(out: float, xs: Sequence[float]) -> list[float]:
    """1.0 for the first x equal to out (NaN matching NaN), 0.0 for every other."""
    masks: list[float] = []
    found = False
    for x in xs:
        hit = not found and (x == out or (x != x and out != out))
        masks.append(1.0 if hit else 0.0)
        found = found or hit
    return masks


def _one_hot(i: float, n: int) -> list[float]:
    j = int(i) % n
    return [1.0 if k == j else 0.0 for k in range(n)]


def _np_first_equal(out: Any, xs: Sequence[Any]) -> list[Any]:
    import numpy as np

    remaining = np.ones(np.shape(out), dtype=bool)
    masks = []
    for x in xs:
        hit = remaining & ((x == out) | (np.isnan(x) & np.isnan(out)))
        masks.append(hit.astype(np.float64))
        remaining &= ~hit
    return masks


def _np_one_hot(i: Any, n: int) -> list[Any]:
    import numpy as np

    j = i.astype(np.intp) % n
    return [(j == k).astype(np.float64) for k in range(n)]


@dataclass(frozen=True)
class Backend:
    """The few functions the rules need beyond arithmetic, for one kind of number.

    Floats (``MATH``), Values (``VALUES``) and NumPy arrays (``NUMPY``) each
    provide one, so every rule in the table runs unchanged on all three.
    """

    log: Callable[[Any], Any]  # log, or -inf at 0 and NaN below (never raises)
    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    sign: Callable[[Any], Any]  # -1, 0 or 1
    step: Callable[[Any], Any]  # 1 where positive, else 0
    nonpositive: Callable[[Any], Any]  # 1 where <= 0, else 0 (so 0 at NaN)
    sigmoid: Callable[[Any], Any]
    first_equal: Callable[[Any, Sequence[Any]], list[Any]]  # a 1 for the first x == out
    one_hot: Callable[[Any, int], list[Any]]  # n masks, a 1 at index i


#: Backend for the float backward pass.
MATH = Backend(
    log=lambda a: math.log(a) if a > 0.0 else (-math.inf if a == 0.0 else math.nan),
    sin=math.sin,
    cos=math.cos,
    sign=_sign,
    step=_step,
    nonpositive=lambda a: 1.0 if a <= 0.0 else 0.0,
    sigmoid=_sigmoid,
    first_equal=_first_equal,
    one_hot=_one_hot,
)

#: The same functions on NumPy arrays: the rules run unchanged in compile's replay.
NUMPY = Backend(
    log=_np("log"),
    sin=_np("sin"),
    cos=_np("cos"),
    sign=_np("sign"),
    # Boolean masks: arithmetic with them is arithmetic with 0/1, without a float copy.
    step=lambda a: a > 0.0,
    nonpositive=lambda a: a <= 0.0,
    sigmoid=_np_sigmoid,
    first_equal=_np_first_equal,
    one_hot=_np_one_hot,
)


def _value_log(v: Any) -> Any:
    # Outside log's domain the rule's log term is a constant: -inf at 0, NaN below,
    # as in PyTorch (the rules mask the cases where it must not count).
    return v.log() if v.data > 0.0 else type(v)(MATH.log(v.data))


#: The same functions on Values, for ``backward(create_graph=True)``: the rules then
#: build the graph of the gradient.  Masks (sign, step, nonpositive, first_equal, one_hot) are
#: constants: their derivative is 0 wherever it exists.
VALUES = Backend(
    log=_value_log,
    sin=lambda v: v.sin(),
    cos=lambda v: v.cos(),
    sigmoid=lambda v: v.sigmoid(),
    sign=lambda v: MATH.sign(float(v)),
    step=lambda v: MATH.step(float(v)),
    nonpositive=lambda v: MATH.nonpositive(float(v)),
    first_equal=lambda out, xs: MATH.first_equal(float(out), [float(x) for x in xs]),
    one_hot=MATH.one_hot,
)
