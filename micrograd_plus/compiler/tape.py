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
from .graph import MINUS_ONE, ONE, Graph, describe, linear_ops, referenced_elsewhere
from .vectorised import MINUS_ONE_SLOT, NUMPY, ONE_SLOT, MapGroup, MatmulGroup, RowsGroup

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
    #: Per comparison symbol: (numpy comparison, a slots, b slots, outcomes, guard numbers).
    guards: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

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

        slot = [-1] * n
        for pos, index in graph.inputs.items():
            slot[pos] = 2 + index
        live_iter = iter(range(self.live_lo, self.live_hi))
        for pos, v, a in zip(graph.leaves, leaf_values, alive):
            slot[pos] = next(live_iter) if a else constant_slot(v.data)
        guard_consts = [constant_slot(b) for _, _, b, _ in guards if b.__class__ is float]
        self.const_hi = self.live_hi + len(values) - 2
        self._place_nodes(graph, slot, set(range(self.live_lo, self.live_hi)))
        self.template = np.zeros(self.size)
        self.template[:2] = values[:2]
        self.template[self.live_hi : self.live_hi + len(values) - 2] = values[2:]
        self.roots = [slot[r] for r in graph.roots]
        self._prepare_guards(guards, slot, iter(guard_consts))
        # Arrays kept for the next calls (list.pop and append are atomic: threads may share).
        self._vals_pool: list[np.ndarray] = []
        self._grad_pool: list[np.ndarray] = []

    def _place_nodes(self, graph: Graph, slot: list[int], live_slots: set[int]) -> None:
        """Give every node a slot and make the groups, shallowest first.

        Consecutive narrow groups are gathered into one float segment.  The
        groups are first planned with the parameters in the order they were
        met, then the parameters are laid out again so that each matrix product
        reads its weights as one block (``_lay_out_parameters``), and only then
        are the groups built.
        """
        groups, grad_flow = _group_by_depth(graph, slot, live_slots)
        size = self.const_hi
        total = size + sum(len(nodes) for nodes in groups.values())
        need = np.zeros(total, dtype=bool)  # does a parameter's gradient flow through a slot?
        need[self.live_lo : self.live_hi] = True
        plans: list[tuple] = []  # (group class, its arguments): FloatSegments and NumPy groups
        narrow: list[tuple] = []  # (op, operand slots) of the float segment being gathered
        keys = sorted(groups)
        works = [_work(groups[key], graph, key[1] == 0) for key in keys]
        for key, on_floats in zip(keys, _cheapest_plan(works)):
            nodes, is_linear = groups[key], key[1] == 0
            if on_floats:
                for i in nodes:
                    slot[i] = size
                    size += 1
                    narrow.append(_float_node(i, graph, slot, is_linear))
            else:
                if narrow:
                    plans.append((FloatSegment, size - len(narrow), narrow))
                    narrow = []
                if is_linear:
                    size = self._place_linear(nodes, graph.terms, slot, live_slots, size, plans)
                else:
                    size = self._place_map(key[2], nodes, graph.parents, slot, size, plans)
            for i in nodes:
                need[slot[i]] = grad_flow[i]
        if narrow:
            plans.append((FloatSegment, size - len(narrow), narrow))
        self.size = size
        new_slot = self._lay_out_parameters(plans)
        for pos in graph.leaves:
            if self.live_lo <= slot[pos] < self.live_hi:
                slot[pos] = int(new_slot[slot[pos]])
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

    def _place_map(self, op: str, nodes, parents, slot, size: int, plans: list) -> int:
        """Nodes of one non-linear op at one depth: one MapGroup, ordered by first operand."""
        nodes.sort(key=lambda i: slot[parents[i][0]])
        for k, i in enumerate(nodes):
            slot[i] = size + k
        arity = len(parents[nodes[0]])
        operand_slots = np.array([[slot[parents[i][j]] for i in nodes] for j in range(arity)])
        plans.append((MapGroup, op, size, operand_slots))
        return size + len(nodes)

    def _place_linear(self, nodes, terms, slot, live_slots, size, plans: list) -> int:
        """Linear nodes of one depth: a matmul per grid of equal-length nodes, else rows."""

        def rank(s: int) -> int:  # weights on the "A" side of a product, data on "B"
            return (
                2 if s in live_slots else (1 if s < 2 or self.live_hi <= s < self.const_hi else 0)
            )

        by_length: dict[int, list[tuple[int, list[int], list[int]]]] = {}
        for i in nodes:
            a_row, b_row = [], []
            for a, b in terms[i]:
                sa, sb = _slot_of(a, slot), _slot_of(b, slot)
                if rank(sb) > rank(sa):
                    sa, sb = sb, sa
                a_row.append(sa)
                b_row.append(sb)
            by_length.setdefault(len(a_row), []).append((i, a_row, b_row))
        for rows in by_length.values():
            grid = _as_grid(rows)
            if grid is not None:
                a_rows, b_rows, cell = grid
                for i, r, k in cell:
                    slot[i] = size + r * len(a_rows) + k
                plans.append((MatmulGroup, size, np.array(a_rows), np.array(b_rows)))
            else:
                for k, (i, _, _) in enumerate(rows):
                    slot[i] = size + k
                a_slots = np.array([a for _, a, _ in rows])
                b_slots = np.array([b for _, _, b in rows])
                plans.append((RowsGroup, size, a_slots, b_slots))
            size += len(rows)
        return size

    def _prepare_guards(self, guards, slot, constant_slots) -> None:
        """Group the recorded comparisons by symbol: one vectorised check each."""
        by_symbol: dict[str, tuple[list, list, list, list]] = {}
        for number, (symbol, a, b, outcome) in enumerate(guards):
            entry = by_symbol.setdefault(symbol, ([], [], [], []))
            entry[0].append(slot[a])
            entry[1].append(next(constant_slots) if b.__class__ is float else slot[b])
            entry[2].append(outcome)
            entry[3].append(number)
        self.guards = [
            (_COMPARE[symbol], np.array(a), np.array(b), np.array(expected), np.array(numbers))
            for symbol, (a, b, expected, numbers) in by_symbol.items()
        ]

    def failed_guard(self, vals: np.ndarray) -> int | None:
        """The number of the first recorded comparison whose outcome changed, if any."""
        for compare, a, b, expected, numbers in self.guards:
            changed = compare(vals[a], vals[b]) != expected
            if changed.any():
                return int(numbers[changed].min())
        return None

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
        G.fill(0.0)
        G[root] = 1.0
        checked = is_anomaly_enabled()
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


def _op_name(group, slot: int | None = None) -> str:
    """The op a group runs (at ``slot``, for a float segment), as eager names it."""
    ops = getattr(group, "ops", None)
    if ops is not None:
        return ops[slot - group.lo] if slot is not None else "' or '".join(sorted(set(ops)))
    return getattr(group, "op", "+' or '*")  # a linear group: a sum of products


def _as_grid(rows):
    """If every (A row, B row) pair occurs exactly once, the rows form a matmul grid."""
    a_index: dict[tuple, int] = {}
    b_index: dict[tuple, int] = {}
    keys = []
    for _, a_row, b_row in rows:
        ka, kb = tuple(a_row), tuple(b_row)
        a_index.setdefault(ka, len(a_index))
        b_index.setdefault(kb, len(b_index))
        keys.append((a_index[ka], b_index[kb]))
    if len(a_index) * len(b_index) != len(rows) or len(set(keys)) != len(rows):
        return None
    cell = [(i, kb, ka) for (i, _, _), (ka, kb) in zip(rows, keys)]
    return [list(k) for k in a_index], [list(k) for k in b_index], cell


def _group_by_depth(graph: Graph, slot: list[int], live_slots: set[int]):
    """Nodes keyed by (depth, 0, "lin") or (depth, 1, op, arity); whether a gradient flows.

    A node's depth is one more than its deepest operand's, so the nodes of one
    key never depend on each other and the keys' order is a valid order to run.
    """
    ops, parents, terms = graph.ops, graph.parents, graph.terms
    depth = [0] * len(ops)
    grad_flow = [False] * len(ops)  # does a parameter's gradient flow through the node?
    for pos in graph.leaves:
        grad_flow[pos] = slot[pos] in live_slots
    groups: dict[tuple, list[int]] = {}
    fusion = linear_ops()
    for i, op in enumerate(ops):
        if op == "" or (op in fusion and i not in terms):
            continue  # a leaf, or spliced into its consumer
        if i in terms:
            flows = [p for t in terms[i] for p in t if p >= 0]
            ins: Sequence[int] = flows
            key: tuple = (0, "lin")
        else:
            const = PRIMITIVES[op].const_inputs
            ins = parents[i]
            flows = [p for j, p in enumerate(ins) if j not in const]
        depth[i] = 1 + max((depth[p] for p in ins), default=0)
        grad_flow[i] = any(grad_flow[p] for p in flows)
        if i not in terms:
            key = (1, op, len(parents[i]))
        groups.setdefault((depth[i], *key), []).append(i)
    return groups, grad_flow


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


def _work(nodes: list[int], graph: Graph, is_linear: bool) -> int:
    """Multiplications (linear nodes) or op calls (the others) a group makes."""
    if is_linear:
        return sum(len(graph.terms[i]) for i in nodes)
    return len(nodes)


def _slot_of(position: int, slot: list[int]) -> int:
    if position == ONE:
        return ONE_SLOT
    if position == MINUS_ONE:
        return MINUS_ONE_SLOT
    return slot[position]


def _moved_float_node(op: str, ins, new_slot: np.ndarray) -> tuple:
    """A float node's (op, operand slots) after the parameters moved."""
    if op == LINEAR:
        return op, [(int(new_slot[a]), int(new_slot[b])) for a, b in ins]
    return op, [int(new_slot[s]) for s in ins]


def _float_node(i: int, graph: Graph, slot: list[int], is_linear: bool) -> tuple:
    """(op, operand slots) of node i, as a FloatSegment runs it."""
    if is_linear:
        return LINEAR, [(_slot_of(a, slot), _slot_of(b, slot)) for a, b in graph.terms[i]]
    return graph.ops[i], [slot[p] for p in graph.parents[i]]
