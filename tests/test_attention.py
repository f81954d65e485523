"""LayerNorm, RMSNorm, attention, FeedForward and TransformerBlock against PyTorch float64."""

import pytest

from micrograd_plus import nn

from .model_helpers import assert_close, floats, grads, random_values, tensor, weighted_sum


def test_layernorm_matches_torch():
    torch = pytest.importorskip("torch")
    norm = nn.LayerNorm(5)
    for i, (w, b) in enumerate(zip(norm.weight, norm.bias)):  # non-trivial affine weights
        w.data, b.data = 1 + 0.1 * i, 0.05 * i
    x = random_values((3, 5), seed=0)
    out = norm(x)
    loss, coefs = weighted_sum(out)
    loss.backward()
    xt = tensor(torch, x, grad=True)
    wt, bt = tensor(torch, norm.weight, grad=True), tensor(torch, norm.bias, grad=True)
    out_t = torch.nn.functional.layer_norm(xt, (5,), wt, bt, eps=1e-5)
    assert_close(floats(out), out_t.tolist())
    (out_t.flatten() * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
    assert_close(grads(x), xt.grad.tolist())
    assert_close(grads(norm.weight), wt.grad.tolist())
    assert_close(grads(norm.bias), bt.grad.tolist())


@pytest.mark.parametrize("eps", [None, 1e-5])
def test_rmsnorm_matches_torch(eps):
    torch = pytest.importorskip("torch")
    norm = nn.RMSNorm(4, eps=eps)
    for i, w in enumerate(norm.weight):
        w.data = 1 - 0.2 * i
    x = random_values((4,), seed=1)
    out = norm(x)
    loss, coefs = weighted_sum(out)
    loss.backward()
    xt, wt = tensor(torch, x, grad=True), tensor(torch, norm.weight, grad=True)
    out_t = torch.nn.functional.rms_norm(xt, (4,), wt, eps=eps)
    assert_close(floats(out), out_t.tolist())
    (out_t * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
    assert_close(grads(x), xt.grad.tolist())
    assert_close(grads(norm.weight), wt.grad.tolist())


def _torch_attention(torch, attn):
    E, H = attn.embed_dim, attn.num_heads
    bias = attn.in_proj_bias is not None
    ref = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=True).double()
    with torch.no_grad():
        ref.in_proj_weight.copy_(tensor(torch, attn.in_proj_weight))
        ref.out_proj.weight.copy_(tensor(torch, attn.out_proj_weight))
        if bias:
            ref.in_proj_bias.copy_(tensor(torch, attn.in_proj_bias))
            ref.out_proj.bias.copy_(tensor(torch, attn.out_proj_bias))
    return ref


@pytest.mark.parametrize("bias", [True, False])
def test_causal_self_attention_matches_torch(bias):
    torch = pytest.importorskip("torch")
    T, E, H = 5, 8, 2
    attn = nn.CausalSelfAttention(E, H, bias=bias, seed=0)
    if bias:
        for i, b in enumerate(attn.in_proj_bias + attn.out_proj_bias):
            b.data = 0.01 * (i % 7) - 0.03
    x = random_values((T, E), seed=1)
    out, weights = attn.forward_with_weights(x)
    loss, coefs = weighted_sum(out)
    loss.backward()

    ref = _torch_attention(torch, attn)
    xt = tensor(torch, x, grad=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True = may not attend
    out_t, w_t = ref(xt, xt, xt, attn_mask=mask, need_weights=True, average_attn_weights=False)
    assert_close(floats(out), out_t.tolist())
    assert_close(floats(weights), w_t.tolist())
    assert attn.attention_weights == floats(weights)
    (out_t.flatten() * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
    assert_close(grads(x), xt.grad.tolist())
    assert_close(grads(attn.in_proj_weight), ref.in_proj_weight.grad.tolist())
    assert_close(grads(attn.out_proj_weight), ref.out_proj.weight.grad.tolist())
    if bias:
        assert_close(grads(attn.in_proj_bias), ref.in_proj_bias.grad.tolist())
        assert_close(grads(attn.out_proj_bias), ref.out_proj.bias.grad.tolist())


def test_attention_is_causal_and_rows_sum_to_one():
    attn = nn.CausalSelfAttention(4, 2, seed=0)
    x = random_values((4, 4), seed=1)
    first = floats(attn(x))
    changed = [row[:] for row in x]
    changed[3] = random_values((4,), seed=9)  # the last position changes ...
    again = floats(attn(changed))
    assert again[:3] == first[:3]  # ... so the earlier positions, which cannot see it, do not
    for head in attn.attention_weights:
        for t, row in enumerate(head):
            assert abs(sum(row) - 1) < 1e-12 and all(w == 0.0 for w in row[t + 1 :])


def test_attention_rejects_bad_shapes():
    with pytest.raises(ValueError, match="divisible"):
        nn.CausalSelfAttention(6, 4)
    with pytest.raises(TypeError, match="sequence of rows"):
        nn.CausalSelfAttention(4, 2)([0.0] * 4)
    with pytest.raises(ValueError, match="row of 4"):
        nn.CausalSelfAttention(4, 2)([[0.0] * 3])


def test_transformer_block_matches_torch():
    torch = pytest.importorskip("torch")
    T, E, H = 4, 8, 2
    block = nn.TransformerBlock(E, H, norm="layer", seed=0)
    x = random_values((T, E), seed=1)
    out = block(x)
    loss, coefs = weighted_sum(out)
    loss.backward()

    F = torch.nn.functional
    attn = _torch_attention(torch, block.attn)
    mlp = block.mlp
    fc_w, fc_b = tensor(torch, mlp.fc_weight, True), tensor(torch, mlp.fc_bias, True)
    pr_w, pr_b = tensor(torch, mlp.proj_weight, True), tensor(torch, mlp.proj_bias, True)
    xt = tensor(torch, x, grad=True)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    h = xt + attn(*[F.layer_norm(xt, (E,))] * 3, attn_mask=mask, need_weights=False)[0]
    out_t = h + F.linear(F.relu(F.linear(F.layer_norm(h, (E,)), fc_w, fc_b)), pr_w, pr_b)
    assert_close(floats(out), out_t.tolist())
    (out_t.flatten() * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
    assert_close(grads(x), xt.grad.tolist())
    assert_close(grads(mlp.fc_weight), fc_w.grad.tolist())
    assert_close(grads(mlp.proj_bias), pr_b.grad.tolist())
    assert_close(grads(block.attn.in_proj_weight), attn.in_proj_weight.grad.tolist())
    n_params = len(block.parameters())
    assert n_params == 4 * E * E + 3 * E + E + 2 * (4 * E * E) + 4 * E + E + 4 * E  # + 2 LayerNorms
