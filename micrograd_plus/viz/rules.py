"""How steps and operations read on the board: rules in the graph's names, then in numbers.

Built from the printable rule of each op in ``ops.py`` (``local_grads``, in the
names a, b, out; x1..xn for a variadic op), so a new op reads well with no
extra work: ``1 - out**2`` becomes ``1 − o²`` and then ``1 − 0.7071²``.
"""

from __future__ import annotations

import re
from typing import Any

from ..engine import Value
from ..ops import PRIMITIVES, VARIADIC


def format_number(x: float) -> str:
    """4 significant digits, keeping a float look: 0.5, -3.0, 0.7071, 1e-05."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return repr(x)
    return repr(float(f"{x:.4g}"))


_TOKEN = re.compile(r"\*\*(\d+)(?![\d.])|\*\*|\*|-|[A-Za-z_]\w*")
_DOUBLE_PARENS = re.compile(r"\(\((-[\d.e+-]+)\)\)")  # sign((-3.0)) -> sign(-3.0)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_INFIX = {"+": "+", "-": "−", "*": "·", "/": "/", "**": "**"}


def input_names(node: Value, texts: list[str], k: int = 0) -> dict[str, str]:
    """The rule's names for the inputs: a, b for a fixed arity; for a variadic op x1..xn,
    xs (all of them), n (how many) and k (the position, from 0, of the input differentiated)."""
    if PRIMITIVES[node._op].arity == VARIADIC:
        names = {f"x{i + 1}": t for i, t in enumerate(texts)}
        names.update(xs="[" + ", ".join(texts) + "]", n=str(len(texts)), k=str(k))
        return names
    return dict(zip("ab", texts))


def render_rule(text: str, names: dict[str, str]) -> str:
    """``1 - out**2`` with out = o as ``1 − o²``: names substituted, blackboard operators."""

    def substitute(match: re.Match[str]) -> str:
        token: str = match.group(0)
        exponent: str | None = match.group(1)
        if exponent:
            return exponent.translate(_SUPERSCRIPT)
        return {"**": "^", "*": "·", "-": "−"}.get(token) or names.get(token, token)

    return _DOUBLE_PARENS.sub(r"(\1)", _TOKEN.sub(substitute, text))


def bracket(text: str) -> str:
    """Parenthesise a rule that a product would otherwise cut: ``1 − o²`` -> ``(1 − o²)``."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and (ch in "+−" and 0 < i or text.startswith(("if ", "else "), i)):
            return f"({text})"
    return f"({text})" if text.startswith("−") else text


def operand_text(name: str) -> str:
    """A name as an operand of a formula: parenthesised unless it is one word or number.

    A constant is named by its value in parentheses, ``(2.0)``: inside a formula the
    bare number reads better, ``2.0 · a^(2.0 − 1)``.
    """
    constant = re.fullmatch(r"\(([\d.e+]+)\)", name)
    if constant:
        return constant.group(1)
    return name if re.fullmatch(r"[\w.()\-]+", name) else f"({name})"


def partial_text(name: str) -> str:
    """A name after ∂: ``∂n``, ``∂(x1*w1 + x2*w2)``."""
    return name if re.fullmatch(r"[\w.()]+", name) else f"({name})"


def number_text(x: float) -> str:
    """A number inside a formula: 4 significant digits, negatives in parentheses."""
    text = format_number(x)
    return f"({text})" if text.startswith("-") else text


def forward_line(node: Value, names: dict[int, str]) -> str:
    """How ``node`` was computed, names then numbers: ``x1w1 = x1 · w1 = 2.0 · (-3.0) = -6.0``."""
    out = names[id(node)]
    symbols = [operand_text(names[id(p)]) for p in node._prev]
    numbers = [p.data for p in node._prev]
    result = format_number(node.data)
    return f"{out} = {_formula(node, symbols)} = {_formula(node, numbers)} = {result}"


def _formula(node: Value, args: list[Any]) -> str:
    """The op applied to ``args`` (names, or numbers to print), as written by hand."""
    prim = PRIMITIVES[node._op]
    plain = [format_number(a) if isinstance(a, float) else a for a in args]  # function arguments
    wrapped = [number_text(a) if isinstance(a, float) else a for a in args]  # operands
    if prim.arity == 2 and node._op in _INFIX:
        return f"{plain[0]} {_INFIX[node._op]} {wrapped[1]}"
    if prim.arity == VARIADIC and prim.linear == "add":  # Σ: a sum, written out
        return " + ".join(plain[:1] + wrapped[1:])
    if prim.arity == 1 and "a" in prim.symbol and len(prim.symbol) <= 3:  # −a, |a|
        return prim.symbol.replace("a", wrapped[0])
    return f"{prim.symbol}({', '.join(plain)})"
