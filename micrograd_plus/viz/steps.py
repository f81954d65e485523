"""Backpropagation one chain-rule step at a time, for reading and teaching.

``backward()`` visits the graph outputs-first and, for every operand of every
node, adds ``upstream gradient × local derivative`` into the operand's
gradient.  ``backward_steps`` replays exactly that loop — same order, same
rules from ``ops.VJP``, same additions — and yields one ``Step`` per
addition, without touching any ``.grad`` of the graph.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass

from ..engine import Value, topological_order
from ..ops import MATH, PRIMITIVES, VJP
from .graph import Graph, build_graph


@dataclass(frozen=True)
class Step:
    """One addition of the backward pass: ``parent.grad += upstream · local``."""

    index: int  # position in the backward pass, from 0
    node: Value  # the node whose gradient flows back
    parent: Value  # the operand it flows to
    parent_index: int  # which operand of node (a*a has operands 0 and 1)
    local: float  # ∂node/∂parent: the rule evaluated with upstream gradient 1
    upstream: float  # ∂L/∂node, complete by the time node is visited
    contribution: float  # what backward() adds to parent.grad
    parent_grad: float  # parent's gradient after this step (running total)
    parent_done: bool  # True when this was the last contribution the parent receives
    node_name: str
    parent_name: str
    root_name: str

    def __str__(self) -> str:
        L, n, p = self.root_name, self.node_name, self.parent_name
        return (
            f"∂{L}/∂{p} += ∂{L}/∂{n} · ∂{n}/∂{p} = "
            f"{_short(self.upstream)} · {_short(self.local)} = {_short(self.contribution)}"
        )


def backward_steps(root: Value) -> Iterator[Step]:
    """Yield each chain-rule step of ``root.backward()``, in the order backward applies them.

    Constant operands (the exponent of ``a ** 2``, a leaky ReLU's slope) get
    no gradient and no step.  Graph ``.grad`` values are left untouched.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps expects a Value, got {type(root).__name__}")
    topo = topological_order(root)
    names = _names(topo, root)
    pending = _consumer_counts(topo)
    grads: dict[int, float] = {id(root): 1.0}
    index = 0
    for node in reversed(topo):
        if not node._prev:
            continue
        upstream = grads.get(id(node), 0.0)
        locals_, contributions = _apply_rule(node, upstream)
        const = PRIMITIVES[node._op].const_inputs
        for i, parent in enumerate(node._prev):
            if i in const:
                continue
            total = grads.get(id(parent), 0.0) + contributions[i]
            grads[id(parent)] = total
            pending[id(parent)] -= 1
            yield Step(
                index=index,
                node=node,
                parent=parent,
                parent_index=i,
                local=float(locals_[i]),
                upstream=upstream,
                contribution=float(contributions[i]),
                parent_grad=total,
                parent_done=pending[id(parent)] == 0,
                node_name=names[id(node)],
                parent_name=names[id(parent)],
                root_name=names[id(root)],
            )
            index += 1


def _apply_rule(node: Value, upstream: float) -> tuple[tuple, tuple]:
    """The local derivatives (rule at g=1) and the contributions (rule at g=upstream).

    The contributions are computed exactly as backward() does, so their sums
    match it to the last bit; rules are linear in g, so local · upstream
    equals the contribution up to rounding.
    """
    rule = VJP[node._op]
    args = [p.data for p in node._prev]
    try:
        return rule(1.0, node.data, *args, MATH), rule(upstream, node.data, *args, MATH)
    except ZeroDivisionError:
        raise ZeroDivisionError(
            f"the gradient of '{node._op}' is infinite at its inputs {args}"
        ) from None


def _consumer_counts(topo: list[Value]) -> dict[int, int]:
    """How many gradient contributions each node will receive."""
    counts = {id(n): 0 for n in topo}
    for node in topo:
        const = PRIMITIVES[node._op].const_inputs if node._prev else ()
        for i, parent in enumerate(node._prev):
            if i not in const:
                counts[id(parent)] += 1
    return counts


def _names(topo: list[Value], root: Value) -> dict[int, str]:
    """Labels where set; numbers for unlabeled leaves (constants); v1, v2 ... otherwise.

    An unlabeled root is called L, as the loss usually is.
    """
    names: dict[int, str] = {id(root): root.label or "L"}
    counter = 0
    for node in topo:
        if node is root:
            continue
        if node.label:
            names[id(node)] = node.label
        elif not node._prev:
            names[id(node)] = f"({_short(node.data)})"
        else:
            counter += 1
            names[id(node)] = f"v{counter}"
    return names


def _short(x: float) -> str:
    """4 significant digits, keeping a float look: 0.5, -3.0, 0.7071, 1e-05."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return repr(x)
    return repr(float(f"{x:.4g}"))


# --- the explainer object -------------------------------------------------------------

_COLUMNS = (
    ("step", "step"),
    ("node", "node"),
    ("op", "op"),
    ("parent", "parent"),
    ("upstream", "∂L/∂node"),
    ("local", "∂node/∂parent"),
    ("contribution", "contribution"),
    ("parent_grad", "parent grad so far"),
)


class StepTable(list):
    """The steps as rows (dicts); prints as a text table, shows as HTML in notebooks."""

    def __str__(self) -> str:
        header = [title for _, title in _COLUMNS]
        cells = [[_cell(row[key]) for key, _ in _COLUMNS] for row in self]
        widths = [max(len(c) for c in column) for column in zip(header, *cells)]
        lines = [_join(header, widths), _join(["-" * w for w in widths], widths)]
        lines += [_join(row, widths) for row in cells]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(title)}</th>" for _, title in _COLUMNS)
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html.escape(_cell(row[k]))}</td>" for k, _ in _COLUMNS)
            + "</tr>"
            for row in self
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value) -> str:
    return _short(value) if isinstance(value, float) else str(value)


def _join(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()


class BackwardExplainer:
    """All steps of ``root.backward()``, as sentences, a table, or a graph at any step."""

    def __init__(self, root: Value) -> None:
        self.root = root
        self.steps: list[Step] = list(backward_steps(root))
        self._names = _names(topological_order(root), root)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __str__(self) -> str:
        return "\n".join(f"{s.index + 1:>3}. {s}" for s in self.steps)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def table(self) -> StepTable:
        """One row per step: node, op, parent, upstream, local, contribution, running grad."""
        return StepTable(
            {
                "step": s.index + 1,
                "node": s.node_name,
                "op": s.node._op,
                "parent": s.parent_name,
                "upstream": s.upstream,
                "local": s.local,
                "contribution": s.contribution,
                "parent_grad": s.parent_grad,
            }
            for s in self.steps
        )

    def grads_after(self, step_index: int) -> dict[int, float]:
        """Every node's gradient (by ``id``) once steps 0..step_index have been applied."""
        grads = {id(self.root): 1.0}
        for step in self.steps[: step_index + 1]:
            grads[id(step.parent)] = step.parent_grad
        return grads

    def draw(self, step_index: int, **draw_options) -> Graph:
        """The graph after ``step_index``: finished gradients green, the current edge red.

        Gradients shown are those part-way through backward; ``draw_options``
        go to ``draw_dot`` (``rankdir``, ``max_nodes`` ...).
        """
        step = self.steps[self._check_index(step_index)]
        grads = self.grads_after(step.index)
        done = [self.root] + [s.parent for s in self.steps[: step.index + 1] if s.parent_done]
        return build_graph(
            self.root,
            highlight=done,
            grad_of=lambda v: grads.get(id(v), 0.0),
            emphasize_edge=(step.node, step.parent_index),
            label_of=self._label_in_drawing,
            **draw_options,
        )

    def _label_in_drawing(self, v: Value) -> str:
        """The names the sentences use, except for constants (their data says it all)."""
        return v.label or ("" if not v._prev else self._names[id(v)])

    def _check_index(self, step_index: int) -> int:
        n = len(self.steps)
        if isinstance(step_index, bool) or not isinstance(step_index, int):
            raise TypeError(f"step_index must be an int, got {type(step_index).__name__}")
        if not -n <= step_index < n:
            raise IndexError(f"step_index {step_index} is out of range: there are {n} steps")
        return step_index % n


def explain_backward(root: Value) -> BackwardExplainer:
    """The backward pass of ``root`` as a list of chain-rule steps (see ``BackwardExplainer``)."""
    return BackwardExplainer(root)
