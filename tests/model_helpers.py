"""Shared by the layer tests: moving nested lists of Values to PyTorch float64 tensors and back."""

from __future__ import annotations

import random

from micrograd_plus.engine import Value, sum_values


def floats(x):
    if isinstance(x, list | tuple):
        return [floats(v) for v in x]
    return float(x.data if isinstance(x, Value) else x)


def grads(x):
    if isinstance(x, list | tuple):
        return [grads(v) for v in x]
    return x.grad


def random_values(shape, seed: int, scale: float = 1.0):
    rng = random.Random(seed)

    def make(shape):
        if len(shape) == 1:
            return [Value(rng.uniform(-scale, scale)) for _ in range(shape[0])]
        return [make(shape[1:]) for _ in range(shape[0])]

    return make(shape)


def flat(x) -> list:
    if isinstance(x, list | tuple):
        return [v for item in x for v in flat(item)]
    return [x]


def weighted_sum(outputs, seed: int = 0):
    """A scalar loss that gives every output its own random weight (so every gradient differs)."""
    rng = random.Random(seed)
    values = flat(outputs)
    coefs = [rng.uniform(-1, 1) for _ in values]
    return sum_values([c * v for c, v in zip(coefs, values)]), coefs


def tensor(torch, x, grad: bool = False):
    return torch.tensor(floats(x), dtype=torch.float64, requires_grad=grad)


def assert_close(ours, theirs, tol: float = 1e-10) -> None:
    a, b = flat(ours), flat(theirs)
    assert len(a) == len(b), (len(a), len(b))
    worst = max(abs(x - y) for x, y in zip(a, b))
    assert worst < tol, f"largest difference {worst}"
