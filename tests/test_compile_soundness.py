"""compile() never silently stale: Modules as arguments, closures and retrace(),
detect_anomaly in replays, threads, retrace warnings, fit(compile=True) for any model."""

import math
import threading
import warnings

import pytest

from micrograd_plus import losses, nn, optim
from micrograd_plus.compiler import compile
from micrograd_plus.engine import AnomalyError, Value, detect_anomaly, min_values, sum_values
from micrograd_plus.train import fit

from .test_compile import assert_close, assert_matches_eager


def test_a_module_argument_is_read_at_every_call_and_a_swapped_parameter_is_seen():
    model = nn.MLP(2, [3, 1], seed=0)

    def loss(m, X):
        return sum_values([m(x) for x in X])

    fast = compile(loss)
    X = [[0.5, -1.0], [2.0, 0.25]]
    assert_matches_eager(loss, fast, model.parameters(), model, X)
    model.layers[0].neurons[1].w[0] = Value(7.0)  # a new parameter object
    assert_matches_eager(loss, fast, model.parameters(), model, X)
    assert fast.traces == 2
    other = nn.MLP(2, [3, 1], seed=5)  # another model of the same shape
    assert_matches_eager(loss, fast, other.parameters(), other, X)


def test_a_closure_reads_values_by_reference_and_retrace_sees_a_replaced_one():
    box = {"w": Value(2.0)}
    fast = compile(lambda x: box["w"] * x)
    assert fast(3.0).data == 6.0
    box["w"].data = 4.0
    assert fast(3.0).data == 12.0  # the same object, new data: read at the call
    box["w"] = Value(10.0)  # a new object: documented as needing a retrace
    fast.retrace()
    assert fast(3.0).data == 30.0


def test_detect_anomaly_applies_to_replays_forward_and_backward():
    w = Value(1.0)
    fast = compile(lambda x: (w * x).exp() - (w * x).exp())
    fast(1.0)
    assert math.isnan(fast(1000.0).data)  # inf - inf, no error outside detect_anomaly
    with detect_anomaly(), pytest.raises(AnomalyError, match="NaN produced by"):
        fast(1000.0)
    # A finite forward whose backward makes 0 * inf in exp's rule: eager raises there too.
    capped = compile(lambda x: min_values([(w * x).exp(), Value(1.0)]))
    assert capped(1000.0).data == 1.0
    with detect_anomaly():
        eager = min_values([(w * 1000.0).exp(), Value(1.0)])
        with pytest.raises(AnomalyError, match="NaN gradient in the backward of 'exp'"):
            eager.backward()
        out = capped(1000.0)
        with pytest.raises(AnomalyError, match="NaN gradient in the backward of 'exp'"):
            out.backward()
    assert w.grad == 0.0  # nothing was added


def test_detect_anomaly_names_the_op_in_a_wide_replay():
    w = [Value(1.0), Value(2.0)]

    def fn(xs):
        return sum_values([(w[i % 2] * x).exp() * 0.0 for i, x in enumerate(xs)])

    fast = compile(fn)
    xs = [0.1] * 64
    fast(xs)
    with detect_anomaly(), pytest.raises(AnomalyError, match="NaN produced by '\\+' or '\\*'"):
        fast([1000.0] * 64)  # inf * 0 is NaN


def test_two_threads_calling_one_compiled_function_get_their_own_answers():
    w = Value(0.5)

    def fn(x):
        return (w * x).tanh() if x > 0 else (w * x).sigmoid()

    fast = compile(fn)
    errors, results = [], {}

    def worker(k):
        try:
            for i in range(60):
                x = (i % 7 - 3) * 0.5 + k * 0.01
                results[(k, i)] = (fast(x).data, fn(x).data)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for ours, eager in results.values():
        assert_close(ours, eager)


def test_a_flipping_branch_warns_after_warn_after_retraces_naming_the_line():
    w = Value(1.0)

    def fn(x):
        if w * x > 0:  # flips with the sign of x
            return w * x
        return -w * x

    fast = compile(fn, max_variants=1, warn_after=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(6):
            assert fast(1.0 if i % 2 else -1.0).data == 1.0
    messages = [str(c.message) for c in caught if c.category is RuntimeWarning]
    assert len(messages) == 1
    assert "guarded comparison keeps changing" in messages[0]
    assert "if w * x > 0" in messages[0]


def test_new_argument_structures_warn_separately():
    w = Value(1.0)
    fast = compile(lambda xs: w * sum_values(xs), warn_after=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for n in range(1, 6):
            fast([1.0] * n)
    messages = [str(c.message) for c in caught if c.category is RuntimeWarning]
    assert len(messages) == 1 and "different argument structures" in messages[0]


def _fit_both(model_factory, X, y, loss_fn, **kwargs):
    histories = []
    for compiled in (False, True):
        model = model_factory()
        opt = optim.SGD(model.parameters(), lr=0.1)
        history = fit(model, loss_fn, opt, X, y, epochs=2, batch_size=2, progress=False,
                      seed=0, compile=compiled, **kwargs)  # fmt: skip
        histories.append((history, [p.data for p in model.parameters()]))
    return histories


X3 = [[0.1, 0.2], [0.5, -0.3], [-0.7, 0.4], [0.9, 0.9], [-0.2, -0.8], [0.3, 0.6]]
Y3 = [0, 2, 1, 1, 0, 2]


def test_fit_compile_with_int_labels_for_a_sequential_ending_in_identity():
    def factory():
        return nn.Sequential(nn.Linear(2, 8, seed=1), nn.Tanh(), nn.Linear(8, 3, seed=2),
                             nn.Identity())  # fmt: skip

    (eager, p_eager), (compiled, p_compiled) = _fit_both(factory, X3, Y3, losses.cross_entropy)
    for a, b in zip(p_eager, p_compiled):
        assert_close(b, a)


class Wrapper:
    """A duck-typed model: callable, parameters(), nothing else."""

    def __init__(self):
        self.inner = nn.MLP(2, [4, 3], seed=3)

    def __call__(self, x):
        return self.inner(x)

    def parameters(self):
        return self.inner.parameters()


def test_fit_compile_with_a_duck_typed_model():
    (_, p_eager), (_, p_compiled) = _fit_both(Wrapper, X3, Y3, losses.cross_entropy)
    for a, b in zip(p_eager, p_compiled):
        assert_close(b, a)


def test_fit_compile_refuses_by_the_layers_flag():
    class Noisy(nn.Module):
        frozen_by_tracing = "its noise"

        def forward(self, x):
            return x

    model = nn.Sequential(nn.Linear(2, 3, seed=0), Noisy())
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="Noisy .*freeze its noise"):
        fit(model, losses.cross_entropy, opt, X3, Y3, epochs=1, progress=False, compile=True)
    dropout = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Dropout(0.5))
    with pytest.raises(ValueError, match="Dropout.*random mask"):
        fit(dropout, losses.cross_entropy, opt, X3, Y3, epochs=1, progress=False, compile=True)
    assert nn.Dropout(0.0).frozen_by_tracing == ""


def test_ir_prints_the_traced_program_with_typed_inputs_and_guards():
    model = nn.MLP(2, [2, 2], seed=0)
    fast = compile(lambda X, y: losses.cross_entropy(model.forward_batch(X), y))
    with pytest.raises(RuntimeError, match="call the compiled function once"):
        fast.ir()
    fast([[1.0, 2.0]], [1])
    text = fast.ir()
    assert text.startswith("{ lambda p0:f64") and "x0:f64 x1:f64 x2:int . let" in text
    assert "= relu v" in text and "= max v" in text and "= take x2 v" in text
    assert "guard (x2 >= 0.0) is True" in text
    assert text.endswith("}")
