"""The tape behind ``compile``: a traced graph laid out in one array, replayed in groups.

Building takes two steps.  ``describe`` (``graph.py``) turns the traced
Values into integers, fusing chains of additions into linear nodes.  ``Tape``
then gives every node a slot in one float array (``vals``) and groups the nodes
by (depth, op), so that a group runs as one NumPy call (``vectorised.py``): a
group of linear nodes that share their "weights" row by row is a matrix
product, which is what an MLP layer over a batch turns into.  Groups too narrow
to pay for a NumPy call (a deep chain has one node per level) run on Python
floats instead (``floats.py``).

Replaying is ``Tape.forward`` (inputs and parameter values in, every node's
value out) and ``Tape.backward`` (the table's derivative rules, outputs first,
and each leaf's gradient added into its ``.grad``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from ..engine import AnomalyError, Value, is_anomaly_enabled
from ..ops import PRIMITIVES
from .floats import LINEAR, FloatSegment
from .graph import MINUS_ONE, ONE, Graph, describe, referenced_elsewhere
from .vectorised import (
    MINUS_ONE_SLOT,
    NUMPY,
    ONE_SLOT,
    Gather,
    MapGroup,
    MatmulGroup,
    RowsGroup,
    Scatter,
)

__all__ = ["NUMPY", "Tape", "describe"]

_DATA = attrgetter("_data")

# Costs in units of one float op call (about 0.3 us), measured on deep chains of
# several widths (benchmarks/bench_compile.py, narrow_table): a NumPy group costs
# about the same whatever its size (a few NumPy calls forward and backward), a
# float node costs its work, and switching from NumPy to floats costs one
# segment's reads and writes.
NUMPY_GROUP_COST = 24
_POOL_SIZE = 2  # value arrays kept for reuse per tape (a result alive while the next call runs)
FLOAT_SEGMENT_COST = 10

_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _constant_key(x: float):
    if x != x:
        return object()  # every NaN is its own constant
    return (x, str(x)[0] == "-")  # keeps 0.0 and -0.0 apart


class Tape:
    """A traced graph laid out in one array of slots, replayed group by group.

    Slots: 1.0, -1.0, the flattened inputs, the leaves read at each call
    (parameters), the baked constants, then each group's outputs, contiguous.
    """

    n_nodes: int
    n_inputs: int
    #: The leaves read again at each call (the parameters), in slot order.
    live: list[Value]
    live_lo: int
    live_hi: int
    const_hi: int
    #: Slots in all: the length of the value array.
    size: int
    #: The value array before the inputs and parameters are written in.
    template: np.ndarray
    #: The slot of each root (the results, then the aux Values).
    roots: list[int]
    #: Per comparison symbol and outcome: (numpy comparison, a side, b side, the outcome,
    #: guard numbers); a side is one slot (an int) or a ``Gather`` of slots.
    guards: list[tuple[Any, Any, Any, bool, np.ndarray]]

    def __init__(
        self,
        graph: Graph,
        leaf_values: list[Value],
        n_inputs: int,
        guards: Sequence[tuple[str, int, Any, bool]] = (),
    ) -> None:
        alive = referenced_elsewhere(leaf_values)
        n = self.n_nodes = len(graph.ops)
        self.n_inputs = n_inputs
        self.live = [v for v, a in zip(leaf_values, alive) if a]
        self.live_lo = 2 + n_inputs
        self.live_hi = self.live_lo + len(self.live)
        constants: dict = {_constant_key(1.0): ONE_SLOT, _constant_key(-1.0): MINUS_ONE_SLOT}
        values = [1.0, -1.0]

        def constant_slot(x: float) -> int:
            key = _constant_key(x)
            if key not in constants:
                constants[key] = self.live_hi + len(values) - 2
                values.append(x)
            return constants[key]

        slot = np.full(n, -1, dtype=np.int64)
        for pos, index in graph.inputs.items():
            slot[pos] = 2 + index
        live_iter = iter(range(self.live_lo, self.live_hi))
        for pos, v, a in zip(graph.leaves, leaf_values, alive):
            slot[pos] = next(live_iter) if a else constant_slot(v.data)
        guard_consts = [constant_slot(b) for _, _, b, _ in guards if b.__class__ is float]
        self.const_hi = self.live_hi + len(values) - 2
        self._place_nodes(graph, slot)
        self.template = np.zeros(self.size)
        self.template[:2] = values[:2]
        self.template[self.live_hi : self.live_hi + len(values) - 2] = values[2:]
        self.roots = [int(slot[r]) for r in graph.roots]
        self._plan_gradient_writes()
        self._prepare_guards(guards, slot, iter(guard_consts))
        # Arrays kept for the next calls (list.pop and append are atomic: threads may share).
        self._vals_pool: list[np.ndarray] = []
        self._grad_pool: list[np.ndarray] = []

    def _place_nodes(self, graph: Graph, slot: np.ndarray) -> None:
        """Give every node a slot and make the groups, shallowest first.

        Consecutive narrow groups are gathered into one float segment.  The
        groups are first planned with the parameters in the order they were
        met, then the parameters are laid out again so that each matrix product
        reads its weights as one block (``_lay_out_parameters``), and only then
        are the groups built.
        """
        groups, grad_flow = _group_by_depth(graph, slot, self.live_lo, self.live_hi)
        size = self.const_hi
        total = size + sum(len(nodes) for _, nodes in groups)
        need = np.zeros(total, dtype=bool)  # does a parameter's gradient flow through a slot?
        need[self.live_lo : self.live_hi] = True
        plans: list[tuple] = []  # (group class, its arguments): FloatSegments and NumPy groups
        narrow: list[tuple] = []  # (op, operand slots) of the float segment being gathered
        n_terms = np.diff(graph.term_off)
        works = [int(n_terms[nodes].sum()) if key[1] == 0 else len(nodes) for key, nodes in groups]
        # slot_of[p] for an operand position p; -1 and -2 (ONE, MINUS_ONE) index the end
        for (key, nodes), on_floats in zip(groups, _cheapest_plan(works)):
            is_linear = key[1] == 0
            if on_floats:
                for i in nodes.tolist():
                    slot[i] = size
                    size += 1
                    narrow.append(_float_node(i, graph, slot, is_linear))
            else:
                if narrow:
                    plans.append((FloatSegment, size - len(narrow), narrow))
                    narrow = []
                if is_linear:
                    size = self._place_linear(nodes, graph, slot, size, plans)
                else:
                    size = self._place_map(key[2], nodes, graph, slot, size, plans)
            need[slot[nodes]] = grad_flow[nodes]
        if narrow:
            plans.append((FloatSegment, size - len(narrow), narrow))
        self.size = size
        new_slot = self._lay_out_parameters(plans)
        leaves = np.asarray(graph.leaves, dtype=np.intp)
        if leaves.size:
            slot[leaves] = new_slot[slot[leaves]]
        self.groups: list[Any] = []
        for plan in plans:
            if plan[0] is FloatSegment:
                _, lo, nodes = plan
                moved = [_moved_float_node(op, ins, new_slot) for op, ins in nodes]
                self.groups.append(FloatSegment(lo, moved, need))
            elif plan[0] is MapGroup:
                _, op, lo, operand_slots = plan
                self.groups.append(MapGroup(op, lo, new_slot[operand_slots], need))
            else:
                cls, lo, a_slots, b_slots = plan
                self.groups.append(cls(lo, new_slot[a_slots], new_slot[b_slots], need))

    def _plan_gradient_writes(self) -> None:
        """Which slots of the gradient array each backward zeroes, and which scatters assign.

        Walks the groups in the order ``leaf_grads`` runs them (outputs first),
        tracking which slots already hold a contribution.  A scatter onto a block
        (a view) none of whose slots holds one yet *assigns* (``Scatter.assign``):
        its slots need no zero, and the group writes its gradient straight in.
        Every other slot that is read or added into before anything wrote it is
        zeroed at the start of each backward (``_zero``): for an MLP that is the
        roots, the parameters read twice and a few slots, instead of the whole array.
        """
        written = np.zeros(self.size, dtype=bool)
        zero = np.zeros(self.size, dtype=bool)
        roots = np.asarray(self.roots, dtype=np.intp)
        written[roots] = zero[roots] = True  # every root is zeroed, then the one called is 1
        for group in reversed(self.groups):
            if not group.flows:
                continue
            read = slice(group.lo, group.hi)  # the group's upstream gradient, g
            zero[read] |= ~written[read]
            written[read] = True
            for write in group.writes():
                if isinstance(write, Scatter):
                    slots = write.slots
                    if write.block is not None and not written[slots].any():
                        write.assign = True
                        written[slots] = True
                        continue
                else:
                    slots = write
                zero[slots] |= ~written[slots]
                written[slots] = True
        live = slice(self.live_lo, self.live_hi)  # read at the end: d(root)/d(parameter)
        zero[live] |= ~written[live]
        self._zero = _ranges(np.flatnonzero(zero))

    def _lay_out_parameters(self, plans: list[tuple]) -> np.ndarray:
        """Reorder the parameters' slots so that each matrix product's weights are one block.

        Returns ``new_slot``: for every slot, where it moves (only parameter slots
        move).  The weights of the first matrix product that reads them are laid
        out row by row (neuron by neuron, a neuron's weights then its bias: the
        order of ``parameters()`` in an MLP), so the replay reads them as a view;
        parameters read by no product keep their order, after the others.
        ``self.live`` is reordered to match.
        """
        lo, hi = self.live_lo, self.live_hi
        new_slot = np.arange(self.size, dtype=np.intp)
        if hi == lo:
            return new_slot
        moved = np.full(hi - lo, -1, dtype=np.intp)
        next_slot = lo
        for plan in plans:
            if plan[0] is not MatmulGroup:
                continue
            block = np.asarray(plan[2], dtype=np.intp).ravel()
            if block.size == 0 or block.min() < lo or block.max() >= hi:
                continue
            block = block - lo
            if (moved[block] >= 0).any() or np.unique(block).size != block.size:
                continue
            moved[block] = np.arange(next_slot, next_slot + block.size)
            next_slot += block.size
        rest = np.flatnonzero(moved < 0)
        moved[rest] = np.arange(next_slot, next_slot + rest.size)
        new_slot[lo:hi] = moved
        live: list[Value] = [None] * len(self.live)  # type: ignore[list-item]
        for v, s in zip(self.live, moved.tolist()):
            live[s - lo] = v
        self.live = live
        return new_slot

    def _place_map(self, op: str, nodes: np.ndarray, graph: Graph, slot, size, plans) -> int:
        """Nodes of one non-linear op at one depth: one MapGroup, ordered by first operand."""
        first = graph.par_off[nodes]
        nodes = nodes[np.argsort(slot[graph.par[first]], kind="stable")]
        slot[nodes] = np.arange(size, size + len(nodes))
        arity = int(graph.par_off[nodes[0] + 1] - graph.par_off[nodes[0]])
        operands = graph.par[graph.par_off[nodes][None, :] + np.arange(arity)[:, None]]
        plans.append((MapGroup, op, size, slot[operands]))
        return size + len(nodes)

    def _place_linear(self, nodes: np.ndarray, graph: Graph, slot, size, plans) -> int:
        """Linear nodes of one depth: a matmul per grid of equal-length nodes, else rows.

        Each term's two slots are put weights first ("A": parameters, then
        constants) and data second ("B"); nodes whose A rows and B rows pair up
        exactly once form a grid, node (r, k) = A[k] . B[r], a matrix product.
        """
        lo, hi, const_hi = self.live_lo, self.live_hi, self.const_hi
        counts = graph.term_off[nodes + 1] - graph.term_off[nodes]
        for length in np.unique(counts).tolist():
            rows = nodes[counts == length]
            idx = graph.term_off[rows][:, None] + np.arange(length)
            sa = _operand_slots(graph.term_a[idx], slot)
            sb = _operand_slots(graph.term_b[idx], slot)
            swap = _rank(sb, lo, hi, const_hi) > _rank(sa, lo, hi, const_hi)
            sa, sb = np.where(swap, sb, sa), np.where(swap, sa, sb)
            grid = _as_grid(sa, sb)
            if grid is not None:
                a_rows, b_rows, r, k = grid
                slot[rows] = size + r * len(a_rows) + k
                plans.append((MatmulGroup, size, a_rows, b_rows))
            else:
                slot[rows] = np.arange(size, size + len(rows))
                plans.append((RowsGroup, size, sa, sb))
            size += len(rows)
        return size

    def _prepare_guards(self, guards, slot, constant_slots) -> None:
        """Group the recorded comparisons by symbol and outcome: one vectorised check each.

        Each side is read as a slice where its slots are consecutive, and as one
        number where every comparison of the group has the same one (``y * y >= 1``,
        the hinge labels' check, compares a block of slots with the constant 1).
        """
        groups: dict[tuple[str, bool], tuple[list, list, list]] = {}
        for number, (symbol, a, b, outcome) in enumerate(guards):
            entry = groups.setdefault((symbol, bool(outcome)), ([], [], []))
            entry[0].append(slot[a])
            entry[1].append(next(constant_slots) if b.__class__ is float else slot[b])
            entry[2].append(number)
        self.guards = [
            (_COMPARE[symbol], _guard_side(a), _guard_side(b), outcome, np.array(numbers))
            for (symbol, outcome), (a, b, numbers) in groups.items()
        ]

    def failed_guard(self, vals: np.ndarray) -> int | None:
        """The number of the first recorded comparison whose outcome changed, if any."""
        failed = None
        for compare, a, b, outcome, numbers in self.guards:
            held = compare(
                vals[a] if a.__class__ is int else a(vals),
                vals[b] if b.__class__ is int else b(vals),
            )
            if not held.all() if outcome else held.any():
                first = int(numbers[held != outcome].min())
                failed = first if failed is None else min(failed, first)
        return failed

    def forward(self, inputs: np.ndarray, live: Any = None) -> tuple[np.ndarray, list[Any]]:
        """Every slot's value for these inputs and the parameters' current data.

        ``live``: the values of ``self.live`` in order, when the caller holds them in
        an array (``compile_step``); by default each Value's ``.data`` is read.
        The array comes from the tape's pool when a released one is there
        (``release``): every slot past the constants is written before it is read,
        so a reused array carries nothing over from the call that had it.
        """
        pool = self._vals_pool
        vals = pool.pop() if pool else self.template.copy()
        vals[2 : self.live_lo] = inputs
        if live is None:  # the slot itself, read in C (the .data property is a Python call)
            live = np.fromiter(map(_DATA, self.live), np.float64, len(self.live))
        vals[self.live_lo : self.live_hi] = live
        with np.errstate(all="ignore"):
            saved = [group.forward(vals) for group in self.groups]
        if is_anomaly_enabled():
            self._check_forward(vals)
        return vals, saved

    def _check_forward(self, vals: np.ndarray) -> None:
        """detect_anomaly() on a replay: name the op of the first node that made a NaN."""
        nan = np.flatnonzero(np.isnan(vals[self.const_hi :]))
        if nan.size:
            slot = self.const_hi + int(nan[0])
            group = next(g for g in self.groups if g.lo <= slot < g.hi)
            raise AnomalyError(
                f"NaN produced by '{_op_name(group, slot)}' in the forward pass "
                "(a compiled replay; call the function without compile to see its inputs)"
            )

    def backward(self, vals: np.ndarray, saved: list[Any], root: int) -> None:
        """Add d(root)/d(leaf) into ``.grad`` of every leaf read at each call."""
        grads = self.leaf_grads(vals, saved, root)
        for v, g in zip(self.live, grads.tolist()):
            v.grad += g

    def leaf_grads(self, vals: np.ndarray, saved: list[Any], root: int) -> np.ndarray:
        """d(root)/d(leaf) for every leaf of ``self.live``, in order, as a new array."""
        pool = self._grad_pool
        G = pool.pop() if pool else np.empty(self.size)
        checked = is_anomaly_enabled()
        if checked:  # the NaN check reads all of G
            G.fill(0.0)
        else:  # the slots read or added into before written (the plan); the rest is assigned
            zero = self._zero
            if zero.__class__ is list:
                for lo, hi in zero:
                    G[lo:hi] = 0.0
            else:
                G[zero] = 0.0
        G[root] = 1.0
        with np.errstate(all="ignore"):
            for group, state in zip(reversed(self.groups), reversed(saved)):
                if group.flows:
                    group.backward(vals, G, state)
                    if checked and np.isnan(G).any():
                        raise AnomalyError(
                            f"NaN gradient in the backward of '{_op_name(group)}' "
                            "(a compiled replay)"
                        )
        grads = G[self.live_lo : self.live_hi].copy()
        pool.append(G)
        return grads

    def release(self, vals: np.ndarray) -> None:
        """Give back an array ``forward`` returned, once nothing will read it again
        (its results are gone): the next forward reuses it instead of copying the
        template, which at 10,000 samples is most of the cost of a small step."""
        if len(self._vals_pool) < _POOL_SIZE and vals.shape == self.template.shape:
            self._vals_pool.append(vals)


def _guard_side(slots: list[int]) -> int | Gather:
    """One side of a group of comparisons: its slot if it is the same in all, else a read."""
    array = np.array(slots, dtype=np.intp)
    if (array == array[0]).all():
        return int(array[0])
    return Gather(array)


def _ranges(slots: np.ndarray) -> list[tuple[int, int]] | np.ndarray:
    """Sorted slots as a few (lo, hi) ranges to zero as slices, or the slots themselves
    when they are scattered (one fancy-index write then beats many slices)."""
    if slots.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(slots) != 1) + 1
    if breaks.size >= 16:
        return slots
    starts = np.r_[slots[0], slots[breaks]].tolist()
    ends = np.r_[slots[breaks - 1] + 1, slots[-1] + 1].tolist()
    return list(zip(starts, ends))


def _op_name(group, slot: int | None = None) -> str:
    """The op a group runs (at ``slot``, for a float segment), as eager names it."""
    ops = getattr(group, "ops", None)
    if ops is not None:
        return ops[slot - group.lo] if slot is not None else "' or '".join(sorted(set(ops)))
    return getattr(group, "op", "+' or '*")  # a linear group: a sum of products


def _first_seen(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows in order of first appearance, and each row's index among them."""
    _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    rank = np.empty(len(first), dtype=np.intp)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rows[np.sort(first)], rank[inverse]


def _as_grid(sa: np.ndarray, sb: np.ndarray):
    """If every (A row, B row) pair occurs exactly once, the rows form a matmul grid:
    (distinct A rows, distinct B rows, each node's B index r and A index k)."""
    a_rows, k = _first_seen(sa)
    b_rows, r = _first_seen(sb)
    if len(a_rows) * len(b_rows) != len(sa):
        return None
    if np.unique(r * len(a_rows) + k).size != len(sa):
        return None
    return a_rows, b_rows, r, k


def _operand_slots(positions: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Slots of term operands: ONE and MINUS_ONE become the slots of 1.0 and -1.0."""
    out = slot[np.maximum(positions, 0)]
    out[positions == ONE] = ONE_SLOT
    out[positions == MINUS_ONE] = MINUS_ONE_SLOT
    return out


def _rank(s: np.ndarray, lo: int, hi: int, const_hi: int) -> np.ndarray:
    """2 for a parameter's slot, 1 for a constant's, 0 for data: weights go on A's side."""
    return np.where((s >= lo) & (s < hi), 2, np.where((s < 2) | ((s >= hi) & (s < const_hi)), 1, 0))


def _group_by_depth(graph: Graph, slot: np.ndarray, live_lo: int, live_hi: int):
    """The groups, in a valid order to run: [((depth, 0, "lin") or (depth, 1, op, arity),
    nodes)], and for every node whether a parameter's gradient flows through it.

    A node's depth is one more than its deepest operand's (a linear node's
    operands are its terms' factors), so the nodes of one key never depend on
    each other.  One pass in position order (positions are a topological order).
    """
    n = graph.n
    nargs = np.diff(graph.par_off)
    placed = (nargs > 0) & ~graph.spliced
    linear = graph.linear
    grad_flow = np.zeros(n, dtype=bool)
    leaves = np.asarray(graph.leaves, dtype=np.intp)
    if leaves.size:
        grad_flow[leaves] = (slot[leaves] >= live_lo) & (slot[leaves] < live_hi)
    # Each placed node's operands (consumer, operand) and whether a gradient flows back.
    nodes = np.flatnonzero(placed)
    ops = graph.ops
    const = {name: p.const_inputs for name, p in PRIMITIVES.items() if p.const_inputs}
    nonlinear = placed & ~linear
    consumer = np.repeat(np.arange(n), nargs)
    keep = nonlinear[consumer]
    p_c, p_p = consumer[keep], graph.par[keep].astype(np.int64)
    p_flow = np.ones(len(p_c), dtype=bool)
    if const:  # inputs that are constants (leaky_relu's slope, take's index) pass no gradient
        arg = np.flatnonzero(keep) - graph.par_off[p_c]
        for name in sorted(set(ops)):
            if name in const:
                is_op = np.fromiter((ops[c] == name for c in p_c.tolist()), bool, len(p_c))
                for j in const[name]:
                    p_flow[is_op & (arg == j)] = False
    t_c = np.repeat(np.arange(n), np.diff(graph.term_off))
    t_c, t_p = np.concatenate([t_c, t_c]), np.concatenate([graph.term_a, graph.term_b])
    real = t_p >= 0
    dep_c = np.concatenate([p_c, t_c[real]])
    dep_p = np.concatenate([p_p, t_p[real]])
    dep_flow = np.concatenate([p_flow, np.ones(int(real.sum()), dtype=bool)])
    order = np.argsort(dep_c, kind="stable")
    dep_c, dep_p, dep_flow = dep_c[order], dep_p[order], dep_flow[order]
    depth_all, grad_flow = _depth_and_flow(n, nodes, dep_c, dep_p, dep_flow, grad_flow)
    depth = depth_all[nodes]
    names = sorted(set(ops))
    code = {name: k for k, name in enumerate(names)}
    op_code = np.fromiter((code[ops[i]] for i in nodes.tolist()), np.int64, len(nodes))
    is_nonlinear = ~linear[nodes]
    arity = np.where(is_nonlinear, nargs[nodes], 0)
    op_code = np.where(is_nonlinear, op_code, -1)
    order = np.lexsort((arity, op_code, is_nonlinear, depth))
    nodes, depth, op_code = nodes[order], depth[order], op_code[order]
    is_nonlinear, arity = is_nonlinear[order], arity[order]
    key = np.stack([depth, is_nonlinear, op_code, arity])
    starts = np.flatnonzero(np.r_[True, (key[:, 1:] != key[:, :-1]).any(axis=0)])
    ends = np.r_[starts[1:], len(nodes)]
    groups = []
    for a, b in zip(starts.tolist(), ends.tolist()):
        k: tuple = (int(depth[a]), 0, "lin")
        if is_nonlinear[a]:
            k = (int(depth[a]), 1, names[int(op_code[a])], int(arity[a]))
        groups.append((k, nodes[a:b]))
    return groups, grad_flow


def _depth_and_flow(n, nodes, dep_c, dep_p, dep_flow, leaf_flow, rounds: int = 64):
    """Every node's depth (1 + its deepest operand's; leaves 0) and gradient flow.

    ``dep_c``/``dep_p``: the (consumer, operand) pairs, sorted by consumer.
    Whole-array rounds, each pushing depths one level up, until nothing changes
    (a network is a few levels deep); a deeper graph (a long chain, which is
    narrow and small) finishes with one pass in position order instead.
    """
    starts = np.flatnonzero(np.r_[True, dep_c[1:] != dep_c[:-1]]) if len(dep_c) else dep_c
    heads = dep_c[starts]
    base = np.zeros(n, dtype=np.int64)
    base[nodes] = 1  # a node whose operands are all constants 1 and -1 is at depth 1
    depth = base.copy()
    flow = leaf_flow.copy()
    flowing = dep_flow.astype(np.int8)
    for _ in range(rounds):
        new_depth = base.copy()
        new_flow = leaf_flow.copy()
        if len(dep_c):
            new_depth[heads] = np.maximum.reduceat(depth[dep_p], starts) + 1
            new_flow[heads] |= np.maximum.reduceat(flow[dep_p] * flowing, starts) > 0
        if np.array_equal(new_depth, depth) and np.array_equal(new_flow, flow):
            return depth, flow
        depth, flow = new_depth, new_flow
    depth_list, flow_list = depth.tolist(), flow.tolist()
    bounds = np.r_[starts, len(dep_c)].tolist()
    ps, fs = dep_p.tolist(), dep_flow.tolist()
    segment = dict(zip(heads.tolist(), range(len(starts))))
    for i in nodes.tolist():
        k = segment.get(i)
        if k is None:
            depth_list[i] = 1
            continue
        d, f = 0, flow_list[i]
        for j in range(bounds[k], bounds[k + 1]):
            p = ps[j]
            if depth_list[p] > d:
                d = depth_list[p]
            if fs[j] and flow_list[p]:
                f = True
        depth_list[i], flow_list[i] = d + 1, f
    return np.array(depth_list, dtype=np.int64), np.array(flow_list, dtype=bool)


def _cheapest_plan(works: list[int]) -> list[bool]:
    """For each group in order, whether it runs on floats: the plan of least total cost.

    On floats a group costs its work, on NumPy a constant, and each switch from
    NumPy to floats costs a segment.  One pass keeps the cheapest plan so far
    ending on floats and the one ending on NumPy (a two-state Viterbi), then
    walks back through the choices.
    """
    on_floats, on_numpy = math.inf, 0.0  # cost of the cheapest plan ending on floats / NumPy
    choices = []  # per group: did the best plan ending on floats / on NumPy come from floats?
    for work in works:
        floats_after_floats = on_floats <= on_numpy + FLOAT_SEGMENT_COST
        numpy_after_floats = on_floats < on_numpy
        choices.append((floats_after_floats, numpy_after_floats))
        on_floats, on_numpy = (
            min(on_floats, on_numpy + FLOAT_SEGMENT_COST) + work,
            min(on_floats, on_numpy) + NUMPY_GROUP_COST,
        )
    plan, floats = [], on_floats <= on_numpy
    for floats_after_floats, numpy_after_floats in reversed(choices):
        plan.append(floats)
        floats = floats_after_floats if floats else numpy_after_floats
    return plan[::-1]


def _moved_float_node(op: str, ins, new_slot: np.ndarray) -> tuple:
    """A float node's (op, operand slots) after the parameters moved."""
    if op == LINEAR:
        return op, [(int(new_slot[a]), int(new_slot[b])) for a, b in ins]
    return op, [int(new_slot[s]) for s in ins]


def _float_node(i: int, graph: Graph, slot: np.ndarray, is_linear: bool) -> tuple:
    """(op, operand slots) of node i, as a FloatSegment runs it."""

    def slot_of(p: int) -> int:
        return ONE_SLOT if p == ONE else MINUS_ONE_SLOT if p == MINUS_ONE else int(slot[p])

    if is_linear:
        return LINEAR, [(slot_of(a), slot_of(b)) for a, b in graph.terms[i]]
    return graph.ops[i], [int(slot[p]) for p in graph.parents[i]]
