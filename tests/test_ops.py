"""Every entry of the primitive table, checked the same way.

First derivatives against central differences, second derivatives (through
``create_graph``) against central differences of the first, and both against
PyTorch in float64 where it is installed. A new op is covered by adding it to
``ops.PRIMITIVES``.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from micrograd_plus import gradcheck
from micrograd_plus.engine import Value, grad
from micrograd_plus.ops import PRIMITIVES, VARIADIC, primitive

from .op_cases import apply_op, differentiable, input_strategy, op_as_function

OP_NAMES = sorted(PRIMITIVES)


@pytest.mark.parametrize("name", OP_NAMES)
def test_forward_matches_float_forward(name):
    @given(input_strategy(name))
    @settings(max_examples=30, deadline=None)
    def check(point):
        out = apply_op(name, [Value(x) for x in point])
        assert out.data == PRIMITIVES[name].forward(*point)
        assert out._op == name
        assert len(out._prev) == len(point)

    check()


@pytest.mark.parametrize("name", OP_NAMES)
def test_first_derivative_matches_finite_differences(name):
    @given(input_strategy(name))
    @settings(max_examples=40, deadline=None)
    def check(point):
        f, xs = op_as_function(name, point)
        if not xs:  # no input takes a gradient (stop_gradient): backward passes none
            _assert_passes_no_gradient(name, point)
            return
        assert gradcheck(f, xs, eps=1e-6, atol=1e-6, rtol=1e-5)

    check()


def _assert_passes_no_gradient(name, point):
    leaves = [Value(x) for x in point]
    out = apply_op(name, leaves)
    out.backward()
    assert [v.grad for v in leaves] == [0.0] * len(leaves)
    assert grad(out, leaves, create_graph=True) == [0.0] * len(leaves)


def _hessian_row_by_create_graph(f, xs, i):
    """d/dx (df/dx_i) for every x, by differentiating the gradient graph."""
    leaves = [Value(x) for x in xs]
    (gi,) = grad(f(*leaves), [leaves[i]], create_graph=True)
    if not isinstance(gi, Value):  # the first derivative is a constant
        return [0.0] * len(xs)
    return [0.0 if g is None else float(g) for g in grad(gi, leaves, allow_unused=True)]


def _hessian_row_by_differences(f, xs, i, eps=1e-5):
    def dfi(*point):
        leaves = [Value(x) for x in point]
        return grad(f(*leaves), [leaves[i]])[0]

    row = []
    for j in range(len(xs)):
        up, down = list(xs), list(xs)
        up[j] += eps
        down[j] -= eps
        row.append((dfi(*up) - dfi(*down)) / (2 * eps))
    return row


@pytest.mark.parametrize("name", OP_NAMES)
def test_second_derivative_matches_finite_differences(name):
    @given(input_strategy(name))
    @settings(max_examples=25, deadline=None)
    def check(point):
        f, xs = op_as_function(name, point)
        if not xs:
            _assert_passes_no_gradient(name, point)
            return
        for i in range(len(xs)):
            exact = _hessian_row_by_create_graph(f, xs, i)
            approx = _hessian_row_by_differences(f, xs, i)
            for e, a in zip(exact, approx):
                assert e == pytest.approx(a, rel=1e-4, abs=1e-5)

    check()


# --- PyTorch float64 as an oracle ---------------------------------------------


def _torch_op(torch, name):
    """The same op in PyTorch; a new table entry must be added here to be checked."""
    F = torch.nn.functional
    table = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
        "**": lambda a, c: a**c,
        "pow": lambda a, b: a**b,
        "neg": lambda a: -a,
        "abs": torch.abs,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "sin": torch.sin,
        "cos": torch.cos,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "softplus": F.softplus,
        "leaky_relu": lambda a, s: F.leaky_relu(a, s),
        "sum": lambda *xs: sum(xs[1:], xs[0]),
        "max": lambda *xs: torch.stack(list(xs)).max(dim=0).values,
        "min": lambda *xs: torch.stack(list(xs)).min(dim=0).values,
        "take": lambda i, *xs: torch.stack(list(xs))[int(i)],
        # detach() gives no gradient at all; adding 0 * a keeps a in torch's graph
        "stop_gradient": lambda a: a.detach() + 0.0 * a,
    }
    return table[name]


@pytest.mark.parametrize("name", OP_NAMES)
def test_op_matches_torch_to_second_order(name):
    torch = pytest.importorskip("torch")
    torch_fn = _torch_op(torch, name)

    @given(input_strategy(name))
    @settings(max_examples=20, deadline=None)
    def check(point):
        wrt = differentiable(name, len(point))
        if not wrt:
            _assert_passes_no_gradient(name, point)
            return
        # ours
        leaves = [Value(x) if i in wrt else x for i, x in enumerate(point)]
        out = apply_op(name, leaves)
        firsts = grad(out, [leaves[i] for i in wrt], create_graph=True)
        seconds = [
            [0.0 if h is None else h for h in grad(g, [leaves[i] for i in wrt], allow_unused=True)]
            if isinstance(g, Value)
            else [0.0] * len(wrt)
            for g in firsts
        ]
        # torch
        targs = [
            torch.tensor(x, dtype=torch.float64, requires_grad=True) if i in wrt else x
            for i, x in enumerate(point)
        ]
        tout = torch_fn(*targs)
        tins = [targs[i] for i in wrt]
        tfirst = torch.autograd.grad(tout, tins, create_graph=True)
        assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
        for ours, theirs, row in zip(firsts, tfirst, seconds):
            assert float(ours) == pytest.approx(theirs.item(), rel=1e-12, abs=1e-12)
            if theirs.requires_grad:
                trow = torch.autograd.grad(theirs, tins, allow_unused=True)
                trow = [0.0 if t is None else t.item() for t in trow]
            else:
                trow = [0.0] * len(tins)
            assert row == pytest.approx(trow, rel=1e-10, abs=1e-12)

    check()


def test_a_wrong_rule_is_caught_by_gradcheck():
    primitive("bad_square", 1, lambda a: a * a, lambda g, out, a, B: (g * a,))  # 2a expected
    try:
        from micrograd_plus.engine import _apply1

        with pytest.raises(AssertionError, match="input 0.*mismatch"):
            gradcheck(lambda x: _apply1("bad_square", x), [1.5])
    finally:
        from micrograd_plus import ops

        for table in (ops.PRIMITIVES, ops.FORWARD, ops.VJP):
            del table["bad_square"]


def test_every_rule_is_one_table_entry_with_doc():
    for name, prim in PRIMITIVES.items():
        assert prim.name == name
        assert prim.doc, f"op {name!r} has no doc"
        assert callable(prim.forward) and callable(prim.vjp)


def test_pow_const_matches_math():
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert y.data == -8.0
    assert x.grad == 12.0
    assert math.isclose((Value(4.0) ** 0.5).data, 2.0)


NUMPY_RULES = [name for name in OP_NAMES if PRIMITIVES[name].numpy_vjp is not None]
# Edges where a rewritten mask could differ from the table's: signed zeros, infinities, NaN.
_EDGES = [-math.inf, -2.5, -1e-300, -0.0, 0.0, 1e-300, 0.7, math.inf, math.nan]


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_numpy_rule_is_a_callable_or_none(name):
    rule = PRIMITIVES[name].numpy_vjp
    assert rule is None or callable(rule)


@pytest.mark.parametrize("name", NUMPY_RULES)
def test_numpy_rule_equals_the_table_rule_on_arrays_bit_for_bit(name):
    """``numpy_vjp`` is the table's ``vjp`` on NumPy arrays, sign of zero and NaN included,
    returned fresh or written ``into`` the arrays given."""
    np = pytest.importorskip("numpy")
    from micrograd_plus.ops import NUMPY

    prim = PRIMITIVES[name]
    arity = 1 if prim.arity == VARIADIC else prim.arity
    grid = np.array(np.meshgrid(*[_EDGES] * (arity + 1))).reshape(arity + 1, -1)
    g, ins = grid[0], list(grid[1:])
    out = np.array([prim.forward(*xs) for xs in zip(*(a.tolist() for a in ins))])
    into = [None if j in prim.const_inputs else np.full(g.shape, 7.0) for j in range(arity)]
    with np.errstate(all="ignore"):  # inf * 0 is NaN in both, as the replay runs them
        expected = [np.broadcast_to(e, g.shape) for e in prim.vjp(g, out, *ins, NUMPY)]
        fresh = prim.numpy_vjp(g, out, *ins)
        written = prim.numpy_vjp(g, out, *ins, into=into)
    for j, e in enumerate(expected):
        for got in (fresh[j], written[j]):
            np.testing.assert_array_equal(got, e)
            assert (np.signbit(got) == np.signbit(e)).all()
        if into[j] is not None:
            assert written[j] is into[j]
