"""Saving and loading a model's weights as JSON files.

``save(model, path)`` writes a small, human-readable JSON object::

    {"format": "micrograd_plus", "version": 1, "state_dict": {"layers.0.w[0,0]": 0.23, ...}}

``load(model, path)`` checks the whole file (valid JSON, our format and
version, the same names as the model, every value a finite number) before it
changes anything, so a corrupt or truncated file leaves the model as it was.
Files are never unpickled: loading one cannot run code.

The bridge to PyTorch (``MLP.to_torch()`` / ``MLP.from_torch()``) lives in
``torch_bridge.py``.
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
