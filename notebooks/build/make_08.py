# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/08_vanishing_and_exploding_gradients.ipynb: python notebooks/build/make_08.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "08_vanishing_and_exploding_gradients.ipynb"

CELLS = [
    (
        "md",
        r"""# 08 · Vanishing and exploding gradients

Backpropagation multiplies. The gradient reaching the first layer of a deep network is a
product with one factor per layer above it: for a chain of $D$ layers
$h_l = \sigma(a_l)$, $a_l = W_l h_{l-1} + b_l$ ($l = 1, \dots, D$) and a loss $L$,

$$\frac{\partial L}{\partial h_{l-1}} = W_l^{\top}\, \operatorname{diag}\bigl(\sigma'(a_l)\bigr)\, \frac{\partial L}{\partial h_l}
\quad\Longrightarrow\quad
\frac{\partial L}{\partial h_{0}} = \prod_{l=1}^{D} W_l^{\top} \operatorname{diag}\bigl(\sigma'(a_l)\bigr)\; \frac{\partial L}{\partial h_D}.$$

($D$ is the depth; $L$ is always the loss.)

If the typical factor is below 1 the product shrinks geometrically with depth (the early
layers **vanish**: they barely learn); above 1 it grows geometrically (**explodes**: steps
become huge). Two things set the factor: the activation's derivative $\sigma'$ and the
size of the weights. This notebook measures both with `plot_grad_flow` (the gradient norm
of each layer), then looks at the standard fixes: ReLU, careful initialisation, gradient
clipping and batch normalisation. Layers are numbered from the input: layer 1 reads the
data, the last layer gives the score.""",
    ),
    (
        "code",
        """import math
import random

import matplotlib.pyplot as plt

from micrograd_plus import Value, data, losses, nn, optim
from micrograd_plus.train import fit, parameters_by_layer
from micrograd_plus.viz.plots import CLASS_COLORS, plot_grad_flow

%matplotlib inline
plt.rcParams.update({"figure.dpi": 72})

X, labels = data.make_moons(100, noise=0.1, seed=0)
y = [2 * label - 1 for label in labels]  # for the hinge loss


def backward_once(model, n=50):
    \"\"\"Fill every p.grad with the gradient of the hinge loss on the first n points.\"\"\"
    model.zero_grad()
    losses.hinge_loss(model.forward_batch(X[:n]), y[:n]).backward()


def layer_norms(model):
    \"\"\"The gradient norm of each layer that has parameters, first layer first.\"\"\"
    layers = [layer for layer in model.layers if layer.parameters()]
    return [math.sqrt(sum(p.grad**2 for p in layer.parameters())) for layer in layers]


def numbered(model):
    \"\"\"{parameter-group name: "layer k"} for the layers of weights only, numbered from the input.

    The same numbering in every panel; BatchNorm's scale and shift are not a layer of weights.
    \"\"\"
    weights = [name for name, _ in model.named_parameters() if ".w[" in name]
    names = [group for group in parameters_by_layer(model)
             if any(name.startswith(group + ".w[") for name in weights)]
    return {name: f"layer {k}" for k, name in enumerate(names, start=1)}""",
    ),
    ("md", "## Sigmoid versus ReLU in a deep, narrow net"),
    (
        "md",
        r"""The sigmoid's derivative $\sigma'(a) = \sigma(a)(1 - \sigma(a))$ is at most $1/4$ (at
$a = 0$) and close to 0 once $|a|$ is large. Every sigmoid layer multiplies the gradient by
such a factor. ReLU's derivative is exactly 1 where the unit is on (and 0 where it is off),
so it does not shrink the gradient of active paths.

Two networks with 7 hidden layers of 16 units, same initialisation (micrograd's uniform
$[-1, 1]$), one backward pass on 50 points:""",
    ),
    (
        "code",
        """deep_sigmoid = nn.MLP(2, [16] * 7 + [1], activation="sigmoid", seed=0)
deep_relu = nn.MLP(2, [16] * 7 + [1], activation="relu", seed=0)

fig, axes = plt.subplots(1, 2, figsize=(13, 3.8), sharey=True)
for ax, (name, model) in zip(axes, [("sigmoid", deep_sigmoid), ("ReLU", deep_relu)]):
    backward_once(model)
    plot_grad_flow(model, ax=ax, layers=numbered(model), vmin=1e-4, vmax=1e2)  # one y-range
    norms = layer_norms(model)
    ax.set_title(f"{name}: last / first layer = {norms[-1] / norms[0]:.3g}")
fig.tight_layout()""",
    ),
    (
        "md",
        r"""Read the sigmoid panel from right to left, the direction the gradient travels: each
layer it passes shrinks it by a factor of about 3, so the first layer's weights get a
gradient about a thousand times smaller than the last layer's. With one learning rate for
all of them, the early layers hardly move. (The bound $\sigma' \le 1/4$ alone would allow
$4^7 \approx 16\,000$; the weights, up to 1 in size and 16 per unit, win part of it back.)
The ReLU net's layers all get gradients of a similar size.""",
    ),
    ("md", "## Initialisation: keeping the signal the same size"),
    (
        "md",
        r"""ReLU fixes the activation's factor; the weights still set the rest. A unit adds up
`fan_in` inputs times weights, so the variance of its input is about
$\text{fan\_in} \cdot \operatorname{Var}(w) \cdot \mathbb{E}[h^2]$. A ReLU zeroes half of its
inputs, so to keep the signal the same size from layer to layer we need
$\operatorname{Var}(w) = 2 / \text{fan\_in}$: **He** (Kaiming) initialisation. **Xavier**
(Glorot) uses $2 / (\text{fan\_in} + \text{fan\_out})$, right for tanh-like units, half of
what ReLU needs. micrograd's uniform $[-1, 1]$ has $\operatorname{Var}(w) = 1/3$ whatever the
width: for 16 inputs He's is $2/16 = 1/8$, so uniform's variance is
$(1/3)/(1/8) = 8/3 \approx 2.7$ times He's (and its weights $\sqrt{8/3} \approx 1.6$ times larger).

`nn.MLP(..., init="uniform" | "xavier" | "he")` picks the scheme. Below, a 7-hidden-layer
ReLU net of width 16 with each: the size (standard deviation over 50 points) of each
layer's output in the forward pass, and each layer's gradient norm in the backward pass.""",
    ),
    (
        "code",
        """def activation_sizes(model, n=50):
    \"\"\"Standard deviation of each layer's outputs over the first n points (forward only).\"\"\"
    batch = [list(x) for x in X[:n]]
    sizes = []
    for layer in model.layers:
        batch = [[v.data for v in layer.outputs(x)] for x in batch]
        flat = [v for row in batch for v in row]
        mean = sum(flat) / len(flat)
        sizes.append(math.sqrt(sum((v - mean) ** 2 for v in flat) / len(flat)))
    return sizes


fig, (ax_forward, ax_backward) = plt.subplots(1, 2, figsize=(12, 3.8))
for init, color in zip(["uniform", "xavier", "he"], CLASS_COLORS):
    model = nn.MLP(2, [16] * 7 + [1], activation="relu", init=init, seed=0)
    backward_once(model)
    layers = range(1, len(model.layers) + 1)
    ax_forward.plot(layers, activation_sizes(model), "o-", label=init, color=color)
    ax_backward.plot(layers, layer_norms(model), "o-", label=init, color=color)
ax_forward.set(xlabel="layer", ylabel="std of the layer's outputs", yscale="log",
               title="forward: signal size per layer")
ax_backward.set(xlabel="layer", ylabel="gradient norm", yscale="log",
                title="backward: gradient norm per layer")
for ax in (ax_forward, ax_backward):
    ax.legend()
    ax.grid(alpha=0.3, which="both")
fig.tight_layout()""",
    ),
    (
        "md",
        r"""With **uniform** weights the signal grows layer after layer (about $\times 1.6$ each:
$\sqrt{16 \cdot \tfrac13 \cdot \tfrac12}$), so the scores at the top are huge and so is the
gradient everywhere. With **Xavier** it shrinks by about $1/\sqrt2$ per layer, too little
variance for ReLU. **He** keeps it level. In the backward pass the picture is the same
(uniform large, Xavier small, He in between), and the per-layer trend is flatter than the
forward one because forward growth and backward growth cancel in the weight gradients
$\partial L/\partial W_l = \delta_l\, h_{l-1}^{\top}$. A deeper net makes all of these
differences exponentially larger.""",
    ),
    ("md", "## What it does to training"),
    (
        "md",
        r"""Now train: a deep sigmoid net (6 hidden layers of 8, micrograd's uniform init) against
the same shape with ReLU and He initialisation, 30 epochs of full-batch gradient descent
(`optim.SGD` on all 100 points). `fit`
records the gradient norm of each layer at every epoch, and `plot_grad_flow(history)`
draws them: for more than four layers as a heatmap, one row per layer (layer 1 on top),
one column per epoch, the colour on a log scale. Both heatmaps share one colour scale, so
the same colour means the same size in both. (`compile=True` makes `fit` replay each step's graph with NumPy: same numbers,
a few times faster; notebook 13 explains it.)""",
    ),
    (
        "code",
        """def train(model, epochs=30, lr=0.5, compile=True):
    optimizer = optim.SGD(model.parameters(), lr=lr)
    return fit(model, losses.hinge_loss, optimizer, X, y, epochs=epochs, progress=False,
               compile=compile)


sigmoid_model = nn.MLP(2, [8] * 6 + [1], activation="sigmoid", seed=1)
relu_model = nn.MLP(2, [8] * 6 + [1], activation="relu", init="he", seed=1)
sigmoid_history = train(sigmoid_model)
relu_history = train(relu_model, lr=0.1)

fig, axes = plt.subplots(1, 3, figsize=(17, 4), layout="constrained")
axes[0].plot(sigmoid_history.epochs, sigmoid_history.train["loss"], label="sigmoid, uniform init",
             color=CLASS_COLORS[0])
axes[0].plot(relu_history.epochs, relu_history.train["loss"], label="ReLU, He init",
             color=CLASS_COLORS[1])
axes[0].set(xlabel="epoch", ylabel="hinge loss", title="training loss")
axes[0].legend()
SHARED = dict(vmin=1e-5, vmax=10.0)  # one colour scale for both heatmaps: colours compare
plot_grad_flow(sigmoid_history, ax=axes[1], layers=numbered(sigmoid_model), **SHARED)
axes[1].set_title("sigmoid net: gradient norm per layer")
plot_grad_flow(relu_history, ax=axes[2], layers=numbered(relu_model), **SHARED)
axes[2].set_title("ReLU + He net: gradient norm per layer")
print(f"final accuracy: sigmoid {sigmoid_history.train['accuracy'][-1]:.0%}, "
      f"ReLU {relu_history.train['accuracy'][-1]:.0%}")""",
    ),
    (
        "md",
        r"""The sigmoid net fails in the way deep sigmoid nets typically do: within two epochs its
output becomes the same score (about 0) for every point, the loss sits at 1.0, and the
gradients that reach its layers (middle panel) are around $10^{-3}$ to $10^{-2}$, too
small for gradient descent to find a way out in 30 epochs. The ReLU + He net's layers all get gradients of similar
size, a few tenths, and it learns steadily with a *smaller* learning rate.""",
    ),
    ("md", "## Exploding gradients and clipping"),
    (
        "md",
        r"""The opposite failure: where the loss surface has a steep wall (a "cliff"), one gradient
can be huge, and $w \leftarrow w - \eta\, \partial L/\partial w$ throws the parameters far away, often onto an even
steeper part, and the next step is worse still. In recurrent nets and very deep nets this
shows up as a loss that suddenly turns into `inf` or `nan`.

**Gradient clipping** caps the size of the step without changing its direction: if the
global norm $\|g\| = \sqrt{\sum_p g_p^2}$ exceeds `max_norm`, every gradient is scaled by
`max_norm / ‖g‖`. It is one line before `optimizer.step()`:
`optim.clip_grad_norm_(model.parameters(), max_norm)` (or `fit(..., clip_grad_norm=...)`).

The smallest example is one parameter and $f(w) = w^4$, started at $w = 4$ where the
gradient $4w^3 = 256$ is large:""",
    ),
    (
        "code",
        """def descend_cliff(clip, steps=5, lr=0.05):
    w = Value(4.0, label="w")
    optimizer = optim.SGD([w], lr=lr)
    trace = [w.data]
    for _ in range(steps):
        optimizer.zero_grad()
        (w**4).backward()
        if clip is not None:
            optim.clip_grad_norm_([w], max_norm=clip)
        optimizer.step()
        trace.append(w.data)
    return trace


print("no clipping:     ", ", ".join(f"{v:.3g}" for v in descend_cliff(None)))
print("clip at norm 10: ", ", ".join(f"{v:.3g}" for v in descend_cliff(10.0)))
print("clip, 40 steps:  ", f"{descend_cliff(10.0, steps=40)[-1]:.3g}")""",
    ),
    (
        "md",
        r"""Unclipped, the first step jumps from 4 to $-8.8$, where the gradient is ten times
larger, and five steps later $w$ is astronomically large. Clipped, every step is at most
$\eta \cdot 10 = 0.5$ long, and once $w$ is near the bottom the gradient is small enough that
clipping no longer acts. Clipping changes nothing when gradients are well-behaved, which
is why it is a cheap safety net.""",
    ),
    (
        "md",
        r"""**A deep net that explodes.** The same thing happens in a real network. Take 12 hidden
ReLU layers of 16 units with micrograd's uniform init: each layer makes the signal about
1.6 times larger (section 2), so after 12 layers the scores are hundreds of times too large,
the first hinge loss is about 74, and the first gradients are in the hundreds. One
gradient-descent step with $\eta = 0.05$ throws the weights so far that every ReLU
switches off, and the network is dead from then on (loss 1, the constant score 0).
`fit(..., clip_grad_norm=1.0)` clips the global norm before every step; same net, same
learning rate. The two heatmaps (13 layers each, one colour scale) show the gradients.""",
    ),
    (
        "code",
        """deep_plain = nn.MLP(2, [16] * 12 + [1], activation="relu", seed=0)
deep_clipped = nn.MLP(2, [16] * 12 + [1], activation="relu", seed=0)
exploded = fit(deep_plain, losses.hinge_loss, optim.SGD(deep_plain.parameters(), lr=0.05), X, y,
               epochs=30, progress=False, compile=True)
clipped = fit(deep_clipped, losses.hinge_loss, optim.SGD(deep_clipped.parameters(), lr=0.05), X, y,
              epochs=30, clip_grad_norm=1.0, progress=False, compile=True)

fig, axes = plt.subplots(1, 3, figsize=(17, 4.5), layout="constrained")
axes[0].plot(exploded.epochs, exploded.train["loss"], label="no clipping", color=CLASS_COLORS[0])
axes[0].plot(clipped.epochs, clipped.train["loss"], label="clip_grad_norm=1.0", color=CLASS_COLORS[1])
axes[0].set(xlabel="epoch", ylabel="hinge loss", yscale="log", title="13 layers, lr = 0.05")
axes[0].legend()
SHARED = dict(vmin=1e-3, vmax=1e3)
plot_grad_flow(exploded, ax=axes[1], layers=numbered(deep_plain), **SHARED)
axes[1].set_title("no clipping: gradient norm per layer")
plot_grad_flow(clipped, ax=axes[2], layers=numbered(deep_clipped), **SHARED)
axes[2].set_title("clipped (norm before clipping)")
for name, history in [("no clipping", exploded), ("clipped", clipped)]:
    print(f"{name:12s} loss: first {history.train['loss'][0]:.1f}, last {history.train['loss'][-1]:.3f}, "
          f"accuracy {history.train['accuracy'][-1]:.0%}")""",
    ),
    (
        "md",
        r"""Without clipping the gradient norms of the first epochs are in the hundreds; then one
step jumps too far, the loss falls to 1.0 and stays there (the net now gives almost the same
score to every point, 50% accuracy), and its gradients are a thousand times smaller than
before (dark): it hardly moves again. With clipping the recorded norms are just as large at first
(`fit` records them before clipping), but no step is longer than $\eta \cdot 1$, the scores
shrink step by step to a sensible size, and the net learns. Clipping treats the symptom;
the cure is the initialisation of section 2 (`init="he"` trains this net without it). In
practice you use both: the right init, and a clip as a safety net for the rare bad batch.""",
    ),
    ("md", "## Batch normalisation"),
    (
        "md",
        r"""Initialisation sets the scale of the signal at the start; **batch normalisation**
(Ioffe and Szegedy, 2015) re-sets it at every step. A `BatchNorm1d` layer standardises each
feature over the mini-batch and then lets the network choose a scale $\gamma$ and shift
$\beta$ of its own:

$$\hat a = \frac{a - \mu_{\text{batch}}}{\sqrt{\sigma^2_{\text{batch}} + \epsilon}}, \qquad \text{out} = \gamma\, \hat a + \beta.$$

Put before a sigmoid, it keeps the sigmoid's inputs near 0, where $\sigma'$ is largest,
whatever the weights do. Because it needs the whole batch, a model containing it is run
with `model.forward_batch(X)` (which `fit` uses); in `eval()` mode it uses running
averages instead, so single samples work again.

We build the nets with `nn.Sequential` from `Linear`, `BatchNorm1d` and `Sigmoid` modules:
6 hidden layers of 8 sigmoid units (Xavier init), with and without batch norm. The batch-norm
net trains eagerly (`compile=False`): a trace would freeze the batch statistics of its first
call, so `fit` refuses to compile it.""",
    ),
    (
        "code",
        """def sigmoid_net(batch_norm, depth=6, width=8, seed=2):
    rng = random.Random(seed)  # one stream shared by the layers: both nets get the same weights
    modules, nin = [], 2
    for _ in range(depth):
        modules.append(nn.Linear(nin, width, init="xavier", seed=rng))
        if batch_norm:
            modules.append(nn.BatchNorm1d(width))
        modules.append(nn.Sigmoid())
        nin = width
    modules.append(nn.Linear(nin, 1, init="xavier", seed=rng))
    return nn.Sequential(*modules)


print(sigmoid_net(batch_norm=True, depth=2))  # the pattern, on a short one
plain_model, bn_model = sigmoid_net(batch_norm=False), sigmoid_net(batch_norm=True)
plain_history = train(plain_model, epochs=20)
bn_history = train(bn_model, epochs=20, compile=False)

fig, axes = plt.subplots(1, 3, figsize=(17, 4), layout="constrained")
axes[0].plot(plain_history.epochs, plain_history.train["loss"], label="sigmoid net",
             color=CLASS_COLORS[0])
axes[0].plot(bn_history.epochs, bn_history.train["loss"], label="sigmoid net + BatchNorm1d",
             color=CLASS_COLORS[1])
axes[0].set(xlabel="epoch", ylabel="hinge loss", title="training loss, gradient descent, lr=0.5")
axes[0].set_xticks(range(0, 21, 5))  # whole epochs
axes[0].legend()
SHARED = dict(vmin=1e-6, vmax=1.0)
plot_grad_flow(plain_history, ax=axes[1], layers=numbered(plain_model), **SHARED)
axes[1].set_title("without batch norm")
plot_grad_flow(bn_history, ax=axes[2], layers=numbered(bn_model), **SHARED)
axes[2].set_title("with batch norm (Linear layers only)")
print(f"final accuracy: without {plain_history.train['accuracy'][-1]:.0%}, "
      f"with {bn_history.train['accuracy'][-1]:.0%}")""",
    ),
    (
        "md",
        r"""Without batch norm the Xavier-initialised sigmoid net is stuck: every layer's gradient
is tiny (dark), the output is nearly the same for every point, and the loss stays at
1 (the hinge loss of a constant score of 0). With batch norm the gradients of the same
layers are orders of magnitude larger from the first epoch on, and the net learns. Both
panels show the same seven layers of weights, numbered the same way; the `BatchNorm1d`
layers' own parameters ($\gamma$ and $\beta$) are left out, so like is compared with like.""",
    ),
    (
        "md",
        r"""## Summary

The gradient that reaches an early layer is a product of one factor per layer after it, so
it shrinks or grows geometrically with depth. Sigmoid and tanh shrink it ($\sigma' \le
1/4$); ReLU passes it unchanged through active units. The weights set the rest, so
initialise for the activation: He ($\operatorname{Var} w = 2/\text{fan\_in}$) for ReLU,
Xavier for tanh and sigmoid; micrograd's uniform $[-1, 1]$ is too large for wide layers and
makes deep nets explode. `clip_grad_norm_` (or `fit(clip_grad_norm=...)`) caps the step on
a cliff and keeps an exploding net alive, and `BatchNorm1d` re-normalises every batch so a
deep sigmoid net can learn at all. `plot_grad_flow`, on a model after `backward()` or on
`fit`'s history (a heatmap for many layers, one colour scale for panels you compare), is how
you see all of this.""",
    ),
    (
        "md",
        r"""## Exercises

**1.** *The sigmoid bound.* If every factor were exactly $\max \sigma' = 1/4$ and the weights
were 1, by how much would the gradient shrink over the 7 hidden layers of the first
experiment? Compare with what `plot_grad_flow` measured.

**2.** *Find He's constant.* For `nn.MLP(2, [16] * 7 + [1], activation="relu")` with weights
uniform on $[-a, a]$ (variance $a^2/3$), which $a$ keeps the forward signal the same size
from layer to layer? Check with `activation_sizes` on a net built with `init="he"`
(`micrograd_plus` uses $a = \sqrt{6/\text{fan\_in}}$).

**3.** *Batch norm at test time.* After training, `bn_model.eval()` switches `BatchNorm1d` to
its running averages. Why is that needed, and does the prediction for a single point then
depend on the other points in its batch? Try it on the trained `bn_model`.""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""$(1/4)^7 \approx 6 \cdot 10^{-5}$ is the most the sigmoid derivatives alone could shrink
the gradient. The measured ratio between the first and the last layer is milder: weights of
size up to 1 with 16 inputs per unit give back a factor of a few per layer. It is still
geometric in depth.""",
                r"""bound = 0.25**7
backward_once(deep_sigmoid)
norms = layer_norms(deep_sigmoid)
ratio = norms[0] / norms[-1]
print(f"(1/4)^7 = {bound:.2e}; measured first / last layer gradient norm: {ratio:.2e}")
assert bound < ratio < 1""",
            ),
            2: (
                r"""The input of a unit has variance $\text{fan\_in} \cdot \operatorname{Var}(w) \cdot
\mathbb{E}[h^2]$, and a ReLU keeps half of its input's variance: $\mathbb{E}[h^2] =
\operatorname{Var}/2$. A steady size needs $\text{fan\_in} \cdot \operatorname{Var}(w)/2 = 1$,
so $\operatorname{Var}(w) = 2/\text{fan\_in} = a^2/3$ and $a = \sqrt{6/\text{fan\_in}}$: for
16 inputs, $a \approx 0.61$ (uniform $[-1, 1]$ has $a = 1$). The He net's layer sizes stay
within a factor of about two of each other across all eight layers.""",
                r"""a = math.sqrt(6 / 16)
model = nn.MLP(2, [16] * 7 + [1], activation="relu", init="he", seed=0)
sizes = activation_sizes(model)
print(f"a = sqrt(6/16) = {a:.3f}")
print("He net, std of each layer's outputs:", ", ".join(f"{s:.2f}" for s in sizes))
hidden = sizes[:-1]
assert max(hidden) / min(hidden) < 3""",
            ),
            3: (
                r"""In training mode each output is normalised with its batch's mean and variance, so the
same point gets a different output in a different batch. A prediction must depend on the
input alone, so `eval()` uses the running averages collected during training: then the
point's output is the same alone or in any batch.""",
                r"""point = X[0]
bn_model.train()
with_a = bn_model.forward_batch([point, X[1]])[0].data
with_b = bn_model.forward_batch([point, X[2]])[0].data
print(f"training mode, the same point in two batches: {with_a:.4f} vs {with_b:.4f}")
bn_model.eval()
alone = bn_model(point).data
in_batch = bn_model.forward_batch([point, X[2]])[0].data
print(f"eval mode: alone {alone:.4f}, in a batch {in_batch:.4f}")
bn_model.train()
assert abs(with_a - with_b) > 1e-6 and abs(alone - in_batch) < 1e-12""",
            ),
        }
    ),
    nbtools.next_link(
        "09_overfitting_and_regularisation.ipynb",
        "09 · Overfitting and regularisation",
        "a network that learns *too* well, and how validation data shows it.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
