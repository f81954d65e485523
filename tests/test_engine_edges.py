"""The engine at its edges: NaN, pow at 0, overflow, errors, odd inputs, grad(), seeds.

PyTorch float64 is the reference for every value (skipped where torch is absent).
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

import micrograd_plus as mp
from micrograd_plus import AnomalyError, Value, detect_anomaly, gradcheck
from micrograd_plus.engine import local_vjp

nan, inf = math.nan, math.inf


def torch_grads(fn, *xs, create_graph=False):
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(*ts)
    grads = torch.autograd.grad(out, ts, create_graph=create_graph, allow_unused=True)
    return out, ts, grads


def same(a, b):
    """Equal as floats, NaN equal to NaN."""
    a, b = float(a), float(b)
    return (a != a and b != b) or a == b


# --- NaN propagates, as in PyTorch --------------------------------------------------


@pytest.mark.parametrize(
    "name, ours, theirs",
    [
        ("relu", lambda v: v.relu(), lambda t: t.relu()),
        (
            "leaky_relu",
            lambda v: v.leaky_relu(0.1),
            lambda t: __import__("torch").nn.functional.leaky_relu(t, 0.1),
        ),
        ("tanh", lambda v: v.tanh(), lambda t: t.tanh()),
        ("sigmoid", lambda v: v.sigmoid(), lambda t: t.sigmoid()),
        ("exp", lambda v: v.exp(), lambda t: t.exp()),
        ("log", lambda v: v.log(), lambda t: t.log()),
        ("sqrt", lambda v: v.sqrt(), lambda t: t.sqrt()),
        ("abs", lambda v: abs(v), lambda t: t.abs()),
        ("sin", lambda v: v.sin(), lambda t: t.sin()),
        ("pow", lambda v: v**2, lambda t: t**2),
        ("mul", lambda v: v * 2.0, lambda t: t * 2.0),
        ("add", lambda v: v + 1.0, lambda t: t + 1.0),
        ("div", lambda v: 1.0 / v, lambda t: 1.0 / t),
        ("neg", lambda v: -v, lambda t: -t),
        ("cos", lambda v: v.cos(), lambda t: t.cos()),
        (
            "softplus",
            lambda v: v.softplus(),
            lambda t: __import__("torch").nn.functional.softplus(t),
        ),
    ],
)
def test_nan_goes_through_every_op_like_pytorch(name, ours, theirs):
    out, _, (expected,) = torch_grads(theirs, nan)
    assert math.isnan(out.item())
    x = Value(nan)
    y = ours(x)
    assert math.isnan(y.data), name
    y.backward()  # PyTorch's masks: relu passes the gradient on at NaN (1), abs gives 0
    assert same(x.grad, expected.item()), (name, x.grad, expected.item())
    x = Value(nan)
    (dx,) = mp.grad(ours(x), [x], create_graph=True)  # the create_graph pass agrees
    assert same(dx, expected.item()), name


def test_a_nan_weight_no_longer_trains_silently_through_relu():
    w = Value(nan)
    loss = (w * 2.0).relu() + 1.0
    assert math.isnan(loss.data)


def test_detect_anomaly_stops_at_the_op_that_made_the_nan():
    w, x = Value(inf), Value(0.0)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"NaN produced by '\*'"):
        (w * x).relu()  # inf * 0 is the NaN; relu only passes it on


# --- pow at 0 ------------------------------------------------------------------------


def test_exponent_gradient_is_zero_where_the_base_is_zero():
    x, e = Value(0.0), Value(2.0)
    (x**e).backward()
    _, _, (gx, ge) = torch_grads(lambda a, b: a**b, 0.0, 2.0)
    assert (x.grad, e.grad) == (gx.item(), ge.item()) == (0.0, 0.0)


@pytest.mark.parametrize("x0", [0.0, 3.0, -2.0])
def test_x_to_the_zero_has_derivative_zero_everywhere(x0):
    for make in (lambda v: v**0, lambda v: v**0.0, lambda v: v ** Value(0.0)):
        x = Value(x0)
        make(x).backward()
        assert x.grad == 0.0
    _, _, (gx,) = torch_grads(lambda a: a**0, x0)
    assert gx.item() == 0.0


@pytest.mark.parametrize("x0, c0", [(-2.0, 2.0), (0.0, 2.0), (-1.5, 3.0), (2.0, 0.5)])
def test_create_graph_through_x_to_a_value_power_works_where_the_derivative_exists(x0, c0):
    torch = pytest.importorskip("torch")
    x, c = Value(x0), Value(c0)
    dx, dc = mp.grad(x**c, [x, c], create_graph=True)
    (dxx,) = mp.grad(dx, [x])
    tx = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    tc = torch.tensor(c0, dtype=torch.float64, requires_grad=True)
    tdx, tdc = torch.autograd.grad(tx**tc, [tx, tc], create_graph=True)
    (tdxx,) = torch.autograd.grad(tdx, [tx])
    assert same(dx, tdx.item()) and same(dc, tdc.item())
    assert float(dxx) == pytest.approx(tdxx.item(), rel=1e-12)


# --- overflow and poles: one message in every path ---------------------------------------


def test_an_overflowing_gradient_is_inf_like_pytorch():
    x = Value(1e200)
    (x**3).backward()
    _, _, (gx,) = torch_grads(lambda a: a**3, 1e200)
    assert x.grad == gx.item() == inf
    x = Value(-1e200)
    (x**3).backward()
    assert x.grad == inf  # 3 x**2 is positive
    x = Value(1e200)
    (dx,) = mp.grad(x**3, [x], create_graph=True)
    assert dx.data == inf


def test_an_overflowing_gradient_is_an_anomaly_naming_the_op():
    x = Value(1e200)
    y = x**3
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"'\*\*' overflowed"):
        y.backward()
    assert x.grad == 0.0


def _pole_message(run):
    with pytest.raises(ZeroDivisionError) as info:
        run()
    return str(info.value)


def test_a_pole_gives_the_same_error_in_every_backward_path():
    def plain():
        Value(0.0).sqrt().backward()

    def checked():
        with detect_anomaly():
            Value(0.0).sqrt().backward()

    def second_order():
        Value(0.0).sqrt().backward(create_graph=True)

    def by_hand():
        y = Value(0.0).sqrt()
        y.grad = 1.0
        y._backward()

    def explained():  # the explainer applies the rules through local_vjp too
        from micrograd_plus.viz import backward_steps

        list(backward_steps(Value(0.0).sqrt()))

    runs = (plain, checked, second_order, by_hand, explained)
    messages = {_pole_message(run) for run in runs}
    assert messages == {"the gradient of 'sqrt' is infinite at its inputs [0.0]"}


def test_domain_errors_name_the_op():
    for make, op in ((lambda: Value(inf).sin(), "sin"), (lambda: Value(-inf).cos(), "cos")):
        with pytest.raises(ValueError, match=op):
            make()
    with pytest.raises(ValueError, match="log"):
        Value(-1.0).log()


def test_local_vjp_is_the_rule_of_the_table():
    a, b = Value(2.0), Value(5.0)
    y = a * b
    assert local_vjp(y, 3.0) == (15.0, 6.0)


# --- inputs are normalised ---------------------------------------------------------------


def test_numpy_scalars_become_python_floats():
    v = Value(np.float64(0.0))
    assert type(v.data) is float
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / v
    w = Value(1.0) * np.float32(2.0)
    assert type(w.data) is float and w.data == 2.0
    v.data = np.float64(3.0)
    assert type(v.data) is float


def test_too_large_ints_raise_naming_the_value():
    with pytest.raises(ValueError, match="too large"):
        Value(10**400)
    with pytest.raises(ValueError, match="too large"):
        Value(1.0) + 10**400


def test_leaky_relu_checks_its_slope():
    with pytest.raises(TypeError, match="negative_slope"):
        Value(-1.0).leaky_relu(negative_slope="0.1")
    with pytest.raises(TypeError, match="negative_slope"):
        Value(-1.0).leaky_relu(Value(0.1))
    assert Value(-1.0).leaky_relu(np.float64(0.5)).data == -0.5


def test_data_never_silently_becomes_a_value():
    p = Value(1.5)
    (p * p).backward(create_graph=True)
    assert isinstance(p.grad, Value)
    with pytest.raises(TypeError, match=r"p\.grad\.data"):
        p.data -= 0.1 * p.grad
    assert p.data == 1.5
    p.data -= 0.1 * p.grad.data
    assert p.data == pytest.approx(1.2)
    with pytest.raises(TypeError):
        p.data = "1.0"


# --- backward(gradient, *, create_graph) --------------------------------------------------


def test_backward_seed_is_the_first_argument():
    x = Value(3.0)
    (x * x).backward(5)
    assert x.grad == 30.0
    x = Value(3.0)
    (x * x).backward(gradient=Value(2.0))
    assert x.grad == 12.0
    x = Value(3.0)
    (x * x).backward(2.0, create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0


def test_create_graph_is_keyword_only_and_a_bool_seed_is_refused():
    y = Value(2.0) * Value(3.0)
    with pytest.raises(TypeError):
        y.backward(1.0, True)
    with pytest.raises(TypeError, match="create_graph=True"):
        y.backward(True)


# --- grad() ---------------------------------------------------------------------------------


def test_grad_refuses_an_unused_input_unless_allowed():
    torch = pytest.importorskip("torch")
    x, z = Value(2.0), Value(5.0)
    y = x * x
    with pytest.raises(ValueError, match="allow_unused"):
        mp.grad(y, [x, z])
    assert mp.grad(y, [x, z], allow_unused=True) == [4.0, None]
    tx, tz = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, 5.0))
    with pytest.raises(RuntimeError):
        torch.autograd.grad(tx * tx, [tx, tz])
    assert torch.autograd.grad(tx * tx, [tx, tz], allow_unused=True)[1] is None


def test_grad_pauses_the_collector_and_restores_it():
    seen = []
    x = Value(2.0)
    y = Value(x.data * 3, (x,), "triple")

    def step():
        seen.append(gc.isenabled())
        x.grad += 3 * y.grad

    y._backward = step
    assert gc.isenabled()
    assert mp.grad(y, [x]) == [3.0]
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        mp.grad(y, [x])
        assert not gc.isenabled()  # the user's choice is left alone
    finally:
        gc.enable()


# --- gradcheck -------------------------------------------------------------------------------


def test_gradcheck_reports_a_probe_that_leaves_the_domain():
    with pytest.raises(mp.GradcheckError, match=r"log.*domain|outside"):
        gradcheck(lambda x: x.log(), [1e-9], eps=1e-6)


@pytest.mark.parametrize(
    "kwargs", [{"eps": nan}, {"eps": -1.0}, {"eps": inf}, {"atol": -1.0}, {"rtol": nan}]
)
def test_gradcheck_validates_its_tolerances(kwargs):
    with pytest.raises(ValueError):
        gradcheck(lambda x: x * x, [1.0], **kwargs)
