"""Building a tape, step 2 (float part): narrow stretches of the graph run on Python floats.

A NumPy call costs about a microsecond however little it computes, so a group
of one or two nodes is cheaper on plain floats.  A deep, narrow graph (a chain
of ``tanh(w * x + c)``, one node per level) is made of nothing else; an MLP's
loss ends with a few such nodes.  Consecutive narrow groups become one
``FloatSegment``: its inputs are read from the tape's array in one call, its
nodes run one after another with the table's float forwards and rules
(``ops.FORWARD``, ``ops.VJP`` with ``ops.MATH``, exactly what eager runs), and
their values are written back in one call.

The float path is also the reference for errors: ``float_forward`` and
``float_rule`` raise what eager raises (a domain error, an infinite gradient),
and the NumPy groups fall back on them when they meet a non-finite number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..ops import FORWARD, MATH, VJP

#: The op of a linear node (a sum of products of slot pairs) inside a segment.
LINEAR = "linear"
_LINEAR, _UNARY, _OTHER = 0, 1, 2


def infinite_gradient(op: str, inputs: Iterable[float]) -> ZeroDivisionError:
    """The error eager's backward raises when a rule divides by zero."""
    return ZeroDivisionError(f"the gradient of '{op}' is infinite at its inputs {list(inputs)}")


def float_forward(op: str, columns: list[list[float]]) -> list[float]:
    """The op's float forward on each row of columns: eager's values and errors."""
    forward = FORWARD[op]
    return [forward(*xs) for xs in zip(*columns)]


def float_rule(op: str, g: float, out: float, inputs: Sequence[float]) -> tuple[float, ...]:
    """The op's rule on floats; an infinite gradient raises as in eager's backward."""
    try:
        return VJP[op](g, out, *inputs, MATH)
    except ZeroDivisionError:
        raise infinite_gradient(op, inputs) from None
    except OverflowError:
        raise OverflowError(
            f"the gradient of '{op}' overflows at its inputs {list(inputs)}"
        ) from None


class FloatSegment:
    """Consecutive narrow nodes, run one by one on a list of Python floats.

    ``nodes`` are ``(op, operand_slots)`` in slot order lo, lo + 1, ... (operands
    first); a ``LINEAR`` node's operands are (a, b) slot pairs, summed as
    ``sum a * b``.  Slots below ``lo`` are read from the tape's array once.
    Inside, slot s is list index ``position[s]``: the outside slots first,
    then the segment's own nodes in order.
    """

    #: The segment's slots are ``lo .. hi - 1``.
    lo: int
    hi: int
    ops: list[str]
    #: The slots below ``lo`` the segment reads, in order.
    outside: np.ndarray
    n_outside: int
    #: Per node: (kind, float forward or None, operand positions).
    code: list[tuple[int, Any, Any]]
    #: Per node a gradient flows through, outputs first: (position, op, its code).
    backward_code: list[tuple[int, str, tuple[int, Any, Any]]]
    grad_sources: list[int]
    grad_targets: np.ndarray
    #: Whether any gradient flows back through the segment.
    flows: bool

    def __init__(self, lo: int, nodes: list[tuple[str, Any]], need: np.ndarray) -> None:
        self.lo, self.hi = lo, lo + len(nodes)
        self.ops = [op for op, _ in nodes]
        outside = sorted({s for op, ins in nodes for s in _slots(op, ins) if s < lo})
        position = {s: k for k, s in enumerate(outside)}
        position.update({lo + k: len(outside) + k for k in range(len(nodes))})
        self.outside = np.array(outside, dtype=np.intp)
        self.n_outside = len(outside)
        self.code = [_instruction(op, ins, position) for op, ins in nodes]
        # backward visits, outputs first, only the nodes a parameter's gradient flows through
        self.backward_code = [
            (self.n_outside + k, op, self.code[k])
            for k, (op, _) in reversed(list(enumerate(nodes)))
            if need[lo + k]
        ]
        wanted = [k for k, s in enumerate(outside) if need[s]]
        self.grad_sources, self.grad_targets = wanted, self.outside[wanted]
        self.flows = bool(self.backward_code)

    def forward(self, vals: np.ndarray) -> list[float]:
        """Run the nodes on floats, write their values into ``vals``; returns the floats."""
        v = vals[self.outside].tolist()
        append = v.append
        for kind, fn, ins in self.code:
            if kind == _LINEAR:
                total = 0.0
                for a, b in ins:
                    total += v[a] * v[b]
                append(total)
            elif kind == _UNARY:
                append(fn(v[ins]))
            else:
                append(fn(*[v[i] for i in ins]))
        vals[self.lo : self.hi] = v[self.n_outside :]
        return v

    def writes(self) -> list[np.ndarray]:
        """The slots ``backward`` adds into (the tape plans its gradient array with it)."""
        return [self.grad_targets]

    def backward(self, vals: np.ndarray, G: np.ndarray, v: list[float]) -> None:
        """Add the segment's gradient contributions into ``G`` (``v``: forward's floats)."""
        grad = [0.0] * self.n_outside + G[self.lo : self.hi].tolist()
        for out, op, (kind, _, ins) in self.backward_code:
            g = grad[out]
            if kind == _LINEAR:
                for a, b in ins:
                    grad[a] += g * v[b]
                    grad[b] += g * v[a]
            elif kind == _UNARY:
                grad[ins] += float_rule(op, g, v[out], (v[ins],))[0]
            else:
                for i, gi in zip(ins, float_rule(op, g, v[out], [v[i] for i in ins])):
                    grad[i] += gi
        G[self.grad_targets] += [grad[k] for k in self.grad_sources]


def _slots(op: str, ins: Any) -> list[int]:
    return [s for pair in ins for s in pair] if op == LINEAR else list(ins)


def _instruction(op: str, ins: Any, position: dict[int, int]) -> tuple[int, Any, Any]:
    """(kind, float forward, operand positions) for one node."""
    if op == LINEAR:
        return _LINEAR, None, [(position[a], position[b]) for a, b in ins]
    if len(ins) == 1:
        return _UNARY, FORWARD[op], position[ins[0]]
    return _OTHER, FORWARD[op], [position[s] for s in ins]
