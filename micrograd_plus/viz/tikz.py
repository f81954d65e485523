"""The computation graph as LaTeX/TikZ source, for slides and papers.

``to_tikz(root)`` draws the same graph as ``draw_dot`` -- one box per Value
(label, data, grad), one small node per operation, edges in operand order --
at the positions Graphviz's ``dot`` chooses, so the picture matches what the
notebooks show.  Paste the result into a document that loads TikZ with the
``shapes.multipart`` library, or pass ``standalone=True`` for a whole file
that ``pdflatex`` compiles on its own (one page the size of the drawing).
"""

from __future__ import annotations

import shlex
from typing import Any

from ..engine import Value
from .graph import OP_SYMBOLS, build_graph, parameter_names

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}

_STYLES = r"""\tikzset{
  mgp value/.style={draw, rectangle split, rectangle split parts=3, font=\small,
                    align=center, inner sep=2pt},
  mgp value unlabeled/.style={draw, rectangle split, rectangle split parts=2,
                    font=\small, align=center, inner sep=2pt},
  mgp op/.style={draw, ellipse, font=\small, inner sep=1pt, minimum width=2em},
  mgp constant/.style={font=\small, text=gray},
  mgp edge/.style={-{Stealth[length=4pt]}, thin},
}"""


def latex_escape(text: str) -> str:
    """Text safe inside a LaTeX document (``x_1`` -> ``x\\_1``)."""
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in str(text))


def to_tikz(
    root: Value,
    *,
    standalone: bool = False,
    scale: float = 0.7,
    show_grad: bool = True,
    max_nodes: int = 500,
    model: Any = None,
) -> str:
    """TikZ source of ``root``'s graph: labels, data, grads (4 decimals) and ops.

    ``standalone=True`` wraps it in a one-page document (compile with
    ``pdflatex``); otherwise it is one ``tikzpicture`` to paste into your own
    (load ``\\usetikzlibrary{shapes.multipart, arrows.meta}``).  ``scale``
    multiplies dot's distances (0.7 suits the small font); ``model`` names unlabeled parameters as
    ``draw_dot(model=...)`` does.  Needs Graphviz's ``dot`` for the layout.
    """
    if not isinstance(root, Value):
        raise TypeError(f"to_tikz expects a Value as root, got {type(root).__name__}")
    if not (isinstance(scale, (int, float)) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    label_of = None
    if model is not None:
        names = parameter_names(model)
        label_of = lambda v: v.label or names.get(id(v), "")
    graph = build_graph(
        root, compact=True, max_nodes=max_nodes, show_grad=show_grad, label_of=label_of
    )
    plain = graph.pipe(format="plain").decode("utf-8")
    positions = _layout(plain)
    nodes = _nodes_in_order(root)
    unit = f"{2.54 * scale:.3f}cm"  # dot's layout is in inches
    lines = [_STYLES, rf"\begin{{tikzpicture}}[x={unit}, y={unit}]"]
    ids: dict[int, str] = {}
    constants = {name for name, (_, _, shape) in positions.items() if shape == "plain"}
    for i, node in enumerate(nodes):
        nid = f"n{i}"
        ids[id(node)] = nid
        x, y, _ = positions[nid]
        label = node.label or (label_of(node) if label_of else "")
        if nid in constants:
            at = f"({x:.3f},{y:.3f})"
            lines.append(rf"  \node[mgp constant] ({nid}) at {at} {{{_num(node.data)}}};")
            continue
        parts = [latex_escape(label)] if label else []
        parts.append(f"data {_num(node.data)}")
        if show_grad:
            parts.append(f"grad {_num(node.grad)}")
        style = "mgp value" if len(parts) == 3 else "mgp value unlabeled"
        if len(parts) == 1:
            style = "draw, font=\\small"
        body = r" \nodepart{two} ".join(parts[:2])
        if len(parts) == 3:
            body += r" \nodepart{three} " + parts[2]
        lines.append(rf"  \node[{style}] ({nid}) at ({x:.3f},{y:.3f}) {{{body}}};")
        if node._prev:
            ox, oy, _ = positions[nid + "_op"]
            symbol = _latex_symbol(OP_SYMBOLS.get(node._op, node._op))
            lines.append(rf"  \node[mgp op] ({nid}_op) at ({ox:.3f},{oy:.3f}) {{{symbol}}};")
    for node in nodes:
        if not node._prev:
            continue
        nid = ids[id(node)]
        for parent in node._prev:
            lines.append(rf"  \draw[mgp edge] ({ids[id(parent)]}) -- ({nid}_op);")
        lines.append(rf"  \draw[mgp edge] ({nid}_op) -- ({nid});")
    lines.append(r"\end{tikzpicture}")
    picture = "\n".join(lines) + "\n"
    if not standalone:
        return picture
    # A page the size of the drawing, with packages every TeX installation has
    # (article + geometry, not the standalone class, which minimal installs lack).
    width, height = _size(plain)
    paper = f"paperwidth={width * scale + 0.6:.2f}in, paperheight={height * scale + 0.6:.2f}in"
    return (
        "\\documentclass{article}\n"
        f"\\usepackage[{paper}, margin=0.2in]{{geometry}}\n"
        "\\usepackage{tikz}\n"
        "\\usetikzlibrary{shapes.multipart, shapes.geometric, arrows.meta}\n"
        "\\pagestyle{empty}\n"
        "\\begin{document}\n\\noindent\n" + picture + "\\end{document}\n"
    )


def _nodes_in_order(root: Value) -> list[Value]:
    from ..engine import topological_order

    return topological_order(root)


def _layout(plain: str) -> dict[str, tuple[float, float, str]]:
    """Node name -> (x, y, shape) in inches, from ``dot -Tplain`` output."""
    positions = {}
    for line in plain.splitlines():
        if line.startswith("node "):
            fields = shlex.split(line)
            positions[fields[1]] = (float(fields[2]), float(fields[3]), fields[8])
    return positions


def _size(plain: str) -> tuple[float, float]:
    """The drawing's width and height in inches (the first line of ``dot -Tplain``)."""
    _, _, width, height = plain.split("\n", 1)[0].split()
    return float(width), float(height)


def _num(x: float) -> str:
    return f"${float(x):.4f}$"


def _latex_symbol(symbol: str) -> str:
    """An op's display symbol in LaTeX: ``tanh`` as text, ``a ** b`` as $a^{b}$."""
    if symbol.replace("_", "").isalpha():
        return rf"\texttt{{{latex_escape(symbol)}}}"
    for text, latex in (("**", "^"), ("−", "-"), ("*", r"\times "), ("Σ", r"\Sigma")):
        symbol = symbol.replace(text, latex)
    return f"${symbol}$"
