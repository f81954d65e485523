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

import math
import numbers
from typing import TYPE_CHECKING, TypeVar

from .files import DEFAULT_MAX_BYTES, PathLike, read_json, write_json

if TYPE_CHECKING:
    from .module import Module

_M = TypeVar("_M", bound="Module")

FORMAT = "micrograd_plus"
VERSION = 1


def save(module: Module, path: PathLike) -> None:
    """Write ``module.state_dict()`` to ``path`` as JSON, atomically (see ``files.write_atomic``).

    A symlink is followed and an existing file keeps its permission bits.
    """
    state = module.state_dict()
    for name, value in state.items():
        if not math.isfinite(value):
            raise ValueError(f"cannot save: {name!r} is {value} (only finite numbers are saved)")
    write_json(path, {"format": FORMAT, "version": VERSION, "state_dict": state})


def load(module: _M, path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> _M:
    """Read a file written by ``save`` into ``module`` and return the module.

    Raises ``ValueError`` (model untouched) if the file is larger than
    ``max_bytes``, not valid JSON, not ours, from another format version, has
    keys we do not know, a value that is not a finite number, or does not fit
    the model. Every message names the file (and the key, for a bad value).
    """
    state = read_state_dict(path, max_bytes=max_bytes)
    try:
        module.load_state_dict(state)
    except ValueError as err:
        raise ValueError(f"cannot load {str(path)!r}: {err}") from None
    return module


_TOP_LEVEL_KEYS = ("format", "version", "state_dict")


def read_state_dict(path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, float]:
    """The validated state dict stored in a file written by ``save``."""
    where = repr(str(path))
    payload = read_json(path, max_bytes, what="micrograd_plus model file")
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(
            f"cannot load {where}: not a micrograd_plus model file "
            f'(expected a JSON object with "format": "{FORMAT}")'
        )
    version = payload.get("version")
    if version != VERSION or isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(
            f"cannot load {where}: file format version {version!r} is not supported "
            f"(this micrograd_plus reads version {VERSION})"
        )
    unknown = [key for key in payload if key not in _TOP_LEVEL_KEYS]
    if unknown:
        raise ValueError(
            f"cannot load {where}: unknown top-level keys {unknown} "
            f"(a version {VERSION} file has only {list(_TOP_LEVEL_KEYS)})"
        )
    state = payload.get("state_dict")
    if not isinstance(state, dict):
        raise ValueError(f'cannot load {where}: "state_dict" must be a JSON object of numbers')
    for name, value in state.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(
                f"cannot load {where}: {name!r} is {_preview(value)}, expected a number"
            )
        if not math.isfinite(value):
            raise ValueError(
                f"cannot load {where}: {name!r} is {value}, expected a finite number "
                "(a float holds at most about 1.8e308)"
            )
    return {name: float(value) for name, value in state.items()}


def _preview(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
