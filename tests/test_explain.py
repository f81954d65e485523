"""Saliency and integrated gradients: against PyTorch autograd, and the completeness property."""

import pytest

from micrograd_plus import nn
from micrograd_plus.explain import completeness_gap, integrated_gradients, saliency, score


def test_saliency_matches_torch_input_gradient():
    torch = pytest.importorskip("torch")
    mlp = nn.MLP(4, [6, 3], activation="tanh", seed=0)
    x = [0.3, -1.2, 0.5, 2.0]
    sal = saliency(mlp, x, target=2)
    ref = mlp.to_torch()
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref(xt)[2].backward()
    assert max(abs(a - b) for a, b in zip(sal, xt.grad.tolist())) < 1e-12
    assert all(p.grad == 0.0 for p in mlp.parameters())  # parameters' grads untouched


def test_saliency_keeps_the_input_nesting():
    conv = nn.Sequential(
        nn.Conv2d(1, 2, 3, seed=0), nn.Tanh(), nn.Flatten(), nn.Linear(8, 2, seed=1)
    )
    image = [[[0.1 * (r + c) for c in range(4)] for r in range(4)]]
    sal = saliency(conv, image, target=1)
    assert len(sal) == 1 and len(sal[0]) == 4 and len(sal[0][0]) == 4


def test_integrated_gradients_match_torch_and_add_up():
    torch = pytest.importorskip("torch")
    mlp = nn.MLP(3, [5, 2], activation="tanh", seed=2)
    x, baseline = [1.0, -0.5, 2.0], [0.1, 0.1, 0.1]
    ig = integrated_gradients(mlp, x, target=0, baseline=baseline, steps=16)
    ref = mlp.to_torch()
    xt, bt = torch.tensor(x, dtype=torch.float64), torch.tensor(baseline, dtype=torch.float64)
    total = torch.zeros(3, dtype=torch.float64)
    for k in range(16):
        point = (bt + (k + 0.5) / 16 * (xt - bt)).requires_grad_(True)
        ref(point)[0].backward()
        total += point.grad
    expected = ((xt - bt) * total / 16).tolist()
    assert max(abs(a - b) for a, b in zip(ig, expected)) < 1e-12
    gap = completeness_gap(
        mlp, x, integrated_gradients(mlp, x, 0, baseline, steps=200), 0, baseline
    )
    assert abs(gap) < 1e-4
    assert abs(sum(ig) - (score(mlp, x, 0) - score(mlp, baseline, 0))) > abs(gap)  # more steps help


def test_errors_name_the_problem():
    mlp = nn.MLP(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match="target must be an output index 0..1"):
        saliency(mlp, [1.0, 2.0], target=2)
    with pytest.raises(ValueError, match="say which"):
        saliency(mlp, [1.0, 2.0])
    with pytest.raises(ValueError, match="baseline has 1 numbers, x has 2"):
        integrated_gradients(mlp, [1.0, 2.0], 0, baseline=[0.0])
