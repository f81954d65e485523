"""Grad mode, anomaly mode and the tracing hook belong to one thread, not the process.

Each scenario runs real threads, ordered by events so that the blocks really
overlap: thread A sits inside a mode block while thread B works.
"""

from __future__ import annotations

import math
import threading

import pytest

from micrograd_plus import AnomalyError, Value, detect_anomaly, engine, is_grad_enabled, no_grad

TIMEOUT = 10.0


def run_threads(*targets):
    """Start one thread per target, join them all, re-raise the first failure."""
    errors: list[BaseException] = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as error:  # reported to the test below
                errors.append(error)

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a test thread hung"
    if errors:
        raise errors[0]


def test_backward_in_one_thread_while_another_is_inside_no_grad():
    a_inside, b_done = threading.Event(), threading.Event()
    seen = {}

    def evaluator():
        with no_grad():
            a_inside.set()
            assert b_done.wait(TIMEOUT)
            y = Value(2.0) * Value(3.0)
            seen["a_graph"] = y._prev
            seen["a_enabled"] = is_grad_enabled()

    def trainer():
        assert a_inside.wait(TIMEOUT)
        x = Value(3.0)
        y = (x * x).tanh()
        y.backward()
        seen["b_grad"] = x.grad
        seen["b_enabled"] = is_grad_enabled()
        b_done.set()

    run_threads(evaluator, trainer)
    assert seen["b_grad"] == pytest.approx(6.0 * (1 - math.tanh(9.0) ** 2), rel=1e-12)
    assert seen["b_enabled"] is True
    assert seen["a_graph"] == () and seen["a_enabled"] is False
    assert is_grad_enabled()


def test_overlapping_no_grad_blocks_in_two_threads_restore_grad_mode():
    # A enters, B enters, A leaves, B leaves: the interleaving that used to leave
    # the process-wide flag off for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_a():
        with no_grad():
            a_in.set()
            assert b_in.wait(TIMEOUT)
        a_out.set()
        assert is_grad_enabled()

    def thread_b():
        assert a_in.wait(TIMEOUT)
        with no_grad():
            b_in.set()
            assert a_out.wait(TIMEOUT)
            assert not is_grad_enabled()
        assert is_grad_enabled()

    run_threads(thread_a, thread_b)
    assert is_grad_enabled()
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0


def test_detect_anomaly_in_one_thread_does_not_reach_another():
    a_inside, b_done = threading.Event(), threading.Event()
    seen = {}

    def checked():
        with detect_anomaly():
            a_inside.set()
            assert b_done.wait(TIMEOUT)
            with pytest.raises(AnomalyError, match="NaN"):
                Value(math.inf) - Value(math.inf)
            seen["a_raised"] = True

    def unchecked():
        assert a_inside.wait(TIMEOUT)
        seen["b_value"] = (Value(math.inf) - Value(math.inf)).data  # NaN, no error here
        b_done.set()

    run_threads(checked, unchecked)
    assert seen["a_raised"]
    assert math.isnan(seen["b_value"])


def test_tracing_hook_sees_only_its_own_thread():
    a_inside, b_done = threading.Event(), threading.Event()
    calls: list[str] = []

    def tracer():
        with no_grad():
            with engine.tracing(lambda symbol, a, b: calls.append(symbol)):
                assert is_grad_enabled()  # tracing turns grad mode on for its block
                a_inside.set()
                assert b_done.wait(TIMEOUT)
                assert Value(1.0) < 2.0
                assert engine.comparison_hook() is not None
            assert engine.comparison_hook() is None
            assert not is_grad_enabled()

    def other():
        assert a_inside.wait(TIMEOUT)
        assert engine.comparison_hook() is None
        assert Value(3.0) > 2.0
        assert bool(Value(1.0))
        b_done.set()

    run_threads(tracer, other)
    assert calls == ["<"]
    assert engine.comparison_hook() is None and is_grad_enabled()


def test_tracing_restores_the_modes_after_an_error():
    with pytest.raises(RuntimeError, match="boom"), engine.tracing(lambda *args: None):
        raise RuntimeError("boom")
    assert engine.comparison_hook() is None
    assert is_grad_enabled()
    assert engine._open_blocks == 0


def test_a_new_thread_starts_in_the_default_modes():
    seen = {}

    def child():
        seen["grad"] = is_grad_enabled()
        seen["graph"] = (Value(1.0) + Value(2.0))._prev != ()

    with no_grad():
        run_threads(child)
    assert seen == {"grad": True, "graph": True}
