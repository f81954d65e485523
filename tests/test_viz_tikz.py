"""to_tikz: the graph draw_dot draws, as TikZ source (compiled with pdflatex where installed)."""

import re
import shutil
import subprocess

import pytest

from micrograd_plus import Value
from micrograd_plus.nn import MLP
from micrograd_plus.viz import to_tikz
from micrograd_plus.viz.tikz import latex_escape

from .browser import lecture_neuron


def neuron_after_backward():
    o = lecture_neuron()
    o.backward()
    return o


def test_every_value_op_and_edge_of_the_graph_is_in_the_picture():
    o = neuron_after_backward()
    source = to_tikz(o)
    values = re.findall(r"\\node\[mgp value\] \((n\d+)\)", source)
    ops = re.findall(r"\\node\[mgp op\] \((n\d+_op)\)", source)
    edges = re.findall(r"\\draw\[mgp edge\] \((\w+)\) -- \((\w+)\);", source)
    assert len(values) == 10 and len(ops) == 5
    assert len(edges) == 2 * 4 + 1 + 5  # two operands per + and *, one into tanh, op -> value
    assert r"x1 \nodepart{two} data $2.0000$ \nodepart{three} grad $-1.5000$" in source
    assert r"o \nodepart{two} data $0.7071$ \nodepart{three} grad $1.0000$" in source
    assert r"{\texttt{tanh}}" in source and r"{$\times $}" in source
    assert source.startswith(r"\tikzset{") and source.rstrip().endswith(r"\end{tikzpicture}")


def test_positions_follow_the_graphviz_layout_left_to_right():
    source = to_tikz(neuron_after_backward())
    x = {m[0]: float(m[1]) for m in re.findall(r"\((n\d+(?:_op)?)\) at \(([-\d.]+),", source)}
    order = ["n0", "n2_op", "n2", "n6_op", "n6", "n8_op", "n8", "n9_op", "n9"]
    assert [x[name] for name in order] == sorted(x[name] for name in order)


def test_labels_are_escaped_and_parameters_named_from_the_model():
    a = Value(1.0, label="x_1 & 50%")
    assert r"x\_1 \& 50\%" in to_tikz(a * 2.0)
    assert latex_escape("a^b~{c}") == r"a\textasciicircum{}b\textasciitilde{}\{c\}"
    model = MLP(2, [1])
    source = to_tikz(model([1.0, 2.0]), model=model)
    assert r"layers.0.w[0,1]" in source.replace(r"\_", "_")


def test_bad_arguments():
    with pytest.raises(TypeError, match="Value"):
        to_tikz(1.0)
    with pytest.raises(ValueError, match="scale"):
        to_tikz(Value(1.0), scale=0)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_standalone_document_compiles_with_pdflatex(tmp_path):
    tex = tmp_path / "neuron.tex"
    tex.write_text(to_tikz(neuron_after_backward(), standalone=True), encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "neuron.pdf").stat().st_size > 1000
