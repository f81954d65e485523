"""Neural-network modules built on ``Value``: micrograd's Neuron/Layer/MLP and friends.

Import every module from here. This file holds micrograd's part, the one to
read first: ``Neuron``, ``Layer`` (``Linear`` is a Layer without activation)
and ``MLP``. The base class ``Module`` and the one-sample helpers live in
``module.py``; ``Sequential``, the activation modules, ``Dropout`` and
``BatchNorm1d`` in ``layers.py``.

One sample or a batch
---------------------
``model(x)`` takes ONE sample: a list of numbers or Values (a bare number or
Value is read as a one-feature sample). It returns a Value when the output has
one unit, else a list of Values, as in micrograd.

``model.forward_batch(X)`` takes a list of samples and returns one output per
sample. For most modules that is just ``[model(x) for x in X]``; ``BatchNorm1d``
needs the whole batch at once (it normalises each feature over the batch), so
``Sequential`` and ``MLP`` pass the batch through their layers one layer at a
time. Use ``forward_batch`` whenever a model contains ``BatchNorm1d``.

=====================================================  ===========================
module                                                 ``model(x)`` on one sample
=====================================================  ===========================
Neuron, Layer, Linear, MLP, Sequential                 yes (and ``forward_batch``)
ReLU, Tanh, Sigmoid, LeakyReLU, Identity, Dropout      yes, elementwise
BatchNorm1d                                            only in ``eval()``; training
                                                       needs ``forward_batch(X)``
=====================================================  ===========================

Parameter names
---------------
``named_parameters()`` gives dotted names: a dot separates nested modules and
brackets index into a module's own parameters, e.g. in an ``MLP``
``layers.0.w[3,1]`` is ``mlp.layers[0].neurons[3].w[1]`` (neuron 3 of layer 0,
its weight on input 1) and ``layers.0.b[3]`` is that neuron's bias. Everything
before the last dot names the layer that owns the parameter. In ``Sequential``
the layers are numbered like PyTorch (``0.w[3,1]``, ``1.weight[2]``).

In a custom subclass, every public attribute holding a Value or a Module is
found automatically, also inside lists, tuples and dicts nested to any depth
(what ``torch.nn.ModuleList``, ``ParameterList`` and ``ModuleDict`` are for in
PyTorch), in the order they were assigned (dicts in insertion order).
Attributes starting with ``_`` are skipped. A Value's path in brackets names
it (``kernel[2,0]`` is ``self.kernel[2][0]``, ``gates[input,1]`` is
``self.gates["input"][1]``); a Module's path joined by dots prefixes its own
names (``blocks.0.1.w[0,0]``). A set of Values is refused: it has no order.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from .attention import CausalSelfAttention, FeedForward, TransformerBlock
from .conv import AvgPool2d, Conv2d, Flatten, MaxPool2d
from .embedding import Embedding
from .engine import Value, weighted_sum
from .init import Seed, check_init, init_weights, make_rng
from .layers import BatchNorm1d, Dropout, Identity, LeakyReLU, ReLU, Sequential, Sigmoid, Tanh
from .module import Module, as_sample, chain, chain_batch, check_width, unwrap
from .norm import LayerNorm, RMSNorm
from .recurrent import GRU, RNN, GRUCell, RNNCell

__all__ = [
    "ACTIVATIONS",
    "AvgPool2d",
    "CausalSelfAttention",
    "Conv2d",
    "FeedForward",
    "Flatten",
    "GRU",
    "GRUCell",
    "LayerNorm",
    "MaxPool2d",
    "RMSNorm",
    "RNN",
    "RNNCell",
    "TransformerBlock",
    "BatchNorm1d",
    "Dropout",
    "Embedding",
    "Identity",
    "Layer",
    "LeakyReLU",
    "Linear",
    "MLP",
    "Module",
    "Neuron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "activate",
    "as_sample",
]

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")


# --- activations by name ------------------------------------------------------------------


def activate(v: Value, activation: str, negative_slope: float = 0.01) -> Value:
    """Apply one of ACTIVATIONS to a Value."""
    if activation == "relu":
        return v.relu()
    if activation == "tanh":
        return v.tanh()
    if activation == "sigmoid":
        return v.sigmoid()
    if activation == "leaky_relu":
        return v.leaky_relu(negative_slope)
    return v


def _resolve_activation(nonlin: bool | None, activation: str | None) -> str:
    """micrograd's ``nonlin`` flag and our ``activation`` name, which must not contradict.

    Unset, they mean ReLU; ``nonlin=False`` alone means linear; ``nonlin=True``
    with ``activation="linear"``, or ``nonlin=False`` with a non-linear
    activation, is a ValueError rather than one of them silently winning.
    """
    if activation is None:
        return "linear" if nonlin is False else "relu"
    _check_activation(activation)
    if nonlin is not None and bool(nonlin) != (activation != "linear"):
        raise ValueError(
            f"nonlin={nonlin!r} contradicts activation={activation!r}: pass one of them "
            "(nonlin=False is activation='linear', nonlin=True is a non-linear activation)"
        )
    return activation


def _check_slope(negative_slope: float, activation: str) -> float:
    """A leaky slope is only meaningful for leaky_relu: set with another activation, it
    would be silently ignored, so it is refused."""
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
        raise TypeError(f"negative_slope must be a number, got {negative_slope!r}")
    if negative_slope != 0.01 and activation != "leaky_relu":
        raise ValueError(
            f"negative_slope={negative_slope!r} only applies to activation='leaky_relu', "
            f"but the activation is {activation!r}"
        )
    return negative_slope


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {activation!r}"
        )
    return activation


# --- micrograd's building blocks ----------------------------------------------------------


class Neuron(Module):
    """activation(w . x + b) on one sample: ReLU unless told; ``nonlin=False`` makes it
    linear (micrograd), or name ``activation`` (one of ACTIVATIONS)."""

    def __init__(
        self,
        nin: int,
        nonlin: bool | None = None,
        *,
        activation: str | None = None,
        init: str = "uniform",
        negative_slope: float = 0.01,
        fan_out: int = 1,
        seed: Seed = None,
    ) -> None:
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"a neuron needs at least one input (nin >= 1), got {nin!r}")
        self.activation: str = _resolve_activation(nonlin, activation)
        self.negative_slope: float = _check_slope(negative_slope, self.activation)
        rng = make_rng(seed)
        weights = init_weights(check_init(init), nin, fan_out, rng)
        self.w: list[Value] = [Value(wi) for wi in weights]
        self.b: Value = Value(0.0)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether the neuron has an activation (is not linear)."""
        return self.activation != "linear"

    def forward(self, x: Any) -> Value:
        """``activation(w · x + b)`` for one sample ``x``."""
        x = as_sample(x)
        check_width(x, len(self.w), "Neuron")
        return self._fire(x)

    def _fire(self, x: list[Any]) -> Value:
        # w . x + b, i.e. sum_values([wi * xi for wi, xi in zip(self.w, x)] + [self.b]):
        # the engine builds the same nodes in one loop, without a call per product.
        act = weighted_sum(self.w, x, self.b)
        return activate(act, self.activation, self.negative_slope)

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"nin={len(self.w)}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons reading the same sample. Parameters are named ``w[i,j]`` and ``b[i]``."""

    def __init__(
        self,
        nin: int,
        nout: int,
        nonlin: bool | None = None,
        *,
        activation: str | None = None,
        init: str = "uniform",
        negative_slope: float = 0.01,
        seed: Seed = None,
    ) -> None:
        if isinstance(nout, bool) or not isinstance(nout, int) or nout < 1:
            raise ValueError(f"a layer needs at least one neuron (nout >= 1), got {nout!r}")
        activation = _resolve_activation(nonlin, activation)
        rng = make_rng(seed)
        options: dict[str, Any] = dict(
            activation=activation, init=init, negative_slope=negative_slope
        )
        self.neurons: list[Neuron] = [
            Neuron(nin, fan_out=nout, seed=rng, **options) for _ in range(nout)
        ]

    @property
    def nin(self) -> int:
        """Inputs per sample."""
        return len(self.neurons[0].w)

    @property
    def nout(self) -> int:
        """Outputs (neurons)."""
        return len(self.neurons)

    @property
    def activation(self) -> str:
        """The neurons' activation ("relu", "tanh", "linear", ...)."""
        return self.neurons[0].activation

    def forward(self, x: Any) -> Any:
        """The outputs on one sample: a Value for a one-neuron layer, else a list (micrograd)."""
        return unwrap(self.outputs(x))

    def outputs(self, x: Any) -> list[Value]:
        """The layer's outputs on one sample, always as a list (also for one neuron)."""
        x = as_sample(x)
        check_width(x, self.nin, "Layer")
        return [n._fire(x) for n in self.neurons]

    def children(self) -> list[tuple[str, Module]]:
        """None: the layer names its neurons' parameters itself (``w[i,j]``, ``b[i]``)."""
        return []

    def _own_parameters(self) -> list[tuple[str, Value]]:
        named: list[tuple[str, Value]] = []
        for i, n in enumerate(self.neurons):
            named.extend((f"w[{i},{j}]", w) for j, w in enumerate(n.w))
            named.append((f"b[{i}]", n.b))
        return named

    def _own_parameter_values(self) -> list[Value]:
        values: list[Value] = []
        for n in self.neurons:
            values.extend(n.w)
            values.append(n.b)
        return values

    def train(self, mode: bool = True) -> Layer:
        """Training mode for the layer and its neurons (they are not children, see above)."""
        super().train(mode)
        for n in self.neurons:
            n.training = bool(mode)
        return self

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        acts = {n.activation for n in self.neurons}
        act = self.activation if len(acts) == 1 else "mixed"
        return f"nin={self.nin}, nout={self.nout}, activation={act!r}"


class Linear(Layer):
    """A layer with no activation: ``w x + b`` for each output."""

    def __init__(self, nin: int, nout: int, *, init: str = "uniform", seed: Seed = None) -> None:
        super().__init__(nin, nout, activation="linear", init=init, seed=seed)

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"nin={self.nin}, nout={self.nout}"


class MLP(Module):
    """A multi-layer perceptron: hidden layers use ``activation``, the last one is linear.

    ``MLP(3, [4, 4, 1])`` is micrograd's 3 -> 4 -> 4 -> 1 network. ``init`` is
    "uniform" (micrograd), "xavier"/"glorot" or "he"/"kaiming"; an int ``seed``
    makes the weights reproducible without touching the global random state.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        init: str = "uniform",
        seed: Seed = None,
        *,
        negative_slope: float = 0.01,
    ) -> None:
        if isinstance(nouts, numbers.Integral) or not isinstance(nouts, Iterable):
            raise TypeError(
                f"MLP(nin, nouts): nouts must be a list of layer sizes such as [16, 16, 1], "
                f"got {nouts!r}"
            )
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP needs at least one layer size in nouts, got []")
        _check_activation(activation)
        _check_slope(negative_slope, activation)
        check_init(init)
        rng = make_rng(seed)
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers: list[Layer] = []
        for i in range(len(nouts)):
            act, slope = (activation, negative_slope) if i != last else ("linear", 0.01)
            options = dict(activation=act, init=init, negative_slope=slope, seed=rng)
            self.layers.append(Layer(sizes[i], sizes[i + 1], **options))

    def forward(self, x: Any) -> Any:
        """One sample through every layer: a Value if the last layer has one unit, else a list."""
        return chain(self.layers, x)

    def forward_batch(self, X: Sequence[Any]) -> list[Any]:
        """A batch through every layer."""
        return chain_batch(self.layers, X)

    def to_torch(self) -> Any:
        """An equivalent ``torch.nn.Sequential`` (float64 Linear + activations, same weights)."""
        from .torch_bridge import mlp_to_torch

        return mlp_to_torch(self)

    @classmethod
    def from_torch(cls, sequential: Any) -> MLP:
        """An MLP with the weights and activations of a ``torch.nn.Sequential`` of Linear layers."""
        from .torch_bridge import mlp_from_torch

        return mlp_from_torch(sequential, cls)
