"""Small helpers shared by the layers that hold PyTorch-shaped weights as nested lists.

A conv weight ``[out][in][k][k]`` or a GRU's stacked ``weight_ih [3*hidden][input]``
is a list of lists of Values; these helpers make, check and combine such lists.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from .engine import Value, sum_values


def uniform_values(shape: Sequence[int], bound: float, rng) -> list:
    """Nested lists of Values of the given shape, drawn from U(-bound, bound) in row-major order."""
    if len(shape) == 1:
        return [Value(rng.uniform(-bound, bound)) for _ in range(shape[0])]
    return [uniform_values(shape[1:], bound, rng) for _ in range(shape[0])]


def constant_values(shape: Sequence[int], value: float) -> list:
    if len(shape) == 1:
        return [Value(value) for _ in range(shape[0])]
    return [constant_values(shape[1:], value) for _ in range(shape[0])]


def torch_default_bound(fan_in: int) -> float:
    """PyTorch's default init for Linear/Conv/RNN weights and biases: U(-1/sqrt(fan_in), ...)."""
    return 1.0 / math.sqrt(fan_in)


def positive_int(name: str, value, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return int(value)


def pair(name: str, value, who: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, as PyTorch's kernel_size/stride/padding accept."""
    items = value if isinstance(value, tuple | list) else (value, value)
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum for v in items
    ):
        raise ValueError(
            f"{who}: {name} must be an int >= {minimum} or a pair of them, got {value!r}"
        )
    return int(items[0]), int(items[1])


def affine(weight: list, bias: list | None, x: Sequence) -> list[Value]:
    """``weight @ x + bias`` for a weight stored as rows (PyTorch's ``[out][in]`` layout)."""
    if bias is None:
        return [sum_values([w * xi for w, xi in zip(row, x)]) for row in weight]
    return [sum_values([w * xi for w, xi in zip(row, x)] + [b]) for row, b in zip(weight, bias)]


def check_vector(x, size: int, who: str, what: str = "input") -> list:
    if isinstance(x, Value | numbers.Real | str) or not isinstance(x, Sequence):
        raise TypeError(
            f"{who}: the {what} must be a list of {size} numbers or Values, got {x!r:.60}"
        )
    if len(x) != size:
        raise ValueError(f"{who}: expected an {what} of {size} values, got {len(x)}")
    return list(x)


def shape_of(x) -> tuple[int, ...]:
    """The shape of a nested list (looking down its first elements)."""
    shape = []
    while isinstance(x, list | tuple):
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    return tuple(shape)


def floats(x):
    """A nested list of Values (or numbers) as the same nesting of floats."""
    if isinstance(x, list | tuple):
        return [floats(v) for v in x]
    return float(x)


def nested_parameters(name: str, value) -> list[tuple[str, Value]]:
    """Every Value in a nested list, named ``name[i,j,...]`` by its indices."""
    if isinstance(value, Value):
        return [(name, value)]
    found: list[tuple[str, Value]] = []
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            sub = f"{name}[{i}]" if "[" not in name else f"{name[:-1]},{i}]"
            found.extend(nested_parameters(sub, item))
    return found


class NestedParameters:
    """Mixin for modules whose weights are nested lists of Values (``weight[o][c][a][b]``)."""

    def _own_parameters(self) -> list[tuple[str, Value]]:
        found = []
        for name, value in vars(self).items():
            if not name.startswith("_"):
                found.extend(nested_parameters(name, value))
        return found
