# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/12_second_derivatives.ipynb: python notebooks/build/make_12.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "12_second_derivatives.ipynb"

CELLS = [
    (
        "md",
        r"""# 12 · Second derivatives: gradients of gradients

Every derivative rule in `micrograd_plus` is plain arithmetic (`tanh: g·(1 − out²)`,
`mul: (g·b, g·a)` ...). Run those rules on `Value`s instead of floats and the backward pass
*records a graph of its own*: the gradient becomes a function we can differentiate again.
That is what `create_graph=True` does, as in PyTorch.

With second derivatives we get **curvature**, and with curvature **Newton's method**, which
jumps to the bottom of a quadratic bowl in a single step where gradient descent creeps.""",
    ),
    (
        "code",
        r"""%matplotlib inline
import math

import matplotlib.pyplot as plt

import micrograd_plus as mp
from micrograd_plus import Value
from micrograd_plus.engine import topological_order
from micrograd_plus.viz import draw_dot
from micrograd_plus.viz.plots import CLASS_COLORS

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. A derivative you can differentiate

Take $f(x) = x^3 - 2x$, so $f'(x) = 3x^2 - 2$ and $f''(x) = 6x$. At $x = 1.5$:
$f' = 4.75$ and $f'' = 9$.

`mp.grad(output, inputs, create_graph=True)` returns the gradients as `Value`s (and, unlike
`backward()`, leaves every `.grad` untouched). Differentiate the result again:""",
    ),
    (
        "code",
        r"""x = Value(1.5, label="x")
f = x**3 - 2 * x
(df,) = mp.grad(f, [x], create_graph=True)
(d2f,) = mp.grad(df, [x], create_graph=True)
(d3f,) = mp.grad(d2f, [x])
print(f"f'(1.5)   = {df.data}   (by hand 3x² − 2 = {3 * 1.5**2 - 2})")
print(f"f''(1.5)  = {d2f.data}    (by hand 6x = {6 * 1.5})")
print(f"f'''(1.5) = {d3f}    (by hand 6)")""",
    ),
    (
        "md",
        r"""Here is the graph that computes $f'(x)$, built by the backward pass of $f$ from the
upstream gradient $g = 1$: the rule for `**` produced $g \cdot 3 \cdot x^{2}$ (bottom), the
rules for `−` and `*` produced $-g \cdot 2$ (top), and the two contributions to $x$ were added.
The numbers the rules brought in ($g$, the exponent, the factor 2) are constants: leaves
that are not inputs, which we label `const` so every node has a name.""",
    ),
    (
        "code",
        r"""df.label = "f'(x)"
for node in topological_order(df):
    if not node._prev and node is not x:  # a leaf that is not the input: a constant
        node.label = "const"
draw_dot(df, rankdir="TB")""",
    ),
    (
        "md",
        r"""`backward(create_graph=True)` does the same for every node at once: afterwards each
`.grad` is a `Value`. Remember that gradients accumulate, so reset `x.grad` before
differentiating the gradient itself:""",
    ),
    (
        "code",
        r"""x = Value(1.5)
(x**3 - 2 * x).backward(create_graph=True)
first = x.grad  # a Value: 3x² − 2
x.grad = 0.0
first.backward()
print("f'(x) =", first.data, "  f''(x) =", x.grad)""",
    ),
    (
        "md",
        r"""## 2. Hessian-vector products

For a function of many inputs the second derivatives form the **Hessian** matrix
$H_{ij} = \partial^2 f / \partial x_i \partial x_j$. Building all $n^2$ entries costs $n$
backward passes, but many algorithms only need $H v$ for a vector $v$, and that costs just
one more pass:

$$H v = \nabla_x \big( \nabla_x f(x) \cdot v \big).$$

We check this on $f(x, y) = x^2 y + \sin(x y)$ against the Hessian worked out by hand:

$$H = \begin{pmatrix} 2y - y^2 \sin(xy) & 2x + \cos(xy) - xy\sin(xy) \\
2x + \cos(xy) - xy\sin(xy) & -x^2 \sin(xy) \end{pmatrix}.$$""",
    ),
    (
        "code",
        r"""def f2(x, y):
    return x**2 * y + (x * y).sin()


def hessian_vector_product(fn, point, v):
    xs = [Value(p) for p in point]
    grads = mp.grad(fn(*xs), xs, create_graph=True)
    directional = mp.sum_values([g * vi for g, vi in zip(grads, v)])
    return mp.grad(directional, xs)


def hessian(fn, point):
    xs = [Value(p) for p in point]
    grads = mp.grad(fn(*xs), xs, create_graph=True)
    return [mp.grad(g, xs) for g in grads]


def hessian_by_hand(x, y):
    s, c = math.sin(x * y), math.cos(x * y)
    off = 2 * x + c - x * y * s
    return [[2 * y - y * y * s, off], [off, -x * x * s]]


point, v = (0.8, -1.3), (1.0, 2.0)
H = hessian(f2, point)
print("Hessian by double backward:", [[round(h, 6) for h in row] for row in H])
by_hand = hessian_by_hand(*point)
print("Hessian by hand:           ", [[round(h, 6) for h in row] for row in by_hand])
Hv = hessian_vector_product(f2, point, v)
print("H v in one extra pass:", [round(h, 6) for h in Hv])
print("H v from the matrix:  ", [round(sum(h * vi for h, vi in zip(row, v)), 6) for row in H])""",
    ),
    (
        "md",
        r"""If PyTorch is installed, it agrees too (`torch.autograd.functional.hvp` in float64):""",
    ),
    (
        "code",
        r"""try:
    import torch
except ImportError:
    print("PyTorch is not installed; skipping the comparison (pip install torch)")
else:
    def f2_torch(t):
        return t[0] ** 2 * t[1] + torch.sin(t[0] * t[1])

    point_t = torch.tensor(point, dtype=torch.float64)
    v_t = torch.tensor(v, dtype=torch.float64)
    _, hv_torch = torch.autograd.functional.hvp(f2_torch, point_t, v_t)
    print("torch H v:", [round(h, 6) for h in hv_torch.tolist()])
    print("max difference:", max(abs(a - b) for a, b in zip(Hv, hv_torch.tolist())))""",
    ),
    (
        "md",
        r"""## 3. Newton's method vs gradient descent in 1-D

Gradient descent steps against the slope, $x \leftarrow x - \eta f'(x)$, with a learning rate
$\eta$ we have to choose. Newton's method fits a parabola using the curvature and jumps to its
bottom:

$$x \leftarrow x - \frac{f'(x)}{f''(x)}.$$

Near a minimum it converges *quadratically* (the number of correct digits roughly doubles each
step). Let's minimise $f(x) = x^4 - 3x^2 + x$ from $x_0 = 2$; both methods head for the
nearest minimum, the local one at $x^* \approx 1.1309$.""",
    ),
    (
        "code",
        r"""def f1(x):
    return x**4 - 3 * x**2 + x


def derivatives(fn, x0):
    x = Value(x0)
    (d1,) = mp.grad(fn(x), [x], create_graph=True)
    (d2,) = mp.grad(d1, [x])
    return d1.data, d2


def newton_1d(fn, x0, steps):
    xs = [x0]
    for _ in range(steps):
        d1, d2 = derivatives(fn, xs[-1])
        xs.append(xs[-1] - d1 / d2)
    return xs


def gradient_descent_1d(fn, x0, lr, steps):
    xs = [x0]
    for _ in range(steps):
        d1, _ = derivatives(fn, xs[-1])
        xs.append(xs[-1] - lr * d1)
    return xs


newton = newton_1d(f1, 2.0, 8)
descent = gradient_descent_1d(f1, 2.0, lr=0.02, steps=40)
for k in range(6):
    print(f"step {k}: newton x = {newton[k]:.12f}   gradient descent x = {descent[k]:.12f}")""",
    ),
    (
        "code",
        r"""fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
grid = [-2.2 + 4.6 * i / 300 for i in range(301)]
left.plot(grid, [f1(g) for g in grid], color="gray", lw=1, label="f(x)")
left.plot(descent, [f1(x) for x in descent], "o-", ms=4, color=CLASS_COLORS[0],
          label="gradient descent (η = 0.02)")
left.plot(newton, [f1(x) for x in newton], "s--", ms=6, color=CLASS_COLORS[1], label="Newton")
left.set_xlabel("x")
left.set_ylabel("f(x)")
left.set_title("iterates on f(x) = x⁴ − 3x² + x, from x₀ = 2")
left.set_ylim(-4, 5)
left.legend(fontsize="small")

minimum = newton[-1]
for xs, style, name, color in (
    (descent, "o-", "gradient descent", CLASS_COLORS[0]),
    (newton, "s--", "Newton", CLASS_COLORS[1]),
):
    errors = [max(abs(x - minimum), 1e-16) for x in xs]
    right.semilogy(errors, style, ms=4, label=name, color=color)
right.set_xlabel("step")
right.set_ylabel("|x − x*|")
right.set_title("distance to the local minimum x* ≈ 1.1309")
right.grid(alpha=0.3, which="both")
right.legend()
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""Gradient descent's error shrinks by a constant factor per step (a straight line on the log
plot); Newton's error plunges once it is close. The price: Newton needs $f''$, and it only
heads for a *minimum* where $f'' > 0$. Started where the function curves downwards it
happily converges to a maximum, because it looks for $f'(x) = 0$, nothing more:""",
    ),
    (
        "code",
        r"""print("Newton from x0 = 0.3:", [round(x, 4) for x in newton_1d(f1, 0.3, 5)])
print("f''(x) there:", derivatives(f1, newton_1d(f1, 0.3, 5)[-1])[1], "(negative: a maximum)")""",
    ),
    (
        "md",
        r"""## 4. Newton vs gradient descent in 2-D

In several dimensions Newton's step solves a linear system with the Hessian:
$x \leftarrow x - H^{-1}\nabla f$. On a long, narrow valley this matters most: gradient
descent must keep $\eta$ small for the steep direction and then crawls along the flat one.
Take the banana-shaped valley $f(x, y) = (1 - x)^2 + 5\,(y - x^2)^2$, minimum at $(1, 1)$.""",
    ),
    (
        "code",
        r"""def valley(x, y):
    return (1 - x) ** 2 + 5 * (y - x**2) ** 2


def gradient_and_hessian(fn, point):
    xs = [Value(p) for p in point]
    grads = mp.grad(fn(*xs), xs, create_graph=True)
    return [g.data for g in grads], [mp.grad(g, xs) for g in grads]


def newton_step(fn, point):
    (gx, gy), ((a, b), (c, d)) = gradient_and_hessian(fn, point)
    det = a * d - b * c
    return (point[0] - (d * gx - b * gy) / det, point[1] - (-c * gx + a * gy) / det)


def descent_step(fn, point, lr):
    (gx, gy), _ = gradient_and_hessian(fn, point)
    return (point[0] - lr * gx, point[1] - lr * gy)


start = (-1.2, 1.0)
newton_path, descent_path = [start], [start]
for _ in range(10):
    newton_path.append(newton_step(valley, newton_path[-1]))
for _ in range(300):
    descent_path.append(descent_step(valley, descent_path[-1], lr=0.04))
print(f"Newton after 10 steps:            {newton_path[-1][0]:.8f}, {newton_path[-1][1]:.8f}")
print(f"gradient descent after 300 steps: {descent_path[-1][0]:.8f}, {descent_path[-1][1]:.8f}")""",
    ),
    (
        "code",
        r"""xs = [-1.6 + 3.0 * i / 120 for i in range(121)]
ys = [-0.8 + 2.4 * j / 120 for j in range(121)]
Z = [[math.log10(valley(x, y) + 1e-3) for x in xs] for y in ys]
fig, ax = plt.subplots(figsize=(6.5, 5.2))
contours = ax.contourf(xs, ys, Z, levels=20, cmap="Greys", alpha=0.4)
fig.colorbar(contours, ax=ax, label="log₁₀ f(x, y)")
ax.plot(*zip(*descent_path), ".-", color=CLASS_COLORS[0], ms=3, lw=1,
        label="gradient descent (300 steps)")
ax.plot(*zip(*newton_path), "s--", color=CLASS_COLORS[1], ms=6, label="Newton (10 steps)")
ax.plot(1, 1, "*", color="gold", ms=16, markeredgecolor="black", label="minimum (1, 1)")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("f(x, y) = (1 − x)² + 5 (y − x²)²")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize="small")
plt.show()""",
    ),
    (
        "md",
        r"""Newton's steps are big and not always in the obvious direction (each one jumps to the bottom
of the local quadratic model), but it lands on $(1, 1)$ within a few steps. Gradient descent
first drops into the valley and then inches along its floor, still short of the minimum after
300 steps; with $\eta = 0.08$ it bounces between the steep walls and never settles, and at
$\eta = 0.1$ it blows up.

For a neural network with $n$ parameters, though, the Hessian has
$n^2$ entries and solving with it costs about $n^3$ operations — that is why deep learning
uses first-order methods (notebook 07) and, at most, Hessian-vector products.

## Summary

The backward pass is itself a computation made of the same operations as the forward pass,
so with `create_graph=True` (or `mp.grad(..., create_graph=True)`) it records a graph of
its own, and differentiating that graph gives second and higher derivatives. In many
dimensions the second derivatives form the Hessian; a Hessian-vector product costs only two
backward passes, without ever building the $n \times n$ matrix. Newton's method uses the
curvature to jump to the bottom of the local quadratic model: a few steps where gradient
descent needs hundreds, but each step needs the Hessian, which is why training large
networks stays with first-order methods.

## Exercises

**1.** Use nested `mp.grad` to compute the first four derivatives of $\sin$ at $x = 0.3$.
What pattern do you expect?

**2.** Apply one Newton step to $q(x) = 3(x - 2)^2 + 1$ from any starting point. Where do you
land, and why does one step always suffice for a quadratic?""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""The derivatives of $\sin$ cycle with period four: $\cos$, $-\sin$, $-\cos$, $\sin$.
Nested `mp.grad` with `create_graph=True` reproduces the cycle at $x = 0.3$.""",
                r"""x = Value(0.3)
current = x.sin()
expected = [math.cos(0.3), -math.sin(0.3), -math.cos(0.3), math.sin(0.3)]
for order in range(1, 5):
    (current,) = mp.grad(current, [x], create_graph=True)
    print(f"derivative {order}: {current.data:+.6f}   expected {expected[order - 1]:+.6f}")
    assert abs(current.data - expected[order - 1]) < 1e-12""",
            ),
            2: (
                r"""One Newton step lands exactly on $x = 2$ from anywhere. Newton fits a parabola to the
function using $f'$ and $f''$ and jumps to its bottom; for a quadratic that parabola *is*
the function, so its bottom is the true minimum.""",
                r"""def q(x):
    return 3 * (x - 2) ** 2 + 1


for x0 in (-5.0, 0.0, 7.5):
    landed = newton_1d(q, x0, 1)[-1]
    print(f"from {x0}: one Newton step lands at {landed}")
    assert abs(landed - 2.0) < 1e-12""",
            ),
        }
    ),
    nbtools.next_link(
        "13_going_faster_and_further.ipynb",
        "13 · Going faster, and going further",
        "training faster with `micrograd_plus.compile`, and carrying a model over to PyTorch.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
