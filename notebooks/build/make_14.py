# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/14_cnn_on_digits.ipynb: python notebooks/build/make_14.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "14_cnn_on_digits.ipynb"

CELLS = [
    (
        "md",
        r"""# 14 · A convolutional network on handwritten digits

So far every model here was an MLP on points in the plane. This notebook trains a
**convolutional neural network** (CNN) on real images: the 1,797 handwritten digits of the UCI
data set (8×8 pixels, the set scikit-learn ships as `load_digits`), included in the package
as `data.load_digits()`.

A convolution slides one small kernel (3×3 weights) over the image; every output pixel is the
same weighted sum of the 3×3 patch under it. Weight sharing makes a CNN small, and lets it
find a stroke wherever it is. We

1. compute a convolution by hand, and draw the graph of one output pixel,
2. train `Conv2d → ReLU → MaxPool2d → Linear` compiled, to 97%+ validation accuracy,
3. look at what it learned: the filters, the feature maps, a confusion matrix and the mistakes.

The layers follow PyTorch: `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1,
padding=0)` on one image `[C][H][W]`, weights as nested lists `weight[out][in][k][k]` (the
tests copy them into `torch.nn.Conv2d` and compare outputs and gradients).""",
    ),
    (
        "code",
        r"""%matplotlib inline
import random
import time

import matplotlib.pyplot as plt

import micrograd_plus as mp
from micrograd_plus import data, losses, nn, optim

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. The digits

`data.load_digits()` returns 64 pixel values in [0, 1] per image and its label;
`data.to_images` reshapes each row to a one-channel image `[1][8][8]`, the shape `Conv2d`
reads.""",
    ),
    (
        "code",
        r"""X, y = data.load_digits()
images = data.to_images(X)
print(len(images), "images of shape", (len(images[0]), len(images[0][0]), len(images[0][0][0])))

fig, axes = plt.subplots(2, 10, figsize=(10, 2.3))
for ax, i in zip(axes.flat, range(20)):
    ax.imshow(images[i][0], cmap="gray_r")
    ax.set_title(y[i], fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""## 2. A convolution by hand

A kernel that is −1 on its left column and +1 on its right responds to **vertical edges**:
it is positive where the pixel values (the ink) rise from left to right. Output pixel $(i, j)$ is

$$\text{out}[i][j] = b + \sum_{a=0}^{2}\sum_{c=0}^{2} w[a][c]\;x[i+a][j+c].$$

We compute it with two loops, then let `nn.Conv2d` do the same with those weights.""",
    ),
    (
        "code",
        r"""edge = [[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]
img = images[0][0]  # an 8x8 "0"


def convolve(img, kernel):
    k = len(kernel)
    size = len(img) - k + 1
    return [
        [sum(kernel[a][c] * img[i + a][j + c] for a in range(k) for c in range(k)) for j in range(size)]
        for i in range(size)
    ]


by_hand = convolve(img, edge)

conv = nn.Conv2d(1, 1, 3, seed=0)
for a in range(3):
    for c in range(3):
        conv.weight[0][0][a][c].data = edge[a][c]
conv.bias[0].data = 0.0
with mp.no_grad():
    by_layer = conv([img])[0]
print("largest difference between the loops and Conv2d:",
      max(abs(p - q.data) for r1, r2 in zip(by_hand, by_layer) for p, q in zip(r1, r2)))

fig, axes = plt.subplots(1, 3, figsize=(8, 2.8))
axes[0].imshow(img, cmap="gray_r")
axes[0].set_title("input 8x8")
axes[1].imshow(edge, cmap="bwr", vmin=-1, vmax=1)
axes[1].set_title("kernel 3x3")
axes[2].imshow(by_hand, cmap="bwr")
axes[2].set_title("output 6x6: vertical edges")
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""The output is 6×6: a 3×3 kernel fits in 6 positions along each side (`padding=1` would add a
border of zeros and keep 8×8). Red marks the left edge of a stroke (paper, then ink), blue its
right edge (ink, then paper).

### The graph of one output pixel

Each output is a single `Σ` node over nine products (kernel weight × pixel) and the bias: its
**receptive field** is the 3×3 patch. `draw_dot` shows exactly that. Backward through it gives
each of the nine weights the pixel it multiplied, which is how the kernel learns.""",
    ),
    (
        "code",
        r"""patch = [[mp.Value(img[r][c], label=f"x[{r}][{c}]") for c in range(8)] for r in range(8)]
for a in range(3):
    for c in range(3):
        conv.weight[0][0][a][c].label = f"w[{a}][{c}]"
conv.bias[0].label = "b"
pixel = conv([patch])[0][2][3]  # output row 2, column 3: input rows 2-4, columns 3-5
pixel.label = "out[2][3]"
pixel.backward()
mp.draw_dot(pixel, rankdir="LR")""",
    ),
    (
        "md",
        r"""## 3. The network

`Conv2d(1, 8, 3, padding=1)` learns 8 kernels, giving 8 feature maps of 8×8. `ReLU` keeps the
positive responses. `MaxPool2d(2)` keeps the largest value of each 2×2 block (4×4 maps): one
`max` node per block, whose gradient goes to the winning input, as in PyTorch. `Flatten` makes
the 8×4×4 = 128 values one row for a `Linear(128, 10)` that scores the ten digits.

`Sequential` passes the nested `[C][H][W]` lists from layer to layer, and `parameters()` finds
every weight inside the nested lists, so the optimizer trains the kernels too.""",
    ),
    (
        "code",
        r"""X_train, X_val, y_train, y_val = data.train_test_split(images, y, test_size=0.2, seed=0)
print(len(X_train), "training and", len(X_val), "validation images")

model = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1, seed=0),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(128, 10, init="xavier", seed=1),
)
print(model)
print(len(model.parameters()), "parameters, of which", len(model[0].parameters()), "in the convolution")""",
    ),
    (
        "md",
        r"""One batch of 64 images is about 450,000 nodes: eager `backward()` on it takes seconds.
`mp.compile` traces the loss once and replays it as NumPy. With `has_aux=True` it also returns
the logits, read off the same replay, which we use for accuracy. Integer class labels stay
integers under compile (`cross_entropy` picks each row's label with a `take` node).

First the check that matters: compiled gives eager's loss and gradients.""",
    ),
    (
        "code",
        r"""def batch_loss(Xb, yb):
    logits = model.forward_batch(Xb)
    return losses.cross_entropy(logits, yb), logits


B = 64
start = time.perf_counter()
model.zero_grad()
eager = batch_loss(X_train[:B], y_train[:B])[0]
eager.backward()
eager_grads = [p.grad for p in model.parameters()]
eager_seconds = time.perf_counter() - start

fast_loss = mp.compile(batch_loss, has_aux=True)
start = time.perf_counter()
model.zero_grad()
compiled, _ = fast_loss(X_train[:B], y_train[:B])
compiled.backward()
trace_seconds = time.perf_counter() - start
print(f"loss eager {eager.data:.12f}, compiled {compiled.data:.12f}")
print("largest gradient difference:", max(abs(a - p.grad) for a, p in zip(eager_grads, model.parameters())))
print(f"one eager step: {eager_seconds:.1f} s; trace + first compiled step: {trace_seconds:.1f} s")""",
    ),
    (
        "code",
        r"""def logits_of(images_):
    # Padded to B: one trace serves training and evaluation.
    out = []
    for i in range(0, len(images_), B):
        chunk = images_[i : i + B]
        _, logits = fast_loss(chunk + [chunk[0]] * (B - len(chunk)), [0] * B)
        out.extend(logits[: len(chunk)])
    return out


def accuracy(images_, labels):
    preds = [max(range(10), key=row.__getitem__) for row in logits_of(images_)]
    return sum(p == t for p, t in zip(preds, labels)) / len(labels)


EPOCHS = 30
steps_per_epoch = len(X_train) // B
opt = optim.Adam(model.parameters(), lr=0.02)
sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS * steps_per_epoch)
rng = random.Random(0)
order = list(range(len(X_train)))
train_losses, val_accs = [], []
start = time.perf_counter()
for epoch in range(EPOCHS):
    rng.shuffle(order)
    for s in range(steps_per_epoch):
        idx = order[s * B : (s + 1) * B]
        opt.zero_grad()
        loss, _ = fast_loss([X_train[i] for i in idx], [y_train[i] for i in idx])
        loss.backward()
        opt.step()
        sched.step()
        train_losses.append(loss.data)
    val_accs.append(accuracy(X_val, y_val))
train_seconds = time.perf_counter() - start
print(f"{EPOCHS} epochs ({EPOCHS * steps_per_epoch} steps of {B}) in {train_seconds:.1f} s, "
      f"including a validation pass per epoch")
print(f"validation accuracy: {val_accs[-1]:.1%} (best {max(val_accs):.1%})")""",
    ),
    (
        "code",
        r"""fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].plot(train_losses)
axes[0].set(yscale="log", title="training loss (cross-entropy)", xlabel="step")
axes[1].plot(range(1, EPOCHS + 1), val_accs, marker=".")
axes[1].axhline(0.97, color="gray", ls="--", lw=1)
axes[1].set(title="validation accuracy", xlabel="epoch", ylim=(0.8, 1.0))
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""## 4. What did it learn?

### The filters
The eight 3×3 kernels of the first layer, red positive and blue negative. Several are edge or
stroke detectors of different orientations, like the hand-made one above.""",
    ),
    (
        "code",
        r"""kernels = [[[w.data for w in row] for row in k[0]] for k in model[0].weight]
fig, axes = plt.subplots(1, 8, figsize=(10, 1.6))
for i, (ax, k) in enumerate(zip(axes, kernels)):
    m = max(abs(v) for row in k for v in row)
    ax.imshow(k, cmap="bwr", vmin=-m, vmax=m)
    ax.set_title(f"filter {i}", fontsize=9)
    ax.axis("off")
plt.show()""",
    ),
    (
        "md",
        r"""### The feature maps
The eight maps after `Conv2d` and `ReLU` for one validation image: each lights up where its
filter's pattern occurs.""",
    ),
    (
        "code",
        r"""sample = X_val[3]
with mp.no_grad():
    maps = model[1](model[0](sample))
fig, axes = plt.subplots(1, 9, figsize=(11, 1.7))
axes[0].imshow(sample[0], cmap="gray_r")
axes[0].set_title(f"input ({y_val[3]})", fontsize=9)
for i, (ax, fmap) in enumerate(zip(axes[1:], maps)):
    ax.imshow([[v.data for v in row] for row in fmap], cmap="viridis")
    ax.set_title(f"map {i}", fontsize=9)
for ax in axes:
    ax.axis("off")
plt.show()""",
    ),
    (
        "md",
        r"""### Confusion matrix and mistakes
Row = true digit, column = predicted digit; the diagonal holds the correct answers.""",
    ),
    (
        "code",
        r"""val_preds = [max(range(10), key=row.__getitem__) for row in logits_of(X_val)]
confusion = [[0] * 10 for _ in range(10)]
for t, p in zip(y_val, val_preds):
    confusion[t][p] += 1
fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.imshow(confusion, cmap="Blues")
for t in range(10):
    for p in range(10):
        if confusion[t][p]:
            ax.text(p, t, confusion[t][p], ha="center", va="center", fontsize=8,
                    color="white" if t == p else "black")
ax.set(xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10), title="validation confusion matrix")
plt.show()

wrong = [i for i, (t, p) in enumerate(zip(y_val, val_preds)) if t != p]
print(len(wrong), "of", len(y_val), "validation images misclassified")
fig, axes = plt.subplots(1, min(len(wrong), 10), figsize=(10, 1.6), squeeze=False)
for ax, i in zip(axes[0], wrong):
    ax.imshow(X_val[i][0], cmap="gray_r")
    ax.set_title(f"{y_val[i]} -> {val_preds[i]}", fontsize=9)
    ax.axis("off")
plt.show()""",
    ),
    (
        "md",
        r"""Most mistakes are digits that are ambiguous even to a person at 8×8 pixels.

## Exercises

**1.** Replace `MaxPool2d(2)` with `AvgPool2d(2)` and retrain. Which pooling does better here?

**2.** How much does the convolution add? Train a plain `Linear(64, 10)` on the flat pixel
rows `X` for the same number of epochs and compare validation accuracies.

**3.** Freeze the convolution: train only the `Linear` layer, leaving the random kernels as they
were drawn. How much accuracy do random filters already give? (This is why a test must check
that conv weights really are trained.)

Answers: `answer(1)`, `answer(2)` or `answer(3)` (collapsed cell below; each trains a model,
about 10-30 seconds).""",
    ),
    (
        "code",
        r"""# Your turn
""",
    ),
    (
        "answer",
        r"""def train_and_score(net, train_x, val_x, params=None, epochs=EPOCHS):
    def loss_fn(Xb, yb):
        logits = net.forward_batch(Xb)
        return losses.cross_entropy(logits, yb), logits

    fast = mp.compile(loss_fn, has_aux=True)
    opt_ = optim.Adam(params or net.parameters(), lr=0.02)
    sched_ = optim.lr_scheduler.CosineAnnealingLR(opt_, T_max=epochs * steps_per_epoch)
    rng_, order_ = random.Random(0), list(range(len(train_x)))
    for _ in range(epochs):
        rng_.shuffle(order_)
        for s in range(steps_per_epoch):
            idx = order_[s * B : (s + 1) * B]
            opt_.zero_grad()
            fast([train_x[i] for i in idx], [y_train[i] for i in idx])[0].backward()
            opt_.step()
            sched_.step()
    correct = 0
    for i in range(0, len(val_x), B):
        chunk = val_x[i : i + B]
        logits = fast(chunk + [chunk[0]] * (B - len(chunk)), [0] * B)[1][: len(chunk)]
        correct += sum(max(range(10), key=r.__getitem__) == t for r, t in zip(logits, y_val[i : i + B]))
    return correct / len(val_x)


def cnn(pool):
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, seed=0), nn.ReLU(), pool, nn.Flatten(),
                         nn.Linear(128, 10, init="xavier", seed=1))


def answer(n):
    # Prints the worked answer to exercise n (1, 2 or 3).
    if n == 1:
        acc = train_and_score(cnn(nn.AvgPool2d(2)), X_train, X_val)
        print(f"AvgPool2d: {acc:.1%}  vs  MaxPool2d: {val_accs[-1]:.1%}")
        print("Max pooling keeps the strongest response of each block, a little more robust")
        print("to where exactly a stroke sits; on 8x8 digits the two are close.")
    elif n == 2:
        flat = [[v for row in img[0] for v in row] for img in images]
        flat_train, flat_val, _, _ = data.train_test_split(flat, y, test_size=0.2, seed=0)
        acc = train_and_score(nn.Sequential(nn.Linear(64, 10, init="xavier", seed=1)), flat_train, flat_val)
        print(f"Linear on pixels: {acc:.1%}  vs  CNN: {val_accs[-1]:.1%}")
    elif n == 3:
        net = cnn(nn.MaxPool2d(2))
        acc = train_and_score(net, X_train, X_val, params=net[4].parameters())
        print(f"random, frozen filters: {acc:.1%}  vs  trained filters: {val_accs[-1]:.1%}")
        print("Random filters already make useful features, so a CNN whose conv weights are")
        print("silently never updated still looks fine: only a direct test catches that bug.")
    else:
        print("there are three exercises: answer(1), answer(2) or answer(3)")""",
    ),
    (
        "md",
        r"""## Summary

- A convolution is one small weighted sum slid over the image; each output pixel is one `Σ`
  node over its 3×3 receptive field, and the shared kernel collects gradient from every
  position.
- `Conv2d → ReLU → MaxPool2d → Flatten → Linear`, compiled, reaches over 97% on held-out
  digits after seconds of training; the same graph, eager, gives the same numbers.
- The learned filters are stroke detectors; the confusion matrix shows which digits remain
  hard.

**Next:** [15 · Recurrent networks on a time series](15_rnn_gru_time_series.ipynb).""",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
