"""PyTorch-style building blocks: Sequential, activations, Dropout and BatchNorm1d.

micrograd stops at Neuron, Layer and MLP (in ``nn.py``); these are the extras
for composing models by hand and for the regularisation notebooks. They live
in their own file so ``nn.py`` stays short; import them from
``micrograd_plus.nn`` like everything else.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterator, Sequence
from typing import Any

from .engine import Value, sum_values
from .init import make_rng
from .module import Module, as_sample, chain, chain_batch, check_width, unwrap

# --- composing modules ------------------------------------------------------------------------


class Sequential(Module):
    """Modules applied in order. Parameters are named by position, like PyTorch (``0.w[1,2]``)."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, argument {i} is {type(m).__name__}")
        self.layers: list[Module] = list(modules)

    def children(self) -> list[tuple[str, Module]]:
        """The modules, named by position."""
        return [(str(i), m) for i, m in enumerate(self.layers)]

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def forward(self, x: Any) -> Any:
        """``x`` through every module in order."""
        return chain(self.layers, x)

    def forward_batch(self, X: Sequence[Any]) -> list[Any]:
        """A batch through every module in order (modules that need a batch get one)."""
        return chain_batch(self.layers, X)


# --- activations as modules: one sample, elementwise -----------------------------------------


class _Elementwise(Module):
    """Maps a Value, or each Value of a (nested) list such as an image, through ``_apply``."""

    def forward(self, x: Any) -> Any:
        """The activation of ``x``: a Value, or each Value of a (nested) list."""
        if isinstance(x, Value | numbers.Real):
            return self._apply(_as_value(x))
        return [
            self.forward(v) if isinstance(v, list | tuple) else self._apply(_as_value(v))
            for v in as_sample(x)
        ]

    def _apply(self, v: Value) -> Value:
        raise NotImplementedError


def _as_value(x: Any) -> Value:
    return x if isinstance(x, Value) else Value(x)


class ReLU(_Elementwise):
    """``max(x, 0)`` elementwise, as ``torch.nn.ReLU``."""

    def _apply(self, v: Value) -> Value:
        return v.relu()


class Tanh(_Elementwise):
    """``tanh(x)`` elementwise, as ``torch.nn.Tanh``."""

    def _apply(self, v: Value) -> Value:
        return v.tanh()


class Sigmoid(_Elementwise):
    """``1 / (1 + e**-x)`` elementwise, as ``torch.nn.Sigmoid``."""

    def _apply(self, v: Value) -> Value:
        return v.sigmoid()


class LeakyReLU(_Elementwise):
    """``x`` if ``x > 0`` else ``negative_slope * x`` elementwise, as ``torch.nn.LeakyReLU``."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope: float = negative_slope

    def _apply(self, v: Value) -> Value:
        return v.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"negative_slope={self.negative_slope}"


class Identity(_Elementwise):
    """Its input, unchanged (a placeholder, as ``torch.nn.Identity``)."""

    def _apply(self, v: Value) -> Value:
        return v


# --- regularisation and normalisation ---------------------------------------------------------


class Dropout(Module):
    """In training, zero each input with probability ``p`` and scale the rest by 1/(1-p).

    Works on one sample. In ``eval()`` it is the identity. ``seed`` as in ``MLP``.
    """

    p: float

    def __init__(self, p: float = 0.5, seed: int | random.Random | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout probability p must be between 0 and 1, got {p!r}")
        self.p = float(p)
        self._rng: Any = make_rng(seed)

    def forward(self, x: Any) -> Any:
        """In training, each input dropped with probability ``p`` (the rest scaled up)."""
        single = isinstance(x, Value | numbers.Real)
        values = [_as_value(v) for v in as_sample(x)]
        if self.training and self.p > 0.0:
            values = [self._drop(v) for v in values]
        return values[0] if single else values

    @property
    def frozen_by_tracing(self) -> str:  # type: ignore[override]
        """What tracing would freeze: the random mask, unless ``p`` is 0."""
        return "its random mask" if self.p > 0.0 else ""

    def _drop(self, v: Value) -> Value:
        if self.p == 1.0 or self._rng.random() < self.p:
            return v * 0.0
        return v * (1.0 / (1.0 - self.p))

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Normalise each feature over a mini-batch, then scale and shift (PyTorch's BatchNorm1d).

    ``forward_batch(X)`` takes a list of samples (each a list of ``num_features``
    values). In training it uses the batch mean and (biased) variance and updates
    ``running_mean`` / ``running_var`` (with the unbiased variance, as PyTorch does);
    in ``eval()`` it uses the running statistics, and then ``model(x)`` on one
    sample works too.
    """

    frozen_by_tracing = "its running statistics"
    num_features: int
    eps: float
    momentum: float
    affine: bool
    weight: list[Value]
    bias: list[Value]
    running_mean: list[float]
    running_var: list[float]

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
            raise ValueError(f"momentum must be a number between 0 and 1, got {momentum!r}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be between 0 and 1, got {momentum!r}")
        if not eps > 0.0:
            raise ValueError(f"eps must be positive, got {eps!r}")
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        if affine:
            self.weight = [Value(1.0) for _ in range(num_features)]
            self.bias = [Value(0.0) for _ in range(num_features)]
        self.running_mean = [0.0] * num_features
        self.running_var = [1.0] * num_features

    def _own_buffers(self) -> list[tuple[str, list[float], int]]:
        n = self.num_features
        return [(f"running_mean[{j}]", self.running_mean, j) for j in range(n)] + [
            (f"running_var[{j}]", self.running_var, j) for j in range(n)
        ]

    def forward(self, x: Any) -> Any:
        """One sample, normalised with the running statistics (``eval()`` mode only)."""
        if self.training:
            raise ValueError(
                "BatchNorm1d in training mode needs a batch: call forward_batch(X) "
                "with at least 2 samples, or switch to eval() to use one sample"
            )
        return unwrap(self.forward_batch([x])[0])

    def forward_batch(self, X: Sequence[Any]) -> list[list[Value]]:
        """A batch normalised per feature (batch statistics in training, running in eval)."""
        X = [as_sample(x) for x in X]
        for x in X:
            check_width(x, self.num_features, "BatchNorm1d")
        if not self.training:
            return [[self._eval_feature(x[j], j) for j in range(self.num_features)] for x in X]
        if len(X) < 2:
            raise ValueError(f"BatchNorm1d in training mode needs at least 2 samples, got {len(X)}")
        columns = [self._train_feature([x[j] for x in X], j) for j in range(self.num_features)]
        return [list(row) for row in zip(*columns)]

    def _train_feature(self, column: list[Value], j: int) -> list[Value]:
        n = len(column)
        mean = sum_values(column) / n
        centred = [v - mean for v in column]
        var = sum_values([d * d for d in centred]) / n  # biased, as used for normalising
        inv_std = (var + self.eps) ** -0.5
        m = self.momentum
        self.running_mean[j] = (1 - m) * self.running_mean[j] + m * mean.data
        self.running_var[j] = (1 - m) * self.running_var[j] + m * var.data * n / (n - 1)
        return [self._affine(d * inv_std, j) for d in centred]

    def _eval_feature(self, v: Any, j: int) -> Value:
        scale = 1.0 / math.sqrt(self.running_var[j] + self.eps)
        return self._affine((_as_value(v) - self.running_mean[j]) * scale, j)

    def _affine(self, v: Value, j: int) -> Value:
        return v * self.weight[j] + self.bias[j] if self.affine else v

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
        )
