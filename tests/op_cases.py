"""Shared by the table-driven tests: how to call any op of the table, and where it is defined.

An op added to ``ops.PRIMITIVES`` is picked up automatically; it gets the
default domain unless it is listed in DOMAINS.
"""

from __future__ import annotations

from hypothesis import strategies as st

from micrograd_plus.engine import Value, _apply1, _apply2, _apply_n
from micrograd_plus.ops import PRIMITIVES, VARIADIC

# Away from 0 so kinks (relu, abs) and poles (/, log) are not straddled by eps.
away_from_zero = st.one_of(
    st.floats(-3.0, -0.2, allow_nan=False), st.floats(0.2, 3.0, allow_nan=False)
)
positive = st.floats(0.2, 3.0, allow_nan=False)
small_int = st.integers(-3, 4).map(float)
slope = st.floats(0.0, 0.5, allow_nan=False)
# Distinct by far more than a finite-difference step: max and min have no ties.
distinct = st.lists(st.integers(-30, 30), min_size=1, max_size=5, unique=True).map(
    lambda xs: [x / 10 + 0.01 for x in xs]
)


def _index_and_values(n: int):
    return st.tuples(
        st.integers(-n, n - 1).map(float), st.lists(away_from_zero, min_size=n, max_size=n)
    ).map(lambda t: [t[0], *t[1]])


# Per op: a strategy for each input (const inputs are plain numbers).
DOMAINS = {
    "log": (positive,),
    "sqrt": (positive,),
    # Exponent 0 excluded: there torch masks d/da with a where(), which also kills
    # the mixed second derivative (our 1.0 is what finite differences give).
    "pow": (positive, away_from_zero),
    "**": (away_from_zero, small_int),
    "leaky_relu": (away_from_zero, slope),
}
# Variadic ops with their own domain: a strategy for the whole input list.
LIST_DOMAINS = {
    "max": distinct,
    "min": distinct,
    "take": st.integers(1, 4).flatmap(_index_and_values),
}


def input_strategy(name: str):
    """A strategy producing a list of inputs for op ``name``."""
    prim = PRIMITIVES[name]
    if name in DOMAINS:
        return st.tuples(*DOMAINS[name]).map(list)
    if name in LIST_DOMAINS:
        return LIST_DOMAINS[name]
    if prim.arity == VARIADIC:
        return st.lists(away_from_zero, min_size=1, max_size=5)
    return st.lists(away_from_zero, min_size=prim.arity, max_size=prim.arity)


def differentiable(name: str, n_inputs: int) -> list[int]:
    """Indices of the inputs that receive a gradient."""
    const = PRIMITIVES[name].const_inputs
    return [i for i in range(n_inputs) if i not in const]


def apply_op(name: str, args: list) -> Value:
    """Apply op ``name`` to args (Values for differentiable inputs, numbers for constants)."""
    prim = PRIMITIVES[name]
    if prim.arity == VARIADIC:
        return _apply_n(name, tuple(a if isinstance(a, Value) else Value(a) for a in args))
    if prim.arity == 1:
        return _apply1(name, args[0])
    return _apply2(name, args[0], args[1])


def op_as_function(name: str, point: list[float]):
    """f(*differentiable inputs) -> Value, with constant inputs frozen at ``point``."""
    wrt = differentiable(name, len(point))

    def f(*xs):
        args = list(point)
        for i, x in zip(wrt, xs):
            args[i] = x
        return apply_op(name, args)

    return f, [point[i] for i in wrt]
