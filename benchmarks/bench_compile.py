"""micrograd vs micrograd_plus (eager and compiled) vs PyTorch on micrograd's demo step.

The step: MLP 2 -> 16 -> 16 -> 1 on two-moons points, hinge loss plus
1e-4 * L2, forward + backward + SGD update, at batch sizes 100, 1,000 and
10,000, all in one process.  Also: trace time, the cost per graph node as the
graph grows, deep narrow graphs (eager vs compiled), and a profile of the compiled step.

    python benchmarks/bench_compile.py [--quick]
"""

from __future__ import annotations

import os

# One BLAS thread, as torch gets one below: these matrices are small, and on a busy
# machine threads mostly wait for each other (set the variable yourself to override).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import time

import micrograd.engine
import micrograd.nn

import micrograd_plus.losses as losses
import micrograd_plus.nn
from micrograd_plus.compiler import compile
from micrograd_plus.data import make_moons
from micrograd_plus.engine import Value, sum_values


def moons(n):
    X, y01 = make_moons(n_samples=n, noise=0.1, seed=1)
    return X, [2.0 * t - 1.0 for t in y01]  # hinge loss wants -1/+1 targets


def median_time(step, repeats, budget=None):
    """Median seconds of step() over repeats runs (fewer if they exceed budget seconds)."""
    step()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
        if budget is not None and sum(times) > budget:
            break
    return statistics.median(times)


def sgd(params, lr=0.05):
    for p in params:
        p.data -= lr * p.grad


# --- the contenders ------------------------------------------------------------------------


def micrograd_step(X, Y):
    random.seed(1337)
    model = micrograd.nn.MLP(2, [16, 16, 1])
    V = micrograd.engine.Value

    def step():
        scores = [model([V(a), V(b)]) for a, b in X]
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(Y, scores)) * (1.0 / len(Y))
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        sgd(model.parameters())

    return step


def plus_loss(model):
    def loss(Xb, yb):
        scores = model.forward_batch(Xb)
        return losses.hinge_loss(scores, yb) + 1e-4 * losses.l2_penalty(model.parameters())

    return loss


def plus_step(X, Y, compiled):
    model = micrograd_plus.nn.MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()
    loss_fn = plus_loss(model)
    fast = compile(loss_fn) if compiled else loss_fn

    def step():
        loss = fast(X, Y)
        model.zero_grad()
        loss.backward()
        sgd(params)

    return step, fast


def torch_step(X, Y, dtype_name):
    import torch

    torch.set_num_threads(1)  # tiny tensors: threads only add overhead (and noise on a busy box)

    dtype = getattr(torch, dtype_name)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    ).to(dtype)  # fmt: skip
    Xt, Yt = torch.tensor(X, dtype=dtype), torch.tensor(Y, dtype=dtype)
    params = list(net.parameters())

    def step():
        scores = net(Xt).squeeze(1)
        loss = torch.relu(1 - Yt * scores).mean() + 1e-4 * sum((p * p).sum() for p in params)
        net.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.05 * p.grad

    return step


# --- sections ----------------------------------------------------------------------------------


def demo_table(sizes, quick):
    try:
        import torch  # noqa: F401

        has_torch = True
    except ImportError:
        has_torch = False
    rows = []
    for n in sizes:
        X, Y = moons(n)
        row = {"batch": n}
        slow_ok = n <= 1000
        if slow_ok:
            row["micrograd"] = median_time(micrograd_step(X, Y), 1 if quick or n > 100 else 3)
            row["eager"] = median_time(plus_step(X, Y, False)[0], 1 if quick or n > 100 else 5)
        step, fast = plus_step(X, Y, True)
        start = time.perf_counter()
        step()
        row["trace"] = time.perf_counter() - start
        row["nodes"] = fast.last_tape.n_nodes
        row["groups"] = len(fast.last_tape.groups)
        row["compiled"] = median_time(step, 50 if quick else 200, budget=10)
        if has_torch:
            for dtype in ("float64", "float32"):
                row[dtype] = median_time(torch_step(X, Y, dtype), 50 if quick else 200, budget=10)
        rows.append(row)
    return rows


def print_demo_table(rows):
    print("micrograd's demo step: MLP 2-16-16-1, hinge + 1e-4*L2, forward + backward + SGD")
    cols = ["micrograd", "eager", "compiled", "float64", "float32"]
    names = ["micrograd", "mg_plus eager", "mg_plus compiled", "torch f64", "torch f32"]
    print(f"{'batch':>7}{'graph nodes':>13}" + "".join(f"{h:>18}" for h in names)
          + f"{'trace':>10}{'compiled vs micrograd':>24}")  # fmt: skip
    for row in rows:
        cells = [f"{row[c] * 1e3:>15.3f} ms" if c in row else f"{'(skipped)':>18}" for c in cols]
        ratio = f"{row['micrograd'] / row['compiled']:,.0f}x" if "micrograd" in row else "-"
        print(f"{row['batch']:>7}{row['nodes']:>13,}" + "".join(cells)
              + f"{row['trace']:>9.2f}s{ratio:>24}")  # fmt: skip
    print("(micrograd and eager are skipped at batch 10,000: seconds per step; trace = the")
    print(" first compiled call, i.e. one eager forward plus building the tape)")
    for row in rows:
        parts = [f"batch {row['batch']}: {row['groups']} groups"]
        if "eager" in row:
            parts.append(f"{row['eager'] / row['compiled']:,.0f}x eager")
        if "float64" in row:
            parts.append(f"{row['compiled'] / row['float64']:.2f}x torch f64's time")
            parts.append(f"{row['compiled'] / row['float32']:.2f}x torch f32's time")
        print("  " + ", ".join(parts))


def parallel_chains(width, length):
    """`width` independent chains x -> tanh(w*x + c), `length` levels deep, summed at the end.

    Width 1 is the narrowest graph there is (one node per level, nothing to
    vectorise); wider graphs give NumPy more to do per call.
    """
    ws = [Value(0.9 - 0.01 * j) for j in range(width)]
    c = Value(0.1)

    def fn(xs):
        hs = list(xs)
        for _ in range(length):
            hs = [(w * h + c).tanh() for w, h in zip(ws, hs)]
        return sum_values(hs)

    return fn


def per_node_table(quick):
    print()
    print("cost per graph node, compiled forward + backward (linear time means a flat column)")
    print(f"{'graph':>34}{'nodes':>11}{'us/step':>12}{'ns/node':>10}")
    for n in [100, 1000, 10000] if not quick else [100, 1000]:
        X, Y = moons(n)
        model = micrograd_plus.nn.MLP(2, [16, 16, 1], seed=1)
        fast = compile(plus_loss(model))
        t = median_time(lambda f=fast, X=X, Y=Y: f(X, Y).backward(), 30, budget=5)
        nodes = fast.last_tape.n_nodes
        print(
            f"{f'MLP 2-16-16-1, batch {n}':>34}{nodes:>11,}{t * 1e6:>12.0f}{t / nodes * 1e9:>10.1f}"
        )
    for length in [100, 1000, 10000] if not quick else [100, 1000]:
        fast = compile(parallel_chains(1, length))
        t = median_time(lambda f=fast: f([0.5]).backward(), 20, budget=5)
        nodes = fast.last_tape.n_nodes
        print(f"{f'deep chain tanh(w*x+c), {length}':>34}{nodes:>11,}{t * 1e6:>12.0f}"
              f"{t / nodes * 1e9:>10.1f}")  # fmt: skip


def narrow_table(quick):
    """Deep, narrow graphs: too little per level for NumPy, so compile runs them on floats."""
    print()
    print("deep chains tanh(w*x + c), forward + backward, per level (eager vs compiled)")
    print(f"{'width':>7}{'levels':>8}{'eager':>12}{'compiled':>12}{'speed-up':>10}   compiled runs")
    cases = [(1, 100), (1, 1000), (2, 300), (4, 300), (16, 100), (64, 50)]
    for width, length in cases[:4] if quick else cases:
        fn = parallel_chains(width, length)
        xs = [0.5] * width
        eager = median_time(lambda f=fn, xs=xs: f(xs).backward(), 5 if quick else 20, budget=3)
        fast = compile(fn)
        compiled = median_time(lambda f=fast, xs=xs: f(xs).backward(), 20 if quick else 100, 3)
        kinds = [type(g).__name__ for g in fast.last_tape.groups]
        on_floats = kinds.count("FloatSegment")
        runs = f"{on_floats} float segments, {len(kinds) - on_floats} NumPy groups"
        per_level = f"{eager / length * 1e6:>9.1f} us{compiled / length * 1e6:>9.1f} us"
        print(f"{width:>7}{length:>8}{per_level}{eager / compiled:>9.1f}x   {runs}")
    print("(each group of nodes runs as NumPy calls or on Python floats, whichever the tape's")
    print(" cost model finds cheaper; a width-1 chain runs entirely on floats)")


def breakdown(n=100, repeats=300):
    """Where the compiled step's time goes: the tape's forward and backward, the rest."""
    X, Y = moons(n)
    model = micrograd_plus.nn.MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()
    fast = compile(plus_loss(model))
    fast(X, Y)
    parts = {"forward (fast(X, y))": [], "backward": [], "model.zero_grad()": [], "SGD update": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        loss = fast(X, Y)
        t1 = time.perf_counter()
        model.zero_grad()
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        sgd(params)
        t4 = time.perf_counter()
        for key, dt in zip(parts, [t1 - t0, t3 - t2, t2 - t1, t4 - t3]):
            parts[key].append(dt)
    tape = fast.last_tape
    kinds = [type(g).__name__ for g in tape.groups]
    print()
    print(f"compiled step at batch {n}, median per part ({len(tape.groups)} groups: "
          f"{kinds.count('MatmulGroup')} matmul, {kinds.count('RowsGroup')} rows, "
          f"{kinds.count('MapGroup')} elementwise, {kinds.count('FloatSegment')} on floats; "
          f"{len(params)} parameters):")  # fmt: skip
    for key, times in parts.items():
        print(f"  {key:<22}{statistics.median(times) * 1e6:>8.0f} us")


def profile_step(n=100, top=8):
    X, Y = moons(n)
    step, fast = plus_step(X, Y, True)
    step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(300):
        step()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print()
    print(f"profile of 300 compiled steps at batch {n} (tottime, top {top}):")
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("\n".join(lines[start : start + top + 1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no batch 10,000")
    args = parser.parse_args()
    sys.setrecursionlimit(20_000)  # micrograd's recursive backward at batch 1,000
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    print_demo_table(demo_table(sizes, args.quick))
    per_node_table(args.quick)
    narrow_table(args.quick)
    breakdown()
    profile_step()


if __name__ == "__main__":
    main()
