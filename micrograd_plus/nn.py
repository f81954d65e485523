"""Neural-network modules built on ``Value``: micrograd's Neuron/Layer/MLP and friends.

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

In a custom subclass, every public attribute holding a Value, a list of Values,
a Module or a list of Modules is found automatically (attributes starting with
``_`` are skipped), in the order they were assigned.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

from .engine import Value, sum_values
from .init import check_init, init_weights, make_rng

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")


# --- the base class ------------------------------------------------------------------


class Module:
    """Base class: parameters, names, train/eval mode, state dicts, repr."""

    training: bool = True

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must define forward(x) or __call__(x)")

    def forward_batch(self, X: Sequence) -> list:
        """One output per sample of the batch ``X``."""
        return [self(x) for x in X]

    # --- discovering sub-modules, parameters and buffers ---------------------------
    def children(self) -> list[tuple[str, Module]]:
        """Named direct sub-modules, in assignment order."""
        found = []
        for name, value in _public_attributes(self):
            if isinstance(value, Module):
                found.append((name, value))
            elif _is_list_of(value, Module):
                found.extend((f"{name}.{i}", m) for i, m in enumerate(value))
        return found

    def _own_parameters(self) -> list[tuple[str, Value]]:
        """Parameters held directly by this module (not by its children)."""
        found = []
        for name, value in _public_attributes(self):
            if isinstance(value, Value):
                found.append((name, value))
            elif _is_list_of(value, Value):
                found.extend((f"{name}[{i}]", v) for i, v in enumerate(value))
        return found

    def _own_parameter_values(self) -> list[Value]:
        """``_own_parameters`` without the names (the hot path of ``parameters()``)."""
        return [p for _, p in self._own_parameters()]

    def _own_buffers(self) -> list[tuple[str, list, int]]:
        """Non-trainable state kept in ``state_dict`` as (name, list, index) slots."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, each Value once, in a stable order."""
        found: list[tuple[str, Value]] = []
        seen: set[int] = set()
        for prefix, module in self._walk():
            for name, p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    found.append((prefix + name, p))
        return found

    def parameters(self) -> list[Value]:
        """Every parameter once, in ``named_parameters()`` order (without building names:
        optimizers and ``zero_grad`` call this every step)."""
        found: list[Value] = []
        seen: set[int] = set()
        for _, module in self._walk():
            for p in module._own_parameter_values():
                if id(p) not in seen:
                    seen.add(id(p))
                    found.append(p)
        return found

    def named_buffers(self) -> list[tuple[str, float]]:
        return [(name, store[i]) for name, store, i in self._buffer_slots()]

    def _buffer_slots(self) -> list[tuple[str, list, int]]:
        return [
            (prefix + name, store, i)
            for prefix, module in self._walk()
            for name, store, i in module._own_buffers()
        ]

    def _walk(self, prefix: str = ""):
        """This module and all modules below it, with their name prefixes."""
        yield prefix, self
        for name, child in self.children():
            yield from child._walk(f"{prefix}{name}.")

    # --- training helpers -------------------------------------------------------------
    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Switch to training mode (Dropout drops, BatchNorm uses batch statistics)."""
        for _, module in self._walk():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode (Dropout is the identity, BatchNorm uses running stats)."""
        return self.train(False)

    # --- state dicts ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, float]:
        """Parameter values and buffers (BatchNorm's running stats) by name, as floats."""
        state = {name: p.data for name, p in self.named_parameters()}
        state.update(self.named_buffers())
        return state

    def load_state_dict(self, state_dict: Mapping[str, float]) -> Module:
        """Copy values in by name. Everything is checked first: on error nothing changes."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping of name -> number, got {state_dict!r}")
        params = self.named_parameters()
        slots = self._buffer_slots()
        expected = [name for name, _ in params] + [name for name, _, _ in slots]
        _check_names(expected, state_dict)
        for name in expected:
            _check_number(name, state_dict[name])
        for name, p in params:
            p.data = float(state_dict[name])
        for name, store, i in slots:
            store[i] = float(state_dict[name])
        return self

    # --- repr -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's one-line repr."""
        return ""

    def __repr__(self) -> str:
        children = self.children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        lines.append(")")
        return "\n".join(lines)


def _public_attributes(module: Module):
    return [(k, v) for k, v in vars(module).items() if not k.startswith("_")]


def _is_list_of(value, cls) -> bool:
    return (
        isinstance(value, list | tuple) and bool(value) and all(isinstance(v, cls) for v in value)
    )


def _check_names(expected: list[str], state_dict: Mapping) -> None:
    missing = [n for n in expected if n not in state_dict]
    expected_set = set(expected)
    unexpected = [n for n in state_dict if n not in expected_set]
    if missing or unexpected:
        parts = [f"the model has {len(expected)} entries, the state dict {len(state_dict)}"]
        if missing:
            parts.append(f"missing {len(missing)}: {_preview(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)}: {_preview(unexpected)}")
        raise ValueError("state dict does not fit the model (" + "; ".join(parts) + ")")


def _check_number(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"state dict entry {name!r} must be a number, got {type(value).__name__} {value!r}"
        )


def _preview(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (", ..." if len(names) > limit else "")


# --- one sample in, one sample out --------------------------------------------------------


def as_sample(x) -> list:
    """A sample as a list: a bare number or Value counts as a one-feature sample."""
    if isinstance(x, Value | numbers.Real):
        return [x]
    if isinstance(x, str) or not isinstance(x, Iterable):
        raise TypeError(f"a sample must be a list of numbers or Values, got {type(x).__name__}")
    return list(x)


def _unwrap(outputs: list):
    """micrograd's rule: a single output is returned as a Value, not a list."""
    return outputs[0] if len(outputs) == 1 else outputs


def _check_width(x: list, expected: int, who: str) -> None:
    if len(x) != expected:
        raise ValueError(f"{who} expects {expected} inputs per sample, got {len(x)}")


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


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {activation!r}"
        )
    return activation


# --- micrograd's building blocks ----------------------------------------------------------


class Neuron(Module):
    """activation(w . x + b) on one sample. ``nonlin=False`` makes it linear (micrograd)."""

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str = "relu",
        init: str = "uniform",
        negative_slope: float = 0.01,
        fan_out: int = 1,
        seed=None,
    ) -> None:
        if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
            raise ValueError(f"a neuron needs at least one input (nin >= 1), got {nin!r}")
        self.activation = _check_activation(activation if nonlin else "linear")
        self.negative_slope = negative_slope
        rng = make_rng(seed)
        self.w = [Value(wi) for wi in init_weights(check_init(init), nin, fan_out, rng)]
        self.b = Value(0.0)

    @property
    def nonlin(self) -> bool:
        return self.activation != "linear"

    def forward(self, x) -> Value:
        x = as_sample(x)
        _check_width(x, len(self.w), "Neuron")
        return self._fire(x)

    def _fire(self, x: list) -> Value:
        act = sum_values([wi * xi for wi, xi in zip(self.w, x)] + [self.b])
        return activate(act, self.activation, self.negative_slope)

    def extra_repr(self) -> str:
        return f"nin={len(self.w)}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons reading the same sample. Parameters are named ``w[i,j]`` and ``b[i]``."""

    def __init__(
        self,
        nin: int,
        nout: int,
        nonlin: bool = True,
        *,
        activation: str = "relu",
        init: str = "uniform",
        negative_slope: float = 0.01,
        seed=None,
    ) -> None:
        if isinstance(nout, bool) or not isinstance(nout, int) or nout < 1:
            raise ValueError(f"a layer needs at least one neuron (nout >= 1), got {nout!r}")
        rng = make_rng(seed)
        options = dict(activation=activation, init=init, negative_slope=negative_slope)
        self.neurons = [Neuron(nin, nonlin, fan_out=nout, seed=rng, **options) for _ in range(nout)]

    @property
    def nin(self) -> int:
        return len(self.neurons[0].w)

    @property
    def nout(self) -> int:
        return len(self.neurons)

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def forward(self, x):
        return _unwrap(self.outputs(x))

    def outputs(self, x) -> list[Value]:
        """The layer's outputs on one sample, always as a list (also for one neuron)."""
        x = as_sample(x)
        _check_width(x, self.nin, "Layer")
        return [n._fire(x) for n in self.neurons]

    def children(self) -> list[tuple[str, Module]]:
        return []  # the neurons' parameters are named by the layer itself, see below

    def _own_parameters(self) -> list[tuple[str, Value]]:
        named = []
        for i, n in enumerate(self.neurons):
            named.extend((f"w[{i},{j}]", w) for j, w in enumerate(n.w))
            named.append((f"b[{i}]", n.b))
        return named

    def _own_parameter_values(self) -> list[Value]:
        values = []
        for n in self.neurons:
            values.extend(n.w)
            values.append(n.b)
        return values

    def train(self, mode: bool = True) -> Layer:
        super().train(mode)
        for n in self.neurons:
            n.training = bool(mode)
        return self

    def extra_repr(self) -> str:
        acts = {n.activation for n in self.neurons}
        act = self.activation if len(acts) == 1 else "mixed"
        return f"nin={self.nin}, nout={self.nout}, activation={act!r}"


class Linear(Layer):
    """A layer with no activation: ``w x + b`` for each output."""

    def __init__(self, nin: int, nout: int, *, init: str = "uniform", seed=None) -> None:
        super().__init__(nin, nout, activation="linear", init=init, seed=seed)

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}"


def _chain(modules: Sequence[Module], x):
    """Run one sample through modules in turn (one-unit outputs fed on as lists)."""
    for m in modules:
        x = as_sample(m(x))
    return _unwrap(x)


def _chain_batch(modules: Sequence[Module], X: Sequence) -> list:
    """Run a whole batch through modules, one module at a time (what BatchNorm needs)."""
    X = [as_sample(x) for x in X]
    for m in modules:
        X = [as_sample(out) for out in m.forward_batch(X)]
    return [_unwrap(x) for x in X]


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
        seed=None,
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
        check_init(init)
        rng = make_rng(seed)
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers = []
        for i in range(len(nouts)):
            act = activation if i != last else "linear"
            options = dict(activation=act, init=init, negative_slope=negative_slope, seed=rng)
            self.layers.append(Layer(sizes[i], sizes[i + 1], **options))

    def forward(self, x):
        return _chain(self.layers, x)

    def forward_batch(self, X: Sequence) -> list:
        return _chain_batch(self.layers, X)

    def to_torch(self):
        """An equivalent ``torch.nn.Sequential`` (float64 Linear + activations, same weights)."""
        from .io import mlp_to_torch

        return mlp_to_torch(self)

    @classmethod
    def from_torch(cls, sequential) -> MLP:
        """An MLP with the weights and activations of a ``torch.nn.Sequential`` of Linear layers."""
        from .io import mlp_from_torch

        return mlp_from_torch(sequential, cls)


class Sequential(Module):
    """Modules applied in order. Parameters are named by position, like PyTorch (``0.w[1,2]``)."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, argument {i} is {type(m).__name__}")
        self.layers = list(modules)

    def children(self) -> list[tuple[str, Module]]:
        return [(str(i), m) for i, m in enumerate(self.layers)]

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def forward(self, x):
        return _chain(self.layers, x)

    def forward_batch(self, X: Sequence) -> list:
        return _chain_batch(self.layers, X)


# --- activations as modules: one sample, elementwise -----------------------------------------


class _Elementwise(Module):
    """Maps a Value, or each Value of a list, through ``_apply``."""

    def forward(self, x):
        if isinstance(x, Value | numbers.Real):
            return self._apply(_as_value(x))
        return [self._apply(_as_value(v)) for v in as_sample(x)]

    def _apply(self, v: Value) -> Value:
        raise NotImplementedError


def _as_value(x) -> Value:
    return x if isinstance(x, Value) else Value(x)


class ReLU(_Elementwise):
    def _apply(self, v: Value) -> Value:
        return v.relu()


class Tanh(_Elementwise):
    def _apply(self, v: Value) -> Value:
        return v.tanh()


class Sigmoid(_Elementwise):
    def _apply(self, v: Value) -> Value:
        return v.sigmoid()


class LeakyReLU(_Elementwise):
    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def _apply(self, v: Value) -> Value:
        return v.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Identity(_Elementwise):
    def _apply(self, v: Value) -> Value:
        return v


# --- regularisation and normalisation ---------------------------------------------------------


class Dropout(Module):
    """In training, zero each input with probability ``p`` and scale the rest by 1/(1-p).

    Works on one sample. In ``eval()`` it is the identity. ``seed`` as in ``MLP``.
    """

    def __init__(self, p: float = 0.5, seed=None) -> None:
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout probability p must be between 0 and 1, got {p!r}")
        self.p = float(p)
        self._rng = make_rng(seed)

    def forward(self, x):
        single = isinstance(x, Value | numbers.Real)
        values = [_as_value(v) for v in as_sample(x)]
        if self.training and self.p > 0.0:
            values = [self._drop(v) for v in values]
        return values[0] if single else values

    def _drop(self, v: Value) -> Value:
        if self.p == 1.0 or self._rng.random() < self.p:
            return v * 0.0
        return v * (1.0 / (1.0 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Module):
    """Normalise each feature over a mini-batch, then scale and shift (PyTorch's BatchNorm1d).

    ``forward_batch(X)`` takes a list of samples (each a list of ``num_features``
    values). In training it uses the batch mean and (biased) variance and updates
    ``running_mean`` / ``running_var`` (with the unbiased variance, as PyTorch does);
    in ``eval()`` it uses the running statistics, and then ``model(x)`` on one
    sample works too.
    """

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

    def _own_buffers(self) -> list[tuple[str, list, int]]:
        n = self.num_features
        return [(f"running_mean[{j}]", self.running_mean, j) for j in range(n)] + [
            (f"running_var[{j}]", self.running_var, j) for j in range(n)
        ]

    def forward(self, x):
        if self.training:
            raise ValueError(
                "BatchNorm1d in training mode needs a batch: call forward_batch(X) "
                "with at least 2 samples, or switch to eval() to use one sample"
            )
        return _unwrap(self.forward_batch([x])[0])

    def forward_batch(self, X: Sequence) -> list[list[Value]]:
        X = [as_sample(x) for x in X]
        for x in X:
            _check_width(x, self.num_features, "BatchNorm1d")
        if not self.training:
            return [[self._eval_feature(x[j], j) for j in range(self.num_features)] for x in X]
        if len(X) < 2:
            raise ValueError(f"BatchNorm1d in training mode needs at least 2 samples, got {len(X)}")
        columns = [self._train_feature([x[j] for x in X], j) for j in range(self.num_features)]
        return [list(row) for row in zip(*columns)]

    def _train_feature(self, column: list, j: int) -> list[Value]:
        n = len(column)
        mean = sum_values(column) / n
        centred = [v - mean for v in column]
        var = sum_values([d * d for d in centred]) / n  # biased, as used for normalising
        inv_std = (var + self.eps) ** -0.5
        m = self.momentum
        self.running_mean[j] = (1 - m) * self.running_mean[j] + m * mean.data
        self.running_var[j] = (1 - m) * self.running_var[j] + m * var.data * n / (n - 1)
        return [self._affine(d * inv_std, j) for d in centred]

    def _eval_feature(self, v, j: int) -> Value:
        scale = 1.0 / math.sqrt(self.running_var[j] + self.eps)
        return self._affine((_as_value(v) - self.running_mean[j]) * scale, j)

    def _affine(self, v: Value, j: int) -> Value:
        return v * self.weight[j] + self.bias[j] if self.affine else v

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"
        )
