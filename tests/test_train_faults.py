"""fit under faults (issue 13): NaN/inf never trained on, Ctrl-C keeps a consistent History,
metrics that fit the task, and the History file written atomically as strict JSON."""

import json
import math

import pytest

from micrograd_plus.data import make_moons, make_regression
from micrograd_plus.engine import Value
from micrograd_plus.losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from micrograd_plus.nn import MLP
from micrograd_plus.optim import SGD, Adam
from micrograd_plus.train import EarlyStopping, History, NonFiniteError, evaluate, fit


def problem(n=16, seed=0):
    X, y = make_moons(n, noise=0.1, seed=seed)
    return X, list(y), MLP(2, [4, 1], seed=seed)


def weights(model):
    return [p.data for p in model.parameters()]


def loss_that_turns_nan_on_call(k):
    """binary_cross_entropy_with_logits, except that call number k (1-based) returns NaN."""
    calls = []

    def loss_fn(outputs, targets):
        calls.append(1)
        loss = binary_cross_entropy_with_logits(outputs, targets)
        return loss * math.nan if len(calls) == k else loss

    return loss_fn


def consistent(history):
    n = len(history.epochs)
    series = [history.lr, history.time, *history.train.values(), *history.val.values()]
    series += list(history.grad_norms.values())
    return history.epochs == list(range(1, n + 1)) and all(len(s) == n for s in series)


# --- a non-finite loss, gradient or step ---


def test_one_nan_label_stops_fit_before_any_update():
    X, y, model = problem()
    y[5] = math.nan
    before = weights(model)
    with pytest.raises(NonFiniteError, match=r"the loss is nan in epoch 1, batch 1 of 1") as info:
        fit(model, mse_loss, SGD(model.parameters(), lr=0.1), X, y, epochs=3, progress=False)
    assert weights(model) == before  # never trained on garbage
    assert info.value.epoch == 1 and info.value.batch == 1
    assert info.value.history.epochs == [] and consistent(info.value.history)


def test_a_nan_in_a_later_epoch_leaves_the_weights_of_the_last_finite_step():
    X, y, model = problem()
    seen = []
    fit(
        model,
        loss_that_turns_nan_on_call(0),
        Adam(model.parameters(), lr=0.05),
        X,
        y,
        seed=0,
        epochs=2,
        batch_size=8,
        progress=False,
        callbacks=[lambda e, h, m: seen.append(weights(m))],
    )
    reference = seen[-1]  # after 2 epochs of 2 batches
    X, y, model = problem()
    with pytest.raises(NonFiniteError, match=r"epoch 3, batch 1 of 2") as info:
        fit(
            model,
            loss_that_turns_nan_on_call(5),
            Adam(model.parameters(), lr=0.05),
            X,
            y,
            seed=0,
            epochs=5,
            batch_size=8,
            progress=False,
        )
    assert weights(model) == reference
    history = info.value.history
    assert history.epochs == [1, 2] and consistent(history)
    assert all(math.isfinite(v) for v in history.train["loss"])


def test_skip_leaves_out_the_bad_batch_and_records_it():
    X, y, model = problem()
    history = fit(
        model,
        loss_that_turns_nan_on_call(3),
        Adam(model.parameters(), lr=0.05),
        X,
        y,
        epochs=3,
        batch_size=8,
        progress=False,
        on_nonfinite="skip",
    )
    assert history.skipped_batches == [[2, 1]]
    assert history.epochs == [1, 2, 3] and consistent(history)
    assert all(math.isfinite(v) for v in history.train["loss"])
    assert all(math.isfinite(w) for w in weights(model))
    assert History.from_json(history.to_json()).skipped_batches == [[2, 1]]


def test_warn_skips_with_a_warning_naming_epoch_and_batch():
    X, y, model = problem()
    with pytest.warns(RuntimeWarning, match=r"skipped epoch 1, batch 2 of 2: the loss is nan"):
        history = fit(
            model,
            loss_that_turns_nan_on_call(2),
            SGD(model.parameters(), lr=0.1),
            X,
            y,
            epochs=1,
            batch_size=8,
            progress=False,
            on_nonfinite="warn",
        )
    assert history.skipped_batches == [[1, 2]]


def test_an_epoch_with_every_batch_skipped_records_nan_not_a_made_up_number():
    X, y, model = problem()
    y[0] = math.inf
    history = fit(
        model,
        mse_loss,
        SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=2,
        progress=False,
        on_nonfinite="skip",
        metrics=(),
    )
    assert history.skipped_batches == [[1, 1], [2, 1]]
    assert all(math.isnan(v) for v in history.train["loss"])


def test_a_nan_gradient_with_a_finite_loss_is_caught_and_names_the_parameter():
    X, y, model = problem()
    first = model.layers[0].neurons[0].w[0]

    def poisoned(outputs, targets):
        # log of a subnormal: a finite loss (about -737) whose gradient 1/x overflows to inf
        return binary_cross_entropy_with_logits(outputs, targets) + (first * 1e-320).log()

    before = weights(model)
    with pytest.raises(
        NonFiniteError, match=r"the gradient of parameter 'layers.0.w\[0,0\]' is -?inf"
    ):
        fit(model, poisoned, SGD(model.parameters(), lr=0.1), X, y, epochs=1, progress=False)
    assert weights(model) == before


def test_a_step_that_overflows_the_weights_is_undone():
    X, _, model = problem()
    y = [1e10] * len(X)  # finite loss (1e20) and gradients (~1e10); lr * gradient overflows
    before = weights(model)
    with pytest.raises(NonFiniteError, match=r"optimizer step would make parameter .* -?inf"):
        fit(model, mse_loss, SGD(model.parameters(), lr=1e300), X, y, epochs=1, progress=False)
    assert weights(model) == before


def test_huge_gradients_give_a_huge_norm_not_an_overflow_error():
    from micrograd_plus.train import grad_norm_per_layer

    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 3e200, 4e200
    assert grad_norm_per_layer({"x": [a, b]})["x"] == pytest.approx(5e200)


def test_on_nonfinite_and_on_interrupt_are_checked():
    X, y, model = problem()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="on_nonfinite must be one of 'raise', 'skip', 'warn'"):
        fit(model, mse_loss, opt, X, y, epochs=1, on_nonfinite="ignore")
    with pytest.raises(ValueError, match="on_interrupt must be 'return' or 'raise'"):
        fit(model, mse_loss, opt, X, y, epochs=1, on_interrupt=True)


# --- Ctrl-C ---


def interrupted_at_call(k):
    calls = []

    def loss_fn(outputs, targets):
        calls.append(1)
        if len(calls) == k:
            raise KeyboardInterrupt
        return binary_cross_entropy_with_logits(outputs, targets)

    return loss_fn


class Recorder:
    """A callback that keeps the History it is given and the weights after every epoch."""

    def on_train_begin(self, history, model):
        self.history, self.weights = history, []

    def on_epoch_end(self, epoch, history, model):
        self.weights.append(weights(model))


def test_ctrl_c_returns_a_consistent_history_and_restores_the_best_weights(capsys):
    X, y, model = problem()
    recorder = Recorder()
    stopper = EarlyStopping(monitor="loss", patience=100, restore_best=True)
    # 2 batches per epoch: call 40 is the 2nd batch of epoch 20, so 19 epochs finished
    history = fit(
        model,
        interrupted_at_call(40),
        Adam(model.parameters(), lr=0.2),
        X,
        y,
        epochs=50,
        batch_size=8,
        seed=0,
        progress=False,
        callbacks=[recorder, stopper],
    )
    assert history.interrupted and history.epochs == list(range(1, 20)) and consistent(history)
    assert recorder.history is history and len(history.lr) == 19
    best = history.best_epoch
    assert best == stopper.best_epoch == 1 + history.train["loss"].index(min(history.train["loss"]))
    assert weights(model) == recorder.weights[best - 1]
    assert "interrupted" in capsys.readouterr().err
    assert History.from_json(history.to_json()).interrupted


def test_ctrl_c_re_raises_when_asked_with_the_history_attached():
    X, y, model = problem()
    with pytest.raises(KeyboardInterrupt) as info:
        fit(
            model,
            interrupted_at_call(4),
            SGD(model.parameters(), lr=0.1),
            X,
            y,
            epochs=9,
            progress=False,
            on_interrupt="raise",
        )
    history = info.value.history
    assert history.interrupted and history.epochs == [1, 2, 3] and consistent(history)


def test_ctrl_c_in_validation_drops_the_unfinished_epoch():
    X, y, model = problem()
    calls = []

    def loss_fn(outputs, targets):
        calls.append(1)
        if len(calls) == 6:  # train, val, train, val, train, *val of epoch 3*
            raise KeyboardInterrupt
        return binary_cross_entropy_with_logits(outputs, targets)

    history = fit(
        model, loss_fn, SGD(model.parameters(), lr=0.1), X, y, epochs=9, val=(X, y), progress=False
    )
    assert history.epochs == [1, 2] and consistent(history)


# --- metrics that fit the task ---


def test_regression_gets_no_accuracy_by_default():
    X, y = make_regression(20, n_features=2, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(
        model,
        mse_loss,
        SGD(model.parameters(), lr=0.01),
        X,
        y,
        epochs=2,
        val=(X, y),
        progress=False,
    )
    assert set(history.train) == set(history.val) == {"loss"}
    assert set(evaluate(model, mse_loss, X, y)) == {"loss"}
    custom = fit(
        model,
        lambda o, t: mse_loss(o, t),
        SGD(model.parameters(), lr=0.01),
        X,
        y,
        epochs=1,
        progress=False,
    )
    assert set(custom.train) == {"loss"}  # real-valued targets: a regression


def test_classification_losses_get_accuracy_by_default():
    X, y, model = problem()
    history = fit(
        model,
        binary_cross_entropy_with_logits,
        SGD(model.parameters(), lr=0.1),
        X,
        y,
        epochs=1,
        progress=False,
    )
    assert "accuracy" in history.train
    three = MLP(2, [3], seed=0)
    labels = [i % 3 for i in range(len(X))]
    assert "accuracy" in evaluate(three, cross_entropy, X, labels)
    assert "accuracy" in evaluate(model, None, X, y)  # class labels, no loss given


def test_accuracy_on_real_valued_targets_names_the_sample():
    X, y = make_regression(10, n_features=2, seed=0)
    model = MLP(2, [1], seed=0)
    with pytest.raises(
        ValueError, match=r"accuracy: target 0 is .*, expected a class label 0 or 1"
    ):
        evaluate(model, mse_loss, X, y, metrics="accuracy")


def test_accuracy_is_nan_when_an_output_is_nan():
    from micrograd_plus.train import accuracy

    assert math.isnan(accuracy([0.3, math.nan], [1, 0]))
    assert math.isnan(accuracy([[0.1, math.nan]], [1]))
    with pytest.raises(ValueError, match="class index 0..1"):
        accuracy([[0.1, 0.2]], [2])


# --- the History file ---


def test_history_json_is_strict_and_reads_nan_back(tmp_path):
    history = History(["accuracy"])
    history.epochs = [1, 2]
    history.train = {"loss": [0.5, math.nan], "accuracy": [0.5, math.inf]}
    path = tmp_path / "h.json"
    text = history.to_json(path)
    assert path.read_text(encoding="utf-8") == text
    strict = json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token} token"))
    assert strict["train"]["loss"][1] == "NaN"
    again = History.from_json(path)
    assert math.isnan(again.train["loss"][1]) and again.train["accuracy"][1] == math.inf


def test_a_failed_history_write_leaves_the_old_file(tmp_path, monkeypatch):
    import micrograd_plus.files as files

    path = tmp_path / "h.json"
    old = History()
    old.epochs, old.train = [1], {"loss": [1.0]}
    old.to_json(path)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    new = History()
    new.epochs, new.train = [1, 2], {"loss": [1.0, 0.5]}
    with pytest.raises(OSError, match="No space left"):
        new.to_json(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["h.json"]
