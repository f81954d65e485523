"""MLP.to_torch() / MLP.from_torch(): same outputs and gradients on both sides."""

import sys

import pytest

from micrograd_plus.engine import Value
from micrograd_plus.losses import mse_loss
from micrograd_plus.nn import MLP

TOL = 1e-9
X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 1.0, 0.0], [0.1, 0.2, 0.3]]
Y = [[1.0, 0.0], [-1.0, 0.5], [0.0, 2.0], [0.3, -0.3]]


def our_loss_and_grads(model):
    loss = mse_loss([model(x) for x in X], Y)
    model.zero_grad()
    loss.backward()
    return loss.data, [p.grad for p in model.parameters()]


def torch_loss_and_grads(torch, seq):
    """Loss and gradients in our parameter order: per neuron, its weights then its bias."""
    out = seq(torch.tensor(X, dtype=torch.float64))
    loss = torch.nn.functional.mse_loss(out, torch.tensor(Y, dtype=torch.float64))
    seq.zero_grad()
    loss.backward()
    grads = []
    for linear in (m for m in seq if isinstance(m, torch.nn.Linear)):
        for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            grads += row + [b]
    return loss.item(), grads


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_to_torch_gives_the_same_outputs_and_gradients(activation):
    torch = pytest.importorskip("torch")
    model = MLP(3, [5, 4, 2], activation=activation, seed=3)
    seq = model.to_torch()
    assert isinstance(seq, torch.nn.Sequential)
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    loss, grads = our_loss_and_grads(model)
    t_loss, t_grads = torch_loss_and_grads(torch, seq)
    assert loss == pytest.approx(t_loss, abs=TOL)
    assert grads == pytest.approx(t_grads, abs=TOL)


def test_from_torch_gives_the_same_outputs_and_gradients():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    seq = nn.Sequential(
        nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 4), nn.LeakyReLU(0.2), nn.Linear(4, 2)
    ).double()
    model = MLP.from_torch(seq)
    assert isinstance(model, MLP)
    assert [layer.activation for layer in model.layers] == ["tanh", "leaky_relu", "linear"]
    assert model.layers[1].neurons[0].negative_slope == 0.2
    loss, grads = our_loss_and_grads(model)
    t_loss, t_grads = torch_loss_and_grads(torch, seq)
    assert loss == pytest.approx(t_loss, abs=TOL)
    assert grads == pytest.approx(t_grads, abs=TOL)


def test_round_trip_through_torch_keeps_every_weight():
    pytest.importorskip("torch")
    model = MLP(2, [4, 1], activation="sigmoid", seed=5)
    back = MLP.from_torch(model.to_torch())
    assert back.state_dict() == model.state_dict()
    assert isinstance(back([1.0, 2.0]), Value)


def test_from_torch_refuses_what_it_cannot_convert():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    with pytest.raises(ValueError, match="module 1: cannot convert Dropout"):
        MLP.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1)))
    with pytest.raises(ValueError, match="module 1: Linear expects 3 inputs but .* gives 2"):
        MLP.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Linear(3, 1)))
    with pytest.raises(ValueError, match="ReLU must directly follow a Linear"):
        MLP.from_torch(nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    with pytest.raises(ValueError, match="no Linear"):
        MLP.from_torch(nn.Sequential())


def test_a_clear_error_when_torch_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ImportError, match="pip install torch"):
        MLP(2, [1], seed=0).to_torch()
    with pytest.raises(ImportError, match="pip install torch"):
        MLP.from_torch([])


def test_from_torch_converts_by_type_not_by_class_name():
    torch = pytest.importorskip("torch")

    class Linear(torch.nn.Module):  # named like torch's, computes something else
        def __init__(self):
            super().__init__()
            self.inner = torch.nn.Linear(2, 1)
            self.in_features, self.out_features = 2, 1
            self.weight, self.bias = self.inner.weight, self.inner.bias

        def forward(self, x):
            return self.inner(x) ** 2

    with pytest.raises(ValueError, match=r"module 0: cannot convert .*Linear \(from tests"):
        MLP.from_torch(torch.nn.Sequential(Linear()))

    class Squaring(torch.nn.Linear):  # a real subclass whose forward changes the function
        def forward(self, x):
            return super().forward(x) ** 2

    with pytest.raises(ValueError, match="cannot convert .*Squaring"):
        MLP.from_torch(torch.nn.Sequential(Squaring(2, 1)))

    class Tagged(torch.nn.Linear):  # a subclass that only adds data converts fine
        tag = "mine"

    model = MLP.from_torch(torch.nn.Sequential(Tagged(2, 3), torch.nn.Tanh(), Tagged(3, 1)))
    assert [layer.activation for layer in model.layers] == ["tanh", "linear"]
