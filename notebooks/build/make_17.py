# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/17_attention_for_sentiment.ipynb: python notebooks/build/make_17.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "17_attention_for_sentiment.ipynb"

CELLS = [
    (
        "md",
        r"""# 17 · Attention for sentiment: "not good" is negative

A transformer reads a whole sentence at once and lets every word look at the others through
attention. Here we train a one-layer attention model to tell positive from negative
sentences, on a small task where word counting fails: the same words appear in "the film was
good" and "the film was not good". To get it right the model must relate the negation to the
word after it. We then plot where the model's attention goes.""",
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

plt.rcParams["figure.dpi"] = 80""",
    ),
    (
        "md",
        r"""## 1. The task

`data.load_sentiment()` generates short sentences, honestly and reproducibly: each has one
sentiment word (`data.SENTIMENT_WORDS`: good, great, ... / bad, boring, ...), sometimes a
negation before it (`not`, `never`: flips the label), sometimes an intensifier (`very`,
`really`: does not), among neutral words, in two patterns ("the food was not very good", "it
was a really bad film to me"). Label 1 is positive, 0 negative. The split is fixed; no test
sentence occurs in training.""",
    ),
    (
        "code",
        r"""X_train, X_test, y_train, y_test = data.load_sentiment()
vocab = data.vocabulary(X_train + X_test)
to_id = {w: i for i, w in enumerate(vocab)}
print(len(X_train), "training and", len(X_test), "test sentences;", len(vocab), "words")
for words, label in list(zip(X_train, y_train))[:6]:
    print(f"  {'positive' if label else 'negative'}: {' '.join(words)}")
negated = sum(any(w in data.NEGATIONS for w in s) for s in X_train)
print(f"{negated} of {len(X_train)} training sentences contain a negation")""",
    ),
    (
        "md",
        r"""## 2. The model

- `nn.Embedding(len(vocab), 8)` for the words plus one for the positions (up to 9 words),
- one `CausalSelfAttention(8, 2)` layer with a residual connection, then a small
  `FeedForward(8, 16)` MLP, also residual,
- a `Linear(8, 2)` reading the **last** position, which (the attention being causal) is the one
  that can see the whole sentence.

The attention weights of that last position tell us which words it read.""",
    ),
    (
        "code",
        r"""E = 8
MAX_LEN = max(len(s) for s in X_train + X_test)


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
        x = [[a + b for a, b in zip(self.words(i), self.positions(t))] for t, i in enumerate(ids)]
        x = [[a + b for a, b in zip(r, u)] for r, u in zip(x, self.attn(x))]
        last = x[-1]
        last = [a + b for a, b in zip(last, self.mlp(last))]
        return self.head(last)  # two logits: negative, positive


model = SentimentAttention(seed=0)
print(model)
print(len(model.parameters()), "parameters")""",
    ),
    (
        "md",
        r"""## 3. Training, compiled

Sentences have 4 to 9 words. We batch sentences of the same length together (16 per batch),
so the compiled function sees at most six argument shapes and traces each once. Word ids are
integers, so they stay integers under `compile`.""",
    ),
    (
        "code",
        r"""def encode(words):
    return [to_id[w] for w in words]


by_length = defaultdict(list)
for words, label in zip(X_train, y_train):
    by_length[len(words)].append((encode(words), label))
print({n: len(v) for n, v in sorted(by_length.items())}, "sentences per length")


def batch_loss(ids_batch, labels):
    logits = [model(ids) for ids in ids_batch]
    return losses.cross_entropy(logits, labels), logits


fast_loss = mp.compile(batch_loss, has_aux=True)
B = 16
lengths = sorted(by_length)
weights = [len(by_length[n]) for n in lengths]
opt = optim.Adam(model.parameters(), lr=0.02)
rng = random.Random(0)
history = []
start = time.perf_counter()
for step in range(400):
    n = rng.choices(lengths, weights=weights)[0]
    batch = [rng.choice(by_length[n]) for _ in range(B)]
    opt.zero_grad()
    loss, _ = fast_loss([ids for ids, _ in batch], [label for _, label in batch])
    loss.backward()
    opt.step()
    history.append(loss.data)
print(f"400 steps in {time.perf_counter() - start:.1f} s ({fast_loss.traces} traces, one per length)")

plt.figure(figsize=(6, 2.8))
plt.plot(history, alpha=0.4)
plt.plot([sum(history[max(0, i - 20) : i + 1]) / len(history[max(0, i - 20) : i + 1]) for i in range(len(history))])
plt.yscale("log")
plt.xlabel("step")
plt.ylabel("cross-entropy")
plt.show()""",
    ),
    (
        "md",
        r"""The loss sits at $\log 2 pprox 0.69$ (a coin flip) for a couple of hundred steps, then
drops: the attention has found the words that matter. Now the test set, split into sentences
with and without a negation:""",
    ),
    (
        "code",
        r"""def predict(sentences):
    # Batches of one length, padded with copies to B sentences: the traces made in training serve.
    preds = [None] * len(sentences)
    groups = defaultdict(list)
    for k, words in enumerate(sentences):
        groups[len(words)].append(k)
    for n, ks in groups.items():
        for i in range(0, len(ks), B):
            chunk = ks[i : i + B]
            ids = [encode(sentences[k]) for k in chunk]
            _, logits = fast_loss(ids + [ids[0]] * (B - len(ids)), [0] * B)
            for k, row in zip(chunk, logits):
                preds[k] = int(row[1] > row[0])
    return preds


test_preds = predict(X_test)
neg = [any(w in data.NEGATIONS for w in s) for s in X_test]


def acc(select):
    pairs = [(p, t) for p, t, s in zip(test_preds, y_test, select) if s]
    return sum(p == t for p, t in pairs) / len(pairs), len(pairs)


print("test accuracy: all {:.1%} of {}".format(*acc([True] * len(X_test))))
print("  with a negation {:.1%} of {}".format(*acc(neg)))
print("  without         {:.1%} of {}".format(*acc([not x for x in neg])))""",
    ),
    (
        "md",
        r"""## 4. Where does the attention go?

For a few new sentences (built from the vocabulary, not in the data) we plot the attention
weights of the last position for both heads: the words it read to decide.""",
    ),
    (
        "code",
        r"""examples = [
    "the food was good",
    "the food was not good",
    "this film is really boring",
    "this film is never really boring",
    "it was a wonderful song",
    "it was not a wonderful song",
]
fig, axes = plt.subplots(len(examples), 1, figsize=(7, 1.25 * len(examples)))
for ax, sentence in zip(axes, examples):
    words = sentence.split()
    with mp.no_grad():
        logits = model(encode(words))
        probs = losses.softmax(logits)
    last_row = [head[-1] for head in model.attn.attention_weights]  # [head][s] for t = last
    ax.imshow(last_row, cmap="Oranges", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(words)), words)
    ax.set_yticks([0, 1], ["head 0", "head 1"])
    ax.set_title(f"P(positive) = {probs[1].data:.2f}", fontsize=9, loc="right")
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""The model gets the negated sentences right: its probability flips when `not` or `never` is
inserted. In most sentences the two heads split the work: one finds the negation, the other
the sentiment word, the two words that decide the label, wherever they stand (not always:
in the fourth sentence head 1 reads "is" and the MLP still gets it right). (Attention
weights show what was *read*, not what *mattered*: notebook 18 measures that with gradients.)

## Exercises

**1.** A bag of words cannot solve this task. Train a linear model on word counts (one input
per vocabulary word, `nn.Linear(len(vocab), 2)`) and compare its test accuracy on sentences
with and without a negation.

**2.** Remove the `FeedForward` block (return `self.head(x[-1])` after attention). Does the
model still handle negation? Why might a purely linear read-out of an attention average
struggle with "not" × "good"?

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
        def counts(words):
            row = [0.0] * len(vocab)
            for w in words:
                row[to_id[w]] += 1.0
            return row
        bow = nn.Linear(len(vocab), 2, init="xavier", seed=0)
        fast = mp.compile(lambda Xb, yb: losses.cross_entropy(bow.forward_batch(Xb), yb))
        opt_ = optim.Adam(bow.parameters(), lr=0.05)
        Xc = [counts(s) for s in X_train]
        for _ in range(300):
            opt_.zero_grad()
            fast(Xc, y_train).backward()
            opt_.step()
        with mp.no_grad():
            preds = [int(o[1].data > o[0].data) for o in bow.forward_batch([counts(s) for s in X_test])]
        for name, sel in (("with negation", neg), ("without", [not x for x in neg])):
            pairs = [(p, t) for p, t, s in zip(preds, y_test, sel) if s]
            print(f"bag of words, {name}: {sum(p == t for p, t in pairs) / len(pairs):.1%}")
        print("It scores each word independently, so 'not' can only push towards one class:")
        print("it cannot flip 'good' and 'bad' in opposite directions.")
    elif n == 2:
        print("Without the MLP the logits are a linear function of a weighted average of word")
        print("vectors. 'not good' is negative and 'not bad' positive: the effect of 'not' depends")
        print("on the other word, an interaction (like XOR) that a linear read-out cannot express")
        print("unless the attention weights themselves do the work. Train it and see.")
    else:
        print("there are two exercises: answer(1) or answer(2)")""",
    ),
    (
        "md",
        r"""## Summary

- A one-layer attention model with an MLP learns negation: the last position attends to the
  sentiment word and the negation, and the MLP combines them.
- Word ids stay integers under `compile`; batching by length keeps the traces few.
- Attention weights are easy to plot, but they show what was read. The next notebook asks
  which inputs changed the decision.

**Next:** [18 · Explaining a model](18_explaining_a_model.ipynb).""",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
