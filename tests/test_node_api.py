"""micrograd's node API, as the micrograd lecture and micrograd-style code use it.

Each test is one behaviour the lecture's first-half notebook (or code written
for micrograd) relies on, written afresh here.
"""

from __future__ import annotations

import math
import sys

import pytest

from micrograd_plus import Value
from micrograd_plus.engine import topological_order


def lecture_neuron():
    """The lecture's neuron: two inputs, two weights, a bias chosen so that o = 1/sqrt(2)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)


EXPECTED_GRADS = dict(o=1.0, n=0.5, s=0.5, b=0.5, x1w1=0.5, x2w2=0.5, x1=-1.5, w1=1.0, x2=0.5)


def test_stepping_backprop_by_hand_with_underscore_backward():
    v = lecture_neuron()
    assert v["o"].data == pytest.approx(1 / math.sqrt(2))
    v["o"].grad = 1.0
    for name in ("o", "n", "b", "s", "x2w2", "x1w1"):
        v[name]._backward()  # b is a leaf: a no-op, as in micrograd
    for name, expected in EXPECTED_GRADS.items():
        assert v[name].grad == pytest.approx(expected, abs=1e-12), name
    assert v["w2"].grad == 0.0


def test_backward_gives_the_lecture_gradients():
    v = lecture_neuron()
    v["o"].backward()
    for name, expected in EXPECTED_GRADS.items():
        assert v[name].grad == pytest.approx(expected, abs=1e-12), name


def test_micrograds_constructor_with_a_table_op_uses_its_rule():
    a, b = Value(2.0), Value(-3.0)
    c = Value(a.data * b.data, (a, b), "*", label="c")
    t = Value(math.tanh(c.data), (c,), "tanh")
    assert c._prev == (a, b) and c._op == "*" and c.label == "c"
    t.backward()
    local = 1 - math.tanh(-6.0) ** 2
    assert a.grad == pytest.approx(-3.0 * local) and b.grad == pytest.approx(2.0 * local)


def test_a_table_op_with_the_wrong_number_of_children_is_refused():
    a = Value(1.0)
    with pytest.raises(ValueError, match="'tanh' takes 1"):
        Value(0.5, (a, a), "tanh")


def test_the_lectures_way_of_adding_an_op_with_a_closure():
    class MyValue(Value):
        def cube(self):
            out = MyValue(self.data**3, (self,), "cube")

            def _backward():
                self.grad += 3 * self.data**2 * out.grad

            out._backward = _backward
            return out

    x = MyValue(2.0)
    y = (x * 3.0).cube() + x  # a closure node inside an ordinary graph
    y.backward()
    assert x.grad == pytest.approx(3 * 3 * 36.0 + 1.0)
    assert isinstance(x * 3.0, MyValue)


def test_a_closure_overrides_the_table_rule_of_its_node():
    calls = []
    a = Value(0.3)
    out = Value(math.tanh(a.data), (a,), "tanh")  # the lecture's tanh, named like ours

    def _backward():
        calls.append(out.grad)
        a.grad += (1 - out.data**2) * out.grad

    out._backward = _backward
    assert out._backward is _backward
    out.backward()
    assert calls == [1.0] and a.grad == pytest.approx(1 - math.tanh(0.3) ** 2)


def test_an_unknown_op_without_a_closure_is_a_clear_error():
    a = Value(2.0)
    y = Value(8.0, (a,), "cube")
    with pytest.raises(ValueError, match=r"no derivative rule for op 'cube'"):
        y.backward()
    assert a.grad == 0.0
    with pytest.raises(ValueError, match="'cube'"):
        y._backward()


def test_values_take_new_attributes():
    p = Value(1.0)
    p._vis_color = "red"  # as EurekaLabs' micrograd does
    p.m, p.v = 0.0, 0.0  # as its AdamW does
    assert (p._vis_color, p.m, p.v) == ("red", 0.0, 0.0)
    q = p * 2
    q.note = "hi"
    q.backward()
    assert p.grad == 2.0 and q.note == "hi"


def test_subclasses_do_arithmetic_and_backward():
    class V2(Value):
        pass

    a, b = V2(1.0), V2(2.0)
    c = a + b
    d = 2 - a * b / 4 + c**2 - (-a).exp()
    assert isinstance(c, V2) and isinstance(d, V2)
    d.backward()
    assert a.grad == pytest.approx(-0.5 + 6.0 + math.exp(-1.0))
    assert b.grad == pytest.approx(-0.25 + 6.0)
    mixed = Value(3.0) * V2(2.0)
    mixed.backward()
    assert mixed.data == 6.0


def test_equality_is_identity_as_in_micrograd_and_agrees_with_hashing():
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b and hash(a) == hash(a)
    graph = topological_order(a * b + a)
    nodes = []
    for v in graph:
        if v not in nodes:  # micrograd code that collects nodes in a list
            nodes.append(v)
    assert len(nodes) == len(graph) == 4
    assert graph.index(a) != graph.index(b)


def test_order_comparisons_look_at_data():
    a, b = Value(1.0), Value(2.0)
    assert a < b <= 2.0 and b > a >= 1 and max([b, a]) is b and sorted([b, a]) == [a, b]


def test_the_lectures_own_topological_sort_and_trace_work_on_our_nodes():
    o = lecture_neuron()["o"]
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    assert len(topo) == 10 and topo[-1] is o
    edges = {(child, v) for v in topo for child in v._prev}
    assert len(edges) == 9
    assert {v._op for v in topo} == {"", "*", "+", "tanh"}


def test_a_plus_a_counts_both_edges():
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert b._prev == (a, a) and a.grad == 2.0


def test_repr_and_data_are_micrograds():
    v = Value(-8.0)
    assert repr(v) == "Value(data=-8.0, grad=0.0)" and type(v.data) is float


def test_an_attribute_costs_a_dict_only_on_the_nodes_that_have_one():
    plain, labelled = Value(1.0), Value(1.0, label="x")
    assert sys.getsizeof(plain) == sys.getsizeof(labelled)
    assert "label" not in plain.__dict__ and labelled.__dict__ == {"label": "x"}


# --- the differences the README lists, one test each ----------------------------------------


def test_op_names_and_parents_of_pow_sub_div_relu():
    a, b = Value(2.0), Value(3.0)
    sq = a**2
    assert sq._op == "**" and sq._prev[0] is a and sq._prev[1].data == 2.0
    assert a.relu()._op == "relu"
    assert (a - b)._op == "-" and (a - b)._prev == ((a - b)._prev[0], b)
    assert (a / b)._op == "/" and len((a / b)._prev) == 2


def test_bool_is_data_not_zero():
    assert bool(Value(0.5)) and not bool(Value(0.0))


def test_data_is_always_a_python_float():
    assert type(Value(2).data) is float and Value(2).grad == 0.0
    v = Value(1.0)
    v.data = 3
    assert type(v.data) is float


def test_tanh_is_math_tanh_and_never_overflows():
    n = Value(0.8813735870195432)
    assert n.tanh().data == math.tanh(0.8813735870195432)
    assert Value(1000.0).tanh().data == 1.0
