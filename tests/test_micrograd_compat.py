"""A script written for micrograd runs unchanged on micrograd_plus and gives the same numbers.

``micrograd_demo_loop`` is micrograd's own demo (README / demo.ipynb): an
MLP(2, [16, 16, 1]) on two moons with labels ±1, the SVM "max-margin" loss
plus alpha * L2 regularisation, and plain SGD with the decaying learning rate
``1.0 - 0.9 * k / 100``, written the way that notebook writes it. It only
touches the names micrograd has, so running it with both libraries from the
same starting weights checks the whole path: Value arithmetic, relu, builtin
``sum`` over Values, ``parameters()``, ``zero_grad()``, ``backward()`` and
``p.data -= lr * p.grad``.
"""

import random

import pytest

import micrograd_plus.engine as plus_engine
import micrograd_plus.nn as plus_nn
from micrograd_plus.data import make_moons

STEPS = 20


def micrograd_demo_loop(Value, model, X, y, steps=STEPS):
    """micrograd's demo training loop; returns (loss, accuracy) of every step."""

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))
    return history


def moons_with_sign_labels():
    X, y01 = make_moons(100, noise=0.1, seed=1)
    return X, [2 * label - 1 for label in y01]  # micrograd's demo uses y in {-1, +1}


def test_micrograds_demo_gives_the_same_losses_and_accuracy_step_by_step():
    micrograd_engine = pytest.importorskip("micrograd.engine")
    micrograd_nn = pytest.importorskip("micrograd.nn")
    X, y = moons_with_sign_labels()
    random.seed(1337)  # the demo's seed; both libraries draw the same uniform weights
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = plus_nn.MLP(2, [16, 16, 1])
    their_start = [p.data for p in theirs.parameters()]
    assert [p.data for p in ours.parameters()] == their_start  # identical initial weights
    assert len(set(their_start)) > 300  # real random weights, not a degenerate start

    their_run = micrograd_demo_loop(micrograd_engine.Value, theirs, X, y)
    our_run = micrograd_demo_loop(plus_engine.Value, ours, X, y)

    # Not bit-identical: micrograd keeps parents in a set, so gradients that meet at a
    # node are added in another order (differences of ~1e-16 relative).
    for k, ((their_loss, their_acc), (our_loss, our_acc)) in enumerate(zip(their_run, our_run)):
        assert our_loss == pytest.approx(their_loss, rel=1e-12, abs=1e-12), f"step {k}"
        assert our_acc == their_acc, f"step {k}"
    assert len(our_run) == len(their_run) == STEPS
    assert our_run[-1][0] < 0.5 * our_run[0][0]  # the loop really trains
    final = [p.data for p in ours.parameters()]
    assert final == pytest.approx([p.data for p in theirs.parameters()], rel=1e-9, abs=1e-12)


def test_a_micrograd_script_runs_after_swapping_the_imports():
    """The import lines of a micrograd script, swapped, and the lecture's first example."""
    from micrograd_plus.engine import Value
    from micrograd_plus.nn import MLP, Layer, Neuron

    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    # the values micrograd's README prints for this expression
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"

    assert isinstance(Neuron(3)([1.0, 2.0, 3.0]), Value)
    assert len(Layer(3, 4)([1.0, 2.0, 3.0])) == 4
    model = MLP(3, [4, 4, 1])
    assert len(model.parameters()) == 4 * 4 + 4 * 5 + 5
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
