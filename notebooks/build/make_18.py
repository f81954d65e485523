# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/18_explaining_a_model.ipynb: python notebooks/build/make_18.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "18_explaining_a_model.ipynb"

CELLS = [
    (
        "md",
        r"""# 18 · Explaining a model: which pixels, which words?

A trained network gives an answer; we often want to know **why**. Backpropagation, which
computed how the loss depends on every weight, computes just as easily how an output depends
on every *input*. Two classic explanations, both in `micrograd_plus.explain`:

- **saliency** (Simonyan et al., 2014): $\partial\, \text{score}_c / \partial x_i$, how much the
  score of class $c$ would change if input $i$ moved a little. One backward pass.
- **integrated gradients** (Sundararajan et al., 2017): $(x_i - x'_i)\cdot$ the gradient averaged
  along the straight path from a baseline $x'$ (a blank image) to $x$. Its attributions **add
  up** to $\text{score}_c(x) - \text{score}_c(x')$: the whole change of the score is shared out
  among the inputs.

We explain the digits CNN of notebook 14 (which pixels) and the sentiment model of notebook 17
(which words). Both models are retrained here, compiled, in a few seconds each.""",
    ),
    (
        "code",
        r"""%matplotlib inline
import random
import time
from collections import defaultdict

import matplotlib.pyplot as plt

import micrograd_plus as mp
from micrograd_plus import data, losses, nn, optim
from micrograd_plus.explain import completeness_gap, integrated_gradients, saliency

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. The digits CNN, retrained

The same recipe as notebook 14 (Conv2d → ReLU → MaxPool2d → Linear, Adam, cosine schedule),
with 15 epochs instead of 30 to keep this notebook short.""",
    ),
    (
        "code",
        r"""X, y = data.load_digits()
images = data.to_images(X)
X_train, X_val, y_train, y_val = data.train_test_split(images, y, test_size=0.2, seed=0)
cnn = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(128, 10, init="xavier", seed=1),
)


def cnn_loss(Xb, yb):
    logits = cnn.forward_batch(Xb)
    return losses.cross_entropy(logits, yb), logits


fast = mp.compile(cnn_loss, has_aux=True)
B, EPOCHS = 64, 15
steps = len(X_train) // B
opt = optim.Adam(cnn.parameters(), lr=0.02)
sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS * steps)
rng, order = random.Random(0), list(range(len(X_train)))
start = time.perf_counter()
for epoch in range(EPOCHS):
    rng.shuffle(order)
    for s in range(steps):
        idx = order[s * B : (s + 1) * B]
        opt.zero_grad()
        fast([X_train[i] for i in idx], [y_train[i] for i in idx])[0].backward()
        opt.step()
        sched.step()
correct = 0
for i in range(0, len(X_val), B):
    chunk = X_val[i : i + B]
    logits = fast(chunk + [chunk[0]] * (B - len(chunk)), [0] * B)[1][: len(chunk)]
    correct += sum(max(range(10), key=r.__getitem__) == t for r, t in zip(logits, y_val[i : i + B]))
print(f"trained in {time.perf_counter() - start:.1f} s (trace included); validation accuracy {correct / len(X_val):.1%}")""",
    ),
    (
        "md",
        r"""## 2. Saliency: which pixels would change the score?

`saliency(model, x, target)` wraps every pixel of `x` in a `Value`, runs the model, and
backpropagates from output `target` (here the predicted digit's logit). The result has the
image's shape `[1][8][8]`. Red pixels would raise the score if they were darker (more ink),
blue ones would lower it.""",
    ),
    (
        "code",
        r"""def predicted(image):
    with mp.no_grad():
        scores = [v.data for v in cnn(image)]
    return max(range(10), key=scores.__getitem__)


picks = [0, 1, 2, 5]
fig, axes = plt.subplots(2, len(picks), figsize=(9, 4.6))
for col, k in enumerate(picks):
    image, label = X_val[k], y_val[k]
    c = predicted(image)
    sal = saliency(cnn, image, target=c)[0]
    m = max(abs(v) for row in sal for v in row)
    axes[0, col].imshow(image[0], cmap="gray_r")
    axes[0, col].set_title(f"true {label}, predicted {c}", fontsize=9)
    axes[1, col].imshow(sal, cmap="bwr", vmin=-m, vmax=m)
    axes[1, col].set_title("saliency", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""Saliency is local: it says what a tiny change would do, and it is noisy. Pixels outside the
digit can have large gradients even though they are blank.

## 3. Integrated gradients: how the score was built up

Integrated gradients start from a blank image (all zeros) and walk to the real one in `steps`
small steps, adding up gradient × step. Each pixel's attribution is its share of the score;
blank pixels get exactly zero (their $x_i - x'_i$ is 0). `completeness_gap` checks that the
shares add up to score(image) − score(blank).""",
    ),
    (
        "code",
        r"""fig, axes = plt.subplots(2, len(picks), figsize=(9, 4.6))
for col, k in enumerate(picks):
    image = X_val[k]
    c = predicted(image)
    ig = integrated_gradients(cnn, image, target=c, steps=16)
    gap = completeness_gap(cnn, image, ig, target=c)
    m = max(abs(v) for row in ig[0] for v in row)
    axes[0, col].imshow(image[0], cmap="gray_r")
    axes[0, col].set_title(f"predicted {c}", fontsize=9)
    axes[1, col].imshow(ig[0], cmap="bwr", vmin=-m, vmax=m)
    axes[1, col].set_title(f"IG (sum off by {abs(gap):.3f})", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""The attributions sit on the strokes: red where ink supports the predicted digit, blue where
ink argues for another one. The small completeness gap comes from the 16-step approximation of
the path integral (more steps make it smaller; exercise 1).

## 4. Which words? Integrated gradients on a sentence

For text the inputs are word ids, and an integer has no gradient. We explain in embedding
space instead: the model's input is the rows `word embedding + position embedding`, the
baseline replaces each word's embedding by zeros (keeping the positions), and a word's
attribution is the sum of the attributions of its 8 embedding numbers.

First the sentiment model of notebook 17, retrained (about 10 seconds):""",
    ),
    (
        "code",
        r"""S_train, S_test, s_train, s_test = data.load_sentiment()
vocab = data.vocabulary(S_train + S_test)
to_id = {w: i for i, w in enumerate(vocab)}
E, MAX_LEN = 8, max(len(s) for s in S_train + S_test)


class SentimentAttention(nn.Module):
    def __init__(self, seed=0):
        rng = random.Random(seed)
        self.words = nn.Embedding(len(vocab), E, seed=rng)
        self.positions = nn.Embedding(MAX_LEN, E, seed=rng)
        for p in self.words.parameters() + self.positions.parameters():
            p.data *= 0.3
        self.attn = nn.CausalSelfAttention(E, 2, seed=rng)
        self.mlp = nn.FeedForward(E, 16, seed=rng)
        self.head = nn.Linear(E, 2, init="xavier", seed=rng)

    def forward(self, ids):
        return self.from_rows([[a + b for a, b in zip(self.words(i), self.positions(t))] for t, i in enumerate(ids)])

    def from_rows(self, x):
        # Everything after the embeddings: what integrated gradients differentiate.
        x = [[a + b for a, b in zip(r, u)] for r, u in zip(x, self.attn(x))]
        last = [a + b for a, b in zip(x[-1], self.mlp(x[-1]))]
        return self.head(last)


sent = SentimentAttention(seed=0)
by_length = defaultdict(list)
for words, label in zip(S_train, s_train):
    by_length[len(words)].append(([to_id[w] for w in words], label))
fast_sent = mp.compile(lambda ids, labels: losses.cross_entropy([sent(i) for i in ids], labels))
opt = optim.Adam(sent.parameters(), lr=0.02)
rng, lengths = random.Random(0), sorted(by_length)
start = time.perf_counter()
for step in range(400):
    n = rng.choices(lengths, weights=[len(by_length[k]) for k in lengths])[0]
    batch = [rng.choice(by_length[n]) for _ in range(16)]
    opt.zero_grad()
    fast_sent([i for i, _ in batch], [t for _, t in batch]).backward()
    opt.step()
with mp.no_grad():
    right = sum((sent([to_id[w] for w in s])[1].data > sent([to_id[w] for w in s])[0].data) == bool(t) for s, t in zip(S_test, s_test))
print(f"trained in {time.perf_counter() - start:.1f} s; test accuracy {right / len(S_test):.1%}")""",
    ),
    (
        "code",
        r"""def explain_sentence(sentence, steps=32):
    words = sentence.split()
    ids = [to_id[w] for w in words]
    with mp.no_grad():
        rows = [[a.data + b.data for a, b in zip(sent.words(i), sent.positions(t))] for t, i in enumerate(ids)]
        baseline = [[b.data for b in sent.positions(t)] for t in range(len(ids))]
        p_pos = losses.softmax(sent(ids))[1].data
    target = 1 if p_pos > 0.5 else 0
    ig = integrated_gradients(sent.from_rows, rows, target=target, baseline=baseline, steps=steps)
    gap = completeness_gap(sent.from_rows, rows, ig, target=target, baseline=baseline)
    return words, [sum(r) for r in ig], target, p_pos, gap


sentences = ["the food was not good", "this film is really boring", "it was never a dull story to me", "the service seemed great"]
fig, axes = plt.subplots(len(sentences), 1, figsize=(7, 1.6 * len(sentences)))
for ax, sentence in zip(axes, sentences):
    words, scores, target, p_pos, gap = explain_sentence(sentence)
    ax.bar(range(len(words)), scores, color=["tab:red" if s > 0 else "tab:blue" for s in scores])
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(range(len(words)), words)
    verdict = "positive" if target == 1 else "negative"
    ax.set_title(f"{verdict} (P(positive) = {p_pos:.2f}); attributions to the '{verdict}' logit, gap {abs(gap):.3f}", fontsize=9)
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""Red bars pushed towards the model's answer, blue bars against it. Most of the attribution
falls on the sentiment word and the words that modify it (`not`, `really`), little on the
neutral words. Read the signs with care, though:

- in "the food was not good" it is *good* that gets the credit for the negative answer, while
  *not* is slightly negative. The decision comes from an interaction (not × good), and
  integrated gradients share an interaction out along one path from one baseline: a
  different baseline would share it differently;
- in "it was never a dull story to me" every bar is small: the baseline (positions only, no
  words) already scores as positive, so there was little change to share out.

Attention (notebook 17) shows what the model *read*; attributions say how the inputs moved the
score *relative to a baseline*. Neither is the whole truth, and they are most convincing when
they agree, as they do here on which words matter.

## Exercises

**1.** Compute the completeness gap of one digit for `steps` = 4, 16 and 64. How does it shrink?

**2.** Explain a digit with respect to a *wrong* class: the integrated gradients of class 8 on an
image of a 3. Which pixels argue for 8?

Answers: `answer(1)` or `answer(2)` (collapsed cell below).""",
    ),
    (
        "code",
        r"""# Your turn
""",
    ),
    (
        "answer",
        r"""def answer(n):
    # Prints the worked answer to exercise n (1 or 2).
    if n == 1:
        image = X_val[0]
        c = predicted(image)
        for k in (4, 16, 64):
            ig = integrated_gradients(cnn, image, target=c, steps=k)
            print(f"steps {k:3d}: completeness gap {completeness_gap(cnn, image, ig, target=c):+.5f}")
        print("The midpoint rule's error falls roughly like 1/steps^2 where the model is smooth;")
        print("ReLU and max pooling have kinks, so the decrease is less regular.")
    elif n == 2:
        k = next(i for i, t in enumerate(y_val) if t == 3)
        ig8 = integrated_gradients(cnn, X_val[k], target=8, steps=16)[0]
        m = max(abs(v) for row in ig8 for v in row)
        plt.figure(figsize=(3, 3))
        plt.imshow(ig8, cmap="bwr", vmin=-m, vmax=m)
        plt.title("IG for class 8 on a 3")
        plt.axis("off")
        plt.show()
        print("Red: ink that looks like part of an 8 (the right-hand curves). Blue: what an 8")
        print("would not have, e.g. the open left side of the 3.")
    else:
        print("there are two exercises: answer(1) or answer(2)")""",
    ),
    (
        "md",
        r"""## Summary

- `explain.saliency` is one backward pass from a chosen output to the inputs: a local,
  noisy sensitivity map.
- `explain.integrated_gradients` averages gradients along a path from a baseline; its
  attributions add up to the change of the score (`completeness_gap` checks it).
- For words, explain in embedding space and sum over each word's dimensions: the negation and
  the sentiment word drive the sentiment model, as they should.

That is the end of the models track. **Back to the start:**
[01 · Values and the chain rule](01_values_and_the_chain_rule.ipynb).""",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
