# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/03_neuron_layer_mlp.ipynb: python notebooks/build/make_03.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "03_neuron_layer_mlp.ipynb"

CELLS = [
    (
        "md",
        r"""# 03 · A neuron, a layer, an MLP

A neural network is built from one small formula repeated many times. A **neuron** with
inputs $x_1, \dots, x_n$, weights $w_1, \dots, w_n$ and a bias $b$ computes

$$z = \sum_{i=1}^{n} w_i x_i + b, \qquad y = \varphi(z),$$

a weighted sum plus a bias (the *pre-activation* $z$), passed through a nonlinear
**activation function** $\varphi$. A **layer** is several neurons reading the same inputs; a
**multi-layer perceptron (MLP)** feeds each layer's outputs to the next.

This notebook does the forward pass by hand, then with `micrograd_plus.nn`, and compares
the three classic activations and their derivatives.""",
    ),
    (
        "code",
        r"""%matplotlib inline
import math

import matplotlib.pyplot as plt

from micrograd_plus import Value, nn
from micrograd_plus.viz import draw_dot, draw_module

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. The worked example, step by step

Two inputs $x = (0.5,\ 0.3)$, weights $w = (0.4,\ 0.6)$ and a bias $b = 0.1$:

$$z = 0.4 \cdot 0.5 + 0.6 \cdot 0.3 + 0.1 = 0.2 + 0.18 + 0.1 = 0.48.$$

With the sigmoid activation $\sigma(z) = \dfrac{1}{1 + e^{-z}}$:
$\;y = \sigma(0.48) = 1/(1 + e^{-0.48}) \approx 1/(1 + 0.6188) \approx 0.6177$.""",
    ),
    (
        "code",
        r"""x = [0.5, 0.3]
w = [0.4, 0.6]
b = 0.1

products = [wi * xi for wi, xi in zip(w, x)]
z = sum(products) + b
y = 1 / (1 + math.exp(-z))
print("products w_i * x_i:", [round(p, 4) for p in products])
print(f"z = {' + '.join(f'{p:.2f}' for p in products)} + {b} = {z:.4f}")
print(f"e^(-z) = {math.exp(-z):.4f}")
print(f"y = sigmoid(z) = {y:.4f}")""",
    ),
    (
        "md",
        r"""The same computation with `Value`s records a graph, so `backward()` can tell us how
much the output would move if each weight moved: $\dfrac{\partial y}{\partial w_i} =
\sigma'(z)\,x_i$ with $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$.""",
    ),
    (
        "code",
        r"""x1, x2 = Value(0.5, label="x1"), Value(0.3, label="x2")
w1, w2 = Value(0.4, label="w1"), Value(0.6, label="w2")
bias = Value(0.1, label="b")
z_v = w1 * x1 + w2 * x2 + bias
z_v.label = "z"
y_v = z_v.sigmoid()
y_v.label = "y"
y_v.backward()

slope = y * (1 - y)
print(f"y = {y_v.data:.4f}; sigmoid'(z) = y(1 - y) = {slope:.4f}")
print(f"dy/dw1: backward {w1.grad:.4f}, by hand sigmoid'(z)*x1 = {slope * 0.5:.4f}")
print(f"dy/dw2: backward {w2.grad:.4f}, by hand sigmoid'(z)*x2 = {slope * 0.3:.4f}")
print(f"dy/db:  backward {bias.grad:.4f}, by hand sigmoid'(z)    = {slope:.4f}")
draw_dot(y_v, rankdir="TB")""",
    ),
    (
        "md",
        r"""Notice $\partial y / \partial w_i$ is proportional to the input $x_i$: a weight learns
faster when its input is large, and not at all when its input is zero.

## 2. The same neuron from `nn.Neuron`

`nn.Neuron(nin, activation=...)` holds its weights `w` (a list of Values) and its bias `b`.
Its weights start random; we overwrite them with the example's numbers.""",
    ),
    (
        "code",
        r"""neuron = nn.Neuron(2, activation="sigmoid", seed=0)
print(neuron, " random start:", [round(wi.data, 3) for wi in neuron.w], neuron.b.data)
for wi, value in zip(neuron.w, w):
    wi.data = value
neuron.b.data = b
out = neuron(x)
print(f"neuron([0.5, 0.3]) = {out.data:.4f}")""",
    ),
    (
        "md",
        r"""## 3. A layer: several neurons, one input

A layer with $m$ neurons computes $m$ weighted sums of the same inputs — in matrix form
$\mathbf h = \varphi(W\mathbf x + \mathbf b)$ with $W$ of shape $m \times n$ — so it has
$m\,(n + 1)$ parameters. `named_parameters()` names them `w[i,j]` (neuron $i$, input $j$)
and `b[i]`.""",
    ),
    (
        "code",
        r"""layer = nn.Layer(2, 3, activation="tanh", seed=1)
print(layer)
for name, p in layer.named_parameters():
    print(f"  {name:7s} {p.data:+.4f}")
h = layer(x)
print("outputs:", [round(v.data, 4) for v in h])""",
    ),
    (
        "md",
        r"""## 4. An MLP: layers in a row

`nn.MLP(nin, nouts)` stacks layers of the given sizes. As in micrograd, hidden layers use ReLU
and the last layer is linear (it outputs a raw score; the loss decides how to read it).
Here is a 2 → 4 → 4 → 1 network:""",
    ),
    (
        "code",
        r"""mlp = nn.MLP(2, [4, 4, 1], seed=0)
print(mlp)
sizes = [2, 4, 4, 1]
by_formula = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
print("parameters:", len(mlp.parameters()), " formula sum (n_in + 1) n_out =", by_formula)
print("mlp([0.5, 0.3]) =", mlp(x))
draw_module(mlp, rankdir="TB")""",
    ),
    (
        "md",
        r"""The picture shows the architecture, not the computation graph: the graph of this small
network's output already has 90 Values. For a tiny 2 → 2 → 1 network it is still readable.
We label every parameter with its name from `named_parameters()` (`L0` is the first layer)
and the inputs `x1`, `x2`; each neuron is a weighted sum (`Σ`) followed by `relu`.""",
    ),
    (
        "code",
        r"""tiny = nn.MLP(2, [2, 1], seed=0)
for name, p in tiny.named_parameters():
    p.label = name.replace("layers.", "L")
inputs = [Value(0.5, label="x1"), Value(0.3, label="x2")]
out = tiny(inputs)
out.label = "out"
out.backward()
draw_dot(out, rankdir="TB")""",
    ),
    (
        "md",
        r"""Look at the second hidden neuron: its weighted sum is negative, so its `relu` outputs 0
and passes **no gradient** back. Its weights get gradient 0 on this input — they would not
change if we trained on it alone.""",
    ),
    (
        "md",
        r"""## 5. Activations and their derivatives

Without an activation, stacked layers collapse into one linear map. The three classics:

| | $\varphi(z)$ | $\varphi'(z)$ | range |
|---|---|---|---|
| ReLU | $\max(0, z)$ | $1$ if $z>0$ else $0$ | $[0, \infty)$ |
| sigmoid | $1/(1+e^{-z})$ | $\sigma(z)(1-\sigma(z))$ | $(0, 1)$ |
| tanh | $(e^{z}-e^{-z})/(e^{z}+e^{-z})$ | $1-\tanh^2 z$ | $(-1, 1)$ |

We compute the derivative curves with `backward()` (one small graph per point) and check them
against the formulas in the table.""",
    ),
    (
        "code",
        r"""def value_and_slope(activation, z):
    v = Value(z)
    out = getattr(v, activation)()
    out.backward()
    return out.data, v.grad


formulas = {
    "relu": lambda z: 1.0 if z > 0 else 0.0,
    "sigmoid": lambda z: (1 / (1 + math.exp(-z))) * (1 - 1 / (1 + math.exp(-z))),
    "tanh": lambda z: 1 - math.tanh(z) ** 2,
}
zs = [-4 + 8 * i / 200 for i in range(201)]
curves = {}
for name, formula in formulas.items():
    values, slopes = zip(*(value_and_slope(name, z) for z in zs))
    curves[name] = (values, slopes)
    worst = max(abs(s - formula(z)) for s, z in zip(slopes, zs))
    print(f"{name:8s} max |backward - formula| = {worst:.1e}, largest slope {max(slopes):.3f}")""",
    ),
    (
        "code",
        r"""def broken_at_jumps(xs, ys, jump=0.5):
    # A gap where the curve jumps, so ReLU's step is not drawn with a vertical line.
    out_x, out_y = [xs[0]], [ys[0]]
    for x, y, previous in zip(xs[1:], ys[1:], ys):
        if abs(y - previous) > jump:
            out_x.append(float("nan"))
            out_y.append(float("nan"))
        out_x.append(x)
        out_y.append(y)
    return out_x, out_y


fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
for name, (values, slopes) in curves.items():
    left.plot(zs, values, label=name)
    right.plot(*broken_at_jumps(zs, slopes), label=name)
left.set_title("activation φ(z)")
right.set_title("derivative φ'(z), computed by backward()")
for axis in (left, right):
    axis.set_xlabel("z")
    axis.axhline(0, color="gray", lw=0.5)
    axis.axvline(0, color="gray", lw=0.5)
    axis.grid(alpha=0.3)
    axis.legend()
left.set_ylabel("φ(z)")
right.set_ylabel("φ'(z)")
left.set_ylim(-1.2, 2.5)
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""What the right panel says about training:

* **sigmoid**'s slope is at most $1/4$ (at $z = 0$) and nearly 0 for $|z| > 4$: the neuron
  *saturates*. Each sigmoid layer multiplies the backward signal by at most $1/4$, which is why
  deep sigmoid networks learn slowly (notebook 08).
* **tanh** is a rescaled sigmoid, $\tanh z = 2\sigma(2z) - 1$, centred on 0 with slope up to 1 —
  but it saturates too.
* **ReLU** passes gradients through unchanged where $z > 0$ and blocks them where $z < 0$. It
  never saturates on the positive side, which made deep networks trainable; a neuron whose $z$ is
  negative for every input gets no gradient at all (a "dead" ReLU).""",
    ),
    (
        "md",
        r"""## Summary

A neuron computes a weighted sum of its inputs plus a bias, $z = \sum_i w_i x_i + b$, and
passes it through an activation, $y = \varphi(z)$; a layer is several neurons reading the
same inputs, and an MLP feeds layer into layer. `backward()` gives every weight's gradient,
$\partial y/\partial w_i = \varphi'(z)\,x_i$: proportional to the input, and to the
activation's slope. That slope is why the choice of activation matters: sigmoid's is at
most 1/4 and vanishes when it saturates, tanh's at most 1, ReLU's exactly 1 or 0.

## Exercises

**1.** Redo the worked example with tanh instead of sigmoid, and with bias $b = -0.2$:
what are $z$ and $y$? Check with `nn.Neuron(2, activation="tanh")`.

**2.** How many parameters does micrograd's `MLP(3, [4, 4, 1])` have? Work it out, then check.

**3.** Why is $\sigma'(z) \le 1/4$? (Hint: $\sigma(1-\sigma)$ is a parabola in $\sigma$.)""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""$z = 0.4 \cdot 0.5 + 0.6 \cdot 0.3 - 0.2 = 0.18$ and $y = \tanh(0.18) \approx 0.1781$;
the neuron with the same weights agrees.""",
                r"""z = 0.4 * 0.5 + 0.6 * 0.3 - 0.2
y_tanh = math.tanh(z)
print(f"z = 0.2 + 0.18 - 0.2 = {z:.2f};  y = tanh({z:.2f}) = {y_tanh:.4f}")
check = nn.Neuron(2, activation="tanh")
for wi, value in zip(check.w, [0.4, 0.6]):
    wi.data = value
check.b.data = -0.2
print("nn.Neuron:", round(check([0.5, 0.3]).data, 4))
assert abs(check([0.5, 0.3]).data - 0.1781) < 1e-4""",
            ),
            2: (
                r"""Each layer has $(n_\text{in} + 1)\,n_\text{out}$ parameters (a weight per input and a
bias, per neuron): $(3+1) \cdot 4 + (4+1) \cdot 4 + (4+1) \cdot 1 = 16 + 20 + 5 = 41$.""",
                r"""count = len(nn.MLP(3, [4, 4, 1]).parameters())
print("(3 + 1) * 4 + (4 + 1) * 4 + (4 + 1) * 1 = 16 + 20 + 5 =", count)
assert count == 41""",
            ),
            3: (
                r"""With $s = \sigma(z) \in (0, 1)$, $s(1 - s)$ is a downward parabola in $s$ with its top at
$s = 1/2$ (that is, $z = 0$), where it equals $1/2 \cdot 1/2 = 1/4$. The code checks it on a
grid of $z$.""",
                r"""slopes = [value_and_slope("sigmoid", z)[1] for z in zs]
largest = max(slopes)
print(f"largest sigmoid slope on the grid: {largest:.4f} at z = {zs[slopes.index(largest)]:.2f}")
assert abs(largest - 0.25) < 1e-9""",
            ),
        }
    ),
    nbtools.next_link(
        "04_regression_and_mse.ipynb",
        "04 · Regression and the mean squared error",
        "the first training loop, fitting a line and a curve to data with gradient descent.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
