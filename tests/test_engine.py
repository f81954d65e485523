"""The engine: graph recording, backward, second derivatives, modes and errors."""

from __future__ import annotations

import math
import random
import sys

import pytest

import micrograd_plus as mp
from micrograd_plus import AnomalyError, Value, detect_anomaly, gradcheck, no_grad
from micrograd_plus.engine import sum_values, topological_order

# --- the graph ----------------------------------------------------------------


def test_value_records_parents_in_order_and_op():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a - b
    assert c.data == 5.0 and c._op == "-" and c._prev == (a, b)
    assert a._prev == () and a._op == "" and a.grad == 0.0 and a.label == "a"
    sq = a * a
    assert sq._prev == (a, a)  # both edges kept


def test_numbers_on_either_side():
    x = Value(3.0)
    assert (x + 1).data == 4.0 and (1 + x).data == 4.0
    assert (x - 1).data == 2.0 and (1 - x).data == -2.0
    assert (x * 2).data == 6.0 and (2 * x).data == 6.0
    assert (x / 2).data == 1.5 and (6 / x).data == 2.0
    assert (x**2).data == 9.0 and (2**x).data == 8.0
    assert (x ** Value(2.0)).data == 9.0
    assert (-x).data == -3.0 and abs(Value(-2.5)).data == 2.5


def test_methods():
    x = Value(0.5)
    assert x.exp().data == math.exp(0.5)
    assert x.log().data == math.log(0.5)
    assert x.tanh().data == math.tanh(0.5)
    assert x.sigmoid().data == 1 / (1 + math.exp(-0.5))
    assert x.sqrt().data == math.sqrt(0.5)
    assert x.sin().data == math.sin(0.5) and x.cos().data == math.cos(0.5)
    assert Value(-2.0).relu().data == 0.0 and Value(2.0).relu().data == 2.0
    assert Value(-2.0).leaky_relu().data == pytest.approx(-0.02)
    assert Value(-2.0).leaky_relu(negative_slope=0.2).data == pytest.approx(-0.4)


def test_comparisons_float_hash_repr():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a < 1.5 and 2 > a
    # == and != are identity, as in micrograd, and agree with hashing.
    c, d = Value(2.0), Value(2.0)
    assert c == c and c != d and not (c == d) and not (Value(2.0) == 2) and a != b
    assert len({Value(1.0), Value(1.0)}) == 2 and hash(c) != hash(d)
    assert float(Value(2.5)) == 2.5
    assert repr(Value(2.0, label="w")) == "Value(data=2.0, grad=0.0, label='w')"
    assert f"{Value(1 / 3):.3f}" == "0.333"


def test_micrograd_sanity_check_against_hand_derivatives():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    # y = h + q(1 + x), z = 3x + 2 = -10, q = z*x = 40 (relu(z) = 0), h = z^2 = 100
    # dy/dx = dh/dx + dq/dx (1 + x) + q = 2z*3 + (3x + z)(1 + x) + q
    assert y.data == 100 + 40 + 40 * -4
    assert x.grad == pytest.approx(2 * -10 * 3 + (3 * -4 + -10) * (1 - 4) + 40)


def test_micrograd_sanity_check_against_torch():
    torch = pytest.importorskip("torch")

    def build(x):
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        return h + q + q * x

    x = Value(-4.0)
    y = build(x)
    y.backward()
    tx = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    ty = build(tx)
    ty.backward()
    assert y.data == ty.item() and x.grad == tx.grad.item()


def test_shared_nodes_accumulate():
    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0
    a = Value(1.5)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_repeated_backward_accumulates_like_pytorch():
    x = Value(0.7)
    y = (x * x).tanh() * 3
    y.backward()
    once = x.grad
    y.backward()
    assert x.grad == pytest.approx(2 * once, rel=1e-15)
    assert y.grad == 2.0


def test_deep_chain_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(200_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0
    assert sys.getrecursionlimit() == limit
    assert len(topological_order(y)) == 1 + 4 * 200_000


def test_topological_order_puts_inputs_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = topological_order(d)
    pos = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for p in v._prev:
            assert pos[id(p)] < pos[id(v)]
    assert order[-1] is d


def test_sum_values_is_one_node():
    xs = [Value(float(i)) for i in range(5)]
    s = sum_values(xs)
    assert s.data == 10.0 and s._op == "sum" and len(s._prev) == 5
    (s * 2).backward()
    assert all(x.grad == 2.0 for x in xs)
    assert sum_values([1, Value(2.0)]).data == 3.0
    with pytest.raises(ValueError, match="empty"):
        sum_values([])
    with pytest.raises(TypeError, match="str"):
        sum_values([Value(1.0), "a"])


# --- second derivatives -------------------------------------------------------


def _second_derivative(f, x0):
    x = Value(x0)
    (dx,) = mp.grad(f(x), [x], create_graph=True)
    (d2x,) = mp.grad(dx, [x])
    return dx.data, d2x


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda x: x.tanh() * x**3, lambda t: t.tanh() * t**3),
        (lambda x: x.exp().log() * x.exp(), lambda t: t.exp().log() * t.exp()),
        (lambda x: x.sigmoid() / (1 + x**2), lambda t: t.sigmoid() / (1 + t**2)),
    ],
)
@pytest.mark.parametrize("x0", [-1.3, 0.4, 2.0])
def test_second_derivatives_match_torch(ours, theirs, x0):
    torch = pytest.importorskip("torch")
    t = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (dt,) = torch.autograd.grad(theirs(t), t, create_graph=True)
    (d2t,) = torch.autograd.grad(dt, t)
    d1, d2 = _second_derivative(ours, x0)
    assert d1 == pytest.approx(dt.item(), rel=1e-12)
    assert d2 == pytest.approx(d2t.item(), rel=1e-10)


def test_create_graph_makes_grads_values():
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0
    g = x.grad
    x.grad = 0.0
    g.backward()
    assert x.grad == pytest.approx(12.0)  # d/dx 3x^2 = 6x


def test_newton_step_on_a_quadratic_lands_on_the_minimum():
    x = Value(5.0)
    loss = (x - 1.5) ** 2 * 3 + 2
    (g,) = mp.grad(loss, [x], create_graph=True)
    (h,) = mp.grad(g, [x])
    assert x.data - g.data / h == pytest.approx(1.5)
    assert x.grad == 0.0  # grad() leaves .grad alone


# --- against PyTorch on random graphs -------------------------------------------

_UNARY = ["tanh", "sigmoid", "exp_small", "relu", "sin", "cos", "abs", "neg", "log_safe"]
_BINARY = ["+", "-", "*", "/_safe", "pow_const", "sum3"]


def _random_graph(rng, lib, leaves, n_ops):
    """Build the same random DAG of mixed ops with Values (lib=None) or torch tensors."""
    nodes = list(leaves)
    for _ in range(n_ops):
        if rng.random() < 0.4:
            op, a = rng.choice(_UNARY), rng.choice(nodes)
            if op == "exp_small":
                out = (a * 0.3).tanh().exp()
            elif op == "log_safe":
                out = (a * a + 1).log()
            elif op == "abs":
                out = abs(a)
            elif op == "neg":
                out = -a
            else:
                out = getattr(a, op)()
        else:
            op, a, b = rng.choice(_BINARY), rng.choice(nodes), rng.choice(nodes)
            if op == "+":
                out = a + b
            elif op == "-":
                out = a - b
            elif op == "*":
                out = a * b
            elif op == "/_safe":
                out = a / (b * b + 0.5)
            elif op == "pow_const":
                out = a ** rng.choice([2, 3])
            else:
                c = rng.choice(nodes)
                out = sum_values([a, b, c]) if lib is None else a + b + c
        nodes.append(out)
    return nodes[-1]


@pytest.mark.parametrize("seed", range(25))
def test_random_graphs_match_torch(seed):
    torch = pytest.importorskip("torch")
    start = [random.Random(seed).uniform(-1.5, 1.5) for _ in range(4)]
    xs = [Value(v) for v in start]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    out = _random_graph(random.Random(seed), None, xs, 25)
    tout = _random_graph(random.Random(seed), torch, ts, 25)
    out.backward()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    for x, t in zip(xs, ts):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert x.grad == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_micrograd_more_ops_against_torch():
    torch = pytest.importorskip("torch")

    def build(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g = g + 10.0 / f
        return g

    a, b = Value(-4.0), Value(2.0)
    g = build(a, b)
    g.backward()
    ta = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tg = build(ta, tb)
    tg.backward()
    assert g.data == pytest.approx(tg.item(), rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


# --- modes -----------------------------------------------------------------------


def test_no_grad_records_nothing_and_restores():
    x = Value(2.0)
    with no_grad():
        y = x * 3 + 1
        assert not mp.is_grad_enabled()
    assert y.data == 7.0 and y._prev == () and y._op == ""
    assert mp.is_grad_enabled()
    assert len((x * 3)._prev) == 2


def test_detach_stops_gradients():
    x = Value(2.0)
    y = x * x
    z = y.detach() * x
    z.backward()
    assert z.data == 8.0 and x.grad == 4.0  # only through the second factor


def test_detect_anomaly_names_the_op_in_forward():
    big = Value(1000.0).exp()  # inf, which is allowed
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"NaN.*'-'"):
        big - big
    assert math.isnan((big - big).data)  # outside: no check


def test_detect_anomaly_names_the_op_in_backward():
    x = Value(1000.0)
    y = x.exp()
    z = y.tanh()  # finite forward; tanh's gradient 0 times exp's output inf is NaN
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"NaN gradient.*'exp'"):
        z.backward()
    assert x.grad == 0.0  # state left untouched


# --- errors ---------------------------------------------------------------------


def test_non_numbers_are_type_errors():
    with pytest.raises(TypeError, match="str"):
        Value("abc")
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * Value(1.0)
    with pytest.raises(TypeError):
        Value(None)
    with pytest.raises(TypeError):
        Value(1 + 2j)
    a = Value(1.0)
    with pytest.raises(TypeError, match="label must be a str"):
        Value(2.0, (a, a), "+", 3)
    with pytest.raises(TypeError, match="_children must be Values"):
        Value(2.0, (a, 1.0), "+")


def test_domain_errors_name_the_op_and_value():
    with pytest.raises(ValueError, match=r"log.*-1\.0"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match=r"log.*0\.0"):
        Value(0.0).log()
    with pytest.raises(ValueError, match=r"sqrt.*-1\.0"):
        Value(-1.0).sqrt()
    with pytest.raises(ValueError, match="negative base"):
        Value(-8.0) ** (1 / 3)


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        Value(0.0) ** -1
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)


def test_infinite_gradient_is_a_clear_error_and_leaves_grads():
    x = Value(0.0)
    y = x.sqrt()
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0


@pytest.mark.parametrize("x0", [1000.0, -1000.0])
def test_saturating_functions_do_not_overflow(x0):
    for f in (Value.tanh, Value.sigmoid):
        x = Value(x0)
        y = f(x)
        y.backward()
        assert math.isfinite(y.data) and 0.0 <= abs(y.data) <= 1.0
        assert x.grad == 0.0 and not math.copysign(1.0, x.grad) < 0
    x = Value(-30.0)  # far out but not yet saturated: the gradient keeps its sign
    x.sigmoid().backward()
    assert x.grad > 0


def test_exp_overflow_gives_inf_like_torch():
    assert Value(1000.0).exp().data == math.inf


# --- gradcheck -------------------------------------------------------------------


def test_gradcheck_passes_and_reports():
    assert gradcheck(lambda a, b: (a * b).tanh() + a.exp() / b, [0.3, 1.7])
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])


def test_gradcheck_report_lists_every_input():
    def wrong(a, b):
        out = a * b
        return out.detach() * a + b  # the detach hides a's dependence through out

    with pytest.raises(mp.GradcheckError) as info:
        gradcheck(wrong, [0.5, 2.0])
    text = str(info.value)
    assert "input 0" in text and "input 1" in text and "mismatch" in text


def test_grad_function_honours_detect_anomaly():
    x = Value(1000.0)
    z = x.exp().tanh()  # finite forward, NaN gradient through exp
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"NaN gradient.*'exp'"):
        mp.grad(z, [x])
    assert x.grad == 0.0
