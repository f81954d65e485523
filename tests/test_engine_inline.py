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
import random
import sys
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


# --- backward's own walk: topological_order without the leaves -------------------------------


def _random_graph(rng: random.Random) -> Value:
    nodes = [Value(rng.uniform(-1, 1)) for _ in range(rng.randint(1, 4))]
    for _ in range(rng.randint(1, 30)):
        a, b = rng.choice(nodes), rng.choice(nodes)
        pick = rng.random()
        if pick < 0.3:
            nodes.append(a * b)
        elif pick < 0.5:
            nodes.append(a + b)
        elif pick < 0.6:
            nodes.append(a.tanh())
        elif pick < 0.7:
            nodes.append(a * 2.0)
        elif pick < 0.8:
            nodes.append(engine.sum_values(rng.choices(nodes, k=rng.randint(1, 5))))
        else:
            nodes.append(a - b)
    return nodes[-1] * 1.0


def test_pass_order_is_topological_order_without_leaves_and_sets_grads_aside():
    rng = random.Random(0)
    for _ in range(500):
        root = _random_graph(rng)
        full = engine.topological_order(root)
        for n in full:
            n.grad = rng.choice([0.0, 0.0, 1.5, -0.25])
        before = {n: n.grad for n in full}
        order, saved = engine._pass_order(root)
        assert order == [n for n in full if n._prev]
        assert dict(saved) == {n: g for n, g in before.items() if g != 0.0}
        assert all(n.grad == 0.0 for n in full)


def test_repeated_backward_adds_each_pass_as_one_sum_on_leaves_too():
    # As PyTorch: a pass's contributions are summed, then added to the earlier grad.
    x = Value(0.1)
    y = x * 3.0 + x * 7.0 + x.tanh()
    y.backward()
    once = x.grad
    y.backward()
    assert x.grad == once + once


def test_a_failing_pass_leaves_every_grad_as_it_was():
    x, w = Value(0.0), Value(2.0)
    # w * 3 gets its gradient first, then the log node's rule divides by x = 0
    y = Value(0.0, (x,), "log") + w * 3.0
    x.grad, w.grad = 0.5, -1.0
    with pytest.raises(ZeroDivisionError, match="'log'"):
        y.backward()
    assert (x.grad, w.grad, y.grad) == (0.5, -1.0, 0.0)


def test_a_graph_deeper_than_the_recursion_limit_gets_the_same_grads():
    # backward's recursive walk gives way to topological_order's stack on a long chain;
    # grads set aside before the switch must stay aside (and come back once).
    x = Value(0.5)
    y = x
    for _ in range(3 * sys.getrecursionlimit()):
        y = y * 1.0 + 0.0
    near = y
    y = (near + x).tanh()
    y.backward()
    once = x.grad
    near_grad = near.grad
    y.backward()
    assert x.grad == once + once and near.grad == near_grad + near_grad
    assert once == pytest.approx(2 * (1 - math.tanh(near.data + 0.5) ** 2), rel=1e-12)


def test_backward_leaves_no_reference_cycles():
    # A cycle (such as a recursive helper referring to itself) would keep the walk's
    # visited set, and with it the whole graph, alive until the collector runs.
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for deep in (False, True):
            x = Value(1.0)
            y = x
            for _ in range(3 * sys.getrecursionlimit() if deep else 10):
                y = y * 1.0 + 0.5
            y.backward()
            mp_grad = engine.grad(y, [x])
            del x, y, mp_grad
            assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


def test_grads_left_by_earlier_walks_never_read_as_visited():
    # backward's walk marks a node visited by giving it a 0.0 made for that walk; a grad
    # left by an earlier walk (an interior node of several graphs, a grad copied by
    # hand) must not make a later walk skip that node's inputs.
    x, w = Value(0.3), Value(-1.7)
    h = (x * w).tanh()  # interior, shared by the three graphs below
    y1 = h * h
    y1.backward()
    g1 = (x.grad, w.grad)
    x.grad = w.grad = 0.0
    y2 = h * 3.0 + x
    y2.backward()
    g2 = (x.grad, w.grad)
    x.grad = w.grad = 0.0
    h.grad = y2.grad  # a grad object from an earlier pass, copied onto another node
    y3 = h * y2
    y3.backward()
    g3 = (x.grad, w.grad)
    t, d = math.tanh(0.3 * -1.7), 1 - math.tanh(0.3 * -1.7) ** 2
    assert g1 == pytest.approx((2 * t * d * -1.7, 2 * t * d * 0.3), rel=1e-12)
    assert g2 == pytest.approx((3 * d * -1.7 + 1, 3 * d * 0.3), rel=1e-12)
    # y3 = h * (3h + x) = 3h^2 + h x
    assert g3 == pytest.approx(((6 * t + 0.3) * d * -1.7 + t, (6 * t + 0.3) * d * 0.3), rel=1e-12)
