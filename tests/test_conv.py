"""Conv2d, pools and Flatten against PyTorch float64: outputs and gradients."""

import random

import pytest

from micrograd_plus import nn, optim
from micrograd_plus.losses import cross_entropy

from .model_helpers import assert_close, floats, grads, random_values, tensor, weighted_sum


@pytest.mark.parametrize(
    "in_ch,out_ch,k,stride,padding,bias,size",
    [
        (1, 2, 3, 1, 0, True, (5, 5)),
        (2, 3, 3, 1, 1, True, (6, 7)),
        (3, 2, (2, 3), 2, (1, 0), False, (7, 6)),
        (1, 1, 1, 1, 0, True, (3, 3)),
    ],
)
def test_conv2d_matches_torch(in_ch, out_ch, k, stride, padding, bias, size):
    torch = pytest.importorskip("torch")
    conv = nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=padding, bias=bias, seed=1)
    x = random_values((in_ch, *size), seed=2)
    out = conv(x)
    loss, coefs = weighted_sum(out)
    loss.backward()

    ref = torch.nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=padding, bias=bias)
    ref = ref.double()
    with torch.no_grad():
        ref.weight.copy_(tensor(torch, conv.weight))
        if bias:
            ref.bias.copy_(tensor(torch, conv.bias))
    xt = tensor(torch, x, grad=True)
    out_t = ref(xt.unsqueeze(0))[0]
    assert [len(out), len(out[0]), len(out[0][0])] == list(out_t.shape)
    assert_close(floats(out), out_t.tolist())
    (out_t.flatten() * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
    assert_close(grads(conv.weight), ref.weight.grad.tolist())
    if bias:
        assert_close(grads(conv.bias), ref.bias.grad.tolist())
    assert_close(grads(x), xt.grad.tolist())


def test_conv2d_shapes_names_and_default_init():
    conv = nn.Conv2d(3, 4, 5, seed=0)
    assert conv.kernel_size == (5, 5) and conv.stride == (1, 1) and conv.padding == (0, 0)
    assert [len(conv.weight), len(conv.weight[0]), len(conv.weight[0][0])] == [4, 3, 5]
    names = [n for n, _ in conv.named_parameters()]
    assert len(names) == 4 * 3 * 5 * 5 + 4
    assert names[0] == "weight[0,0,0,0]" and names[-1] == "bias[3]"
    bound = 1 / (3 * 5 * 5) ** 0.5  # PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert all(abs(p.data) <= bound for p in conv.parameters())
    assert max(abs(p.data) for p in conv.parameters()) > 0.8 * bound


def test_conv2d_rejects_wrong_inputs_clearly():
    conv = nn.Conv2d(2, 1, 3)
    with pytest.raises(ValueError, match="expects 2 input channels, got 1"):
        conv([[[0.0] * 4] * 4])
    with pytest.raises(ValueError, match="not 3 levels deep"):
        conv([0.0] * 16)
    with pytest.raises(ValueError, match="smaller"):
        conv([[[0.0] * 2] * 2] * 2)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2d(1, 1, 0)


def test_one_conv_output_is_one_node_over_its_receptive_field():
    conv = nn.Conv2d(1, 1, 3, seed=0)
    x = random_values((1, 5, 5), seed=1)
    out = conv(x)[0][1][2]
    assert out._op == "sum" and len(out._prev) == 10  # 9 products + the bias
    pixels = {id(p) for prod in out._prev[:9] for p in prod._prev}
    window = {id(x[0][r][c]) for r in range(1, 4) for c in range(2, 5)}
    assert window <= pixels


def test_draw_dot_of_one_conv_output_shows_its_receptive_field():
    import micrograd_plus as mp

    conv = nn.Conv2d(1, 1, 3, seed=0)
    x = [[[mp.Value(0.1 * (r + c), label=f"x{r}{c}") for c in range(5)] for r in range(5)]]
    out = conv(x)[0][0][0]
    source = mp.draw_dot(out).source
    assert all(f"x{r}{c}" in source for r in range(3) for c in range(3))
    assert "x33" not in source and "x03" not in source  # nothing outside the 3x3 window
    assert source.count("*") >= 9


def test_avgpool_matches_torch():
    torch = pytest.importorskip("torch")
    x = random_values((2, 6, 5), seed=3)
    out = nn.AvgPool2d(2)(x)
    loss, coefs = weighted_sum(out)
    loss.backward()
    xt = tensor(torch, x, grad=True)
    out_t = torch.nn.functional.avg_pool2d(xt, 2)
    assert_close(floats(out), out_t.tolist())
    (out_t.flatten() * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
    assert_close(grads(x), xt.grad.tolist())


def test_pool_stride_defaults_to_kernel_size():
    assert nn.AvgPool2d(3).stride == (3, 3)
    assert nn.AvgPool2d(3, stride=1).stride == (1, 1)


def test_flatten_is_row_major_like_torch():
    torch = pytest.importorskip("torch")
    x = random_values((2, 3, 4), seed=4)
    assert floats(nn.Flatten()(x)) == tensor(torch, x).flatten().tolist()


def test_sequential_and_activations_pass_images_through():
    model = nn.Sequential(nn.Conv2d(1, 1, 3, seed=0), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten())
    out = model([[[float(r * c) for c in range(6)] for r in range(6)]])
    assert len(out) == 4  # a one-channel image stays [1][H][W] until Flatten


def test_conv_weights_are_trained_by_an_optimizer():
    """The conv weights sit in nested lists: parameters() and the optimizer must reach them."""
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1, seed=0),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(8, 2, seed=1),
    )
    conv = model[0]
    assert set(map(id, [w for o in conv.weight for c in o for r in c for w in r])) <= set(
        map(id, model.parameters())
    )
    before = floats(conv.weight)
    rng = random.Random(0)
    X = [[[[rng.random() for _ in range(4)] for _ in range(4)]] for _ in range(4)]
    opt = optim.SGD(model.parameters(), lr=0.5)
    loss = cross_entropy(model.forward_batch(X), [0, 1, 0, 1])
    loss.backward()
    opt.step()
    after = floats(conv.weight)
    changed = sum(a != b for a, b in zip(str(before).split(","), str(after).split(",")))
    assert changed > 10
    state = model.state_dict()
    assert (
        "0.weight[1,0,2,2]" in state and state["0.weight[1,0,2,2]"] == conv.weight[1][0][2][2].data
    )
