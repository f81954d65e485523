"""Every model layer under compile gives eager's loss and gradients, and follows new inputs."""

import random

import pytest

import micrograd_plus as mp
from micrograd_plus import losses, nn

from .model_helpers import flat, random_values


def _grads(params):
    return [p.grad for p in params]


def _check_compiled_equals_eager(model, loss_fn, inputs_list, tol=1e-12):
    """For each input tuple: compiled loss and parameter gradients == eager's."""
    params = model.parameters()
    fast = mp.compile(loss_fn)
    for inputs in inputs_list:
        model.zero_grad()
        eager = loss_fn(*inputs)
        eager.backward()
        expected = _grads(params)
        model.zero_grad()
        got = fast(*inputs)
        got.backward()
        assert abs(got.data - eager.data) < tol
        assert max(abs(a - b) for a, b in zip(_grads(params), expected)) < tol
    return fast


def _images(n, shape, seed):
    rng = random.Random(seed)
    return [
        [
            [[rng.uniform(-1, 1) for _ in range(shape[2])] for _ in range(shape[1])]
            for _ in range(shape[0])
        ]
        for _ in range(n)
    ]


def test_avg_pool_and_strided_conv_compiled():
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, stride=2, seed=0), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten()
    )

    def loss_fn(X):
        return mp.sum_values([v * v for out in model.forward_batch(X) for v in out])

    _check_compiled_equals_eager(model, loss_fn, [(_images(2, (1, 9, 9), s),) for s in range(3)])


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "gru"])
def test_recurrent_compiled(kind):
    if kind == "gru":
        model = nn.GRU(2, 3, num_layers=2, seed=0)
    else:
        model = nn.RNN(2, 3, nonlinearity=kind.split("_")[1], seed=0)

    def loss_fn(X, y):
        return losses.mse_loss([model(xs)[0][-1][0] for xs in X], y)

    batches = [(flat_seq(seed), [0.5, -0.2]) for seed in range(3)]
    fast = _check_compiled_equals_eager(model, loss_fn, batches)
    assert fast.traces == 1


def flat_seq(seed):
    rng = random.Random(seed)
    return [[[rng.uniform(-2, 2) for _ in range(2)] for _ in range(5)] for _ in range(2)]


def test_cells_compiled():
    for cell in (nn.RNNCell(2, 3, seed=0), nn.GRUCell(2, 3, seed=1)):

        def loss_fn(x, h, cell=cell):
            return mp.sum_values(cell(x, h))

        _check_compiled_equals_eager(
            cell, loss_fn, [([0.1, -s], [s, 0.2, -0.3]) for s in (0.5, 1.5)]
        )


def test_norms_attention_and_block_compiled():
    block = nn.TransformerBlock(8, 2, norm="layer", seed=0)
    rms_block = nn.TransformerBlock(8, 4, norm="rms", bias=False, seed=1)
    for model in (block, rms_block):

        def loss_fn(x, model=model):
            return mp.sum_values([v * w for v, w in zip(flat(model(x)), range(1, 100))])

        inputs = [
            ([[v.data for v in row] for row in random_values((4, 8), s, 2.0)],) for s in range(3)
        ]
        _check_compiled_equals_eager(model, loss_fn, inputs, tol=1e-10)


def test_attention_weights_come_back_as_aux():
    attn = nn.CausalSelfAttention(4, 2, seed=0)

    def fn(x):
        out, weights = attn.forward_with_weights(x)
        return mp.sum_values(flat(out)), weights

    fast = mp.compile(fn, has_aux=True)
    for seed in range(2):
        x = [[v.data for v in row] for row in random_values((3, 4), seed)]
        _, weights = fast(x)
        _, eager_weights = fn(x)
        assert max(abs(a - float(b)) for a, b in zip(flat(weights), flat(eager_weights))) < 1e-12
