"""What issue 13's checks cost, and what they save, measured in one process.

* draw_dot refusing a 1.2M-node graph: counting up to ``max_nodes + 1`` nodes
  against walking the whole graph first (what the size check did before);
* fit's guard against NaN/inf (loss, gradient and weight checks, one snapshot
  of the weights per step) as a share of a training step;
* an atomic ``save`` (temp file + fsync + replace) against a plain write.

Best of N runs each; on a loaded machine take ratios, not absolute times.

    python benchmarks/bench_robustness.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

from micrograd_plus import data, losses, nn, optim
from micrograd_plus.engine import Value, topological_order
from micrograd_plus.io import save
from micrograd_plus.train import fit
from micrograd_plus.viz import draw_dot


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def refusal(n_nodes: int, repeats: int) -> None:
    v = Value(0.0)
    for _ in range(n_nodes - 1):
        v = v + 1.0
    walk = best_of(lambda: len(topological_order(v)), repeats)

    def refuse():
        try:
            draw_dot(v)
        except ValueError:
            pass

    refused = best_of(refuse, repeats)
    print(f"draw_dot refusal of a {n_nodes:,}-node graph (max_nodes=500)")
    print(f"  walking the whole graph first (before): {walk * 1e3:9.2f} ms")
    print(f"  counting to max_nodes + 1 (now):        {refused * 1e3:9.2f} ms")


def guard_overhead(epochs: int, repeats: int) -> None:
    X, y = data.make_moons(100, noise=0.1, seed=0)
    y = [2 * label - 1 for label in y]  # hinge loss: labels -1 / +1, as in micrograd's demo
    model = nn.MLP(2, [16, 16, 1], seed=0)

    def train():
        opt = optim.SGD(model.parameters(), lr=0.05)
        fit(model, losses.hinge_loss, opt, X, y, epochs=epochs, progress=False, metrics=())

    per_step = best_of(train, repeats) / epochs  # full batch: one step per epoch
    params = model.parameters()

    def guard():  # what fit adds per step: a weight snapshot and three finiteness checks
        for _ in range(1000):
            before = [p.data for p in params]
            all(math.isfinite(p.data) for p in params)
            all(math.isfinite(p.grad) for p in params)
            del before

    guard_cost = best_of(guard, repeats) / 1000
    print(f"fit, MLP 2-16-16-1 ({len(params)} parameters) on 100 moons, full batch")
    print(f"  one training step:              {per_step * 1e3:8.2f} ms")
    print(
        f"  the NaN/inf guard of that step: {guard_cost * 1e3:8.3f} ms "
        f"({guard_cost / per_step:.2%} of the step)"
    )


def atomic_save(repeats: int) -> None:
    model = nn.MLP(2, [64, 64, 1], seed=0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        state = model.state_dict()

        def plain():
            payload = {"format": "micrograd_plus", "version": 1, "state_dict": state}
            path.write_text(json.dumps(payload, indent=1))

        naive = best_of(plain, repeats)
        atomic = best_of(lambda: save(model, path), repeats)
    n = len(state)
    print(f"save of {n:,} parameters")
    print(f"  plain write_text:                {naive * 1e3:7.2f} ms")
    print(f"  atomic (temp + fsync + replace): {atomic * 1e3:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    refusal(100_000 if args.quick else 1_200_000, repeats)
    guard_overhead(3 if args.quick else 10, repeats)
    atomic_save(repeats)


if __name__ == "__main__":
    main()
