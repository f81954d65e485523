"""Recurrent cells and their unrolled wrappers: RNNCell, GRUCell, RNN, GRU (PyTorch's).

A cell maps one input vector and the previous hidden state to the next state,
``cell(x, h) -> h'`` on lists.  Weights use PyTorch's stacked layout and gate
order, so they copy across element by element:

* ``weight_ih [G*hidden][input]``, ``weight_hh [G*hidden][hidden]``, ``bias_ih``,
  ``bias_hh [G*hidden]``, with G = 1 for RNNCell and G = 3 for GRUCell, whose
  rows are the reset gate r, the update gate z and the candidate n, in that order:

      r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
      z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
      n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
      h' = (1 - z) * n + z * h

``RNN`` / ``GRU`` unroll a cell over a sequence ``[T][input]`` (one sample) and
return ``(outputs [T][hidden], h_n [num_layers][hidden])``, as PyTorch's do with
``batch_first`` and no batch dimension.  Unrolled, the graph is backpropagation
through time: ``backward()`` on a loss at the last step reaches every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ._nested import (
    NestedParameters,
    affine,
    check_vector,
    positive_int,
    torch_default_bound,
    uniform_values,
)
from .engine import Value
from .init import Seed, make_rng
from .module import Module

__all__ = ["GRU", "GRUCell", "RNN", "RNNCell"]

NONLINEARITIES = ("tanh", "relu")


class _Cell(NestedParameters, Module):
    """Weights of one recurrent layer in PyTorch's stacked layout; ``GATES`` rows per unit."""

    GATES: ClassVar[int] = 1
    input_size: int
    hidden_size: int
    #: ``[GATES * hidden][input]``, PyTorch's stacked layout.
    weight_ih: list[list[Value]]
    #: ``[GATES * hidden][hidden]``.
    weight_hh: list[list[Value]]
    bias_ih: list[Value] | None
    bias_hh: list[Value] | None

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, seed: Seed = None
    ) -> None:
        who = type(self).__name__
        self.input_size = positive_int("input_size", input_size, who)
        self.hidden_size = positive_int("hidden_size", hidden_size, who)
        rng = make_rng(seed)
        bound = torch_default_bound(hidden_size)
        rows = self.GATES * hidden_size
        self.weight_ih = uniform_values((rows, input_size), bound, rng)
        self.weight_hh = uniform_values((rows, hidden_size), bound, rng)
        self.bias_ih = uniform_values((rows,), bound, rng) if bias else None
        self.bias_hh = uniform_values((rows,), bound, rng) if bias else None

    def __call__(self, x: Any, h: Any = None) -> list[Value]:
        return self.forward(x, h)

    def forward(self, x: Any, h: Any = None) -> list[Value]:
        """The new hidden state from input ``x`` and state ``h`` (zeros when None)."""
        raise NotImplementedError

    def _inputs(self, x: Any, h: Any) -> tuple[list[Any], list[Any]]:
        who = type(self).__name__
        x = check_vector(x, self.input_size, who, "input x")
        h = (
            [0.0] * self.hidden_size
            if h is None
            else check_vector(h, self.hidden_size, who, "state h")
        )
        return x, h

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return f"{self.input_size}, {self.hidden_size}"


class RNNCell(_Cell):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu), PyTorch's RNNCell."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        seed: Seed = None,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, seed)
        self.nonlinearity: str = nonlinearity

    def forward(self, x: Any, h: Any = None) -> list[Value]:
        """The next hidden state from input ``x`` and state ``h`` (zeros when None)."""
        x, h = self._inputs(x, h)
        pre = [
            a + b
            for a, b in zip(
                affine(self.weight_ih, self.bias_ih, x), affine(self.weight_hh, self.bias_hh, h)
            )
        ]
        return [v.tanh() for v in pre] if self.nonlinearity == "tanh" else [v.relu() for v in pre]

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        return super().extra_repr() + (
            ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        )


class GRUCell(_Cell):
    """PyTorch's GRUCell: reset gate r, update gate z, candidate n (see the module docstring)."""

    GATES: ClassVar[int] = 3

    def forward(self, x: Any, h: Any = None) -> list[Value]:
        """The next hidden state from input ``x`` and state ``h`` (zeros when None)."""
        x, h = self._inputs(x, h)
        n_h = self.hidden_size
        gi = affine(self.weight_ih, self.bias_ih, x)
        gh = affine(self.weight_hh, self.bias_hh, h)
        out: list[Value] = []
        for k in range(n_h):
            r = (gi[k] + gh[k]).sigmoid()
            z = (gi[n_h + k] + gh[n_h + k]).sigmoid()
            n = (gi[2 * n_h + k] + r * gh[2 * n_h + k]).tanh()
            out.append(n + z * (h[k] - n))  # (1 - z) * n + z * h, with one product fewer
        return out


class _Recurrent(Module):
    """A stack of ``num_layers`` cells unrolled over a sequence (PyTorch's RNN / GRU)."""

    CELL: ClassVar[type[_Cell]] = RNNCell
    input_size: int
    hidden_size: int
    num_layers: int
    #: The layers' cells, ``cells[0]`` reading the input.
    cells: list[_Cell]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        seed: Seed = None,
        **cell_options: Any,
    ) -> None:
        who = type(self).__name__
        self.input_size = positive_int("input_size", input_size, who)
        self.hidden_size = positive_int("hidden_size", hidden_size, who)
        self.num_layers = positive_int("num_layers", num_layers, who)
        rng = make_rng(seed)
        self.cells = [
            self.CELL(
                input_size if i == 0 else hidden_size,
                hidden_size,
                bias=bias,
                seed=rng,
                **cell_options,
            )
            for i in range(num_layers)
        ]

    def __call__(
        self, xs: Sequence[Any], h0: Sequence[Any] | None = None
    ) -> tuple[list[list[Value]], list[list[Value]]]:
        return self.forward(xs, h0)

    def forward(
        self, xs: Sequence[Any], h0: Sequence[Any] | None = None
    ) -> tuple[list[list[Value]], list[list[Value]]]:
        """``(outputs, h_n)``: the last layer's state at each step, each layer's final state."""
        who = type(self).__name__
        if isinstance(xs, str) or not isinstance(xs, Sequence) or not xs:
            raise ValueError(f"{who} expects a non-empty sequence [T][input_size], got {xs!r:.60}")
        if h0 is not None and len(h0) != self.num_layers:
            raise ValueError(
                f"{who}: h0 must hold one state per layer ({self.num_layers}), got {len(h0)}"
            )
        states: list[Any] = [None] * self.num_layers if h0 is None else list(h0)
        outputs: list[list[Value]] = []
        for x in xs:
            for i, cell in enumerate(self.cells):
                x = states[i] = cell(x, states[i])
            outputs.append(x)
        return outputs, states

    def forward_batch(self, X: Sequence[Any]) -> list[tuple[list[list[Value]], list[list[Value]]]]:
        """``(outputs, h_n)`` for each sequence of the batch ``X``, each from zero states."""
        return [self(xs) for xs in X]

    def extra_repr(self) -> str:
        """The constructor arguments, shown by ``repr``."""
        layers = f", num_layers={self.num_layers}" if self.num_layers != 1 else ""
        return f"{self.input_size}, {self.hidden_size}{layers}"


class RNN(_Recurrent):
    """Elman RNN unrolled over a sequence; layer i's weights are ``cells[i].weight_ih`` etc.

    PyTorch names the same weights ``weight_ih_l{i}``; ``torch_names()`` maps ours to theirs.
    """

    CELL: ClassVar[type[_Cell]] = RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        seed: Seed = None,
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, seed, nonlinearity=nonlinearity)


class GRU(_Recurrent):
    """A GRU unrolled over a sequence (see ``RNN``)."""

    CELL: ClassVar[type[_Cell]] = GRUCell


def torch_name(name: str) -> str:
    """Our name of a wrapper's weight (``cells.0.weight_ih``) as PyTorch's (``weight_ih_l0``)."""
    _, layer, weight = name.split(".", 2)
    return f"{weight}_l{layer}"
