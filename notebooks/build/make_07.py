# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/07_optimizers_and_learning_rates.ipynb: python notebooks/build/make_07.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "07_optimizers_and_learning_rates.ipynb"

CELLS = [
    (
        "md",
        r"""# 07 · Optimizers and learning rates

Backpropagation gives us the gradient $\nabla L(w)$: the direction in which the loss
rises fastest. Training is what we *do* with it. The plainest rule walks a little way
downhill, again and again:

$$w \leftarrow w - \eta\, \nabla L(w)$$

where $\eta$ (`lr`) is the learning rate. Every optimizer in `micrograd_plus.optim` is a
variation on this line. In this notebook we

1. watch SGD, momentum, RMSprop and Adam walk across a 2-D loss surface,
2. see what a learning rate that is too small or too large does, and why there is a limit,
3. compare the four optimizers on a real (tiny) training problem,
4. change the learning rate during training with `StepLR` and `CosineAnnealingLR`.

The optimizers have PyTorch's names, arguments and arithmetic: `optimizer.zero_grad()`,
`loss.backward()`, `optimizer.step()`.""",
    ),
    (
        "code",
        """import matplotlib.pyplot as plt
from matplotlib.colors import BoundaryNorm

from micrograd_plus import Value, data, nn, optim
from micrograd_plus.losses import hinge_loss
from micrograd_plus.optim.lr_scheduler import CosineAnnealingLR, StepLR
from micrograd_plus.train import fit
from micrograd_plus.viz.plots import CLASS_COLORS, plot_lr

%matplotlib inline
plt.rcParams.update({"figure.dpi": 72, "axes.grid": True, "grid.alpha": 0.3})""",
    ),
    (
        "md",
        r"""## The four update rules

Write $g$ for the gradient of one parameter $w$ at the current step.

| optimizer | state it keeps | update |
|---|---|---|
| SGD | nothing | $w \leftarrow w - \eta g$ |
| SGD + momentum | velocity $b$ | $b \leftarrow \mu b + g,\quad w \leftarrow w - \eta b$ |
| RMSprop | mean square $s$ | $s \leftarrow \alpha s + (1-\alpha) g^2,\quad w \leftarrow w - \eta\, g / (\sqrt{s} + \epsilon)$ |
| Adam | both, $m$ and $v$ | $m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad w \leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)$ |

Momentum remembers where it was going, so steps that agree add up and steps that
alternate cancel. RMSprop divides each parameter's step by the typical size of its
gradient, so steep and flat directions move at a similar pace. Adam does both; the hats
are *bias corrections* $\hat m = m / (1-\beta_1^t)$, $\hat v = v / (1-\beta_2^t)$ that undo
the pull towards the zero the averages start from.

The parameters here are plain `Value`s, the same objects an `MLP` is made of; an optimizer
only reads `p.grad` and writes `p.data`. A word on names: `optim.SGD` is *stochastic*
gradient descent only when each step sees a random mini-batch (notebook 06). Every run in
this notebook uses the whole loss at every step, so it is plain **gradient descent** (GD),
and the labels say so.""",
    ),
    ("md", "## A 2-D loss surface: Rosenbrock's valley"),
    (
        "md",
        r"""With only two parameters $(x, y)$ we can draw the whole loss surface and the path each
optimizer takes. Rosenbrock's function

$$f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$$

has its minimum $f = 0$ at $(1, 1)$ at the bottom of a long, curved, flat-bottomed valley
with steep walls: the gradient points mostly *across* the valley, hardly along it.
That is a caricature of what real loss surfaces look like.""",
    ),
    (
        "code",
        """def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def descend(loss_fn, make_optimizer, start, steps):
    \"\"\"Minimise loss_fn(x, y) from start; return the path [(x, y), ...] and the losses.\"\"\"
    x, y = Value(start[0], label="x"), Value(start[1], label="y")
    optimizer = make_optimizer([x, y])
    path, losses = [(x.data, y.data)], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(x, y)
        loss.backward()
        optimizer.step()
        path.append((x.data, y.data))
        losses.append(loss.data)
    return path, losses


OPTIMIZERS = {
    "GD, lr=1e-3": lambda p: optim.SGD(p, lr=1e-3),
    "GD + momentum 0.9, lr=1e-3": lambda p: optim.SGD(p, lr=1e-3, momentum=0.9),
    "RMSprop, lr=1e-2": lambda p: optim.RMSprop(p, lr=1e-2),
    "Adam, lr=0.1": lambda p: optim.Adam(p, lr=0.1),
}
START, STEPS = (-1.2, 1.0), 500
runs = {name: descend(rosenbrock, make, START, STEPS) for name, make in OPTIMIZERS.items()}
for name, (path, losses) in runs.items():
    x, y = path[-1]
    print(f"{name:26s} ends at ({x:+.3f}, {y:+.3f})  loss {losses[-1]:.2e}")

first_steps = {name: descend(rosenbrock, make, START, 1)[0] for name, make in OPTIMIZERS.items()}
for name, ((x0, y0), (x1, y1)) in first_steps.items():
    print(f"{name:26s} first step moves x by {x1 - x0:+.4f}, y by {y1 - y0:+.4f}")""",
    ),
    (
        "code",
        """def contour(ax, fn, xlim, ylim, levels, n=100):
    xs = [xlim[0] + (xlim[1] - xlim[0]) * i / (n - 1) for i in range(n)]
    ys = [ylim[0] + (ylim[1] - ylim[0]) * j / (n - 1) for j in range(n)]
    zs = [[fn(x, y) for x in xs] for y in ys]
    bounds = [0, *levels, 1e9]  # one colour per band, however unevenly spaced the levels are
    norm = BoundaryNorm(bounds, ncolors=256)
    ax.contourf(xs, ys, zs, levels=bounds, norm=norm, cmap="Greys_r", alpha=0.35)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


fig, axes = plt.subplots(1, 4, figsize=(15, 3.9), sharey=True)
for ax, (name, (path, losses)), color in zip(axes, runs.items(), CLASS_COLORS):
    contour(ax, rosenbrock, (-2, 2), (-1, 3), levels=[0.5 * 4**k for k in range(7)])
    ax.plot([p[0] for p in path], [p[1] for p in path], ".-", ms=2, lw=0.8, color=color)
    ax.plot(*START, "ko")
    ax.plot(1, 1, "*", color="gold", mec="black", ms=14)
    ax.set_title(f"{name}\\nloss after {STEPS} steps: {losses[-1]:.1e}", fontsize=10)
fig.suptitle("Rosenbrock's valley: start (black dot), minimum (gold star)", y=1.02)
fig.tight_layout()

fig, ax = plt.subplots(figsize=(6.5, 3.6))
for (name, (_, losses)), color in zip(runs.items(), CLASS_COLORS):
    ax.plot(range(1, STEPS + 1), losses, label=name, color=color)
ax.set(xlabel="step", ylabel="f(x, y)", yscale="log", title="Rosenbrock: loss per step")
ax.legend(fontsize="small");""",
    ),
    (
        "md",
        r"""What to notice:

- **GD** first slides down the steep wall into the valley, then crawls: along the
  valley floor the gradient is tiny, and a learning rate large enough to move there would
  make it bounce off the walls.
- **Momentum** keeps its velocity along the floor, where consecutive gradients agree,
  so it builds up speed and gets much further in the same number of steps.
- **RMSprop** and **Adam** rescale each coordinate by its recent gradient size, so their
  steps do not depend on how steep the surface is and their paths start with a straight,
  diagonal run. The printed first steps show the difference between the two. Adam's first
  step is exactly $\eta = 0.1$ in each coordinate: with its bias correction,
  $\hat m = g$ and $\hat v = g^2$ after one step, so $\hat m / \sqrt{\hat v} = \pm 1$. RMSprop
  has no bias correction: its average starts at 0, so after one step
  $s = (1 - \alpha)\,g^2 = 0.01\,g^2$ and the step is $\eta\,g/\sqrt{s} = 10\,\eta = 0.1$ for
  its $\eta = 0.01$, ten times what its learning rate suggests. The early steps of an
  uncorrected average are too large; that is what Adam's correction is for.

No optimizer wins everywhere: on this valley heavy-ball momentum happens to do best, on
the network below the adaptive ones do. Each needs its own learning rate, which is the next topic.""",
    ),
    ("md", "## Too small, too large: why there is a limit"),
    (
        "md",
        r"""Take the simplest valley, a quadratic that is 25 times steeper in $y$ than in $x$:

$$f(x, y) = \tfrac12\,(x^2 + 25\,y^2), \qquad \nabla f = (x,\; 25\,y).$$

One gradient-descent step multiplies each coordinate by a constant:
$x \leftarrow (1 - \eta)\,x$ and $y \leftarrow (1 - 25\eta)\,y$. So

- if $\eta$ is tiny, both factors are close to 1 and progress is slow;
- if $1/25 < \eta < 2/25$, the factor for $y$ is negative: $y$ flips sign every step
  (the zig-zag across the valley) but still shrinks;
- if $\eta > 2/25 = 0.08$, $|1 - 25\eta| > 1$ and $y$ **grows** every step: divergence.

The largest usable learning rate is set by the steepest direction,
$\eta < 2 / \lambda_{\max}$ (the largest curvature), while the speed of progress is set by the
flattest one. The ratio of the two (the *condition number*, here 25) is what makes
problems hard, and what momentum and Adam try to work around.""",
    ),
    (
        "code",
        """def ravine(x, y):
    return 0.5 * (x * x + 25 * y * y)


fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=True)
for ax, lr in zip(axes, [0.01, 0.07, 0.081]):
    path, losses = descend(ravine, lambda p, lr=lr: optim.SGD(p, lr=lr), (-4.0, 1.0), 40)
    contour(ax, ravine, (-4.5, 1.5), (-3.2, 3.2), levels=[0.5 * 2**k for k in range(-4, 8)])
    ax.plot([p[0] for p in path], [p[1] for p in path], "o-", ms=3, color=CLASS_COLORS[1])
    ax.plot(0, 0, "k*", ms=12)
    ax.set_title(f"GD lr={lr}: loss after 40 steps {losses[-1]:.2g}")
    ax.set_ylim(-3.2, 3.2)  # room for the whole path, even the diverging one
fig.tight_layout()""",
    ),
    (
        "md",
        r"""Left: $\eta = 0.01$ is safe but after 40 steps $x$ has only shrunk by $0.99^{40} \approx 0.67$.
Middle: $\eta = 0.07$ zig-zags across the valley ($1 - 25 \cdot 0.07 = -0.75$) yet gets much
closer. Right: $\eta = 0.081$ is just past the limit, $|1 - 25 \cdot 0.081| = 1.025$, and the
zig-zag slowly grows instead of dying out. With a neural network the same thing shows up
as a loss that jumps around or shoots up to `nan`.""",
    ),
    ("md", "## The same comparison on a real problem"),
    (
        "md",
        r"""Now the parameters are the 105 weights and biases of a small MLP (2 → 8 → 8 → 1, ReLU) and the loss
is the mean hinge loss $\frac1N \sum_i \max(0,\, 1 - y_i s_i)$ (`losses.hinge_loss`) on 100 points of the two-moons
data set (labels $y_i = \pm 1$, scores $s_i$ from the network, as in micrograd's demo;
notebook 05 builds it up by hand). `fit` runs the loop `zero_grad → forward → loss →
backward → step` for us, one full batch per epoch (`compile=True` replays each step's graph
with NumPy: the same numbers, a few times faster; notebook 13 explains how). Every run
starts from the same initial weights (`seed=0`), so only the optimizer differs.""",
    ),
    (
        "code",
        """X, y01 = data.make_moons(100, noise=0.1, seed=0)
y = [2 * label - 1 for label in y01]  # hinge loss wants labels -1 / +1


def train(make_optimizer, epochs=40, scheduler=None, batch_size=None):
    model = nn.MLP(2, [8, 8, 1], seed=0)
    optimizer = make_optimizer(model.parameters())
    schedule = scheduler(optimizer) if scheduler else None
    return fit(model, hinge_loss, optimizer, X, y, epochs=epochs, batch_size=batch_size,
               scheduler=schedule, progress=False, seed=0, compile=True)


NET_OPTIMIZERS = {
    "GD, lr=0.1": lambda p: optim.SGD(p, lr=0.1),
    "GD + momentum 0.9, lr=0.1": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "RMSprop, lr=0.01": lambda p: optim.RMSprop(p, lr=0.01),
    "Adam, lr=0.05": lambda p: optim.Adam(p, lr=0.05),
}
histories = {name: train(make) for name, make in NET_OPTIMIZERS.items()}

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4))
for (name, history), color in zip(histories.items(), CLASS_COLORS):
    ax_loss.plot(history.epochs, history.train["loss"], label=name, color=color)
    ax_acc.plot(history.epochs, history.train["accuracy"], label=name, color=color)
ax_loss.set(xlabel="epoch", ylabel="hinge loss", title="training loss")
ax_acc.set(xlabel="epoch", ylabel="accuracy", title="training accuracy")
ax_loss.legend()
fig.tight_layout()
for name, history in histories.items():
    print(f"{name:26s} final loss {history.train['loss'][-1]:.3f}, "
          f"accuracy {history.train['accuracy'][-1]:.2f}")""",
    ),
    (
        "md",
        r"""On this problem the adaptive methods and momentum pull ahead of plain GD within a few
dozen epochs. Don't read too much into one run on one data set: each optimizer's learning
rate was picked by hand, and a different $\eta$ would reorder the curves. What *is*
general is the shape: GD's progress is bounded by the learning rate the steepest
direction allows; momentum and Adam get more out of each gradient.

And the learning-rate lesson again, on the network: GD with three learning rates.""",
    ),
    (
        "code",
        """fig, ax = plt.subplots(figsize=(6.5, 4))
lr_runs = {lr: train(lambda p, lr=lr: optim.SGD(p, lr=lr)) for lr in [0.01, 0.1, 3.0]}
for (lr, history), color in zip(lr_runs.items(), CLASS_COLORS):
    ax.plot(history.epochs, history.train["loss"], label=f"GD lr={lr}", color=color)
ax.set(xlabel="epoch", ylabel="hinge loss", title="one network, three learning rates")
ax.legend();""",
    ),
    (
        "md",
        r"""With $\eta = 0.01$ the loss barely moves in 40 epochs. With $\eta = 3$ it jumps about
and then sits at exactly 1.0, for good. What happened? A few huge steps pushed the input
of every hidden ReLU below zero for *all* 100 points. A ReLU that is off passes no
gradient back, so nothing can switch it on again: the network now outputs one constant
score and its hidden layers get a zero gradient (the *dying ReLU* problem). `fit` records
the gradient norm of each layer in `history.grad_norms`, so we can see when it happened:""",
    ),
    (
        "code",
        """for layer, norms in lr_runs[3.0].grad_norms.items():
    print(f"{layer}: gradient norm in epochs 8-12: {', '.join(f'{v:.2g}' for v in norms[7:12])}")""",
    ),
    (
        "md",
        r"""In between lies the useful range, usually found by trying a few values a factor 3-10
apart, and watching for a loss that explodes or freezes.""",
    ),
    ("md", "## Learning-rate schedules"),
    (
        "md",
        r"""Why not both? Start with a large learning rate to make fast progress, then lower it to
settle into a minimum instead of bouncing around it. A *scheduler* rewrites
`optimizer.param_groups[i]["lr"]` once per epoch (call `scheduler.step()` after the
epoch's `optimizer.step()`; `fit(..., scheduler=...)` does it for you):

- `StepLR(optimizer, step_size, gamma)`: multiply $\eta$ by `gamma` every `step_size` epochs;
- `CosineAnnealingLR(optimizer, T_max, eta_min=0)`: follow half a cosine from $\eta_0$ down to
  `eta_min` over `T_max` epochs,
  $\eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})\left(1 + \cos\frac{\pi t}{T_{\max}}\right)$.

A scheduler only needs an optimizer, so we can draw the schedules without training anything:""",
    ),
    (
        "code",
        """def schedule(make_scheduler, epochs=60, lr=0.1):
    optimizer = optim.SGD([Value(0.0)], lr=lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.plot(schedule(lambda o: StepLR(o, step_size=15, gamma=0.5)), ".-", label="StepLR(15, 0.5)",
        color=CLASS_COLORS[0])
ax.plot(schedule(lambda o: CosineAnnealingLR(o, T_max=60)), ".-", label="CosineAnnealingLR(60)",
        color=CLASS_COLORS[1])
ax.set(xlabel="epoch", ylabel="learning rate", title="two schedules starting at lr = 0.1")
ax.legend();""",
    ),
    (
        "md",
        r"""A schedule matters most when the gradient is *noisy*: with mini-batches each step sees
only part of the data, so even at the minimum the steps don't vanish and a constant
learning rate keeps the weights jittering. Below: batches of 10 points (now it *is*
stochastic gradient descent), SGD with momentum,
constant $\eta$ versus the same start annealed to zero by a cosine.
`fit` records the learning rate it used in each epoch (`history.lr`), and `plot_lr` draws it.""",
    ),
    (
        "code",
        """def momentum_sgd(p):
    return optim.SGD(p, lr=0.1, momentum=0.9)


constant = train(momentum_sgd, epochs=30, batch_size=10)
cosine = train(momentum_sgd, epochs=30, batch_size=10,
               scheduler=lambda o: CosineAnnealingLR(o, T_max=30))

fig, (ax_loss, ax_lr) = plt.subplots(1, 2, figsize=(12, 3.8))
ax_loss.plot(constant.epochs, constant.train["loss"], label="constant lr = 0.1",
             color=CLASS_COLORS[0])
ax_loss.plot(cosine.epochs, cosine.train["loss"], label="cosine annealing from 0.1",
             color=CLASS_COLORS[1])
ax_loss.set(xlabel="epoch", ylabel="hinge loss (mean over the epoch's batches)",
            title="mini-batch training", yscale="log")
ax_loss.legend()
plot_lr(cosine, ax=ax_lr)
fig.tight_layout()
print(f"last 5 epochs, constant lr: {[round(v, 3) for v in constant.train['loss'][-5:]]}")
print(f"last 5 epochs, cosine:      {[round(v, 3) for v in cosine.train['loss'][-5:]]}")""",
    ),
    (
        "md",
        r"""## Summary

Every optimizer is a variation on $w \leftarrow w - \eta g$: momentum replaces $g$ by a
running average of past gradients, which speeds up consistent directions and cancels
zig-zags; RMSprop divides each parameter's step by the typical size of its gradient; Adam
does both, with a bias correction that keeps its first steps the size of $\eta$. The
learning rate has a hard upper limit, $2/\lambda_{\max}$ on a quadratic, and the spread of
curvatures decides how slowly plain gradient descent goes; too small a rate crawls, too
large a rate diverges or kills ReLUs for good. Schedules such as `StepLR` and
`CosineAnnealingLR` take large steps early and small ones late, which matters most when
mini-batches make the gradient noisy; `fit` steps them once per epoch and records them.

## Exercises

**1.** *The speed limit.* For $f(x, y) = \tfrac12(a x^2 + b y^2)$ with $0 < a < b$, what is
the largest learning rate for which gradient descent converges from every start? Each step
multiplies $x$ by $1 - \eta a$ and $y$ by $1 - \eta b$; which $\eta$ makes the *larger* of
the two factors $|1 - \eta a|$, $|1 - \eta b|$ as small as possible (the fastest convergence
from the worst start)? Check with `descend(...)` from the starts $(1, 0)$ and $(0, 1)$.

**2.** *Momentum by hand.* Write the momentum update yourself on two `Value`s (keep a
velocity per parameter, `b = mu * b + g; p.data -= lr * b`) and check that after 50 steps
on `rosenbrock` you land exactly where `optim.SGD(p, lr=1e-3, momentum=0.9)` does.

**3.** *Tune Adam.* Try `optim.Adam` on Rosenbrock with `lr` in `[0.01, 0.03, 0.1, 0.3, 1.0]`
for 500 steps. Which ends closest to $(1, 1)$? Would you have guessed it?""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""Both coordinates shrink if and only if $|1 - \eta a| < 1$ and $|1 - \eta b| < 1$, that is
$0 < \eta < 2/b$ (the larger curvature sets the limit). The larger factor is smallest when
the two balance, $1 - \eta a = -(1 - \eta b)$: $\eta = 2/(a + b)$, where both factors equal
$(b - a)/(b + a) = (\kappa - 1)/(\kappa + 1)$ with the condition number $\kappa = b/a$. Any
other $\eta$ makes one of them worse. The code measures the worst distance to the minimum
after 60 steps from the two starts: $2/(a+b)$ gives the smallest, and $2.1/b$ diverges.
(From one particular start another $\eta$ can do better for a while, if that start happens
to lie mostly along the coordinate it favours; the worst case is what $2/(a+b)$ optimises.)""",
                r"""a, b = 1.0, 25.0


def worst_distance(lr, steps=60):
    worst = 0.0
    for start in [(1.0, 0.0), (0.0, 1.0)]:
        path, _ = descend(lambda x, y: 0.5 * (a * x * x + b * y * y),
                          lambda p: optim.SGD(p, lr=lr), start, steps)
        worst = max(worst, abs(path[-1][0]) + abs(path[-1][1]))
    return worst


candidates = {"2/(a+b)": 2 / (a + b), "1.5/b": 1.5 / b, "1.9/b": 1.9 / b, "2.1/b": 2.1 / b}
distances = {name: worst_distance(lr) for name, lr in candidates.items()}
for name, lr in candidates.items():
    factors = abs(1 - lr * a), abs(1 - lr * b)
    print(f"lr = {name:8s}= {lr:.4f}: factors {factors[0]:.3f}, {factors[1]:.3f}; "
          f"worst distance after 60 steps {distances[name]:.3g}")
assert min(distances, key=distances.get) == "2/(a+b)"
assert distances["2.1/b"] > 1""",
            ),
            2: (
                r"""Keep one velocity per parameter, add the new gradient to the decayed velocity, and step
along the velocity. Written out this way it lands on exactly the same point as
`optim.SGD(momentum=0.9)`, which uses the same (PyTorch) form of the update.""",
                r"""lr, mu, steps = 1e-3, 0.9, 50
x, y = Value(-1.2), Value(1.0)
velocity = {id(x): 0.0, id(y): 0.0}
for _ in range(steps):
    x.grad = y.grad = 0.0
    rosenbrock(x, y).backward()
    for p in (x, y):
        velocity[id(p)] = mu * velocity[id(p)] + p.grad
        p.data -= lr * velocity[id(p)]
path, _ = descend(rosenbrock, lambda p: optim.SGD(p, lr=lr, momentum=mu), (-1.2, 1.0), steps)
print(f"by hand:   ({x.data:.12f}, {y.data:.12f})")
print(f"optim.SGD: ({path[-1][0]:.12f}, {path[-1][1]:.12f})")
assert (x.data, y.data) == path[-1]""",
            ),
            3: (
                r"""The larger the learning rate, the closer Adam ends, all the way to $\eta = 1$. Small
rates run out of steps: Adam's steps are about $\eta$ long, and the valley is long. One might
expect a large $\eta$ to overshoot the narrow valley and rattle across its walls, but Adam
damps that itself: when the gradient's sign keeps flipping across the valley, the average $m$
of the gradients shrinks while the average $v$ of their squares does not, so the step
$\eta\,\hat m/\sqrt{\hat v}$ shrinks in that direction, while along the floor, where the
gradient keeps its sign, the steps stay long.""",
                r"""finals = {}
for lr in [0.01, 0.03, 0.1, 0.3, 1.0]:
    path, losses = descend(rosenbrock, lambda p, lr=lr: optim.Adam(p, lr=lr), (-1.2, 1.0), 500)
    finals[lr] = losses[-1]
    x, y = path[-1]
    print(f"Adam lr={lr}: ends at ({x:+.3f}, {y:+.3f}), loss {losses[-1]:.2e}")
ordered = list(finals.values())
assert all(later < earlier for earlier, later in zip(ordered, ordered[1:]))""",
            ),
        }
    ),
    nbtools.next_link(
        "08_vanishing_and_exploding_gradients.ipynb",
        "08 · Vanishing and exploding gradients",
        "what happens to the gradient itself on its way back through a deep network.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
