"""Building a tape, step 1: the traced Values turned into plain integers.

``describe`` walks the traced graph once and numbers its nodes, so that
nothing afterwards needs the Value objects (the tape keeps only the leaves it
reads at each call).  On the way it fuses what is cheap to fuse: chains of
``+``/``sum``/``-``/``neg``/``*`` become one *linear node*, a sum of products
``sum_k a_k * b_k``.  A neuron's weighted sum is therefore one node, however it
was written, which keeps the graph shallow (depth is what costs when replaying).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..engine import Value, sum_values
from ..ops import PRIMITIVES


def linear_ops() -> dict[str, str]:
    """Op name -> how it fuses ("add", "sub", "neg", "mul"), read off the table."""
    return {name: p.linear for name, p in PRIMITIVES.items() if p.linear}


ONE, MINUS_ONE = -1, -2  # positions standing for the constants 1.0 and -1.0

#: What an n-ary node keeps in ``_b`` (its parents are the tuple in ``_a``): read off
#: a node the engine makes, so the walk below can read ``_a``/``_b`` directly.
_MANY = sum_values([Value(0.0), Value(0.0), Value(0.0)])._b


class Graph:
    """A traced graph as integers: node i is ``ops[i]`` of ``parents[i]`` (positions).

    Stored as arrays (a few bytes per node, as a graph of millions of nodes
    needs): ``par[par_off[i]:par_off[i + 1]]`` are node i's inputs, and a linear
    node that stays a node has its (a, b) products in
    ``term_a/term_b[term_off[i]:term_off[i + 1]]``.  ``parents[i]`` and
    ``terms[i]`` read them as tuples, for code that looks at a few nodes.
    ``inputs`` maps a leaf position to its index among the flattened arguments.
    """

    def __init__(self, ops: list[str], par: np.ndarray, par_off: np.ndarray,
                 linear: np.ndarray, spliced: np.ndarray, term_a: np.ndarray,
                 term_b: np.ndarray, term_off: np.ndarray, inputs: dict[int, int],
                 roots: list[int], pinned: list[int], leaves: list[int]) -> None:  # fmt: skip
        self.ops: list[str] = ops  # the table op of each node ("" for a leaf)
        self.par: np.ndarray = par
        self.par_off: np.ndarray = par_off
        self.linear: np.ndarray = linear  # bool per node: a linear node that stays a node
        self.spliced: np.ndarray = spliced  # bool per node: spliced into its consumer
        self.term_a: np.ndarray = term_a
        self.term_b: np.ndarray = term_b
        self.term_off: np.ndarray = term_off
        self.inputs: dict[int, int] = inputs  # leaf position -> index among the arguments
        self.roots: list[int] = roots  # the function's results (and aux), in order
        self.pinned: list[int] = pinned  # nodes a guard compares, kept as nodes of their own
        self.leaves: list[int] = leaves  # the constant leaves (not inputs)
        self.parents: _Parents = _Parents(self)
        self.terms: _Terms = _Terms(self)

    @property
    def n(self) -> int:
        """The number of nodes."""
        return len(self.ops)


class _Parents:
    """``graph.parents[i]``: the positions of node i's inputs, as a tuple."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph

    def __getitem__(self, i: int) -> tuple[int, ...]:
        g = self.g
        return tuple(g.par[g.par_off[i] : g.par_off[i + 1]].tolist())

    def __len__(self) -> int:
        return self.g.n


class _Terms:
    """``graph.terms[i]``: the (a, b) products of linear node i; ``i in terms``."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph

    def __contains__(self, i: int) -> bool:
        return bool(self.g.linear[i])

    def __getitem__(self, i: int) -> list[tuple[int, int]]:
        g = self.g
        if not g.linear[i]:
            raise KeyError(i)
        lo, hi = int(g.term_off[i]), int(g.term_off[i + 1])
        return list(zip(g.term_a[lo:hi].tolist(), g.term_b[lo:hi].tolist()))


def describe(
    roots: list[Value], pinned: list[Value], inputs: list[Value]
) -> tuple[Graph, list[Value]]:
    """Number the nodes reachable from roots and pinned, fuse linear chains.

    Returns the Graph plus the non-input leaf Values (in position order), which
    is all the caller still needs from the traced objects.  ``number`` then
    ``build``: a caller that can drop the traced Values in between (as compile
    does) frees them before the NumPy part runs, which halves the peak memory.
    """
    return build(number(roots, pinned, inputs))


class Numbered:
    """The traced graph numbered (``number``): plain ints and arrays, and the leaves.

    ``top_pos`` are the positions of the roots, then of the pinned Values.
    """

    def __init__(
        self,
        ops: list[str],
        nargs: Any,
        par: Any,
        leaf_pos: dict[Value, int],
        top_pos: list[int],
        n_roots: int,
        input_pos: dict[int, int],
    ) -> None:
        self.ops: list[str] = ops
        self.nargs: Any = nargs  # inputs per node (an int array; None once built)
        self.par: Any = par  # the inputs' positions, node after node (None once built)
        self.leaf_pos: dict[Value, int] = leaf_pos
        self.top_pos: list[int] = top_pos
        self.n_roots: int = n_roots
        self.input_pos: dict[int, int] = input_pos


def number(roots: list[Value], pinned: list[Value], inputs: list[Value]) -> Numbered:
    """The one walk over the Values: every node's op and inputs as positions."""
    ops, nargs, par, leaf_pos, top_pos = _number([*roots, *pinned])
    input_pos: dict[int, int] = {}
    for index, v in enumerate(inputs):
        pos = leaf_pos.get(v)
        if pos is not None:
            input_pos[pos] = index
    return Numbered(ops, nargs, par, leaf_pos, top_pos, len(roots), input_pos)


def build(numbered: Numbered) -> tuple[Graph, list[Value]]:
    """The Graph of a numbered trace (NumPy: uses, linear fusion) and its leaf Values."""
    ops, top_pos, input_pos = numbered.ops, numbered.top_pos, numbered.input_pos
    n = len(ops)
    nargs_np = np.array(numbered.nargs, dtype=np.int32)
    par_np = np.array(numbered.par, dtype=np.int32)
    numbered.nargs = numbered.par = None
    par_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(nargs_np, out=par_off[1:])
    uses = np.bincount(par_np, minlength=n)
    np.add.at(uses, np.asarray(top_pos, dtype=np.intp), 1)  # kept as nodes of their own
    linear, spliced, term_a, term_b, term_off = _fuse_linear(ops, nargs_np, par_np, par_off, uses)
    leaf_pos = numbered.leaf_pos
    leaves = [pos for pos in leaf_pos.values() if pos not in input_pos]
    leaf_values = [v for v, pos in leaf_pos.items() if pos not in input_pos]
    numbered.leaf_pos = {}  # the caller's list is then the leaves' only holder
    graph = Graph(
        ops, par_np, par_off, linear, spliced, term_a, term_b, term_off,
        inputs=dict(sorted(input_pos.items())),
        roots=top_pos[: numbered.n_roots],
        pinned=top_pos[numbered.n_roots :],
        leaves=leaves,
    )  # fmt: skip
    return graph, leaf_values


def _number(tops: list[Value]):
    """Number every node reachable from tops, inputs before outputs.

    The recursive walk is the faster in Python (one call per node, its checks in
    line); a graph deeper than the recursion limit takes the iterative one.
    """
    try:
        return _number_recursively(tops)
    except RecursionError:
        return _number_iteratively(tops)


def _number_recursively(tops: list[Value]):
    """``_number_iteratively``'s result, by a recursive DFS (RecursionError on a graph
    deeper than Python's recursion limit, every grad put back)."""
    order: list[Value] = []
    ops: list[str] = []
    nargs = array("i")
    par = array("i")
    leaf_pos: dict[Value, int] = {}
    saved: list[tuple[Value, object]] = []
    append_node, append_op = order.append, ops.append
    append_nargs, append_par = nargs.append, par.append

    def number_leaf(p: Value) -> int:  # a leaf met for the first time: its position
        pos = leaf_pos[p] = len(order)
        append_node(p)
        append_op("")
        append_nargs(0)
        return pos

    def visit(node: Value) -> None:  # an inner node not yet numbered
        a, b = node._a, node._b
        if b is _MANY:
            for p in a:
                if p._a is None:
                    if p not in leaf_pos:
                        number_leaf(p)
                else:
                    g = p.grad
                    if g.__class__ is not int or not 0 <= g < len(order) or order[g] is not p:
                        visit(p)
            for p in a:
                append_par(p.grad if p._a is not None else leaf_pos[p])
            append_nargs(len(a))
        else:  # written out for one and two inputs: the commonest nodes by far
            if a._a is None:
                pos_a = leaf_pos.get(a)
                if pos_a is None:
                    pos_a = number_leaf(a)
            else:
                g = a.grad
                if g.__class__ is not int or not 0 <= g < len(order) or order[g] is not a:
                    visit(a)
                pos_a = a.grad
            if b is None:
                append_par(pos_a)
                append_nargs(1)
            else:
                if b._a is None:
                    pos_b = leaf_pos.get(b)
                    if pos_b is None:
                        pos_b = number_leaf(b)
                else:
                    g = b.grad
                    if g.__class__ is not int or not 0 <= g < len(order) or order[g] is not b:
                        visit(b)
                    pos_b = b.grad
                append_par(pos_a)
                append_par(pos_b)
                append_nargs(2)
        g = node.grad
        if g.__class__ is not float or g:
            saved.append((node, g))
        node.grad = len(order)
        append_node(node)
        append_op(node._op)

    try:
        top_pos = []
        for top in tops:
            if top._a is None:
                top_pos.append(leaf_pos[top] if top in leaf_pos else number_leaf(top))
                continue
            g = top.grad
            if g.__class__ is not int or not 0 <= g < len(order) or order[g] is not top:
                visit(top)
            top_pos.append(top.grad)
    finally:
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        for node, g in saved:
            node.grad = g
        # visit refers to itself through its closure: a cycle that would keep the
        # walk's lists, hence the graph, alive until the collector runs.  Break it.
        visit = None  # type: ignore[assignment]
    return ops, nargs, par, leaf_pos, top_pos


def _number_iteratively(tops: list[Value]):
    """Number every node reachable from tops, inputs before outputs (an iterative DFS).

    Returns each node's op, its number of inputs, the inputs' positions (all
    nodes' concatenated), the leaves' positions (a dict in position order) and
    the tops' positions.  While it runs, an inner node's position is kept in
    its own ``grad`` slot (no dict of millions of entries); every grad is put
    back before it returns.  A slot holding an int is only taken for a
    position when ``order`` confirms it, so no user value is mistaken for one.
    """
    order: list[Value] = []  # every node, by position
    ops: list[str] = []
    nargs = array("i")
    par = array("i")
    leaf_pos: dict[Value, int] = {}
    saved: list[tuple[Value, object]] = []  # inner nodes' grads that were not 0.0
    append_node, append_op = order.append, ops.append
    append_nargs, append_par = nargs.append, par.append

    def position(p: Value) -> int:
        return p.grad if p._a is not None else leaf_pos[p]

    def seen(p: Value) -> bool:
        if p._a is None:
            return p in leaf_pos
        g = p.grad
        return g.__class__ is int and 0 <= g < len(order) and order[g] is p

    def emit(node: Value) -> None:
        g = node.grad
        if g.__class__ is not float or g:
            saved.append((node, g))
        node.grad = len(order)
        append_node(node)
        append_op(node._op)
        a, b = node._a, node._b
        if b is _MANY:
            for p in a:
                append_par(p.grad if p._a is not None else leaf_pos[p])
            append_nargs(len(a))
        elif b is None:
            append_par(a.grad if a._a is not None else leaf_pos[a])
            append_nargs(1)
        else:
            append_par(a.grad if a._a is not None else leaf_pos[a])
            append_par(b.grad if b._a is not None else leaf_pos[b])
            append_nargs(2)

    def emit_leaf(p: Value) -> None:
        leaf_pos[p] = len(order)
        append_node(p)
        append_op("")
        append_nargs(0)

    try:
        for top in tops:
            if seen(top):
                continue
            if top._a is None:
                emit_leaf(top)
                continue
            stack = [top]
            push, pop = stack.append, stack.pop
            many: list[tuple[Value, Iterator[Value]]] = []  # n-ary nodes: parents left
            while stack:
                node = stack[-1]
                b = node._b
                if b is _MANY:
                    if not many or many[-1][0] is not node:
                        many.append((node, iter(node._a)))
                    for p in many[-1][1]:
                        if p._a is None:
                            if p not in leaf_pos:
                                emit_leaf(p)
                        elif not seen(p):
                            push(p)
                            break
                    else:
                        many.pop()
                        emit(pop())
                    continue
                a = node._a
                if a._a is None:
                    if a not in leaf_pos:
                        emit_leaf(a)
                elif not seen(a):
                    push(a)
                    continue
                if b is not None:
                    if b._a is None:
                        if b not in leaf_pos:
                            emit_leaf(b)
                    elif not seen(b):
                        push(b)
                        continue
                emit(pop())
        top_pos = [position(t) for t in tops]
    finally:
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        for node, g in saved:
            node.grad = g
    return ops, nargs, par, leaf_pos, top_pos


_ADD, _SUB, _NEG, _MUL = 1, 2, 3, 4
_KIND = {"add": _ADD, "sub": _SUB, "neg": _NEG, "mul": _MUL}


def _fuse_linear(ops: list[str], nargs, par, par_off, uses):
    """The linear nodes that stay nodes, and their terms; the others are spliced in.

    A linear node used once, by a sum-like node (``+``, ``sum``, the left side
    of ``-``), becomes part of its consumer: ``(a*b + c) + d`` is one node with
    terms ``a*b, c*1, d*1``.  All in NumPy: each spliced node points to its
    consumer, pointer jumping finds the node it ends up in, and one sort puts
    every term in its place.
    Returns (linear, spliced: bools per node, term_a, term_b, term_off).
    """
    n = len(ops)
    names = sorted(set(ops))
    fusion = linear_ops()
    kind_of_name = np.array([_KIND.get(fusion.get(name, ""), 0) for name in names], np.int8)
    code = {name: i for i, name in enumerate(names)}
    kind = kind_of_name[np.fromiter(map(code.__getitem__, ops), np.int16, n)] if n else (
        np.zeros(0, np.int8))  # fmt: skip
    consumer = np.repeat(np.arange(n, dtype=np.int64), nargs)  # per edge
    arg = np.arange(len(par), dtype=np.int64) - par_off[consumer]  # the input's index
    ck, pk = kind[consumer], kind[par]
    splice = (pk > 0) & (uses[par] == 1) & ((ck == _ADD) | ((ck == _SUB) & (arg == 0)))
    top = np.arange(n, dtype=np.int64)
    top[par[splice]] = consumer[splice]
    while True:  # pointer jumping: every spliced node to the node it ends up in
        jumped = top[top]
        if np.array_equal(jumped, top):
            break
        top = jumped
    linear = (kind > 0) & (top == np.arange(n))
    spliced = (kind > 0) & ~linear
    # The terms: one per product (a * b) or negation (a * -1), one per input of a
    # sum that is not spliced in (p * 1, or p * -1 on the right of a minus).  Within
    # a node they are sorted by the input (edge) they come from: a spliced node's
    # terms come before those of its consumer's own inputs (spliced nodes are
    # numbered before their consumer), the same order for every copy of a
    # subexpression, which is what lets a layer's nodes line up as a matrix.
    prod = np.flatnonzero((kind == _MUL) | (kind == _NEG))
    first = par_off[prod]
    p_a = par[first].astype(np.int64)
    second = par[np.minimum(first + 1, max(len(par) - 1, 0))] if len(par) else first
    p_b = np.where(kind[prod] == _MUL, second, MINUS_ONE)
    edge = np.flatnonzero(((ck == _ADD) | (ck == _SUB)) & ~splice)
    e_a = par[edge].astype(np.int64)
    e_b = np.where((ck[edge] == _SUB) & (arg[edge] == 1), MINUS_ONE, ONE)
    t_top = np.concatenate([top[consumer[edge]], top[prod]])
    t_key = np.concatenate([edge, first])
    t_a = np.concatenate([e_a, p_a])
    t_b = np.concatenate([e_b, p_b.astype(np.int64)])
    order = np.argsort(t_top * (len(par) + 1) + t_key, kind="stable")
    term_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(t_top, minlength=n), out=term_off[1:])
    return linear, spliced, t_a[order], t_b[order], term_off


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
