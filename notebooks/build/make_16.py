# ruff: noqa: E501  (markdown tables and LaTeX lines cannot be wrapped)
"""Write notebooks/16_tiny_gpt_on_names.ipynb: python notebooks/build/make_16.py [--execute] (see nbtools.py)."""

import nbtools

NAME = "16_tiny_gpt_on_names.ipynb"

CELLS = [
    (
        "md",
        r"""# 16 · A tiny GPT on names

Karpathy's **microgpt** trains a GPT on 32,033 first names in pure Python with a scalar
autograd engine: 1 layer, 4 attention heads, 16-dimensional embeddings, a context of 16
characters, 1,000 Adam steps of one name each. Being pure Python, it takes minutes. Here we
build the same model from `micrograd_plus.nn` layers, check that eager and compiled training
follow the same loss trajectory, and run the 1,000 steps compiled.

A GPT predicts the next character from the ones before it. Its key part is **causal
self-attention**: at each position the model forms a query, compares it with the keys of
this and every *earlier* position, and takes a weighted average of their values.""",
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
        r"""## 1. The data: names as token sequences

`data.load_names()` returns the names of makemore's `names.txt` (MIT licence, shipped with the
package). Each of the 26 letters is a token, plus one special token `BOS` ("beginning of
sequence", shown as `.`) that starts a name and also ends it. The model sees
`[BOS, e, m, m, a]` and must predict `[e, m, m, a, BOS]`.""",
    ),
    (
        "code",
        r"""names = data.load_names()
chars = sorted(set("".join(names)))
BOS = len(chars)  # token 26
vocab_size = len(chars) + 1
BLOCK = 16  # the context: at most 16 positions
to_id = {c: i for i, c in enumerate(chars)}


def encode(name):
    return [BOS] + [to_id[c] for c in name] + [BOS]


def decode(ids):
    return "".join("." if i == BOS else chars[i] for i in ids)


print(len(names), "names, vocabulary of", vocab_size, "tokens")
print("emma ->", encode("emma"), "->", decode(encode("emma")))
print("longest name:", max(len(n) for n in names), "letters")""",
    ),
    (
        "md",
        r"""## 2. Attention, and the causal mask

`nn.CausalSelfAttention(embed_dim, num_heads)` maps a sequence of rows `[T][E]` to `[T][E]`.
Each head takes a slice of the query, key and value projections (`in_proj_weight`, stacked
q, k, v as in `torch.nn.MultiheadAttention`) and computes, for position $t$,

$$a_{t,s} = \operatorname{softmax}_s\!\left(\frac{q_t\cdot k_s}{\sqrt{d}}\right)\ \text{for } s \le t,\qquad \text{out}_t = \sum_{s\le t} a_{t,s}\, v_s .$$

Positions after $t$ are never looked at (the **causal mask**): when the model predicts the
next character it cannot peek at it. The weights $a_{t,s}$ of the last call are kept in
`attention_weights[head][t][s]`. Here is a fresh layer on 6 random rows:""",
    ),
    (
        "code",
        r"""attn = nn.CausalSelfAttention(16, 4, seed=0)
rng = random.Random(0)
rows = [[rng.gauss(0, 1) for _ in range(16)] for _ in range(6)]
out = attn(rows)

fig, axes = plt.subplots(1, 4, figsize=(11, 2.8))
for h, ax in enumerate(axes):
    ax.imshow(attn.attention_weights[h], cmap="viridis", vmin=0, vmax=1)
    ax.set(title=f"head {h}", xlabel="attends to s", ylabel="position t")
plt.tight_layout()
plt.show()

changed = [row[:] for row in rows]
changed[5] = [rng.gauss(0, 1) for _ in range(16)]  # change the last position only
out2 = attn(changed)
same = all(a.data == b.data for t in range(5) for a, b in zip(out[t], out2[t]))
print("outputs at positions 0-4 unchanged when position 5 changes:", same)""",
    ),
    (
        "md",
        r"""Every row sums to one and everything above the diagonal is zero: position 0 can only attend
to itself. Changing the last input leaves all earlier outputs exactly as they were.

## 3. The model: microgpt's configuration

- token embedding `wte` and position embedding `wpe` (`nn.Embedding`: `emb(i)` is row `i`; under
  `compile` the token id is an integer input, so one trace serves every name),
- `RMSNorm`, then one `TransformerBlock(16, 4, norm="rms", bias=False)`:
  `x + attention(rmsnorm(x))`, then `x + mlp(rmsnorm(x))` with a 16 → 64 → 16 ReLU MLP,
- a `Linear(16, 27)` head giving the logits of the next token.

Like microgpt, the embeddings start small (standard deviation 0.08).""",
    ),
    (
        "code",
        r"""class TinyGPT(nn.Module):
    def __init__(self, seed=0):
        rng = random.Random(seed)
        self.wte = nn.Embedding(vocab_size, 16, seed=rng)
        self.wpe = nn.Embedding(BLOCK, 16, seed=rng)
        for p in self.wte.parameters() + self.wpe.parameters():
            p.data *= 0.08
        self.norm = nn.RMSNorm(16, eps=1e-5, elementwise_affine=False)
        self.block = nn.TransformerBlock(16, 4, norm="rms", bias=False, seed=rng)
        self.lm_head = nn.Linear(16, vocab_size, init="xavier", seed=rng)

    def forward(self, tokens):
        x = [[a + b for a, b in zip(self.wte(tok), self.wpe(t))] for t, tok in enumerate(tokens)]
        x = self.block(self.norm(x))
        return [self.lm_head(row) for row in x]  # one row of logits per position


model = TinyGPT(seed=0)
print(model)
print(len(model.parameters()), "parameters (microgpt: 4,192; our head has 27 biases more)")""",
    ),
    (
        "md",
        r"""### One loss for every name length

Names have different lengths, and `compile` traces once per argument *structure*. So we pad
every example to 16 positions and weight each position's loss by a mask (1 for real
positions, 0 for padding), divided by the number of real positions. Because attention is
causal, the padding after a name cannot change the predictions inside it: the loss is exactly
the mean over the real positions, as microgpt computes it.""",
    ),
    (
        "code",
        r"""def example(name):
    tokens = encode(name)[: BLOCK + 1]
    inputs, targets = tokens[:-1], tokens[1:]
    n, pad = len(inputs), BLOCK - len(inputs)
    return inputs + [0] * pad, targets + [0] * pad, [1.0] * n + [0.0] * pad, 1.0 / n


def name_loss(inputs, targets, mask, inv_count):
    logits = model(inputs)
    per_position = [losses.cross_entropy([row], [t]) for row, t in zip(logits, targets)]
    return mp.sum_values([m * l for m, l in zip(mask, per_position)]) * inv_count


docs = names[:]
random.Random(42).shuffle(docs)
print(docs[:5], example(docs[0]))""",
    ),
    (
        "md",
        r"""## 4. Eager and compiled: the same trajectory

We train 10 steps eagerly, with microgpt's own unpadded loss, and 10 steps compiled with the
padded, masked loss, from the same starting weights and with microgpt's Adam settings (lr
0.01, betas (0.85, 0.99), lr decaying linearly to 0 over the run), and compare the losses
step by step. (Ten eager steps are all a CI run can afford: each is a fresh graph of about
20,000 Values.)""",
    ),
    (
        "code",
        r"""STEPS = 1000
start_state = model.state_dict()


def microgpt_loss(inputs, targets):
    # microgpt's loss, unpadded: the mean over the name's own positions.
    return losses.cross_entropy(model(inputs), targets)


def unpadded(name):
    tokens = encode(name)[: BLOCK + 1]
    return tokens[:-1], tokens[1:]


def train(loss_fn, steps, total_steps=STEPS, make_example=example):
    opt = optim.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    history, times = [], []
    for step in range(steps):
        t0 = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = 0.01 * (1 - step / total_steps)
        opt.zero_grad()
        loss = loss_fn(*make_example(docs[step % len(docs)]))
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        history.append(loss.data)
    return history, times


eager_losses, eager_times = train(microgpt_loss, 10, make_example=unpadded)
model.load_state_dict(start_state)
fast_loss = mp.compile(name_loss)
compiled_losses, compiled_times = train(fast_loss, 10)
print("step  eager loss          compiled loss")
for s in (0, 1, 2, 5, 9):
    print(f"{s:4d}  {eager_losses[s]:.15f}  {compiled_losses[s]:.15f}")
print("largest difference over 10 steps:", max(abs(a - b) for a, b in zip(eager_losses, compiled_losses)))
eager_ms = 1000 * sorted(eager_times)[len(eager_times) // 2]
compiled_ms = 1000 * sorted(compiled_times[1:])[len(compiled_times) // 2]
print(f"median step: eager {eager_ms:.0f} ms, compiled {compiled_ms:.1f} ms "
      f"(the first compiled step also traced: {compiled_times[0]:.1f} s)")""",
    ),
    (
        "md",
        r"""## 5. The full run: 1,000 steps, compiled""",
    ),
    (
        "code",
        r"""model.load_state_dict(start_state)
fast_loss = mp.compile(name_loss)
start = time.perf_counter()
history, step_times = train(fast_loss, STEPS)
total = time.perf_counter() - start
print(f"{STEPS} steps in {total:.1f} s ({1000 * total / STEPS:.1f} ms per step, trace included); "
      f"at the eager speed measured above they would take {eager_ms * STEPS / 1000 / 60:.1f} minutes")

window = 50
smooth = [sum(history[max(0, i - window) : i + 1]) / len(history[max(0, i - window) : i + 1]) for i in range(len(history))]
plt.figure(figsize=(7, 3))
plt.plot(history, alpha=0.3, label="loss per name")
plt.plot(smooth, label=f"mean of the last {window}")
plt.axhline(-__import__("math").log(1 / vocab_size), color="gray", ls="--", lw=1, label="uniform guess, log 27")
plt.xlabel("step")
plt.ylabel("cross-entropy")
plt.legend()
plt.show()
print(f"mean loss over the last 100 steps: {sum(history[-100:]) / 100:.3f}")""",
    ),
    (
        "md",
        r"""Where does a compiled step's time go? The forward and backward replays are a few NumPy calls
each; most of what remains is the optimizer's Python loop over the 4,219 parameters:""",
    ),
    (
        "code",
        r"""opt = optim.Adam(model.parameters(), lr=0.001, betas=(0.85, 0.99), eps=1e-8)
parts = {"zero_grad": [], "forward (replay)": [], "backward (replay)": [], "Adam step": []}
for step in range(50):
    ex = example(docs[step])
    t0 = time.perf_counter()
    opt.zero_grad()
    t1 = time.perf_counter()
    loss = fast_loss(*ex)
    t2 = time.perf_counter()
    loss.backward()
    t3 = time.perf_counter()
    opt.step()
    t4 = time.perf_counter()
    for key, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
        parts[key].append(1000 * seconds)
for key, ms in parts.items():
    print(f"{key:18s} {sorted(ms)[len(ms) // 2]:6.2f} ms (median)")""",
    ),
    (
        "md",
        r"""## 6. Sampling new names

To sample, start from `BOS`, ask for the logits of the next token, draw one from
softmax(logits / temperature), append it, and stop at the next `BOS`. A temperature below 1
makes the model pick likely letters more often (microgpt uses 0.5). For speed we compile the
forward pass too, returning all 16 rows of logits as aux floats and reading the row of the
last real position.""",
    ),
    (
        "code",
        r"""def all_logits(tokens):
    rows = model(tokens)
    return rows[0][0], rows  # (a Value to return, the logits as aux)


fast_logits = mp.compile(all_logits, has_aux=True)


def sample(temperature=0.5, rng=random.Random(7)):
    tokens = [BOS]
    while len(tokens) < BLOCK:
        _, rows = fast_logits(tokens + [0] * (BLOCK - len(tokens)))
        logits = rows[len(tokens) - 1]
        probs = [p.data for p in losses.softmax([v / temperature for v in logits])]
        nxt = rng.choices(range(vocab_size), weights=probs)[0]
        if nxt == BOS:
            break
        tokens.append(nxt)
    return decode(tokens[1:])


samples = [sample() for _ in range(20)]
print(", ".join(samples))
print("already in the training names:", sum(s in set(names) for s in samples), "of", len(samples))""",
    ),
    (
        "md",
        r"""## 7. What the trained heads look at

The attention weights of each head on one name. Look for a band just left of the diagonal
(a head reading the previous letter or two) and for a bright first column (a head reading
the start token, which tells the model how far into the name it is).""",
    ),
    (
        "code",
        r"""word = "isabella"
tokens = encode(word)[:-1]
with mp.no_grad():
    model(tokens)
weights = model.block.attn.attention_weights
labels = list(decode(tokens))
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
for h, ax in enumerate(axes):
    ax.imshow(weights[h], cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set(title=f"head {h}", xlabel="attends to", ylabel="predicting after")
plt.tight_layout()
plt.show()""",
    ),
    (
        "md",
        r"""## Exercises

**1.** Sample 20 names at temperature 0.1 and at 1.5. What changes?

**2.** How well does the model do on names it never trained on? Compute the mean loss over
200 names from the end of `docs` (the 1,000 steps used the first 1,000).

**3.** Make the context shorter: what is the loss if you only ever show the model the last 2
characters? (Hint: a bigram model, `BLOCK = 2`, is the classic baseline; compare with the
uniform guess $\log 27 \approx 3.30$.)

Answers: `answer(1)`, `answer(2)` or `answer(3)` (collapsed cell below).""",
    ),
    (
        "code",
        r"""# Your turn
""",
    ),
    (
        "answer",
        r"""def answer(n):
    # Prints the worked answer to exercise n (1, 2 or 3).
    if n == 1:
        for temp in (0.1, 1.5):
            print(f"temperature {temp}:", ", ".join(sample(temp) for _ in range(20)))
        print("Low temperature: the same few likely names over and over; high: more variety and")
        print("more letter salad. Temperature trades diversity for plausibility.")
    elif n == 2:
        held_out = docs[-200:]
        with mp.no_grad():
            mean = sum(name_loss(*example(d)).data for d in held_out) / len(held_out)
        print(f"held-out mean loss {mean:.3f} vs last-100 training mean {sum(history[-100:]) / 100:.3f}")
        print("Close: 4,219 parameters on 32,033 names cannot memorise, so it generalises.")
    elif n == 3:
        print("Train a model whose examples are cut to windows of 2 tokens (or count bigrams):")
        counts = [[1] * vocab_size for _ in range(vocab_size)]
        for d in docs[:-200]:
            t = encode(d)
            for a, b in zip(t, t[1:]):
                counts[a][b] += 1
        import math
        total, k = 0.0, 0
        for d in docs[-200:]:
            t = encode(d)
            for a, b in zip(t, t[1:]):
                total -= math.log(counts[a][b] / sum(counts[a]))
                k += 1
        print(f"bigram counts: held-out loss {total / k:.3f}; uniform guess {math.log(27):.3f}")
        print("The GPT's longer context is what takes it below the bigram baseline.")
    else:
        print("there are three exercises: answer(1), answer(2) or answer(3)")""",
    ),
    (
        "md",
        r"""## Summary

- A GPT is embeddings, causal self-attention, an MLP and residual connections; each is a
  handful of `micrograd_plus.nn` layers, and every number in it is a `Value` you can draw.
- Padding with a loss mask gives one trace for every name; compiled steps follow the eager
  loss trajectory exactly and run microgpt's 1,000 steps in well under a minute.
- The trained model invents plausible new names, and its attention heads can be plotted.

**Next:** [17 · Attention for sentiment](17_attention_for_sentiment.ipynb).""",
    ),
]


if __name__ == "__main__":
    nbtools.main(NAME, CELLS)
