"""The eager engine against the leanest scalar engines, side by side in one process.

Two workloads:

1. micrograd's own demo step: MLP 2 -> 16 -> 16 -> 1 on 100 two-moons points,
   hinge loss plus 1e-4 * L2, forward + backward + SGD update, on micrograd and
   on micrograd_plus.  Prints ms per step, bytes per graph node and the ratios.
2. microgpt's training step (Karpathy, Feb 2026: a 1-layer GPT on names in pure
   Python): its model and Adam loop, run once on microgpt's own Value (below,
   as published) and once on ours, same seed.  The losses must agree; prints
   ms per step with default GC and with GC off in both, in alternating blocks in
   this process, then each Value alone in a fresh interpreter run as microgpt.py runs.

    python benchmarks/bench_engine.py [--repeats 7] [--gpt-steps 12]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import pathlib
import random
import statistics
import subprocess
import sys
import time
import tracemalloc

import micrograd.engine
import micrograd.nn

import micrograd_plus.engine
import micrograd_plus.losses
import micrograd_plus.nn
from micrograd_plus.data import make_moons
from micrograd_plus.engine import Value

X, Y01 = make_moons(n_samples=100, noise=0.1, seed=1)
Y = [2 * y - 1 for y in Y01]  # hinge loss wants -1/+1 targets, as micrograd's demo


def micrograd_loss(model):
    V = micrograd.engine.Value
    scores = [model([V(a), V(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def plus_loss(model):
    losses = micrograd_plus.losses
    scores = model.forward_batch(X)
    return losses.hinge_loss(scores, Y) + 1e-4 * losses.l2_penalty(model.parameters())


def step(model, loss_fn):
    loss = loss_fn(model)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
    return loss


def time_steps(model, loss_fn, repeats):
    step(model, loss_fn)  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(model, loss_fn)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def count_nodes(root):
    seen, stack = {id(root)}, [root]
    while stack:
        for p in stack.pop()._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def bytes_per_node(build):
    """Memory held by the graph ``build()`` returns, after backward, per node of it."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    root = build()
    root.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    nodes = count_nodes(root)
    return (after - before) / nodes, nodes


def same_graph(V, n=20_000):
    """The same graph in both libraries, node for node: relu(w * x_i + b) summed as a
    balanced tree (micrograd's recursive backward cannot take a deep chain)."""
    w, b = V(0.5), V(0.1)
    terms = [(w * V(i * 1e-4) + b).relu() for i in range(n)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)] + (
            [terms[-1]] if len(terms) % 2 else []
        )
    return terms[0]


def gc_share(model, loss_fn, repeats):
    """Fraction of the step spent in Python's cyclic garbage collector."""
    with_gc = time_steps(model, loss_fn, repeats)[0]
    gc.disable()
    try:
        without_gc = time_steps(model, loss_fn, repeats)[0]
    finally:
        gc.enable()
    return max(0.0, 1 - without_gc / with_gc)


# --- microgpt ---------------------------------------------------------------------------
# microgpt's autograd Value, as published in Karpathy's microgpt.py (Feb 2026,
# https://karpathy.github.io/2026/02/12/microgpt/), kept verbatim for the comparison.


class MicroGPTValue:
    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):
        other = other if isinstance(other, MicroGPTValue) else MicroGPTValue(other)
        return MicroGPTValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, MicroGPTValue) else MicroGPTValue(other)
        return MicroGPTValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other):
        return MicroGPTValue(self.data**other, (self,), (other * self.data ** (other - 1),))

    def log(self):
        return MicroGPTValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        return MicroGPTValue(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self):
        return MicroGPTValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad


def names_dataset() -> list[str]:
    """microgpt trains on makemore's names; use the project's copy if it has one."""
    root = pathlib.Path(__file__).resolve().parent.parent
    for path in sorted(root.glob("**/names.txt")):
        if ".git" not in path.parts:
            return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    rng = random.Random(0)  # no copy: names-like words, as long as the real ones
    consonants, vowels = "bcdfghjklmnprstvz", "aeiouy"
    return [
        "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
        for _ in range(1000)
    ]


class MicroGPT:
    """microgpt's model (1 layer, 16 channels, 4 heads, block 16) and Adam loop, for any Value."""

    n_layer, n_embd, block_size, n_head = 1, 16, 16, 4
    learning_rate, beta1, beta2, eps_adam = 0.01, 0.85, 0.99, 1e-8

    def __init__(self, Value, docs: list[str], seed: int = 42, num_steps: int = 1000):
        rng = random.Random(seed)
        self.docs = list(docs)
        rng.shuffle(self.docs)
        self.uchars = sorted(set("".join(self.docs)))
        self.BOS = len(self.uchars)
        vocab_size = len(self.uchars) + 1
        self.head_dim = self.n_embd // self.n_head
        self.num_steps = num_steps

        def matrix(nout, nin, std=0.08):
            return [[Value(rng.gauss(0, std)) for _ in range(nin)] for _ in range(nout)]

        n_embd = self.n_embd
        sd = {
            "wte": matrix(vocab_size, n_embd),
            "wpe": matrix(self.block_size, n_embd),
            "lm_head": matrix(vocab_size, n_embd),
        }
        for i in range(self.n_layer):
            sd[f"layer{i}.attn_wq"] = matrix(n_embd, n_embd)
            sd[f"layer{i}.attn_wk"] = matrix(n_embd, n_embd)
            sd[f"layer{i}.attn_wv"] = matrix(n_embd, n_embd)
            sd[f"layer{i}.attn_wo"] = matrix(n_embd, n_embd)
            sd[f"layer{i}.mlp_fc1"] = matrix(4 * n_embd, n_embd)
            sd[f"layer{i}.mlp_fc2"] = matrix(n_embd, 4 * n_embd)
        self.state_dict = sd
        self.params = [p for mat in sd.values() for row in mat for p in row]
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.step_count = 0
        self.held = None

    @staticmethod
    def linear(x, w):
        return [sum(wi * xi for wi, xi in zip(wo, x)) for wo in w]

    @staticmethod
    def softmax(logits):
        max_val = max(val.data for val in logits)
        exps = [(val - max_val).exp() for val in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @staticmethod
    def rmsnorm(x):
        ms = sum(xi * xi for xi in x) / len(x)
        scale = (ms + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def gpt(self, token_id, pos_id, keys, values):
        sd, hd, linear, rmsnorm = self.state_dict, self.head_dim, self.linear, self.rmsnorm
        x = [t + p for t, p in zip(sd["wte"][token_id], sd["wpe"][pos_id])]
        x = rmsnorm(x)
        for li in range(self.n_layer):
            x_residual = x
            x = rmsnorm(x)
            q = linear(x, sd[f"layer{li}.attn_wq"])
            k = linear(x, sd[f"layer{li}.attn_wk"])
            v = linear(x, sd[f"layer{li}.attn_wv"])
            keys[li].append(k)
            values[li].append(v)
            x_attn = []
            for h in range(self.n_head):
                hs = h * hd
                q_h = q[hs : hs + hd]
                k_h = [ki[hs : hs + hd] for ki in keys[li]]
                v_h = [vi[hs : hs + hd] for vi in values[li]]
                attn_logits = [
                    sum(q_h[j] * k_h[t][j] for j in range(hd)) / hd**0.5 for t in range(len(k_h))
                ]
                attn_weights = self.softmax(attn_logits)
                head_out = [
                    sum(attn_weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(hd)
                ]
                x_attn.extend(head_out)
            x = linear(x_attn, sd[f"layer{li}.attn_wo"])
            x = [a + b for a, b in zip(x, x_residual)]
            x_residual = x
            x = rmsnorm(x)
            x = linear(x, sd[f"layer{li}.mlp_fc1"])
            x = [xi.relu() for xi in x]
            x = linear(x, sd[f"layer{li}.mlp_fc2"])
            x = [a + b for a, b in zip(x, x_residual)]
        return linear(x, sd["lm_head"])

    def train_step(self, keep_graph: bool = False) -> float:
        """One step of microgpt's loop: a document forward, backward, Adam; returns the loss.

        ``keep_graph`` keeps this step's graph alive until the next step's forward is
        done, as microgpt.py does: its loop runs at module level, so its ``loss`` name
        holds the previous graph until it is rebound."""
        step = self.step_count
        doc = self.docs[step % len(self.docs)]
        tokens = [self.BOS] + [self.uchars.index(ch) for ch in doc] + [self.BOS]
        n = min(self.block_size, len(tokens) - 1)
        keys, values = [[] for _ in range(self.n_layer)], [[] for _ in range(self.n_layer)]
        losses = []
        for pos_id in range(n):
            token_id, target_id = tokens[pos_id], tokens[pos_id + 1]
            logits = self.gpt(token_id, pos_id, keys, values)
            probs = self.softmax(logits)
            losses.append(-probs[target_id].log())
        loss = (1 / n) * sum(losses)
        self.held = loss if keep_graph else None
        loss.backward()
        lr_t = self.learning_rate * (1 - step / self.num_steps)
        b1, b2, m, v = self.beta1, self.beta2, self.m, self.v
        for i, p in enumerate(self.params):
            m[i] = b1 * m[i] + (1 - b1) * p.grad
            v[i] = b2 * v[i] + (1 - b2) * p.grad**2
            m_hat = m[i] / (1 - b1 ** (step + 1))
            v_hat = v[i] / (1 - b2 ** (step + 1))
            p.data -= lr_t * m_hat / (v_hat**0.5 + self.eps_adam)
            p.grad = 0
        self.step_count += 1
        return loss.data


def time_gpt_pair(docs, steps: int, gc_on: bool, block: int = 4) -> dict[str, list[float]]:
    """Both Values through the same ``steps`` microgpt steps, in alternating blocks.

    Each Value runs ``block`` steps in a row, as in its own training loop, then
    the other runs the same steps (alternating which goes first), so that a
    loaded machine slows both alike while each pays for freeing its own graphs.
    Step-by-step lockstep would not: microgpt's backward leaves its graph in a
    reference cycle (its recursive ``build_topo`` closure), freed by the next
    collection, which then falls in the other Value's step half the time (we
    measured it adding 5-10 ms to our step, as much as 0.3 of the ratio).
    Between blocks, untimed, ``gc.collect()`` clears what a block left (with
    GC off microgpt's graphs would pile up); at worst that spares microgpt one
    graph's freeing per block.  GC on or paused (and restored after).
    Returns the losses and seconds per step of each.
    """
    models = {"microgpt": MicroGPT(MicroGPTValue, docs), "plus": MicroGPT(Value, docs)}
    result: dict[str, list[float]] = {f"{k} {w}": [] for k in models for w in ("loss", "time")}
    was_enabled = gc.isenabled()
    (gc.enable if gc_on else gc.disable)()
    try:
        for first in range(0, steps, block):
            names = ["microgpt", "plus"] if first // block % 2 == 0 else ["plus", "microgpt"]
            for name in names:
                gc.collect()
                for _ in range(first, min(first + block, steps)):
                    start = time.perf_counter()
                    result[f"{name} loss"].append(models[name].train_step())
                    result[f"{name} time"].append(time.perf_counter() - start)
    finally:
        gc.collect()
        (gc.enable if was_enabled else gc.disable)()
    return result


def microgpt_figures(steps: int) -> dict[str, float]:
    """Median ms/step and median per-step speed-up, GC on and off; checks the losses agree."""
    docs = names_dataset()
    figures: dict[str, float] = {}
    worst = 0.0
    for gc_on in (True, False):
        run = time_gpt_pair(docs, steps, gc_on)
        worst = max([worst] + [abs(a - b) for a, b in zip(run["microgpt loss"], run["plus loss"])])
        assert worst <= 1e-9, f"microgpt losses differ by {worst} between the two Values"
        key = "on" if gc_on else "off"
        figures[f"microgpt gc={key}"] = statistics.median(run["microgpt time"]) * 1e3
        figures[f"plus gc={key}"] = statistics.median(run["plus time"]) * 1e3
        ratios = [a / b for a, b in zip(run["microgpt time"], run["plus time"])]
        figures[f"ratio gc={key}"] = statistics.median(ratios)
    figures["loss agreement"] = worst
    return figures


def run_alone(name: str, steps: int) -> None:
    """Child process: ``steps`` microgpt steps on one Value with default GC, as a user's
    own script runs them; prints the losses and seconds per step as JSON."""
    value_class = MicroGPTValue if name == "microgpt" else Value
    model = MicroGPT(value_class, names_dataset())
    losses, times = [], []
    for _ in range(steps):
        start = time.perf_counter()
        losses.append(model.train_step(keep_graph=True))
        times.append(time.perf_counter() - start)
    print(json.dumps({"losses": losses, "times": times}))


def fresh_interpreter_figures(steps: int, rounds: int = 2) -> dict[str, float]:
    """Each Value in its own fresh interpreter, default GC, run as microgpt.py runs.

    The block-wise figures share one heap between the two models and free each graph
    after its step: the conservative measure.  microgpt.py itself runs alone and, its
    loop being at module level, keeps the previous step's graph alive through the
    next forward, so every garbage collection there walks two graphs.  Runs alternate
    (``rounds`` each) and the losses must agree with each other."""
    runs: dict[str, list[dict[str, list[float]]]] = {"microgpt": [], "plus": []}
    for _ in range(rounds):
        for name in runs:
            command = [sys.executable, __file__, "--alone", name, "--gpt-steps", str(steps)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            runs[name].append(json.loads(done.stdout.splitlines()[-1]))
    worst = max(
        abs(a - b)
        for ours, theirs in zip(runs["plus"], runs["microgpt"])
        for a, b in zip(ours["losses"], theirs["losses"])
    )
    assert worst <= 1e-9, f"microgpt losses differ by {worst} between the two Values"
    medians = {
        name: statistics.median(t for run in each for t in run["times"])
        for name, each in runs.items()
    }
    return {
        "microgpt": medians["microgpt"] * 1e3,
        "plus": medians["plus"] * 1e3,
        "ratio": medians["microgpt"] / medians["plus"],
        "loss agreement": worst,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--gpt-steps", type=int, default=20, help="microgpt steps per setting")
    parser.add_argument("--only", choices=["micrograd", "microgpt"], help="run one workload")
    parser.add_argument("--alone", choices=["microgpt", "plus"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.alone:
        run_alone(args.alone, args.gpt_steps)
        return
    if args.only != "microgpt":
        micrograd_demo(args.repeats)
    if args.only != "micrograd":
        gpt = microgpt_figures(args.gpt_steps)
        print()
        print(
            f"microgpt's training step (1 layer, 16 channels, Adam), {args.gpt_steps} steps "
            f"in alternating blocks of 4, medians; losses agree to {gpt['loss agreement']:.1e}"
        )
        print(f"{'':16}{'GC on ms/step':>16}{'GC off ms/step':>16}")
        for name in ("microgpt", "plus"):
            label = "microgpt Value" if name == "microgpt" else "micrograd_plus"
            print(f"{label:16}{gpt[name + ' gc=on']:>16.1f}{gpt[name + ' gc=off']:>16.1f}")
        print(
            f"speed-up over microgpt's Value (median of per-step ratios): "
            f"{gpt['ratio gc=on']:.2f}x with default GC (target >= 1.5x), "
            f"{gpt['ratio gc=off']:.2f}x with GC off in both (target >= 1.2x)"
        )
        alone = fresh_interpreter_figures(args.gpt_steps)
        print(
            f"as microgpt.py runs (its own interpreter, previous graph alive), default GC: "
            f"microgpt's Value {alone['microgpt']:.1f} ms/step, micrograd_plus "
            f"{alone['plus']:.1f} ms/step -> {alone['ratio']:.2f}x; losses agree to "
            f"{alone['loss agreement']:.1e}"
        )


def micrograd_demo(repeats: int) -> None:
    """micrograd's demo step on micrograd and on micrograd_plus, with bytes per node."""
    random.seed(1337)
    mg_model = micrograd.nn.MLP(2, [16, 16, 1])
    plus_model = micrograd_plus.nn.MLP(2, [16, 16, 1], seed=1337)

    mg_med, mg_min = time_steps(mg_model, micrograd_loss, repeats)
    mp_med, mp_min = time_steps(plus_model, plus_loss, repeats)
    mg_bytes, mg_nodes = bytes_per_node(lambda: micrograd_loss(mg_model))
    mp_bytes, mp_nodes = bytes_per_node(lambda: plus_loss(plus_model))
    mg_same = bytes_per_node(lambda: same_graph(micrograd.engine.Value))[0]
    mp_same = bytes_per_node(lambda: same_graph(micrograd_plus.engine.Value))[0]
    mg_gc = gc_share(mg_model, micrograd_loss, 3)
    mp_gc = gc_share(plus_model, plus_loss, 3)

    print("micrograd's demo step: MLP 2-16-16-1, 100 points, hinge + 1e-4*L2, fwd+bwd+SGD")
    print(
        f"{'':16}{'ms/step (median)':>18}{'min':>10}{'nodes':>9}{'bytes/node':>12}{'GC share':>10}"
    )
    print(
        f"{'micrograd':16}{mg_med * 1e3:>18.1f}{mg_min * 1e3:>10.1f}{mg_nodes:>9}"
        f"{mg_bytes:>12.0f}{mg_gc:>10.0%}"
    )
    print(
        f"{'micrograd_plus':16}{mp_med * 1e3:>18.1f}{mp_min * 1e3:>10.1f}{mp_nodes:>9}"
        f"{mp_bytes:>12.0f}{mp_gc:>10.0%}"
    )
    print()
    print(
        f"speed-up on the step: {mg_med / mp_med:.1f}x micrograd by median, "
        f"{mg_min / mp_min:.1f}x by best time (target >= 25x)"
    )
    print(
        f"bytes per node, same graph node for node (relu(w*x+b) terms summed, after backward): "
        f"micrograd {mg_same:.0f}, micrograd_plus {mp_same:.0f} (target <= 158) "
        f"-> {mp_same / mg_same:.2f} of micrograd's"
    )
    print(
        f"whole step graph: micrograd {mg_bytes * mg_nodes / 1e6:.1f} MB, "
        f"micrograd_plus {mp_bytes * mp_nodes / 1e6:.1f} MB "
        f"({mg_bytes * mg_nodes / (mp_bytes * mp_nodes):.1f}x less; n-ary sums make fewer nodes)"
    )


if __name__ == "__main__":
    main()
