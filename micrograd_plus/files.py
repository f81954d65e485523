"""Writing files so that nothing is ever half-written, and reading JSON within bounds.

Every file micrograd_plus writes (``save``, ``History.to_json``, the demo's
plots and graph) goes through :func:`write_atomic`: the bytes go to a
temporary file in the same folder, are flushed to disk (``fsync``), and only
then replace the file the user named, in one ``os.replace``. A full disk, a
crash or Ctrl-C leaves the old file as it was and no partial file behind.
The user's choices are kept: a symlink is followed and its target updated
(the link stays a link), and an existing file keeps its permission bits (a
``0600`` weights file stays private).

JSON is written strictly (:func:`to_strict_json`): Python's ``json`` would
write ``NaN`` and ``Infinity``, which strict parsers (browsers, ``jq``) reject;
we write the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` instead,
which ``float()`` reads back.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from pathlib import Path
from typing import Any, TypeAlias

#: A file name: a ``str`` or a ``pathlib.Path`` (any ``os.PathLike[str]``).
PathLike: TypeAlias = "str | os.PathLike[str]"


def write_atomic(path: PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` all at once or not at all; returns the path written.

    ``str`` is written as UTF-8. A symlink is followed (its target is
    replaced, the link kept); an existing file keeps its permission bits, a
    new one gets the usual ``0o666`` minus the umask.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {str(path)!r}: it is a directory")
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never write through somebody else's file; 0o666 lets the kernel apply the umask.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(target.parent)
    return target


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def strict_json_value(obj: Any) -> Any:
    """``obj`` with every NaN/inf float replaced by the string ``float()`` reads back."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return "NaN" if obj != obj else _NON_FINITE[obj]
    if isinstance(obj, dict):
        return {k: strict_json_value(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [strict_json_value(v) for v in obj]
    return obj


def to_strict_json(obj: Any, indent: int | None = 1) -> str:
    """JSON text any strict parser accepts (no NaN/Infinity tokens; see the module docstring)."""
    return json.dumps(strict_json_value(obj), indent=indent, allow_nan=False)


def write_json(path: PathLike, obj: Any, indent: int | None = 1) -> str:
    """Write ``obj`` as strict JSON with :func:`write_atomic`; returns the text written."""
    text = to_strict_json(obj, indent)
    write_atomic(path, text)
    return text


# --- reading, within bounds ----------------------------------------------------------------------

DEFAULT_MAX_BYTES = 100_000_000  # 100 MB: ~3 million parameters, far beyond a scalar engine
_LONGEST_INT = 20  # digits; longer integers are read as floats (and then checked to be finite)


def read_json(path: PathLike, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "JSON file") -> Any:
    """Parse a JSON file of at most ``max_bytes`` bytes; every problem is a ValueError naming it.

    Integers longer than 20 digits come back as floats (``inf`` when too big for
    one), so a 5,000-digit number is a number problem for the caller to name,
    not Python's int-conversion error; ``NaN``/``Infinity`` tokens come back as
    floats too. Nesting deeper than Python's parser allows is a ValueError.
    """
    where = repr(str(path))
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}")
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise ValueError(_too_big(where, what, size, max_bytes))
        raw = f.read(max_bytes + 1)  # a file that grows while we read is still bounded
    if len(raw) > max_bytes:
        raise ValueError(_too_big(where, what, len(raw), max_bytes))
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_read_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(
            f"cannot load {where}: not a valid JSON file (truncated or corrupt?): {err}"
        ) from None
    except RecursionError:
        raise ValueError(
            f"cannot load {where}: nested too deeply to be a {what} "
            "(our files are a few levels deep)"
        ) from None


def _read_int(text: str) -> int | float:
    return int(text) if len(text.lstrip("-")) <= _LONGEST_INT else float(text)


def _too_big(where: str, what: str, size: int, limit: int) -> str:
    return (
        f"cannot load {where}: the file has {size:,} bytes, more than max_bytes={limit:,} "
        f"for a {what}; pass a larger max_bytes if you trust it"
    )
