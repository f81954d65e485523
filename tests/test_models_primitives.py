"""Layers that need compile's primitives: max pooling (max_values) and embeddings (take)."""

import random

import pytest

import micrograd_plus as mp
from micrograd_plus import losses, nn

from .model_helpers import assert_close, floats, grads, random_values, tensor, weighted_sum
from .test_models_compiled import _check_compiled_equals_eager, _images


def test_maxpool_matches_torch():
    torch = pytest.importorskip("torch")
    x = random_values((2, 6, 5), seed=3)
    for pool, ref in (
        (nn.MaxPool2d(2), dict(kernel_size=2)),
        (nn.MaxPool2d(3, stride=1), dict(kernel_size=3, stride=1)),
    ):
        for row in flat_values(x):
            row.grad = 0.0
        out = pool(x)
        loss, coefs = weighted_sum(out)
        loss.backward()
        xt = tensor(torch, x, grad=True)
        out_t = torch.nn.functional.max_pool2d(xt, **ref)
        assert_close(floats(out), out_t.tolist())
        (out_t.flatten() * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
        assert_close(grads(x), xt.grad.tolist())


def test_maxpool_is_one_max_node_per_window():
    x = random_values((1, 4, 4), seed=0)
    out = nn.MaxPool2d(2)(x)
    node = out[0][1][0]
    assert len(node._prev) == 4 and {id(v) for v in node._prev} == {
        id(x[0][r][c]) for r in (2, 3) for c in (0, 1)
    }


def flat_values(x):
    if isinstance(x, list):
        return [v for item in x for v in flat_values(item)]
    return [x]


def test_cnn_with_max_pool_compiled_follows_the_argmax():
    model = nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, seed=0),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(12, 4, init="xavier", seed=1),
    )

    def loss_fn(X, y):
        return losses.cross_entropy(model.forward_batch(X), y)

    batches = [(_images(3, (2, 4, 4), seed), [0, 3, 1]) for seed in range(4)]
    fast = _check_compiled_equals_eager(model, loss_fn, batches)
    assert fast.traces == 1  # new images move the arg-max of every window: no retrace needed


def test_tiny_gpt_with_embeddings_compiled_over_token_ids():
    rng = random.Random(0)
    wte, wpe = nn.Embedding(7, 8, seed=rng), nn.Embedding(5, 8, seed=rng)
    block = nn.TransformerBlock(8, 2, norm="rms", bias=False, seed=rng)
    head = nn.Linear(8, 7, seed=rng)

    def loss_fn(tokens, targets):
        x = [[a + b for a, b in zip(wte(t), wpe(i))] for i, t in enumerate(tokens)]
        return losses.cross_entropy([head(r) for r in block(x)], targets)

    params = wte.parameters() + wpe.parameters() + block.parameters() + head.parameters()
    fast = mp.compile(loss_fn)
    for tokens, targets in ([[0, 3, 2, 6], [3, 2, 6, 0]], [[5, 1, 1, 4], [1, 1, 4, 0]]):
        for p in params:
            p.grad = 0.0
        eager = loss_fn(tokens, targets)
        eager.backward()
        expected = [p.grad for p in params]
        for p in params:
            p.grad = 0.0
        got = fast(tokens, targets)
        got.backward()
        assert abs(got.data - eager.data) < 1e-12
        assert max(abs(p.grad - e) for p, e in zip(params, expected)) < 1e-12
    assert fast.traces == 1  # one trace serves every token sequence of this length
