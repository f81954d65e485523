# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/09_overfitting_and_regularisation.ipynb: python notebooks/build/make_09.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "09_overfitting_and_regularisation.ipynb"

CELLS = [
    (
        "md",
        r"""# 09 · Overfitting and regularisation

The training loss measures how well the network fits the points it has seen. What we
want is a network that is right on points it has **not** seen. A network with enough
parameters can drive the training loss towards zero by bending its boundary around every
noisy point, and then does *worse* on new data: it **overfits**.

To see it we hold some data back: a **validation set** the network never trains on.
Then we try the standard remedies, each a way of preferring simpler functions:

- an **L2 penalty** / **weight decay** (small weights, smooth boundaries),
- **dropout** (no unit can rely on any other),
- **early stopping** (stop when the validation loss stops improving).""",
    ),
    (
        "code",
        """import math
import random

import matplotlib.pyplot as plt

from micrograd_plus import data, losses, nn, optim
from micrograd_plus.train import EarlyStopping, fit
from micrograd_plus.viz.plots import CLASS_COLORS, plot_decision_boundary, plot_history

%matplotlib inline
plt.rcParams.update({"figure.dpi": 72})""",
    ),
    ("md", "## A train / validation split"),
    (
        "md",
        r"""Noisy moons (noise 0.3, so the classes overlap and no boundary can be perfect), 100
points, half for training and half for validation. `data.train_test_split` shuffles with a
seed; `stratify=y` makes it keep the class balance the same in both halves (without it, a
random split of 100 points easily gives 24 of one class and 26 of the other).""",
    ),
    (
        "code",
        """X, y = data.make_moons(100, noise=0.3, seed=0)
X_train, X_val, y_train, y_val = data.train_test_split(X, y, test_size=0.5, seed=0, stratify=y)
print("class counts: training", [y_train.count(c) for c in (0, 1)],
      " validation", [y_val.count(c) for c in (0, 1)])

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True, sharey=True, layout="constrained")
for ax, (name, Xs, ys) in zip(axes, [("training", X_train, y_train), ("validation", X_val, y_val)]):
    for label, color in zip((0, 1), CLASS_COLORS):
        points = [x for x, t in zip(Xs, ys) if t == label]
        ax.scatter([p[0] for p in points], [p[1] for p in points], color=color, edgecolors="k",
                   s=25, label=f"class {label}")
    ax.set(xlabel="x1", ylabel="x2", title=f"{name} set ({len(Xs)} points)")
axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False);""",
    ),
    (
        "md",
        r"""The model: two hidden layers of 12 ReLU units (about four parameters per training point), written
as an `nn.Sequential` so that we can slot `Dropout` layers in later. The loss is the binary
cross-entropy on the logit $s$, $-[t \log \sigma(s) + (1-t)\log(1 - \sigma(s))]$, which
`losses.binary_cross_entropy_with_logits` computes without overflow. `fit(..., val=(X_val,
y_val))` evaluates the validation set after every epoch (in `eval()` mode and without
building a graph), and `compile=True` replays each training step's graph with NumPy (same
numbers, faster; notebook 13).""",
    ),
    (
        "code",
        """EPOCHS = 120
WIDTH = 12
loss_fn = losses.binary_cross_entropy_with_logits


def make_net(dropout=0.0):
    rng = random.Random(0)  # the same starting weights for every experiment
    modules = [nn.Linear(2, WIDTH, seed=rng), nn.ReLU()]
    if dropout:
        modules.append(nn.Dropout(dropout, seed=1))
    modules += [nn.Linear(WIDTH, WIDTH, seed=rng), nn.ReLU()]
    if dropout:
        modules.append(nn.Dropout(dropout, seed=2))
    modules.append(nn.Linear(WIDTH, 1, seed=rng))
    return nn.Sequential(*modules)


def run(model, optimizer, compile=True, **options):
    return fit(model, loss_fn, optimizer, X_train, y_train, epochs=EPOCHS, val=(X_val, y_val),
               progress=False, seed=0, compile=compile, **options)


plain = make_net()
plain_history = run(plain, optim.Adam(plain.parameters(), lr=0.02))
print(plain)
print(len(plain.parameters()), "parameters for", len(X_train), "training points")
plot_history(plain_history);""",
    ),
    (
        "md",
        r"""The textbook picture: the training loss (solid) keeps falling, the validation loss
(dashed) falls with it for a while, reaches its lowest point and then **rises** while the
network fits the noise of its 50 training points. Everything after that minimum is
overfitting.

Accuracy does *not* tell the same story, and that is worth understanding: the validation
accuracy stays around 76% (and wobbles up now and then) while the validation loss triples.
The loss measures confidence as well as correctness. The overfitted network becomes very
sure of everything, its mistakes included, and a wrong answer given with probability 0.99
costs $-\log 0.01 \approx 4.6$, where an unsure one costs $\log 2 \approx 0.7$. Accuracy only
counts which side of 1/2 each prediction falls on (and 50 points move it in steps of 2%). So
watch the validation *loss*: it shows the damage long before accuracy does.""",
    ),
    ("md", "## Weight decay"),
    (
        "md",
        r"""Adding $\lambda \sum_p p^2$ to the loss (notebook 05 did, with `losses.l2_penalty`) pulls
every weight towards 0 with a force proportional to its size; a boundary made of small
weights cannot have sharp bends. Optimizers offer it as `weight_decay`: `weight_decay=wd`
adds $\text{wd}\cdot w$ to each gradient. The penalty's gradient is $2\lambda w$, so with
plain SGD the penalty $\lambda \sum_p p^2$ and `weight_decay=2λ` are the same thing (note
the factor 2; notebook 05's exercise 1 checks it). With Adam they are not: Adam divides each
gradient, penalty included, by its running RMS, which weakens the pull on exactly the
weights with large gradients. **AdamW** (Loshchilov and Hutter) *decouples* it: before the
Adam update, and outside it, it shrinks every weight directly (PyTorch's order, which
`optim.AdamW` follows),
$$w \leftarrow w - \eta\,\lambda\, w, \quad\text{then}\quad w \leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon),$$
where $\hat m$ and $\hat v$ come from the gradient of the loss alone.""",
    ),
    (
        "code",
        """decayed = make_net()
adamw_history = run(decayed, optim.AdamW(decayed.parameters(), lr=0.02, weight_decay=0.5))


def compare(histories, title):
    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, history), color in zip(histories.items(), CLASS_COLORS):
        ax.plot(history.epochs, history.train["loss"], "-", color=color, label=f"{name}: train")
        ax.plot(history.epochs, history.val["loss"], "--", color=color,
                label=f"{name}: validation")
    ax.set(xlabel="epoch", ylabel="loss (binary cross-entropy)", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    for name, history in histories.items():
        best = min(history.val["loss"])
        print(f"{name:24s} validation loss: best {best:.3f}, final {history.val['loss'][-1]:.3f}; "
              f"final validation accuracy {history.val['accuracy'][-1]:.0%}")


compare({"Adam": plain_history, "AdamW, weight_decay=0.5": adamw_history}, "weight decay")""",
    ),
    ("md", "## Dropout"),
    (
        "md",
        r"""`nn.Dropout(p)` zeroes each of its inputs with probability $p$ during training and
multiplies the survivors by $1/(1-p)$, so the expected value is unchanged. Every step
trains a different random sub-network; no unit can count on a particular other unit being
there, which discourages the fragile co-adaptations that fit noise. In `eval()` mode it
does nothing, and `fit` evaluates the validation set in eval mode. This run is eager
(`compile=False`): a trace would freeze the first random mask, so `fit` refuses to compile
a model with dropout.""",
    ),
    (
        "code",
        """dropped = make_net(dropout=0.3)
dropout_history = run(dropped, optim.Adam(dropped.parameters(), lr=0.02), compile=False)
compare({"Adam": plain_history, "Adam + dropout 0.3": dropout_history}, "dropout")""",
    ),
    (
        "md",
        r"""With dropout the validation loss rises later and more slowly: on this small problem it
slows the overfitting rather than preventing it. Note the dropout run's training curve
(solid, second colour): noisy, and above the plain network's, because it is measured on a
randomly thinned network each epoch, while the validation loss is measured on the full one.""",
    ),
    ("md", "## Early stopping"),
    (
        "md",
        r"""The simplest remedy of all: keep an eye on the validation loss and stop when it has
not improved for `patience` epochs, then go back to the weights of the best epoch.
`train.EarlyStopping(monitor="val_loss", patience=10, restore_best=True)` is a callback for
`fit` that does exactly that.""",
    ),
    (
        "code",
        """stopped = make_net()
stopper = EarlyStopping(monitor="val_loss", patience=10, restore_best=True)
stopped_history = run(stopped, optim.Adam(stopped.parameters(), lr=0.02), callbacks=[stopper])
print(f"stopped early: {stopped_history.stopped_early} after {len(stopped_history.epochs)} epochs; "
      f"best epoch {stopped_history.best_epoch} (validation loss {stopper.best:.3f}), "
      "weights restored")

fig, axes = plt.subplots(1, 3, figsize=(16, 4.2), layout="constrained")
plot_decision_boundary(plain, X_train, y_train, ax=axes[0], resolution=50, legend=False)
axes[0].set_title(f"plain, after {EPOCHS} epochs (training points)")
plot_decision_boundary(decayed, X_train, y_train, ax=axes[1], resolution=50, legend=False)
axes[1].set_title("AdamW weight decay (training points)")
plot_decision_boundary(stopped, X_train, y_train, ax=axes[2], resolution=50)
axes[2].set_title(f"early stopping, epoch {stopped_history.best_epoch} (training points)")""",
    ),
    (
        "md",
        r"""The overfitted boundary (left) makes detours to capture individual training points
that sit on the wrong side; the regularised ones are smoother. The shading (pale where the
network is unsure) shows what the validation loss measured: the overfitted network is
confident right up to its boundary, the early-stopped one is unsure over a wide band around
it. On data this small the differences in validation accuracy are only a few points (one
validation point is 2%), which is itself a lesson: with little data, judge by the
validation loss and expect noise.""",
    ),
    (
        "md",
        r"""## Summary

The training loss says how well a network fits the points it has seen; only data held back
from training, a validation set, says how it does on new points. Overfitting is a training
loss that keeps falling while the validation loss rises; the validation loss shows it long
before the accuracy does, because it also measures confidence. Three remedies prefer
simpler functions: weight decay (`AdamW(weight_decay=...)`, or `l2_penalty` in the loss, with
`weight_decay = 2λ` for plain SGD) keeps weights small and boundaries smooth; `nn.Dropout(p)`
trains random sub-networks and is off in `eval()`; `EarlyStopping(patience=...,
restore_best=True)` stops at the validation minimum and keeps that epoch's weights.

## Exercises

**1.** *How much decay?* Train with `AdamW` and `weight_decay` in `[0.0, 0.5, 5.0, 50.0]`.
Which gives the lowest final validation loss, and what goes wrong with the largest?

**2.** *Dropout's scaling.* Why does `Dropout` multiply the kept values by $1/(1-p)$ during
training instead of multiplying by $(1-p)$ at test time? Check numerically that the mean
output of `nn.Dropout(0.3)` over many calls on `[1.0] * 1000` is close to 1.

**3.** *Peeking.* We used the validation set to choose the epoch (early stopping) and would
use it to choose `weight_decay`. Why does that make its loss an optimistic estimate of
performance on new data, and what is the usual fix?""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""More decay trades training loss for validation loss: the final validation loss falls from
about 1.46 (no decay) to about 0.6 at 5.0, while the training loss rises. At 50 the decay
shrinks the weights faster than the data can grow them: the network collapses to a
constant output, both losses sit at $\log 2 \approx 0.693$ (a coin toss) and the accuracy is
50%. Note that the best of these (5.0) is still worse than early stopping's 0.49: the right
amount is found by trying values a factor of a few apart and watching the validation loss.""",
                r"""finals = {}
for decay in [0.0, 0.5, 5.0, 50.0]:
    model = make_net()
    history = run(model, optim.AdamW(model.parameters(), lr=0.02, weight_decay=decay))
    finals[decay] = (history.train["loss"][-1], history.val["loss"][-1])
    print(f"weight_decay={decay:5}: final train loss {finals[decay][0]:.3f}, "
          f"validation loss {finals[decay][1]:.3f}, accuracy {history.val['accuracy'][-1]:.0%}")
assert min(finals, key=lambda d: finals[d][1]) == 5.0
assert abs(finals[50.0][1] - 0.6931) < 0.01""",
            ),
            2: (
                r"""Scaling the survivors by $1/(1-p)$ during training ("inverted dropout") keeps the
expected value of every activation the same, so the trained network can be used as it is
at test time: in `eval()` mode `Dropout` is the identity. The measured mean is close to 1,
with kept values $1/0.7 \approx 1.43$.""",
                r"""drop = nn.Dropout(0.3, seed=0)
outputs = [v.data for _ in range(20) for v in drop([1.0] * 1000)]
mean = sum(outputs) / len(outputs)
print(f"mean output in training mode: {mean:.3f}; kept values are {max(outputs):.3f}")
drop.eval()
print(f"in eval mode: {[v.data for v in drop([1.0] * 3)]}")
assert abs(mean - 1) < 0.02""",
            ),
            3: (
                r"""Every choice made by looking at validation results (the epoch, the decay, the
architecture) fits the validation set a little, so its loss is no longer an unbiased
estimate of the loss on new data. The usual fix is a third, untouched **test set** (or
cross-validation for the choices), looked at once, at the very end. The code shows the
effect in its purest form: among 200 random linear classifiers it picks the one with the
lowest loss on a validation set of 50 points, then measures that classifier on 2000 new
points. On any one validation set the new loss can come out higher or lower, so it repeats
this with 20 validation sets drawn at random from the same pool: on average the chosen
classifier does worse on new data than its validation loss promised. Picking the best of
many noisy scores picks lucky noise too.""",
                r"""X_pool, y_pool = data.make_moons(4000, noise=0.3, seed=1)
X_new, y_new = X_pool[:2000], y_pool[:2000]  # "new data", never used to choose


def linear_loss(w, Xs, ys):
    # binary cross-entropy of the logit w0*x1 + w1*x2 + w2, with plain floats
    total = 0.0
    for (x1, x2), t in zip(Xs, ys):
        s = w[0] * x1 + w[1] * x2 + w[2]
        total += math.log1p(math.exp(-s if t else s))
    return total / len(Xs)


rng = random.Random(0)
candidates = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(200)]
gaps = []
for trial in range(20):  # 20 fresh validation sets: 50 random points each from the rest
    picks = rng.sample(range(2000, 4000), 50)
    X_v, y_v = [X_pool[i] for i in picks], [y_pool[i] for i in picks]
    chosen = min(candidates, key=lambda w: linear_loss(w, X_v, y_v))
    gaps.append(linear_loss(chosen, X_new, y_new) - linear_loss(chosen, X_v, y_v))
print(f"new-data loss minus validation loss of the chosen classifier, over 20 validation sets: "
      f"mean {sum(gaps) / len(gaps):+.3f}, larger in {sum(g > 0 for g in gaps)} of 20")
assert sum(gaps) > 0""",
            ),
        }
    ),
    nbtools.next_link(
        "10_multiclass_softmax.ipynb",
        "10 · Multi-class classification: softmax and cross-entropy",
        "more than two classes.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
