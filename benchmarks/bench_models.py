"""Real models, ms per training step: eager vs compiled vs PyTorch (float64, one thread).

"compiled" is ``compile(loss)`` with the usual zero_grad / backward / Adam step over the
Values; "compile_step" compiles the whole step, the parameters held in one array.

    PYTHONPATH=. python benchmarks/bench_models.py            # CNN, GRU (batch 4), GPT
    PYTHONPATH=. python benchmarks/bench_models.py --gru-batch 32

A step is zero_grad + forward + backward + Adam step, as in the notebooks:

* CNN: Conv2d(1, 8, 3, padding=1) -> ReLU -> MaxPool2d(2) -> Linear(128, 10), cross-entropy,
  a batch of 64 digits (notebook 14);
* GRU: GRU(1, 32) over 50 steps -> Linear(32, 1), MSE, a batch of --gru-batch windows
  (the default 4 keeps eager and tracing within a shared machine's memory: a batch of 32 is
  about 6 million nodes);
* GPT: microgpt's configuration (1 layer, 16 dims, 4 heads, block 16) on one name per step,
  compiled with the padded, masked loss of notebook 16, eager and PyTorch unpadded.

Compiled times exclude the one-off trace, which is printed separately. Each figure is the
median of several steps (eager: few, it is slow), all in one process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import micrograd_plus as mp
from micrograd_plus import data, losses, nn, optim


def median_ms(step, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def ours_step(params, loss_fn, args):
    opt = optim.Adam(params, lr=1e-3)

    def step():
        opt.zero_grad()
        out = loss_fn(*args())
        out.backward()
        opt.step()

    return step


class _Parameters:
    """The parameters a loss reads through its closure, as the model compile_step takes."""

    def __init__(self, params) -> None:
        self.params = params

    def parameters(self):
        return self.params


def held_step(params, loss_fn, args):
    """compile_step: the whole step compiled, the parameters held in one array."""
    step = mp.compile_step(lambda _, *a: loss_fn(*a), _Parameters(params),
                           optim.Adam(params, lr=1e-3))  # fmt: skip
    return lambda: step(*args())


def torch_step(torch, module, loss_fn, args):
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss_fn(*args()).backward()
        opt.step()

    return step


# --- the three workloads ---------------------------------------------------------------------


def cnn_case(torch, batch: int = 64):
    X, y = data.load_digits()
    images = data.to_images(X)
    rng = random.Random(0)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, seed=0),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 10, init="xavier", seed=1),
    )

    def loss_fn(Xb, yb):
        return losses.cross_entropy(model.forward_batch(Xb), yb)

    def args():
        idx = rng.sample(range(len(images)), batch)
        return [images[i] for i in idx], [y[i] for i in idx]

    ref = None
    if torch is not None:
        ref = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(128, 10),
        ).double()
        Xt = torch.tensor(images, dtype=torch.float64)
        yt = torch.tensor(y)

        def torch_args():
            idx = torch.tensor(rng.sample(range(len(images)), batch))
            return Xt[idx], yt[idx]

        t_model = ref
        ref = (
            t_model,
            lambda xb, yb: torch.nn.functional.cross_entropy(t_model(xb), yb),
            torch_args,
        )
    return f"CNN on digits, batch {batch}", model.parameters(), loss_fn, args, loss_fn, args, ref


def gru_case(torch, batch: int, hidden: int = 32, steps: int = 50):
    series = data.make_time_series(600, noise=0.05, seed=0)
    X, y = data.sliding_windows(series, window=steps)
    rng = random.Random(0)
    gru, head = nn.GRU(1, hidden, seed=0), nn.Linear(hidden, 1, init="xavier", seed=1)

    def loss_fn(Xb, yb):
        return losses.mse_loss([head(gru([[v] for v in w])[0][-1]) for w in Xb], yb)

    def args():
        idx = rng.sample(range(len(X)), batch)
        return [X[i] for i in idx], [y[i] for i in idx]

    ref = None
    if torch is not None:
        t_gru = torch.nn.GRU(1, hidden, batch_first=True).double()
        t_head = torch.nn.Linear(hidden, 1).double()
        module = torch.nn.ModuleList([t_gru, t_head])
        Xt, yt = (
            torch.tensor(X, dtype=torch.float64).unsqueeze(-1),
            torch.tensor(y, dtype=torch.float64),
        )

        def t_loss(xb, yb):
            out, _ = t_gru(xb)
            return torch.nn.functional.mse_loss(t_head(out[:, -1]).squeeze(-1), yb)

        def torch_args():
            idx = torch.tensor(rng.sample(range(len(X)), batch))
            return Xt[idx], yt[idx]

        ref = (module, t_loss, torch_args)
    name = f"GRU hidden {hidden}, {steps} steps, batch {batch}"
    params = gru.parameters() + head.parameters()
    return name, params, loss_fn, args, loss_fn, args, ref


def gpt_case(torch):
    names = data.load_names()
    chars = sorted(set("".join(names)))
    bos, vocab, block = len(chars), len(chars) + 1, 16
    to_id = {c: i for i, c in enumerate(chars)}
    rng = random.Random(0)
    seed = random.Random(0)
    wte, wpe = nn.Embedding(vocab, 16, seed=seed), nn.Embedding(block, 16, seed=seed)
    norm = nn.RMSNorm(16, eps=1e-5, elementwise_affine=False)
    layer = nn.TransformerBlock(16, 4, norm="rms", bias=False, seed=seed)
    lm_head = nn.Linear(16, vocab, init="xavier", seed=seed)
    params = wte.parameters() + wpe.parameters() + layer.parameters() + lm_head.parameters()
    for p in wte.parameters() + wpe.parameters():
        p.data *= 0.08

    def logits_of(tokens):
        x = [[a + b for a, b in zip(wte(tok), wpe(t))] for t, tok in enumerate(tokens)]
        return [lm_head(row) for row in layer(norm(x))]

    def tokens_of():
        name = rng.choice(names)
        return ([bos] + [to_id[c] for c in name] + [bos])[: block + 1]

    def eager_loss(inputs, targets):
        return losses.cross_entropy(logits_of(inputs), targets)

    def eager_args():
        t = tokens_of()
        return t[:-1], t[1:]

    def padded_loss(inputs, targets, mask, inv_count):
        rows = logits_of(inputs)
        nll = [losses.cross_entropy([r], [t]) for r, t in zip(rows, targets)]
        return mp.sum_values([m * v for m, v in zip(mask, nll)]) * inv_count

    def padded_args():
        t = tokens_of()
        n, pad = len(t) - 1, block - len(t) + 1
        return t[:-1] + [0] * pad, t[1:] + [0] * pad, [1.0] * n + [0.0] * pad, 1.0 / n

    ref = None
    if torch is not None:
        F = torch.nn.functional

        class TorchGPT(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.wte, self.wpe = torch.nn.Embedding(vocab, 16), torch.nn.Embedding(block, 16)
                self.attn = torch.nn.MultiheadAttention(16, 4, bias=False, batch_first=True)
                self.fc = torch.nn.Linear(16, 64, bias=False)
                self.proj = torch.nn.Linear(64, 16, bias=False)
                self.head = torch.nn.Linear(16, vocab)

            def forward(self, idx):
                T = len(idx)
                x = self.wte(idx) + self.wpe(torch.arange(T))
                x = F.rms_norm(x, (16,), eps=1e-5)
                h = F.rms_norm(x, (16,), eps=1e-5)
                mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
                x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
                x = x + self.proj(F.relu(self.fc(F.rms_norm(x, (16,), eps=1e-5))))
                return self.head(x)

        t_model = TorchGPT().double()

        def torch_args():
            t = tokens_of()
            return torch.tensor(t[:-1]), torch.tensor(t[1:])

        ref = (t_model, lambda i, t: F.cross_entropy(t_model(i), t), torch_args)
    name = "tiny GPT (microgpt config), one name"
    return name, params, eager_loss, eager_args, padded_loss, padded_args, ref


# --- running -------------------------------------------------------------------------------


def run_case(case, eager_repeats: int, repeats: int) -> dict:
    name, params, eager_loss, eager_args, compiled_loss, compiled_args, ref = case
    row = {"model": name}
    row["eager"] = median_ms(ours_step(params, eager_loss, eager_args), eager_repeats)
    fast = mp.compile(compiled_loss)
    start = time.perf_counter()
    fast(*compiled_args())
    row["trace_s"] = time.perf_counter() - start
    row["compiled"] = median_ms(ours_step(params, fast, compiled_args), repeats)
    row["traces"] = fast.traces
    step = held_step(params, compiled_loss, compiled_args)
    step()  # traces again: compile_step has its own compiled function
    row["held"] = median_ms(step, repeats)
    if ref is not None:
        module, t_loss, t_args = ref
        row["torch"] = median_ms(torch_step(_torch, module, t_loss, t_args), repeats)
    return row


_torch = None


def main() -> None:
    global _torch
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gru-batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--eager-repeats", type=int, default=3)
    parser.add_argument("--only", choices=["cnn", "gru", "gpt"], action="append")
    options = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(0)
        _torch = torch
    except ImportError:
        print("PyTorch not installed: its column stays empty")
    cases = {
        "cnn": lambda: cnn_case(_torch),
        "gru": lambda: gru_case(_torch, options.gru_batch),
        "gpt": lambda: gpt_case(_torch),
    }
    print("ms per training step (zero_grad + forward + backward + Adam), median; float64")
    columns = ["model".ljust(42), "eager", "compiled", "compile_step", "PyTorch"]
    columns += ["eager/compiled", "compile_step/PyTorch", "trace"]
    header = "| " + " | ".join(f"{c:>9s}" for c in columns) + " |"
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    for key in options.only or ["cnn", "gru", "gpt"]:
        row = run_case(cases[key](), options.eager_repeats, options.repeats)
        torch_ms = row.get("torch")
        t_text = f"{torch_ms:8.2f}" if torch_ms else f"{'-':>8s}"
        ratio = f"{row['held'] / torch_ms:19.1f}x" if torch_ms else f"{'-':>20s}"
        print(
            f"| {row['model']:42s} | {row['eager']:9.1f} | {row['compiled']:9.2f} | "
            f"{row['held']:12.2f} | {t_text} | "
            f"{row['eager'] / row['compiled']:13.0f}x | {ratio} | {row['trace_s']:6.1f}s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
