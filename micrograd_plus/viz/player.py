"""The backprop player: step through forward and backward on a picture of the graph.

``Player`` turns a :class:`~micrograd_plus.viz.steps.BackwardExplainer` into one
self-contained piece of HTML: the graph drawn once by Graphviz (SVG), the list
of frames as JSON and a small script (``assets/player.js``) that fills values
and gradients in, highlights the node and edge of each step and shows its
rule with the numbers.  No network, no widgets, no Python needed to view it:
the same HTML shows inline in Jupyter, VS Code and Colab, and saved to a file
it opens in any browser.

Frames: ``start`` (only the inputs known), one ``forward`` frame per
operation in topological order, ``seed`` (the output's gradient set to 1),
then one ``backward`` frame per explainer step, numbered as the explainer
numbers them (backward step k is ``ex.step(k)``, row k of ``ex.table()``,
``ex.draw(k)``).  In quiz mode the learner must type each step's
contribution before it is revealed.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from typing import TYPE_CHECKING, Any

from ..engine import Value
from ._files import asset, write_atomically
from .graph import build_graph
from .rules import format_number, forward_line

if TYPE_CHECKING:
    from .steps import BackwardExplainer

_COUNTER = itertools.count(1)


class Player:
    """The explainer as an interactive page; shows itself in notebooks, or ``save(path)``.

    ``forward``: play the forward pass first (values filling in).  ``quiz``:
    open in quiz mode (a guess per backward step, checked within
    ``tolerance``: ``|guess - answer| <= tolerance * max(1, |answer|)``).
    ``rankdir``: ``"LR"`` (left to right) or ``"TB"`` (top to bottom, for
    wide graphs).  ``max_nodes`` is passed to the drawing.
    """

    explainer: BackwardExplainer
    forward: bool
    quiz: bool
    rankdir: str
    tolerance: float
    title: str
    max_nodes: int

    def __init__(
        self,
        explainer: BackwardExplainer,  # steps.py builds players (imported here for types only)
        *,
        forward: bool = True,
        quiz: bool = False,
        rankdir: str = "LR",
        tolerance: float = 0.01,
        title: str | None = None,
        max_nodes: int = 500,
    ) -> None:
        if not hasattr(explainer, "steps") or not hasattr(explainer, "nodes"):
            raise TypeError(
                f"Player expects an explainer: explain_backward(root).player(), "
                f"got {type(explainer).__name__}"
            )
        if not (isinstance(tolerance, (int, float)) and 0 <= tolerance < 1):
            raise ValueError(f"tolerance must be a number in [0, 1), got {tolerance!r}")
        self.explainer = explainer
        self.forward = bool(forward)
        self.quiz = bool(quiz)
        self.rankdir = rankdir
        self.tolerance = float(tolerance)
        self.title = title or f"Backpropagation through {explainer._names[id(explainer.root)]}"
        self.max_nodes = max_nodes
        self._prefix = f"mgp{next(_COUNTER)}_"
        self._svg: str | None = None

    # --- what the page shows -------------------------------------------------------------

    def frames(self) -> list[dict[str, Any]]:
        """Every frame as a dict (what the script plays); see the module docstring."""
        ex = self.explainer
        index = {id(v): i for i, v in enumerate(ex.nodes)}
        ops = [v for v in ex.nodes if v._prev]
        frames: list[dict[str, Any]] = []
        if self.forward:
            inputs = ", ".join(ex._names[id(v)] for v in ex.nodes if not v._prev)
            frames.append(
                {
                    "kind": "start",
                    "title": "start",
                    "line": f"The inputs are known: {inputs}. Step forward to compute the rest.",
                }
            )
            for k, v in enumerate(ops, 1):
                frames.append(
                    {
                        "kind": "forward",
                        "title": f"forward {k} of {len(ops)}",
                        "line": forward_line(v, ex._names),
                        "node": index[id(v)],
                        "edges": [self._edge_id(v, i) for i in range(len(v._prev))]
                        + [self._node_id(v) + "_out"],
                        "op": self._node_id(v) + "_op",
                    }
                )
        root = ex.root
        name = ex._names[id(root)]
        frames.append(
            {
                "kind": "seed",
                "title": f"backward: seed (then {len(ex)} steps)",
                "line": f"∂{name}/∂{name} = 1: backward starts at the output; "
                f"every other gradient starts at 0.",
                "node": index[id(root)],
            }
        )
        for step in ex:
            node = step.node
            frames.append(
                {
                    "kind": "backward",
                    "step": step.number,
                    "title": f"backward step {step.number} of {len(ex)}",
                    "line": step.line(),
                    "question": f"∂{step.root_name}/∂{step.parent_name} += ?",
                    "hint": f"upstream ∂{step.root_name}/∂{step.node_name} = "
                    f"{format_number(step.upstream)}; local rule of {node._op}: "
                    f"∂{step.node_name}/∂{step.parent_name} = {step.rule()}",
                    "answer": step.contribution,
                    "node": index[id(node)],
                    "parent": index[id(step.parent)],
                    "grad": _four(step.parent_grad),
                    "done": step.parent_done,
                    "edges": [self._edge_id(node, step.parent_index)],
                    "op": self._node_id(node) + "_op",
                }
            )
        return frames

    def data(self) -> dict[str, Any]:
        """Everything the page's script needs (title, options, nodes, frames), JSON-ready."""
        ex = self.explainer
        return {
            "title": self.title,
            "forward": self.forward,
            "quiz": self.quiz,
            "tolerance": self.tolerance,
            "nodes": [
                {
                    "id": self._node_id(v),
                    "name": ex._names[id(v)],
                    "data": _four(v.data),
                    "leaf": not v._prev,
                    "root": v is ex.root,
                }
                for v in ex.nodes
            ],  # fmt: skip
            "frames": self.frames(),
        }

    def svg(self) -> str:
        """The graph with its final values, drawn once; the script edits its texts."""
        if self._svg is None:
            ex = self.explainer
            final = ex.grads_after(len(ex))
            graph = build_graph(
                ex.root,
                rankdir=self.rankdir,
                max_nodes=self.max_nodes,
                grad_of=lambda v: final.get(id(v), 0.0),
                label_of=ex._label_in_drawing,
                element_ids=self._prefix,
                compact=True,
            )
            svg = graph.pipe(format="svg").decode("utf-8")
            svg = svg[svg.index("<svg") :]
            svg = svg.replace('id="graph0"', f'id="{self._prefix}graph"')  # unique per page
            self._svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
        return self._svg

    def _node_id(self, v: Value) -> str:
        return f"{self._prefix}n{self.explainer._position[id(v)]}"

    def _edge_id(self, v: Value, i: int) -> str:
        return f"{self._prefix}e{self.explainer._position[id(v)]}_{i}"

    # --- HTML ----------------------------------------------------------------------------

    def fragment(self) -> str:
        """The player as a piece of HTML (a div with its style and script)."""
        payload = json.dumps(self.data(), ensure_ascii=False).replace("</", "<\\/")
        root_id = self._prefix + "player"
        return (
            f'<div class="mgp-player" id="{root_id}" tabindex="0">\n'
            f"<style>{asset('player.css')}</style>\n"
            f"{asset('player.html')}\n"
            f'<div class="mgp-graph">{self.svg()}</div>\n'
            f'<script type="application/json" class="mgp-data">{payload}</script>\n'
            f"<script>{asset('player.js')}\n"
            f'mgpPlayer(document.getElementById("{root_id}"));</script>\n'
            f"</div>"
        )

    def _repr_html_(self) -> str:
        return self.fragment()

    def to_html(self) -> str:
        """A whole page: open it in any browser, no network needed."""
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<style>body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
            "margin:16px;color:#222}</style></head><body>\n"
            f"<h2>{html.escape(self.title)}</h2>\n{self.fragment()}\n"
            "<p class='mgp-help'>Keys: → step, ← back, space play/pause, Home/End first/last.</p>"
            "\n<script>document.querySelector('.mgp-player').focus();</script>\n</body></html>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write :meth:`to_html` to ``path`` (atomically); returns the path."""
        write_atomically(path, self.to_html())
        return os.fspath(path)


def _four(x: float) -> str:
    return f"{float(x):.4f}"
