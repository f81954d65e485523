"""compile() on the inputs real code passes: integer inputs (class indices, token ids),
NumPy arrays, micrograd's Value(...)-wrapped inputs, and values recomputed at every
call (detach, the softmax shift) instead of frozen at trace time."""

import numbers

import numpy as np
import pytest

from micrograd_plus import losses, nn
from micrograd_plus.compiler import compile
from micrograd_plus.data import make_moons
from micrograd_plus.engine import Value, max_values, min_values, sum_values, take

from .test_compile import assert_close, assert_matches_eager


def micrograd_demo_loss(model):
    """micrograd's demo.ipynb loss, as written there (inputs wrapped in Value)."""

    def loss(Xb, yb):
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        data_losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(data_losses) * (1.0 / len(data_losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    return loss


def test_micrograd_demo_loss_with_value_wrapped_inputs_compiles_and_equals_eager():
    X, y01 = make_moons(n_samples=40, noise=0.1, seed=3)
    X, y = np.array(X), np.array(y01) * 2 - 1  # as the demo: numpy arrays, int labels
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    loss = micrograd_demo_loss(model)
    fast = compile(loss)
    params = model.parameters()
    for step in range(3):
        Xb, yb = X[step * 10 : step * 10 + 20], y[step * 10 : step * 10 + 20]
        assert_matches_eager(loss, fast, params, Xb, yb)
        for p in params:
            p.data -= 0.05 * (p.data - 0.1)
    assert fast.traces == 1


def test_int_arguments_reach_fn_as_integers_and_floats_as_values():
    seen = {}

    def fn(i, xs, ks):
        seen.update(i=i, x=xs[0], k=ks[0])
        return xs[0] * i + xs[1]

    fast = compile(fn)
    assert fast(3, [0.5, 1.0], np.array([1, 2])).data == 2.5
    assert isinstance(seen["i"], numbers.Integral) and not isinstance(seen["i"], Value)
    assert isinstance(seen["k"], numbers.Integral)
    assert isinstance(seen["x"], Value)
    assert fast(-2, [0.5, 1.0], np.array([4, 5])).data == 0.0  # the int is read at every call
    assert fast.traces == 1


def test_cross_entropy_with_int_class_indices_traces_once_and_equals_eager():
    model = nn.MLP(4, [8, 3], seed=0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4)).tolist()

    def loss(Xb, yb):
        return losses.cross_entropy(model.forward_batch(Xb), yb)

    fast = compile(loss)
    for yb in ([0, 2, 1, 1, 0, 2], [2, 2, 2, 0, 1, 1], np.array([1, 0, 2, 2, 0, 1])):
        assert_matches_eager(loss, fast, model.parameters(), X, yb)
    assert fast.traces == 1
    with pytest.raises(ValueError, match="class index 1 is 3, but the row has 3 logits"):
        fast(X, [0, 3, 1, 1, 0, 2])


def test_softmax_shift_is_recomputed_at_every_call():
    # Traced near 0, replayed 800 away: a shift frozen at trace time gives inf / nan.
    def loss(row):
        return losses.cross_entropy([row], [0])

    fast = compile(loss)
    fast([0.0, 1.0])
    far = [800.0, 801.0]
    assert_close(fast(far).data, loss(far).data)
    assert fast(far).data == pytest.approx(1.3132616875182228)
    soft = compile(lambda row: losses.softmax(row)[1] + losses.log_softmax(row)[0])
    soft([0.0, 1.0])
    eager = losses.softmax(far)[1] + losses.log_softmax(far)[0]
    assert_close(soft([-900.0, -899.0]).data, eager.data)
    assert soft.traces == 1


def test_take_reads_the_index_at_every_call_and_scatters_the_gradient():
    values = [Value(v) for v in (0.5, -1.0, 2.0, 3.5)]

    def fn(i, j, x):
        return take(values, i) * x + take(values, j) * take(values, i)

    fast = compile(fn)
    for i, j, x in ((0, 1, 2.0), (2, 2, -1.0), (3, -1, 0.5), (-4, 0, 1.5)):
        assert_matches_eager(fn, fast, values, i, j, x)
    assert fast.traces == 1
    with pytest.raises(IndexError, match="take: index 4 is out of range for 4 values"):
        fn(4, 0, 1.0)
    with pytest.raises(IndexError, match="take: index 4 is out of range for 4 values"):
        fast(4, 0, 1.0)


def test_take_rejects_a_non_integer_index():
    with pytest.raises(TypeError, match="index must be an int"):
        take([Value(1.0)], 0.0)
    with pytest.raises(TypeError, match="index must be an int"):
        take([Value(1.0)], Value(0.0))


def test_a_token_model_with_embedding_traces_once_for_every_sequence():
    emb = nn.Embedding(6, 3, seed=4)
    head = nn.Linear(3, 6, seed=5)
    params = emb.parameters() + head.parameters()

    def next_token_loss(tokens, targets):
        rows = [head(emb(t)) for t in tokens]
        return losses.cross_entropy(rows, targets)

    fast = compile(next_token_loss)
    for tokens in ([1, 2, 3, 4], [5, 5, 0, 1], [0, 0, 0, 0]):
        targets = tokens[1:] + [2]
        assert_matches_eager(next_token_loss, fast, params, tokens, targets)
    assert fast.traces == 1
    with pytest.raises(IndexError, match="index 6 is out of range"):
        fast([1, 6, 0, 0], [0, 0, 0, 0])


def test_embedding_rows_parameters_and_errors():
    emb = nn.Embedding(4, 2, seed=0)
    assert emb(1) == emb.weight[1] and emb(1) is not emb.weight[1]
    assert len(emb.parameters()) == 8
    assert [n for n, _ in emb.named_parameters()][:3] == [
        "weight[0,0]",
        "weight[0,1]",
        "weight[1,0]",
    ]
    assert nn.Embedding(4, 2, seed=0).state_dict() == emb.state_dict()
    with pytest.raises(IndexError, match="out of range"):
        emb(4)
    with pytest.raises(TypeError, match="int index"):
        emb(1.0)
    with pytest.raises(ValueError, match="embedding_dim"):
        nn.Embedding(4, 0)


def test_detach_and_value_of_a_value_follow_the_data_at_replay():
    p = Value(2.0)
    fast = compile(lambda x: x * p.detach() + Value(x) * x)
    assert fast(3.0).data == 6.0 + 9.0
    p.data = 5.0
    assert fast(3.0).data == 15.0 + 9.0
    assert fast(4.0).data == 20.0 + 16.0
    out = fast(3.0)
    out.backward()
    assert p.grad == 0.0  # no gradient flows through detach or Value(p)


def test_value_of_a_value_is_eagers_type_error_outside_tracing():
    with pytest.raises(TypeError, match="expects a number, got a Value"):
        Value(Value(2.0))


def test_max_and_min_values_are_traced_with_the_first_extreme_taking_the_gradient():
    a, b, c = Value(1.0), Value(3.0), Value(3.0)
    top = max_values([a, b, c])
    top.backward()
    assert (top.data, a.grad, b.grad, c.grad) == (3.0, 0.0, 1.0, 0.0)  # first arg-max, as torch
    params = [a, b, c]

    def fn(xs):
        return max_values([a * xs[0], b, c * xs[1]]) - min_values([a, b * xs[0], c])

    fast = compile(fn)
    for xs in ([1.0, 1.0], [5.0, 0.5], [-2.0, 3.0], [0.1, 0.2]):
        assert_matches_eager(fn, fast, params, xs)
    assert fast.traces == 1


def test_max_values_matches_torch():
    torch = pytest.importorskip("torch")
    xs = [0.3, -1.2, 2.5, 2.5, 0.0]
    ours = [Value(x) for x in xs]
    (max_values(ours) * 2.0).backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    (t.max(dim=0).values * 2.0).backward()
    assert [v.grad for v in ours] == t.grad.tolist()


def test_numpy_arrays_equal_lists():
    w = [Value(0.5), Value(-0.25)]

    def fn(X):
        return sum_values([w[0] * x0 + w[1] * x1 for x0, x1 in X])

    X = np.random.default_rng(1).normal(size=(50, 2))
    fast = compile(fn)
    assert_close(fast(X).data, fn(X.tolist()).data)
    assert_close(fast(X.tolist()).data, fn(X.tolist()).data)
    assert fast.traces == 1  # an array and the same nested list share one trace


def test_hinge_and_bce_target_checks_hold_at_every_replay():
    hinge = compile(lambda s, y: losses.hinge_loss(s, y))
    assert hinge([0.5, -0.5], [1, -1]).data == pytest.approx(0.5)
    assert hinge([0.5, -0.5], [-1, -1]).data == pytest.approx(1.0)
    with pytest.raises(ValueError, match="targets must be -1 or \\+1, item 0 is 0"):
        hinge([0.5, -0.5], [0, 5])
    with pytest.raises(ValueError, match="targets must be -1 or \\+1"):
        hinge([0.5, -0.5], [1.0, 0.5])
    bce = compile(lambda p, t: losses.binary_cross_entropy(p, t))
    bce([0.5, 0.25], [1.0, 0.0])
    with pytest.raises(ValueError, match="targets must be in \\[0.0, 1.0\\], item 1 is 2.0"):
        bce([0.5, 0.25], [1.0, 2.0])
    with pytest.raises(ValueError, match="probabilities must be in"):
        bce([1.5, 0.25], [1.0, 0.0])
