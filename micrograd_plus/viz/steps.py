"""Backpropagation one chain-rule step at a time, for reading and teaching.

``backward()`` visits the graph outputs-first and, for every operand of every
node, adds ``upstream gradient × local derivative`` into the operand's
gradient.  ``backward_steps`` replays exactly that loop — same order, same
rules applied by ``engine.local_vjp``, same additions — and yields one ``Step`` per
addition, without touching any ``.grad`` of the graph.

Steps are numbered from 1 everywhere: ``print(ex)``, ``ex.table()``,
``ex.step(k)``, ``ex.draw(k)`` (the graph after step k; ``draw(0)`` is the
graph before the first step) and the player.  Each step reads as the line a
teacher writes on the board, built from the op's printable rule in ``ops.py``
(so a new op shows its rule with no extra work)::

    ∂o/∂n += ∂o/∂o · (1 − o²) = 1.0 · (1 − 0.7071²) = 0.5
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine import Value, local_vjp, topological_order
from ..ops import PRIMITIVES
from .graph import Graph, build_graph, parameter_names
from .rules import (
    bracket,
    format_number,
    input_names,
    number_text,
    operand_text,
    partial_text,
    render_rule,
)

if TYPE_CHECKING:
    from ..module import Module
    from .player import Player


@dataclass(frozen=True)
class Step:
    """One addition of the backward pass: ``parent.grad += upstream · local``."""

    number: int  # position in the backward pass, from 1 (as printed, tabled and drawn)
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
    operand_names: tuple[str, ...] = ()  # the names of all of node's operands, in order

    def __str__(self) -> str:
        return self.line()

    def rule(self) -> str:
        """The local derivative ∂node/∂parent in the graph's names, e.g. ``1 − o²``."""
        names = {"out": operand_text(self.node_name)}
        names.update(
            input_names(self.node, [operand_text(n) for n in self.operand_names], self.parent_index)
        )
        return render_rule(self._local_text(), names)

    def line(self) -> str:
        """The chain-rule line with the rule and the numbers, as written on the board."""
        numbers = {"out": number_text(self.node.data)}
        values = [number_text(p.data) for p in self.node._prev]
        numbers.update(input_names(self.node, values, self.parent_index))
        L, n, p = self.root_name, partial_text(self.node_name), partial_text(self.parent_name)
        local_symbols = bracket(self.rule())
        local_numbers = bracket(render_rule(self._local_text(), numbers))
        return (
            f"∂{L}/∂{p} += ∂{L}/∂{n} · {local_symbols} = "
            f"{format_number(self.upstream)} · {local_numbers} = {format_number(self.contribution)}"
        )

    def _local_text(self) -> str:
        local = PRIMITIVES[self.node._op].local_grads
        # one text per input; a variadic op has one for all (after its leading constants)
        return local[min(self.parent_index, len(local) - 1)]


def backward_steps(root: Value, model: Module | None = None) -> Iterator[Step]:
    """Yield each chain-rule step of ``root.backward()``, in the order backward applies them.

    Constant operands (the exponent of ``a ** 2``, a leaky ReLU's slope) get
    no gradient and no step.  Graph ``.grad`` values are left untouched.
    ``model``: unlabeled parameters are named by ``model.named_parameters()``.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps expects a Value, got {type(root).__name__}")
    topo = topological_order(root)
    names = _names(topo, root, model)
    pending = _consumer_counts(topo)
    grads: dict[int, float] = {id(root): 1.0}
    number = 1
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
                number=number,
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
                operand_names=tuple(names[id(p)] for p in node._prev),
            )
            number += 1


def _apply_rule(node: Value, upstream: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The local derivatives (rule at g=1) and the contributions (rule at g=upstream).

    Both come from ``engine.local_vjp``, the one function every backward pass
    applies rules with: the contributions are computed exactly as backward()
    does (their sums match it to the last bit) and a failing rule raises the
    same error, naming the op; rules are linear in g, so local · upstream
    equals the contribution up to rounding.
    """
    return local_vjp(node, 1.0), local_vjp(node, upstream)


def _consumer_counts(topo: list[Value]) -> dict[int, int]:
    """How many gradient contributions each node will receive."""
    counts = {id(n): 0 for n in topo}
    for node in topo:
        const = PRIMITIVES[node._op].const_inputs if node._prev else ()
        for i, parent in enumerate(node._prev):
            if i not in const:
                counts[id(parent)] += 1
    return counts


def _names(topo: list[Value], root: Value, model: Module | None = None) -> dict[int, str]:
    """Labels where set; then a model's parameter names; numbers for the other unlabeled
    leaves (constants); v1, v2 ... otherwise.  An unlabeled root is called L, as the loss
    usually is.
    """
    names: dict[int, str] = {id(root): root.label or "L"}
    parameters = parameter_names(model)
    counter = 0
    for node in topo:
        if node is root:
            continue
        if node.label:
            names[id(node)] = node.label
        elif id(node) in parameters:
            names[id(node)] = parameters[id(node)]
        elif not node._prev:
            names[id(node)] = f"({format_number(node.data)})"
        else:
            counter += 1
            names[id(node)] = f"v{counter}"
    return names


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


class StepTable(list[dict[str, Any]]):
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


def _cell(value: object) -> str:
    return format_number(value) if isinstance(value, float) else str(value)


def _join(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()


class BackwardExplainer:
    """All steps of ``root.backward()``, as sentences, a table, a graph at any step, a player.

    Steps are numbered from 1: ``ex.step(k)``, row k of ``ex.table()``,
    ``ex.draw(k)`` and the player's "backward step k" are the same step
    (``ex[i]`` is plain list indexing, so ``ex[0]`` is step 1).
    """

    root: Value
    model: Module | None

    def __init__(self, root: Value, model: Module | None = None) -> None:
        self.root = root
        self.model = model
        self.steps: list[Step] = list(backward_steps(root, model))
        self.nodes: list[Value] = topological_order(root)  # forward order, inputs first
        self._position = {id(v): i for i, v in enumerate(self.nodes)}
        self._parameters = parameter_names(model)
        self._names = _names(self.nodes, root, model)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __str__(self) -> str:
        return "\n".join(f"{s.number:>3}. {s}" for s in self.steps)

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()

    def step(self, number: int) -> Step:
        """Step ``number``, counted from 1 as printed."""
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError(f"step number must be an int, got {type(number).__name__}")
        if not 1 <= number <= len(self.steps):
            raise IndexError(f"step {number} does not exist: the steps are 1..{len(self.steps)}")
        return self.steps[number - 1]

    def table(self) -> StepTable:
        """One row per step: node, op, parent, upstream, local, contribution, running grad."""
        return StepTable(
            {
                "step": s.number,
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

    def grads_after(self, number: int) -> dict[int, float]:
        """Every node's gradient (by ``id``) once steps 1..number have been applied."""
        number = self._checknumber_text(number)
        grads = {id(self.root): 1.0}
        for step in self.steps[:number]:
            grads[id(step.parent)] = step.parent_grad
        return grads

    def draw(self, number: int, **draw_options: Any) -> Graph:
        """The graph after step ``number``: finished gradients green, that step's edge red.

        ``draw(0)`` is the graph before the first step (only the output's
        gradient, 1, is set); ``draw(-1)`` the graph after the last step.
        ``draw_options`` go to ``draw_dot`` (``rankdir``, ``max_nodes`` ...).
        """
        number = self._checknumber_text(number)
        grads = self.grads_after(number)
        done = [self.root] + [s.parent for s in self.steps[:number] if s.parent_done]
        last = self.steps[number - 1] if number else None
        return build_graph(
            self.root,
            highlight=done,
            grad_of=lambda v: grads.get(id(v), 0.0),
            emphasize_edge=None if last is None else (last.node, last.parent_index),
            label_of=self._label_in_drawing,
            **draw_options,
        )

    def player(self, **options: Any) -> Player:
        """The step-through player (shows inline in notebooks); options: see ``Player``."""
        from .player import Player

        return Player(self, **options)

    def quiz(self, **options: Any) -> Player:
        """The player in quiz mode: guess each step's contribution before it is shown."""
        return self.player(quiz=True, **options)

    def save_html(self, path: str | os.PathLike[str], **options: Any) -> str:
        """Write the player (with its quiz) as one self-contained HTML file; returns the path."""
        return self.player(**options).save(path)

    def _label_in_drawing(self, v: Value) -> str:
        """The names the sentences use, except for constants (their data says it all)."""
        if not v._prev and not v.label and id(v) not in self._parameters:
            return ""
        return self._names[id(v)]

    def _checknumber_text(self, number: int) -> int:
        n = len(self.steps)
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError(f"the step number must be an int, got {type(number).__name__}")
        if not -n <= number <= n:
            raise IndexError(
                f"step {number} is out of range: the steps are 1..{n} (0 = before the first, "
                f"-1 = the last)"
            )
        return number if number >= 0 else n + 1 + number


def explain_backward(root: Value, model: Module | None = None) -> BackwardExplainer:
    """The backward pass of ``root`` as chain-rule steps (see ``BackwardExplainer``).

    Pass the ``model`` whose parameters are in the graph to name them by
    ``model.named_parameters()`` (``layers.0.w[1,0]``) instead of by value.
    """
    return BackwardExplainer(root, model)
