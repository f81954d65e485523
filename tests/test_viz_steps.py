"""The backward explainer replays backward() exactly, one chain-rule step at a time."""

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_plus.engine import Value, sum_values, topological_order
from micrograd_plus.ops import PRIMITIVES
from micrograd_plus.viz import backward_steps, explain_backward
from micrograd_plus.viz.rules import format_number


def grads_from_steps(root, steps):
    """Each node's gradient as the sum of the contributions it received (root: 1)."""
    grads = {id(root): 1.0}
    for step in steps:
        grads[id(step.parent)] = grads.get(id(step.parent), 0.0) + step.contribution
    return grads


def random_graph(rng: random.Random, n_leaves: int = 4, n_ops: int = 25):
    """A random DAG of mixed ops whose nodes are often reused (shared subexpressions)."""
    pool = [Value(rng.uniform(0.5, 2.0), label=f"x{i}") for i in range(n_leaves)]
    leaves = list(pool)
    for _ in range(n_ops):
        a, b = rng.choice(pool), rng.choice(pool)
        kind = rng.randrange(11)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a - b
        elif kind == 2:
            out = a * b
        elif kind == 3:
            out = a / (b * b + 1.0)
        elif kind == 4:
            out = (a * 0.3).tanh()
        elif kind == 5:
            out = (a * 0.1).exp()
        elif kind == 6:
            out = (a * a + 0.5) ** 0.5
        elif kind == 7:
            out = (a - 1.0).relu() + a.sigmoid()
        elif kind == 8:
            out = sum_values([a, b, a, 2.0])
        elif kind == 9:
            out = (a * a + 1.0).log() + a.sin()
        else:
            out = (a - b).leaky_relu(0.1)
        pool.append(out)
    return sum_values(pool[-6:]), leaves


@pytest.mark.parametrize("seed", range(20))
def test_contributions_add_up_to_what_backward_computes(seed):
    root, _ = random_graph(random.Random(seed))
    steps = list(backward_steps(root))
    explained = grads_from_steps(root, steps)
    root.backward()
    for node in topological_order(root):
        assert explained.get(id(node), 0.0) == node.grad  # same arithmetic, same order


@pytest.mark.parametrize(
    "build",
    [
        lambda a: a * a,  # one node used twice by one op
        lambda a: (lambda b: b + b)(a + a),  # b = a + a; c = b + b
        lambda a: (a * 3.0 + a).tanh() * a,  # reuse across levels
    ],
)
def test_shared_nodes_receive_every_contribution(build):
    a = Value(0.7, label="a")
    out = build(a)
    steps = list(backward_steps(out))
    into_a = [s for s in steps if s.parent is a]
    out.backward()
    assert len(into_a) >= 2
    assert sum(s.contribution for s in into_a) == pytest.approx(a.grad, rel=1e-15)
    assert into_a[-1].parent_grad == a.grad
    assert [s.parent_done for s in into_a] == [False] * (len(into_a) - 1) + [True]


def test_steps_follow_backwards_order():
    root, _ = random_graph(random.Random(99))
    expected = [
        (id(node), i)
        for node in reversed(topological_order(root))
        if node._prev
        for i in range(len(node._prev))
        if i not in PRIMITIVES[node._op].const_inputs
    ]
    steps = list(backward_steps(root))
    assert [(id(s.node), s.parent_index) for s in steps] == expected
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    assert all(s.parent is s.node._prev[s.parent_index] for s in steps)


def test_graph_gradients_are_left_untouched():
    root, leaves = random_graph(random.Random(3))
    leaves[0].grad = 7.0
    list(backward_steps(root))
    explain_backward(root).draw(0)
    assert leaves[0].grad == 7.0
    assert all(n.grad == 0.0 for n in topological_order(root) if n is not leaves[0])


def test_step_reads_as_the_chain_rule():
    a, b, h = Value(2.0, label="a"), Value(-3.0, label="b"), Value(0.5, label="h")
    c = a * b
    c.label = "c"
    L = c * h
    L.label = "L"
    sentences = [str(s) for s in backward_steps(L)]
    assert sentences == [
        "∂L/∂c += ∂L/∂L · h = 1.0 · 0.5 = 0.5",
        "∂L/∂h += ∂L/∂L · c = 1.0 · (-6.0) = -6.0",
        "∂L/∂a += ∂L/∂c · b = 0.5 · (-3.0) = -1.5",
        "∂L/∂b += ∂L/∂c · a = 0.5 · 2.0 = 1.0",
    ]


def test_local_derivative_is_the_rule_at_unit_gradient():
    x = Value(0.3, label="x")
    y = x.tanh()
    out = y * 4.0
    tanh_step = [s for s in backward_steps(out) if s.node is y][0]
    assert tanh_step.upstream == 4.0
    assert tanh_step.local == pytest.approx(1 - y.data**2)
    assert tanh_step.contribution == pytest.approx(4.0 * (1 - y.data**2))


def test_names_for_unlabeled_nodes_and_constants():
    a = Value(1.5, label="a")
    out = (a * 2.0 + 1.0).exp()  # nothing labelled but a
    steps = list(backward_steps(out))
    assert steps[0].node_name == "L" and steps[0].root_name == "L"
    assert [s.parent_name for s in steps] == ["v2", "v1", "(1.0)", "a", "(2.0)"]


def test_constant_operands_get_no_step():
    a = Value(3.0, label="a")
    steps = list(backward_steps(a**2))
    assert len(steps) == 1 and steps[0].parent is a
    assert steps[0].contribution == pytest.approx(6.0)


def test_a_leaf_root_has_no_steps():
    assert list(backward_steps(Value(1.0))) == []


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="Value"):
        list(backward_steps(1.0))


def test_table_has_one_row_per_step_as_text_and_html():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b).tanh()
    explainer = explain_backward(out)
    table = explainer.table()
    assert len(table) == len(explainer.steps) == 3
    assert table[0]["op"] == "tanh" and table[1]["parent"] == "a"
    assert table[1]["contribution"] == explainer.steps[1].contribution
    text = str(table)
    assert text.splitlines()[0].split()[:4] == ["step", "node", "op", "parent"]
    assert len(text.splitlines()) == 2 + 3
    html = table._repr_html_()
    assert html.count("<tr>") == 4 and "∂node/∂parent" in html
    assert explainer._repr_html_() == html
    assert str(explainer).splitlines()[2].strip().startswith("3. ∂L/∂b")


def test_draw_highlights_finished_gradients_and_the_current_edge():
    a = Value(2.0, label="a")
    b = a + a
    b.label = "b"
    c = b * 3.0
    c.label = "c"
    explainer = explain_backward(c)
    # Steps: c->b, (c->3.0), b->a (first edge), b->a (second edge).
    assert [s.parent_name for s in explainer] == ["b", "(3.0)", "a", "a"]
    first_into_a = explainer.draw(3).source  # after step 3, as printed and tabled
    lines = {
        label: line
        for line in first_into_a.splitlines()
        for label in "abc"
        if "{ " + label + " |" in line
    }
    assert "#b7e4c7" in lines["c"] and "#b7e4c7" in lines["b"]
    assert "fillcolor" not in lines["a"]  # a has had one of its two contributions
    assert "grad 3.0000" in lines["a"]  # ... so its grad is half-way there
    red = [line for line in first_into_a.splitlines() if "#d62728" in line]
    assert len(red) == 1 and red[0].split()[2].endswith("_op")
    last = explainer.draw(-1).source
    assert "grad 6.0000" in last and last.count("#b7e4c7") == 4  # a, b, c and the 3.0


def test_draw_checks_the_step_index():
    explainer = explain_backward(Value(2.0, label="a").tanh())
    with pytest.raises(IndexError, match="1..1"):
        explainer.draw(5)
    with pytest.raises(IndexError, match="1..1"):
        explainer.step(0)
    with pytest.raises(TypeError):
        explainer.draw("0")


def lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_one_step_numbering_everywhere():
    """Step k is line k of print(ex), row k of the table, ex.step(k) and the red edge of draw(k)."""
    ex = explain_backward(lecture_neuron())
    lines = str(ex).splitlines()
    table = ex.table()
    for k in range(1, len(ex) + 1):
        step = ex.step(k)
        assert step.number == k and ex[k - 1] is step
        assert lines[k - 1].strip().startswith(f"{k}. ") and lines[k - 1].endswith(str(step))
        assert table[k - 1]["step"] == k and table[k - 1]["parent"] == step.parent_name
        red = [line for line in ex.draw(k).source.splitlines() if "#d62728" in line]
        assert len(red) == 1
    assert "#d62728" not in ex.draw(0).source  # before the first step: no edge used yet
    assert ex.draw(-1).source == ex.draw(len(ex)).source
    assert ex.grads_after(0) == {id(ex.root): 1.0}


def test_each_step_shows_the_rule_from_the_primitive_table():
    ex = explain_backward(lecture_neuron())
    assert str(ex.step(1)) == "∂o/∂n += ∂o/∂o · (1 − o²) = 1.0 · (1 − 0.7071²) = 0.5"
    assert ex.step(1).rule() == "1 − o²"
    x = Value(3.0, label="x")
    y = x**2
    y.label = "y"
    assert str(explain_backward(y).step(1)) == (
        "∂y/∂x += ∂y/∂y · 2.0 · x^(2.0 − 1) = 1.0 · 2.0 · 3.0^(2.0 − 1) = 6.0"
    )


def test_a_new_op_shows_its_rule_with_no_extra_work():
    """Register an op in the table: the explainer prints its rule from local_grads."""
    from micrograd_plus import ops

    ops.primitive("cube", 1, lambda a: a**3, lambda g, out, a, B: (g * 3 * a * a,),
                  symbol="cube", local_grads=("3 * a**2",))  # fmt: skip
    try:
        x = Value(2.0, label="x")
        y = x.exp()  # a node with one input; made a cube node through the public fields
        y._op, y.data, y.label = "cube", 8.0, "y"
        assert str(explain_backward(y).step(1)) == "∂y/∂x += ∂y/∂y · 3 · x² = 1.0 · 3 · 2.0² = 12.0"
    finally:
        for table in (ops.PRIMITIVES, ops.FORWARD, ops.VJP):
            table.pop("cube", None)


def test_forward_lines_read_as_the_computation():
    from micrograd_plus.viz.rules import forward_line

    ex = explain_backward(lecture_neuron())
    lines = [forward_line(v, ex._names) for v in ex.nodes if v._prev]
    assert lines[0] == "v1 = x1 · w1 = 2.0 · (-3.0) = -6.0"
    assert lines[-1] == "o = tanh(n) = tanh(0.8814) = 0.7071"


def test_model_parameters_are_named_in_steps_and_drawings():
    from micrograd_plus.nn import MLP
    from micrograd_plus.viz import draw_dot

    model = MLP(2, [1])
    out = model([1.0, 2.0])
    ex = explain_backward(out, model=model)
    names = {s.parent_name for s in ex}
    assert {"layers.0.w[0,0]", "layers.0.w[0,1]", "layers.0.b[0]"} <= names
    assert "layers.0.w[0,1]" in ex.draw(-1).source
    source = draw_dot(out, model=model).source
    assert "layers.0.b[0]" in source and "layers.0.w[0,0]" in source
    assert "layers.0" not in draw_dot(out).source


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_op_in_the_table_reads_as_a_rule_and_a_forward_line(name, data):
    """Table-driven: whatever op is added, its steps print its rule with names and numbers."""
    from micrograd_plus.viz.rules import forward_line

    from .op_cases import apply_op, differentiable, input_strategy

    inputs = data.draw(input_strategy(name))
    as_value = set(differentiable(name, len(inputs))) | (
        {0} if PRIMITIVES[name].arity == 1 else set()
    )
    leaves = [Value(x, label=f"x{i + 1}") if i in as_value else x for i, x in enumerate(inputs)]
    out = apply_op(name, leaves)
    out.label = "y"
    ex = explain_backward(out)
    for step in ex:
        line = step.line()
        assert line.startswith(f"∂y/∂{step.parent_name} += ∂y/∂y · ")
        assert line.endswith(f"= {format_number(step.contribution)}")
        assert not re.search(r"\b(out|xs)\b", line)  # every rule name was substituted
    assert forward_line(out, ex._names).endswith(f"= {format_number(out.data)}")
