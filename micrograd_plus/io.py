"""Moving a model's weights in and out: JSON files, and PyTorch.

``save(model, path)`` writes a small, human-readable JSON object::

    {"format": "micrograd_plus", "version": 1, "state_dict": {"layers.0.w[0,0]": 0.23, ...}}

``load(model, path)`` checks the whole file (valid JSON, our format and
version, the same names as the model, every value a finite number) before it
changes anything, so a corrupt or truncated file leaves the model as it was.
Files are never unpickled: loading one cannot run code.

``mlp_to_torch`` / ``mlp_from_torch`` back ``MLP.to_torch()`` and
``MLP.from_torch()``; PyTorch is imported only when they are called.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
from pathlib import Path

FORMAT = "micrograd_plus"
VERSION = 1

PathLike = str | os.PathLike


def save(module, path: PathLike) -> None:
    """Write ``module.state_dict()`` to ``path`` as JSON (atomically: never half a file)."""
    state = module.state_dict()
    for name, value in state.items():
        if not math.isfinite(value):
            raise ValueError(f"cannot save: {name!r} is {value} (only finite numbers are saved)")
    text = json.dumps({"format": FORMAT, "version": VERSION, "state_dict": state}, indent=1)
    path = Path(path)
    # Write next to the target and rename, so a crash mid-write cannot leave a truncated file.
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        # mkstemp makes the file private (0o600); give it the permissions open() would.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _current_umask() -> int:
    mask = os.umask(0)  # the only way to read the umask is to set it and put it back
    os.umask(mask)
    return mask


def load(module, path: PathLike):
    """Read a file written by ``save`` into ``module`` and return the module.

    Raises ``ValueError`` (model untouched) if the file is not valid JSON, not
    ours, from another format version, or does not fit the model.
    """
    state = read_state_dict(path)
    try:
        module.load_state_dict(state)
    except ValueError as err:
        raise ValueError(f"cannot load {str(path)!r}: {err}") from None
    return module


def read_state_dict(path: PathLike) -> dict[str, float]:
    """The validated state dict stored in a file written by ``save``."""
    where = repr(str(path))
    raw = Path(path).read_bytes()
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(
            f"cannot load {where}: not a valid JSON file (truncated or corrupt?): {err}"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(
            f"cannot load {where}: not a micrograd_plus model file "
            f'(expected a JSON object with "format": "{FORMAT}")'
        )
    version = payload.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ValueError(
            f"cannot load {where}: file format version {version!r} is not supported "
            f"(this micrograd_plus reads version {VERSION})"
        )
    state = payload.get("state_dict")
    if not isinstance(state, dict):
        raise ValueError(f'cannot load {where}: "state_dict" must be a JSON object of numbers')
    for name, value in state.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"cannot load {where}: {name!r} is {value!r}, expected a number")
        if not math.isfinite(value):
            raise ValueError(f"cannot load {where}: {name!r} is {value}, expected a finite number")
    return {name: float(value) for name, value in state.items()}


# --- the bridge to PyTorch --------------------------------------------------------------------


def _import_torch():
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


def mlp_to_torch(mlp):
    """A float64 ``torch.nn.Sequential`` computing the same function as ``mlp``."""
    torch = _import_torch()
    modules = []
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


def mlp_from_torch(sequential, cls=None):
    """An ``MLP`` (or ``cls``) with the layers, weights and activations of ``sequential``.

    ``sequential`` must be Linear layers, each optionally followed by one of
    ReLU, Tanh, Sigmoid, LeakyReLU or Identity.
    """
    _import_torch()
    if cls is None:
        from .nn import MLP as cls
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


def _read_torch_layers(sequential) -> list[tuple]:
    """[(Linear, activation name, leaky slope)] for each Linear of the Sequential."""
    plan: list[list] = []
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
