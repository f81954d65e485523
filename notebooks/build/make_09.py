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
        """import random

import matplotlib.pyplot as plt

from micrograd_plus import data, losses, nn, optim
from micrograd_plus.train import EarlyStopping, fit
from micrograd_plus.viz.plots import plot_decision_boundary, plot_history

%matplotlib inline
plt.rcParams.update({"figure.dpi": 72})""",
    ),
    ("md", "## A train / validation split"),
    (
        "md",
        r"""Noisy moons (noise 0.3, so the classes overlap and no boundary can be perfect), 100
points, half for training and half for validation. `data.train_test_split` shuffles with a
seed and keeps the class balance the same in both halves.""",
    ),
    (
        "code",
        """X, y = data.make_moons(100, noise=0.3, seed=0)
X_train, X_val, y_train, y_val = data.train_test_split(X, y, test_size=0.5, seed=0)

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
for ax, (name, Xs, ys) in zip(axes, [("training", X_train, y_train), ("validation", X_val, y_val)]):
    ax.scatter([x[0] for x in Xs], [x[1] for x in Xs], c=ys, cmap="Spectral", edgecolors="k", s=25)
    ax.set(xlabel="x1", ylabel="x2", title=f"{name} set ({len(Xs)} points)")
fig.tight_layout()""",
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
overfitting. Accuracy is coarser (50 points move it in steps of 2%) but tells the same story.""",
    ),
    ("md", "## Weight decay"),
    (
        "md",
        r"""Adding $\lambda \sum_p p^2$ to the loss (notebook 05 did, with `losses.l2_penalty`) pulls
every weight towards 0 with a force proportional to its size; a boundary made of small
weights cannot have sharp bends. Optimizers offer it as `weight_decay`. With plain SGD the
two are the same thing. With Adam they are not: Adam divides each gradient, penalty
included, by its running RMS, which weakens the pull on exactly the weights with large
gradients. **AdamW** (Loshchilov and Hutter) *decouples* it: after the Adam step it
shrinks every weight directly,
$$w \leftarrow w - \eta\,\lambda\, w \quad (\text{then the usual Adam update}).$$""",
    ),
    (
        "code",
        """decayed = make_net()
adamw_history = run(decayed, optim.AdamW(decayed.parameters(), lr=0.02, weight_decay=0.5))


def compare(histories, title):
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (name, history) in enumerate(histories.items()):
        ax.plot(history.epochs, history.train["loss"], "-", color=f"C{i}", label=f"{name}: train")
        ax.plot(history.epochs, history.val["loss"], "--", color=f"C{i}",
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
slows the overfitting rather than preventing it. Note the orange training curve: noisy,
and above the plain network's, because it is measured on a randomly thinned network each
epoch, while the validation loss is measured on the full one.""",
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

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
plot_decision_boundary(plain, X_train, y_train, ax=axes[0], resolution=50)
axes[0].set_title(f"plain, after {EPOCHS} epochs (training points)")
plot_decision_boundary(decayed, X_train, y_train, ax=axes[1], resolution=50)
axes[1].set_title("AdamW weight decay (training points)")
plot_decision_boundary(stopped, X_train, y_train, ax=axes[2], resolution=50)
axes[2].set_title(f"early stopping, epoch {stopped_history.best_epoch} (training points)")
fig.tight_layout()""",
    ),
    (
        "md",
        r"""The overfitted boundary (left) makes detours to capture individual training points
that sit on the wrong side; the regularised ones are smoother. On data this small the
differences in validation accuracy are only a few points (one validation point is 2%),
which is itself a lesson: with little data, judge by the validation loss and expect noise.""",
    ),
    (
        "md",
        r"""## Exercises

1. **How much decay?** Train with `AdamW` and `weight_decay` in `[0.0, 0.5, 5.0]`. Which
   gives the lowest final validation loss, and what goes wrong with the largest?
   `answer_1()` runs it (a few seconds).
2. **Dropout's scaling.** Why does `Dropout` multiply the kept values by $1/(1-p)$ during
   training instead of multiplying by $(1-p)$ at test time? Check numerically that the mean
   output of `nn.Dropout(0.3)` over many calls on `[1.0] * 1000` is close to 1.
   `answer_2()` does.
3. **Peeking.** We used the validation set to choose the epoch (early stopping) and
   would use it to choose `weight_decay`. Why does that make its loss an optimistic estimate
   of performance on new data, and what is the usual fix? `answer_3()` explains.

The next cell (collapsed) holds the answers.""",
    ),
    (
        "answer",
        """def answer_1():
    for decay in [0.0, 0.5, 5.0]:
        model = make_net()
        history = run(model, optim.AdamW(model.parameters(), lr=0.02, weight_decay=decay))
        print(f"weight_decay={decay}: final train loss {history.train['loss'][-1]:.3f}, "
              f"validation loss {history.val['loss'][-1]:.3f}")
    print("Too much decay shrinks the weights faster than the data can grow them: the model")
    print("underfits (both losses stay high, the boundary is too simple).")


def answer_2():
    drop = nn.Dropout(0.3, seed=0)
    outputs = [v.data for _ in range(20) for v in drop([1.0] * 1000)]
    mean = sum(outputs) / len(outputs)
    print(f"mean output in training mode: {mean:.3f} (kept values are 1/0.7 = 1.43)")
    drop.eval()
    print(f"in eval mode: {drop([1.0] * 3)[0].data} (the identity, nothing to change at test time)")
    print("Scaling during training ('inverted dropout') keeps the expected activation the same,")
    print("so the trained network can be used as is at test time.")


def answer_3():
    print("Every choice made by looking at validation results fits the validation set a little:")
    print("its loss is then no longer an unbiased estimate. Keep a third, untouched test set")
    print("(or use cross-validation) and look at it once, at the very end.")""",
    ),
    (
        "md",
        r"""## Summary

- Always hold out validation data; overfitting is a training loss that falls while the
  validation loss rises.
- Weight decay (`AdamW(weight_decay=...)`, or `l2_penalty` in the loss) prefers small
  weights and smooth boundaries.
- `nn.Dropout(p)` trains random sub-networks; it is off in `eval()`.
- `EarlyStopping(patience=..., restore_best=True)` stops at the validation minimum and keeps
  that epoch's weights.

**Next:** notebook 10, more than two classes: softmax and cross-entropy.""",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
