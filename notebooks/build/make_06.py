# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/06_minibatches_and_batch_size.ipynb: python notebooks/build/make_06.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "06_minibatches_and_batch_size.ipynb"

CELLS = [
    (
        "md",
        r"""# 06 · Mini-batches and batch size

So far every step used the gradient of the loss on **all** the training data,
$\nabla L = \frac1N \sum_{i=1}^N \nabla \ell_i$ (the loss is a mean of one term $\ell_i$ per
point). That is *full-batch gradient descent*. With a million points, one step would cost a
million forward and backward passes. **Stochastic gradient descent (SGD)** takes a step after
looking at a small random **mini-batch** $B$ of $|B|$ points instead,

$$\theta \leftarrow \theta - \eta\, g_B, \qquad g_B = \frac{1}{|B|}\sum_{i \in B} \nabla \ell_i ,$$

shuffling the data and going through it batch by batch; one pass over all the data is an
**epoch**. $g_B$ is a *noisy estimate* of $\nabla L$: right on average (its mean over all
possible batches is $\nabla L$), wrong by a random amount each time. This notebook measures
that noise, watches what it does to the path of gradient descent, and shows how the batch
size and the learning rate go together.""",
    ),
    (
        "code",
        """%matplotlib inline
import math
import random

import matplotlib.pyplot as plt

from micrograd_plus import Value, data, losses, nn, optim
from micrograd_plus.train import evaluate, fit
from micrograd_plus.viz.plots import CLASS_COLORS

plt.rcParams.update({"figure.dpi": 72})""",
    ),
    ("md", "## 1. A line again, one mini-batch at a time"),
    (
        "md",
        r"""Notebook 04's problem: 30 points on the line $y = 2x + 1$ plus noise, the model
$\hat y = wx + b$, the mean squared error, and the inputs standardised (mean 0, standard
deviation 1) so the loss surface is round. Two parameters, so we can draw every path.
`data.batches(X, y, batch_size, seed=...)` shuffles the data and yields it in batches; the
last batch of an epoch is smaller when the size does not divide $N$.""",
    ),
    (
        "code",
        """rng = random.Random(0)
xs_raw = [10 * rng.random() for _ in range(30)]
ys = [2 * x + 1 + rng.gauss(0, 1.5) for x in xs_raw]
mean = sum(xs_raw) / len(xs_raw)
std = math.sqrt(sum((x - mean) ** 2 for x in xs_raw) / len(xs_raw))
xs = [(x - mean) / std for x in xs_raw]  # standardised, as data.Standardizer would do
X = [[x] for x in xs]


def loss_on(w, b, X_batch, y_batch):
    return losses.mse_loss([w * row[0] + b for row in X_batch], y_batch)


def sgd_path(batch_size, lr, epochs, seed=0):
    \"\"\"Mini-batch SGD on the line from (w, b) = (-1, -8); returns every (w, b) visited.\"\"\"
    w, b = Value(-1.0), Value(-8.0)
    path = [(w.data, b.data)]
    for epoch in range(epochs):
        for X_batch, y_batch in data.batches(X, ys, batch_size, seed=seed + epoch):
            w.grad = b.grad = 0.0
            loss_on(w, b, X_batch, y_batch).backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad
            path.append((w.data, b.data))
    return path


def full_loss(w, b):
    return sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)) / len(xs)


EPOCHS, LR = 4, 0.1
runs = {
    "full batch (30): 1 step per epoch": sgd_path(30, LR, EPOCHS),
    "mini-batches of 5: 6 steps per epoch": sgd_path(5, LR, EPOCHS),
    "single samples (1): 30 steps per epoch": sgd_path(1, LR, EPOCHS),
}
for name, path in runs.items():
    print(f"{name:40s} {len(path) - 1:4d} steps, full loss at the end {full_loss(*path[-1]):.2f}")""",
    ),
    (
        "code",
        """n = 60
w_grid = [-7 + 17 * i / (n - 1) for i in range(n)]
b_grid = [-10 + 26 * j / (n - 1) for j in range(n)]
surface = [[full_loss(wv, bv) for wv in w_grid] for bv in b_grid]

fig, axes = plt.subplots(1, 3, figsize=(15, 5.5), layout="constrained")
for ax, (name, path), color in zip(axes, runs.items(), CLASS_COLORS):
    ax.contour(w_grid, b_grid, surface, levels=[2.5, 5, 10, 30, 100, 300], colors="grey",
               linewidths=0.8)
    ax.plot([p[0] for p in path], [p[1] for p in path], "o-", color=color, ms=2.5, lw=1)
    ax.plot(*path[0], "ko")
    ax.set(xlabel="w", ylabel="b", title=f"{name}\\n{EPOCHS} epochs, lr {LR}",
           xlim=(-7, 10), ylim=(-10, 16))
    ax.set_aspect("equal")  # the true shape of the round surface""",
    ),
    (
        "md",
        r"""After the same 4 epochs (the same amount of arithmetic: every point was used 4 times),
full-batch descent has taken 4 smooth steps and is still far from the minimum, while the
mini-batch runs have taken 24 and 120 steps and arrived. The price is the noise: the
mini-batch path wobbles, and the single-sample path keeps jittering around the minimum
instead of settling, because each single point pulls the line its own way. That jitter does
not go away with more epochs at a constant learning rate; it is why schedules lower the
learning rate late in training (notebook 07).

## 2. How noisy is a mini-batch gradient?

Fix the parameters at the start, $(w, b) = (-1, -8)$, draw 300 random mini-batches of each
size, and compute $g_B$ for each: a cloud of estimates around the full gradient.""",
    ),
    (
        "code",
        """def batch_gradient(batch):
    w, b = Value(-1.0), Value(-8.0)
    loss_on(w, b, [X[i] for i in batch], [ys[i] for i in batch]).backward()
    return w.grad, b.grad


full = batch_gradient(range(len(xs)))
pick = random.Random(1)
clouds = {size: [batch_gradient(pick.sample(range(len(xs)), size)) for _ in range(300)]
          for size in [1, 4, 16]}

fig, (ax_cloud, ax_spread) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
for (size, cloud), color in zip(clouds.items(), CLASS_COLORS):
    ax_cloud.scatter([g[0] for g in cloud], [g[1] for g in cloud], s=6, color=color, alpha=0.5,
                     label=f"batch of {size}")
ax_cloud.plot(*full, "k*", ms=14, label="full gradient")
ax_cloud.set(xlabel="dL/dw", ylabel="dL/db", title="300 mini-batch gradients at (w, b) = (-1, -8)")
ax_cloud.legend(loc="upper left", fontsize="small")


def spread(cloud):
    # root-mean-square distance of the estimates from the full gradient
    return math.sqrt(sum((g[0] - full[0]) ** 2 + (g[1] - full[1]) ** 2 for g in cloud) / len(cloud))


sizes = [1, 2, 4, 8, 16]
spreads = [spread([batch_gradient(pick.sample(range(len(xs)), s)) for _ in range(300)]) for s in sizes]
ax_spread.loglog(sizes, spreads, "o-", color=CLASS_COLORS[1], label="measured")
ax_spread.loglog(sizes, [spreads[0] / math.sqrt(s) for s in sizes], "--", color="black",
                 label="1 / sqrt(batch size)")
ax_spread.set(xlabel="batch size", ylabel="typical error of g_B", title="noise shrinks like 1/sqrt(B)")
ax_spread.set_xticks(sizes, [str(s) for s in sizes])
ax_spread.legend()
print(f"full gradient: dL/dw = {full[0]:.2f}, dL/db = {full[1]:.2f}")""",
    ),
    (
        "md",
        r"""Every cloud is centred on the full gradient (the estimate is unbiased), and its width
shrinks like $1/\sqrt{|B|}$: the average of $|B|$ independent noisy terms has a standard
deviation $\sqrt{|B|}$ times smaller. (It shrinks a little faster here, because batches are
drawn without replacement from only 30 points: a batch of 30 would have no noise at all.)
So doubling the batch doubles the work per step but cuts the noise only by $\sqrt 2$:
that is the economics behind small batches.

## 3. Batch size and learning rate go together

A network now: notebook 05's two moons, an MLP 2-16-16-1, binary cross-entropy on its
logit, 20 epochs of `fit(..., batch_size=B)` for several batch sizes and learning rates,
each run from the same initial weights. We score each run by its loss on the whole training
set at the end (`evaluate`), so all runs are measured the same way.""",
    ),
    (
        "code",
        """X_moons, y_moons = data.make_moons(100, noise=0.1, seed=0)
loss_fn = losses.binary_cross_entropy_with_logits
BATCH_SIZES = [1, 5, 20, 100]
LEARNING_RATES = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def final_loss(batch_size, lr, epochs=20):
    model = nn.MLP(2, [16, 16, 1], seed=0)
    fit(model, loss_fn, optim.SGD(model.parameters(), lr=lr), X_moons, y_moons, epochs=epochs,
        batch_size=batch_size, progress=False, seed=0, compile=True)
    loss = evaluate(model, loss_fn, X_moons, y_moons)["loss"]
    return loss if math.isfinite(loss) else float("inf")


table = {b: [final_loss(b, lr) for lr in LEARNING_RATES] for b in BATCH_SIZES}

fig, ax = plt.subplots(figsize=(9, 4.2), layout="constrained")
for (b, row), color in zip(table.items(), CLASS_COLORS):
    ax.plot(LEARNING_RATES, [min(v, 10) for v in row], "o-", color=color,
            label=f"batch {b}: {100 // b} steps per epoch")
ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="loss after 20 epochs",
       title="the best learning rate grows with the batch size")
ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))  # off the points
ax.grid(alpha=0.3, which="both")
for b, row in table.items():
    best = min(range(len(row)), key=row.__getitem__)
    print(f"batch {b:3d}: best lr {LEARNING_RATES[best]:<5} loss {row[best]:.3f};  "
          + "  ".join(f"{lr}: {v:.3f}" for lr, v in zip(LEARNING_RATES, row)))""",
    ),
    (
        "md",
        r"""Three things to read off the curves:

- **The best learning rate grows with the batch size.** A large batch gives a reliable
  gradient, so a long step along it is safe; a single sample's gradient is mostly noise, and
  a long step along noise goes astray. A common rule of thumb (the "linear scaling rule")
  says: multiply the batch size by $k$, multiply the learning rate by about $k$, as long as
  the learning rate stays below the limit set by the curvature (notebook 07).
- **Per epoch, small batches get further** at their own best learning rate: they take many
  more steps for the same arithmetic. Full-batch descent does best with a large learning
  rate (1.0) and is still far behind after 20 epochs (20 steps).
- **Too large a learning rate hurts small batches first**: with single samples the loss
  shoots up at learning rates the full batch handles easily.

On a GPU a batch of 100 costs about as much time as a batch of 1, so practitioners use the
largest batch that fits and raise the learning rate to match. In `micrograd_plus` every
sample costs the same, so an epoch takes about as long whatever the batch size.

## Summary

Mini-batch stochastic gradient descent replaces the full gradient by the gradient on a small
random batch: an unbiased estimate whose noise shrinks like $1/\sqrt{|B|}$. Per epoch, small
batches take more steps and usually get further, but their paths are noisy and never quite
settle at a constant learning rate; large batches give smooth, reliable steps and tolerate a
larger learning rate. Batch size and learning rate must therefore be chosen together (the
best rate grows roughly in proportion to the batch size), and with small batches a schedule
that lowers the rate at the end lets the noise die down. In code it is one argument:
`fit(..., batch_size=B, seed=...)` reshuffles the data every epoch.

## Exercises

**1.** For a batch of 4, what is the *mean* of the 300 gradient estimates in the cloud of
section 2, and how close is it to the full gradient?

**2.** With single samples and the learning rate 0.1, the path of section 1 keeps jittering.
Run it for 20 epochs with a learning rate that decays, $\eta_t = 0.1 / (1 + t)$ in epoch
$t$, and compare the final loss with the constant rate.

**3.** How many *steps* does each batch size of section 3 take in 20 epochs? Per step rather
than per epoch, which batch size makes the most progress?""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""Each $g_B$ is wrong, but not on average (an *unbiased* estimate): the mean of the 300
estimates differs from the full gradient only by the noise left after averaging 300 of them,
about $1/\sqrt{300}$ of the spread of a single estimate. The code checks that the
difference is within three such standard errors.""",
                r"""cloud = clouds[4]
mean_w = sum(g[0] for g in cloud) / len(cloud)
mean_b = sum(g[1] for g in cloud) / len(cloud)
standard_error = spread(cloud) / math.sqrt(len(cloud))
distance = math.hypot(mean_w - full[0], mean_b - full[1])
print(f"mean of 300 estimates: ({mean_w:.2f}, {mean_b:.2f}); full gradient: ({full[0]:.2f}, {full[1]:.2f})")
print(f"distance {distance:.2f}; standard error of a mean of 300: {standard_error:.2f}")
assert distance < 3 * standard_error""",
            ),
            2: (
                r"""With the decaying rate the steps shrink as the path nears the minimum, so the noise of
the single samples shrinks too, and the final loss is lower than with the constant rate,
which keeps jittering at the same distance from the minimum.""",
                r"""def decaying_path(epochs=20):
    w, b = Value(-1.0), Value(-8.0)
    for epoch in range(epochs):
        lr = 0.1 / (1 + epoch)
        for X_batch, y_batch in data.batches(X, ys, 1, seed=epoch):
            w.grad = b.grad = 0.0
            loss_on(w, b, X_batch, y_batch).backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad
    return w.data, b.data


constant_end = sgd_path(1, 0.1, 20)[-1]
decayed_end = decaying_path()
print(f"full loss after 20 epochs: constant lr {full_loss(*constant_end):.4f}, "
      f"decaying lr {full_loss(*decayed_end):.4f}")
assert full_loss(*decayed_end) < full_loss(*constant_end)""",
            ),
            3: (
                r"""In 20 epochs a batch of $B$ takes $20 \cdot \lceil 100/B \rceil$ steps: 2000, 400, 100 and
20. Per step, the large batches win: the full batch reaches its loss in 20 steps, where
single samples need far more steps to get there. Which to prefer depends on what a step
costs: on parallel hardware a large batch costs little more than a small one.""",
                r"""for b, row in table.items():
    steps = 20 * math.ceil(100 / b)
    print(f"batch {b:3d}: {steps:4d} steps, best loss {min(row):.3f}")
steps_to_match = {}
target = min(table[100])  # how many steps until the loss is as low as the full batch's best?
for b in [1, 100]:
    model = nn.MLP(2, [16, 16, 1], seed=0)
    lr = LEARNING_RATES[table[b].index(min(table[b]))]
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=lr), X_moons, y_moons,
                  epochs=20, batch_size=b, val=(X_moons, y_moons), progress=False, seed=0,
                  compile=True)  # val= the training set: its loss after every epoch
    epoch = next(e for e, v in zip(history.epochs, history.val["loss"]) if v <= target + 1e-9)
    steps_to_match[b] = epoch * math.ceil(100 / b)
    print(f"batch {b:3d} (lr {lr}) reaches the full batch's best loss after {steps_to_match[b]} steps")
assert steps_to_match[100] < steps_to_match[1]""",
            ),
        }
    ),
    nbtools.next_link(
        "07_optimizers_and_learning_rates.ipynb",
        "07 · Optimizers and learning rates",
        "better update rules than plain gradient descent, and how to choose the learning rate.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
