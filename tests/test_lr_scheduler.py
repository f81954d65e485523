"""Learning-rate schedulers: by hand, step for step against PyTorch, errors, state dicts."""

import json
import math

import pytest

from micrograd_plus import optim
from micrograd_plus.engine import Value
from micrograd_plus.optim import lr_scheduler

BASE_LRS = [0.1, 0.03]


def two_group_sgd(module, params):
    return module.SGD([{"params": params[:1]}, {"params": params[1:], "lr": BASE_LRS[1]}], lr=0.1)


def ours_optimizer():
    return two_group_sgd(optim, [Value(1.0), Value(2.0)])


SCHEDULERS = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.8, total_iters=12)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=6)),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SCHEDULERS)]

# A noisy validation loss that improves, stalls, improves a little, then stalls.
METRICS = [1.0, 0.8, 0.7, 0.7, 0.71, 0.69999, 0.72, 0.6, 0.6, 0.6, 0.6, 0.59, 0.65] * 3
PLATEAU_CONFIGS = [
    dict(patience=2),
    dict(patience=1, factor=0.5, cooldown=2),
    dict(patience=0, threshold=0.05, threshold_mode="abs", min_lr=0.01),
    dict(mode="max", patience=1, factor=0.3),
    dict(mode="max", patience=2, threshold_mode="abs", threshold=0.01, min_lr=[0.02, 0.0]),
    dict(patience=0, factor=0.5, eps=0.01),
]


# --- plain tests (no torch) ----------------------------------------------------------


def lrs_over(scheduler, epochs):
    """The learning rates of every epoch, starting with the one set at creation."""
    out = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


def test_step_lr_by_hand():
    sched = lr_scheduler.StepLR(ours_optimizer(), step_size=2, gamma=0.5)
    got = [lrs[0] for lrs in lrs_over(sched, 6)]
    assert got == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125], rel=1e-15)


def test_exponential_lr_by_hand():
    sched = lr_scheduler.ExponentialLR(ours_optimizer(), gamma=0.5)
    assert [lrs[1] for lrs in lrs_over(sched, 3)] == pytest.approx([0.03, 0.015, 0.0075, 0.00375])


def test_cosine_follows_the_closed_form_through_a_full_period():
    T, eta_min = 10, 0.002
    sched = lr_scheduler.CosineAnnealingLR(ours_optimizer(), T_max=T, eta_min=eta_min)
    for t, lrs in enumerate(lrs_over(sched, 3 * T)):
        for base, lr in zip(BASE_LRS, lrs):
            closed = eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2
            assert lr == pytest.approx(closed, rel=1e-12, abs=1e-15)


def test_linear_warmup_by_hand():
    sched = lr_scheduler.LinearLR(ours_optimizer(), start_factor=0.25, total_iters=3)
    factors = [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    got = [lrs[0] for lrs in lrs_over(sched, 5)]
    assert got == pytest.approx([0.1 * f for f in factors], rel=1e-12)


def test_scheduler_sets_the_lr_the_optimizer_uses():
    w = Value(0.0)
    opt = optim.SGD([w], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for expected_step in [1.0, 0.5, 0.25]:
        before = w.data
        w.grad = 1.0
        opt.step()
        assert before - w.data == expected_step
        sched.step()


def test_reduce_on_plateau_by_hand():
    opt = ours_optimizer()
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    got = []
    for metric in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5]:
        sched.step(metric)
        got.append(sched.get_last_lr()[0])
    # the 2nd bad epoch in a row exceeds patience=1: halve, then count afresh
    assert got == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


def test_get_last_lr_is_a_copy():
    sched = lr_scheduler.StepLR(ours_optimizer(), step_size=1)
    sched.get_last_lr()[0] = 123.0
    assert sched.get_last_lr()[0] == 0.1


SCHEDULER_ERRORS = [
    ("StepLR", dict(step_size=0), ValueError, "step_size"),
    ("StepLR", dict(step_size=2.5), ValueError, "step_size"),
    ("StepLR", dict(step_size=2, gamma="x"), TypeError, "gamma"),
    ("ExponentialLR", dict(gamma=None), TypeError, "gamma"),
    ("CosineAnnealingLR", dict(T_max=0), ValueError, "T_max"),
    ("LinearLR", dict(start_factor=0.0), ValueError, "start_factor"),
    ("LinearLR", dict(end_factor=1.5), ValueError, "end_factor"),
    ("LinearLR", dict(total_iters=0), ValueError, "total_iters"),
    ("ReduceLROnPlateau", dict(mode="smallest"), ValueError, "mode"),
    ("ReduceLROnPlateau", dict(threshold_mode="relative"), ValueError, "threshold_mode"),
    ("ReduceLROnPlateau", dict(factor=1.0), ValueError, "factor"),
    ("ReduceLROnPlateau", dict(patience=-1), ValueError, "patience"),
    ("ReduceLROnPlateau", dict(cooldown=1.5), ValueError, "cooldown"),
    ("ReduceLROnPlateau", dict(min_lr=[0.0]), ValueError, "min_lr"),
    ("ReduceLROnPlateau", dict(min_lr=-0.1), ValueError, "min_lr"),
    ("ReduceLROnPlateau", dict(eps=-1.0), ValueError, "eps"),
]


@pytest.mark.parametrize("name, kwargs, error, match", SCHEDULER_ERRORS)
def test_bad_scheduler_arguments(name, kwargs, error, match):
    opt = ours_optimizer()
    with pytest.raises(error, match=match):
        getattr(lr_scheduler, name)(opt, **kwargs)
    assert [g["lr"] for g in opt.param_groups] == BASE_LRS


@pytest.mark.parametrize("name", ["StepLR", "ReduceLROnPlateau"])
def test_scheduler_needs_one_of_our_optimizers(name):
    kwargs = dict(step_size=1) if name == "StepLR" else {}
    with pytest.raises(TypeError, match="optimizer"):
        getattr(lr_scheduler, name)(object(), **kwargs)


def test_load_state_dict_rejects_a_different_scheduler():
    step = lr_scheduler.StepLR(ours_optimizer(), step_size=2)
    cosine = lr_scheduler.CosineAnnealingLR(ours_optimizer(), T_max=5)
    before = step.state_dict()
    with pytest.raises(ValueError, match="expected keys"):
        step.load_state_dict(cosine.state_dict())
    one_group = lr_scheduler.StepLR(optim.SGD([Value(0.0)], lr=0.1), step_size=2)
    with pytest.raises(ValueError, match="param groups"):
        step.load_state_dict(one_group.state_dict())
    assert step.state_dict() == before


def make_scheduler(name, kwargs):
    opt = ours_optimizer()
    return getattr(lr_scheduler, name)(opt, **kwargs)


def advance(sched, epochs, metrics=None):
    for epoch in range(epochs):
        sched.optimizer.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[epoch])


@pytest.mark.parametrize(
    "name, kwargs", SCHEDULERS + [("ReduceLROnPlateau", c) for c in PLATEAU_CONFIGS]
)
def test_optimizer_and_scheduler_state_dicts_resume_exactly(name, kwargs):
    metrics = METRICS if name == "ReduceLROnPlateau" else None
    uninterrupted = make_scheduler(name, kwargs)
    history = []
    for epoch in range(30):
        advance(uninterrupted, 1, metrics and metrics[epoch:])
        history.append(uninterrupted.get_last_lr())

    first = make_scheduler(name, kwargs)
    advance(first, 12, metrics)
    saved = json.loads(
        json.dumps({"optim": first.optimizer.state_dict(), "sched": first.state_dict()})
    )
    # resume as PyTorch recommends: build optimizer and scheduler, then load both
    resumed = make_scheduler(name, kwargs)
    resumed.optimizer.load_state_dict(saved["optim"])
    resumed.load_state_dict(saved["sched"])
    assert resumed.get_last_lr() == history[11]
    for epoch in range(12, 30):
        advance(resumed, 1, metrics and metrics[epoch:])
        assert resumed.get_last_lr() == history[epoch]


# --- against PyTorch -----------------------------------------------------------------


def torch_optimizer(torch):
    params = [torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in range(2)]
    return two_group_sgd(torch.optim, params)


@pytest.mark.parametrize("name, kwargs", SCHEDULERS, ids=IDS)
def test_learning_rates_match_torch_step_for_step(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = make_scheduler(name, kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_optimizer(torch), **kwargs)
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
    for _ in range(40):
        ours.optimizer.step()
        ours.step()
        theirs.optimizer.step()
        theirs.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-18)
        assert [g["lr"] for g in ours.optimizer.param_groups] == ours.get_last_lr()


@pytest.mark.parametrize("kwargs", PLATEAU_CONFIGS)
def test_reduce_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    ours = lr_scheduler.ReduceLROnPlateau(ours_optimizer(), **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer(torch), **kwargs)
    metrics = [m if kwargs.get("mode", "min") == "min" else -m for m in METRICS]
    changes = 0
    for metric in metrics:
        before = ours.get_last_lr()
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        changes += ours.get_last_lr() != before
    assert changes > 0, "the metrics should trigger at least one reduction"


def test_adam_with_cosine_schedule_matches_torch():
    torch = pytest.importorskip("torch")
    start = [-1.2, 1.0]

    def rosenbrock(x, y):
        return (1.0 - x) ** 2 + 10.0 * (y - x**2) ** 2

    ours = [Value(v) for v in start]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    opt = optim.Adam(ours, lr=0.1)
    topt = torch.optim.Adam(theirs, lr=0.1, foreach=False)
    scheds = [
        lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.01),
        torch.optim.lr_scheduler.CosineAnnealingLR(topt, T_max=10, eta_min=0.01),
    ]
    for _ in range(25):
        for o, params, sched in ((opt, ours, scheds[0]), (topt, theirs, scheds[1])):
            o.zero_grad()
            rosenbrock(*params).backward()
            o.step()
            sched.step()
    assert [p.data for p in ours] == pytest.approx([p.item() for p in theirs], rel=1e-8)
