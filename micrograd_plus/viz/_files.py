"""What the viz modules share: atomic writes, the page assets they ship, matplotlib on demand."""

from __future__ import annotations

import os
import tempfile
from types import ModuleType

# The process's umask, read once at import (reading it means setting it, so not per write).
_UMASK = os.umask(0)
os.umask(_UMASK)


def write_atomically(path: str | os.PathLike[str], content: bytes | str) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a saved page is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def asset(name: str) -> str:
    """A file shipped in viz/assets (page templates, scripts, styles)."""
    from importlib.resources import files

    return files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")


def pyplot() -> ModuleType:
    """matplotlib.pyplot, or an ImportError saying how to install it (it is an extra)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as missing:
        raise ImportError(
            "the plots need matplotlib: pip install 'micrograd_plus[plot]'"
        ) from missing
    return plt
