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
from dataclasses import dataclass, field

from ..engine import Value, topological_order
from ..ops import PRIMITIVES


def linear_ops() -> dict[str, str]:
    """Op name -> how it fuses ("add", "sub", "neg", "mul"), read off the table."""
    return {name: p.linear for name, p in PRIMITIVES.items() if p.linear}


ONE, MINUS_ONE = -1, -2  # positions standing for the constants 1.0 and -1.0


@dataclass
class Graph:
    """A traced graph as integers: node i is ``ops[i]`` of ``parents[i]`` (positions).

    ``terms[i]`` lists the (a, b) position pairs of a linear node; ``inputs``
    maps a leaf position to its index among the flattened arguments.
    """

    ops: list[str]  # the table op of each node ("" for a leaf)
    parents: list[tuple[int, ...]]  # the positions of each node's inputs
    terms: dict[int, list[tuple[int, int]]]  # linear node -> its (a, b) products
    inputs: dict[int, int]  # leaf position -> index among the flattened arguments
    roots: list[int]  # the function's results (and aux), in order
    pinned: list[int]  # nodes a guard compares, kept as nodes of their own
    leaves: list[int] = field(default_factory=list)  # the constant leaves (not inputs)


def describe(
    roots: list[Value], pinned: list[Value], inputs: list[Value]
) -> tuple[Graph, list[Value]]:
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
    fusion = linear_ops()

    def expand(p: int):
        if ops[p] in fusion and uses[p] == 1:
            return parts.pop(p)
        return (p, ONE)

    for i, op in enumerate(ops):
        kind = fusion.get(op)
        if kind is None:
            continue
        ps = parents[i]
        if kind == "mul":
            parts[i] = [(ps[0], ps[1])]
        elif kind == "neg":
            parts[i] = [(ps[0], MINUS_ONE)]
        elif kind == "sub":
            parts[i] = [expand(ps[0]), (ps[1], MINUS_ONE)]
        else:  # "add"
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
