"""Drawing computation graphs and model architectures with Graphviz.

``draw_dot`` follows micrograd's lecture: one record per Value showing its
label, data and grad, and one small node per operation.  Graphs are walked
iteratively (never recursively) and counted before anything is built, so a
huge graph is refused at once instead of hanging ``dot``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import graphviz

from ..engine import Value, topological_order
from ..ops import PRIMITIVES

INSTALL_HINT = (
    "Graphviz's `dot` program was not found, so the graph cannot be rendered "
    "(building it and reading `.source` still work). Install Graphviz: "
    "Debian/Ubuntu `sudo apt-get install graphviz`, macOS `brew install graphviz`, "
    "conda `conda install -c conda-forge graphviz`."
)

RANKDIRS = ("LR", "TB", "RL", "BT")

#: How each primitive's op node is labelled (from the table: ``Primitive.graph_label``).
OP_SYMBOLS: dict[str, str] = {name: prim.graph_label for name, prim in PRIMITIVES.items()}

# Colours: pale green for highlighted nodes, a white-to-orange ramp for |grad|.
_HIGHLIGHT_FILL = "#b7e4c7"
_HIGHLIGHT_BORDER = "#1b7f3b"
_EMPHASIS_COLOR = "#d62728"
_CONSTANT_COLOR = "#6b6b6b"


class GraphvizNotInstalledError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's `dot` program; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_HINT)

    def __str__(self) -> str:
        return INSTALL_HINT


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering errors explain how to install Graphviz."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """``graphviz.Digraph.pipe`` (the rendered bytes or text), with the install hint."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as missing:
            raise GraphvizNotInstalledError() from missing

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """``graphviz.Digraph.render`` (the path written), with the install hint."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as missing:
            raise GraphvizNotInstalledError() from missing


def render(graph: graphviz.Digraph, path: str, format: str | None = None) -> str:
    """Write ``graph`` to ``path`` (extension chosen by ``format``); returns the file written.

    ``path`` is the file name without extension, as in ``graphviz``'s own
    ``render``; the intermediate DOT source file is removed.
    """
    try:
        written: str = graph.render(path, format=format, cleanup=True)
        return written
    except graphviz.ExecutableNotFound as missing:
        if isinstance(missing, GraphvizNotInstalledError):
            raise
        raise GraphvizNotInstalledError() from missing


# --- draw_dot --------------------------------------------------------------------------


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    show_grad: bool = True,
    show_op_nodes: bool = True,
    max_nodes: int = 500,
    highlight: Iterable[Value] | None = None,
    color_by_grad: bool = False,
    model: Any = None,
    compact: bool = False,
) -> Graph:
    """The computation graph that produced ``root``, as a ``graphviz.Digraph``.

    Each Value is a record ``label | data | grad`` (4 decimals); each operation
    is a small node (``+``, ``*``, ``tanh``, ``Σ`` ...) with its inputs' edges
    in operand order.  Nodes in ``highlight`` are filled green;
    ``color_by_grad`` fills nodes by ``|grad|`` (darker is larger).  A graph
    with more than ``max_nodes`` Values raises ``ValueError`` before drawing.
    ``rankdir="TB"`` draws top to bottom (narrow enough for wide graphs).
    ``model``: unlabeled parameters are labelled by ``model.named_parameters()``.
    ``compact=True`` stacks label, data and grad in each box and packs the
    ranks closer: about half as wide, for slides and narrow notebooks.
    """
    label_of = None
    if model is not None:
        names = parameter_names(model)
        label_of = lambda v: v.label or names.get(id(v), "")
    return build_graph(
        root,
        format=format,
        rankdir=rankdir,
        show_grad=show_grad,
        show_op_nodes=show_op_nodes,
        max_nodes=max_nodes,
        highlight=highlight,
        color_by_grad=color_by_grad,
        label_of=label_of,
        compact=compact,
    )


def parameter_names(model: Any) -> dict[int, str]:
    """``id(parameter) -> name`` from ``model.named_parameters()`` (empty for None)."""
    if model is None:
        return {}
    named = getattr(model, "named_parameters", None)
    if named is None:
        raise TypeError(
            f"model must have named_parameters() (a Module), got {type(model).__name__}"
        )
    return {id(p): name for name, p in named()}


def build_graph(
    root: Value,
    *,
    format: str = "svg",
    rankdir: str = "LR",
    show_grad: bool = True,
    show_op_nodes: bool = True,
    max_nodes: int = 500,
    highlight: Iterable[Value] | None = None,
    color_by_grad: bool = False,
    grad_of: Callable[[Value], float] | None = None,
    emphasize_edge: tuple[Value, int] | None = None,
    label_of: Callable[[Value], str] | None = None,
    element_ids: str | None = None,
    compact: bool = False,
) -> Graph:
    """``draw_dot`` with the extras used by the backward explainer and the player.

    ``grad_of`` replaces reading ``node.grad`` (to show gradients part-way
    through backward); ``emphasize_edge=(node, i)`` draws the edge from
    ``node._prev[i]`` into ``node`` in bold red; ``label_of`` replaces
    reading ``node.label``; ``element_ids="p_"`` gives every SVG element an
    id the player's script finds (``p_n3``, ``p_n3_op``, ``p_n3_out``, and
    ``p_e3_0`` for the edge of operand 0 into node 3).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot expects a Value as root, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    _check_max_nodes(max_nodes)
    if _count_nodes(root, stop_after=max_nodes + 1) > max_nodes:  # refused at once
        raise ValueError(
            f"draw_dot: the graph has more than max_nodes={max_nodes} nodes; "
            f"pass a larger max_nodes= to draw it anyway (dot gets slow beyond a few thousand)"
        )
    nodes = topological_order(root)  # iterative: safe for very deep graphs
    grad_of = grad_of or (lambda v: v.grad)
    label_of = label_of or (lambda v: v.label)
    highlighted = _highlighted_ids(highlight)
    ids = {id(node): f"n{i}" for i, node in enumerate(nodes)}
    constants = _constant_inputs(nodes)
    max_abs_grad = max((abs(float(grad_of(n))) for n in nodes), default=0.0)

    graph_attr = {"rankdir": rankdir}
    if compact:
        graph_attr.update(ranksep="0.3", nodesep="0.15")
    # A record's fields run across the rank direction inside braces: stacked boxes
    # (label over data over grad) need braces top-to-bottom and none left-to-right.
    stacked = compact or rankdir in ("TB", "BT")
    braces = stacked == (rankdir in ("TB", "BT"))
    graph = Graph(format=format, graph_attr=graph_attr, node_attr={"fontsize": "11"})
    for node in nodes:
        nid = ids[id(node)]
        id_attr = {} if element_ids is None else {"id": element_ids + nid}
        if id(node) in constants:
            graph.node(
                nid, label=_number(node.data), shape="plain", fontcolor=_CONSTANT_COLOR, **id_attr
            )
            continue
        style = _value_style(node, highlighted, color_by_grad, float(grad_of(node)), max_abs_grad)
        graph.node(
            nid,
            label=_record_label(label_of(node), node.data, grad_of(node), show_grad, braces),
            shape="record",
            **style,
            **id_attr,
        )
        if node._prev:
            _add_op(graph, node, nid, ids, show_op_nodes, emphasize_edge, element_ids)
    return graph


def _highlighted_ids(highlight: Value | Iterable[Value] | None) -> set[int]:
    """ids of the nodes to fill green; ``highlight`` is a Value or a collection of Values."""
    if highlight is None:
        return set()
    if isinstance(highlight, Value):
        return {id(highlight)}
    nodes = list(highlight) if isinstance(highlight, Iterable) else [highlight]
    for node in nodes:
        if not isinstance(node, Value):
            raise TypeError(f"highlight must hold Values, got {type(node).__name__} {node!r}")
    return {id(node) for node in nodes}


def _count_nodes(root: Value, stop_after: int) -> int:
    """How many nodes are reachable from ``root``, counting no further than ``stop_after``:
    refusing a graph of a million nodes costs a walk over ``max_nodes + 1`` of them."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in stack.pop()._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                if len(seen) >= stop_after:
                    return len(seen)
                stack.append(parent)
    return len(seen)


def _check_max_nodes(max_nodes: int) -> None:
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive integer, got {max_nodes!r}")


def _constant_inputs(nodes: list[Value]) -> set[int]:
    """ids of leaves that only ever appear as constant operands (the 2 of ``a**2``)."""
    as_constant: set[int] = set()
    as_operand: set[int] = set()
    for node in nodes:
        const = PRIMITIVES[node._op].const_inputs if node._prev else ()
        for i, parent in enumerate(node._prev):
            (as_constant if i in const else as_operand).add(id(parent))
    return as_constant - as_operand


def _add_op(
    graph: Graph,
    node: Value,
    nid: str,
    ids: dict[int, str],
    show_op_nodes: bool,
    emphasize: tuple[Value, int] | None,
    element_ids: str | None = None,
) -> None:
    """The op node of ``node`` and one edge per operand, in operand order."""
    prim = PRIMITIVES.get(node._op)  # None for a micrograd-style node with its own op name
    symbol = prim.graph_label if prim is not None else node._op
    names = prim.operand_names if prim is not None else ()
    target = nid
    prefix = element_ids
    if show_op_nodes:
        target = nid + "_op"
        op_id = {} if prefix is None else {"id": f"{prefix}{nid}_op"}
        graph.node(target, label=symbol, shape="ellipse", fontsize="12", **op_id)
        graph.edge(target, nid, **({} if prefix is None else {"id": f"{prefix}{nid}_out"}))
    for i, parent in enumerate(node._prev):
        attrs: dict[str, str] = {}
        if prefix is not None:
            attrs["id"] = f"{prefix}e{nid[1:]}_{i}"
        if names:
            attrs["label"] = names[i] if show_op_nodes else f"{symbol} ({names[i]})"
        elif not show_op_nodes:
            attrs["label"] = symbol
        if "label" in attrs:
            attrs["fontsize"] = "9"
        if emphasize is not None and emphasize[0] is node and emphasize[1] == i:
            attrs.update(color=_EMPHASIS_COLOR, penwidth="3")
        graph.edge(ids[id(parent)], target, **attrs)


def _record_label(
    label: str, data: float, grad: float, show_grad: bool, braces: bool = True
) -> str:
    fields = [_escape(label)] if label else []
    fields.append(f"data {_four(data)}")
    if show_grad:
        fields.append(f"grad {_four(float(grad))}")
    text = " | ".join(fields)
    return "{ " + text + " }" if braces else text


def _value_style(
    node: Value, highlighted: set[int], color_by_grad: bool, grad: float, max_abs_grad: float
) -> dict[str, str]:
    if id(node) in highlighted:
        return {"style": "filled", "fillcolor": _HIGHLIGHT_FILL, "color": _HIGHLIGHT_BORDER}
    if color_by_grad and max_abs_grad > 0.0 and grad == grad:
        return {"style": "filled", "fillcolor": _orange(abs(grad) / max_abs_grad)}
    return {}


def _orange(t: float) -> str:
    """White (t=0) to orange (t=1): a light ramp so the text stays readable."""
    t = min(max(t, 0.0), 1.0)
    r, g, b = (255, round(255 - t * (255 - 140)), round(255 - t * (255 - 40)))
    return f"#{r:02x}{g:02x}{b:02x}"


def _four(x: float) -> str:
    """Four decimals, as micrograd's lecture shows; a rounded 0 is 0.0000, never -0.0000."""
    return f"{x:.4f}" if round(x, 4) != 0 else "0.0000"


def _number(x: float) -> str:
    return f"{x:g}"


def _escape(text: str) -> str:
    """Escape the characters that have a meaning inside a Graphviz record label, and show
    control characters (NUL breaks ``dot``) and lone surrogates as visible escapes."""
    return "".join(_escape_char(ch) for ch in str(text))


def _escape_char(ch: str) -> str:
    if ch in '\\{}|<>"':
        return "\\" + ch
    if ch < " " or "\x7f" <= ch <= "\x9f" or "\ud800" <= ch <= "\udfff":
        return "\\" + ch.encode("unicode_escape", "backslashreplace").decode("ascii")
    return ch


# --- draw_module -------------------------------------------------------------------


def draw_module(
    model: Any,
    format: str = "svg",
    rankdir: str = "LR",
    show_weights: bool = False,
    max_nodes: int = 500,
) -> Graph:
    """The architecture of an MLP-like model: inputs, then each layer's neurons.

    Works with any object with ``layers``, each with ``neurons`` that have a
    weight list ``w`` (micrograd's names).  Neurons show their activation.
    With ``show_weights`` edges are coloured by the weight's sign (red
    positive, blue negative) and thickened by its size.  A model with more
    than ``max_nodes`` inputs and neurons raises ``ValueError``.
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(
            f"draw_module expects a model with .layers (like MLP), got {type(model).__name__}"
        )
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    layers = list(layers)
    nin = _input_count(layers)
    _check_max_nodes(max_nodes)
    count = nin + sum(len(getattr(layer, "neurons", None) or [None]) for layer in layers)
    if count > max_nodes:
        raise ValueError(
            f"draw_module: the model has {count} inputs and neurons, more than "
            f"max_nodes={max_nodes}; pass a larger max_nodes= to draw it anyway"
        )
    graph = Graph(
        format=format,
        graph_attr={"rankdir": rankdir, "ranksep": "1.2", "nodesep": "0.15", "splines": "line"},
        node_attr={"fontsize": "10"},
    )
    previous = _draw_inputs(graph, nin)
    for index, layer in enumerate(layers):
        is_last = index == len(layers) - 1
        previous = _draw_layer(graph, layer, index, previous, is_last, show_weights)
    return graph


def _input_count(layers: list[Any]) -> int:
    for layer in layers:
        neurons = getattr(layer, "neurons", None)
        if neurons:
            return len(neurons[0].w)
    raise ValueError("draw_module: found no layer with neurons (each needs .neurons with .w)")


def _draw_inputs(graph: Graph, nin: int) -> list[str]:
    names = [f"x{i}" for i in range(nin)]
    labels = [f"x{i + 1}" for i in range(nin)]
    _column(graph, "inputs", f"input\n{nin}", names, labels, "#e8e8e8")
    return names


def _column(
    graph: Graph, key: str, title: str, names: list[str], labels: list[str], fill: str
) -> None:
    """One layer as a column: a title on top, then the nodes in order.

    Same rank plus invisible edges between neighbours is what makes Graphviz
    keep the order (clusters would let it shuffle the nodes).
    """
    title_node = f"title_{key}"
    with graph.subgraph(name=f"column_{key}") as sub:
        sub.attr(rank="same")
        sub.node(title_node, label=title, shape="plain", fontsize="11")
        for name, label in zip(names, labels):
            sub.node(name, label=label, shape="circle", style="filled", fillcolor=fill)
        chain = [title_node, *names]
        for a, b in zip(chain, chain[1:]):
            sub.edge(a, b, style="invis")


def _draw_layer(
    graph: Graph, layer: Any, index: int, previous: list[str], is_last: bool, weights: bool
) -> list[str]:
    """One layer as a column; returns the names of its nodes (inputs of the next)."""
    neurons = getattr(layer, "neurons", None)
    if not neurons:  # an activation, dropout, ...: one box the signal passes through
        name = f"L{index}"
        graph.node(name, label=type(layer).__name__, shape="box", style="rounded")
        for p in previous:
            graph.edge(p, name, color="#bbbbbb", arrowsize="0.4")
        return [name]
    activation = _activation_name(layer, neurons[0])
    title = "output" if is_last else f"layer {index + 1}"
    names = [f"L{index}_{j}" for j in range(len(neurons))]
    title = f"{title}\n{len(neurons)} × {activation}"
    _column(graph, f"layer{index}", title, names, [activation] * len(names), "#dbe9f6")
    for j, neuron in enumerate(neurons):
        for i, p in enumerate(previous):
            graph.edge(p, names[j], arrowsize="0.4", **_weight_style(neuron, i, weights))
    return names


def _weight_style(neuron: Any, i: int, weights: bool) -> dict[str, str]:
    if not weights or i >= len(neuron.w):
        return {"color": "#bbbbbb"}
    w = float(getattr(neuron.w[i], "data", neuron.w[i]))
    width = min(0.3 + 2.0 * abs(w), 4.0)
    return {"color": "#d62728" if w > 0 else "#1f77b4", "penwidth": f"{width:.2f}"}


def _activation_name(layer: Any, neuron: Any) -> str:
    """The activation's name from the attributes the nn modules commonly use."""
    for owner in (layer, neuron):
        for attr in ("activation", "act", "nonlin"):
            if hasattr(owner, attr):
                return _describe_activation(getattr(owner, attr))
    return "?"


def _describe_activation(act: object) -> str:
    if act is None or act is False:
        return "linear"
    if act is True:  # micrograd's Neuron(nonlin=True) means ReLU
        return "relu"
    if isinstance(act, str):
        return act
    name = getattr(act, "__name__", None) or type(act).__name__
    return name.lower()
