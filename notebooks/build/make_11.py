# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/11_debugging_training.ipynb: python notebooks/build/make_11.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "11_debugging_training.ipynb"

CELLS = [
    (
        "md",
        r"""# 11 · Debugging a training run

A training run that does not work rarely says why: the loss sits still, or jumps, or turns
into `nan`. Debugging it is a matter of checking the likely causes in a sensible order,
cheapest and most common first. Practitioners agree on the start: **tune the learning rate
first, then the batch size**, and only then suspect anything subtle. This notebook is a
checklist, run on networks that are broken on purpose:

| # | check | what a failure looks like | tool |
|---|---|---|---|
| 1 | the loss at the start | far from $\log k$ (classification with $k$ classes) | one forward pass |
| 2 | overfit a tiny batch | the loss on 5 points does not go to ~0 | `fit` on `X[:5]` |
| 3 | the learning rate | the loss explodes, jumps, or barely moves | a sweep over factors of 10 |
| 4 | the batch size | noisy curves, or a lr that worked stops working | notebook 06 |
| 5 | dead units | a layer whose ReLUs are off for every input | the activations |
| 6 | gradients per layer | vanishing or exploding norms | `plot_grad_flow` |
| 7 | a `nan` | the loss or a weight becomes `nan` | `detect_anomaly()` |
| 8 | a hand-written gradient | training goes the wrong way | `gradcheck` |
| 9 | the inputs | features on very different scales | `data.Standardizer` (notebook 04) |

The patient, unless said otherwise: notebook 05's two moons, an MLP 2-16-16-1 and the binary
cross-entropy on its logit.""",
    ),
    (
        "code",
        """%matplotlib inline
import math

import matplotlib.pyplot as plt

from micrograd_plus import Value, data, detect_anomaly, gradcheck, losses, nn, optim, sum_values
from micrograd_plus.train import evaluate, fit
from micrograd_plus.viz.plots import CLASS_COLORS, plot_grad_flow

plt.rcParams.update({"figure.dpi": 72})

X, y = data.make_moons(100, noise=0.1, seed=0)
loss_fn = losses.binary_cross_entropy_with_logits


def train(lr, epochs=30, model=None, **options):
    model = model or nn.MLP(2, [16, 16, 1], seed=0)
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=lr), X, y, epochs=epochs,
                  progress=False, compile=True, **options)
    return model, history""",
    ),
    (
        "md",
        r"""## 1. The loss at the start

Before training, a classifier knows nothing, and its loss should say so: an unsure model
puts probability about $1/k$ on every class and pays $-\log(1/k) = \log k$. For two classes
that is $\log 2 \approx 0.693$. A start far above it means the initial outputs are too large
and confidently wrong (weights too big, a missing normalisation); a start far below it means
the model sees the answer somehow (a leak from the labels into the inputs).""",
    ),
    (
        "code",
        """model = nn.MLP(2, [16, 16, 1], seed=0)
start = evaluate(model, loss_fn, X, y)["loss"]
print(f"loss at the start {start:.3f}, log 2 = {math.log(2):.3f}")

too_big = nn.MLP(2, [16] * 8 + [1], seed=0)  # 8 layers of micrograd's uniform init
print(f"a deep net with uniform init starts at {evaluate(too_big, loss_fn, X, y)['loss']:.1f}: "
      "its scores are far too large (notebook 08)")""",
    ),
    (
        "md",
        r"""## 2. Overfit a tiny batch

A network with hundreds of parameters must be able to memorise five points. If the loss on
five points does not go to nearly zero, no learning rate will fix the full run: the bug is
in the model, the loss, or the way the two are connected (labels in the wrong format, a
loss that expects probabilities given logits, an output layer with a ReLU...).
Here is a healthy net next to one with such a bug: its last layer ends in a ReLU, so its
score can never be negative and the class-0 points can never be right.""",
    ),
    (
        "code",
        """tiny_X, tiny_y = X[:5], y[:5]
healthy = nn.MLP(2, [16, 16, 1], seed=0)
broken = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Linear(16, 1, seed=1), nn.ReLU())
for name, net in [("healthy", healthy), ("last layer ReLU", broken)]:
    history = fit(net, loss_fn, optim.Adam(net.parameters(), lr=0.05), tiny_X, tiny_y,
                  epochs=100, progress=False, compile=True)
    print(f"{name:16s} loss on 5 points after 100 epochs: {history.train['loss'][-1]:.4f}")
print("labels of the five points:", tiny_y)""",
    ),
    (
        "md",
        r"""The healthy net memorises the five points; the broken one is stuck above
$\log 2$: for a class-0 point its best score is 0, probability 1/2.

## 3. The learning rate first

The most common problem by far. Try a few values a factor of 10 apart for a few epochs and
look at the loss curves: too small barely moves, too large jumps or explodes.""",
    ),
    (
        "code",
        """fig, (ax, ax_zoom) = plt.subplots(1, 2, figsize=(13, 4), layout="constrained")
sweep = {}
for lr, color in zip([0.01, 0.1, 1.0, 10.0], CLASS_COLORS):
    sweep[lr] = train(lr)
    for axis in (ax, ax_zoom):
        axis.plot(sweep[lr][1].epochs, sweep[lr][1].train["loss"], "o-", ms=3, color=color,
                  label=f"lr {lr}")
ax.set(xlabel="epoch", ylabel="loss (log scale)", yscale="log", title="a learning-rate sweep")
ax_zoom.set(xlabel="epoch", ylabel="loss", ylim=(0, 1.2), title="the same, losses below 1.2")
ax_zoom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
for axis in (ax, ax_zoom):
    axis.grid(alpha=0.3, which="both")
for lr, (model, history) in sweep.items():
    print(f"lr {lr:5}: loss {history.train['loss'][0]:.3f} -> {history.train['loss'][-1]:.3g}, "
          f"largest {max(history.train['loss']):.3g}, accuracy {history.train['accuracy'][-1]:.0%}")""",
    ),
    (
        "md",
        r"""$\eta = 0.01$ barely moves in 30 epochs, $\eta = 0.1$ and $1$ learn (1 fastest, see the
zoomed panel), and $\eta = 10$ explodes over its first six epochs, to a loss of about
$10^{16}$, then sits still at a loss near 1 with 50% accuracy. Pick the largest rate that learns smoothly, here about 1.

## 4. The batch size

Second in line. Curves that are too noisy to read, or a loss that keeps jittering at the
end, call for larger batches or a decaying learning rate; a run that is smooth but slow per
epoch may do better with smaller ones. The two go together: the best learning rate grows
with the batch size (notebook 06), so after changing one, sweep the other again.

## 5. Dead units

Why does the $\eta = 10$ net sit still? One huge step pushed the input of many ReLUs below
zero for *every* training point. A unit that is off for all inputs outputs 0 and passes no
gradient back, so nothing can switch it on again: it is **dead**. Counting them takes one
forward pass per layer:""",
    ),
    (
        "code",
        """def dead_units(model, X):
    \"\"\"For each hidden layer: how many of its units output 0 for every input in X.\"\"\"
    batch, counts = [list(x) for x in X], []
    for layer in model.layers[:-1]:
        batch = [[v.data for v in layer.outputs(x)] for x in batch]
        counts.append(sum(all(row[j] <= 0.0 for row in batch) for j in range(len(batch[0]))))
    return counts


for lr, (model, history) in sweep.items():
    print(f"lr {lr:5}: dead units per hidden layer (of 16): {dead_units(model, X)}")""",
    ),
    (
        "md",
        r"""A few units that never fire are normal (the healthy runs have up to 4 of 16). At $\eta = 10$ most of the first layer and all of
the second are dead: the network outputs one constant score. The cures: a smaller learning
rate, an initialisation that keeps the signal's size (`init="he"`), or an activation that
is never flat (`activation="leaky_relu"`, whose slope is 0.01 below zero).

## 6. Gradients per layer, and exploding gradients

`fit` records the gradient norm of each layer at every epoch. `plot_grad_flow(history)`
draws them (a heatmap, one row per layer, for more than four layers). Notebook 08 has the
full story; here is the case to recognise, a deep net (12 hidden layers) whose gradients
explode at the start because its initialisation is too large, with and without
`fit(..., clip_grad_norm=1.0)`. One colour scale for both panels, so colours compare.""",
    ),
    (
        "code",
        """deep = {}
for name, clip in [("no clipping", None), ("clip_grad_norm=1.0", 1.0)]:
    net = nn.MLP(2, [16] * 12 + [1], seed=0)
    deep[name] = train(0.05, epochs=15, model=net, clip_grad_norm=clip)

fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
for ax, (name, (net, history)) in zip(axes, deep.items()):
    names = {group: f"layer {k}" for k, group in enumerate(history.grad_norms, start=1)}
    plot_grad_flow(history, ax=ax, layers=names, vmin=1e-3, vmax=1e3)
    ax.set_title(f"{name}: final loss {history.train['loss'][-1]:.3g}")""",
    ),
    (
        "md",
        r"""Unclipped, the first gradients are in the hundreds and the first steps throw the weights
so far that the network dies: from epoch 12 on its first six layers get no gradient at all
(white: a norm of 0 has no place on a log scale) and the loss is stuck at $\log 2$.
Clipped, every step is at most $\eta \cdot 1$ long and the loss keeps falling. Clipping is a safety net; the cure for *this* net is `init="he"`.

## 7. A `nan`: find where it was born

A `nan` spreads: once one number is `nan`, everything computed from it is too, and by the
time the loss prints `nan` the cause is long gone. Here is a hand-written cross-entropy
that forgets the softmax's shift (notebook 10). With logits in the hundreds, `exp`
overflows to `inf`, and $\infty/\infty$ is `nan`:""",
    ),
    (
        "code",
        """def naive_cross_entropy(logits, c):
    exps = [z.exp() for z in logits]
    return -(exps[c] / sum_values(exps)).log()


big = [Value(800.0, label="z0"), Value(790.0, label="z1"), Value(0.0, label="z2")]
print("without detect_anomaly, the naive loss is", naive_cross_entropy(big, 0).data)
try:
    with detect_anomaly():
        naive_cross_entropy(big, 0)
except Exception as error:
    print(f"detect_anomaly: {type(error).__name__}: {error}")
print("losses.cross_entropy:", losses.cross_entropy([big], [0]).data)""",
    ),
    (
        "md",
        r"""Without help, all we get is a `nan` at the end: `log` passed on the `nan` it was handed,
and nothing says where it was born (in a longer computation it could be far from the end).
Inside `detect_anomaly()` the engine checks every result, forward and backward, and raises
at the first `nan`, naming the operation and its inputs: here the division, with $\infty$
on both sides. The fix is the one `losses.cross_entropy` uses: subtract the largest
logit first; its answer, $\log(1 + e^{-10}) \approx 4.5 \cdot 10^{-5}$, is right. The check
costs time, so switch it on only while hunting.

## 8. A hand-written gradient: `gradcheck`

micrograd lets you add an operation with its own backward rule, as a closure in `_backward`.
A wrong rule does not crash: training just goes the wrong way, slowly. Here is *softplus*,
$\log(1 + e^x)$, whose derivative is the sigmoid $1/(1 + e^{-x})$, written with a sign
error, and `gradcheck` comparing `backward()` with finite differences:""",
    ),
    (
        "code",
        """def softplus_buggy(x):
    out = Value(math.log1p(math.exp(x.data)), (x,), "softplus")

    def _backward():
        x.grad += out.grad / (1 + math.exp(x.data))  # wrong: this is sigmoid(-x)

    out._backward = _backward
    return out


def softplus(x):
    out = Value(math.log1p(math.exp(x.data)), (x,), "softplus")

    def _backward():
        x.grad += out.grad / (1 + math.exp(-x.data))  # sigmoid(x)

    out._backward = _backward
    return out


try:
    gradcheck(lambda a: softplus_buggy(a) * a, [0.7])
except AssertionError as error:
    print("buggy softplus:", error)
print("fixed softplus passes:", gradcheck(lambda a: softplus(a) * a, [0.7]))""",
    ),
    (
        "md",
        r"""`gradcheck` reports the input, the gradient from `backward()`, the one from central
differences and their difference. Check every new operation this way, at a few inputs,
before training with it (the library's own operations are checked like this in its tests).

## Summary

Debug a training run from the cheapest check to the most expensive: the starting loss
(about $\log k$), then whether the model can memorise a tiny batch, then the learning rate
(a sweep over factors of 10) and the batch size; most runs are fixed by then. When they are
not, look inside: dead ReLUs (a unit off for every input never recovers), the gradient norm
of every layer with `plot_grad_flow` (vanishing and exploding gradients, cured by
initialisation and batch norm, contained by `clip_grad_norm`), `detect_anomaly()` to find
the operation where a `nan` is born, and `gradcheck` for every hand-written backward rule.
And normalise the inputs before any of it (notebook 04).

## Exercises

**1.** Can the dead $\eta = 10$ network of section 3 be revived by training it on at a good
learning rate, $\eta = 1$, for 30 more epochs? Count its dead units before and after.

**2.** The broken net of section 2 ends in a ReLU. Remove the last `nn.ReLU()` and check that
it memorises the five points.

**3.** `gradcheck` the fixed `softplus` at $x = -3, 0, 3$, then write its derivative with
`Value` operations instead of a closure (`x.exp()`, `log`) and let `backward()` do it.""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""No. A dead unit gets no gradient, whatever the learning rate, so it stays dead: the
counts do not change. With its whole second layer dead the network's output is a constant,
and the only parameter still learning is the last bias, which can at best bring the loss
down to $\log 2 \approx 0.693$, a coin toss. A dead network has to be trained again from a
fresh start (or built with `activation="leaky_relu"`, whose units are never flat).""",
                r"""dead_net = sweep[10.0][0]
before = dead_units(dead_net, X)
_, more = train(1.0, model=dead_net)
after = dead_units(dead_net, X)
print(f"dead units before {before}, after 30 more epochs at lr 1: {after}")
print(f"loss after 30 more epochs: {more.train['loss'][-1]:.3f} (log 2 = {math.log(2):.3f})")
assert after == before and more.train["loss"][-1] > math.log(2) - 1e-3""",
            ),
            2: (
                r"""Without the final ReLU the score can be negative, the class-0 points can be right, and
the loss on the five points goes to nearly zero, like the healthy MLP's.""",
                r"""fixed = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Linear(16, 1, seed=1))
history = fit(fixed, loss_fn, optim.Adam(fixed.parameters(), lr=0.05), tiny_X, tiny_y,
              epochs=100, progress=False, compile=True)
print(f"loss on 5 points: {history.train['loss'][-1]:.4f}")
assert history.train["loss"][-1] < 0.05""",
            ),
            3: (
                r"""The fixed rule passes at every input. Written with `Value` operations,
$\operatorname{softplus}(x) = \log(1 + e^x)$ needs no hand-written rule at all: `backward()`
derives it from `exp` and `log`, and agrees with the closure version.""",
                r"""for x0 in [-3.0, 0.0, 3.0]:
    assert gradcheck(softplus, [x0])
    a, b = Value(x0), Value(x0)
    softplus(a).backward()
    (1 + b.exp()).log().backward()
    print(f"x = {x0:+.0f}: closure {a.grad:.6f}, Value operations {b.grad:.6f}")
    assert abs(a.grad - b.grad) < 1e-12""",
            ),
        }
    ),
    nbtools.next_link(
        "12_second_derivatives.ipynb",
        "12 · Second derivatives: gradients of gradients",
        "differentiating the gradient itself, and Newton's method.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
