"""draw_dot and draw_module: what the Graphviz source shows, size limits, rendering."""

import math
import re
import shutil

import graphviz
import pytest

from micrograd_plus.engine import Value, sum_values, topological_order
from micrograd_plus.viz import GraphvizNotInstalledError, draw_dot, draw_module, render
from micrograd_plus.viz import graph as graph_module

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)


def lecture_neuron():
    """The neuron from micrograd's lecture: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def record(source: str, label: str) -> str:
    """The record line of the node labelled ``label``."""
    lines = [line for line in source.splitlines() if f'"{{ {label} |' in line]
    assert len(lines) == 1, f"expected one record for {label!r}, found {lines}"
    return lines[0]


def node_id(source: str, label: str) -> str:
    return record(source, label).split()[0]


def edges_into(source: str, target: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if re.search(rf"-> {target}\b", line)]


def test_lecture_neuron_shows_labels_data_grads_and_ops():
    source = draw_dot(lecture_neuron()).source
    n_data = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    dtanh = 1 - math.tanh(n_data) ** 2  # 0.5: the lecture's choice of b
    expected = {
        "x1": (2.0, -3.0 * dtanh),
        "w1": (-3.0, 2.0 * dtanh),
        "x2": (0.0, 1.0 * dtanh),
        "w2": (1.0, 0.0),
        "b": (6.8813735870195432, dtanh),
        "n": (n_data, dtanh),
        "o": (math.tanh(n_data), 1.0),
    }
    for label, (data, grad) in expected.items():
        assert f"data {data:.4f} | grad {grad:.4f}" in record(source, label)
    ops = re.findall(r"_op \[label=\"?([^\" ]+)\"?", source)
    assert sorted(ops) == sorted(["*", "*", "+", "+", "tanh"])


def test_unlabeled_values_have_no_empty_label_field():
    a = Value(1.5)
    source = draw_dot(a * 2).source
    assert "{ data 1.5000 | grad 0.0000 }" in source
    assert "{  |" not in source


def test_show_grad_false_leaves_out_gradients():
    source = draw_dot(lecture_neuron(), show_grad=False).source
    assert "grad" not in source
    assert "data 0.7071" in source


def test_each_operand_gets_its_own_edge_even_when_shared():
    a = Value(3.0, label="a")
    sq = a * a
    sq.label = "sq"
    source = draw_dot(sq).source
    a_id, sq_id = node_id(source, "a"), node_id(source, "sq")
    assert edges_into(source, f"{sq_id}_op") == [f"{a_id} -> {sq_id}_op"] * 2


def test_non_commutative_ops_label_their_operands_in_order():
    x, y = Value(5.0, label="x"), Value(2.0, label="y")
    for out, symbol in ((x - y, "a − b"), (x / y, "a / b"), (x**y, "a ** b")):
        out.label = "out"
        source = draw_dot(out).source
        op = node_id(source, "out") + "_op"
        assert f'{op} [label="{symbol}"' in source
        edges = edges_into(source, op)
        assert edges[0].startswith(node_id(source, "x")) and "label=a" in edges[0]
        assert edges[1].startswith(node_id(source, "y")) and "label=b" in edges[1]


def test_constant_exponent_is_a_plain_number_node():
    a = Value(3.0, label="a")
    source = draw_dot(a**2).source
    assert re.search(r'n\d+ \[label=2 fontcolor="#6b6b6b" shape=plain\]', source)


def test_nary_sum_is_one_node_with_one_edge_per_term():
    terms = [Value(float(i), label=f"t{i}") for i in range(4)]
    total = sum_values(terms)
    total.label = "total"
    source = draw_dot(total).source
    op = node_id(source, "total") + "_op"
    assert f'{op} [label="Σ"' in source
    assert [e.split()[0] for e in edges_into(source, op)] == [
        node_id(source, f"t{i}") for i in range(4)
    ]


def test_every_primitive_has_a_display_symbol():
    from micrograd_plus.ops import PRIMITIVES

    assert set(graph_module.OP_SYMBOLS) == set(PRIMITIVES)
    assert all(graph_module.OP_SYMBOLS.values())


def test_how_an_op_is_drawn_comes_from_its_table_entry():
    """An op the table marks infix is drawn as its formula, edges named as in it."""
    from micrograd_plus.ops import PRIMITIVES

    for prim in PRIMITIVES.values():
        assert prim.operand_names == () or len(prim.operand_names) == prim.arity, prim.name
        if prim.infix:
            assert prim.graph_label == " ".join(
                [prim.operand_names[0], prim.symbol, prim.operand_names[1]]
            )
        else:
            assert prim.graph_label == prim.symbol
    # what the drawing does with these fields: test_non_commutative_ops_label_their_operands
    x = Value(1.0)
    assert graph_module.OP_SYMBOLS["leaky_relu"] == "leaky_relu"
    assert "label=slope" in draw_dot(x.leaky_relu(0.1)).source


def test_output_is_deterministic_for_the_same_graph():
    assert draw_dot(lecture_neuron()).source == draw_dot(lecture_neuron()).source


def test_without_op_nodes_edges_carry_the_op():
    source = draw_dot(lecture_neuron(), show_op_nodes=False).source
    assert "_op" not in source
    assert source.count("label=tanh") == 1
    assert source.count('label="*"') == 4  # two products, two operand edges each


def test_highlight_and_color_by_grad_fill_nodes():
    o = lecture_neuron()
    source = draw_dot(o, highlight=[o]).source
    assert "#b7e4c7" in record(source, "o")
    assert "fillcolor" not in record(source, "n")
    colored = draw_dot(o, color_by_grad=True).source
    # x1 has the largest |grad| (1.5): full orange; w2's grad is 0: white.
    assert "#ff8c28" in record(colored, "x1")
    assert "#ffffff" in record(colored, "w2")


def test_record_special_characters_in_labels_are_escaped():
    v = Value(1.0, label="a|b{c}<d>")
    assert r"a\|b\{c\}\<d\>" in draw_dot(v).source


def test_too_many_nodes_is_refused_before_building_anything(monkeypatch):
    v = Value(0.0)
    for _ in range(20_000):
        v = v + 1.0
    count = len(topological_order(v))

    def fail(*args, **kwargs):
        raise AssertionError("a graph was built before the size check")

    monkeypatch.setattr(graph_module.Graph, "__init__", fail)
    assert count > 500
    with pytest.raises(ValueError, match=r"more than max_nodes=500 nodes.*larger max_nodes="):
        draw_dot(v)


class _Unreachable(Value):
    """A node the size check must never reach: reading its parents fails the test."""

    __slots__ = ()

    @property
    def _prev(self):
        raise AssertionError("the size check walked past max_nodes + 1 nodes")

    @_prev.setter
    def _prev(self, value):
        pass


def test_the_size_check_stops_counting_at_max_nodes_plus_one():
    far = _Unreachable(0.0)
    v = Value(1.0) * far
    for _ in range(2000):  # the unreachable node sits 2,000 nodes below the root
        v = v + 1.0
    with pytest.raises(ValueError, match="more than max_nodes=100 nodes"):
        draw_dot(v, max_nodes=100)
    with pytest.raises(ValueError, match="more than max_nodes=1999 nodes"):
        draw_dot(v, max_nodes=1999)


def test_control_characters_in_labels_are_shown_not_passed_to_dot():
    v = Value(1.0, label="a\x00b\x07c\nd\ud800")
    source = draw_dot(v).source
    assert "\x00" not in source and "\x07" not in source and "\ud800" not in source
    assert r"a\\x00b\\x07c\\nd\\ud800" in source
    source.encode("utf-8")  # a lone surrogate would make piping to dot fail
    if shutil.which("dot"):
        assert draw_dot(v).pipe(format="svg").startswith(b"<?xml")  # dot accepts it


def test_deep_graphs_are_walked_without_recursion():
    v = Value(1.0, label="start")
    for _ in range(3000):  # far deeper than Python's recursion limit
        v = v.tanh()
    source = draw_dot(v, max_nodes=10_000).source
    assert source.count("label=tanh") == 3000


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"rankdir": "XY"}, ValueError),
        ({"max_nodes": 0}, ValueError),
        ({"max_nodes": 2.5}, ValueError),
    ],
)
def test_bad_arguments_are_rejected(kwargs, error):
    with pytest.raises(error):
        draw_dot(Value(1.0), **kwargs)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="Value"):
        draw_dot(3.0)


def test_result_is_a_graphviz_digraph():
    graph = draw_dot(lecture_neuron(), format="png", rankdir="TB")
    assert isinstance(graph, graphviz.Digraph)
    assert graph.format == "png"
    assert "rankdir=TB" in graph.source


@needs_dot
def test_svg_rendering(tmp_path):
    svg = draw_dot(lecture_neuron()).pipe(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "data 0.7071" in svg and "tanh" in svg
    written = render(draw_dot(lecture_neuron()), str(tmp_path / "neuron"), format="png")
    assert written.endswith("neuron.png")
    assert (tmp_path / "neuron.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "neuron").exists()  # the DOT source file is cleaned up


def test_missing_dot_explains_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on this PATH
    graph = draw_dot(lecture_neuron())
    assert "tanh" in graph.source  # building still works
    for attempt in (lambda: graph.pipe(), lambda: render(graph, str(tmp_path / "g"))):
        with pytest.raises(GraphvizNotInstalledError) as info:
            attempt()
        message = str(info.value)
        assert "apt-get install graphviz" in message
        assert "brew install graphviz" in message
        assert "conda install -c conda-forge graphviz" in message
    assert issubclass(GraphvizNotInstalledError, graphviz.ExecutableNotFound)


# --- draw_module ---------------------------------------------------------------------


def test_draw_module_shows_inputs_neurons_and_activations():
    from micrograd_plus.nn import MLP

    model = MLP(3, [4, 5, 2], seed=0)
    source = draw_module(model).source
    circles = re.findall(r"^\s*(\w+) \[label=(\w+) .*shape=circle", source, flags=re.M)
    labels = [label for _, label in circles]
    assert labels == ["x1", "x2", "x3"] + ["relu"] * 9 + ["linear"] * 2
    assert 'label="layer 1\n4 × relu"' in source
    assert 'label="layer 2\n5 × relu"' in source
    assert 'label="output\n2 × linear"' in source
    weight_edges = [line for line in source.splitlines() if "-> L" in line and "invis" not in line]
    assert len(weight_edges) == 3 * 4 + 4 * 5 + 5 * 2


def test_draw_module_weights_colour_by_sign():
    from micrograd_plus.nn import MLP

    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].w[0].data = 0.5
    model.layers[0].neurons[0].w[1].data = -2.0
    source = draw_module(model, show_weights=True).source
    assert re.search(r'x0 -> L0_0 \[.*color="#d62728"', source)
    assert re.search(r'x1 -> L0_0 \[.*color="#1f77b4"', source)


def test_draw_module_works_with_micrograd_models():
    nn = pytest.importorskip("micrograd.nn")
    source = draw_module(nn.MLP(2, [3, 1])).source
    assert source.count("label=relu") == 3 and source.count("label=linear") == 1


def test_draw_module_refuses_what_it_cannot_draw():
    from micrograd_plus.nn import MLP

    with pytest.raises(TypeError, match="layers"):
        draw_module(object())
    with pytest.raises(ValueError, match="max_nodes="):
        draw_module(MLP(10, [300, 300], seed=0))


@needs_dot
def test_draw_module_renders():
    from micrograd_plus.nn import MLP

    assert "<svg" in draw_module(MLP(2, [3, 1], seed=0)).pipe(encoding="utf-8")


def test_highlight_takes_one_value_or_values_and_names_anything_else():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    out = a * b
    one = draw_dot(out, highlight=a).source
    assert one == draw_dot(out, highlight=[a]).source
    assert one.count("fillcolor") == 1
    with pytest.raises(TypeError, match="highlight must hold Values"):
        draw_dot(out, highlight=["a"])
    with pytest.raises(TypeError, match="highlight must hold Values"):
        draw_dot(out, highlight=3)


def test_a_value_rounding_to_zero_never_shows_minus_zero():
    tiny = Value(-1e-7, label="tiny") * 1.0
    source = draw_dot(tiny).source
    assert "-0.0000" not in source and "data 0.0000" in source
