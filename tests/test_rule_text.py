"""The printable rule of every op (shown by graphs, the explainer and the player)
is the rule backward runs: each ``local_grads`` text, evaluated, equals the VJP at g = 1."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_plus.ops import MATH, PRIMITIVES, VARIADIC

from .op_cases import input_strategy

NAMES = sorted(PRIMITIVES)


def _first(xs, best) -> int:
    return xs.index(best(xs))


def _evaluate_local(prim, i: int, inputs: list[float], out: float) -> float:
    text = prim.local_grads[min(i, len(prim.local_grads) - 1)]
    names = {
        "out": out,
        "log": math.log,
        "sin": math.sin,
        "cos": math.cos,
        "sign": MATH.sign,
        "sigmoid": MATH.sigmoid,
    }
    if prim.arity == VARIADIC:
        # x1..xn the inputs, xs all n of them, k the position (from 0) of the input differentiated
        names.update({f"x{k + 1}": x for k, x in enumerate(inputs)})
        names.update(
            xs=list(inputs),
            n=len(inputs),
            k=i,
            first_argmax=lambda xs: _first(xs, max),
            first_argmin=lambda xs: _first(xs, min),
        )
    else:
        names.update(dict(zip("ab", inputs)))
    return float(eval(text, {"__builtins__": {}}, names))  # noqa: S307 - our own table


@pytest.mark.parametrize("name", NAMES)
def test_every_op_has_a_symbol_and_one_rule_text_per_input(name):
    prim = PRIMITIVES[name]
    assert prim.symbol
    if prim.arity == VARIADIC:  # one text for all inputs, or one per leading const input + one
        assert 1 <= len(prim.local_grads) <= 1 + len(prim.const_inputs)
    else:
        assert len(prim.local_grads) == prim.arity
    assert prim.rule_text(0).startswith("g")


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_printed_rule_equals_the_rule_backward_runs(name, data):
    prim = PRIMITIVES[name]
    inputs = data.draw(input_strategy(name))
    out = prim.forward(*inputs)
    grads = prim.vjp(1.0, out, *inputs, MATH)
    for i, grad in enumerate(grads):
        assert _evaluate_local(prim, i, inputs, out) == pytest.approx(grad, rel=1e-12, abs=1e-12)


def test_rule_text_reads_like_the_blackboard():
    assert PRIMITIVES["tanh"].rule_text() == "g * (1 - out**2)"
    assert PRIMITIVES["+"].rule_text(1) == "g"
    assert PRIMITIVES["*"].rule_text(1) == "g * (a)"
