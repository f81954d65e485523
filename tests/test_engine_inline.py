"""The float backward pass writes the commonest rules inline (engine.INLINED_RULES).

Each inline copy must give exactly what its table rule gives through
``local_vjp``: the same floats bit for bit (signed zeros and NaNs included),
accumulated in the same order, and the same error when the rule fails.
"""

from __future__ import annotations

import ast
import gc
import inspect
import itertools
import math
import textwrap

import pytest

from micrograd_plus import engine
from micrograd_plus.engine import Value
from micrograd_plus.ops import FORWARD, PRIMITIVES, VARIADIC

POINTS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    1e-300,
    1e200,
    -1e200,
    math.inf,
    -math.inf,
    math.nan,
]
UPSTREAM = [1.0, -0.5, 0.0, -0.0, 1e300, math.inf, math.nan]
EARLIER = [0.0, -0.0, 0.25]  # grads already on the inputs before the pass


def _key(x: object) -> str:
    return "nan" if isinstance(x, float) and x != x else repr(x)


def _node(op: str, inputs: list[Value]) -> Value:
    """A node of ``op`` over ``inputs``, its data from the forward where the forward works
    (a node's data may also be anything the user set, so a failing forward gives 1.5)."""
    try:
        data = FORWARD[op](*[x.data for x in inputs])
    except (ValueError, ZeroDivisionError, OverflowError):
        data = 1.5
    if isinstance(data, complex):
        data = 1.5
    return Value(data, tuple(inputs), op)


def _run(op: str, data: tuple[float, ...], g: float, earlier: float, inline: bool, shared: bool):
    """The inputs' grads after one backward step through the node, or the error raised."""
    leaves = [Value(x) for x in data]
    if shared:  # the same Value twice (x * x, x / x): both edges add into one grad
        leaves = [leaves[0]] * len(leaves)
    for leaf in leaves:
        leaf.grad = earlier
    node = _node(op, leaves)
    node.grad = g
    try:
        if inline:
            engine._backprop_floats([*leaves, node])
        else:
            engine._accumulate(node._prev, engine.local_vjp(node, g))
    except (ZeroDivisionError, ValueError) as error:
        return ("error", type(error).__name__, str(error))
    return tuple(_key(leaf.grad) for leaf in leaves)


def _cases(op: str):
    arity = PRIMITIVES[op].arity
    if arity == VARIADIC:
        for n in (1, 2, 3):
            yield from itertools.product(POINTS[:7], repeat=n)
    elif arity == 1:
        for x in POINTS:
            yield (x,)
    else:
        yield from itertools.product(POINTS, repeat=2)


def test_inlined_rules_are_table_ops():
    assert set(engine.INLINED_RULES) <= set(PRIMITIVES)


def test_the_inline_loop_inlines_exactly_the_listed_ops():
    # Walk the source of the loop: every `op == "..."` branch must be listed, so that
    # a new inline copy cannot escape the comparison below.
    tree = ast.parse(textwrap.dedent(inspect.getsource(engine._backprop_floats)))
    compared = {
        node.comparators[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Name)
        and node.left.id == "op"
        and isinstance(node.comparators[0], ast.Constant)
    }
    assert compared == set(engine.INLINED_RULES)


@pytest.mark.parametrize("op", engine.INLINED_RULES)
def test_inline_rule_equals_table_rule(op):
    checked = 0
    for data in _cases(op):
        for g, earlier in itertools.product(UPSTREAM, EARLIER):
            for shared in (False, True) if len(data) > 1 else (False,):
                inline = _run(op, data, g, earlier, inline=True, shared=shared)
                table = _run(op, data, g, earlier, inline=False, shared=shared)
                assert inline == table, (op, data, g, earlier, shared)
                checked += 1
    assert checked > 50


def test_inline_failure_names_the_op_like_the_table():
    x = Value(0.0)
    y = Value(0.0, (x,), "log")  # a hand-built log node at 0: the rule divides by 0
    with pytest.raises(ZeroDivisionError, match="gradient of 'log' is infinite"):
        y.backward()
    assert x.grad == 0.0


def test_inline_pow_overflow_gives_inf_as_the_table():
    x = Value(1e200)
    (x**3).backward()
    assert x.grad == math.inf


# --- the other fast paths build exactly what the plain code builds -------------------------


def _shape(v: Value, known: list[Value]) -> list:
    """A graph as nested [op, data bits, parents]: a leaf the test made by its index in
    ``known``, a constant leaf (a number turned into a Value) by its data."""
    if not v._prev:
        index = [i for i, k in enumerate(known) if k is v]
        return ["leaf", index[0]] if index else ["const", v.data.hex()]
    return [v._op, v.data.hex(), [_shape(p, known) for p in v._prev]]


@pytest.mark.parametrize("inputs", [[0.5, -1.25, 3.0], [Value(0.5), 2.0, Value(-1.0)]])
def test_weighted_sum_builds_the_nodes_of_the_plain_expression(inputs):
    ws = [Value(0.3), Value(-0.7), Value(1.1)]
    b = Value(0.2)
    known = [*ws, b, *(x for x in inputs if isinstance(x, Value))]
    fast = engine.weighted_sum(ws, inputs, b)
    plain = engine.sum_values([w * x for w, x in zip(ws, inputs)] + [b])
    assert _shape(fast, known) == _shape(plain, known)
    fast.backward()
    grads = [v.grad for v in known]
    for v in known:
        v.grad = 0.0
    plain.backward()
    assert grads == [v.grad for v in known]


def test_weighted_sum_in_no_grad_records_nothing():
    with engine.no_grad():
        out = engine.weighted_sum([Value(2.0)], [3.0], Value(1.0))
    assert out.data == 7.0 and out._prev == ()


def test_forward_batch_pauses_the_collector_and_restores_it():
    from micrograd_plus.nn import MLP, Module

    seen = []

    class Probe(Module):
        def forward(self, x):
            seen.append(gc.isenabled())
            return x

    assert gc.isenabled()
    Probe().forward_batch([[1.0], [2.0]])
    MLP(2, [3, 1], seed=0).forward_batch([[1.0, 2.0]])
    assert seen == [False, False] and gc.isenabled()
    gc.disable()  # the user's own setting is left as it was
    try:
        Probe().forward_batch([[1.0]])
        assert not gc.isenabled()
    finally:
        gc.enable()
