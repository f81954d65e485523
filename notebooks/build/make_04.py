# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/04_regression_and_mse.ipynb: python notebooks/build/make_04.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "04_regression_and_mse.ipynb"

CELLS = [
    (
        "md",
        r"""# 04 · Regression and the mean squared error

The first training loop of the course, on the simplest task there is: **regression**,
predicting a number. Given points $(x_i, y_i)$, $i = 1, \dots, N$, a model $\hat y = f(x)$
should land close to every $y_i$. How close is measured by the **mean squared error**

$$L = \mathrm{MSE} = \frac{1}{N} \sum_{i=1}^{N} (\hat y_i - y_i)^2 ,$$

the average of the squared **residuals** $r_i = \hat y_i - y_i$. Training means finding
the parameters with the smallest $L$, and **gradient descent** does it by repeating one step,

$$\theta \leftarrow \theta - \eta\, \frac{\partial L}{\partial \theta},$$

for every parameter $\theta$, with a small **learning rate** $\eta$. This notebook fits a line
(two parameters, so we can draw the whole loss surface), computes MSE's gradient by hand and
checks it against `backward()`, shows why **normalising the inputs** makes gradient descent
so much faster, and then fits a curve with an MLP.""",
    ),
    (
        "code",
        """%matplotlib inline
import math
import random

import matplotlib.pyplot as plt

from micrograd_plus import Value, losses, nn, optim
from micrograd_plus.data import Standardizer
from micrograd_plus.train import fit

plt.rcParams.update({"figure.dpi": 72})
PATH_COLOR, DATA_COLOR = "#D55E00", "#0072B2"  # the course's colours: vermillion and blue""",
    ),
    ("md", "## 1. Data on a line"),
    (
        "md",
        r"""Thirty points $y = 2x + 1 + \text{noise}$ with $x$ between 0 and 10, seeded so every run
gives the same numbers.""",
    ),
    (
        "code",
        """rng = random.Random(0)
xs = [10 * rng.random() for _ in range(30)]
ys = [2 * x + 1 + rng.gauss(0, 1.5) for x in xs]

fig, ax = plt.subplots(figsize=(5, 3.6))
ax.scatter(xs, ys, color=DATA_COLOR, edgecolors="black", linewidths=0.5, s=25)
ax.set(xlabel="x", ylabel="y", title="y = 2x + 1 + noise")
ax.grid(alpha=0.3);""",
    ),
    ("md", "## 2. The model, the loss and its gradient by hand"),
    (
        "md",
        r"""The model is a line, $\hat y = w x + b$, with two parameters. With the chain rule,

$$\frac{\partial L}{\partial w} = \frac{1}{N}\sum_i 2(\hat y_i - y_i)\,\frac{\partial \hat y_i}{\partial w} = \frac{2}{N}\sum_i r_i\, x_i,
\qquad
\frac{\partial L}{\partial b} = \frac{2}{N}\sum_i r_i .$$

Each point pulls on the line in proportion to its residual: points far from the line pull
hardest (the square makes MSE sensitive to outliers, see exercise 3). `losses.mse_loss`
builds the same $L$ from `Value`s, and `backward()` must give the same two numbers:""",
    ),
    (
        "code",
        """w, b = Value(0.5, label="w"), Value(0.0, label="b")
predictions = [w * x + b for x in xs]
loss = losses.mse_loss(predictions, ys)
loss.backward()

residuals = [p.data - y for p, y in zip(predictions, ys)]
N = len(xs)
by_hand_w = 2 / N * sum(r * x for r, x in zip(residuals, xs))
by_hand_b = 2 / N * sum(residuals)
print(f"loss at w = 0.5, b = 0: {loss.data:.4f}")
print(f"dL/dw: backward {w.grad:.6f}   by hand {by_hand_w:.6f}")
print(f"dL/db: backward {b.grad:.6f}   by hand {by_hand_b:.6f}")""",
    ),
    (
        "md",
        r"""Both gradients are negative: the line is too low and too flat, and the gradient says
"increase $w$ and $b$". Note that $\partial L/\partial w$ is about five times
$\partial L/\partial b$: each residual is multiplied by its $x$, and the $x$ are about 5 on
average. That imbalance comes back in section 4.

## 3. Gradient descent

Now repeat: forward (predictions and loss), `zero` the gradients, backward, step.""",
    ),
    (
        "code",
        """def descend(xs, ys, lr, steps, w0=0.5, b0=0.0):
    \"\"\"Gradient descent on the MSE of the line w*x + b; returns the path of (w, b, loss).\"\"\"
    w, b = Value(w0), Value(b0)
    path = []
    for _ in range(steps):
        loss = losses.mse_loss([w * x + b for x in xs], ys)
        path.append((w.data, b.data, loss.data))
        w.grad = b.grad = 0.0
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad
    return path


path = descend(xs, ys, lr=0.01, steps=200)
w_fit, b_fit, final_loss = path[-1]
print(f"after 200 steps: w = {w_fit:.3f}, b = {b_fit:.3f}, loss {final_loss:.3f}")

fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(11, 3.6))
ax_fit.scatter(xs, ys, color=DATA_COLOR, edgecolors="black", linewidths=0.5, s=25, label="data")
line_x = [0, 10]
for step, alpha in [(0, 0.25), (5, 0.5), (199, 1.0)]:
    ws, bs, _ = path[step]
    ax_fit.plot(line_x, [ws * x + bs for x in line_x], color=PATH_COLOR, alpha=alpha,
                label=f"line after {step} steps")
ax_fit.set(xlabel="x", ylabel="y", title="the line moves onto the data")
ax_fit.legend(fontsize="small")
ax_loss.plot(range(200), [p[2] for p in path], color=PATH_COLOR)
ax_loss.set(xlabel="step", ylabel="MSE", yscale="log", title="training loss")
for ax in (ax_fit, ax_loss):
    ax.grid(alpha=0.3)
fig.tight_layout()""",
    ),
    (
        "md",
        r"""The loss drops fast in the first few steps, then crawls: after 200 steps $b$ is still
well short of its best value, 1.27 (computed exactly below). To see why, look at the residuals and at the
loss surface.

**Residuals.** A good fit leaves residuals that look like noise: no trend, no curve. A
plot of $r_i$ against $x_i$ shows what a single loss number hides:""",
    ),
    (
        "code",
        """def least_squares(xs, ys):
    \"\"\"The exact minimum of the MSE of a line (the normal equations), to compare with.\"\"\"
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    w = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return w, my - w * mx


w_best, b_best = least_squares(xs, ys)
print(f"exact minimum: w = {w_best:.3f}, b = {b_best:.3f}; gradient descent: w = {w_fit:.3f}, b = {b_fit:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.scatter(xs, [w_fit * x + b_fit - y for x, y in zip(xs, ys)], color=DATA_COLOR,
           edgecolors="black", linewidths=0.5, s=25)
ax.axhline(0, color="black", lw=0.8)
ax.set(xlabel="x", ylabel="residual  ŷ - y", title="residuals of the line after 200 steps")
ax.grid(alpha=0.3);""",
    ),
    (
        "md",
        r"""No curve in the residuals, so a line is the right model; they tilt slightly (positive at
the left, negative at the right) because $b$ is still too small and $w$ a little too large.

## 4. The loss surface, and why normalising the inputs helps

With two parameters we can draw $L(w, b)$ everywhere. The contours are long thin ellipses:
$L$ changes fast along $w$ (every residual is multiplied by an $x$ of about 5) and slowly
along $b$. The gradient is perpendicular to the contours, so it points mostly across the
valley, not along it. The learning rate must be small enough for the steep direction, and
then the shallow direction crawls. (For a quadratic loss the limit is exact: gradient
descent diverges when $\eta > 2/\lambda_{\max}$, with $\lambda_{\max}$ the largest
curvature; progress along a direction of curvature $\lambda$ is a factor $1 - \eta\lambda$
per step.)

**Input normalisation** rescales each input to mean 0 and standard deviation 1,
$x' = (x - \bar x)/s_x$ (`data.Standardizer`, fitted on the training data). The model
$w' x' + b'$ can draw exactly the same lines, but the surface becomes round: the gradient
points at the minimum, and a much larger learning rate is safe. Same number of steps, both
surfaces:""",
    ),
    (
        "code",
        """def mse_surface(xs, ys, w_range, b_range, n=60):
    \"\"\"L(w, b) on an n x n grid, with plain floats (fast; no graph needed to draw it).\"\"\"
    ws = [w_range[0] + (w_range[1] - w_range[0]) * i / (n - 1) for i in range(n)]
    bs = [b_range[0] + (b_range[1] - b_range[0]) * i / (n - 1) for i in range(n)]
    grid = [[sum((wv * x + bv - y) ** 2 for x, y in zip(xs, ys)) / len(xs) for wv in ws] for bv in bs]
    return ws, bs, grid


scaler = Standardizer().fit([[x] for x in xs])
xs_std = [row[0] for row in scaler.transform([[x] for x in xs])]
STEPS = 30
raw_path = descend(xs, ys, lr=0.01, steps=STEPS, w0=-1.0, b0=-8.0)
std_path = descend(xs_std, ys, lr=0.4, steps=STEPS, w0=-1.0, b0=-8.0)

fig, axes = plt.subplots(1, 2, figsize=(10, 5.5))
panels = [
    (axes[0], xs, raw_path, (-1.5, 4.5), (-10, 5), "raw x, lr 0.01"),
    (axes[1], xs_std, std_path, (-2, 9), (-10, 17), "standardised x, lr 0.4"),
]
for ax, inputs, path, w_range, b_range, title in panels:
    ws, bs, grid = mse_surface(inputs, ys, w_range, b_range)
    levels = [1, 3, 10, 30, 100, 300, 1000]
    contours = ax.contour(ws, bs, grid, levels=levels, colors="grey", linewidths=0.8)
    ax.clabel(contours, fontsize="x-small")
    ax.plot([p[0] for p in path], [p[1] for p in path], "o-", color=PATH_COLOR, ms=3,
            label="gradient descent")
    best = least_squares(inputs, ys)
    ax.plot(*best, "*", color="black", ms=12, label="minimum")
    ax.set(xlabel="w", ylabel="b", title=f"{title}: loss {path[-1][2]:.2f} after {STEPS} steps")
    ax.set_aspect("equal")  # one unit of w as long as one unit of b: the true shape
    ax.legend(loc="lower right", fontsize="small")
fig.tight_layout()
for name, path in [("raw", raw_path), ("standardised", std_path)]:
    print(f"{name:13s} loss after {STEPS} steps: {path[-1][2]:.3f}")""",
    ),
    (
        "md",
        r"""On raw inputs the path shoots across the valley and then creeps along its floor;
$\eta = 0.01$ is already half the largest step that does not diverge (0.022:
exercise 2 tries 0.03). On standardised inputs the contours are circles, the path heads straight for
the minimum, and it arrives within a few steps with a learning rate forty times larger.
With many inputs on different scales (a price in euros next to an age in years) the
difference is larger still: normalise the inputs before training, and remember to apply the
*same* `Standardizer` (fitted on the training set) to new data.

## 5. A curve: an MLP with the same loss

A line cannot follow $y = \sin x$. An MLP can, trained with the same MSE. `train.fit` runs
the loop of section 3 for us (notebook 05 builds it up step by step); `optim.SGD` is the
update $\theta \leftarrow \theta - \eta\,\partial L/\partial \theta$, here with *momentum*, a
running average of the gradients that speeds up the slow directions (notebook 07 explains
it). The inputs are already centred and of size about 1, so they need no normalising.""",
    ),
    (
        "code",
        """rng = random.Random(1)
curve_x = sorted(rng.uniform(-3, 3) for _ in range(60))
curve_y = [math.sin(x) + rng.gauss(0, 0.1) for x in curve_x]

model = nn.MLP(1, [16, 16, 1], activation="tanh", seed=0)
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
history = fit(model, losses.mse_loss, optimizer, [[x] for x in curve_x], curve_y, epochs=600,
              metrics=(), progress=False, compile=True)
print(f"MSE: first epoch {history.train['loss'][0]:.3f}, last {history.train['loss'][-1]:.4f}")

grid = [-3.2 + 6.4 * i / 199 for i in range(200)]
line_w, line_b = least_squares(curve_x, curve_y)
fig, (ax_fit, ax_res) = plt.subplots(1, 2, figsize=(12, 3.8))
ax_fit.scatter(curve_x, curve_y, color=DATA_COLOR, edgecolors="black", linewidths=0.5, s=20, label="data")
ax_fit.plot(grid, [model([g]).data for g in grid], color=PATH_COLOR, lw=2, label="MLP 1-16-16-1")
ax_fit.plot(grid, [line_w * g + line_b for g in grid], "--", color="black", label="best line")
ax_fit.set(xlabel="x", ylabel="y", title="fitting y = sin x + noise")
ax_fit.legend(fontsize="small")
ax_res.scatter(curve_x, [line_w * x + line_b - y for x, y in zip(curve_x, curve_y)], color="black",
               s=15, label="best line")
ax_res.scatter(curve_x, [model([x]).data - y for x, y in zip(curve_x, curve_y)], color=PATH_COLOR,
               s=15, label="MLP")
ax_res.axhline(0, color="grey", lw=0.8)
ax_res.set(xlabel="x", ylabel="residual", title="residuals: a pattern means a missing shape")
ax_res.legend(fontsize="small")
for ax in (ax_fit, ax_res):
    ax.grid(alpha=0.3)
fig.tight_layout()""",
    ),
    (
        "md",
        r"""The best line's residuals follow a wave: the model is missing a shape the data have.
The MLP's residuals show no pattern and are about the size of the noise (0.1): its MSE
is close to the noise's variance, $0.1^2 = 0.01$, which is the best any model can do here. The MLP's output layer is
linear, which is what a regression needs: its prediction can be any number.

## Summary

Regression predicts numbers, and the mean squared error $L = \frac1N\sum_i(\hat y_i - y_i)^2$
measures how far off the predictions are; its gradient $\frac2N \sum_i r_i\,\partial \hat
y_i/\partial\theta$ weights every point by its residual, and `backward()` computes exactly
the formula we derived by hand. Gradient descent repeats forward, backward and
$\theta \leftarrow \theta - \eta\,\partial L/\partial\theta$; its speed depends on the shape of
the loss surface, and inputs on a large scale make the surface a long valley that forces a
small learning rate. Standardising the inputs makes it round, so the same number of steps
gets much further. Residual plots show what the loss number hides: a pattern left in them
means the model is missing something.

## Exercises

**1.** At $w = 0.5$, $b = 0$, compute $\partial L / \partial b$ for the first three points only
(`xs[:3]`, `ys[:3]`), by hand and with `backward()`.

**2.** On the raw inputs, try the learning rate 0.03 instead of 0.01. What happens, and
why does the curvature of the surface explain it? (The largest curvature of the MSE of a
line is the largest eigenvalue of $\frac2N\begin{pmatrix}\sum x_i^2 & \sum x_i\\ \sum x_i & N\end{pmatrix}$.)

**3.** Add one outlier, the point $(x, y) = (9, -20)$, and fit the line again with
`least_squares`. How far does the line move? Compare with the mean *absolute* error,
whose gradient does not grow with the residual.""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""$\partial L/\partial b = \frac{2}{3}\sum_{i=1}^{3} (0.5\,x_i - y_i)$; `backward()` on the
three-point loss gives the same number.""",
                r"""w1, b1 = Value(0.5), Value(0.0)
three = losses.mse_loss([w1 * x + b1 for x in xs[:3]], ys[:3])
three.backward()
by_hand = 2 / 3 * sum(0.5 * x - y for x, y in zip(xs[:3], ys[:3]))
print(f"by hand {by_hand:.6f}, backward {b1.grad:.6f}")
assert abs(by_hand - b1.grad) < 1e-12""",
            ),
            2: (
                r"""With $\eta = 0.03$ the loss grows at every step: gradient descent diverges. The largest
curvature $\lambda_{\max}$ of this surface is about 89, so the stable limit is
$2/\lambda_{\max} \approx 0.022$; 0.01 is inside it and 0.03 is outside, where every
step along the steep direction overshoots by more than it corrects.""",
                r"""sxx, sx = sum(x * x for x in xs), sum(xs)
a, c, d = 2 * sxx / N, 2 * sx / N, 2.0  # the Hessian [[a, c], [c, d]] of the MSE in (w, b)
lam_max = (a + d) / 2 + math.sqrt(((a - d) / 2) ** 2 + c * c)
print(f"largest curvature {lam_max:.1f}: gradient descent is stable for lr < {2 / lam_max:.4f}")
too_big = descend(xs, ys, lr=0.03, steps=10, w0=-1.0, b0=-8.0)
print("loss with lr 0.03:", ", ".join(f"{p[2]:.3g}" for p in too_big))
assert 0.01 < 2 / lam_max < 0.03
assert too_big[-1][2] > 100 * too_big[0][2]""",
            ),
            3: (
                r"""One outlier drags the least-squares line a long way: its residual is about 39, and MSE
weights it by that residual, so the slope drops from about 2.0 to about 1.4. Minimising the mean
absolute error (here by gradient descent on `abs()`, whose gradient is $\pm 1$ whatever the
size of the residual) moves the line much less.""",
                r"""xs_out, ys_out = xs + [9.0], ys + [-20.0]
w_out, b_out = least_squares(xs_out, ys_out)
print(f"least squares: without the outlier w = {w_best:.2f}, with it w = {w_out:.2f}")

w_abs, b_abs = Value(2.0), Value(0.0)
for step in range(2000):
    mae = sum(abs(w_abs * x + b_abs - y) for x, y in zip(xs_out, ys_out)) / len(xs_out)
    w_abs.grad = b_abs.grad = 0.0
    mae.backward()
    lr = 0.01 * (1 - step / 2000)
    w_abs.data -= lr * w_abs.grad
    b_abs.data -= lr * b_abs.grad
print(f"mean absolute error fit with the outlier: w = {w_abs.data:.2f}")
assert w_best - w_out > 0.3 and abs(w_abs.data - w_best) < abs(w_out - w_best)""",
            ),
        }
    ),
    nbtools.next_link(
        "05_training_on_two_moons.ipynb",
        "05 · Training on two moons",
        "classification, micrograd's own demo: a loop written out by hand, then `fit`.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
