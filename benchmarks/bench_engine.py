"""micrograd vs micrograd_plus (eager) on micrograd's own demo step, in one process.

The step: MLP 2 -> 16 -> 16 -> 1 on 100 two-moons points, hinge loss plus
1e-4 * L2, forward + backward + SGD update. Prints ms per step and bytes per
graph node for both, and the ratios.

    python benchmarks/bench_engine.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc

import micrograd.engine
import micrograd.nn

import micrograd_plus.engine
import micrograd_plus.losses
import micrograd_plus.nn
from micrograd_plus.data import make_moons

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    random.seed(1337)
    mg_model = micrograd.nn.MLP(2, [16, 16, 1])
    plus_model = micrograd_plus.nn.MLP(2, [16, 16, 1], seed=1337)

    mg_med, mg_min = time_steps(mg_model, micrograd_loss, args.repeats)
    mp_med, mp_min = time_steps(plus_model, plus_loss, args.repeats)
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
        f"{mg_min / mp_min:.1f}x by best time (target >= 5x)"
    )
    print(
        f"bytes per node, same graph node for node (relu(w*x+b) terms summed, after backward): "
        f"micrograd {mg_same:.0f}, micrograd_plus {mp_same:.0f} "
        f"-> {mp_same / mg_same:.2f} of micrograd's (target <= 0.33)"
    )
    print(
        f"whole step graph: micrograd {mg_bytes * mg_nodes / 1e6:.1f} MB, "
        f"micrograd_plus {mp_bytes * mp_nodes / 1e6:.1f} MB "
        f"({mg_bytes * mg_nodes / (mp_bytes * mp_nodes):.1f}x less; n-ary sums make fewer nodes)"
    )


if __name__ == "__main__":
    main()
