"""Building a tape, step 2 (NumPy part): the groups that replay many nodes per NumPy call.

A group is a set of nodes of one depth and one kind, laid out in consecutive
slots of the tape's array: a matrix product (``MatmulGroup``: an MLP layer
over a batch), a batch of sums of products (``RowsGroup``), or one non-linear
op applied elementwise (``MapGroup``: the table's derivative rule runs on
arrays unchanged, or its ``numpy_vjp`` where it has one).  Each group has
``forward(vals)``, returning what its backward needs, and
``backward(vals, G, saved)``, which adds into the gradient array ``G`` only
where a parameter's gradient can flow.  A scatter whose slots get their first
contribution from it *assigns* (``Scatter.assign``, planned by the tape): the
group then writes its gradient straight into ``G``, with no zeroing before and
no addition after.

NumPy never raises: it returns inf or nan where eager raises.  So wherever a
float forward or rule *can* raise (the table entry says so), a non-finite NumPy
result sends the group through the float path of ``floats``, which
raises eager's error (or gives eager's inf/nan).  Nothing here names an op:
forwards, rules and flags all come from ``ops.PRIMITIVES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..ops import NUMPY, PRIMITIVES
from .floats import float_forward, float_rule

__all__ = ["NUMPY", "ONE_SLOT", "MINUS_ONE_SLOT", "MapGroup", "MatmulGroup", "RowsGroup"]

ONE_SLOT, MINUS_ONE_SLOT = 0, 1  # the constants 1.0 and -1.0 live in the first two slots


def _all_finite(arrays: Iterable[Any]) -> bool:
    return all(bool(np.isfinite(a).all()) for a in arrays)


def _layout(idx: np.ndarray) -> tuple[int, tuple[int, ...]] | None:
    """(first slot, slot strides) if idx is an evenly spaced (1-d or 2-d) block of slots.

    Such a block is read as a view of the tape's array instead of a copy: a
    layer's weights laid out row by row, a batch of activations, a column of biases.
    Only positive strides are accepted, so a block never names one slot twice.
    """
    if idx.size == 0 or idx.ndim > 2:
        return None
    base = int(idx.flat[0])
    strides = []
    expected = np.full(idx.shape, base, dtype=np.intp)
    for d, n in enumerate(idx.shape):
        if n == 1:
            strides.append(1)
            continue
        step = int(idx[(0,) * d + (1,) + (0,) * (idx.ndim - d - 1)]) - base
        if step <= 0:
            return None
        strides.append(step)
        shape = [1] * idx.ndim
        shape[d] = n
        expected = expected + (step * np.arange(n, dtype=np.intp)).reshape(shape)
    if not np.array_equal(idx, expected):
        return None
    if idx.ndim == 2 and idx.shape[0] > 1 and idx.shape[1] > 1:
        (r, c), (s0, s1) = idx.shape, strides
        if not (s1 * c <= s0 or s0 * r <= s1):
            return None  # the rows overlap: some slot would be named twice
    return base, tuple(strides)


class _Views:
    """The view of the array read last, kept: a replay reads the same few arrays (the
    tape's pooled value and gradient arrays) call after call, and making a view costs
    about a microsecond, a dozen times a step.  One tuple, swapped whole, so two
    threads replaying at once never pair one array with another's view."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[Any, Any] = (None, None)

    def _view(self, arr: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def view(self, arr: np.ndarray) -> np.ndarray:
        last = self._last
        if last[0] is arr:
            return last[1]
        view = self._view(arr)
        self._last = (arr, view)
        return view


class Span(_Views):
    """A group's own slots ``lo:hi`` in its shape (its outputs, or their gradients)."""

    __slots__ = ("lo", "hi", "shape")
    lo: int
    hi: int
    shape: tuple[int, ...]

    def __init__(self, lo: int, hi: int, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.lo, self.hi, self.shape = lo, hi, shape

    def _view(self, arr: np.ndarray) -> np.ndarray:
        return arr[self.lo : self.hi].reshape(self.shape)


class Block(_Views):
    """A fixed, shaped set of slots of a tape-sized array: read as a view where it can be.

    ``read(arr)`` is ``arr[idx]``; when the slots are evenly spaced (see ``_layout``)
    it is a view (no copy), which also lets a scatter add into it in place.
    """

    shape: tuple[int, ...]
    index: np.ndarray
    size: int
    #: 0: a gather, 1: a slice, 2: a reshaped slice, 3: a strided view.
    kind: int
    #: The slice ``lo:hi`` (kinds 1 and 2; ``lo`` for kind 3 as well).
    lo: int
    hi: int
    #: The strided view's byte offset and strides (kind 3).
    offset: int
    strides: tuple[int, ...]

    def __init__(self, idx: ArrayLike) -> None:
        super().__init__()
        idx = np.asarray(idx, dtype=np.intp)
        self.shape, self.index = idx.shape, idx
        self.size = idx.size
        layout = _layout(idx)
        self.kind = 0  # 0: gather, 1: a slice, 2: a reshaped slice, 3: a strided view
        if layout is not None:
            base, strides = layout
            self.lo = base
            contiguous = idx.ndim == 1 and strides[0] == 1
            row_major = idx.ndim == 2 and strides == (idx.shape[1], 1)
            if contiguous or idx.size == 1:
                self.kind, self.hi = 1, base + idx.size
            elif row_major:
                self.kind, self.hi = 2, base + idx.size
            else:
                self.kind = 3
                self.offset = base * 8
                self.strides = tuple(8 * s for s in strides)

    @property
    def is_view(self) -> bool:
        """Whether ``read`` gives a view (no copy) that a scatter can add into in place."""
        return self.kind != 0

    def read(self, arr: np.ndarray) -> np.ndarray:
        """``arr[idx]`` in the block's shape, as a view when the slots allow (the same
        view object again when ``arr`` is the array read last)."""
        if self.kind == 0:
            return arr[self.index]  # a copy: never kept, the values change
        return self.view(arr)

    def _view(self, arr: np.ndarray) -> np.ndarray:
        if self.kind == 3:
            return np.ndarray(self.shape, buffer=arr, offset=self.offset, strides=self.strides)
        return arr[self.lo : self.hi].reshape(self.shape)


class Gather(Block):
    """``vals[idx]``, as a view when idx is a regular block of slots."""

    def __call__(self, vals: np.ndarray) -> np.ndarray:
        return self.read(vals)


class Scatter:
    """``G[targets] += contribution``, counting repeated targets correctly.

    Entries whose target needs no gradient are dropped; a regular block of
    distinct targets is added into in place (a view), a repeated target uses
    ``np.bincount`` over the distinct targets.
    """

    shape: tuple[int, ...]
    #: The targets as a view-able block, when every target needs its gradient.
    block: Block | None
    #: The positions of the entries kept (None: all of them).
    pick: np.ndarray | None
    #: Set by the tape's plan (``Tape._plan_gradient_writes``): no slot of this block
    #: has had a contribution yet when it runs, so it writes instead of adding.
    assign: bool

    def __init__(self, targets: ArrayLike, wanted: ArrayLike) -> None:
        targets = np.asarray(targets, dtype=np.intp)
        self.shape = targets.shape
        wanted = np.asarray(wanted, dtype=bool)
        self.block: Block | None = None
        self.assign = False
        if wanted.all():
            block = Block(targets)
            if block.is_view:
                self.block = block
                return
        flat, wanted = targets.ravel(), wanted.ravel()
        self.pick = None if wanted.all() else np.flatnonzero(wanted)
        if self.pick is not None:
            flat = flat[self.pick]
        self.inverse: Any = None
        self.index: Any  # a slice for a contiguous range, else an index array
        distinct, inverse = np.unique(flat, return_inverse=True)
        if distinct.size < flat.size:
            self.index, self.inverse = distinct, inverse
        else:
            self.index = flat

    @classmethod
    def make(cls, targets: ArrayLike, need: np.ndarray) -> Scatter | None:
        """A scatter for the targets that need a gradient, or None if none does."""
        targets = np.asarray(targets, dtype=np.intp)
        wanted = need[targets]
        return cls(targets, wanted) if wanted.any() else None

    @property
    def slots(self) -> np.ndarray:
        """The slots ``add`` writes into (each once), for the tape's plan."""
        if self.block is not None:
            return self.block.index.ravel()
        return np.asarray(self.index, dtype=np.intp)

    def into(self, G: np.ndarray) -> np.ndarray | None:
        """The view of ``G`` to write the contribution into (``out=``) when this scatter
        assigns; None when it adds (then call ``add``)."""
        return self.block.read(G) if self.assign else None  # type: ignore[union-attr]

    def add(self, G: np.ndarray, contribution: ArrayLike) -> None:
        """``G[targets] += contribution`` (broadcast to the targets' shape); ``=`` when
        the scatter assigns."""
        if self.block is not None:
            view = self.block.read(G)
            if self.assign:
                np.copyto(view, contribution)
            else:
                np.add(view, contribution, out=view)
            return
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

    lo: int
    hi: int
    a: Gather
    b: Gather
    a_grad: Scatter | None
    b_grad: Scatter | None
    #: Whether any gradient flows back through the group.
    flows: bool

    def __init__(
        self, lo: int, hi: int, a_slots: ArrayLike, b_slots: ArrayLike, need: np.ndarray
    ) -> None:
        self.lo, self.hi = lo, hi
        self.a, self.b = Gather(a_slots), Gather(b_slots)
        self.a_grad = Scatter.make(a_slots, need)
        self.b_grad = Scatter.make(b_slots, need)
        self.flows = self.a_grad is not None or self.b_grad is not None

    def writes(self) -> list[Scatter | np.ndarray]:
        """What ``backward`` writes into ``G``, in order: scatters, or slots it adds into."""
        return [s for s in (self.a_grad, self.b_grad) if s is not None]


class MatmulGroup(_ProductGroup):
    """Linear nodes forming a grid: node (r, k) = sum_l A[k, l] * B[r, l].

    An MLP layer over a batch is such a grid (k: neuron, r: sample, A: the
    weights and bias, B: the sample's inputs and a 1), so it runs as one matmul.
    A column of B that holds one slot in every row (the 1 that multiplies a
    bias) is taken out of the product and added as a row vector: ``X @ W.T + b``,
    not a matmul against a column of ones, so that A and B stay plain views.
    """

    K: int
    R: int
    flows: bool
    #: Views of the group's outputs and of their gradients.
    out: Span
    out_grad: Span
    #: The bias columns taken out of the product: (A's column, B's slot, scatter, needs grad).
    bias: list[tuple[Gather, int, Scatter | None, bool]]

    def __init__(self, lo: int, a_slots: ArrayLike, b_slots: ArrayLike, need: np.ndarray) -> None:
        a_slots = np.asarray(a_slots, dtype=np.intp)
        b_slots = np.asarray(b_slots, dtype=np.intp)
        self.K, self.R = len(a_slots), len(b_slots)
        self.bias = []
        if self.R > 1 and b_slots.shape[1] > 1:
            same = (b_slots == b_slots[0]).all(axis=0)
            if same.any() and not same.all():
                for col in np.flatnonzero(same):
                    s = int(b_slots[0, col])
                    column = a_slots[:, col]
                    self.bias.append((Gather(column), s, Scatter.make(column, need), bool(need[s])))
                a_slots, b_slots = a_slots[:, ~same], b_slots[:, ~same]
        super().__init__(lo, lo + self.K * self.R, a_slots, b_slots, need)
        self.flows = self.flows or any(sc is not None or ns for _, _, sc, ns in self.bias)
        self._ones = np.ones(self.R)  # the bias gradient, sum over rows, as one BLAS call
        # the grid's slots, read in the value array (forward) and the gradient array (backward)
        self.out = Span(self.lo, self.hi, (self.R, self.K))
        self.out_grad = Span(self.lo, self.hi, (self.R, self.K))

    def writes(self) -> list[Scatter | np.ndarray]:
        """What ``backward`` writes into ``G``, in order: A's, B's, then the bias columns'."""
        writes = super().writes()
        for _, s, scatter, needs in self.bias:
            if scatter is not None:
                writes.append(scatter)
            if needs:
                writes.append(np.array([s], dtype=np.intp))
        return writes

    def forward(self, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All the grid's nodes in one matmul, written into ``vals``; returns (A, B)."""
        av, bv = self.a(vals), self.b(vals)
        out = self.out.view(vals)
        np.matmul(bv, av.T, out=out)
        for column, s, _, _ in self.bias:
            c = column(vals)
            out += c if s == ONE_SLOT else vals[s] * c
        return av, bv

    def backward(
        self, vals: np.ndarray, G: np.ndarray, saved: tuple[np.ndarray, np.ndarray]
    ) -> None:
        """Add the grid's gradients into ``G``: two matmuls (and the bias columns' sums)."""
        av, bv = saved
        g = self.out_grad.view(G)
        if self.a_grad is not None:
            into = self.a_grad.into(G)
            if into is None:
                self.a_grad.add(G, g.T @ bv)
            else:
                np.matmul(g.T, bv, out=into)
        if self.b_grad is not None:
            into = self.b_grad.into(G)
            if self.K == 1:  # one neuron: an outer product, cheaper broadcast
                grad = np.multiply(g, av, out=into)
            else:
                grad = np.matmul(g, av, out=into)
            if into is None:
                self.b_grad.add(G, grad)
        if self.bias:
            total = self._ones @ g
            for column, s, scatter, needs in self.bias:
                if scatter is not None:
                    scatter.add(G, total if s == ONE_SLOT else total * vals[s])
                if needs:
                    G[s] += float(total @ column(vals))


class RowsGroup(_ProductGroup):
    """Linear nodes with the same number of terms: node s = sum_l A[s, l] * B[s, l]."""

    #: Each node has one term (a product, no sum).
    single: bool

    def __init__(self, lo: int, a_slots: ArrayLike, b_slots: ArrayLike, need: np.ndarray) -> None:
        super().__init__(lo, lo + len(a_slots), a_slots, b_slots, need)  # type: ignore[arg-type]
        self.single = self.a.shape[1] == 1

    def forward(self, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every node's sum of products at once, written into ``vals``; returns (A, B)."""
        av, bv = self.a(vals), self.b(vals)
        out = vals[self.lo : self.hi]
        if self.single:
            np.multiply(av[:, 0], bv[:, 0], out=out)
        else:
            np.multiply(av, bv).sum(axis=1, out=out)
        return av, bv

    def backward(
        self, vals: np.ndarray, G: np.ndarray, saved: tuple[np.ndarray, np.ndarray]
    ) -> None:
        """Add the nodes' gradients into ``G`` (the upstream gradient times the other side)."""
        av, bv = saved
        g = G[self.lo : self.hi, None]
        for scatter, other in ((self.a_grad, bv), (self.b_grad, av)):
            if scatter is not None:
                into = scatter.into(G)
                grad = np.multiply(g, other, out=into)
                if into is None:
                    scatter.add(G, grad)


class MapGroup:
    """Nodes of one non-linear op: one vectorised forward, the table's rule on arrays."""

    op: str
    lo: int
    hi: int
    operands: list[Gather]
    #: Per operand, where its gradient goes (None: a constant input, or none needed).
    grads: list[Scatter | None]
    flows: bool
    #: Per node, whether a parameter's gradient flows through it (its rule runs).
    wanted: list[bool]
    numpy_forward: Callable[..., object] | None
    #: The table's NumPy rule, which can write straight into ``G`` (None: its ``vjp``).
    numpy_vjp: Callable[..., tuple[Any, ...]] | None
    vectorised: bool
    writes_out: bool
    check_forward: bool
    check_rule: bool

    def __init__(self, op: str, lo: int, operand_slots: Sequence[Any], need: np.ndarray) -> None:
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
        self.numpy_vjp = prim.numpy_vjp
        self.numpy_forward = prim.numpy_forward
        self.vectorised = prim.numpy_forward is not None
        self.writes_out = prim.numpy_out  # numpy_forward(*ins, out=...) writes in place
        self.check_forward = prim.forward_may_raise
        self.check_rule = prim.rule_may_raise

    def forward(self, vals: np.ndarray) -> list[np.ndarray]:
        """The op on every node at once (floats where NumPy would differ); returns the inputs."""
        ins = [gather(vals) for gather in self.operands]
        out: Any = None
        if self.writes_out:
            out = self.numpy_forward(*ins, out=vals[self.lo : self.hi])  # type: ignore[misc]
        elif self.vectorised:
            out = self.numpy_forward(*ins)  # type: ignore[misc]  # set when vectorised
        if out is None or (self.check_forward and not _all_finite([out])):
            out = float_forward(self.op, [a.tolist() for a in ins])
        if not self.writes_out or out.__class__ is list:
            vals[self.lo : self.hi] = out
        return ins

    def backward(self, vals: np.ndarray, G: np.ndarray, ins: list[np.ndarray]) -> None:
        """The table's rule on arrays (floats where NumPy would differ), scattered into ``G``."""
        g, out = G[self.lo : self.hi], vals[self.lo : self.hi]
        grads: Any = None
        written = False  # the rule wrote the assigned gradients into G itself
        if self.numpy_vjp is not None and self.vectorised:
            into = [None if s is None else s.into(G) for s in self.grads]
            written = any(a is not None for a in into)
            grads = self.numpy_vjp(g, out, *ins, into=into)
        elif self.vectorised:
            grads = PRIMITIVES[self.op].vjp(g, out, *ins, NUMPY)
        if grads is None or (self.check_rule and not _all_finite(self._scattered(grads))):
            grads, written = self._float_backward(g, out, ins), False
        for scatter, grad in zip(self.grads, grads):
            if scatter is not None and not (written and scatter.assign):
                scatter.add(G, grad)

    def writes(self) -> list[Scatter | np.ndarray]:
        """What ``backward`` writes into ``G``, in order (the tape plans with it)."""
        return [s for s in self.grads if s is not None]

    def _scattered(self, grads: Sequence[Any]) -> list[Any]:
        return [grad for scatter, grad in zip(self.grads, grads) if scatter is not None]

    def _float_backward(
        self, g: np.ndarray, out: np.ndarray, ins: list[np.ndarray]
    ) -> list[np.ndarray]:
        """The float rule at every node a gradient flows through: eager's numbers and errors."""
        zeros = (0.0,) * len(ins)
        columns = zip(self.wanted, g.tolist(), out.tolist(), *[a.tolist() for a in ins])
        rows = [float_rule(self.op, gk, ok, xs) if w else zeros for w, gk, ok, *xs in columns]
        return [np.array(col, dtype=np.float64) for col in zip(*rows)]
