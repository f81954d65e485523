"""Optimizers and gradient clipping: by hand, against torch.optim, errors, state dicts."""

import json
import math

import pytest

from micrograd_plus import optim
from micrograd_plus.engine import Value

# --- small problems, written once for Values and for 0-dim torch tensors -------------


def quadratic(w):
    """An ill-conditioned bowl with a cross term."""
    x, y, z = w
    return 3.0 * (x - 1.0) ** 2 + 0.5 * (y + 2.0) ** 2 + x * y + 2.0 * (z - 0.5) ** 2


def rosenbrock(w):
    """Rosenbrock's banana valley, with b = 10 so plain SGD stays stable."""
    x, y = w
    return (1.0 - x) ** 2 + 10.0 * (y - x**2) ** 2


MLP_DATA = [([0.5, -1.0], 1.0), ([-0.3, 0.8], -0.5), ([1.2, 0.1], 0.3), ([-1.0, -0.7], 0.9)]


def tiny_mlp(w):
    """A 2-3-1 tanh network's mean squared error on four points (13 parameters)."""
    loss = 0.0
    for x, target in MLP_DATA:
        hidden = [(w[3 * j] * x[0] + w[3 * j + 1] * x[1] + w[3 * j + 2]).tanh() for j in range(3)]
        out = w[9] * hidden[0] + w[10] * hidden[1] + w[11] * hidden[2] + w[12]
        loss = loss + (out - target) ** 2
    return loss / len(MLP_DATA)


PROBLEMS = {
    "quadratic": (quadratic, [0.3, -0.7, 2.0]),
    "rosenbrock": (rosenbrock, [-1.2, 1.0]),
    "mlp": (
        tiny_mlp,
        [0.4, -0.6, 0.1, 0.9, 0.3, -0.2, -0.5, 0.8, 0.05, 0.7, -1.1, 0.6, 0.02],
    ),
}

CONFIGS = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.01, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.01, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.05, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.05, weight_decay=0.3)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.005, alpha=0.9)),
    ("RMSprop", dict(lr=0.005, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.7)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, eps=1e-3, maximize=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]


def loss_for(problem, kwargs):
    """maximize=True climbs, so it is tested on the negated problem (same path downhill)."""
    return (lambda w: -problem(w)) if kwargs.get("maximize") else problem


def train_ours(name, kwargs, problem_name, steps=25, clip=None):
    problem, start = PROBLEMS[problem_name]
    loss_fn = loss_for(problem, kwargs)
    params = [Value(x) for x in start]
    opt = getattr(optim, name)(params, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params).backward()
        if clip is not None:
            optim.clip_grad_norm_(params, clip)
        opt.step()
    return [p.data for p in params]


def train_torch(torch, name, kwargs, problem_name, steps=25, clip=None):
    problem, start = PROBLEMS[problem_name]
    loss_fn = loss_for(problem, kwargs)
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    opt = getattr(torch.optim, name)(params, foreach=False, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params).backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip, foreach=False)
        opt.step()
    return [p.item() for p in params]


# --- plain tests (no torch) ----------------------------------------------------------


def test_sgd_one_step_by_hand():
    w = Value(2.0)
    (w * w * 3.0).backward()  # grad = 6 w = 12
    optim.SGD([w], lr=0.1).step()
    assert w.data == pytest.approx(2.0 - 0.1 * 12.0, rel=1e-15)


def test_sgd_momentum_and_weight_decay_two_steps_by_hand():
    w = Value(1.0)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    w.grad = 2.0
    opt.step()  # g = 2 + 0.5*1 = 2.5, buffer = 2.5, w = 1 - 0.25
    assert w.data == pytest.approx(0.75)
    opt.step()  # g = 2 + 0.375 = 2.375, buffer = 0.9*2.5 + 2.375 = 4.625
    assert w.data == pytest.approx(0.75 - 0.4625)


def test_adam_first_step_moves_each_weight_by_lr():
    """After bias correction Adam's first step is lr·sign(grad) (up to eps)."""
    params = [Value(1.0), Value(-2.0), Value(0.5)]
    for p, g in zip(params, [3.0, -0.01, 250.0]):
        p.grad = g
    optim.Adam(params, lr=0.1).step()
    assert [p.data for p in params] == pytest.approx([0.9, -1.9, 0.4], rel=1e-6)


def test_adagrad_first_step_is_lr_times_sign():
    w = Value(1.0)
    w.grad = 4.0
    optim.Adagrad([w], lr=0.5).step()  # sum = 16, step = 0.5 * 4 / 4
    assert w.data == pytest.approx(0.5)


def test_zero_grad_sets_grads_to_zero_and_step_returns_closure_loss():
    params = [Value(1.0), Value(2.0)]
    opt = optim.SGD(params, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = params[0] * params[1]
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.data == 2.0
    assert [p.data for p in params] == pytest.approx([0.8, 1.9])
    opt.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_defaults_match_pytorch_2():
    p = [Value(1.0)]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    adam = optim.Adam(p).defaults
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"]) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0,
    )
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    rms = optim.RMSprop(p).defaults
    assert (rms["lr"], rms["alpha"], rms["eps"]) == (1e-2, 0.99, 1e-8)
    ada = optim.Adagrad(p).defaults
    assert (ada["lr"], ada["lr_decay"], ada["eps"]) == (1e-2, 0, 1e-10)


def test_param_groups_take_defaults_and_their_own_settings():
    a, b = Value(1.0), Value(1.0)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == pytest.approx((0.9, 0.5))
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]


def test_accepts_a_generator_of_parameters():
    params = [Value(1.0), Value(2.0)]
    opt = optim.Adam(p for p in params)
    assert len(opt.param_groups[0]["params"]) == 2


BAD_HYPERPARAMETERS = [
    (optim.SGD, dict(lr=-0.1), "lr"),
    (optim.SGD, dict(lr=float("nan")), "lr"),
    (optim.SGD, dict(momentum=-0.5), "momentum"),
    (optim.SGD, dict(weight_decay=-1.0), "weight_decay"),
    (optim.SGD, dict(dampening=-0.1), "dampening"),
    (optim.SGD, dict(nesterov=True), "nesterov"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    (optim.Adam, dict(lr=-1e-3), "lr"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "betas[0]"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "betas[1]"),
    (optim.Adam, dict(betas=(0.9,)), "betas"),
    (optim.Adam, dict(eps=-1e-8), "eps"),
    (optim.AdamW, dict(weight_decay=-0.01), "weight_decay"),
    (optim.RMSprop, dict(alpha=-0.9), "alpha"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum"),
    (optim.RMSprop, dict(eps=-1.0), "eps"),
    (optim.Adagrad, dict(lr_decay=-0.1), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
]


@pytest.mark.parametrize("cls, kwargs, name", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_raise_value_error_naming_them(cls, kwargs, name):
    with pytest.raises(ValueError, match=name.replace("[", r"\[").replace("]", r"\]")):
        cls([Value(1.0)], **kwargs)


def test_bad_hyperparameter_in_a_param_group_is_caught():
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([{"params": [Value(1.0)], "lr": -1.0}], lr=0.1)
    with pytest.raises(ValueError, match="unknown param-group key"):
        optim.SGD([{"params": [Value(1.0)], "learning_rate": 0.1}])


def test_non_number_hyperparameter_is_a_type_error():
    with pytest.raises(TypeError, match="lr"):
        optim.SGD([Value(1.0)], lr="0.1")


def test_empty_parameter_list_is_a_value_error():
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad):
        with pytest.raises(ValueError, match="empty parameter list"):
            cls([])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([{"params": []}])


def test_non_value_parameters_are_type_errors():
    with pytest.raises(TypeError, match="Value"):
        optim.SGD([1.0, 2.0], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(Value(1.0), lr=0.1)


def test_a_parameter_listed_twice_is_a_value_error():
    w = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


# --- state dicts ---------------------------------------------------------------------


def _make(name, kwargs):
    problem, start = PROBLEMS["mlp"]
    params = [Value(x) for x in start]
    return params, getattr(optim, name)(params, **kwargs), loss_for(problem, kwargs)


def _run(params, opt, loss_fn, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params).backward()
        opt.step()


@pytest.mark.parametrize(
    "name, kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)]
)
def test_state_dict_through_json_resumes_exactly(name, kwargs):
    params, opt, loss_fn = _make(name, kwargs)
    _run(params, opt, loss_fn, 25)
    uninterrupted = [p.data for p in params]

    params, opt, loss_fn = _make(name, kwargs)
    _run(params, opt, loss_fn, 10)
    saved_weights = [p.data for p in params]
    saved = json.loads(json.dumps(opt.state_dict()))
    # a new run (as after a restart): fresh Values and optimizer, then load
    params2, opt2, _ = _make(name, kwargs)
    for p, x in zip(params2, saved_weights):
        p.data = x
    opt2.load_state_dict(saved)
    _run(params2, opt2, loss_fn, 15)
    assert [p.data for p in params2] == uninterrupted


def test_state_dict_lists_state_by_index_and_group_settings():
    a, b = Value(1.0), Value(2.0)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}])
    a.grad = b.grad = 1.0
    opt.step()
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert json.loads(json.dumps(sd))["param_groups"][0]["betas"] == [0.9, 0.999]


def test_load_state_dict_restores_group_settings():
    w = Value(1.0)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    saved = opt.state_dict()
    saved["param_groups"][0]["lr"] = 0.25
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.25
    assert opt.param_groups[0]["params"][0] is w


def test_a_mismatched_state_dict_is_rejected_and_leaves_the_optimizer_unchanged():
    params = [Value(1.0), Value(2.0)]
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = 1.0
    opt.step()
    before = opt.state_dict()
    other = optim.Adam([Value(0.0)], lr=0.3).state_dict()
    with pytest.raises(ValueError, match="parameters"):
        opt.load_state_dict(other)
    bad_lr = json.loads(json.dumps(before))
    bad_lr["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.load_state_dict(bad_lr)
    sgd_state = optim.SGD(params, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="unknown keys"):
        opt.load_state_dict(sgd_state)
    bad_index = json.loads(json.dumps(before))
    bad_index["state"]["7"] = {"step": 1}
    with pytest.raises(ValueError, match="unknown parameter"):
        opt.load_state_dict(bad_index)
    assert opt.state_dict() == before


# --- gradient clipping ---------------------------------------------------------------


def test_clip_grad_norm_by_hand():
    params = [Value(0.0), Value(0.0)]
    params[0].grad, params[1].grad = 3.0, 4.0
    total = optim.clip_grad_norm_(params, 1.0)
    assert total == 5.0
    scale = 1.0 / (5.0 + 1e-6)
    assert [p.grad for p in params] == pytest.approx([3.0 * scale, 4.0 * scale], rel=1e-15)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = [Value(0.0), Value(0.0)]
    params[0].grad, params[1].grad = 0.3, -0.4
    assert optim.clip_grad_norm_(params, 1.0) == pytest.approx(0.5)
    assert [p.grad for p in params] == [0.3, -0.4]


def test_clip_grad_norm_inf_norm_and_single_value():
    params = [Value(0.0), Value(0.0)]
    params[0].grad, params[1].grad = -6.0, 2.0
    assert optim.clip_grad_norm_(params, 3.0, norm_type=math.inf) == 6.0
    assert params[0].grad == pytest.approx(-3.0, rel=1e-6)
    w = Value(0.0)
    w.grad = 10.0
    assert optim.clip_grad_norm_(w, 1.0) == 10.0


def test_clip_grad_value_by_hand():
    params = [Value(0.0) for _ in range(3)]
    for p, g in zip(params, [-5.0, 0.2, 3.0]):
        p.grad = g
    optim.clip_grad_value_(params, 1.0)
    assert [p.grad for p in params] == [-1.0, 0.2, 1.0]


def test_clipping_errors():
    w = Value(0.0)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm_([w], -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        optim.clip_grad_norm_([w], 1.0, norm_type=0)
    with pytest.raises(ValueError, match="clip_value"):
        optim.clip_grad_value_([w], -0.5)
    with pytest.raises(TypeError, match="Value"):
        optim.clip_grad_norm_([1.0], 1.0)
    w.grad = math.inf
    with pytest.raises(RuntimeError, match="non"):
        optim.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)


# --- against PyTorch -----------------------------------------------------------------


@pytest.mark.parametrize("problem_name", list(PROBLEMS))
@pytest.mark.parametrize(
    "name, kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)]
)
def test_25_steps_match_torch(name, kwargs, problem_name):
    torch = pytest.importorskip("torch")
    ours = train_ours(name, kwargs, problem_name)
    theirs = train_torch(torch, name, kwargs, problem_name)
    start = PROBLEMS[problem_name][1]
    assert ours != pytest.approx(start, abs=1e-6), "the run should move the parameters"
    assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-12)


def test_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    _, start = PROBLEMS["mlp"]
    ours = [Value(x) for x in start]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]

    def groups(params):
        return [
            {"params": params[:9], "lr": 0.05},
            {"params": params[9:], "momentum": 0.9, "nesterov": True},
        ]

    opt = optim.SGD(groups(ours), lr=0.02, weight_decay=0.01)
    topt = torch.optim.SGD(groups(theirs), lr=0.02, weight_decay=0.01, foreach=False)
    for _ in range(25):
        for o, params in ((opt, ours), (topt, theirs)):
            o.zero_grad()
            tiny_mlp(params).backward()
            o.step()
    assert [p.data for p in ours] == pytest.approx([p.item() for p in theirs], rel=1e-8)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    grads = [0.3, -2.5, 1.7, 0.0, -0.05]
    ours = [Value(0.0) for _ in grads]
    theirs = [torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = g
        t.grad = torch.tensor(g, dtype=torch.float64)
    total = optim.clip_grad_norm_(ours, max_norm, norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type, foreach=False)
    assert total == pytest.approx(torch_total.item(), rel=1e-12)
    assert [p.grad for p in ours] == pytest.approx([t.grad.item() for t in theirs], rel=1e-12)


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    grads = [0.3, -2.5, 1.7, 0.0, -0.05]
    ours = [Value(0.0) for _ in grads]
    theirs = [torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = g
        t.grad = torch.tensor(g, dtype=torch.float64)
    optim.clip_grad_value_(ours, 1.0)
    torch.nn.utils.clip_grad_value_(theirs, 1.0, foreach=False)
    assert [p.grad for p in ours] == [t.grad.item() for t in theirs]


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_training_with_clipping_matches_torch(name):
    torch = pytest.importorskip("torch")
    kwargs = dict(lr=0.01, momentum=0.9) if name == "SGD" else dict(lr=0.01)
    ours = train_ours(name, kwargs, "rosenbrock", clip=1.0)
    theirs = train_torch(torch, name, kwargs, "rosenbrock", clip=1.0)
    assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-12)


def test_a_state_dict_with_non_number_state_is_rejected():
    w = Value(1.0)
    opt = optim.Adam([w])
    w.grad = 1.0
    opt.step()
    saved = json.loads(json.dumps(opt.state_dict()))
    saved["state"]["0"]["exp_avg"] = "0.1"
    with pytest.raises(ValueError, match="exp_avg"):
        opt.load_state_dict(saved)


def test_step_uses_the_number_when_grads_are_values():
    w = Value(3.0)
    (w * w).backward(create_graph=True)  # w.grad is the Value 2w = 6
    optim.SGD([w], lr=0.1).step()
    assert w.data == pytest.approx(2.4)


def test_lr_scheduler_is_reachable_the_pytorch_ways():
    import micrograd_plus.optim.lr_scheduler as by_import
    from micrograd_plus.optim import lr_scheduler as by_from

    assert by_import is by_from is optim.lr_scheduler
    assert optim.lr_scheduler.StepLR.__name__ == "StepLR"


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda s: s.update(param_groups=[5]), "list of dicts"),
        (lambda s: s.update(state=[]), "'state' must be a dict"),
        (lambda s: s["state"].update(x={"step": 1}), "unknown parameter 'x'"),
        (lambda s: s["state"].update({"-1": {"step": 1}}), "unknown parameter '-1'"),
    ],
)
def test_a_malformed_state_dict_gives_a_clear_value_error_and_changes_nothing(edit, match):
    w = Value(1.0)
    opt = optim.Adam([w], lr=0.1)
    w.grad = 1.0
    opt.step()
    before = opt.state_dict()
    bad = json.loads(json.dumps(before))
    edit(bad)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(bad)
    assert opt.state_dict() == before


# --- state checked before anything changes; all-or-nothing steps (issue 13) -----------------------


def _stepped(cls=optim.Adam, n=4, **kwargs):
    params = [Value(float(i + 1)) for i in range(n)]
    opt = cls(params, lr=0.1, **kwargs)
    for p in params:
        p.grad = 0.5
    opt.step()
    return params, opt


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda st: st["0"].update(step=None), r"parameter '0'.*step must be a number, got None"),
        (lambda st: st["3"].pop("exp_avg_sq"), r"parameter '3' misses \['exp_avg_sq'\]"),
        (lambda st: st["1"].update(step=2.5), "step must be a whole number"),
        (lambda st: st["1"].update(step=-1), "step must be a whole number >= 0"),
        (lambda st: st["2"].update(exp_avg_sq=-1.0), "exp_avg_sq must be >= 0"),
        (lambda st: st["2"].update(exp_avg=math.inf), "exp_avg must be finite"),
        (lambda st: st["0"].update(velocity=1.0), r"unknown fields \['velocity'\]"),
    ],
)
def test_bad_optimizer_state_is_refused_before_any_parameter_moves(edit, match):
    params, opt = _stepped()
    saved = json.loads(json.dumps(opt.state_dict()))
    edit(saved["state"])
    before_state, before_weights = opt.state_dict(), [p.data for p in params]
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(saved)  # was accepted; the next step() crashed half-way
    assert opt.state_dict() == before_state
    for p in params:
        p.grad = 0.5
    opt.step()  # still a working optimizer
    assert [p.data for p in params] != before_weights


def test_a_step_that_fails_on_one_parameter_changes_none():
    class FailsOnThird(optim.SGD):
        def _update(self, p, grad, state, group):
            state["calls"] = state.get("calls", 0) + 1
            if p.data == 3.0:
                raise ZeroDivisionError("boom")
            super()._update(p, grad, state, group)

    params = [Value(1.0), Value(2.0), Value(3.0), Value(4.0)]
    opt = FailsOnThird(params, lr=0.1, momentum=0.9)
    for p in params:
        p.grad = 1.0
    with pytest.raises(ValueError, match=r"parameter 2 \(of 4\).*boom; no parameter was changed"):
        opt.step()
    assert [p.data for p in params] == [1.0, 2.0, 3.0, 4.0]
    assert opt.state == {}


def test_centered_rmsprop_never_takes_the_root_of_a_negative_variance():
    w = Value(0.5)
    opt = optim.RMSprop([w], lr=0.01, centered=True)
    w.grad = 0.3
    opt.step()
    # rounding can leave square_avg a hair below grad_avg**2 under steady gradients
    opt.state[id(w)].update(square_avg=0.09, grad_avg=0.3 + 1e-12)
    before = w.data
    opt.step()  # was "ValueError: math domain error", after changing state
    assert math.isfinite(w.data) and w.data < before
    assert opt.state[id(w)]["step"] == 2


def test_centered_rmsprop_follows_pytorch_under_steady_gradients():
    torch = pytest.importorskip("torch")
    w = Value(0.5)
    opt = optim.RMSprop([w], lr=0.01, centered=True)
    t = torch.nn.Parameter(torch.tensor([0.5], dtype=torch.float64))
    t_opt = torch.optim.RMSprop([t], lr=0.01, centered=True)
    for _ in range(400):
        w.grad = 0.3
        opt.step()
        t.grad = torch.tensor([0.3], dtype=torch.float64)
        t_opt.step()
    assert w.data == pytest.approx(t.item(), rel=1e-8)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, 0.5, math.inf])
def test_clip_grad_norm_of_huge_gradients_is_finite_not_an_overflow_error(norm_type):
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 3e200, 4e200
    total = optim.clip_grad_norm_([a, b], max_norm=1.0, norm_type=norm_type)
    expected = {1.0: 7e200, 2.0: 5e200, math.inf: 4e200}.get(norm_type)
    if expected is None:
        expected = 4e200 * ((3 / 4) ** norm_type + 1) ** (1 / norm_type)
    assert total == pytest.approx(expected, rel=1e-12)
    assert math.hypot(a.grad, b.grad) == pytest.approx(5e200 / expected, rel=1e-6)  # clipped


def test_clip_grad_norm_of_a_nan_gradient_is_nan():
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 1.0, math.nan
    assert math.isnan(optim.clip_grad_norm_([a, b], 1.0))
    assert math.isnan(optim.clip_grad_norm_([b, a], 1.0, norm_type=math.inf))
