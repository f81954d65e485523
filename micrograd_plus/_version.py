"""The package version, written in one place: ``version`` in pyproject.toml.

An installed package reads it from its metadata (``importlib.metadata``); a source
checkout that is not installed (``PYTHONPATH=.``) reads it from pyproject.toml.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path


def version() -> str:
    """``micrograd_plus``'s version, e.g. ``"0.2.0"``."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pyproject.is_file():  # a source checkout (installed or not): its pyproject.toml is the truth
        text = pyproject.read_text("utf-8")
        ours = re.search(r'^name\s*=\s*"micrograd[_-]plus"', text, re.M)
        match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
        if ours and match:
            return match.group(1)
    try:
        return metadata.version("micrograd_plus")
    except metadata.PackageNotFoundError:
        return "0+unknown"
