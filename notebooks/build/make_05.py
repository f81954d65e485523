# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/05_training_on_two_moons.ipynb: python notebooks/build/make_05.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "05_training_on_two_moons.ipynb"

CELLS = [
    (
        "md",
        r"""# 05 · Training on two moons

Notebooks 01–03 computed gradients. Now we use them: **training** is nothing more than
repeating three steps until the network is good enough,

1. **forward**: run the data through the network and measure how wrong it is with a
   single number, the **loss** $L$;
2. **backward**: `loss.backward()` fills `w.grad` $= \partial L / \partial w$ for every parameter $w$;
3. **update**: nudge every parameter a little way downhill,
   $$w \leftarrow w - \eta\, \frac{\partial L}{\partial w}$$
   where $\eta$ is the *learning rate* (`lr` in code; in the loop below, `p.data -= lr * p.grad`).

We reproduce the demo that ends Karpathy's micrograd (a 2-16-16-1 MLP on the two-moons
data, hinge loss, plain gradient descent on the full batch with a decaying learning rate,
which micrograd calls SGD) with the loop written out by hand, watch the decision boundary
form, and then let `train.fit` run the same loop for us.""",
    ),
    (
        "code",
        """import random

import matplotlib.pyplot as plt

from micrograd_plus import Value, data, losses, nn, no_grad, optim, sum_values
from micrograd_plus.optim.lr_scheduler import LinearLR
from micrograd_plus.train import fit
from micrograd_plus.viz import draw_dot
from micrograd_plus.viz.live import LivePlot
from micrograd_plus.viz.plots import CLASS_COLORS, plot_decision_boundary, plot_history

%matplotlib inline
plt.rcParams.update({"figure.dpi": 72})""",
    ),
    ("md", "## The data"),
    (
        "md",
        r"""100 points in two interleaving half-moons, with a little Gaussian noise. No straight line
separates them, so a single neuron cannot do it: the network has to bend its boundary.
`make_moons` gives labels 0 and 1 (as scikit-learn does); the hinge loss below wants
$y \in \{-1, +1\}$.""",
    ),
    (
        "code",
        """X, labels = data.make_moons(100, noise=0.1, seed=0)
y = [2 * label - 1 for label in labels]  # 0/1 -> -1/+1

fig, ax = plt.subplots(figsize=(5.5, 4))
for label, color in zip([-1, 1], CLASS_COLORS):  # the course's class colours, as in every plot
    points = [x for x, yi in zip(X, y) if yi == label]
    ax.scatter([p[0] for p in points], [p[1] for p in points], color=color, edgecolors="k",
               s=25, label=f"class {label}")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
ax.set(xlabel="x1", ylabel="x2", title="make_moons(100, noise=0.1)");""",
    ),
    ("md", "## The model"),
    (
        "md",
        r"""Exactly micrograd's: two hidden layers of 16 ReLU neurons and one linear output
neuron whose value $s(x)$ is a **score**: $s > 0$ means class $+1$, $s < 0$ class $-1$.
`nn.MLP` draws its initial weights from Python's `random` module like micrograd does, so
`random.seed(1337)` gives the same starting network as micrograd's demo.""",
    ),
    (
        "code",
        """random.seed(1337)
model = nn.MLP(2, [16, 16, 1])
print(model)
print("number of parameters:", len(model.parameters()))""",
    ),
    ("md", "## The loss: how wrong is the network?"),
    (
        "md",
        r"""The demo uses the **hinge loss** of a support-vector machine, plus a small
**L2 penalty** on the weights:

$$L = \underbrace{\frac1N \sum_{i=1}^{N} \max\bigl(0,\; 1 - y_i\, s(x_i)\bigr)}_{\text{data loss}}
\;+\; \underbrace{\alpha \sum_p p^2}_{\text{regularisation}}, \qquad \alpha = 10^{-4}.$$

Read the data term one point at a time. $y_i s(x_i)$ is the *margin*: positive when the
point is on the right side. A point with margin $\ge 1$ is right *and* confident and costs
nothing; any other point costs $1 - \text{margin}$, more the more wrong it is. $\max(0, \cdot)$ is
just a ReLU, so the whole loss is built from operations `Value` already knows. The penalty
keeps the weights small, which tends to give smoother boundaries (notebook 09 is about it).

Accuracy (the fraction of points with the right sign) is what we care about, but it is
flat almost everywhere (changing a weight slightly rarely flips a prediction), so it
has no useful gradient. The loss is a smooth-enough stand-in that does.""",
    ),
    (
        "code",
        """ALPHA = 1e-4


def loss_and_accuracy(model):
    scores = [model(x) for x in X]
    margins = [yi * si for yi, si in zip(y, scores)]
    data_loss = sum_values([(1 - m).relu() for m in margins]) / len(X)
    penalty = ALPHA * sum_values([p * p for p in model.parameters()])
    accuracy = sum(m.data > 0 for m in margins) / len(X)
    return data_loss + penalty, accuracy


loss, accuracy = loss_and_accuracy(model)
print(f"before training: loss {loss.data:.4f}, accuracy {accuracy:.0%}")""",
    ),
    (
        "md",
        r"""That loss is one `Value` at the top of a graph of many thousand nodes (every
multiplication of every neuron for every one of the 100 points). To see what one piece
looks like, here is the hinge term of a single point pushed through a single neuron,
after `backward()`:""",
    ),
    (
        "code",
        """neuron = nn.Neuron(2, nonlin=False, seed=3)
neuron.w[0].label, neuron.w[1].label, neuron.b.label = "w1", "w2", "b"
x1, x2, label = Value(X[0][0], label="x1"), Value(X[0][1], label="x2"), Value(y[0], label="y")
score = neuron([x1, x2])
score.label = "s"
hinge = (1 - label * score).relu()
hinge.label = "hinge"
hinge.backward()
draw_dot(hinge, rankdir="TB")""",
    ),
    (
        "md",
        r"""Follow the gradient from the right: the ReLU passes $1$ back because the point is
inside the margin; the factor $-y$ flips it; and each weight receives its input times
that: $\partial\,\text{hinge}/\partial w_j = -y\, x_j$. A point outside the margin would
send back zero and leave the weights alone: only the hard points teach.""",
    ),
    ("md", "## One step by hand"),
    (
        "md",
        r"""Backward, then $w \leftarrow w - \eta\, \partial L/\partial w$ for all 337 parameters. Two
things to remember: gradients **accumulate** in `.grad`, so they are reset to zero first
(`model.zero_grad()`), and the update changes `p.data` only (it must not be recorded in
the graph).

How big a step? The gradient is a *local* promise: to first order, moving every
parameter by $-\eta\, g_p$ changes the loss by
$$\Delta L \approx \sum_p g_p \cdot (-\eta\, g_p) = -\eta \sum_p g_p^2 ,$$
always downhill. Let's test the promise for a few step sizes, undoing each step after
measuring it (the forward passes run under `no_grad()`, since we only need the number):""",
    ),
    (
        "code",
        """loss, _ = loss_and_accuracy(model)
model.zero_grad()
loss.backward()
squared_gradient = sum(p.grad**2 for p in model.parameters())

print(" lr     predicted loss   actual loss")
for learning_rate in [0.01, 0.1, 0.3, 1.0]:
    for p in model.parameters():
        p.data -= learning_rate * p.grad  # the update
    with no_grad():
        new_loss, _ = loss_and_accuracy(model)
    for p in model.parameters():
        p.data += learning_rate * p.grad  # undo it
    predicted = loss.data - learning_rate * squared_gradient
    print(f"{learning_rate:5}  {predicted:14.4f}  {new_loss.data:12.4f}")""",
    ),
    (
        "md",
        r"""Small steps do what the gradient promised. Larger ones fall short of the promise,
because the loss surface curves away from its tangent, and the largest step even
*raises* the loss: the gradient says which way is downhill here, not how far downhill
goes on. Yet micrograd's demo starts at $\eta = 1$, and it works: after an overshoot the
next gradient points back, and the learning rate shrinks as training goes on.""",
    ),
    ("md", "## The training loop"),
    (
        "md",
        r"""Now repeat that. micrograd's demo lowers the learning rate linearly from 1.0 to 0.1
while it trains: big steps first to get near a good solution quickly, small ones later to
settle in (notebook 07 has more on schedules). We run 50 steps and draw the decision
boundary (`plot_decision_boundary`: the class the network gives to every point of a grid,
the colour pale where the network is unsure and full where it is sure; for a score $s$ the
confidence shown is $\sigma(s)$) at a few of them.""",
    ),
    (
        "code",
        """random.seed(1337)
model = nn.MLP(2, [16, 16, 1])  # start again from micrograd's initial weights

STEPS = 50
SNAPSHOTS = [0, 5, 15, STEPS]
manual_losses, manual_accuracy = [], []
fig, axes = plt.subplots(1, len(SNAPSHOTS), figsize=(17, 4), layout="constrained")
for step in range(STEPS + 1):
    if step in SNAPSHOTS:
        ax = axes[SNAPSHOTS.index(step)]
        plot_decision_boundary(model, X, y, ax=ax, resolution=50, legend=step == STEPS)
        ax.set_title(f"after {step} steps")
    if step == STEPS:
        break
    loss, accuracy = loss_and_accuracy(model)  # 1. forward
    model.zero_grad()
    loss.backward()  # 2. backward
    learning_rate = 1.0 - 0.9 * step / STEPS
    for p in model.parameters():  # 3. update
        p.data -= learning_rate * p.grad
    manual_losses.append(loss.data)
    manual_accuracy.append(accuracy)
    if step % 10 == 0 or step == STEPS - 1:
        print(f"step {step:2d}  lr {learning_rate:.3f}  loss {loss.data:.4f}  "
              f"accuracy {accuracy:.0%}")
""",
    ),
    (
        "md",
        r"""Before training, the random network gives every point of the picture the same class.
A handful of steps already find the rough direction of the moons; the next ones bend
the boundary into the gap between them, and the last, smaller steps tidy up the
points near the tips. The loss printed every ten steps falls steadily, but look at every
step in the curve below: early on, with $\eta$ close to 1, it rises now and then, when a
step overshoots; the decaying learning rate calms that down.""",
    ),
    (
        "code",
        """fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.5))
ax_loss.plot(range(1, STEPS + 1), manual_losses, marker=".", color=CLASS_COLORS[0])
ax_loss.set(xlabel="step", ylabel="loss", title="loss (hinge + L2)", yscale="log")
ax_acc.plot(range(1, STEPS + 1), manual_accuracy, marker=".", color=CLASS_COLORS[1])
ax_acc.set(xlabel="step", ylabel="accuracy", title="training accuracy")
for ax in (ax_loss, ax_acc):
    ax.grid(alpha=0.3)
fig.tight_layout()""",
    ),
    ("md", "## The same thing with `fit`"),
    (
        "md",
        r"""Every training loop looks like the one above, so `micrograd_plus.train.fit` packages it:
it takes the model, a loss function `loss_fn(outputs, targets)`, an optimizer, the data
and a number of epochs (one epoch = one pass over the data; with the default
`batch_size=None` that is one step on the full batch, exactly like our loop). It returns
a `History` with the loss, the metrics and the learning rate of every epoch.

The pieces map one to one:

| by hand | with the library |
|---|---|
| `p.data -= learning_rate * p.grad` | `optim.SGD(model.parameters(), lr=1.0)` (plain gradient descent here: every step sees all 100 points; notebook 06 makes it stochastic) |
| `learning_rate = 1.0 - 0.9 * step / STEPS` | `LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=STEPS)` |
| mean of `(1 - y*s).relu()` | `losses.hinge_loss(scores, y)` |
| `ALPHA * sum(p*p)` | `ALPHA * losses.l2_penalty(model)` |

`compile=True` asks `fit` to record the graph once and replay forward and backward with
NumPy, which gives the same numbers in less time (notebook 13 looks inside); it is
optional. If the library does what our loop does, starting from the same weights must end
at the same weights:""",
    ),
    (
        "code",
        """random.seed(1337)
fit_model = nn.MLP(2, [16, 16, 1])


def hinge_plus_l2(scores, targets):
    return losses.hinge_loss(scores, targets) + ALPHA * losses.l2_penalty(fit_model)


optimizer = optim.SGD(fit_model.parameters(), lr=1.0)
scheduler = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=STEPS)
history = fit(fit_model, hinge_plus_l2, optimizer, X, y, epochs=STEPS, scheduler=scheduler,
              progress=False, compile=True)

pairs = zip(model.parameters(), fit_model.parameters())
largest_difference = max(abs(a.data - b.data) for a, b in pairs)
print(history)
print(f"largest difference between the weights of the two runs: {largest_difference:.1e}")
print(f"learning rates used: {history.lr[0]:.3f}, {history.lr[1]:.3f}, ..., {history.lr[-1]:.3f}")""",
    ),
    (
        "md",
        r"""The two runs agree to rounding error (about $10^{-15}$). `plot_history` draws what `fit`
recorded (we had no validation data here; notebook 09 adds some), and the final boundary:""",
    ),
    (
        "code",
        """fig, axes = plt.subplots(1, 3, figsize=(16, 4), layout="constrained",
                         gridspec_kw={"width_ratios": [1, 1, 1.3]})
plot_history(history, ax=axes[:2], logy=False)
plot_decision_boundary(fit_model, X, y, ax=axes[2], resolution=50)
axes[2].set_title(f"fit: after {STEPS} epochs, accuracy {history.train['accuracy'][-1]:.0%}")""",
    ),
    (
        "md",
        r"""### Watching training as it happens

`plot_history` draws the curves once `fit` has returned. A `LivePlot` callback draws them while
`fit` runs: every `every` epochs it redraws the loss and accuracy curves and, when given the
2-D data, the decision boundary, in place in the cell below (no widget extension needed; in a
script, `path="live.png"` writes the same picture to a file). Run the cell and watch the
boundary bend around the moons; the stored notebook shows the last picture.""",
    ),
    (
        "code",
        """random.seed(1337)
live_model = nn.MLP(2, [16, 16, 1])


def live_loss(scores, targets):
    return losses.hinge_loss(scores, targets) + ALPHA * losses.l2_penalty(live_model)


live = LivePlot(every=10, data=(X, y))
fit(live_model, live_loss, optim.SGD(live_model.parameters(), lr=1.0), X, y, epochs=STEPS,
    progress=False, compile=True, callbacks=[live])
print(f"LivePlot redrew the picture {live.updates} times")""",
    ),
    (
        "md",
        r"""## Summary

Training repeats three steps: a forward pass that measures how wrong the network is with
one number, the loss; `zero_grad()` and `backward()`, which give every parameter its
gradient; and the update $w \leftarrow w - \eta\,\partial L/\partial w$. The loss must say
*how* wrong the model is, smoothly enough to have a useful gradient: accuracy does not, the
hinge loss does, and only points inside the margin send gradient back. A step follows the
gradient's local promise only if it is small, which is why micrograd's demo starts at
$\eta = 1$ and lowers it as training goes on. `fit` runs exactly this loop (the same weights
to rounding) with an optimizer, a scheduler, metrics and a history, and `plot_history` and
`plot_decision_boundary` show what it did.

## Exercises

**1.** *Weight decay is an L2 penalty.* The gradient of $\alpha \sum p^2$ is $2\alpha p$, so
instead of adding the penalty to the loss you can ask the optimizer to add $2\alpha p$ to
each gradient: `optim.SGD(params, lr=1.0, weight_decay=2 * ALPHA)`. Train with
`losses.hinge_loss` alone plus that optimizer and check that you get the same weights as
`fit_model`.

**2.** *Why decay the learning rate?* Run the hand-written loop with a constant learning
rate of 1.0 and compare the loss curves.

**3.** *Which points teach?* After training, how many points still have a margin below 1
(that is, still send a gradient back through the hinge)?""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""With `weight_decay=2 * ALPHA` the optimizer adds $2\alpha p$ to every gradient, which is
exactly the gradient of the penalty, so the weights end up the same as `fit_model`'s to
rounding. The *reported* loss differs, though: with `weight_decay` the penalty is no longer
part of the loss.""",
                r"""random.seed(1337)
net = nn.MLP(2, [16, 16, 1])
opt = optim.SGD(net.parameters(), lr=1.0, weight_decay=2 * ALPHA)
sched = LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=STEPS)
fit(net, losses.hinge_loss, opt, X, y, epochs=STEPS, scheduler=sched, progress=False,
    compile=True)
diff = max(abs(a.data - b.data) for a, b in zip(net.parameters(), fit_model.parameters()))
print(f"largest weight difference to fit_model: {diff:.1e}")
assert diff < 1e-9""",
            ),
            2: (
                r"""With a constant $\eta = 1$ the loss keeps jumping up and down to the end, and it ends
higher than with micrograd's decaying rate: the big steps that help at the start keep
overshooting once the network is close to a good solution.""",
                r"""random.seed(1337)  # the loop above with lr = 1.0 throughout, run by fit (faster)
net = nn.MLP(2, [16, 16, 1])


def penalised(scores, targets):
    return losses.hinge_loss(scores, targets) + ALPHA * losses.l2_penalty(net)


constant = fit(net, penalised, optim.SGD(net.parameters(), lr=1.0), X, y, epochs=STEPS,
               progress=False, compile=True).train["loss"]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(range(1, STEPS + 1), manual_losses, label="lr 1.0 -> 0.1 (micrograd)", color=CLASS_COLORS[0])
ax.plot(range(1, STEPS + 1), constant, label="constant lr 1.0", color=CLASS_COLORS[1])
ax.set(xlabel="step", ylabel="loss", yscale="log", title="decaying vs constant learning rate")
ax.legend()
plt.show()
ups = sum(b > a for a, b in zip(constant[-20:], constant[-19:]))
print(f"final loss: decaying {manual_losses[-1]:.4f}, constant {constant[-1]:.4f}; "
      f"the constant run's loss rose in {ups} of its last 19 steps")
assert constant[-1] > manual_losses[-1] and ups > 0""",
            ),
            3: (
                r"""Count the points whose margin $y_i\,s(x_i)$ is still below 1 for the trained `model`: only
they send a gradient back through the hinge; all the others contribute exactly zero.""",
                r"""scores = [model(x).data for x in X]
inside = sum(yi * si < 1 for yi, si in zip(y, scores))
print(f"{inside} of {len(X)} points are inside the margin; the other {len(X) - inside} send back 0")
assert 0 < inside < len(X)""",
            ),
        }
    ),
    nbtools.next_link(
        "06_minibatches_and_batch_size.ipynb",
        "06 · Mini-batches and batch size",
        "what changes when each step sees only part of the data: stochastic gradient descent.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
