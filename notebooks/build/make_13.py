# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/13_going_faster_and_further.ipynb: python notebooks/build/make_13.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "13_going_faster_and_further.ipynb"

CELLS = [
    (
        "md",
        r"""# 13 · Going faster, and going further

A scalar engine is slow on purpose: every number is a Python object, so you can label it,
print it, draw it and step through its backward pass. This last notebook shows two ways out
when you want speed without giving that up:

1. **`mp.compile`** traces your loss function once and replays the same graph as vectorised
   NumPy — same numbers, same gradients, much less time;
2. **`MLP.to_torch()` / `MLP.from_torch()`** carry a model over to PyTorch and back, weights
   included, for when you outgrow scalars.""",
    ),
    (
        "code",
        r"""%matplotlib inline
import time

import matplotlib.pyplot as plt

import micrograd_plus as mp
from micrograd_plus import data, losses, nn, optim
from micrograd_plus.train import fit, predict_classes

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. What `compile` does

`mp.compile(fn)` runs `fn` once on `Value`s and records the graph it builds — a *trace*, like
`jax.jit` or `torch.compile`. The graph becomes a flat tape of index arrays; afterwards every
call replays the tape level by level with NumPy, using the *same* derivative rules from
`ops.py`, applied to arrays instead of floats. The result has `.data` and `.backward()`, and
`backward()` fills the model's `.grad`s exactly as the eager graph would.

We compile the loss of a 2 → 16 → 16 → 1 network on a batch of 64 two-moons samples:""",
    ),
    (
        "code",
        r"""X, y = data.make_moons(64, noise=0.1, seed=0)
model = nn.MLP(2, [16, 16, 1], seed=0)
print(model, "with", len(model.parameters()), "parameters")


def batch_loss(X, y):
    return losses.binary_cross_entropy_with_logits(model.forward_batch(X), y)


fast_loss = mp.compile(batch_loss)""",
    ),
    (
        "md",
        r"""First, the same numbers. We compute loss and gradients eagerly, then compiled, and compare:""",
    ),
    (
        "code",
        r"""model.zero_grad()
eager = batch_loss(X, y)
eager.backward()
eager_grads = [p.grad for p in model.parameters()]

model.zero_grad()
compiled = fast_loss(X, y)
compiled.backward()
compiled_grads = [p.grad for p in model.parameters()]

print(f"loss: eager {eager.data:.15f}   compiled {compiled.data:.15f}")
print("largest gradient difference:", max(abs(a - b) for a, b in zip(eager_grads, compiled_grads)))""",
    ),
    (
        "md",
        r"""Now the time for one forward + backward pass, the best of a few runs (measured here, on
whatever machine runs this notebook — your numbers will differ):""",
    ),
    (
        "code",
        r"""def best_time(step, repeats=5):
    times = []
    for _ in range(repeats):
        model.zero_grad()
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


eager_seconds = best_time(lambda: batch_loss(X, y).backward())
compiled_seconds = best_time(lambda: fast_loss(X, y).backward())
nodes = len(mp.engine.topological_order(batch_loss(X, y)))
print(f"graph size: {nodes} Values")
print(f"eager:    {eager_seconds * 1000:7.2f} ms per forward + backward")
print(f"compiled: {compiled_seconds * 1000:7.2f} ms per forward + backward")
print(f"speed-up: {eager_seconds / compiled_seconds:.0f}×   (tracing once took "
      f"{fast_loss.last_trace_seconds * 1000:.0f} ms)")""",
    ),
    (
        "md",
        r"""Tracing costs as much as several eager steps (compare the numbers above), so `compile` pays off as soon as the same
function runs many times — which is exactly what training does.

## 2. Training with `fit(..., compile=True)`

`fit` can run every batch's loss through `compile`. With the same seed, the eager and the
compiled run follow the same path (up to rounding in the last digits):""",
    ),
    (
        "code",
        r"""X_all, y_all = data.make_moons(200, noise=0.1, seed=1)
X_train, X_val, y_train, y_val = data.train_test_split(X_all, y_all, test_size=0.25, seed=1)


def train(use_compile):
    net = nn.MLP(2, [16, 16, 1], seed=0)
    start = time.perf_counter()
    history = fit(net, losses.binary_cross_entropy_with_logits,
                  optim.Adam(net.parameters(), lr=0.03), X_train, y_train, epochs=15,
                  val=(X_val, y_val), progress=False, seed=0, compile=use_compile)  # fmt: skip
    return history, time.perf_counter() - start


eager_history, eager_time = train(False)
compiled_history, compiled_time = train(True)
curves = zip(eager_history.train["loss"], compiled_history.train["loss"])
difference = max(abs(a - b) for a, b in curves)
for name, history, seconds in [("eager", eager_history, eager_time),
                               ("compiled", compiled_history, compiled_time)]:
    accuracy = history.val["accuracy"][-1]
    print(f"{name + ':':9s} {seconds:.1f} s, final validation accuracy {accuracy:.2f}")
print(f"largest difference between the two loss curves: {difference:.1e}")""",
    ),
    (
        "code",
        r"""fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(eager_history.epochs, eager_history.train["loss"], "o-", label="eager")
ax.plot(compiled_history.epochs, compiled_history.train["loss"], "x--", ms=8, label="compiled")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("the same training run, eager and compiled")
ax.grid(alpha=0.3)
ax.legend()
plt.show()""",
    ),
    (
        "md",
        r"""`fit` keeps most of the raw speed-up: it compiles the loss with `has_aux=True`, so each replay
also hands back the model's outputs as floats for the metrics, and the validation pass replays
a second compiled function traced in eval mode. What remains is Python work per step: the
optimizer's update of every parameter and the bookkeeping of the history.

What a trace can and cannot see (details in `help(mp.compile)`):

* a Python `if` on a traced `Value` (`if h > 0:`) is recorded as a *guard*; when a later call
  takes the other branch, the function is traced again;
* reading `.data` or `float(v)` inside the function is **not** seen: whatever it computed is
  frozen at trace time. Keep compiled functions pure functions of their arguments and the
  model's parameters;
* randomness is frozen the same way: a dropout mask or batch-norm statistics would be those of
  the first call, so `fit(..., compile=True)` refuses a model with `Dropout` or `BatchNorm1d`
  (notebooks 08 and 09 train those eagerly);
* `backward(create_graph=True)` (notebook 12) needs the eager engine.

## 3. Carrying a model over to PyTorch

`MLP.to_torch()` builds an equivalent float64 `torch.nn.Sequential` (Linear layers plus the
same activations, same weights); `MLP.from_torch()` goes back. So you can prototype with
scalars, then move to PyTorch for big data — or bring a PyTorch model here to inspect its
graph. PyTorch is optional, so the cells check for it first. Without it they print a note,
and the text under each cell shows what it printed when this notebook was stored (with
PyTorch; `pip install torch` to run it yourself).""",
    ),
    (
        "code",
        r"""try:
    import torch
except ImportError:
    torch = None
    print("PyTorch is not installed: the recorded output below shows what this cell prints")

if torch is not None:
    torch.set_num_threads(1)  # tensors this small only pay for extra threads, never gain
    ours = nn.MLP(2, [16, 16, 1], seed=0)
    theirs = ours.to_torch()
    print(theirs)
    points = [[0.5, 0.3], [-1.0, 0.8], [2.0, -0.4]]
    with torch.no_grad():
        torch_out = theirs(torch.tensor(points, dtype=torch.float64)).squeeze(1).tolist()
    for point, t in zip(points, torch_out):
        print(f"{point}: micrograd_plus {ours(point).data:+.12f}   torch {t:+.12f}")""",
    ),
    (
        "md",
        r"""Recorded with PyTorch: the printed `Sequential` has three `Linear` layers (2 → 16 → 16 → 1)
with `ReLU`s between them, and the two models' outputs on the three points agree to all 12
printed decimals.

Now train *in PyTorch* for a while, then bring the trained weights back and check that the
model makes the same decisions here:""",
    ),
    (
        "code",
        r"""if torch is None:
    print("PyTorch is not installed: the recorded output below shows what this cell prints")
else:
    torch.manual_seed(0)
    inputs = torch.tensor(X_train, dtype=torch.float64)
    targets = torch.tensor(y_train, dtype=torch.float64)
    optimizer = torch.optim.Adam(theirs.parameters(), lr=0.03)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for _ in range(150):
        optimizer.zero_grad()
        loss = bce(theirs(inputs).squeeze(1), targets)
        loss.backward()
        optimizer.step()
    print(f"torch training loss after 150 steps: {loss.item():.4f}")

    back = nn.MLP.from_torch(theirs)
    with torch.no_grad():
        torch_scores = theirs(torch.tensor(X_val, dtype=torch.float64)).squeeze(1)
    torch_classes = (torch_scores > 0).long().tolist()
    our_classes = predict_classes(back, X_val)
    agree = sum(a == b for a, b in zip(torch_classes, our_classes))
    accuracy = sum(c == t for c, t in zip(our_classes, y_val)) / len(y_val)
    print(f"the converted model agrees with torch on {agree}/{len(X_val)} validation points")
    print(f"validation accuracy back in micrograd_plus: {accuracy:.2f}")""",
    ),
    (
        "md",
        r"""Recorded with PyTorch: after 150 Adam steps the torch training loss is below 0.001; the
converted model agrees with torch on all 50 validation points, and classifies every one of
them correctly.

The round trip keeps the architecture and every weight. Once back, the model is made of
`Value`s again: everything from the earlier notebooks — `draw_dot`, the step-by-step
explainer, `gradcheck`, second derivatives — works on it.

## Summary

A scalar engine is slow on purpose, and it need not stay slow: `mp.compile` traces a loss
function once and replays the recorded graph with NumPy, level by level, with the same
derivative rules, so the loss and every gradient come out as eager's while the time drops
by a large factor (`fit(..., compile=True)` does it for every training step). A trace sees
only what flows through `Value`s: reading `.data`, randomness and batch statistics would be
frozen, so such models train eagerly. And when scalars are outgrown, `to_torch()` and
`from_torch()` carry an MLP to PyTorch and back with every weight, so a model can be trained
at scale and then inspected here, one `Value` at a time.

## Exercises

**1.** Time `batch_loss` eager and compiled for batches of 4, 16 and 64 samples. Does the
speed-up grow or shrink with the batch size? Why?

**2.** `to_torch()` uses float64. Convert the trained torch model to float32
(`theirs.float()`), run it on `X_val` in float32, and compare with our float64 outputs: how
large are the differences? (Needs PyTorch.)""",
    ),
    ("code", "# Your turn\n"),
    *nbtools.answers(
        {
            1: (
                r"""The speed-up grows with the batch: each NumPy call has a fixed overhead, and a bigger
graph puts more nodes into each call, while eager pays the same per node whatever the batch.
(Timings are noisy; the code checks only that the largest batch gains more than the smallest.)""",
                r"""speedups = {}
for size in (4, 16, 64):
    Xs, ys = data.make_moons(size, noise=0.1, seed=0)
    fast = mp.compile(batch_loss)
    fast(Xs, ys)  # trace first
    e = best_time(lambda Xs=Xs, ys=ys: batch_loss(Xs, ys).backward())
    c = best_time(lambda Xs=Xs, ys=ys, fast=fast: fast(Xs, ys).backward())
    speedups[size] = e / c
    print(f"batch {size:3d}: eager {e * 1000:6.2f} ms, compiled {c * 1000:6.2f} ms, "
          f"speed-up {e / c:4.1f}x")
assert speedups[64] > speedups[4]""",
            ),
            2: (
                r"""The differences are tiny but not zero, around $10^{-7}$ relative to the outputs:
float32 keeps about 7 significant digits, float64 about 16. Without PyTorch the code says so
and stops.""",
                r"""if torch is None:
    print("needs PyTorch: pip install torch")
else:
    import copy

    single = copy.deepcopy(theirs).float()
    with torch.no_grad():
        out32 = single(torch.tensor(X_val, dtype=torch.float32)).squeeze(1).tolist()
    ours64 = [back(x).data for x in X_val]
    largest = max(abs(a - b) for a, b in zip(out32, ours64))
    scale = max(abs(b) for b in ours64)
    print(f"largest |float32 - float64| output difference: {largest:.2e} (outputs up to {scale:.1f})")
    assert 0 < largest < 1e-4 * max(1.0, scale)""",
            ),
        }
    ),
    nbtools.next_link(
        "14_cnn_on_digits.ipynb",
        "14 · A convolutional network on digits",
        "beyond the MLP: convolutions, recurrent nets, a tiny GPT, attention, and explaining a model.",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
