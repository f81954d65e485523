# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/10_multiclass_softmax.ipynb: python notebooks/build/make_10.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "10_multiclass_softmax.ipynb"

CELLS = [
    (
        "md",
        r"""# 10 · Multi-class classification: softmax and cross-entropy

With two classes one score was enough: its sign picked the class. With $k$ classes the
network outputs $k$ scores $z_1, \dots, z_k$ (the **logits**), one per class, and we need

1. a way to turn scores into **probabilities**: the *softmax*;
2. a loss that rewards a high probability for the right class: the *cross-entropy*;
3. their gradient, which turns out to be the simplest in all of deep learning:
   $\partial L / \partial z_j = p_j - [j = c]$.

Then we train a small MLP on three interleaved spirals and draw its decision regions.""",
    ),
    (
        "code",
        """import math

import matplotlib.pyplot as plt

from micrograd_plus import Value, data, losses, nn, optim
from micrograd_plus.train import fit
from micrograd_plus.viz import draw_dot
from micrograd_plus.viz.plots import CLASS_COLORS, plot_decision_boundary, plot_history

%matplotlib inline
plt.rcParams.update({"figure.dpi": 72})""",
    ),
    ("md", "## Softmax: from scores to probabilities"),
    (
        "md",
        r"""$$p_i = \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^k e^{z_j}}$$

Exponentials are positive and the division makes them sum to 1, so the $p_i$ form a
probability distribution; the largest logit gets the largest probability, and the
*differences* between logits set how sure the distribution is. Adding the same constant to
every logit changes nothing (it multiplies top and bottom by the same $e^{c}$), which
`losses.softmax` uses to stay safe: it subtracts the largest logit first, so `exp` never
sees a large positive number.""",
    ),
    (
        "code",
        """def show(values):
    return "[" + ", ".join(f"{v.data:.4f}" for v in values) + "]"


logits = [Value(2.0), Value(1.0), Value(0.1)]
print("softmax([2, 1, 0.1])          =", show(losses.softmax(logits)))
print("softmax([102, 101, 100.1])    =", show(losses.softmax([102.0, 101.0, 100.1])))
print("softmax([1002, 1001, 1000.1]) =", show(losses.softmax([1002.0, 1001.0, 1000.1])))
print("softmax([4, 2, 0.2])          =", show(losses.softmax([4.0, 2.0, 0.2])),
      " (twice the gaps: surer)")
try:
    math.exp(1002.0)
except OverflowError as error:
    print("math.exp(1002) on its own:", error)""",
    ),
    ("md", "## Cross-entropy: the loss"),
    (
        "md",
        r"""If the right class is $c$, the loss of one sample is the negative log of the probability
the model gave it:

$$\ell = -\log p_c = -z_c + \log \sum_j e^{z_j}.$$

A sure and right model ($p_c \to 1$) pays almost nothing; a sure and wrong one
($p_c \to 0$) pays without bound. A model that knows nothing and answers $1/k$ for every
class pays $\log k$; for 3 classes that is $\log 3 \approx 1.10$, the loss to expect
before training. `losses.cross_entropy(logits_rows, classes)` averages $\ell$ over a batch;
as in PyTorch it takes the raw logits, not probabilities, and uses the right-hand form,
which never takes the log of something that rounded to zero.

Here is the graph for one sample with three logits (right class $c = 0$), after `backward()`.
Read it top to bottom: subtract the largest logit (the node holding 2.0, used by all
three subtractions; its gradient is 0 because the shift is taken as a constant, which is
exact: a constant added to every logit changes nothing), `exp`, sum, `log`, subtract the
right class's shifted logit, and average over the batch (a sum divided by $N = 1$):""",
    ),
    (
        "code",
        """z = [Value(2.0, label="z0"), Value(1.0, label="z1"), Value(0.1, label="z2")]
loss = losses.cross_entropy([z], [0])
loss.label = "loss"
loss.backward()
draw_dot(loss, rankdir="TB")""",
    ),
    (
        "md",
        r"""## The gradient: $p - \text{onehot}(c)$

Differentiate $\ell = -z_c + \log \sum_j e^{z_j}$ with respect to one logit $z_j$: the
first term gives $-1$ if $j = c$ and $0$ otherwise; the second gives
$e^{z_j} / \sum_i e^{z_i} = p_j$. So

$$\frac{\partial \ell}{\partial z_j} = p_j - [j = c].$$

The right class is pushed up by $1 - p_c$ (a lot when the model is wrong, hardly at all
when it is sure and right); every wrong class is pushed down by its own probability. No
exponentials or logs survive: backpropagation through the whole `exp → Σ → log` chain of
the graph above must collapse to this. Let's check that it does:""",
    ),
    (
        "code",
        """p = losses.softmax([v.data for v in z])
for j, zj in enumerate(z):
    expected = p[j].data - (1.0 if j == 0 else 0.0)
    print(f"d loss / d z{j}: backward {zj.grad:+.6f}   p_j - [j = c] {expected:+.6f}")""",
    ),
    ("md", "## Three spirals"),
    (
        "md",
        r"""`data.make_spirals` winds three arms around the origin, one class per arm (labels
0, 1, 2). No line, and no pair of lines, separates them; an MLP with two hidden layers
can. The network is the same as for the moons except that the last layer has **3 units**:
`model(x)` now returns a list of three logits.""",
    ),
    (
        "code",
        """X, y = data.make_spirals(150, n_classes=3, noise=0.05, seed=0)

fig, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")
for label, color in zip(range(3), CLASS_COLORS):  # the course's class colours
    points = [x for x, c in zip(X, y) if c == label]
    ax.scatter([p[0] for p in points], [p[1] for p in points], color=color, edgecolors="k",
               s=25, label=f"class {label}")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
ax.set(xlabel="x1", ylabel="x2", title="make_spirals(150, n_classes=3)")

model = nn.MLP(2, [16, 16, 3], seed=0)
logits = model(X[0])
print(f"{len(model.parameters())} parameters; model(X[0]) = {show(logits)}")
print(f"probabilities {show(losses.softmax(logits))}, true class {y[0]}")
print(f"loss before training: {losses.cross_entropy([model(x) for x in X], y).data:.3f}"
      f"  (log 3 = {math.log(3):.3f})")""",
    ),
    (
        "md",
        r"""## Training

`fit` with `losses.cross_entropy` as the loss. For a model with several outputs, `fit`'s
accuracy takes the **argmax** of each row of logits as the prediction (the softmax does not
change which logit is largest, so there is no need to compute it). We use Adam and
**mini-batches** of 10 points: each epoch makes 15 smaller, noisier steps instead of one
big one, for the same amount of computation. `compile=True` records each batch's graph once
and replays it with NumPy: the same numbers, many times faster (notebook 13 shows
how; the class indices reach the traced loss as integers, which a trace keeps as indices,
so `cross_entropy` picks each row's logit exactly as it does eagerly).""",
    ),
    (
        "code",
        """optimizer = optim.Adam(model.parameters(), lr=0.01)
history = fit(model, losses.cross_entropy, optimizer, X, y, epochs=25, batch_size=10,
              progress=False, seed=0, compile=True)
print(history)
plot_history(history);""",
    ),
    (
        "md",
        r"""## Decision regions

`plot_decision_boundary` colours each point of a grid by the argmax of the three logits
there, and shades it by how sure the model is: the largest softmax probability, pale near
$1/3$ (a guess) and full near 1. We widen the margin around the data to see what the model
does far from it:""",
    ),
    (
        "code",
        """fig = plot_decision_boundary(model, X, y, resolution=80, margin=1.0)
fig.set_size_inches(6.5, 5)
fig.axes[0].set_title(f"decision regions, training accuracy {history.train['accuracy'][-1]:.0%}");""",
    ),
    (
        "md",
        r"""The regions follow the arms, and the shading shows where the network hesitates: along
the borders between arms (pale bands, where two logits are close) and in the middle, where
all three arms start. Far from the data the ReLU network extrapolates linearly and becomes
*very* sure (full colour): softmax probabilities say how large the logit gaps are, not how
much the model knows.""",
    ),
    (
        "md",
        r"""## Summary

With $k$ classes a network outputs $k$ logits, and the softmax turns them into
probabilities; adding a constant to every logit changes nothing, which is how it is computed
without overflow. The cross-entropy $-\log p_c$ punishes confident mistakes without bound;
`losses.cross_entropy` takes raw logits and class indices, like PyTorch. Its gradient with
respect to the logits is $p - \text{onehot}(c)$ (divided by $N$ for a batch mean):
backpropagation through `exp`, `Σ` and `log` collapses to it. The same `MLP`, `fit` and
`plot_decision_boundary` work for many classes, the prediction being the argmax of the
logits, and the model's confidence is not the same thing as its knowledge.

## Exercises

**1.** *The starting loss.* Right after `nn.MLP(2, [16, 16, 3], seed=0)` the loss was close
to $\log 3$. Why, and why not exactly? What loss would you expect with 10 classes?

**2.** *The gradient of a batch.* `cross_entropy` is a *mean* over $N$ samples. What is
$\partial L / \partial z_{ij}$ for logit $j$ of sample $i$? Check your formula against
`backward()` on two rows.

**3.** *Temperature.* Dividing the logits by a temperature $T$ before the softmax,
$\operatorname{softmax}(z / T)$, is used to make a model's answers sharper or softer. What
happens as $T \to 0$ and as $T \to \infty$?""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""An untrained network has no reason to prefer the right class: its logits are small and
random, its softmax is spread over the $k$ classes, about $1/k$ each, and $-\log(1/k) =
\log k$: $\log 10 \approx 2.30$ for 10 classes. Not exactly, because the random logits are
not equal, and a distribution that leans towards a wrong class costs more than $\log k$; the
code measures it on an untrained 10-output network.""",
                r"""ten = nn.MLP(2, [16, 16, 10], seed=0)
start = losses.cross_entropy([ten(x) for x in X], [c % 10 for c in y]).data
print(f"log 10 = {math.log(10):.4f}; untrained 10-class network: {start:.4f}")
assert abs(start - math.log(10)) < 0.5""",
            ),
            2: (
                r"""$\partial L/\partial z_{ij} = (p_{ij} - [j = c_i]) / N$: each sample's gradient, divided by
the batch size, because the loss is the mean of the samples' losses.""",
                r"""rows = [[Value(0.5), Value(-1.0), Value(2.0)], [Value(0.0), Value(0.3), Value(-0.2)]]
classes = [2, 0]
losses.cross_entropy(rows, classes).backward()
for i, (row, c) in enumerate(zip(rows, classes)):
    p = losses.softmax([v.data for v in row])
    formula = [(p[j].data - (j == c)) / len(rows) for j in range(3)]
    print(f"sample {i}: backward {[round(v.grad, 6) for v in row]}")
    print(f"          formula  {[round(g, 6) for g in formula]}")
    assert all(abs(v.grad - g) < 1e-12 for v, g in zip(row, formula))""",
            ),
            3: (
                r"""As $T \to 0$ the gaps between the scaled logits grow without bound and all the
probability goes to the largest logit (the softmax becomes an argmax, a one-hot vector). As
$T \to \infty$ the gaps vanish and the distribution becomes uniform, $1/3$ each.""",
                r"""z3 = [2.0, 1.0, 0.1]
print("   T    softmax(z / T)")
table = {}
for T in [0.1, 0.5, 1.0, 2.0, 10.0, 100.0]:
    table[T] = losses.softmax([v / T for v in z3])
    print(f"{T:5}   {show(table[T])}")
assert table[0.1][0].data > 0.9999 and all(abs(p.data - 1 / 3) < 0.01 for p in table[100.0])""",
            ),
        }
    ),
    nbtools.next_link(
        "11_debugging_training.ipynb",
        "11 · Debugging a training run",
        "a checklist, run on networks that are broken on purpose.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
