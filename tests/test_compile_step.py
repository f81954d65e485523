"""compile_step: a compiled training step equals the eager one, step for step, and
nothing it holds is ever stale (reads, edits, state dicts, optimizer state)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import micrograd_plus as mp
from micrograd_plus import losses, nn
from micrograd_plus.engine import Value
from micrograd_plus.optim import SGD, Adagrad, Adam, AdamW, RMSprop, lr_scheduler

OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.1),
    "sgd-momentum-wd": lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd-nesterov-maximize": lambda p: SGD(p, lr=0.05, momentum=0.8, nesterov=True, maximize=True),
    "adam": lambda p: Adam(p, lr=0.01, weight_decay=0.01),
    "adam-amsgrad": lambda p: Adam(p, lr=0.01, amsgrad=True),
    "adamw": lambda p: AdamW(p, lr=0.01, weight_decay=0.1),
    "rmsprop": lambda p: RMSprop(p, lr=0.01),
    "rmsprop-centered-momentum": lambda p: RMSprop(
        p, lr=0.01, momentum=0.5, centered=True, weight_decay=0.01
    ),
    "adagrad": lambda p: Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.1),
}

rng = np.random.default_rng(0)
X = rng.standard_normal((8, 5)).tolist()
Y = rng.integers(0, 3, 8).tolist()
BATCHES = [(rng.standard_normal((8, 5)).tolist(), rng.integers(0, 3, 8).tolist()) for _ in range(4)]


def loss_fn(model, X, y):
    return losses.cross_entropy(model.forward_batch(X), y)


def eager_step(model, optimizer, *batch):
    optimizer.zero_grad()
    loss = loss_fn(model, *batch)
    loss.backward()
    optimizer.step()
    return loss.data


def pair(make, seed=1):
    eager, compiled = nn.MLP(5, [7, 3], seed=seed), nn.MLP(5, [7, 3], seed=seed)
    return eager, make(eager.parameters()), compiled, make(compiled.parameters())


def close(model_a, model_b, tol=1e-12):
    for (name, a), (_, b) in zip(model_a.named_parameters(), model_b.named_parameters()):
        assert a.data == pytest.approx(b.data, abs=tol), name
        assert a.grad == pytest.approx(b.grad, abs=tol), name


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_equals_eager_step_for_step(name):
    eager, opt_e, compiled, opt_c = pair(OPTIMIZERS[name])
    step = mp.compile_step(loss_fn, compiled, opt_c)
    for Xb, yb in BATCHES * 2:
        expected = eager_step(eager, opt_e, Xb, yb)
        assert step(Xb, yb) == pytest.approx(expected, abs=1e-12)
    close(eager, compiled)
    saved_e, saved_c = opt_e.state_dict(), opt_c.state_dict()
    assert saved_c["param_groups"] == saved_e["param_groups"]
    assert saved_c["state"].keys() == saved_e["state"].keys()
    for i, entry in saved_e["state"].items():
        assert saved_c["state"][i] == pytest.approx(entry, abs=1e-12)
    assert step.function.traces == 1


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_arrays_is_exactly_step(name):
    """The vectorised update is the optimizer's own: bit for bit, over several steps."""
    make = OPTIMIZERS[name]
    gen = np.random.default_rng(3)
    data = gen.standard_normal(50)
    values = [Value(float(x)) for x in data]
    scalar = make(values)
    vector = make([Value(0.0) for _ in data])
    array, states = data.copy(), [{}]
    for _ in range(4):
        grads = gen.standard_normal(50) * 10.0 ** gen.integers(-3, 3, 50)
        for v, g in zip(values, grads.tolist()):
            v.grad = g
        scalar.step()
        vector.step_arrays([array], [grads], states)
        assert array.tolist() == [v.data for v in values]


def test_state_arrays_round_trip():
    values = [Value(1.0), Value(2.0)]
    opt = Adam(values, lr=0.1)
    for v in values:
        v.grad = 0.5
    opt.step()
    before = opt.state_dict()
    arrays = opt.state_arrays(0)
    assert arrays["step"] == 1 and isinstance(arrays["exp_avg"], np.ndarray)
    opt.load_state_arrays(0, arrays)
    assert opt.state_dict() == before
    entries = opt.state_dict()["state"].values()
    assert all(type(x) in (int, float) for e in entries for x in e.values())


def test_state_dict_and_save_after_steps_see_current_values(tmp_path):
    eager, opt_e, compiled, opt_c = pair(OPTIMIZERS["adam"])
    step = mp.compile_step(loss_fn, compiled, opt_c)
    for Xb, yb in BATCHES:
        eager_step(eager, opt_e, Xb, yb)
        step(Xb, yb)
    expected = eager.state_dict()
    got = compiled.state_dict()  # hands the parameters back
    assert got.keys() == expected.keys()
    assert list(got.values()) == pytest.approx(list(expected.values()), abs=1e-12)
    for Xb, yb in BATCHES:
        eager_step(eager, opt_e, Xb, yb)
        step(Xb, yb)  # takes hold again
    mp.save(compiled, tmp_path / "model.json")
    loaded = nn.MLP(5, [7, 3], seed=99)
    mp.load(loaded, tmp_path / "model.json")
    for a, b in zip(eager.parameters(), loaded.parameters()):
        assert b.data == pytest.approx(a.data, abs=1e-12)
    assert step.holds >= 2


def test_optimizer_state_is_handed_back_when_read():
    _, _, compiled, opt = pair(OPTIMIZERS["sgd-momentum-wd"])
    step = mp.compile_step(loss_fn, compiled, opt)
    step(X, Y)
    step(X, Y)
    buffers = [opt.state[id(p)]["momentum_buffer"] for p in compiled.parameters()]
    assert all(isinstance(b, float) for b in buffers) and any(b != 0 for b in buffers)
    json.dumps(opt.state_dict())  # plain numbers, JSON-able


def test_user_edits_between_steps_are_honoured():
    eager, opt_e, compiled, opt_c = pair(OPTIMIZERS["sgd-momentum-wd"])
    step = mp.compile_step(loss_fn, compiled, opt_c)
    for k, (Xb, yb) in enumerate(BATCHES):
        eager_step(eager, opt_e, Xb, yb)
        step(Xb, yb)
        # an edit of .data, of .grad (overwritten by the next zero_grad), and a rescale
        eager.parameters()[k].data = 0.25 * k
        compiled.parameters()[k].data = 0.25 * k
        compiled.parameters()[k + 1].grad = 123.0
        eager.parameters()[k + 1].grad = 123.0
    for Xb, yb in BATCHES:
        assert step(Xb, yb) == pytest.approx(eager_step(eager, opt_e, Xb, yb), abs=1e-12)
    close(eager, compiled)


def test_held_parameters_read_as_ordinary_values():
    _, _, compiled, opt = pair(OPTIMIZERS["sgd"])
    step = mp.compile_step(loss_fn, compiled, opt)
    step(X, Y)
    p = compiled.parameters()[0]
    assert isinstance(p, Value) and p.__class__ is Value
    assert type(p) is not Value  # still held: nothing has used it yet
    assert p.data == step.params[0]  # using it hands everything back
    assert type(p) is Value
    assert all(type(q) is Value for q in compiled.parameters())
    # the gradients are the last batch's, as after zero_grad(); backward(); step()
    eager = nn.MLP(5, [7, 3], seed=1)
    opt_e = SGD(eager.parameters(), lr=0.1)
    eager_step(eager, opt_e, X, Y)
    for a, b in zip(eager.parameters(), compiled.parameters()):
        assert b.grad == pytest.approx(a.grad, abs=1e-12)


def test_eager_use_of_a_held_model_is_current():
    """An eager forward between compiled steps uses the current parameters."""
    eager, opt_e, compiled, opt_c = pair(OPTIMIZERS["adam"])
    step = mp.compile_step(loss_fn, compiled, opt_c)
    for Xb, yb in BATCHES:
        eager_step(eager, opt_e, Xb, yb)
        step(Xb, yb)
        assert loss_fn(compiled, X, Y).data == pytest.approx(loss_fn(eager, X, Y).data, abs=1e-12)
    # an eager optimizer step in between counts too
    eager_step(eager, opt_e, X, Y)
    eager_step(compiled, opt_c, X, Y)
    for Xb, yb in BATCHES:
        assert step(Xb, yb) == pytest.approx(eager_step(eager, opt_e, Xb, yb), abs=1e-12)
    close(eager, compiled)


def test_scheduler_and_new_param_groups_are_read_at_every_call():
    eager, opt_e, compiled, opt_c = pair(OPTIMIZERS["sgd-momentum-wd"])
    sched_e, sched_c = lr_scheduler.StepLR(opt_e, 1, 0.5), lr_scheduler.StepLR(opt_c, 1, 0.5)
    extra_e, extra_c = Value(0.5), Value(0.5)

    def with_extra(extra):
        return lambda model, X, y: loss_fn(model, X, y) + extra * extra

    step = mp.compile_step(with_extra(extra_c), compiled, opt_c)
    for k, (Xb, yb) in enumerate(BATCHES):
        if k == 2:  # a new group: the step must take hold of it
            opt_e.add_param_group({"params": [extra_e], "lr": 0.2})
            opt_c.add_param_group({"params": [extra_c], "lr": 0.2})
        opt_e.zero_grad()
        loss = with_extra(extra_e)(eager, Xb, yb)
        loss.backward()
        opt_e.step()
        assert step(Xb, yb) == pytest.approx(loss.data, abs=1e-12)
        sched_e.step()
        sched_c.step()
    close(eager, compiled)
    assert extra_c.data == pytest.approx(extra_e.data, abs=1e-12)
    assert extra_c.grad == pytest.approx(extra_e.grad, abs=1e-12)


def test_values_outside_the_optimizer_are_read_and_accumulate_grads():
    """A frozen layer (not in the optimizer) is read at every call; its grads add up."""
    eager, compiled = nn.MLP(5, [7, 3], seed=1), nn.MLP(5, [7, 3], seed=1)
    opt_e = Adam(eager.layers[1].parameters(), lr=0.01)
    opt_c = Adam(compiled.layers[1].parameters(), lr=0.01)
    step = mp.compile_step(loss_fn, compiled, opt_c)
    for k, (Xb, yb) in enumerate(BATCHES):
        eager.layers[0].parameters()[k].data += 0.1
        compiled.layers[0].parameters()[k].data += 0.1
        assert step(Xb, yb) == pytest.approx(eager_step(eager, opt_e, Xb, yb), abs=1e-12)
    close(eager, compiled)
    assert eager.layers[0].parameters()[0].grad != 0.0


def test_a_replaced_parameter_is_seen_after_sync():
    eager, opt_e, compiled, opt_c = pair(OPTIMIZERS["sgd"])
    step = mp.compile_step(loss_fn, compiled, opt_c)
    step(X, Y)
    eager_step(eager, opt_e, X, Y)
    step.sync()
    for model, opt in ((eager, opt_e), (compiled, opt_c)):
        new = Value(0.3)
        old = model.layers[0].neurons[0].w[0]
        model.layers[0].neurons[0].w[0] = new
        group = opt.param_groups[0]["params"]
        group[group.index(old)] = new
    for Xb, yb in BATCHES:
        assert step(Xb, yb) == pytest.approx(eager_step(eager, opt_e, Xb, yb), abs=1e-12)
    close(eager, compiled)
    assert step.function.traces == 2


def test_has_aux_returns_the_outputs_of_the_same_replay():
    _, _, compiled, opt = pair(OPTIMIZERS["sgd"])

    def with_outputs(model, X, y):
        outputs = model.forward_batch(X)
        return losses.cross_entropy(outputs, y), outputs

    step = mp.compile_step(with_outputs, compiled, opt, has_aux=True)
    loss, outputs = step(X, Y)
    assert isinstance(loss, float) and len(outputs) == len(X) and len(outputs[0]) == 3
    assert all(isinstance(x, float) for row in outputs for x in row)


def test_load_state_dict_between_steps_is_honoured():
    eager, opt_e, compiled, opt_c = pair(OPTIMIZERS["adam"])
    step = mp.compile_step(loss_fn, compiled, opt_c)
    for Xb, yb in BATCHES:
        eager_step(eager, opt_e, Xb, yb)
        step(Xb, yb)
    checkpoint = json.loads(json.dumps(opt_e.state_dict()))
    opt_c.load_state_dict(checkpoint)
    compiled.load_state_dict(eager.state_dict())
    for Xb, yb in BATCHES:
        assert step(Xb, yb) == pytest.approx(eager_step(eager, opt_e, Xb, yb), abs=1e-12)
    close(eager, compiled)


def test_errors_are_clear():
    model = nn.MLP(5, [3], seed=0)
    with pytest.raises(TypeError, match="model must be a Module"):
        mp.compile_step(loss_fn, [1, 2], SGD(model.parameters()))
    with pytest.raises(TypeError, match="optimizer must be one of"):
        mp.compile_step(loss_fn, model, object())
    step = mp.compile_step(lambda m, X: m.forward_batch(X)[0], model, SGD(model.parameters()))
    with pytest.raises(TypeError, match="must return one Value"):
        step(X)


def test_a_failing_forward_leaves_the_parameters_usable():
    model = nn.MLP(1, [1], seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    step = mp.compile_step(lambda m, x: m([x]).log(), model, opt)
    w = model.parameters()[0]
    sign = 1.0 if w.data > 0 else -1.0
    step(sign * 2.0)
    with pytest.raises(ValueError, match="log"):
        step(-sign * 2.0)
    assert math.isfinite(w.data)
    expected = model([sign * 2.0]).log().data
    assert step(sign * 2.0) == pytest.approx(expected, abs=1e-12)


# --- fit(compile=True) trains through compile_step ------------------------------------------


def fit_twice(make_optimizer, **options):
    """(history, parameters, grads) of an eager and a compiled fit from the same start."""
    from micrograd_plus.train import fit

    Xf = rng.standard_normal((30, 5)).tolist()
    yf = rng.integers(0, 3, 30).tolist()
    runs = []
    for compiled in (False, True):
        model = nn.MLP(5, [7, 3], seed=4)
        history = fit(model, losses.cross_entropy, make_optimizer(model.parameters()), Xf, yf,
                      epochs=3, batch_size=8, seed=0, progress=False, compile=compiled,
                      **options)  # fmt: skip
        runs.append((history, [p.data for p in model.parameters()], model))
    return runs


@pytest.mark.parametrize("name", ["sgd-momentum-wd", "adamw"])
def test_fit_compiled_with_clipping_follows_eager(name):
    (eager, eager_params, _), (fast, fast_params, model) = fit_twice(
        OPTIMIZERS[name], clip_grad_norm=0.05
    )
    for key in eager.train:
        assert fast.train[key] == pytest.approx(eager.train[key], rel=1e-9), key
    for layer in eager.grad_norms:
        assert fast.grad_norms[layer] == pytest.approx(eager.grad_norms[layer], rel=1e-9)
    assert fast_params == pytest.approx(eager_params, abs=1e-12)
    assert all(type(p) is Value for p in model.parameters())  # read above: handed back


def test_fit_compiled_skips_a_step_that_would_overflow_as_eager_does():
    (eager, eager_params, _), (fast, fast_params, _) = fit_twice(
        lambda p: SGD(p, lr=1e308), on_nonfinite="skip"
    )
    assert eager.skipped_batches and fast.skipped_batches == eager.skipped_batches
    assert fast_params == pytest.approx(eager_params, rel=1e-12)


def test_fit_compiled_names_the_parameter_a_step_would_break():
    from micrograd_plus.train import NonFiniteError, fit

    big = (100.0 * np.array(X)).tolist()
    messages = []
    for compiled in (False, True):
        model = nn.MLP(5, [7, 3], seed=4)
        before = [p.data for p in model.parameters()]
        with pytest.raises(NonFiniteError, match=r"optimizer step would make parameter") as err:
            fit(model, losses.cross_entropy, SGD(model.parameters(), lr=1e308), big, Y,
                epochs=1, progress=False, compile=compiled)  # fmt: skip
        assert [p.data for p in model.parameters()] == before
        messages.append(str(err.value).split(" would make parameter ")[1].split(" ")[0])
    assert messages[0] == messages[1]  # the same parameter named


def test_fit_compiled_with_a_frozen_layer_replays_the_loss_instead():
    from micrograd_plus.train import fit

    runs = []
    for compiled in (False, True):
        model = nn.MLP(5, [7, 3], seed=4)
        opt = Adam(model.layers[1].parameters(), lr=0.01)
        fit(model, losses.cross_entropy, opt, X, Y, epochs=2, progress=False, compile=compiled)
        runs.append([p.data for p in model.parameters()])
    assert runs[1] == pytest.approx(runs[0], abs=1e-12)


def test_subclassed_parameters_keep_their_class_and_copies_are_current():
    import copy

    class Tagged(Value):
        """A user's Value subclass (extra attributes live in __dict__)."""

    model = nn.MLP(5, [3], seed=0)
    neuron = model.layers[0].neurons[0]
    neuron.b = Tagged(0.25)
    neuron.b.note = "bias"
    twin = copy.deepcopy(model)
    opt, opt_twin = SGD(model.parameters(), lr=0.1), SGD(twin.parameters(), lr=0.1)
    step = mp.compile_step(loss_fn, model, opt)
    for Xb, yb in BATCHES:
        assert step(Xb, yb) == pytest.approx(eager_step(twin, opt_twin, Xb, yb), abs=1e-12)
    copied = copy.deepcopy(model)  # a copy of a held model: current numbers, plain classes
    assert type(copied.layers[0].neurons[0].b) is Tagged
    assert copied.layers[0].neurons[0].b.note == "bias"
    close(twin, copied)
    assert type(neuron.b) is Tagged and neuron.b.__class__ is Tagged
    close(twin, model)
