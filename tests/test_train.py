"""fit(), History, EarlyStopping, metrics, predict/evaluate and the progress output."""

import importlib
import json
import math
import sys

import pytest

from micrograd_plus.data import make_moons, make_regression, make_spirals
from micrograd_plus.engine import is_grad_enabled
from micrograd_plus.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD, Adam
from micrograd_plus.optim.lr_scheduler import ReduceLROnPlateau, StepLR
from micrograd_plus.train import (
    EarlyStopping,
    History,
    accuracy,
    evaluate,
    fit,
    layer_name,
    mse,
    predict,
    predict_classes,
)


def tiny_problem(n=12, seed=0):
    X, y = make_moons(n, noise=0.1, seed=seed)
    return X, y, MLP(2, [3, 1], seed=seed)


# --- training reaches the accuracy the issue asks for --------------------------------------------


def test_fit_trains_moons_to_97_percent_with_adam():
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    optimizer = Adam(model.parameters(), lr=0.05)
    history = fit(
        model, binary_cross_entropy_with_logits, optimizer, X, y,
        epochs=40, batch_size=20, seed=0, progress=False,
    )  # fmt: skip
    assert evaluate(model, None, X, y)["accuracy"] >= 0.97
    assert history.train["loss"][-1] < history.train["loss"][0] / 4


def test_fit_trains_three_spirals_with_cross_entropy_to_90_percent():
    X, y = make_spirals(90, n_classes=3, seed=0)
    model = MLP(2, [12, 12, 3], seed=0)
    optimizer = Adam(model.parameters(), lr=0.04)
    fit(model, cross_entropy, optimizer, X, y, epochs=30, batch_size=30, seed=0, progress=False)
    assert evaluate(model, cross_entropy, X, y)["accuracy"] >= 0.90
    assert predict_classes(model, X) == [
        max(range(3), key=row.__getitem__) for row in predict(model, X)
    ]


def test_fit_solves_linear_regression_down_to_the_noise_level():
    X, y, coef = make_regression(60, n_features=3, noise=0.1, seed=0, bias=0.5, coef=True)
    model = MLP(3, [1], seed=0)  # a single linear layer
    optimizer = Adam(model.parameters(), lr=0.1)
    history = fit(
        model, mse_loss, optimizer, X, y, epochs=40, batch_size=20, metrics=["mse"], seed=0,
        progress=False,
    )  # fmt: skip
    final_mse = evaluate(model, mse_loss, X, y, metrics=["mse"])
    # The noise has variance 0.01: that is the floor; 0.02 leaves room for the optimizer.
    assert final_mse["mse"] < 0.02
    assert final_mse["loss"] == pytest.approx(final_mse["mse"])
    assert history.train["mse"][-1] < 0.02
    weights = [p.data for name, p in model.named_parameters() if ".w" in name]
    assert weights == pytest.approx(coef, abs=0.05)


def test_hinge_loss_with_plus_minus_one_labels_uses_the_sign_rule():
    X, y = make_moons(40, noise=0.1, seed=1)
    signs = [2 * t - 1 for t in y]
    model = MLP(2, [8, 1], seed=1)
    history = fit(
        model, hinge_loss, Adam(model.parameters(), lr=0.05), X, signs, epochs=30,
        batch_size=10, seed=0, progress=False,
    )  # fmt: skip
    scores = predict(model, X)
    expected = sum((s > 0) == (t == 1) for s, t in zip(scores, signs)) / len(signs)
    assert evaluate(model, None, X, signs)["accuracy"] == expected
    assert expected >= 0.9
    assert len(history.train["accuracy"]) == 30


# --- the loop does what the textbook loop does ---------------------------------------------------


def test_full_batch_fit_equals_the_hand_written_loop():
    X, y, model = tiny_problem()
    _, _, twin = tiny_problem()
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=3, progress=False)
    optimizer = SGD(twin.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        mse_loss(twin.forward_batch(X), y).backward()
        optimizer.step()
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]


def test_grad_norms_are_per_layer_l2_norms_of_the_gradient():
    X, y, model = tiny_problem()
    mse_loss(model.forward_batch(X), y).backward()
    expected = {}
    for name, p in model.named_parameters():
        layer = name.rsplit(".", 1)[0]
        expected[layer] = expected.get(layer, 0.0) + p.grad**2
    model.zero_grad()
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=1, progress=False)
    assert set(history.grad_norms) == {"layers.0", "layers.1"}
    for layer, squared in expected.items():
        assert history.grad_norms[layer] == [pytest.approx(math.sqrt(squared))]


def test_layer_name_follows_nn_parameter_names():
    assert layer_name("layers.0.w[3,1]") == "layers.0"
    assert layer_name("2.b[0]") == "2"
    assert layer_name("w[0]") == "model"


def test_same_seed_same_run_and_the_seed_changes_the_batches():
    def run(seed):
        X, y, model = tiny_problem()
        h = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=3, batch_size=4,
                seed=seed, progress=False)  # fmt: skip
        return h.train["loss"]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_gradient_clipping_limits_each_step():
    X, y, model = tiny_problem()
    before = [p.data for p in model.parameters()]
    history = fit(
        model, mse_loss, SGD(model.parameters(), lr=1.0), X, y, epochs=1, clip_grad_norm=1e-3,
        progress=False,
    )  # fmt: skip
    moved = math.sqrt(sum((p.data - b) ** 2 for p, b in zip(model.parameters(), before)))
    assert moved == pytest.approx(1e-3, rel=1e-4)  # max_norm / (norm + 1e-6), as PyTorch
    total = math.sqrt(sum(v[0] ** 2 for v in history.grad_norms.values()))
    assert total > 1e-3  # the norms are recorded before clipping


def test_the_learning_rate_schedule_is_recorded_per_epoch():
    X, y, model = tiny_problem()
    optimizer = SGD(model.parameters(), lr=0.1)
    history = fit(model, mse_loss, optimizer, X, y, epochs=3, progress=False,
                  scheduler=StepLR(optimizer, step_size=1, gamma=0.5))  # fmt: skip
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])


def test_reduce_lr_on_plateau_gets_the_validation_loss():
    X, y, model = tiny_problem()
    optimizer = SGD(model.parameters(), lr=0.0)  # nothing changes: the loss plateaus at once
    scheduler = ReduceLROnPlateau(optimizer, patience=0)
    seen = []
    scheduler_step = scheduler.step
    scheduler.step = lambda metric: (seen.append(metric), scheduler_step(metric))
    history = fit(model, mse_loss, optimizer, X, y, epochs=2, val=(X, y), scheduler=scheduler,
                  progress=False)  # fmt: skip
    assert seen == history.val["loss"]


# --- validation, modes and callbacks -------------------------------------------------------------


def test_validation_runs_in_eval_mode_without_a_graph_and_mode_is_restored():
    X, y, model = tiny_problem()
    calls = []

    def spying_loss(outputs, targets):
        calls.append((len(targets), is_grad_enabled(), model.training))
        return mse_loss(outputs, targets)

    X_val, y_val = X[:5], y[:5]
    model.eval()
    history = fit(model, spying_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=2,
                  val=(X_val, y_val), progress=False)  # fmt: skip
    assert calls == [(12, True, True), (5, False, False)] * 2
    assert model.training is False  # as before fit
    assert set(history.val) == {"loss", "accuracy"}
    assert history.val["loss"][-1] == evaluate(model, mse_loss, X_val, y_val)["loss"]


def test_history_records_every_epoch_and_round_trips_through_json(tmp_path):
    X, y, model = tiny_problem()
    optimizer = Adam(model.parameters(), lr=0.01)
    history = fit(model, binary_cross_entropy_with_logits, optimizer, X, y, epochs=4, val=(X, y),
                  metrics=("accuracy", "mse"), progress=False)  # fmt: skip
    assert history.epochs == [1, 2, 3, 4]
    for series in [*history.train.values(), *history.val.values(), history.lr, history.time]:
        assert len(series) == 4
    assert set(history.train) == set(history.val) == {"loss", "accuracy", "mse"}
    assert all(t > 0 for t in history.time)
    assert not history.stopped_early
    assert history.best_epoch == 1 + history.val["loss"].index(min(history.val["loss"]))
    text = history.to_json(tmp_path / "history.json")
    assert json.loads(text)["train"]["loss"] == history.train["loss"]
    for again in (History.from_json(text), History.from_json(tmp_path / "history.json")):
        assert again.to_dict() == history.to_dict()
    assert History.from_dict(history.to_dict()).grad_norms == history.grad_norms


def test_history_without_validation_has_an_empty_val_dict():
    X, y, model = tiny_problem()
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=2, progress=False)
    assert history.val == {}
    assert history.get("loss") is history.train["loss"]
    with pytest.raises(KeyError, match="val_loss"):
        history.get("val_loss")


def test_early_stopping_stops_and_restores_the_best_weights():
    X, y = make_moons(30, noise=0.1, seed=0)
    flipped = [1 - t for t in y]  # validation labels the model is trained against
    model = MLP(2, [4, 1], seed=0)
    states = {}

    def remember(epoch, history, model):
        states[epoch] = model.state_dict()

    stopper = EarlyStopping(monitor="val_loss", patience=3)
    history = fit(
        model, binary_cross_entropy_with_logits, Adam(model.parameters(), lr=0.05), X, y,
        epochs=100, val=(X, flipped), callbacks=[remember, stopper], progress=False,
    )  # fmt: skip
    best = 1 + history.val["loss"].index(min(history.val["loss"]))
    assert history.stopped_early
    assert history.best_epoch == best
    assert history.epochs[-1] == best + 3 < 100
    assert model.state_dict() == states[best]
    assert model.state_dict() != states[history.epochs[-1]]


def test_early_stopping_on_accuracy_maximises_and_min_delta_counts():
    stopper = EarlyStopping(monitor="accuracy", patience=2, min_delta=0.05)
    history = History(["accuracy"])
    stopper.on_train_begin(history, None)
    stops = []
    for epoch, acc in enumerate([0.5, 0.6, 0.62, 0.64], start=1):
        history.train["accuracy"].append(acc)
        stops.append(stopper.on_epoch_end(epoch, history, MLP(1, [1])))
    assert stops == [False, False, False, True]  # 0.62 and 0.64 are not 0.05 better than 0.6
    assert stopper.best_epoch == 2


def test_a_plain_function_callback_can_stop_training():
    X, y, model = tiny_problem()
    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=10,
                  callbacks=[lambda epoch, history, model: epoch == 2], progress=False)  # fmt: skip
    assert history.epochs == [1, 2] and history.stopped_early


def test_early_stopping_with_an_unknown_monitor_fails_before_training():
    X, y, model = tiny_problem()
    before = model.state_dict()
    with pytest.raises(ValueError, match="val_loss"):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=2,
            callbacks=[EarlyStopping()], progress=False)  # no val data  # fmt: skip
    assert model.state_dict() == before


# --- metrics, predict, evaluate ------------------------------------------------------------------


def test_accuracy_rules():
    scores = [0.5, -0.2, 2.0, -3.0]
    assert accuracy(scores, [1, -1, -1, 1]) == 0.5  # ±1 labels: sign of the score
    assert accuracy(scores, [1, 0, 0, 1]) == 0.5  # 0/1 labels: logit > 0 means 1
    assert accuracy(scores, [1, 0, 1, 0]) == 1.0
    rows = [[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]]
    assert accuracy(rows, [1, 2]) == 0.5  # class indices against the argmax
    assert accuracy(rows, [[0, 1, 0], [1, 0, 0]]) == 1.0  # one-hot targets


def test_mse_metric():
    assert mse([1.0, 3.0], [0.0, 1.0]) == pytest.approx(2.5)
    assert mse([[1.0, 2.0]], [[1.0, 0.0]]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="mse"):
        mse([[1.0, 2.0]], [1])


def test_custom_metric_functions_are_named_by_their_function_name():
    X, y, model = tiny_problem()

    def mean_score(outputs, targets):
        return sum(outputs) / len(outputs)

    history = fit(model, mse_loss, SGD(model.parameters(), lr=0.0), X, y, epochs=1,
                  metrics=[mean_score], progress=False)  # fmt: skip
    scores = predict(model, X)
    assert history.train["mean_score"] == [pytest.approx(sum(scores) / len(scores))]


def test_predict_returns_floats_and_leaves_the_mode_alone():
    X, _, model = tiny_problem()
    scores = predict(model, X)
    assert all(type(s) is float for s in scores)
    assert scores == [model(x).data for x in X]
    assert model.training
    assert predict_classes(model, X) == [1 if s > 0 else 0 for s in scores]
    assert predict_classes(model, X, sign_labels=True) == [1 if s > 0 else -1 for s in scores]


# --- progress output -----------------------------------------------------------------------------


def test_progress_off_writes_nothing(capsys):
    X, y, model = tiny_problem()
    fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=3, val=(X, y),
        callbacks=[EarlyStopping(patience=1)], progress=False)  # fmt: skip
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_without_a_terminal_prints_at_most_twenty_short_lines(capsys):
    X, y, model = tiny_problem(n=6)
    assert not sys.stderr.isatty()
    fit(model, mse_loss, SGD(model.parameters(), lr=0.01), X, y, epochs=50, progress=True)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == ""
    assert 2 <= len(lines) <= 20
    assert lines[-1].startswith("epoch 50/50") and "loss" in lines[-1]


def test_progress_prints_the_epoch_where_training_stopped(capsys):
    X, y, model = tiny_problem(n=6)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.01), X, y, epochs=50,
        callbacks=[lambda epoch, history, model: epoch == 7])  # fmt: skip
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("epoch 7/50:")


# --- bad arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 1.5}, TypeError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"val": ([[0.0, 0.0]], [])}, ValueError, "val"),
        ({"val": [[0.0, 0.0]]}, ValueError, "val"),
        ({"metrics": ["f1"]}, ValueError, "f1"),
        ({"clip_grad_norm": -1.0}, ValueError, "clip_grad_norm"),
        ({"callbacks": [42]}, TypeError, "callback"),
        ({"y": [0, 1]}, ValueError, "same length"),
    ],
)
def test_bad_fit_arguments_raise_before_anything_changes(kwargs, error, match):
    X, y, model = tiny_problem()
    before = model.state_dict()
    args = {"X": X, "y": y, "epochs": 2, "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), **args)
    assert model.state_dict() == before


def test_progress_in_a_terminal_is_a_tqdm_bar_with_the_live_loss(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    X, y, model = tiny_problem(n=6)
    fit(model, mse_loss, SGD(model.parameters(), lr=0.01), X, y, epochs=3, val=(X, y),
        metrics="accuracy")  # fmt: skip
    err = capsys.readouterr().err
    assert "3/3" in err and "val_loss=" in err and "accuracy=" in err


def fit_both_ways(make_model, loss_fn, X, y, val, batch_size, metrics=("accuracy",)):
    """(history, parameters, grads) of an eager and a compiled fit from the same start."""
    runs = []
    for compiled in (False, True):
        model = make_model()
        optimizer = Adam(model.parameters(), lr=0.05)
        history = fit(model, loss_fn, optimizer, X, y, epochs=3, batch_size=batch_size, val=val,
                      metrics=metrics, seed=0, progress=False, compile=compiled)  # fmt: skip
        params = model.parameters()
        runs.append((history, [p.data for p in params], [p.grad for p in params]))
    return runs


def assert_same_history(fast, eager):
    assert list(fast.train) == list(eager.train) and list(fast.val) == list(eager.val)
    for key in eager.train:
        assert fast.train[key] == pytest.approx(eager.train[key], rel=1e-9), key
    for key in eager.val:
        assert fast.val[key] == pytest.approx(eager.val[key], rel=1e-9), f"val {key}"


def count_traces(monkeypatch) -> list:
    """The CompiledFunctions fit makes (a compile_step's own included), as fit creates them."""
    compile_module = importlib.import_module("micrograd_plus.compiler")
    made, real_compile, real_step = [], compile_module.compile, compile_module.compile_step

    def recording_compile(fn, **options):
        made.append(real_compile(fn, **options))
        return made[-1]

    def recording_step(*args, **options):
        step = real_step(*args, **options)
        made.append(step.function)
        return step

    monkeypatch.setattr(compile_module, "compile", recording_compile)
    monkeypatch.setattr(compile_module, "compile_step", recording_step)
    return made


def test_compiled_training_follows_the_eager_run(monkeypatch):
    made = count_traces(monkeypatch)
    X, y, _ = tiny_problem()
    X_val, y_val, _ = tiny_problem(n=7, seed=1)

    def mean_output(outputs, targets):  # a custom metric sees plain floats either way
        assert all(type(o) is float for o in outputs)
        return sum(outputs) / len(outputs)

    runs = fit_both_ways(lambda: tiny_problem()[2], mse_loss, X, y, (X_val, y_val), 5,
                         metrics=("accuracy", "mse", mean_output))  # fmt: skip
    (eager, eager_params, eager_grads), (fast, fast_params, fast_grads) = runs
    assert_same_history(fast, eager)
    assert fast_params == pytest.approx(eager_params, rel=1e-9, abs=1e-12)
    # validation never ran a backward: the grads are the last training batch's
    assert fast_grads == pytest.approx(eager_grads, rel=1e-9, abs=1e-12)
    # one trace per batch size (5, the last batch's 2, validation's 7), replayed afterwards
    # training traces its two batch sizes (5 and the last batch's 2); validation, in
    # eval mode, has its own compiled function and one trace (7): then only replays
    assert [f.traces for f in made] == [2, 1]


def test_compiled_multiclass_training_with_validation_follows_the_eager_run():
    X, y = make_spirals(30, n_classes=3, seed=0)
    X_val, y_val = make_spirals(12, n_classes=3, seed=1)

    def top_score(outputs, targets):
        assert all(type(o) is list and len(o) == 3 for o in outputs)
        return max(max(row) for row in outputs)

    runs = fit_both_ways(lambda: MLP(2, [6, 3], seed=0), cross_entropy, X, y, (X_val, y_val), 10,
                         metrics=("accuracy", top_score))  # fmt: skip
    (eager, eager_params, eager_grads), (fast, fast_params, fast_grads) = runs
    assert_same_history(fast, eager)
    assert set(fast.val) == {"loss", "accuracy", "top_score"}
    assert fast_params == pytest.approx(eager_params, rel=1e-9, abs=1e-12)
    assert fast_grads == pytest.approx(eager_grads, rel=1e-9, abs=1e-12)


def test_compile_refuses_dropout_and_batchnorm_in_training():
    from micrograd_plus.nn import BatchNorm1d, Dropout, Linear, Sequential

    X, y, _ = tiny_problem(n=6)
    for layer in (Dropout(0.5), BatchNorm1d(4)):
        model = Sequential(Linear(2, 4), layer, Linear(4, 1))
        before = [p.data for p in model.parameters()]
        with pytest.raises(ValueError, match=type(layer).__name__ + ".*compile=False"):
            fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=1,
                progress=False, compile=True)  # fmt: skip
        assert [p.data for p in model.parameters()] == before


def test_predict_classes_reads_a_one_element_row_as_a_score():
    def model(x):
        return [x[0] * 2.0]  # a micrograd-style model may wrap its single output in a list

    assert predict_classes(model, [[1.0], [-1.0]]) == [1, 0]
    assert predict_classes(model, [[1.0], [-1.0]], sign_labels=True) == [1, -1]


@pytest.mark.parametrize("metric", [accuracy, mse])
def test_metrics_refuse_mismatched_or_empty_inputs_instead_of_truncating(metric):
    with pytest.raises(ValueError, match="2 outputs and 3 targets"):
        metric([0.5, -0.5], [1, 0, 1])
    with pytest.raises(ValueError, match="0 outputs and 0 targets"):
        metric([], [])


def test_compiled_validation_is_traced_in_eval_mode():
    """A module that computes differently in training and eval mode gets eager's val loss."""
    from micrograd_plus.nn import Module

    class ScaledInTraining(Module):
        def __init__(self):
            self.inner = MLP(2, [3, 1], seed=0)

        def forward(self, x):
            out = self.inner(x)
            return out * 2.0 if self.training else out

    X, y, _ = tiny_problem(n=10)
    X_val, y_val = X[:4], y[:4]  # same size as a training batch: a shared trace would be wrong
    runs = fit_both_ways(ScaledInTraining, mse_loss, X, y, (X_val, y_val), 4)
    (eager, _, _), (fast, _, _) = runs
    assert_same_history(fast, eager)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -0.1, True, "0.1"])
def test_early_stopping_refuses_a_min_delta_that_could_never_be_beaten(bad):
    with pytest.raises(ValueError, match="min_delta must be a finite number >= 0"):
        EarlyStopping(min_delta=bad)
