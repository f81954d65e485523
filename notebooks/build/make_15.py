# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/15_rnn_gru_time_series.ipynb: python notebooks/build/make_15.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "15_rnn_gru_time_series.ipynb"

CELLS = [
    (
        "md",
        r"""# 15 · Recurrent networks on a time series: RNN, GRU and backpropagation through time

A recurrent network reads a sequence one step at a time and carries a **hidden state** $h_t$
from step to step:

$$h_t = \tanh(W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh})$$

The same weights are used at every step. Unroll the loop and you get an ordinary (deep) graph
of `Value`s, so `backward()` works unchanged: that is **backpropagation through time** (BPTT).
This notebook

1. draws BPTT on a 3-step unrolled graph,
2. forecasts a noisy seasonal series with a GRU, trained compiled,
3. measures how the gradient fades with distance in time (vanishing gradients) for an RNN and a GRU,
4. makes gradients explode and tames them with clipping.

`nn.RNNCell`, `nn.GRUCell`, `nn.RNN` and `nn.GRU` use PyTorch's names, weight layout and gate
order (the tests copy weights into `torch.nn.GRU` and get the same numbers).""",
    ),
    (
        "code",
        r"""%matplotlib inline
import math
import random
import time

import matplotlib.pyplot as plt

import micrograd_plus as mp
from micrograd_plus import data, losses, nn, optim
from micrograd_plus.explain import saliency

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. The data: a noisy seasonal series, and a "price"

`data.make_time_series` makes seeded series: `kind="sine"` is two sine waves with a trend and
noise (think of a seasonal sales curve); `kind="price"` is a random walk with drift, the shape
of a stock price. We forecast the first: a price has no pattern beyond its trend, and a
network cannot predict tomorrow's noise (exercise 3 checks that honestly).""",
    ),
    (
        "code",
        r"""series = data.make_time_series(400, noise=0.05, seed=0)
price = data.make_time_series(400, noise=0.2, seed=0, kind="price")
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].plot(series)
axes[0].set(title='kind="sine": seasonal with trend and noise', xlabel="t")
axes[1].plot(price, color="tab:green")
axes[1].set(title='kind="price": a random walk with drift', xlabel="t")
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""## 2. Backpropagation through time, drawn

An `RNNCell(1, 1)` has four numbers: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` (each a
1×1 nested list, PyTorch's layout). We unroll it over three inputs and take the last state as
the output. The graph shows the *same* weight Values feeding every step: backward adds the
gradient from each step into them, which is all BPTT is.""",
    ),
    (
        "code",
        r"""cell = nn.RNNCell(1, 1, seed=0)
cell.weight_ih[0][0].label, cell.weight_hh[0][0].label = "w_ih", "w_hh"
cell.bias_ih[0].label, cell.bias_hh[0].label = "b_ih", "b_hh"
xs = [mp.Value(v, label=f"x{t}") for t, v in enumerate([0.5, -1.0, 2.0])]
h = None
for x in xs:
    h = cell([x], h)
out = h[0]
out.label = "h3"
out.backward()
print("d h3 / d w_hh =", round(cell.weight_hh[0][0].grad, 4), "(summed over the three steps)")
mp.draw_dot(out, rankdir="LR")""",
    ),
    (
        "md",
        r"""## 3. Forecasting with a GRU

A plain RNN forgets quickly (section 4 measures how quickly). A **GRU** adds two gates per
unit, in PyTorch's order: reset $r$, update $z$, and a candidate $n$:

$$r = \sigma(W_{ir}x + b_{ir} + W_{hr}h + b_{hr}),\quad z = \sigma(W_{iz}x + b_{iz} + W_{hz}h + b_{hz})$$
$$n = \tanh(W_{in}x + b_{in} + r\odot(W_{hn}h + b_{hn})),\qquad h' = (1-z)\odot n + z\odot h$$

When $z \approx 1$ the state is copied forward unchanged, and so is its gradient.

The task: from a window of 16 past values predict the next one. We standardise the series,
cut it into windows with `data.sliding_windows`, keep the first 300 windows for training and
the last ones (the future) for testing. The model is `GRU(1, 8)` followed by a
`Linear(8, 1)` read-out of the last hidden state.""",
    ),
    (
        "code",
        r"""mean = sum(series) / len(series)
std = (sum((v - mean) ** 2 for v in series) / len(series)) ** 0.5
z_series = [(v - mean) / std for v in series]
X, y = data.sliding_windows(z_series, window=16)
n_train = 300
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
print(len(X_train), "training windows,", len(X_test), "test windows of", len(X[0]), "steps")

gru = nn.GRU(1, 8, seed=0)
readout = nn.Linear(8, 1, init="xavier", seed=1)
params = gru.parameters() + readout.parameters()
print(len(params), "parameters")


def forecast(window):
    outputs, _ = gru([[v] for v in window])  # each step's input is a 1-vector
    return readout(outputs[-1])


def batch_loss(Xb, yb):
    preds = [forecast(w) for w in Xb]
    return losses.mse_loss(preds, yb), preds  # the predictions come back as aux""",
    ),
    (
        "md",
        r"""One batch of 32 windows unrolls to about 100,000 nodes. Eagerly a step takes seconds; with
`mp.compile` the graph is traced once and replayed with NumPy. `has_aux=True` returns the
predictions too, read off the same replay.""",
    ),
    (
        "code",
        r"""fast_loss = mp.compile(batch_loss, has_aux=True)
B = 32
start = time.perf_counter()
fast_loss(X_train[:B], y_train[:B])
print(f"trace: {time.perf_counter() - start:.1f} s")

opt = optim.Adam(params, lr=0.01)
rng = random.Random(0)
history = []
start = time.perf_counter()
for step in range(300):
    idx = rng.sample(range(n_train), B)
    opt.zero_grad()
    loss, _ = fast_loss([X_train[i] for i in idx], [y_train[i] for i in idx])
    loss.backward()
    opt.step()
    history.append(loss.data)
print(f"300 compiled steps: {time.perf_counter() - start:.1f} s, final batch loss {history[-1]:.4f}")""",
    ),
    (
        "code",
        r"""def predict(windows):
    # Pad the last batch to B windows: one trace serves every batch.
    preds = []
    for i in range(0, len(windows), B):
        chunk = windows[i : i + B]
        padded = chunk + [chunk[0]] * (B - len(chunk))
        _, out = fast_loss(padded, [0.0] * B)
        preds.extend(out[: len(chunk)])
    return preds


test_preds = predict(X_test)
test_mse = sum((p - t) ** 2 for p, t in zip(test_preds, y_test)) / len(y_test)
naive_mse = sum((w[-1] - t) ** 2 for w, t in zip(X_test, y_test)) / len(y_test)
print(f"test MSE: GRU {test_mse:.4f}   'tomorrow = today' baseline {naive_mse:.4f}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].plot(history)
axes[0].set(yscale="log", title="training loss (MSE, batch of 32)", xlabel="step")
t_test = range(n_train + 16, n_train + 16 + len(y_test))
axes[1].plot(range(len(z_series)), z_series, color="lightgray", label="series")
axes[1].plot(t_test, y_test, label="test targets")
axes[1].plot(t_test, test_preds, "--", label="GRU one-step forecast")
axes[1].set(title="forecasting the unseen future", xlabel="t")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""## 4. Vanishing gradients, made visible

How much does the output at the last step depend on the input $k$ steps earlier? That is the
gradient $\partial y_T / \partial x_{T-k}$, which `explain.saliency` computes (it wraps the
inputs in Values and runs backward). Each step back multiplies it by the Jacobian of one cell
step; for a tanh RNN those factors are below one, so the gradient shrinks geometrically.

We compare a fresh `RNN(1, 16)`, a fresh `GRU(1, 16)`, and the same GRU with its update-gate
biases set to +3 ($z \approx 0.95$: "keep the state"), which is what a GRU can *learn* when a
task needs long memory. The y axis is logarithmic.""",
    ),
    (
        "code",
        r"""T = 40
seq = [[v] for v in z_series[:T]]


def gradient_per_step(recurrent):
    head = nn.Linear(recurrent.hidden_size, 1, seed=1)
    grads = saliency(lambda xs: head(recurrent(xs)[0][-1]), seq)
    return [abs(g[0]) for g in grads]


rnn16 = nn.RNN(1, 16, seed=0)
gru16 = nn.GRU(1, 16, seed=0)
gru_keep = nn.GRU(1, 16, seed=0)
H = 16
for k in range(H, 2 * H):  # rows H..2H-1 of the stacked biases are the update gate z
    gru_keep.cells[0].bias_ih[k].data = 3.0

curves = {
    "RNN (tanh)": gradient_per_step(rnn16),
    "GRU": gradient_per_step(gru16),
    "GRU, update gate biased to keep": gradient_per_step(gru_keep),
}
plt.figure(figsize=(7, 3.5))
for name, g in curves.items():
    plt.semilogy([T - 1 - t for t in range(T)], g, marker=".", label=name)
plt.xlabel("k: steps between the input and the output")
plt.ylabel("|d y_T / d x_(T-k)|")
plt.title("the gradient fades with distance in time")
plt.legend()
plt.show()
for name, g in curves.items():
    print(f"{name:34s} k=0: {g[-1]:.1e}   k=20: {g[T - 21]:.1e}   k=39: {g[0]:.1e}")""",
    ),
    (
        "md",
        r"""The plain RNN and the fresh GRU both lose roughly a factor of ten every few steps: after 40
steps the early inputs hardly receive any gradient, so they cannot be learned from. With the
update gate open, the GRU's gradient decays far more slowly. That is why gated cells (GRU,
LSTM) replaced plain RNNs for long sequences.

## 5. Exploding gradients, and clipping

The opposite happens when the recurrent factors are above one: a ReLU RNN whose recurrent
weights are too large multiplies the gradient at each step, and one training step can throw the
weights far away. The standard fix is **gradient clipping**: if the norm of all gradients
exceeds a threshold, scale them down to it (`optim.clip_grad_norm_`, PyTorch's name and
arithmetic). The direction is kept, only the step size is bounded.""",
    ),
    (
        "code",
        r"""def exploding_rnn(seed=0):
    rnn = nn.RNN(1, 8, nonlinearity="relu", seed=seed)
    for row in rnn.cells[0].weight_hh:
        for w in row:
            w.data *= 2.0  # recurrent weights too large: each step back multiplies the gradient
    return rnn


def train_relu_rnn(clip, steps=60, lr=0.02):
    rnn, head = exploding_rnn(), nn.Linear(8, 1, seed=1)
    ps = rnn.parameters() + head.parameters()
    opt = optim.SGD(ps, lr=lr)
    step_loss = mp.compile(lambda Xb, yb: losses.mse_loss([head(rnn([[v] for v in w])[0][-1]) for w in Xb], yb))
    losses_seen, norms = [], []
    for step in range(steps):
        opt.zero_grad()
        loss = step_loss(X_train[:16], y_train[:16])
        if not math.isfinite(loss.data) or loss.data > 1e12:
            print(f"{'clipped' if clip else 'unclipped'} run diverged at step {step} (loss {loss.data:.3g})")
            break
        loss.backward()
        if clip:
            norm = optim.clip_grad_norm_(ps, max_norm=1.0)
        else:
            norm = math.sqrt(sum(p.grad * p.grad for p in ps))
        opt.step()
        losses_seen.append(loss.data)
        norms.append(float(norm))
    return losses_seen, norms


plain_loss, plain_norm = train_relu_rnn(clip=False)
clipped_loss, clipped_norm = train_relu_rnn(clip=True)
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].semilogy(plain_norm, label="no clipping")
axes[0].semilogy(clipped_norm, label="clip_grad_norm_(max_norm=1)")
axes[0].set(title="gradient norm before each step", xlabel="step")
axes[1].semilogy(plain_loss, label="no clipping")
axes[1].semilogy(clipped_loss, label="clipped")
axes[1].set(title="training loss", xlabel="step")
for ax in axes:
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()
print(f"first gradient norm {plain_norm[0]:.3g}; clipped run: loss {clipped_loss[0]:.3g} -> {clipped_loss[-1]:.3g}")""",
    ),
    (
        "md",
        r"""`clip_grad_norm_` returns the norm *before* clipping, so both runs start from the same
gradient norm, in the thousands. Without clipping, SGD's first steps are thousands of times too
long: the weights land where the gradients are larger still, and within a few steps the
numbers overflow (the run stops). With clipping every step has length at most `lr × 1`, and
the same network trains.

## Exercises

**1.** Replace the `GRU(1, 8)` of section 3 by an `RNN(1, 8)` and train it the same way. Is
its test MSE better or worse than the GRU's?

**2.** In section 4, which gate bias makes the GRU *forget* faster? Set the update-gate
biases to −3 instead and plot the curve.

**3.** Forecast the `kind="price"` series (standardised) with the same GRU. Compare its test
MSE with the "tomorrow = today" baseline. What do you conclude about predicting a random walk?

Answers: `answer(1)`, `answer(2)` or `answer(3)` (collapsed cell below).""",
    ),
    (
        "code",
        r"""# Your turn
""",
    ),
    (
        "answer",
        r"""def train_forecaster(recurrent, Xtr, ytr, Xte, yte, steps=300):
    head = nn.Linear(recurrent.hidden_size, 1, init="xavier", seed=1)
    ps = recurrent.parameters() + head.parameters()

    def loss_fn(Xb, yb):
        preds = [head(recurrent([[v] for v in w])[0][-1]) for w in Xb]
        return losses.mse_loss(preds, yb), preds

    fast = mp.compile(loss_fn, has_aux=True)
    opt, rng = optim.Adam(ps, lr=0.01), random.Random(0)
    for _ in range(steps):
        idx = rng.sample(range(len(Xtr)), B)
        opt.zero_grad()
        loss, _ = fast([Xtr[i] for i in idx], [ytr[i] for i in idx])
        loss.backward()
        opt.step()
    preds = []
    for i in range(0, len(Xte), B):
        chunk = Xte[i : i + B]
        preds.extend(fast(chunk + [chunk[0]] * (B - len(chunk)), [0.0] * B)[1][: len(chunk)])
    return sum((p - t) ** 2 for p, t in zip(preds, yte)) / len(yte)


def answer(n):
    # Prints the worked answer to exercise n (1, 2 or 3).
    if n == 1:
        mse = train_forecaster(nn.RNN(1, 8, seed=0), X_train, y_train, X_test, y_test)
        print(f"RNN test MSE {mse:.4f} vs GRU {test_mse:.4f}. On 16-step windows of a smooth")
        print("series both do well: the recent values carry most of the information.")
    elif n == 2:
        forget = nn.GRU(1, 16, seed=0)
        for k in range(16, 32):
            forget.cells[0].bias_ih[k].data = -3.0
        g = gradient_per_step(forget)
        plt.figure(figsize=(6, 3))
        plt.semilogy([T - 1 - t for t in range(T)], curves["GRU"], label="GRU")
        plt.semilogy([T - 1 - t for t in range(T)], g, label="update gate biased to forget")
        plt.legend()
        plt.xlabel("k")
        plt.show()
        print("z near 0 means h' = n: the state is replaced at every step, like a plain RNN.")
    elif n == 3:
        pm = sum(price) / len(price)
        ps_ = (sum((v - pm) ** 2 for v in price) / len(price)) ** 0.5
        zp = [(v - pm) / ps_ for v in price]
        Xp, yp = data.sliding_windows(zp, window=16)
        mse = train_forecaster(nn.GRU(1, 8, seed=0), Xp[:300], yp[:300], Xp[300:], yp[300:])
        naive = sum((w[-1] - t) ** 2 for w, t in zip(Xp[300:], yp[300:])) / len(yp[300:])
        print(f"GRU test MSE {mse:.4f}, 'tomorrow = today' {naive:.4f}.")
        print("The network does not beat the naive forecast: the next step of a random walk is")
        print("its last value plus unpredictable noise. No model can learn what is not there.")
    else:
        print("there are three exercises: answer(1), answer(2) or answer(3)")""",
    ),
    (
        "md",
        r"""## Summary

- A recurrent network is one cell applied at every step with the same weights; unrolled, it
  is an ordinary graph, and `backward()` on it is backpropagation through time.
- `nn.GRU` forecasts the seasonal series well, trained compiled in a few seconds.
- Gradients shrink (or grow) geometrically with the distance in time; gates let a GRU keep
  its state and its gradient, and `optim.clip_grad_norm_` bounds an exploding step.

**Next:** [16 · A tiny GPT on names](16_tiny_gpt_on_names.ipynb) — attention instead of
recurrence.""",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
