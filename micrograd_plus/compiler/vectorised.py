"""Building a tape, step 2 (NumPy part): the groups that replay many nodes per NumPy call.

A group is a set of nodes of one depth and one kind, laid out in consecutive
slots of the tape's array: a matrix product (``MatmulGroup``: an MLP layer
over a batch), a batch of sums of products (``RowsGroup``), or one non-linear
op applied elementwise (``MapGroup``: the table's derivative rule runs on
arrays unchanged).  Each group has ``forward(vals)``, returning what its
backward needs, and ``backward(vals, G, saved)``, which adds into the
gradient array ``G`` only where a parameter's gradient can flow.

NumPy never raises: it returns inf or nan where eager raises.  So wherever a
float forward or rule *can* raise (the table entry says so), a non-finite NumPy
result sends the group through the float path of ``floats``, which
raises eager's error (or gives eager's inf/nan).  Nothing here names an op:
forwards, rules and flags all come from ``ops.PRIMITIVES``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import NUMPY, PRIMITIVES
from .floats import float_forward, float_rule

__all__ = ["NUMPY", "MapGroup", "MatmulGroup", "RowsGroup"]


def _all_finite(arrays) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)


def _is_range(flat: np.ndarray) -> bool:
    return (
        flat.size > 0
        and int(flat[-1]) - int(flat[0]) == flat.size - 1
        and (flat.size == 1 or bool((np.diff(flat) == 1).all()))
    )


class Gather:
    """``vals[idx]``, as a cheap slice when idx is a run of consecutive slots."""

    def __init__(self, idx) -> None:
        idx = np.asarray(idx, dtype=np.intp)
        self.shape = idx.shape
        flat = idx.ravel()
        self.index = slice(int(flat[0]), int(flat[0]) + flat.size) if _is_range(flat) else idx

    def __call__(self, vals: np.ndarray) -> np.ndarray:
        if self.index.__class__ is slice:
            return vals[self.index].reshape(self.shape)
        return vals[self.index]


class Scatter:
    """``G[targets] += contribution``, counting repeated targets correctly.

    Entries whose target needs no gradient are dropped; a repeated target uses
    ``np.bincount`` over the distinct targets, a run of consecutive targets a slice.
    """

    def __init__(self, targets, wanted) -> None:
        targets = np.asarray(targets, dtype=np.intp)
        self.shape = targets.shape
        flat, wanted = targets.ravel(), np.asarray(wanted, dtype=bool).ravel()
        self.pick = None if wanted.all() else np.flatnonzero(wanted)
        if self.pick is not None:
            flat = flat[self.pick]
        self.inverse: Any = None
        self.index: Any  # a slice for a contiguous range, else an index array
        if _is_range(flat):
            self.index = slice(int(flat[0]), int(flat[0]) + flat.size)
        else:
            distinct, inverse = np.unique(flat, return_inverse=True)
            if distinct.size < flat.size:
                self.index, self.inverse = distinct, inverse
            else:
                self.index = flat

    @classmethod
    def make(cls, targets, need: np.ndarray):
        """A scatter for the targets that need a gradient, or None if none does."""
        targets = np.asarray(targets, dtype=np.intp)
        wanted = need[targets]
        return cls(targets, wanted) if wanted.any() else None

    def add(self, G: np.ndarray, contribution) -> None:
        c: Any = np.asarray(contribution, dtype=np.float64)
        if c.shape != self.shape:
            c = np.broadcast_to(c, self.shape)
        c = c.ravel()
        if self.pick is not None:
            c = c[self.pick]
        if self.inverse is not None:
            c = np.bincount(self.inverse, weights=c, minlength=self.index.size)
        G[self.index] += c


class _ProductGroup:
    """Shared by the two kinds of linear group: gather A and B, scatter their gradients."""

    def __init__(self, lo, hi, a_slots, b_slots, need) -> None:
        self.lo, self.hi = lo, hi
        self.a, self.b = Gather(a_slots), Gather(b_slots)
        self.a_grad = Scatter.make(a_slots, need)
        self.b_grad = Scatter.make(b_slots, need)
        self.flows = self.a_grad is not None or self.b_grad is not None


class MatmulGroup(_ProductGroup):
    """Linear nodes forming a grid: node (r, k) = sum_l A[k, l] * B[r, l].

    An MLP layer over a batch is such a grid (k: neuron, r: sample, A: the
    weights and bias, B: the sample's inputs and a 1), so it runs as one matmul.
    """

    def __init__(self, lo, a_slots, b_slots, need) -> None:
        self.K, self.R = len(a_slots), len(b_slots)
        super().__init__(lo, lo + self.K * self.R, a_slots, b_slots, need)

    def forward(self, vals):
        av, bv = self.a(vals), self.b(vals)
        vals[self.lo : self.hi] = (bv @ av.T).ravel()
        return av, bv

    def backward(self, vals, G, saved) -> None:
        av, bv = saved
        g = G[self.lo : self.hi].reshape(self.R, self.K)
        if self.a_grad is not None:
            self.a_grad.add(G, g.T @ bv)
        if self.b_grad is not None:
            self.b_grad.add(G, g @ av)


class RowsGroup(_ProductGroup):
    """Linear nodes with the same number of terms: node s = sum_l A[s, l] * B[s, l]."""

    def __init__(self, lo, a_slots, b_slots, need) -> None:
        super().__init__(lo, lo + len(a_slots), a_slots, b_slots, need)

    def forward(self, vals):
        av, bv = self.a(vals), self.b(vals)
        vals[self.lo : self.hi] = (av * bv).sum(axis=1)
        return av, bv

    def backward(self, vals, G, saved) -> None:
        av, bv = saved
        g = G[self.lo : self.hi, None]
        if self.a_grad is not None:
            self.a_grad.add(G, g * bv)
        if self.b_grad is not None:
            self.b_grad.add(G, g * av)


class MapGroup:
    """Nodes of one non-linear op: one vectorised forward, the table's rule on arrays."""

    def __init__(self, op, lo, operand_slots, need) -> None:
        self.op, self.lo, self.hi = op, lo, lo + len(operand_slots[0])
        self.operands = [Gather(s) for s in operand_slots]
        const = PRIMITIVES[op].const_inputs
        self.grads = [
            None if j in const else Scatter.make(s, need) for j, s in enumerate(operand_slots)
        ]
        self.flows = any(scatter is not None for scatter in self.grads)
        # Nodes some parameter's gradient flows through: the only ones whose rule runs.
        wanted = [need[np.asarray(s, dtype=np.intp)] for j, s in enumerate(operand_slots)
                  if j not in const]  # fmt: skip
        self.wanted = np.logical_or.reduce(wanted).tolist() if wanted else []
        prim = PRIMITIVES[op]
        self.numpy_forward = prim.numpy_forward
        self.vectorised = prim.numpy_forward is not None
        self.check_forward = prim.forward_may_raise
        self.check_rule = prim.rule_may_raise

    def forward(self, vals):
        ins = [gather(vals) for gather in self.operands]
        out = self.numpy_forward(*ins) if self.vectorised else None
        if out is None or (self.check_forward and not _all_finite([out])):
            out = float_forward(self.op, [a.tolist() for a in ins])
        vals[self.lo : self.hi] = out
        return ins

    def backward(self, vals, G, ins) -> None:
        g, out = G[self.lo : self.hi], vals[self.lo : self.hi]
        grads: Any = PRIMITIVES[self.op].vjp(g, out, *ins, NUMPY) if self.vectorised else None
        if grads is None or (self.check_rule and not _all_finite(self._scattered(grads))):
            grads = self._float_backward(g, out, ins)
        for scatter, grad in zip(self.grads, grads):
            if scatter is not None:
                scatter.add(G, grad)

    def _scattered(self, grads):
        return [grad for scatter, grad in zip(self.grads, grads) if scatter is not None]

    def _float_backward(self, g, out, ins) -> list[np.ndarray]:
        """The float rule at every node a gradient flows through: eager's numbers and errors."""
        zeros = (0.0,) * len(ins)
        columns = zip(self.wanted, g.tolist(), out.tolist(), *[a.tolist() for a in ins])
        rows = [float_rule(self.op, gk, ok, xs) if w else zeros for w, gk, ok, *xs in columns]
        return [np.array(col, dtype=np.float64) for col in zip(*rows)]
