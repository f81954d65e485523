"""compile(): compiled results and gradients equal eager ones, for every op, across calls."""

import math
import random

import pytest

from micrograd_plus import engine
from micrograd_plus.compiler import CompiledResult, GuardError, compile
from micrograd_plus.engine import Value, no_grad, sum_values
from micrograd_plus.ops import PRIMITIVES, VARIADIC

REL, ABS = 1e-10, 1e-12


def assert_close(compiled, eager, what=""):
    assert compiled == pytest.approx(eager, rel=REL, abs=ABS), what


def value_and_grads(fn, params, *args):
    """(value, grads) of fn (eager or compiled) from a fresh backward, leaving the params'
    grads as they were."""
    before = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    out = fn(*args)
    out.backward()
    grads = [p.grad for p in params]
    for p, g in zip(params, before):
        p.grad = g
    return out.data, grads


def assert_matches_eager(fn, fast, params, *args):
    value, grads = value_and_grads(fn, params, *args)
    c_value, c_grads = value_and_grads(fast, params, *args)
    assert_close(c_value, value, "value")
    for i, (c, e) in enumerate(zip(c_grads, grads)):
        assert_close(c, e, f"grad of parameter {i}")


# --- MLPs ------------------------------------------------------------------------------


def hinge_l2_loss(model):
    """micrograd's demo loss: mean hinge + 1e-4 * sum of squared parameters."""

    def loss(X, y):
        scores = [model(x) for x in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + 1e-4 * sum(p * p for p in model.parameters())

    return loss


def moons_like(n, rng):
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]
    y = [1.0 if x0 * x1 > 0 else -1.0 for x0, x1 in X]
    return X, y


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp_loss_and_grads_equal_eager_over_training_steps(activation):
    from micrograd_plus.nn import MLP

    rng = random.Random(0)
    model = MLP(2, [8, 8, 1], activation=activation, seed=1)
    loss = hinge_l2_loss(model)
    fast = compile(loss)
    params = model.parameters()
    for _ in range(4):
        X, y = moons_like(12, rng)
        assert_matches_eager(loss, fast, params, X, y)
        _, grads = value_and_grads(fast, params, X, y)
        for p, g in zip(params, grads):  # an optimizer step: new weights are read next call
            p.data -= 0.1 * g
    assert fast.traces == 1


def test_backward_adds_into_grad_like_eager():
    from micrograd_plus.nn import MLP

    model = MLP(2, [4, 1], seed=3)
    loss = hinge_l2_loss(model)
    X, y = moons_like(5, random.Random(1))
    model.zero_grad()
    loss(X, y).backward()
    loss(X, y).backward()
    eager = [p.grad for p in model.parameters()]
    model.zero_grad()
    fast = compile(loss)
    out = fast(X, y)
    out.backward()
    fast(X, y).backward()
    for c, e in zip([p.grad for p in model.parameters()], eager):
        assert_close(c, e)


def test_batch_size_changes_retrace_and_stay_equal():
    from micrograd_plus.nn import MLP

    model = MLP(2, [5, 1], seed=2)
    loss = hinge_l2_loss(model)
    fast = compile(loss)
    rng = random.Random(2)
    for n in [7, 3, 7, 1, 3]:
        X, y = moons_like(n, rng)
        assert_matches_eager(loss, fast, model.parameters(), X, y)
    assert fast.traces == 3


def test_cache_keeps_only_the_latest_structures():
    calls = []
    w = Value(0.5)

    def fn(xs):
        calls.append(len(xs))
        return sum_values([w * x for x in xs])

    fast = compile(fn, cache_size=2)
    for n in [1, 2, 1, 3, 1, 2]:
        assert_close(fast([1.0] * n).data, 0.5 * n)
    assert calls == [1, 2, 3, 2]  # 2 was evicted by 3 (1 stayed recent)


def test_mlp_grads_match_torch_float64():
    torch = pytest.importorskip("torch")
    from micrograd_plus.nn import MLP

    model = MLP(3, [6, 1], seed=4)
    X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-1.0, -2.0, 0.5]]
    y = [1.0, -1.0, 1.0]
    out = compile(hinge_l2_loss(model))(X, y)
    model.zero_grad()
    out.backward()
    layers = model.layers
    Ws = [torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                       requires_grad=True) for layer in layers]  # fmt: skip
    bs = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
          for layer in layers]  # fmt: skip
    h = torch.tensor(X, dtype=torch.float64)
    h = torch.relu(h @ Ws[0].T + bs[0])
    scores = (h @ Ws[1].T + bs[1]).squeeze(1)
    t = torch.tensor(y, dtype=torch.float64)
    reg = sum((W * W).sum() for W in Ws) + sum((b * b).sum() for b in bs)
    total = torch.relu(1 - t * scores).mean() + 1e-4 * reg
    total.backward()
    assert_close(out.data, total.item())
    for layer, W, b in zip(layers, Ws, bs):
        for i, n in enumerate(layer.neurons):
            for j, w in enumerate(n.w):
                assert_close(w.grad, W.grad[i, j].item())
            assert_close(n.b.grad, b.grad[i].item())


def test_fit_with_compile_trains_moons_like_eager():
    from micrograd_plus.data import make_moons
    from micrograd_plus.losses import hinge_loss
    from micrograd_plus.nn import MLP
    from micrograd_plus.optim import SGD
    from micrograd_plus.train import fit

    X, y = make_moons(60, noise=0.1, seed=0)
    y = [2.0 * t - 1.0 for t in y]
    histories = []
    for compiled in (False, True):
        model = MLP(2, [8, 8, 1], seed=0)
        opt = SGD(model.parameters(), lr=0.1)
        history = fit(model, hinge_loss, opt, X, y, epochs=15, batch_size=25, seed=0,
                      progress=False, compile=compiled)  # fmt: skip
        histories.append(history)
    eager, fast = histories
    for a, b in zip(eager.train["loss"], fast.train["loss"]):
        assert b == pytest.approx(a, rel=1e-8)
    assert fast.train["accuracy"][-1] == pytest.approx(eager.train["accuracy"][-1])
    assert eager.train["accuracy"][-1] > 0.8


# --- random graphs of every op in the table ---------------------------------------------


def _positive(v: Value) -> Value:
    """A Value in (0.5, 1.5): inside the domain of log, sqrt, division and powers."""
    return v.sigmoid() + 0.5


def _apply(name: str, operands: list[Value], rng: random.Random) -> Value:
    """One node of op ``name``, with operands kept inside its domain."""
    prim = PRIMITIVES[name]
    if prim.arity == VARIADIC:
        chosen = tuple(operands[: rng.randint(1, len(operands))])
        if name == "take":  # a constant index here; integer inputs are tested below
            chosen = (Value(float(rng.randrange(len(chosen)))), *chosen)
        return engine._apply_n(name, chosen)
    args: list = []
    for j in range(prim.arity):
        v = operands[j].tanh()  # keep magnitudes small, signs mixed
        if name == "stop_gradient":
            args.append(v)
        elif j in prim.const_inputs:
            args.append(rng.choice([0.5, 2.0, 3.0, -1.5]) if name != "leaky_relu" else 0.05)
        elif name in ("+", "-", "*", "neg", "abs", "relu", "leaky_relu", "tanh", "sigmoid",
                      "exp", "sin", "cos"):  # fmt: skip
            args.append(v * 2.0)
        else:  # log, sqrt, /, **, pow, and any op added later
            args.append(_positive(v))
    if prim.arity == 1:
        return engine._apply1(name, args[0])
    return engine._apply2(name, *args)


def random_graph(seed: int, n_params=4):
    """Parameters and a function of two input lists that uses every op of the table."""
    rng = random.Random(seed)
    params = [Value(rng.uniform(-1, 1), label=f"p{i}") for i in range(n_params)]
    names = list(PRIMITIVES) * 3
    rng.shuffle(names)
    shape = [(name, [rng.randrange(10**6) for _ in range(4)]) for name in names]
    chosen_ops: set[str] = set()

    def fn(xs, ys):
        pool = params + [x if isinstance(x, Value) else Value(x) for x in xs + ys]
        for name, picks in shape:
            operands = [pool[k % len(pool)] for k in picks]
            pool.append(_apply(name, operands, rng_for_call(picks)))
            chosen_ops.add(name)
        return sum_values(pool[len(params) :]) + pool[-1] * pool[-2]

    return params, fn, chosen_ops


def rng_for_call(picks):
    return random.Random(picks[0])  # the same choices at every call of fn


@pytest.fixture(params=["auto", "numpy", "floats"])
def replay(request, monkeypatch):
    """How groups run: as planned, all as NumPy calls, or all on Python floats."""
    from micrograd_plus.compiler import tape as _tape

    if request.param == "numpy":
        monkeypatch.setattr(_tape, "NUMPY_GROUP_COST", 0)
    elif request.param == "floats":
        monkeypatch.setattr(_tape, "NUMPY_GROUP_COST", math.inf)
    return request.param


def group_kinds(fast) -> set[str]:
    return {type(group).__name__ for group in fast.last_tape.groups}


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_of_every_op_equal_eager(seed, replay):
    params, fn, used = random_graph(seed)
    fast = compile(fn)
    rng = random.Random(100 + seed)
    for _ in range(3):
        xs = [rng.uniform(-2, 2) for _ in range(3)]
        ys = [rng.uniform(-2, 2) for _ in range(2)]
        assert_matches_eager(fn, fast, params, xs, ys)
        for p in params:
            p.data += rng.uniform(-0.3, 0.3)
    assert used == set(PRIMITIVES)
    assert fast.traces == 1


def test_an_op_without_a_numpy_forward_uses_the_float_path(monkeypatch):
    import dataclasses

    from micrograd_plus import ops

    tanh = dataclasses.replace(ops.PRIMITIVES["tanh"], numpy_forward=None)
    monkeypatch.setitem(ops.PRIMITIVES, "tanh", tanh)
    params, fn, _ = random_graph(7)
    fast = compile(fn)
    assert_matches_eager(fn, fast, params, [0.3, -1.2, 2.0], [0.7, -0.1])


def test_shared_subexpressions_and_repeated_operands():
    a, b = Value(0.7), Value(-1.3)

    def fn(xs):
        s = a * xs[0] + b  # used three times: stays a node of its own
        t = s * s + s.relu() - (a * a) * (b + b) + abs(s)
        return sum_values([t, t * xs[1], -t])

    fast = compile(fn)
    for xs in ([1.0, 2.0], [-3.0, 0.5], [0.25, -4.0]):
        assert_matches_eager(fn, fast, [a, b], xs)


# --- what is read at each call -----------------------------------------------------------


def test_values_held_outside_fn_are_read_at_each_call():
    scale = Value(2.0)
    fast = compile(lambda x: scale * x)
    assert fast(3.0).data == 6.0
    scale.data = -1.0
    out = fast(3.0)
    assert out.data == -3.0
    out.backward()
    assert scale.grad == 3.0


def test_constants_made_while_tracing_are_correct_at_later_calls():
    w = Value(1.5)
    fast = compile(lambda x: (w * x + 1.0) * 0.5 - 2.0)
    for x in (1.0, -4.0, 10.0):
        assert_close(fast(x).data, (1.5 * x + 1.0) * 0.5 - 2.0)


def test_ragged_and_scalar_arguments():
    w = Value(0.5)

    def fn(rows, c):
        return sum_values([w * x for row in rows for x in row]) * c

    fast = compile(fn)
    assert_matches_eager(fn, fast, [w], [[1.0, 2.0], [3.0]], 2.0)
    assert_matches_eager(fn, fast, [w], [[4.0, -2.0], [1.0]], -1.0)
    assert fast.traces == 1
    assert_matches_eager(fn, fast, [w], [[4.0, -2.0], [1.0]], -1)  # an int: an integer input
    assert fast.traces == 2


def test_several_outputs():
    w = Value(0.5)
    fast = compile(lambda x: [w * x, (w * x).exp()])
    first, second = fast(2.0)
    assert isinstance(first, CompiledResult)
    assert_close(second.data, math.exp(1.0))
    second.backward()
    assert_close(w.grad, 2.0 * math.exp(1.0))


def test_under_no_grad_backward_changes_nothing():
    w = Value(0.5)
    fast = compile(lambda x: w * x)
    with no_grad():
        out = fast(4.0)
    assert out.data == 2.0
    out.backward()
    assert w.grad == 0.0


def test_decorator_forms():
    w = Value(2.0)

    @compile
    def double(x):
        return w * x

    @compile(cache_size=1)
    def triple(x):
        return 3 * w * x

    assert double(1.5).data == 3.0
    assert triple(1.0).data == 6.0
    assert double.__name__ == "double"


# --- control flow ----------------------------------------------------------------------


def branchy_fn(w):
    def fn(x):
        h = w * x
        if h > 0:  # Python control flow on a traced Value
            return h.exp()
        return -h

    return fn


def test_a_changed_branch_retraces_and_stays_equal():
    w = Value(1.0)
    fn = branchy_fn(w)
    fast = compile(fn)
    for x in (1.0, 2.0, -1.0, -3.0, 0.5):
        assert_matches_eager(fn, fast, [w], x)
    assert fast.traces == 2  # one per branch; both stay cached


def test_a_changed_branch_can_raise_naming_the_line():
    w = Value(1.0)
    fast = compile(branchy_fn(w), on_guard_failure="raise")
    fast(1.0)
    with pytest.raises(GuardError, match=r"test_compile\.py:\d+: if h > 0"):
        fast(-1.0)


def test_bool_of_a_traced_value_is_guarded():
    def fn(x):
        return x * 2.0 if x else x + 5.0

    fast = compile(fn)
    assert fast(3.0).data == 6.0
    assert fast(0.0).data == 5.0
    assert fast(1.0).data == 2.0


def test_a_parameter_changing_the_branch_is_noticed():
    w = Value(1.0)
    fn = branchy_fn(w)
    fast = compile(fn)
    fast(2.0)
    w.data = -1.0  # now h < 0 for the same input
    assert_matches_eager(fn, fast, [w], 2.0)


# --- errors ------------------------------------------------------------------------------


def test_domain_errors_are_raised_like_eager():
    fast = compile(lambda x: x.log())
    assert_close(fast(2.0).data, math.log(2.0))
    with pytest.raises(ValueError, match="log"):
        fast(-1.0)
    fast_div = compile(lambda x, y: x / y)
    with pytest.raises(ZeroDivisionError):
        fast_div(1.0, 0.0)


@pytest.mark.parametrize("bad", ["abc", [1.0, "x"], {"a": 1}, None])
def test_arguments_that_are_not_numbers_are_rejected(bad):
    fast = compile(lambda x: Value(1.0) * 2.0)
    with pytest.raises(TypeError, match="argument 0"):
        fast(bad)


def test_value_arguments_are_rejected():
    fast = compile(lambda x: x * 2.0)
    with pytest.raises(TypeError, match="holds a Value"):
        fast(Value(1.0))
    with pytest.raises(TypeError, match="holds a Value"):
        fast([Value(1.0), 2.0])


def test_fn_must_return_values():
    with pytest.raises(TypeError, match="must return a Value"):
        compile(lambda x: 3.0)(1.0)


def test_create_graph_is_refused():
    out = compile(lambda x: x * x)(1.0)
    with pytest.raises(ValueError, match="create_graph"):
        out.backward(create_graph=True)


def test_bad_options():
    with pytest.raises(TypeError, match="callable"):
        compile(3)
    with pytest.raises(ValueError, match="cache_size"):
        compile(lambda x: x, cache_size=0)
    with pytest.raises(ValueError, match="on_guard_failure"):
        compile(lambda x: x, on_guard_failure="ignore")


def test_tracing_restores_the_engine_state():
    def fails(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        compile(fails)(1.0)
    assert engine.comparison_hook() is None
    assert engine.is_grad_enabled()


# --- narrow graphs: Python floats instead of NumPy calls --------------------------------


def deep_chain(length: int):
    w, c = Value(0.9, label="w"), Value(0.1, label="c")

    def fn(x):
        for _ in range(length):
            x = (w * x + c).tanh()
        return x

    return fn, [w, c]


def test_a_deep_chain_runs_on_floats_and_equals_eager():
    fn, params = deep_chain(300)
    fast = compile(fn)
    rng = random.Random(5)
    for _ in range(4):
        assert_matches_eager(fn, fast, params, rng.uniform(-2, 2))
        for p in params:
            p.data += rng.uniform(-0.2, 0.2)
    assert group_kinds(fast) == {"FloatSegment"}
    assert fast.traces == 1


def test_a_wide_graph_with_a_narrow_tail_mixes_numpy_and_floats():
    from micrograd_plus.nn import MLP

    model = MLP(2, [8, 8, 1], seed=6)
    tail, tail_params = deep_chain(20)

    def fn(X, y):
        return tail(hinge_l2_loss(model)(X, y))

    fast = compile(fn)
    params = model.parameters() + tail_params
    rng = random.Random(6)
    for _ in range(3):
        assert_matches_eager(fn, fast, params, *moons_like(30, rng))
        for p in params:
            p.data += rng.uniform(-0.05, 0.05)
    assert {"FloatSegment", "MatmulGroup", "MapGroup"} <= group_kinds(fast)


def test_the_float_or_numpy_plan_is_the_cheapest():
    import itertools

    from micrograd_plus.compiler import tape as _tape

    def cost(plan, works):
        total, previous = 0.0, False
        for floats, work in zip(plan, works):
            total += work if floats else _tape.NUMPY_GROUP_COST
            total += _tape.FLOAT_SEGMENT_COST if floats and not previous else 0
            previous = floats
        return total

    rng = random.Random(7)
    for _ in range(200):
        works = [rng.choice([1, 2, 5, 12, 20, 30, 100]) for _ in range(rng.randint(1, 7))]
        best = min(
            cost(plan, works) for plan in itertools.product([False, True], repeat=len(works))
        )
        assert cost(_tape._cheapest_plan(works), works) == best, works


# --- where eager raises, compiled raises the same error --------------------------------------


def eager_error(fn, *args, backward=False):
    with pytest.raises(Exception) as info:
        out = fn(*args)
        if backward:
            out.backward()
    return info.value


FORWARD_ERRORS = {
    "log of a negative number": (lambda v: v.log(), -1.0),
    "sqrt of a negative number": (lambda v: v.sqrt(), -4.0),
    "division by zero": (lambda v: 1.0 / v, 0.0),
    "0 ** negative": (lambda v: v**-1.0, 0.0),
    "negative ** fraction": (lambda v: v**0.5, -2.0),
    "sin of infinity": (lambda v: v.sin(), math.inf),
}


@pytest.mark.parametrize("case", FORWARD_ERRORS)
def test_forward_domain_errors_are_eagers(case, replay):
    op, bad = FORWARD_ERRORS[case]
    w = Value(1.0)

    def fn(xs):
        return sum_values([op(w * x) for x in xs])

    fast = compile(fn)
    fast([2.0, 3.0, 0.5])
    expected = eager_error(fn, [2.0, bad, 0.5])
    with pytest.raises(type(expected)) as info:
        fast([2.0, bad, 0.5])
    assert str(info.value) == str(expected)


INFINITE_GRADIENTS = {
    "sqrt at 0": lambda v: v.sqrt(),
    "v ** 0.5 at 0": lambda v: v**0.5,
    "v ** Value(0.5) at 0": lambda v: v ** Value(0.5),
}


@pytest.mark.parametrize("case", INFINITE_GRADIENTS)
def test_an_infinite_gradient_raises_like_eager_and_leaves_grads_alone(case, replay):
    op = INFINITE_GRADIENTS[case]
    w = Value(1.0)

    def fn(xs):
        return sum_values([op(w * x) for x in xs])

    fast = compile(fn)
    fast([1.0, 2.0]).backward()
    w.grad = 0.25
    expected = eager_error(fn, [1.0, 0.0, 4.0], backward=True)
    assert isinstance(expected, ZeroDivisionError)
    out = fast([1.0, 0.0, 4.0])
    assert out.data == pytest.approx(fn([1.0, 0.0, 4.0]).data)
    with pytest.raises(ZeroDivisionError) as info:
        out.backward()
    assert str(info.value) == str(expected)
    assert w.grad == 0.25


def test_the_exponent_gradient_at_a_zero_base_is_eagers(replay):
    w, e = Value(1.0), Value(2.0)

    def fn(xs):
        # d/de = out * log(base): 0 where the base is 0, masked as in PyTorch (not 0 * -inf)
        return sum_values([(w * x) ** e for x in xs])

    fast = compile(fn)
    fast([1.0, 2.0])
    _, eager = value_and_grads(fn, [w, e], [0.0, 3.0])
    _, compiled = value_and_grads(fast, [w, e], [0.0, 3.0])
    assert eager[1] == pytest.approx(9.0 * math.log(3.0))
    assert_close(compiled, eager)


# --- what tracing freezes (documented in compile's docstring) --------------------------------


def test_numbers_read_from_data_are_frozen_at_trace_time():
    w = Value(2.0)
    fast = compile(lambda x: x * w.data + w)  # w.data is a plain number: a constant
    fast(1.0)
    w.data = 5.0
    assert fast(1.0).data == 2.0 + 5.0  # the Value w is read again, w.data is not


def test_batchnorm_batch_statistics_are_traced_but_running_statistics_freeze():
    from micrograd_plus.nn import BatchNorm1d

    bn = BatchNorm1d(1)

    def fn(X):
        return sum_values([row[0] * row[0] for row in bn.forward_batch(X)])

    fast = compile(fn)
    fast([[1.0], [3.0]])
    after_trace = list(bn.running_mean)
    for X in ([[0.0], [10.0]], [[-2.0], [7.0], [1.0]]):
        assert_close(fast(X).data, fn(X).data)  # eager: the same batch normalisation
    bn.running_mean[:] = after_trace
    fast([[0.0], [10.0]])
    assert bn.running_mean == after_trace  # no update at a replayed call


# --- has_aux -------------------------------------------------------------------------------


def scores_and_loss(model):
    """(loss, aux) with aux nested: the scores, a hidden pre-activation, a number, an input."""

    def fn(X, y):
        scores = [model(x) for x in X]
        loss = hinge_l2_loss(model)(X, y)
        hidden = model.layers[0].neurons[0](X[0])
        return loss, (scores, [hidden, 2.5, [X[0][1], loss]])

    return fn


def eager_aux(aux):
    if isinstance(aux, Value):
        return aux.data
    if isinstance(aux, (list, tuple)):
        return type(aux)(eager_aux(x) for x in aux)
    return float(aux)


def assert_same_structure_and_close(compiled, eager):
    if isinstance(eager, (list, tuple)):
        assert type(compiled) is type(eager) and len(compiled) == len(eager)
        for c, e in zip(compiled, eager):
            assert_same_structure_and_close(c, e)
    else:
        assert type(compiled) is float
        assert compiled == pytest.approx(eager, rel=1e-12, abs=1e-15)


def test_has_aux_returns_the_eager_aux_floats_from_the_same_replay():
    from micrograd_plus.nn import MLP
    from micrograd_plus.optim import SGD

    rng = random.Random(3)
    model = MLP(2, [6, 1], seed=2)
    fn = scores_and_loss(model)
    fast = compile(fn, has_aux=True)
    params = model.parameters()
    optimizer = SGD(params, lr=0.1)
    for _ in range(4):  # new inputs and new parameters at every call
        X, y = moons_like(7, rng)
        for p in params:
            p.grad = 0.0
        loss, aux = fn(X, y)
        loss.backward()
        eager_loss, eager_grads_ = loss.data, [p.grad for p in params]
        eager_values = eager_aux(aux)
        for p in params:
            p.grad = 0.0
        result, aux_floats = fast(X, y)
        assert isinstance(result, CompiledResult)
        assert_same_structure_and_close(aux_floats, eager_values)
        assert_close(result.data, eager_loss, "loss")
        result.backward()
        for i, (c, e) in enumerate(zip([p.grad for p in params], eager_grads_)):
            assert_close(c, e, f"grad of parameter {i}")
        optimizer.step()
    assert fast.traces == 1


def test_has_aux_with_a_single_value_or_number_and_a_list_of_results():
    a = Value(1.5)

    @compile(has_aux=True)
    def fn(x):
        y = (a * x).tanh()
        return [y, y * x], y.exp()

    for x in (0.3, -1.2):
        (first, second), aux = fn(x)
        y = math.tanh(a.data * x)
        assert_close(first.data, y)
        assert_close(second.data, y * x)
        assert aux == pytest.approx(math.exp(y), rel=1e-12)
    assert compile(lambda x: (x * a, 7), has_aux=True)(2.0)[1] == 7.0


def test_has_aux_refuses_anything_but_a_pair_and_plain_compile_refuses_a_tuple():
    x_times = Value(2.0)
    with pytest.raises(
        TypeError, match=r"has_aux=True must return a pair \(loss, aux\), got Value"
    ):
        compile(lambda x: x * x_times, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="a pair .* got a tuple of 3"):
        compile(lambda x: (x, x, x), has_aux=True)(1.0)
    with pytest.raises(TypeError, match=r"aux\[1\] .* got dict"):
        compile(lambda x: (x * x_times, [x, {"k": x}]), has_aux=True)(1.0)
    with pytest.raises(TypeError, match="returned a tuple of 2.*has_aux=True"):
        compile(lambda x: (x * x_times, [x]))(1.0)
    with pytest.raises(TypeError, match="has_aux must be True or False"):
        compile(lambda x: x, has_aux="yes")


def test_both_numbering_walks_give_the_same_numbers_and_put_every_grad_back():
    from micrograd_plus.compiler import graph
    from micrograd_plus.nn import MLP

    model = MLP(2, [4, 3, 1], seed=3)
    X, y = moons_like(6, random.Random(3))
    loss = hinge_l2_loss(model)(X, y)
    shared = model.parameters()[0] * 2.0  # a second top sharing a leaf
    for i, p in enumerate(model.parameters()):
        p.grad = 0.5 * i  # earlier grads the walks must leave as they were
    before = [p.grad for p in model.parameters()]
    tops = [loss, shared, model.parameters()[1]]  # an inner node, a product, a leaf
    walks = [graph._number_recursively(tops), graph._number_iteratively(tops)]
    recursive, iterative = ([list(part) for part in walk[:3]] for walk in walks)
    assert recursive == iterative
    assert list(walks[0][3].values()) == list(walks[1][3].values())
    assert walks[0][4] == walks[1][4]
    assert [p.grad for p in model.parameters()] == before
    assert loss.grad == 0.0 and shared.grad == 0.0


def test_a_graph_deeper_than_the_recursion_limit_is_numbered_iteratively(monkeypatch):
    import sys

    from micrograd_plus.compiler import graph

    walked = []
    iteratively = graph._number_iteratively
    monkeypatch.setattr(
        graph, "_number_iteratively", lambda tops: walked.append(1) or iteratively(tops)
    )
    length = sys.getrecursionlimit() + 200
    fn, params = deep_chain(length)
    fast = compile(fn)
    assert_matches_eager(fn, fast, params, 0.3)
    assert walked and fast.last_tape.n_nodes > length
