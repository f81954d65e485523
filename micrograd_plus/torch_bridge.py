"""The bridge to PyTorch: ``mlp_to_torch`` / ``mlp_from_torch`` back ``MLP.to_torch()``
and ``MLP.from_torch()``.

PyTorch is imported only when they are called. This module does not import ``nn``:
``MLP.from_torch`` passes its own class in, so ``nn`` -> ``torch_bridge`` is one-way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # for the annotations only: at run time this module does not import nn
    from .nn import MLP

M = TypeVar("M", bound="MLP")


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as err:
        raise ImportError(
            "converting to or from PyTorch needs PyTorch; install it with: pip install torch"
        ) from err
    return torch


_TORCH_ACTIVATIONS = {
    "ReLU": "relu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
    "LeakyReLU": "leaky_relu",
}


def mlp_to_torch(mlp: MLP) -> Any:
    """A float64 ``torch.nn.Sequential`` computing the same function as ``mlp``."""
    torch = _import_torch()
    modules: list[Any] = []
    for index, layer in enumerate(mlp.layers):
        activations = {(n.activation, n.negative_slope) for n in layer.neurons}
        if len(activations) != 1:
            raise ValueError(f"layer {index} mixes activations; torch needs one per layer")
        activation, slope = activations.pop()
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            weight = [[w.data for w in n.w] for n in layer.neurons]
            linear.weight.copy_(torch.tensor(weight, dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if activation == "leaky_relu":
            modules.append(torch.nn.LeakyReLU(slope))
        elif activation != "linear":
            modules.append(getattr(torch.nn, _torch_name(activation))())
    return torch.nn.Sequential(*modules)


def _torch_name(activation: str) -> str:
    return next(k for k, v in _TORCH_ACTIVATIONS.items() if v == activation)


def mlp_from_torch(sequential: Any, cls: type[M]) -> M:
    """An MLP of class ``cls`` with the layers, weights and activations of ``sequential``.

    ``sequential`` must be Linear layers, each optionally followed by one of
    ReLU, Tanh, Sigmoid, LeakyReLU or Identity.
    """
    _import_torch()
    plan = _read_torch_layers(sequential)
    model = cls(plan[0][0].in_features, [linear.out_features for linear, _, _ in plan], seed=0)
    for layer, (linear, activation, slope) in zip(model.layers, plan):
        weight = linear.weight.detach().double().tolist()
        bias = linear.bias.detach().double().tolist() if linear.bias is not None else None
        for i, neuron in enumerate(layer.neurons):
            for j, w in enumerate(neuron.w):
                w.data = weight[i][j]
            neuron.b.data = bias[i] if bias is not None else 0.0
            neuron.activation = activation
            neuron.negative_slope = slope
    return model


def _read_torch_layers(sequential: Any) -> list[tuple[Any, str, float]]:
    """[(Linear, activation name, leaky slope)] for each Linear of the Sequential."""
    plan: list[list[Any]] = []
    for index, module in enumerate(sequential):
        kind = type(module).__name__
        if kind == "Linear":
            if plan and plan[-1][0].out_features != module.in_features:
                raise ValueError(
                    f"module {index}: Linear expects {module.in_features} inputs but the "
                    f"previous layer gives {plan[-1][0].out_features}"
                )
            plan.append([module, "linear", 0.01])
        elif kind in _TORCH_ACTIVATIONS or kind == "Identity":
            if not plan or plan[-1][1] != "linear":
                raise ValueError(f"module {index}: {kind} must directly follow a Linear layer")
            if kind != "Identity":
                plan[-1][1] = _TORCH_ACTIVATIONS[kind]
            if kind == "LeakyReLU":
                plan[-1][2] = module.negative_slope
        else:
            raise ValueError(
                f"module {index}: cannot convert {kind} to an MLP "
                "(supported: Linear, ReLU, Tanh, Sigmoid, LeakyReLU, Identity)"
            )
    if not plan:
        raise ValueError("the Sequential holds no Linear layer to convert")
    return [tuple(step) for step in plan]
