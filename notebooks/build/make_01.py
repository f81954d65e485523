# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/01_values_and_the_chain_rule.ipynb: python notebooks/build/make_01.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "01_values_and_the_chain_rule.ipynb"

CELLS = [
    (
        "md",
        r"""# 01 · Values and the chain rule

Backpropagation is the chain rule, applied carefully to a graph of small operations.
Before any neural network, this notebook makes sure the three ways of getting a
derivative agree:

1. **by hand**, with the rules from calculus;
2. **by finite differences**, nudging an input and watching the output move;
3. **by `backward()`**, which is what `micrograd_plus` does for you.

You will see the graph a `Value` records, why gradients *add up* when a value is used
twice, and how `gradcheck` turns "the three agree" into a one-line test.""",
    ),
    (
        "md",
        r"""## Notation used throughout the course

| symbol | meaning | in code |
|---|---|---|
| $x, a, b, \dots$ | a number in the computation (an input or an intermediate result) | `v.data` of a `Value` |
| $L$ | the output we differentiate: later the **loss** | the Value you call `.backward()` on |
| $f'(x) = \dfrac{df}{dx}$ | derivative of a function of one input | |
| $\dfrac{\partial L}{\partial x}$ | gradient of $L$ with respect to $x$: how fast $L$ moves when $x$ moves, all else fixed | `x.grad` after `L.backward()` |
| $h$ | the small step of a finite difference | `eps` in `gradcheck` |
| $w_i, b$ | a neuron's weights and bias | `neuron.w[i]`, `neuron.b` |
| $n$ (also $z$) | a neuron's pre-activation $\sum_i w_i x_i + b$ | |
| $o$ (also $y$, $\varphi(z)$) | a neuron's output after its activation | |
| $\eta$ | the learning rate of gradient descent, $w \leftarrow w - \eta\, \partial L / \partial w$ | `lr=` |
| $g$ | in a derivative rule: the upstream gradient arriving at a node | the `g` of the rules in `ops.py` |""",
    ),
    (
        "code",
        r"""%matplotlib inline
import math

import matplotlib.pyplot as plt

import micrograd_plus as mp
from micrograd_plus import Value
from micrograd_plus.viz import draw_dot

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. A derivative is a slope

Take $f(x) = 3x^2 - 4x + 5$. By hand, $f'(x) = 6x - 4$, so at $x = 3$ the slope is $14$.

A computer without calculus can estimate the slope by nudging $x$ by a small $h$.
The **central difference**

$$f'(x) \approx \frac{f(x+h) - f(x-h)}{2h}$$

has an error proportional to $h^2$ — but only while $h$ is not so small that
floating-point rounding takes over. Let's watch both effects.""",
    ),
    (
        "code",
        r"""def f(x):
    return 3 * x**2 - 4 * x + 5


def central_difference(fn, x, h):
    return (fn(x + h) - fn(x - h)) / (2 * h)


x0 = 3.0
for h in (1e-1, 1e-4, 1e-7, 1e-10):
    print(f"h = {h:.0e}: estimate {central_difference(f, x0, h):.12f}   (exact {6 * x0 - 4})")""",
    ),
    (
        "md",
        r"""For a quadratic the $h^2$ error term happens to vanish, so every error above is
rounding. To see both effects, take $\sin$ at $x = 1$ (exact slope $\cos 1$) and sweep $h$:""",
    ),
    (
        "code",
        r"""steps = [10.0**-k for k in range(0, 15)]
errors = [abs(central_difference(math.sin, 1.0, h) - math.cos(1.0)) for h in steps]

fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.loglog(steps, [max(e, 1e-17) for e in errors], "o-")
ax.set_xlabel("step h")
ax.set_ylabel("|estimate − exact|")
ax.set_title("central difference for sin'(1)")
ax.annotate("rounding:\n∝ 1/h", (1e-11, 1e-2), ha="center")
ax.annotate("truncation:\n∝ h²", (1e-3, 1e-2), ha="center")
ax.grid(alpha=0.3, which="both")
plt.show()""",
    ),
    (
        "md",
        r"""Large steps are inaccurate because the curve bends within $[x-h, x+h]$ (error $\propto h^2$);
tiny steps divide a difference of nearly equal numbers, whose rounding error is about
$10^{-16}$, by a tiny $h$. The sweet spot is near $h \approx 10^{-5}$.
Finite differences are a good *check*, never a good way to train: two function
evaluations per input and half the digits lost.

## 2. A `Value` remembers how it was made

`Value` wraps a number and records every operation applied to it. `backward()` then walks
that record from the output back to the inputs.""",
    ),
    (
        "code",
        r"""x = Value(3.0, label="x")
y = 3 * x**2 - 4 * x + 5
y.backward()
print("f(3)  =", y.data)
print("by hand:", 6 * 3.0 - 4, "  backward():", x.grad)""",
    ),
    (
        "md",
        r"""## 3. Several inputs: the chain rule on a graph

Here is an expression with intermediate results that have names:

$$e = a \cdot b,\qquad d = e + c,\qquad L = d \cdot f.$$

With $a = 2$, $b = -3$, $c = 10$, $f = -2$ we get $e = -6$, $d = 4$, $L = -8$.
By hand, outputs first:

* $\dfrac{\partial L}{\partial d} = f = -2$ and $\dfrac{\partial L}{\partial f} = d = 4$;
* $+$ passes its gradient through unchanged:
  $\dfrac{\partial L}{\partial e} = \dfrac{\partial L}{\partial c} = \dfrac{\partial L}{\partial d}\cdot 1 = -2$;
* $\times$ swaps its inputs: $\dfrac{\partial L}{\partial a} = \dfrac{\partial L}{\partial e}\cdot b = 6$
  and $\dfrac{\partial L}{\partial b} = \dfrac{\partial L}{\partial e}\cdot a = -4$.

That is the **chain rule**: the gradient of the output with respect to a node is the
gradient with respect to its consumer times the local derivative of that consumer.""",
    ),
    (
        "code",
        r"""def build():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    f = Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "f": f}


L, leaves = build()
L.backward()
draw_dot(L)""",
    ),
    (
        "md",
        r"""Each box shows a Value's label, its data and its gradient (after `backward()`); each oval
is the operation that produced the box to its right. Now the three methods side by side:""",
    ),
    (
        "code",
        r"""by_hand = {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def L_of(values):
    v = dict(values)
    return (v["a"] * v["b"] + v["c"]) * v["f"]


point = {name: leaf.data for name, leaf in leaves.items()}
h = 1e-6
print(f"{'input':>5} {'by hand':>9} {'finite diff':>13} {'backward':>9}")
for name, leaf in leaves.items():
    up = {**point, name: point[name] + h}
    down = {**point, name: point[name] - h}
    numeric = (L_of(up) - L_of(down)) / (2 * h)
    print(f"{name:>5} {by_hand[name]:>9.4f} {numeric:>13.6f} {leaf.grad:>9.4f}")""",
    ),
    (
        "md",
        r"""## 4. A value used twice: gradients add up

If a value feeds two operations, a nudge to it moves the output *through both paths*.
The multivariate chain rule says to **sum** the contributions:

$$\frac{\partial L}{\partial a} = \sum_{\text{consumers } u \text{ of } a}
  \frac{\partial L}{\partial u}\,\frac{\partial u}{\partial a}.$$

This is why `backward()` *adds* into `.grad` (`+=`) instead of assigning. (An early
version of micrograd assigned, and `a + a` then had gradient 1 instead of 2.)""",
    ),
    (
        "code",
        r"""a = Value(3.0, label="a")
b = a + a
b.label = "b"
b.backward()
print("d(a + a)/da =", a.grad)

a = Value(3.0, label="a")
q = a * a
q.label = "q"
q.backward()
print("d(a * a)/da =", a.grad, " (by hand: 2a =", 2 * 3.0, ")")
draw_dot(q)""",
    ),
    (
        "md",
        r"""Both edges of `a * a` are kept in the graph, and each contributes $a$ to the gradient.

The same accumulation means that calling `backward()` twice **adds** the gradients of both
calls, as in PyTorch. In training you therefore reset gradients to zero before each step.""",
    ),
    (
        "code",
        r"""x = Value(3.0, label="x")
y = 3 * x**2 - 4 * x + 5
y.backward()
y.backward()
print("after two backward() calls:", x.grad, "(= 2 × 14)")
x.grad = 0.0  # what optimizer.zero_grad() / model.zero_grad() do for every parameter""",
    ),
    (
        "md",
        r"""## 5. `gradcheck`: the test every gradient must pass

`mp.gradcheck(fn, inputs)` runs `backward()` and central differences on `fn` at `inputs`
and raises `GradcheckError` if they disagree, listing every input. Our own test suite runs
it on every operation. Let's check a small but nonlinear function:

$$q(x, y) = \tanh(x\,y) + \frac{e^{x}}{1 + y^2}.$$""",
    ),
    (
        "code",
        r"""def q(x, y):
    return (x * y).tanh() + x.exp() / (1 + y**2)


print(mp.gradcheck(q, [0.7, -1.3]))""",
    ),
    (
        "md",
        r"""`plot_gradcheck` shows what `gradcheck` compared: on the left `backward()`'s gradient beside
the central difference for each input; on the right the gap between them as the step $h$
(`eps`) shrinks. It is the V of section 1 again: truncation error ($\propto h^2$) on the
right, rounding error ($\propto 1/h$) on the left, smallest near $h \approx 10^{-5}$.""",
    ),
    (
        "code",
        r"""from micrograd_plus.viz import plot_gradcheck

plot_gradcheck(q, [0.7, -1.3], eps=1e-6, names=["x", "y"])
plt.show()""",
    ),
    (
        "md",
        r"""It passes. Where does it *fail*? At a kink. `relu` has no derivative at 0: the
slope is 0 on the left and 1 on the right. Like PyTorch, `micrograd_plus` uses 0 there,
while the central difference straddles the kink and reports the average, 0.5.""",
    ),
    (
        "code",
        r"""try:
    mp.gradcheck(lambda x: x.relu(), [0.0])
except mp.GradcheckError as error:
    print(error)""",
    ),
    (
        "md",
        r"""This is not a bug: any choice in $[0, 1]$ is a valid *subgradient*, and inputs land
exactly on 0 with probability zero in practice. But it is a good reason to run gradcheck
at random points, away from kinks.

## Summary

A derivative is a slope, and there are three ways to get it: by hand with the rules of
calculus, by finite differences (nudge an input, watch the output; accurate only for a step
that is neither too large nor too small), and by `backward()`, which applies the chain rule
to the graph of operations a `Value` records. When a value feeds several operations its
gradient is the **sum** of the contributions along every path, which is why `backward()`
adds into `.grad` and why gradients must be reset between training steps. `gradcheck`
compares `backward()` with finite differences and is the test every derivative rule passes
(except exactly at a kink, such as `relu` at 0).

## Exercises

**1.** Work out $\dfrac{d}{dx}\tanh(x)$ at $x = 0.5$ by hand (hint: $\tanh' = 1 - \tanh^2$),
then check it with `backward()`.

**2.** For $h(a, b) = a\,b + b^2$ at $a = 2$, $b = -3$, what is $\partial h / \partial b$?
Predict it, then check your answer with `backward()` and with `mp.gradcheck`.""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""$\tanh'(x) = 1 - \tanh^2 x$, so at $x = 0.5$ it is $1 - 0.4621^2 \approx 0.7864$;
`backward()` gives the same.""",
                r"""t = math.tanh(0.5)
x = Value(0.5)
x.tanh().backward()
print(f"by hand: 1 - tanh(0.5)^2 = 1 - {t:.4f}^2 = {1 - t * t:.6f}")
print(f"backward(): {x.grad:.6f}")
assert abs(x.grad - (1 - t * t)) < 1e-12""",
            ),
            2: (
                r"""$\partial h/\partial b = a + 2b = 2 - 6 = -4$: $b$ appears in both terms, and the two
contributions add up. `backward()` and `gradcheck` agree.""",
                r"""a, b = Value(2.0), Value(-3.0)
(a * b + b**2).backward()
print("by hand: dh/db = a + 2b = 2 - 6 = -4")
print("backward():", b.grad)
print("gradcheck:", mp.gradcheck(lambda a, b: a * b + b**2, [2.0, -3.0]))
assert b.grad == -4.0""",
            ),
        }
    ),
    nbtools.next_link(
        "02_backprop_step_by_step.ipynb",
        "02 · Backpropagation, one chain-rule step at a time",
        "`backward()` opened up and played one step at a time, on the graph, with a quiz.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
