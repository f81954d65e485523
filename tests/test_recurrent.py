"""RNNCell, GRUCell, RNN and GRU against PyTorch float64, weights in PyTorch's layout."""

import pytest

from micrograd_plus import nn

from .model_helpers import assert_close, floats, grads, random_values, tensor, weighted_sum


def _copy_cell(torch, ours, ref, suffix=""):
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref, name + suffix).copy_(tensor(torch, getattr(ours, name)))


@pytest.mark.parametrize("kind", ["tanh", "relu", "gru"])
def test_cell_matches_torch(kind):
    torch = pytest.importorskip("torch")
    if kind == "gru":
        cell, ref = nn.GRUCell(3, 4, seed=0), torch.nn.GRUCell(3, 4).double()
    else:
        cell = nn.RNNCell(3, 4, nonlinearity=kind, seed=0)
        ref = torch.nn.RNNCell(3, 4, nonlinearity=kind).double()
    _copy_cell(torch, cell, ref)
    x, h = random_values((3,), seed=1), random_values((4,), seed=2)
    out = cell(x, h)
    loss, coefs = weighted_sum(out)
    loss.backward()
    xt, ht = tensor(torch, x, grad=True), tensor(torch, h, grad=True)
    out_t = ref(xt, ht)
    assert_close(floats(out), out_t.tolist())
    (out_t * torch.tensor(coefs, dtype=torch.float64)).sum().backward()
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        assert_close(grads(getattr(cell, name)), getattr(ref, name).grad.tolist())
    assert_close(grads(x), xt.grad.tolist())
    assert_close(grads(h), ht.grad.tolist())


def test_cell_layout_and_default_state():
    cell = nn.GRUCell(2, 5, seed=0)
    assert len(cell.weight_ih) == 15 and len(cell.weight_ih[0]) == 2  # gates r, z, n stacked
    assert len(cell.weight_hh) == 15 and len(cell.weight_hh[0]) == 5
    bound = 1 / 5**0.5
    assert all(abs(p.data) <= bound for p in cell.parameters())
    assert floats(cell([0.5, -1.0])) == floats(cell([0.5, -1.0], [0.0] * 5))
    with pytest.raises(ValueError, match="state h of 5"):
        cell([0.5, -1.0], [0.0] * 4)
    with pytest.raises(ValueError, match="input x of 2"):
        cell([0.5])


@pytest.mark.parametrize("kind", ["rnn", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_unrolled_matches_torch_through_time(kind, num_layers):
    torch = pytest.importorskip("torch")
    T, n_in, n_h = 5, 2, 3
    if kind == "gru":
        model, ref = nn.GRU(n_in, n_h, num_layers, seed=0), torch.nn.GRU(n_in, n_h, num_layers)
    else:
        model, ref = nn.RNN(n_in, n_h, num_layers, seed=0), torch.nn.RNN(n_in, n_h, num_layers)
    ref = ref.double()
    for i, cell in enumerate(model.cells):
        _copy_cell(torch, cell, ref, f"_l{i}")
    xs = random_values((T, n_in), seed=1)
    outputs, h_n = model(xs)
    assert len(outputs) == T and len(h_n) == num_layers
    loss, coefs = weighted_sum([outputs, h_n])
    loss.backward()
    xt = tensor(torch, xs, grad=True)
    out_t, h_t = ref(xt)  # unbatched input: (T, input)
    assert_close(floats(outputs), out_t.tolist())
    assert_close(floats(h_n), h_t.tolist())
    c = torch.tensor(coefs, dtype=torch.float64)
    (torch.cat([out_t.flatten(), h_t.flatten()]) * c).sum().backward()
    for i, cell in enumerate(model.cells):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            assert_close(grads(getattr(cell, name)), getattr(ref, f"{name}_l{i}").grad.tolist())
    assert_close(grads(xs), xt.grad.tolist())


def test_torch_names():
    from micrograd_plus.recurrent import torch_name

    assert torch_name("cells.1.bias_hh") == "bias_hh_l1"
    names = {n.split("[")[0] for n, _ in nn.GRU(2, 3, 2).named_parameters()}
    assert {torch_name(n) for n in names} == {
        f"{w}_l{i}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") for i in (0, 1)
    }
