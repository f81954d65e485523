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

Step 3 is the chain rule. This notebook slows it down. `explain_backward` replays
`backward()` exactly — same order, same rules, same additions — and the **player** shows it
on the graph, one step at a time, with the rule and the numbers of every step. Then the
**quiz** hides each gradient until you have guessed it.""",
    ),
    (
        "code",
        r"""from IPython.display import display

from micrograd_plus import Value
from micrograd_plus.engine import topological_order
from micrograd_plus.viz import draw_dot, explain_backward""",
    ),
    (
        "md",
        r"""## The neuron

A single neuron with two inputs computes $o = \tanh(x_1 w_1 + x_2 w_2 + b)$. We pick the
numbers of micrograd's lecture: $x_1 = 2$, $x_2 = 0$, $w_1 = -3$, $w_2 = 1$ and a bias
$b \approx 6.8814$, chosen so that $n = 0.8814$ and $o = \tanh(n) = 1/\sqrt 2 \approx 0.7071$.
Every intermediate result gets a name so the steps read well ($s$ is the weighted sum,
$n$ the pre-activation). `compact=True` stacks each box's label, data and gradient, so the
graph stays narrow enough to read.""",
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
draw_dot(o, compact=True)""",
    ),
    (
        "md",
        r"""All gradients are still 0: only the forward pass has run.

## The player

`explain_backward(o)` records every step of `o.backward()` without touching any `.grad`;
`.player()` shows them on the graph. Run the cell, then use the buttons (or click the player
and use the arrow keys; space plays and pauses):

* first the **forward pass**: the inputs are known, and each step computes one node, in
  topological order — the line above the graph says how (`x1w1 = x1 · w1 = 2.0 · (-3.0) = -6.0`);
* then the **backward pass**: the output's gradient is seeded with 1, and each step sends
  gradient along one edge. The **blue** box is the node whose gradient flows back, the
  **red** edge and box are where it goes, and **green** boxes have their final gradient.
  The line shows the chain rule with the local derivative's rule and then the numbers, e.g.
  `∂o/∂n += ∂o/∂o · (1 − o²) = 1.0 · (1 − 0.7071²) = 0.5`.

(The player is a small script inside the cell's output. On a page that shows the notebook
without running it, you see only the finished graph; `save_html` below writes the same
player to a file that any browser opens.)""",
    ),
    (
        "code",
        r"""ex = explain_backward(o)
ex.player()""",
    ),
    (
        "md",
        r"""## The same steps, in print

Printing the explainer lists the backward steps, numbered as in the player
("backward step 1 of 9" is line 1). Each line reads *input's gradient += upstream ·
local derivative = numbers = contribution*.""",
    ),
    ("code", r"""print(ex)"""),
    (
        "md",
        r"""Read the first lines slowly:

1. **tanh.** $\dfrac{d}{dn}\tanh n = 1 - \tanh^2 n = 1 - o^2 = 1 - 0.5 = 0.5$. The upstream
   gradient is $\partial o/\partial o = 1$, so $n$ receives $0.5$.
2. and 3. **plus** has local derivative 1 for both inputs: it *routes* the gradient
   unchanged to $s$ and to $b$.

Further down, **times** sends each input the *other* input's value: $x_1$ receives
$0.5 \cdot w_1 = -1.5$ and $w_1$ receives $0.5 \cdot x_1 = 1$. Because $x_2 = 0$, the weight
$w_2$ gets gradient 0: a weight whose input is zero cannot change the output.

The rule in each line (`1 − o²`, `w1`, ...) is not written by hand for this notebook: it is
the printable rule stored with each operation in the library's table of primitives, with
the graph's names and then its numbers put in. `ex.step(k)` is step $k$:""",
    ),
    ("code", r"""print(ex.step(1).rule(), "|", ex.step(8))"""),
    (
        "md",
        r"""`ex.table()` gives the same steps as rows; as the last line of a cell it shows as a table:""",
    ),
    ("code", r"""ex.table()"""),
    (
        "md",
        r"""## Single frames, for notes and slides

`ex.draw(k)` draws the graph *after* step $k$, with the same numbering as the player and the
printed lines: the edge step $k$ used is **red**, nodes whose gradient is final are **green**,
gradients not reached yet still show 0. `ex.draw(0)` is the graph before the first step.
After step 1 only $o$ (seeded with 1) and $n$ are done:""",
    ),
    ("code", r"""display(ex.draw(1, compact=True))"""),
    (
        "md",
        r"""After step 5 the two `+` nodes have passed $0.5$ on to $s$, $b$, $x_1w_1$ and $x_2w_2$:""",
    ),
    ("code", r"""display(ex.draw(5, compact=True))"""),
    ("md", r"""And after the last step every gradient is known:"""),
    ("code", r"""display(ex.draw(len(ex), compact=True))"""),
    ("md", r"""The replay is faithful: the final gradients equal those of a real `backward()`."""),
    (
        "code",
        r"""o = make_neuron()
ex = explain_backward(o)
final = ex.grads_after(len(ex))
o.backward()
for node in topological_order(o):
    assert final[id(node)] == node.grad, node.label
print("the explainer and backward() agree on all", len(topological_order(o)), "nodes")""",
    ),
    (
        "md",
        r"""## Predict, then reveal: the quiz

Now you do the backward pass. `ex.quiz()` is the player in quiz mode: at each backward step
it asks what is added to an input's gradient (`∂o/∂n += ?`) and waits for your guess. Type
a number and press Enter: it says right or wrong (within 1%), shows the rule and the numbers,
and keeps score. The hint gives the upstream gradient and the local rule, if you need it.
The player above has the same quiz: tick *quiz me*.""",
    ),
    ("code", r"""explain_backward(make_neuron()).quiz()"""),
    (
        "md",
        r"""To send the player (quiz included) to someone without Python, save it: `backprop.html` is
one self-contained file — the graph, the steps and a small script, nothing fetched from the
network — that opens in any browser.""",
    ),
    (
        "code",
        r"""import os
import tempfile

path = explain_backward(make_neuron()).save_html(os.path.join(tempfile.mkdtemp(), "backprop.html"))
print(path, os.path.getsize(path) // 1024, "KB")""",
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
print(len(ex), "steps with tanh as one node,", len(fine), "steps with exp and /")

o_exp.backward()
o_tanh = make_neuron()
o_tanh.backward()
tanh_leaves = {v.label: v for v in topological_order(o_tanh) if not v._prev}
exp_leaves = {v.label: v for v in topological_order(o_exp) if not v._prev and v.label}
for name, leaf in exp_leaves.items():
    print(f"{name}: grad {tanh_leaves[name].grad:+.6f} (tanh node)   {leaf.grad:+.6f} (exp and /)")""",
    ),
    (
        "md",
        r"""This graph is long, so it is drawn top to bottom (`rankdir="TB"`): the inputs at the top,
the output at the bottom.""",
    ),
    ("code", r"""draw_dot(o_exp, rankdir="TB")"""),
    (
        "md",
        r"""Note that $e$ feeds two nodes ($e - 1$ and $e + 1$): it receives two contributions, and
its gradient is their sum. Step through `fine.player()` to watch the rule of `/` at work.

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
    print(f"{step.number}. {step}   ({step.parent_name} {done}: {step.parent_grad})")
display(steps.draw(3, compact=True))""",
    ),
    (
        "md",
        r"""The drawing shows the state after step 3: $x$ holds $1$ (from the `+` edge) $+\,2$ (the first
`*` edge); the red edge is the one step 3 used. One contribution is still to come, so $x$ is
not green yet. Try the quiz on this graph too: `steps.quiz()`.

## Summary

`backward()` visits the nodes outputs-first and, for every input of every node, adds
*upstream gradient × local derivative* into that input's gradient; the local derivative is
a small rule per operation (`1 − o²` for tanh, "the other input" for a product, 1 for a
sum). The player shows those additions one at a time, on the graph, after the forward pass
that computed the values the rules use; the quiz makes you predict each one. A node used
several times collects one contribution per use, and cutting the graph finer (tanh from
exp and division) changes the steps but not the gradients.

## Exercises

**1.** Swap the neuron's `tanh` for `sigmoid`, $\sigma(n) = 1/(1 + e^{-n})$. What local
derivative does the first step use, in terms of the output $\sigma(n)$? What is its value here?

**2.** For $y = x \cdot x + x$ at $x = -1$, predict the three contributions to $x$'s gradient
and their sum before running anything; then check yourself with the quiz
(`explain_backward(y).quiz()`).""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""$\dfrac{d\sigma}{dn} = \sigma(n)\,(1 - \sigma(n))$: like tanh, the derivative is
written with the output. Here $\sigma(0.8814) \approx 0.7071$, so the local derivative is
about $0.2071$, and that is what the explainer's step 1 uses.""",
                r"""pre = make_neuron()._prev[0]
sig = pre.sigmoid()
sig.label = "σ"
first = explain_backward(sig).step(1)
print(f"σ(n) = {sig.data:.4f}, so the local derivative is {sig.data * (1 - sig.data):.4f}")
print("the explainer's step 1:", first)
assert abs(first.local - sig.data * (1 - sig.data)) < 1e-12""",
            ),
            2: (
                r"""The `+` node sends 1; each of the two edges of `x*x` sends the *other* operand, $x = -1$.
The sum is $1 - 1 - 1 = -1 = 2x + 1$.""",
                r"""x = Value(-1.0, label="x")
y = x * x + x
y.label = "y"
for step in explain_backward(y):
    print(f"{step.number}. {step}")
y.backward()
print("backward():", x.grad)
assert x.grad == -1.0""",
            ),
        }
    ),
    nbtools.next_link(
        "03_neuron_layer_mlp.ipynb",
        "03 · A neuron, a layer, an MLP",
        "neurons assembled into layers and a multi-layer perceptron.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
