"""The primitive table: every differentiable op, its forward and its derivative rule.

Each entry holds a forward on plain floats and a vector-Jacobian rule
``vjp(g, out, *inputs, B)`` that returns one gradient per input.  The rules
use only arithmetic on ``g`` (the upstream gradient), ``out`` (the op's
result) and the inputs, plus a few functions taken from the backend ``B``.
Because of that, the same rule runs on three kinds of number:

* floats (``MATH``): the ordinary backward pass;
* Values (``engine.VALUE_BACKEND``): ``backward(create_graph=True)`` builds
  the graph of the gradient, giving second derivatives;
* NumPy arrays (``compile.NUMPY``): a traced graph replayed in bulk.

Adding an op means adding one entry here; the table-driven tests check it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

VARIADIC = -1


@dataclass(frozen=True)
class Primitive:
    """One differentiable op: its name (also the graph label), forward and rule."""

    name: str
    arity: int  # number of inputs, or VARIADIC
    forward: Callable[..., float]
    vjp: Callable[..., tuple]
    const_inputs: tuple[int, ...] = ()  # inputs that are constants (no gradient)
    doc: str = ""
    #: How graphs, the explainer and the player show the op ("+", "tanh", "Σ").
    symbol: str = ""
    #: The local derivative d(out)/d(input) for each input, as printable text in
    #: the names a, b (the inputs; x1..xn for a variadic op), out and g-free
    #: functions log, sin, cos, sign, sigmoid.  The rule is ``g * local``; a test
    #: evaluates each text and checks it against ``vjp`` at random points.
    local_grads: tuple[str, ...] = ()

    def rule_text(self, i: int = 0) -> str:
        """The printable VJP rule for input ``i``, e.g. ``"g * (1 - out**2)"``."""
        local = self.local_grads[0 if self.arity == VARIADIC else i]
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


def _is_zero(x, B):
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
VJP: dict[str, Callable[..., tuple]] = {}  # name -> rule, for fast lookup


def primitive(name, arity, forward, vjp, const_inputs=(), doc="", symbol="", local_grads=()):
    """Register one op in the table (used below, and by extensions)."""
    PRIMITIVES[name] = Primitive(
        name, arity, forward, vjp, tuple(const_inputs), doc, symbol or name, tuple(local_grads)
    )
    FORWARD[name] = forward
    VJP[name] = vjp


# fmt: off
primitive("+", 2, lambda a, b: a + b, lambda g, out, a, b, B: (g, g), doc="a + b",
          symbol="+", local_grads=("1", "1"))
primitive("-", 2, lambda a, b: a - b, lambda g, out, a, b, B: (g, -g), doc="a - b",
          symbol="−", local_grads=("1", "-1"))
primitive("*", 2, lambda a, b: a * b, lambda g, out, a, b, B: (g * b, g * a), doc="a * b",
          symbol="*", local_grads=("b", "a"))
primitive("/", 2, _div, lambda g, out, a, b, B: (g / b, -g * out / b), doc="a / b",
          symbol="/", local_grads=("1 / b", "-out / b"))
# As PyTorch masks them: x ** 0 has derivative 0 even at x = 0 (the exponent is
# nudged to 0 there, so 0 ** -1 is never formed), and the exponent's gradient is 0
# where the base is 0 (log is taken of 1 there).
primitive("**", 2, _pow, lambda g, out, a, b, B: (g * b * a ** (b - 1 + (b == 0)), 0.0),
          const_inputs=(1,), doc="a ** c, c a number",
          symbol="**", local_grads=("b * a**(b - 1)", "0"))
primitive("pow", 2, _pow,
          lambda g, out, a, b, B: (g * b * a ** (b - 1 + _is_zero(b, B)),
                                   g * out * B.log(a + _is_zero(a, B))),
          doc="a ** b, b a Value",
          symbol="**", local_grads=("b * a**(b - 1)", "out * log(a)"))
primitive("neg", 1, lambda a: -a, lambda g, out, a, B: (-g,), doc="-a",
          symbol="−a", local_grads=("-1",))
primitive("abs", 1, abs, lambda g, out, a, B: (g * B.sign(a),), doc="|a|",
          symbol="|a|", local_grads=("sign(a)",))
primitive("exp", 1, _exp, lambda g, out, a, B: (g * out,), doc="e ** a",
          symbol="exp", local_grads=("out",))
primitive("log", 1, _log, lambda g, out, a, B: (g / a,), doc="natural log",
          symbol="log", local_grads=("1 / a",))
primitive("sqrt", 1, _sqrt, lambda g, out, a, B: (g * 0.5 / out,), doc="square root",
          symbol="sqrt", local_grads=("0.5 / out",))
primitive("sin", 1, _sin, lambda g, out, a, B: (g * B.cos(a),), doc="sine",
          symbol="sin", local_grads=("cos(a)",))
primitive("cos", 1, _cos, lambda g, out, a, B: (-g * B.sin(a),), doc="cosine",
          symbol="cos", local_grads=("-sin(a)",))
primitive("tanh", 1, math.tanh, lambda g, out, a, B: (g * (1 - out * out),), doc="tanh",
          symbol="tanh", local_grads=("1 - out**2",))
primitive("sigmoid", 1, _sigmoid, lambda g, out, a, B: (g * out * (1 - out),),
          doc="1 / (1 + e ** -a)",
          symbol="sigmoid", local_grads=("out * (1 - out)",))
primitive("softplus", 1, _softplus, lambda g, out, a, B: (g * B.sigmoid(a),),
          doc="log(1 + e ** a), a smooth relu",
          symbol="softplus", local_grads=("sigmoid(a)",))
primitive("relu", 1, _relu, lambda g, out, a, B: (g * B.step(a),),
          doc="max(a, 0)",
          symbol="relu", local_grads=("1 if a > 0 else 0",))
primitive("leaky_relu", 2, lambda a, s: a if a > 0.0 else a * s,
          lambda g, out, a, s, B: (g * (B.step(a) + s * (1 - B.step(a))), 0.0),
          const_inputs=(1,), doc="a if a > 0 else slope * a",
          symbol="leaky_relu", local_grads=("1 if a > 0 else b", "0"))
primitive("sum", VARIADIC, _sum, lambda g, out, *xs_and_B: (g,) * (len(xs_and_B) - 1),
          doc="a1 + a2 + ... + an, one node",
          symbol="Σ", local_grads=("1",))
# fmt: on

#: Backend for the float backward pass: the few functions rules need beyond arithmetic.
MATH = SimpleNamespace(
    log=lambda a: math.log(a) if a > 0.0 else (-math.inf if a == 0.0 else math.nan),
    sin=math.sin,
    cos=math.cos,
    sign=_sign,
    step=_step,
    sigmoid=_sigmoid,
)
