"""micrograd vs micrograd_plus (eager, compiled) vs PyTorch, JAX, NumPy: micrograd's demo step.

The step: MLP 2 -> 16 -> 16 -> 1 on two-moons points, hinge loss plus
1e-4 * L2, forward + backward + SGD update, at batch sizes 10, 100, 1,000 and
10,000, all in one process: micrograd and eager micrograd_plus (small batches),
compiled micrograd_plus, PyTorch float64 and float32 on one thread, JAX ``jit``
(CPU, one thread; float64 and float32), and the same step written by hand in
NumPy (the floor: what a replay of NumPy calls could at best reach).  Also:
trace time, peak memory per node while tracing (tracemalloc), the trace's cost
per node against an eager step's, the cost per graph node as the graph grows,
deep narrow graphs (eager vs compiled), a profile of the compiled step, and an
MNIST-sized MLP 784-128-10 training step (``compile_step``) against PyTorch, JAX
and hand-written NumPy (``--mlp``: that section alone).

    python benchmarks/bench_compile.py [--quick] [--demo-only | --mlp]
"""

from __future__ import annotations

import os

# One BLAS thread, as torch gets one below: these matrices are small, and on a busy
# machine threads mostly wait for each other (set the variable yourself to override).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# JAX (XLA) on one thread too, and float64 allowed (the f64 line; f32 arrays stay f32).
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import argparse
import cProfile
import io
import pstats
import random
import statistics
import sys
import time
import tracemalloc

import micrograd.engine
import micrograd.nn
import numpy as np

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
    """micrograd_plus's step; compiled, it is given NumPy arrays (the fast path for
    batches, as the tensors PyTorch and JAX are given), eager the lists micrograd gets."""
    model = micrograd_plus.nn.MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()
    loss_fn = plus_loss(model)
    fast = compile(loss_fn) if compiled else loss_fn
    if compiled:
        X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)

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


def init_mlp(seed=0):
    """Weights and biases (W1, b1, W2, b2, W3, b3) of a 2-16-16-1 MLP, PyTorch's init."""
    rng = np.random.default_rng(seed)
    params = []
    for nin, nout in [(2, 16), (16, 16), (16, 1)]:
        bound = 1.0 / np.sqrt(nin)
        params += [rng.uniform(-bound, bound, (nout, nin)), rng.uniform(-bound, bound, nout)]
    return params


def numpy_step(X, Y, dtype_name="float64"):
    """The same step written by hand in NumPy: forward, the gradients by the chain
    rule, SGD.  No tape, no gathers: the floor for a replay of NumPy calls."""
    dtype = np.dtype(dtype_name)
    X, Y = np.asarray(X, dtype=dtype), np.asarray(Y, dtype=dtype)
    W1, b1, W2, b2, W3, b3 = params = [p.astype(dtype) for p in init_mlp()]
    n = len(Y)

    def step():
        Z1 = X @ W1.T + b1
        H1 = np.maximum(Z1, 0.0)
        Z2 = H1 @ W2.T + b2
        H2 = np.maximum(Z2, 0.0)
        s = H2 @ W3[0] + b3[0]
        margin = 1.0 - Y * s
        loss = np.maximum(margin, 0.0).mean() + 1e-4 * sum(float((p * p).sum()) for p in params)
        gs = -Y * (margin > 0.0) / n
        gZ2 = np.outer(gs, W3[0]) * (Z2 > 0.0)
        gZ1 = (gZ2 @ W2) * (Z1 > 0.0)
        grads = [
            gZ1.T @ X,
            gZ1.sum(0),
            gZ2.T @ H1,
            gZ2.sum(0),
            (gs @ H2)[None, :],
            gs.sum(keepdims=True),
        ]
        for p, g in zip(params, grads):
            p -= 0.05 * (g + 2e-4 * p)
        return loss

    return step


def jax_step(X, Y, dtype_name="float64"):
    """The same step under ``jax.jit``: value_and_grad of the loss, then SGD, one jitted call."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    dtype = getattr(jnp, dtype_name)
    Xj, Yj = jnp.asarray(X, dtype=dtype), jnp.asarray(Y, dtype=dtype)
    params = [jnp.asarray(p, dtype=dtype) for p in init_mlp()]

    def loss_fn(params, X, Y):
        W1, b1, W2, b2, W3, b3 = params
        h = jax.nn.relu(X @ W1.T + b1)
        h = jax.nn.relu(h @ W2.T + b2)
        s = (h @ W3.T + b3)[:, 0]
        return jax.nn.relu(1.0 - Y * s).mean() + 1e-4 * sum((p * p).sum() for p in params)

    @jax.jit
    def update(params, X, Y):
        loss, grads = jax.value_and_grad(loss_fn)(params, X, Y)
        return [p - 0.05 * g for p, g in zip(params, grads)], loss

    state = [params]

    def step():
        state[0], loss = update(state[0], Xj, Yj)
        loss.block_until_ready()

    return step


def has_module(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def trace_memory(X, Y):
    """Peak bytes allocated while tracing (tracemalloc), per node of the traced graph."""
    _, fast = plus_step(X, Y, True)
    Xa, Ya = np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64)
    tracemalloc.start()
    try:
        fast(Xa, Ya)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak / fast.last_tape.n_nodes


def demo_table(sizes, quick):
    has_torch, has_jax = has_module("torch"), has_module("jax")
    rows = []
    for n in sizes:
        X, Y = moons(n)
        row = {"batch": n}
        if n <= 100:
            row["micrograd"] = median_time(micrograd_step(X, Y), 1 if quick or n > 10 else 5)
        # An eager step at every size: the trace is reported per node against it.
        row["eager"] = median_time(plus_step(X, Y, False)[0], 1 if quick or n > 10 else 5)
        step, fast = plus_step(X, Y, True)
        start = time.perf_counter()
        step()
        row["trace"] = time.perf_counter() - start
        row["nodes"] = fast.last_tape.n_nodes
        row["groups"] = len(fast.last_tape.groups)
        row["bytes/node"] = trace_memory(X, Y)
        repeats, budget = (50, 5) if quick else (300, 10)
        row["compiled"] = median_time(step, repeats, budget)
        row["numpy"] = median_time(numpy_step(X, Y), repeats, budget)
        for dtype in ("float64", "float32"):
            if has_torch:
                row[f"torch {dtype}"] = median_time(torch_step(X, Y, dtype), repeats, budget)
            if has_jax:
                row[f"jax {dtype}"] = median_time(jax_step(X, Y, dtype), repeats, budget)
        rows.append(row)
    return rows


DEMO_COLUMNS = [
    ("micrograd", "micrograd"),
    ("eager", "mg+ eager"),
    ("compiled", "mg+ compiled"),
    ("torch float64", "torch f64"),
    ("torch float32", "torch f32"),
    ("jax float64", "jax f64"),
    ("jax float32", "jax f32"),
    ("numpy", "NumPy by hand"),
]


def print_demo_table(rows):
    print("micrograd's demo step: MLP 2-16-16-1, hinge + 1e-4*L2, forward + backward + SGD")
    print("(ms per step, median; PyTorch, JAX and BLAS on one thread; compiled and the others")
    print(" get NumPy arrays / tensors made once, micrograd and eager their lists)")
    print(f"{'batch':>7}{'nodes':>11}" + "".join(f"{h:>15}" for _, h in DEMO_COLUMNS))
    for row in rows:
        cells = [f"{row[c] * 1e3:>15.3f}" if c in row else f"{'-':>15}" for c, _ in DEMO_COLUMNS]
        print(f"{row['batch']:>7}{row['nodes']:>11,}" + "".join(cells))
    print()
    print("ratios: compiled's time / theirs (below 1: compiled is faster)")
    others = [(c, h) for c, h in DEMO_COLUMNS if c != "compiled"]
    print(f"{'batch':>7}" + "".join(f"{h:>15}" for _, h in others))
    for row in rows:
        cells = [
            f"{row['compiled'] / row[c]:>15.3g}" if c in row else f"{'-':>15}" for c, _ in others
        ]
        print(f"{row['batch']:>7}" + "".join(cells))
    print()
    print(
        "targets (issue 12): compiled <= 1.0x torch f64 at batch 10, 100, 1,000; <= 1.5x at 10,000"
    )
    for row in rows:
        if "torch float64" in row:
            ratio, limit = (
                row["compiled"] / row["torch float64"],
                1.5 if row["batch"] > 1000 else 1.0,
            )
            verdict = "met" if ratio <= limit else "NOT met"
            print(f"  batch {row['batch']:>6,}: {ratio:.2f}x torch f64 (<= {limit}x): {verdict}")
    print()
    print("tracing (the first compiled call: one eager forward, then building the tape)")
    print(f"{'batch':>7}{'nodes':>11}{'trace':>10}{'us/node':>9}{'eager us/node':>15}"
          f"{'trace/eager':>13}{'peak B/node':>13}{'groups':>8}")  # fmt: skip
    for row in rows:
        per_node = row["trace"] / row["nodes"] * 1e6
        eager = row["eager"] / row["nodes"] * 1e6 if "eager" in row else None
        cells = f"{eager:>15.2f}{per_node / eager:>13.2f}" if eager else f"{'-':>15}{'-':>13}"
        print(f"{row['batch']:>7}{row['nodes']:>11,}{row['trace']:>9.2f}s{per_node:>9.2f}{cells}"
              f"{row['bytes/node']:>13.0f}{row['groups']:>8}")  # fmt: skip
    print("(eager us/node: one eager step (forward + backward + SGD) per graph node; targets at")
    print(" batch 10,000: trace <= 10 s and <= 250 bytes per node)")


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
    X, Y = np.asarray(X), np.asarray(Y)
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


# --- an MNIST-sized MLP: where the number of parameters, not of nodes, is the cost -----------

MLP_SIZES, MLP_BATCH, MLP_LR = (784, 128, 10), 32, 0.01


def mlp_data(seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((MLP_BATCH, MLP_SIZES[0]))
    y = rng.integers(0, MLP_SIZES[-1], MLP_BATCH)
    return X, y


def mlp_loss(model, X, y):
    return losses.cross_entropy(model.forward_batch(X), y)


def plus_optimizer(name, params):
    from micrograd_plus.optim import SGD, Adam

    return SGD(params, lr=MLP_LR, momentum=0.9) if name == "sgd" else Adam(params, lr=MLP_LR)


def mlp_plus_step(name, X, y, compiled):
    """micrograd_plus: compile_step (parameters held in one array, compiled="step"), a
    compiled loss with the usual loop over the Values (compiled="loss"), or eager."""
    from micrograd_plus.compiler import compile_step

    model = micrograd_plus.nn.MLP(MLP_SIZES[0], list(MLP_SIZES[1:]), seed=0)
    opt = plus_optimizer(name, model.parameters())
    if compiled == "step":
        step = compile_step(mlp_loss, model, opt)
        return (lambda: step(X, y)), model
    if compiled == "loss":
        fast = compile(mlp_loss)

        def loop():
            loss = fast(model, X, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss.data

        return loop, model

    def eager():
        opt.zero_grad()
        loss = mlp_loss(model, X.tolist(), y.tolist())
        loss.backward()
        opt.step()
        return loss.data

    return eager, model


def mlp_torch_step(name, X, y, dtype_name, model=None):
    import torch

    torch.set_num_threads(1)
    dtype = getattr(torch, dtype_name)
    if model is not None:  # the same initial weights as micrograd_plus's model
        net = model.to_torch().to(dtype)
    else:
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Linear(MLP_SIZES[0], MLP_SIZES[1]), torch.nn.ReLU(),
            torch.nn.Linear(MLP_SIZES[1], MLP_SIZES[2]),
        ).to(dtype)  # fmt: skip
    opt = (
        torch.optim.SGD(net.parameters(), lr=MLP_LR, momentum=0.9)
        if name == "sgd"
        else torch.optim.Adam(net.parameters(), lr=MLP_LR)
    )
    Xt, yt = torch.tensor(X, dtype=dtype), torch.tensor(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(Xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def mlp_init(seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = list(zip(MLP_SIZES[:-1], MLP_SIZES[1:]))
    return [(rng.uniform(-1, 1, (o, i)) / i**0.5, np.zeros(o)) for i, o in sizes]


def mlp_numpy_step(name, X, y):
    """Hand-written NumPy f64: forward, backward and the update over one flat array."""
    import numpy as np

    (W1, b1), (W2, b2) = mlp_init()
    flat = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    shapes = [W1.shape, b1.shape, W2.shape, b2.shape]
    views, grads, lo = [], np.zeros_like(flat), 0
    for shape in shapes:
        n = int(np.prod(shape))
        views.append((flat[lo : lo + n].reshape(shape), grads[lo : lo + n].reshape(shape)))
        lo += n
    (W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2) = views
    onehot = np.eye(MLP_SIZES[-1])[y]
    state = {"m": np.zeros_like(flat), "v": np.zeros_like(flat), "t": 0}

    def step():
        h = X @ W1.T + b1
        a = np.maximum(h, 0.0)
        z = a @ W2.T + b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[np.arange(len(y)), y]))
        dz = (e / s - onehot) / len(y)
        np.matmul(dz.T, a, out=gW2)
        gb2[:] = dz.sum(axis=0)
        dh = (dz @ W2) * (h > 0)
        np.matmul(dh.T, X, out=gW1)
        gb1[:] = dh.sum(axis=0)
        if name == "sgd":
            m = state["m"]
            m *= 0.9
            m += grads
            flat[:] -= MLP_LR * m
        else:
            state["t"] += 1
            t, m, v = state["t"], state["m"], state["v"]
            m += 0.1 * (grads - m)
            v *= 0.999
            v += 0.001 * grads * grads
            denom = np.sqrt(v) / (1 - 0.999**t) ** 0.5 + 1e-8
            flat[:] -= MLP_LR / (1 - 0.9**t) * (m / denom)
        return loss

    return step


def mlp_jax_step(name, X, y):
    """JAX jit, float64 (x64 enabled): loss, gradients and the update in one jitted call."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in mlp_init()]
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def loss_fn(params, X, y):
        (W1, b1), (W2, b2) = params
        z = jnp.maximum(X @ W1.T + b1, 0.0) @ W2.T + b2
        return -jnp.mean(jax.nn.log_softmax(z)[jnp.arange(len(y)), y])

    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)

    @jax.jit
    def sgd(params, m, X, y):
        loss, g = jax.value_and_grad(loss_fn)(params, X, y)
        m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + g, m, g)
        return jax.tree_util.tree_map(lambda p, m: p - MLP_LR * m, params, m), m, loss

    @jax.jit
    def adam(params, m, v, t, X, y):
        loss, g = jax.value_and_grad(loss_fn)(params, X, y)
        m = jax.tree_util.tree_map(lambda m, g: m + 0.1 * (g - m), m, g)
        v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)

        def update(p, m, v):
            return p - MLP_LR / (1 - 0.9**t) * (m / (jnp.sqrt(v) / (1 - 0.999**t) ** 0.5 + 1e-8))

        return jax.tree_util.tree_map(update, params, m, v), m, v, loss

    state = {"params": params, "m": zeros, "v": zeros, "t": 0}

    def step():
        if name == "sgd":
            state["params"], state["m"], loss = sgd(state["params"], state["m"], Xj, yj)
        else:
            state["t"] += 1
            state["params"], state["m"], state["v"], loss = adam(
                state["params"], state["m"], state["v"], float(state["t"]), Xj, yj
            )
        return float(loss.block_until_ready())

    return step


def mlp_table(quick):
    """MLP 784-128-10, cross-entropy, batch 32: ms per training step, and the ratio to torch."""
    X, y = mlp_data()
    nparams = sum(i * o + o for i, o in zip(MLP_SIZES[:-1], MLP_SIZES[1:]))
    print()
    sizes = "-".join(map(str, MLP_SIZES))
    print(f"MLP {sizes} ({nparams:,} parameters), cross-entropy, batch {MLP_BATCH}: "
          "one training step (zero_grad, forward, backward, update)")  # fmt: skip
    cols = ["eager", "loss", "compiled", "float64", "float32", "jax", "numpy"]
    names = ["mg_plus eager", "compile+loop", "compile_step", "torch f64", "torch f32",
             "jax jit f64", "numpy f64"]  # fmt: skip
    print(f"{'optimizer':>14}" + "".join(f"{h:>15}" for h in names) + f"{'ours/torch f64':>16}")
    checks = []
    for name in ("sgd", "adam"):
        row = {}
        if not quick:  # one eager step is seconds: time a single one
            eager, _ = mlp_plus_step(name, X, y, compiled=False)
            start = time.perf_counter()
            eager()
            row["eager"] = time.perf_counter() - start
            loop, _ = mlp_plus_step(name, X, y, compiled="loss")
            row["loss"] = median_time(loop, 3)
        step, model = mlp_plus_step(name, X, y, compiled="step")
        try:  # the same start, three steps each: the compiled step is PyTorch's step
            torch_twin = mlp_torch_step(name, X, y, "float64", model=model)
        except ImportError:
            torch_twin = None
        start = time.perf_counter()
        loss = step()
        first_call = time.perf_counter() - start
        if torch_twin is not None:
            differences = [loss - torch_twin()] + [step() - torch_twin() for _ in range(2)]
            checks.append(max(map(abs, differences)))
        row["compiled"] = median_time(step, 50 if quick else 200, budget=10)
        try:
            for dtype in ("float64", "float32"):
                row[dtype] = median_time(mlp_torch_step(name, X, y, dtype), 200, budget=10)
        except ImportError:
            pass
        try:
            row["jax"] = median_time(mlp_jax_step(name, X, y), 200, budget=10)
        except ImportError:
            pass
        row["numpy"] = median_time(mlp_numpy_step(name, X, y), 200, budget=10)
        cells = [f"{row[c] * 1e3:>12.3f} ms" if c in row else f"{'-':>15}" for c in cols]
        ratio = f"{row['compiled'] / row['float64']:.2f}x" if "float64" in row else "-"
        label = "SGD(mom. 0.9)" if name == "sgd" else "Adam"
        print(f"{label:>14}" + "".join(cells) + f"{ratio:>16}")
        print(f"{'':>14}  (compile_step's first call, which traces: {first_call:.1f} s)")
    if checks:
        print(f"  compile_step vs torch f64 from the same weights, 3 steps: max |loss difference| "
              f"{max(checks):.1e}")  # fmt: skip
    print("  (target: compile_step <= 3x torch f64. compile+loop: compile(loss) with the usual")
    print("   zero_grad/backward/step loop over the Values; it and eager, one step each, are")
    print("   skipped with --quick)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no batch 10,000")
    parser.add_argument("--demo-only", action="store_true", help="only the demo-step tables")
    parser.add_argument("--mlp", action="store_true", help="only the MLP 784-128-10 section")
    args = parser.parse_args()
    if args.mlp:
        mlp_table(args.quick)
        return
    sys.setrecursionlimit(20_000)  # micrograd's recursive backward at batch 1,000
    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10000]
    print_demo_table(demo_table(sizes, args.quick))
    if args.demo_only:
        return
    per_node_table(args.quick)
    narrow_table(args.quick)
    breakdown()
    profile_step()
    mlp_table(args.quick)


if __name__ == "__main__":
    main()
