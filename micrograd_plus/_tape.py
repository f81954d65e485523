"""The tape behind ``compile``: a traced graph flattened into index arrays.

Building happens in two phases.  ``describe`` walks the traced Values once and
turns them into plain integers (positions), fusing the cheap things on the way:
chains of ``+``/``sum``/``-``/``neg``/``*`` become one *linear node*, a sum of
products ``sum_k a_k * b_k``.  A neuron's weighted sum is therefore one node,
however it was written.  After that no Value of the graph is referenced any
more, and ``Tape`` lays every node out in one float array (``vals``), grouped
by (depth, op) so that each group is one NumPy call.  A group of linear nodes
that share their "weights" row by row is a matrix product and runs as one
``matmul``; that is what an MLP layer over a batch turns into.

Replaying is ``Tape.forward`` (inputs and parameter values in, every node's
value out) and ``Tape.backward`` (the table's derivative rules run on arrays,
outputs first, and each leaf's gradient added into its ``.grad``).
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np

from .engine import Value, topological_order
from .ops import MATH, PRIMITIVES

#: Backend for the derivative rules on arrays (see ``ops.py``).
NUMPY = SimpleNamespace(
    log=np.log,
    sin=np.sin,
    cos=np.cos,
    sign=np.sign,
    step=lambda a: (a > 0.0).astype(np.float64),
)


def _np_sigmoid(a):
    z = np.exp(-np.abs(a))  # never overflows, as in ops._sigmoid
    return np.where(a >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


#: Vectorised forwards of the non-linear ops; any op missing here falls back to
#: its float forward, one element at a time (slow but exact).
NUMPY_FORWARD = {
    "/": np.divide,
    "**": np.power,
    "pow": np.power,
    "abs": np.abs,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tanh": np.tanh,
    "sigmoid": _np_sigmoid,
    "relu": lambda a: np.where(a > 0.0, a, 0.0),
    "leaky_relu": lambda a, s: np.where(a > 0.0, a, a * s),
}


def _pow_in_domain(a, b) -> bool:
    return not (((a == 0.0) & (b < 0.0)).any() or ((a < 0.0) & (b != np.floor(b))).any())


#: Checks that the eager forward would not raise; when one fails the group is
#: recomputed with the float forward, which raises the eager error message.
IN_DOMAIN = {
    "/": lambda a, b: bool((b != 0.0).all()),
    "**": _pow_in_domain,
    "pow": _pow_in_domain,
    "log": lambda a: bool((a > 0.0).all()),
    "sqrt": lambda a: bool((a >= 0.0).all()),
}

LINEAR_OPS = frozenset({"+", "-", "*", "neg", "sum"})
ONE, MINUS_ONE = -1, -2  # positions standing for the constants 1.0 and -1.0
ONE_SLOT, MINUS_ONE_SLOT = 0, 1


# --- phase 1: Values -> integers ---------------------------------------------------


class Graph(SimpleNamespace):
    """A traced graph as integers: node i is ``ops[i]`` of ``parents[i]`` (positions).

    ``terms[i]`` lists the (a, b) position pairs of a linear node; ``inputs``
    maps a leaf position to its index among the flattened arguments.
    """


def describe(roots: list[Value], pinned: list[Value], inputs: list[Value]):
    """Number the nodes reachable from roots and pinned, fuse linear chains.

    Returns the Graph plus the non-input leaf Values (in position order), which
    is all the caller still needs from the traced objects.
    """
    order: list[Value] = []
    position: dict[int, int] = {}
    for top in [*roots, *pinned]:
        if id(top) not in position:
            for node in topological_order(top):
                if id(node) not in position:
                    position[id(node)] = len(order)
                    order.append(node)
    ops = [node._op for node in order]
    parents = [tuple(position[id(p)] for p in node._prev) for node in order]
    uses = [0] * len(order)
    for ps in parents:
        for p in ps:
            uses[p] += 1
    for top in [*roots, *pinned]:
        uses[position[id(top)]] += 1  # kept as a node of its own
    input_index = {id(v): i for i, v in enumerate(inputs)}
    graph = Graph(
        ops=ops,
        parents=parents,
        terms=_fuse_linear(ops, parents, uses),
        inputs={i: input_index[id(v)] for i, v in enumerate(order) if id(v) in input_index},
        roots=[position[id(r)] for r in roots],
        pinned=[position[id(v)] for v in pinned],
    )
    graph.leaves = [i for i, op in enumerate(ops) if op == "" and i not in graph.inputs]
    leaf_values = [order[i] for i in graph.leaves]
    return graph, leaf_values


def _fuse_linear(ops, parents, uses) -> dict[int, list[tuple[int, int]]]:
    """Terms of every linear node that stays a node; the others are spliced in.

    A linear node used once, by a sum-like node (``+``, ``sum``, the left side
    of ``-``), becomes part of its consumer: ``(a*b + c) + d`` is one node with
    terms ``a*b, c*1, d*1``.  Parts are nested lists, flattened once at the
    end, so that a long chain costs linear time.
    """
    parts: dict[int, list] = {}

    def expand(p: int):
        if ops[p] in LINEAR_OPS and uses[p] == 1:
            return parts.pop(p)
        return (p, ONE)

    for i, op in enumerate(ops):
        if op not in LINEAR_OPS:
            continue
        ps = parents[i]
        if op == "*":
            parts[i] = [(ps[0], ps[1])]
        elif op == "neg":
            parts[i] = [(ps[0], MINUS_ONE)]
        elif op == "-":
            parts[i] = [expand(ps[0]), (ps[1], MINUS_ONE)]
        else:  # "+" and "sum"
            parts[i] = [expand(p) for p in ps]
    return {i: _flatten(p) for i, p in parts.items()}


def _flatten(items: list) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    stack = [iter(items)]
    while stack:
        for item in stack[-1]:
            if item.__class__ is list:
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def _refcount_of_listed(values: list) -> list[int]:
    return [sys.getrefcount(v) for v in values]


#: Reference count of an object held by nothing but one list.
_ONLY_IN_LIST = _refcount_of_listed([Value(0.0)])[0]


def referenced_elsewhere(values: list[Value]) -> list[bool]:
    """For each leaf, whether anything but the caller's list refers to it.

    A leaf that only the tape refers to (a constant made while tracing) can
    never change, so its value is baked into the tape instead of being read
    and written back at every call.
    """
    return [count > _ONLY_IN_LIST for count in _refcount_of_listed(values)]


# --- phase 2: integers -> groups of NumPy calls ----------------------------------


def _is_range(flat: np.ndarray) -> bool:
    return (
        flat.size > 0
        and int(flat[-1]) - int(flat[0]) == flat.size - 1
        and (flat.size == 1 or bool((np.diff(flat) == 1).all()))
    )


class _Gather:
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


class _Scatter:
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
        self.inverse = None
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
        c = np.asarray(contribution, dtype=np.float64)
        if c.shape != self.shape:
            c = np.broadcast_to(c, self.shape)
        c = c.ravel()
        if self.pick is not None:
            c = c[self.pick]
        if self.inverse is not None:
            c = np.bincount(self.inverse, weights=c, minlength=self.index.size)
        G[self.index] += c


class _MatmulGroup:
    """Linear nodes forming a grid: node (r, k) = sum_l A[k, l] * B[r, l].

    An MLP layer over a batch is such a grid (k: neuron, r: sample, A: the
    weights and bias, B: the sample's inputs and a 1), so it runs as one matmul.
    """

    def __init__(self, lo, a_slots, b_slots, need) -> None:
        self.lo, self.K, self.R = lo, len(a_slots), len(b_slots)
        self.hi = lo + self.K * self.R
        self.a, self.b = _Gather(a_slots), _Gather(b_slots)
        self.a_grad = _Scatter.make(a_slots, need)
        self.b_grad = _Scatter.make(b_slots, need)
        self.flows = self.a_grad is not None or self.b_grad is not None

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


class _RowsGroup:
    """Linear nodes with the same number of terms: node s = sum_l A[s, l] * B[s, l]."""

    def __init__(self, lo, a_slots, b_slots, need) -> None:
        self.lo, self.hi = lo, lo + len(a_slots)
        self.a, self.b = _Gather(a_slots), _Gather(b_slots)
        self.a_grad = _Scatter.make(a_slots, need)
        self.b_grad = _Scatter.make(b_slots, need)
        self.flows = self.a_grad is not None or self.b_grad is not None

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


class _MapGroup:
    """Nodes of one non-linear op: one vectorised forward, the table's rule on arrays."""

    def __init__(self, op, lo, operand_slots, need) -> None:
        self.op, self.lo, self.hi = op, lo, lo + len(operand_slots[0])
        self.operands = [_Gather(s) for s in operand_slots]
        const = PRIMITIVES[op].const_inputs
        self.grads = [
            None if j in const else _Scatter.make(s, need) for j, s in enumerate(operand_slots)
        ]
        self.vectorised = op in NUMPY_FORWARD
        self.flows = any(scatter is not None for scatter in self.grads)

    def forward(self, vals):
        ins = [gather(vals) for gather in self.operands]
        check = IN_DOMAIN.get(self.op)
        if self.vectorised and (check is None or check(*ins)):
            vals[self.lo : self.hi] = NUMPY_FORWARD[self.op](*ins)
        else:  # the float forward, element by element: exact, and raises eager's errors
            forward = PRIMITIVES[self.op].forward
            vals[self.lo : self.hi] = [forward(*xs) for xs in zip(*[a.tolist() for a in ins])]
        return ins

    def backward(self, vals, G, ins) -> None:
        g, out = G[self.lo : self.hi], vals[self.lo : self.hi]
        rule = PRIMITIVES[self.op].vjp
        if self.vectorised:
            grads = rule(g, out, *ins, NUMPY)
        else:
            rows = [
                rule(*xs, MATH) for xs in zip(g.tolist(), out.tolist(), *[a.tolist() for a in ins])
            ]
            grads = [np.array(col, dtype=np.float64) for col in zip(*rows)]
        for scatter, grad in zip(self.grads, grads):
            if scatter is not None:
                scatter.add(G, grad)


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

    def __init__(self, graph: Graph, leaf_values: list[Value], n_inputs: int, guards=()) -> None:
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

    def _place_nodes(self, graph: Graph, slot: list[int], live_slots: set[int]) -> None:
        """Give every node a slot and make the groups, shallowest first."""
        ops, parents, terms = graph.ops, graph.parents, graph.terms
        depth = [0] * len(ops)
        grad_flow = [False] * len(ops)  # does a parameter's gradient flow through the node?
        for pos in graph.leaves:
            grad_flow[pos] = slot[pos] in live_slots
        groups: dict[tuple, list[int]] = {}
        for i, op in enumerate(ops):
            if op == "" or (op in LINEAR_OPS and i not in terms):
                continue  # a leaf, or spliced into its consumer
            if i in terms:
                ins = [p for t in terms[i] for p in t if p >= 0]
                key: tuple = (0, "lin")
            else:
                const = PRIMITIVES[op].const_inputs
                ins = [p for j, p in enumerate(parents[i]) if j not in const]
                key = (1, op, len(parents[i]))
            depth[i] = 1 + max((depth[p] for p in ins), default=0)
            grad_flow[i] = any(grad_flow[p] for p in ins)
            groups.setdefault((depth[i], *key), []).append(i)

        size = self.const_hi
        total = size + sum(len(nodes) for nodes in groups.values())
        need = np.zeros(total, dtype=bool)
        need[self.live_lo : self.live_hi] = True
        self.groups = []
        for key in sorted(groups):
            nodes = groups[key]
            if key[2] == "lin":
                size = self._place_linear(nodes, terms, slot, live_slots, size, need)
            else:
                nodes.sort(key=lambda i: slot[parents[i][0]])
                for k, i in enumerate(nodes):
                    slot[i] = size + k
                operand_slots = [[slot[parents[i][j]] for i in nodes] for j in range(key[3])]
                self.groups.append(_MapGroup(key[2], size, operand_slots, need))
                size += len(nodes)
            for i in nodes:
                need[slot[i]] = grad_flow[i]
        self.size = size

    def _place_linear(self, nodes, terms, slot, live_slots, size, need) -> int:
        """Linear nodes of one depth: a matmul per grid of equal-length nodes, else rows."""
        sentinel = {ONE: ONE_SLOT, MINUS_ONE: MINUS_ONE_SLOT}

        def rank(s: int) -> int:  # weights on the "A" side of a product, data on "B"
            return (
                2 if s in live_slots else (1 if s < 2 or self.live_hi <= s < self.const_hi else 0)
            )

        by_length: dict[int, list[tuple[int, list[int], list[int]]]] = {}
        for i in nodes:
            a_row, b_row = [], []
            for a, b in terms[i]:
                sa = sentinel[a] if a < 0 else slot[a]
                sb = sentinel[b] if b < 0 else slot[b]
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
                self.groups.append(_MatmulGroup(size, a_rows, b_rows, need))
            else:
                for k, (i, _, _) in enumerate(rows):
                    slot[i] = size + k
                a_slots = [a for _, a, _ in rows]
                b_slots = [b for _, _, b in rows]
                self.groups.append(_RowsGroup(size, a_slots, b_slots, need))
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

    def forward(self, inputs: np.ndarray) -> tuple[np.ndarray, list]:
        """Every slot's value for these inputs and the parameters' current data."""
        vals = self.template.copy()
        vals[2 : self.live_lo] = inputs
        vals[self.live_lo : self.live_hi] = [v.data for v in self.live]
        with np.errstate(all="ignore"):
            saved = [group.forward(vals) for group in self.groups]
        return vals, saved

    def backward(self, vals: np.ndarray, saved: list, root: int) -> None:
        """Add d(root)/d(leaf) into ``.grad`` of every leaf read at each call."""
        G = np.zeros(self.size)
        G[root] = 1.0
        with np.errstate(all="ignore"):
            for group, state in zip(reversed(self.groups), reversed(saved)):
                if group.flows:
                    group.backward(vals, G, state)
        for v, g in zip(self.live, G[self.live_lo : self.live_hi].tolist()):
            v.grad += g


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
