"""compile's replay internals: weights read as views, biases added directly, ufuncs writing
in place, arrays reused across calls. Each path is checked against eager's numbers."""

import math

import numpy as np
import pytest

from micrograd_plus import losses, nn
from micrograd_plus.compiler import compile
from micrograd_plus.compiler.vectorised import ONE_SLOT, MapGroup, MatmulGroup
from micrograd_plus.engine import Value, sum_values

from .test_compile import ABS, REL, assert_matches_eager, value_and_grads


def close(a, b):
    return a == pytest.approx(b, rel=REL, abs=ABS)


def moons_batch(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return X, y


def demo_loss(model):
    def loss(X, y):
        return losses.hinge_loss(model.forward_batch(X), y) + 1e-4 * losses.l2_penalty(model)

    return loss


def test_mlp_layers_read_their_weights_as_views_and_add_the_bias_directly():
    model = nn.MLP(2, [8, 8, 1], seed=3)
    params = model.parameters()
    loss = demo_loss(model)
    fast = compile(loss)
    X, y = moons_batch(40)
    for _ in range(3):  # equal to eager across SGD steps (parameters re-read each call)
        assert_matches_eager(loss, fast, params, X, y)
        out = loss(X, y)
        for p in params:
            p.grad = 0.0
        out.backward()
        for p in params:
            p.data -= 0.1 * p.grad
    tape = fast.last_tape
    layers = [
        g
        for g in tape.groups
        if isinstance(g, MatmulGroup) and g.R == 40 and tape.live_lo <= g.a.lo < tape.live_hi
    ]
    assert [layer.K for layer in layers] == [8, 8, 1]
    for layer in layers:
        assert layer.a.is_view and layer.b.is_view  # no gather of weights or activations
        assert [s for _, s, _, _ in layer.bias] == [ONE_SLOT]  # X @ W.T + b, no column of 1s


def test_parameters_are_laid_out_in_the_order_of_parameters():
    """Each layer's weights, neuron by neuron and bias last, form one block of slots."""
    model = nn.MLP(3, [4, 2, 1], seed=1)
    fast = compile(demo_loss(model))
    fast(np.ones((5, 3)), np.ones(5))
    assert [id(v) for v in fast.last_tape.live] == [id(p) for p in model.parameters()]


def test_a_column_shared_by_every_row_is_broadcast_with_its_gradient():
    """w_k . x_r + v_k * t + b_k: the column of t (a parameter, one slot in every row)
    is added as a row vector, and t's gradient is the sum over every node."""
    rng = np.random.default_rng(2)
    W = [[Value(float(rng.normal())) for _ in range(3)] for _ in range(4)]
    v = [Value(float(rng.normal())) for _ in range(4)]
    b = [Value(float(rng.normal())) for _ in range(4)]
    t = Value(0.7)
    params = [p for row in W for p in row] + v + b + [t]

    def fn(X):
        outs = []
        for x in X:
            for w_k, v_k, b_k in zip(W, v, b):
                terms = [wi * xi for wi, xi in zip(w_k, x)]
                outs.append(sum_values([*terms, v_k * t, b_k]).relu())
        return sum_values(outs)

    fast = compile(fn)
    X = rng.normal(size=(6, 3))
    assert_matches_eager(fn, fast, params, X)
    group = next(g for g in fast.last_tape.groups if isinstance(g, MatmulGroup) and g.R == 6)
    assert len(group.bias) == 2  # the column of t and the column of 1s
    t.data = -1.3  # read again at the next call
    assert_matches_eager(fn, fast, params, X)


def test_relu_writes_in_place_and_keeps_eagers_nan_and_signed_zero():
    w = Value(1.0)

    def fn(xs):
        return sum_values([(w * x).relu() * (k + 1) for k, x in enumerate(xs)])

    fast = compile(fn)
    xs = [-0.0, -2.0, 0.0, 3.0, 1e-300] * 8
    assert_matches_eager(fn, fast, [w], xs)
    assert any(isinstance(g, MapGroup) and g.writes_out for g in fast.last_tape.groups)
    nan_in = [math.nan, *xs[1:]]
    assert math.isnan(fast(nan_in).data) and math.isnan(fn(nan_in).data)


def test_reused_arrays_carry_nothing_over_between_calls():
    model = nn.MLP(2, [6, 1], seed=5)
    params = model.parameters()
    loss = demo_loss(model)
    fast = compile(loss)
    batches = [moons_batch(30, seed) for seed in range(4)]
    first = fast(*batches[0])
    second = fast(*batches[1])  # the first result is alive: a second array
    tape = fast.last_tape
    for p in params:
        p.grad = 0.0
    first.backward()  # the first call's values, not the second's
    grads = [p.grad for p in params]
    assert close(first.data, loss(*batches[0]).data)
    assert close(second.data, loss(*batches[1]).data)
    assert grads == pytest.approx(value_and_grads(loss, params, *batches[0])[1], rel=REL, abs=ABS)
    del first, second
    assert len(tape._vals_pool) == 2  # both arrays came back
    for X, y in batches[2:] + batches[:2]:  # replays on reused arrays equal eager
        assert_matches_eager(loss, fast, params, X, y)


def test_a_failed_replay_leaves_the_next_call_correct():
    a = Value(2.0)

    def fn(xs):
        return sum_values([(a * x).log() for x in xs])

    fast = compile(fn)
    good, bad = [1.0, 2.0, 3.0] * 6, [1.0, -2.0, 3.0] * 6
    assert close(fast(good).data, fn(good).data)
    with pytest.raises(ValueError, match="log"):
        fast(bad)
    assert_matches_eager(fn, fast, [a], good)


@pytest.fixture
def poisoned_gradients(monkeypatch):
    """Every backward gets a gradient array full of NaN instead of a reused one: a slot
    the replay reads without having written or zeroed it shows up as a NaN gradient."""
    from micrograd_plus.compiler.tape import Tape

    leaf_grads = Tape.leaf_grads

    def poisoned(self, vals, saved, root):
        self._grad_pool[:] = [np.full(self.size, np.nan)]
        return leaf_grads(self, vals, saved, root)

    monkeypatch.setattr(Tape, "leaf_grads", poisoned)


@pytest.mark.parametrize("group_cost", [None, 0, math.inf])  # as planned, all NumPy, all floats
def test_gradients_assigned_in_place_leave_no_slot_unwritten(
    poisoned_gradients, monkeypatch, group_cost
):
    """Slots whose first contribution is assigned skip the zeroing: every other slot
    read is zeroed, whatever the array held (random graphs of every op, an MLP)."""
    from micrograd_plus.compiler import tape as _tape

    from .test_compile import random_graph

    if group_cost is not None:
        monkeypatch.setattr(_tape, "NUMPY_GROUP_COST", group_cost)
    for seed in range(3):
        params, fn, _ = random_graph(seed)
        fast = compile(fn)
        for xs, ys in (([0.3, -1.2, 2.0], [0.7, -0.1]), ([-0.4, 0.0, 1.5], [2.0, -0.3])):
            assert_matches_eager(fn, fast, params, xs, ys)
    model = nn.MLP(2, [8, 8, 1], seed=2)
    loss = demo_loss(model)
    fast = compile(loss)
    for seed in range(3):  # different data at each call: nothing stale from the last one
        assert_matches_eager(loss, fast, model.parameters(), *moons_batch(50, seed))


def test_an_mlp_backward_assigns_most_gradients_and_zeroes_few_slots():
    model = nn.MLP(2, [8, 8, 1], seed=2)
    fast = compile(demo_loss(model))
    fast(*moons_batch(200))
    tape = fast.last_tape
    zeroed = sum(hi - lo for lo, hi in tape._zero)
    assert zeroed < 0.05 * tape.size  # not the whole array, as a += into zeros would need
    layers = [
        g
        for g in tape.groups
        if isinstance(g, MatmulGroup) and g.R == 200 and tape.live_lo <= g.a.lo < tape.live_hi
    ]
    # the weight gradients of the layers that run before the L2 term's (which adds into all)
    assert [layer.a_grad.assign for layer in layers] == [False, True, True]
    relus = [g for g in tape.groups if isinstance(g, MapGroup) and g.numpy_vjp is not None]
    assert relus and all(g.grads[0].assign for g in relus)  # relu's rule writes into G


def test_each_of_several_results_gets_its_own_gradient(poisoned_gradients):
    """Backward from one result, then the other: the roots are zeroed, not assumed."""
    w = Value(0.5)

    def fn(xs):
        h = [(w * x).relu() for x in xs]
        first = sum_values(h)
        return [first, first * sum_values([v * v for v in h])]

    fast = compile(fn)
    xs = [1.0, -2.0, 3.0, 0.5] * 4
    for k in range(2):
        for p in (w,):
            p.grad = 0.0
        fn(xs)[k].backward()
        eager = w.grad
        w.grad = 0.0
        fast(xs)[k].backward()
        assert close(w.grad, eager)
