# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/02_backprop_step_by_step.ipynb: python notebooks/build/make_02.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "02_backprop_step_by_step.ipynb"

CELLS = [
    (
        "md",
        r"""# 02 · Backpropagation, one chain-rule step at a time

`backward()` fits in a few lines:

1. list every node of the graph so that each node comes after its inputs (a *topological order*);
2. set the output's gradient to 1;
3. visit the nodes in **reverse** order; at each node, for each of its inputs, add
   $$\underbrace{\frac{\partial L}{\partial \text{node}}}_{\text{upstream}}\;\times\;
     \underbrace{\frac{\partial\,\text{node}}{\partial\,\text{input}}}_{\text{local derivative}}$$
   into the input's gradient.

Step 3 is the chain rule. This notebook slows it down: `micrograd_plus.viz.steps` replays
`backward()` exactly — same order, same rules, same additions — and hands you one step at a
time, as a sentence, a table row, or a picture of the graph.""",
    ),
    (
        "code",
        r"""from IPython.display import display

from micrograd_plus import Value
from micrograd_plus.engine import topological_order
from micrograd_plus.viz import draw_dot
from micrograd_plus.viz.steps import explain_backward""",
    ),
    (
        "md",
        r"""## The neuron

A single neuron with two inputs computes $o = \tanh(x_1 w_1 + x_2 w_2 + b)$. We pick the
numbers of micrograd's lecture: $x_1 = 2$, $x_2 = 0$, $w_1 = -3$, $w_2 = 1$ and a bias
$b \approx 6.8814$, chosen so that $n = 0.8814$ and $o = \tanh(n) = 1/\sqrt 2 \approx 0.7071$.
Every intermediate result gets a name so the steps read well ($s$ is the weighted sum).""",
    ),
    (
        "code",
        r"""def make_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


o = make_neuron()
draw_dot(o)""",
    ),
    (
        "md",
        r"""All gradients are still 0: only the forward pass has run. Here is the order in which
`backward()` will visit the nodes (the reverse of the topological order):""",
    ),
    ("code", r"""print(" → ".join(node.label for node in reversed(topological_order(o))))"""),
    (
        "md",
        r"""## Every step as a sentence

`explain_backward(o)` records the steps without touching any `.grad`. Printing it gives one
line per addition: *gradient of the input += upstream · local = contribution*.""",
    ),
    (
        "code",
        r"""explainer = explain_backward(o)
print(explainer)""",
    ),
    (
        "md",
        r"""Read the first three lines slowly:

1. **tanh.** $\dfrac{d}{dn}\tanh n = 1 - \tanh^2 n = 1 - o^2 = 1 - 0.5 = 0.5$. The upstream
   gradient is $\partial o/\partial o = 1$, so $n$ receives $0.5$.
2. and 3. **plus** has local derivative 1 for both inputs: it *routes* the gradient
   unchanged to $s$ and to $b$.

Further down, **times** sends each input the *other* input's value: $x_1$ receives
$0.5 \cdot w_1 = -1.5$ and $w_1$ receives $0.5 \cdot x_1 = 1$. Because $x_2 = 0$, the weight
$w_2$ gets gradient 0: a weight whose input is zero cannot change the output.

The same steps as a table (`explainer.table()`; as the last line of a cell it renders as HTML):""",
    ),
    ("code", r"""print(explainer.table())"""),
    (
        "md",
        r"""## Watching the graph fill in

`explainer.draw(i)` draws the graph *after* step `i` (counted from 0): the edge the
gradient just flowed along is **red**, and nodes whose gradient is final are **green**.
Gradients not reached yet still show 0.""",
    ),
    ("code", r"""display(explainer.draw(0))"""),
    (
        "md",
        r"""After step 1 only $o$ (seeded with 1) and $n$ are done. The `+` nodes then pass $0.5$ on
to $s$, $b$, $x_1w_1$ and $x_2w_2$:""",
    ),
    ("code", r"""display(explainer.draw(4))"""),
    ("md", r"""And after the last step every gradient is known:"""),
    ("code", r"""display(explainer.draw(len(explainer) - 1))"""),
    ("md", r"""The replay is faithful: the final gradients equal those of a real `backward()`."""),
    (
        "code",
        r"""o = make_neuron()
explainer = explain_backward(o)
final = explainer.grads_after(len(explainer) - 1)
o.backward()
for node in topological_order(o):
    assert final[id(node)] == node.grad, node.label
print("the explainer and backward() agree on all", len(topological_order(o)), "nodes")""",
    ),
    (
        "md",
        r"""## Same function, finer graph, same gradients

`tanh` is one node with a one-line derivative rule. We could instead build it from smaller
pieces, $\tanh n = \dfrac{e^{2n} - 1}{e^{2n} + 1}$: more nodes, more steps, but the chain rule
must produce the very same gradients. How finely to cut the graph is a choice.""",
    ),
    (
        "code",
        r"""def make_neuron_exp():
    n = make_neuron()._prev[0]  # the pre-activation n of a fresh neuron
    e = (2 * n).exp()
    e.label = "e"
    o = (e - 1) / (e + 1)
    o.label = "o"
    return o


o_exp = make_neuron_exp()
fine = explain_backward(o_exp)
print(len(explainer), "steps with tanh as one node,", len(fine), "steps with exp and /")

o_exp.backward()
o_tanh = make_neuron()
o_tanh.backward()
tanh_leaves = {v.label: v for v in topological_order(o_tanh) if not v._prev}
exp_leaves = {v.label: v for v in topological_order(o_exp) if not v._prev and v.label}
for name, leaf in exp_leaves.items():
    print(f"{name}: grad {tanh_leaves[name].grad:+.6f} (tanh node)   {leaf.grad:+.6f} (exp and /)")
draw_dot(o_exp)""",
    ),
    (
        "md",
        r"""Note that $e$ feeds two nodes ($e - 1$ and $e + 1$): it receives two contributions, and
its gradient is their sum.

## When a node is used twice

Take $y = x \cdot x + x$ at $x = 2$. By hand $dy/dx = 2x + 1 = 5$. In the graph $x$ has three
edges (two into `*`, one into `+`), so it receives three contributions. The explainer's
`parent_done` flag tells you when the last one has arrived; until then $x$'s gradient is
only a partial sum and $x$ is not coloured green.""",
    ),
    (
        "code",
        r"""x = Value(2.0, label="x")
xx = x * x
xx.label = "xx"
y = xx + x
y.label = "y"
steps = explain_backward(y)
for step in steps:
    done = "done" if step.parent_done else "partial"
    print(f"{step}   ({step.parent_name} {done}: {step.parent_grad})")
display(steps.draw(2))""",
    ),
    (
        "md",
        r"""The drawing shows the state after the third step: $x$ holds $1$ (from the `+` edge)
$+\,2$ (first `*` edge); the red edge is the one just used. One contribution is still to come,
so $x$ is not green yet.

## Exercises

**1.** Swap the neuron's `tanh` for `sigmoid`, $\sigma(n) = 1/(1 + e^{-n})$. What local
derivative does the first step use, in terms of the output $\sigma(n)$? What is its value here?

**2.** For $y = x \cdot x + x$ at $x = -1$, predict the three contributions to $x$'s gradient
and their sum before running anything.

Answers: call `answer(1)` or `answer(2)` (defined in the collapsed cell below).""",
    ),
    (
        "code",
        r"""# Your turn
""",
    ),
    (
        "answer",
        r"""def answer(n):
    # Prints the worked answer to exercise n (1 or 2).
    if n == 1:
        pre = make_neuron()._prev[0]
        sig = pre.sigmoid()
        first = explain_backward(sig)[0]
        print("dσ/dn = σ(n)(1 - σ(n))")
        print(f"σ(n) = {sig.data:.4f}, so the local derivative is {sig.data * (1 - sig.data):.4f}")
        print("the explainer's first step:", first)
    elif n == 2:
        print("contributions: 1 from +, and x = -1 from each of the two edges of x*x")
        print("sum: 1 - 1 - 1 = -1 = 2x + 1")
        x = Value(-1.0, label="x")
        (x * x + x).backward()
        print("backward():", x.grad)
    else:
        print("there are two exercises: answer(1) or answer(2)")""",
    ),
    (
        "md",
        r"""**Next:** notebook 03 assembles neurons into layers and a multi-layer perceptron.""",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
