"""Normalisation over the last dimension: LayerNorm and RMSNorm (PyTorch's).

Each takes one vector (a list of numbers or Values) or a list of such rows (a
sequence, as in a transformer) and normalises every vector on its own.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from ._nested import NestedParameters, check_vector, constant_values, positive_int
from .engine import Value, sum_values
from .module import Module

__all__ = ["LayerNorm", "RMSNorm"]

FLOAT64_EPS = 2.220446049250313e-16  # torch.finfo(torch.float64).eps, RMSNorm's default


def _size(normalized_shape: int | Sequence[int], who: str) -> int:
    if isinstance(normalized_shape, tuple | list):
        if len(normalized_shape) != 1:
            raise ValueError(
                f"{who} normalises one dimension: normalized_shape must be an int, "
                f"got {normalized_shape!r}"
            )
        normalized_shape = normalized_shape[0]
    return positive_int("normalized_shape", normalized_shape, who)


def _is_rows(x: object) -> bool:
    return isinstance(x, Sequence) and bool(x) and not isinstance(x[0], Value | numbers.Real)


class _Norm(NestedParameters, Module):
    size: int
    normalized_shape: tuple[int]
    eps: float
    weight: list[Value] | None

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        """One vector normalised, or each row of a list of vectors normalised on its own."""
        if _is_rows(x):
            return [self.forward(row) for row in x]
        return self._normalise(check_vector(x, self.size, type(self).__name__))

    def _normalise(self, x: list[Any]) -> list[Value]:
        raise NotImplementedError


class LayerNorm(_Norm):
    """(x - mean) / sqrt(var + eps) * weight + bias over each vector (biased variance)."""

    size: int
    normalized_shape: tuple[int]
    eps: float
    weight: list[Value] | None
    bias: list[Value] | None

    def __init__(
        self,
        normalized_shape: int,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        self.size = _size(normalized_shape, "LayerNorm")
        self.normalized_shape = (self.size,)
        self.eps = float(eps)
        self.weight = constant_values((self.size,), 1.0) if elementwise_affine else None
        self.bias = constant_values((self.size,), 0.0) if elementwise_affine and bias else None

    def _normalise(self, x: list[Any]) -> list[Value]:
        n = len(x)
        mean = sum_values(x) * (1.0 / n)
        centred = [v - mean for v in x]
        inv_std = (sum_values([d * d for d in centred]) * (1.0 / n) + self.eps) ** -0.5
        out = [d * inv_std for d in centred]
        if self.weight is not None:
            out = [v * w for v, w in zip(out, self.weight)]
        if self.bias is not None:
            out = [v + b for v, b in zip(out, self.bias)]
        return out

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"{self.normalized_shape}, eps={self.eps}"


class RMSNorm(_Norm):
    """x / sqrt(mean(x**2) + eps) * weight; eps=None is float64's machine epsilon (PyTorch's)."""

    size: int
    normalized_shape: tuple[int]
    eps: float
    weight: list[Value] | None

    def __init__(
        self, normalized_shape: int, eps: float | None = None, elementwise_affine: bool = True
    ) -> None:
        self.size = _size(normalized_shape, "RMSNorm")
        self.normalized_shape = (self.size,)
        self.eps = FLOAT64_EPS if eps is None else float(eps)
        self.weight = constant_values((self.size,), 1.0) if elementwise_affine else None

    def _normalise(self, x: list[Any]) -> list[Value]:
        scale = (sum_values([v * v for v in x]) * (1.0 / len(x)) + self.eps) ** -0.5
        if self.weight is None:
            return [v * scale for v in x]
        return [v * scale * w for v, w in zip(x, self.weight)]

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"{self.normalized_shape}, eps={self.eps}"
