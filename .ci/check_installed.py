"""Run from OUTSIDE the checkout with an installed micrograd_plus: is the install complete?

Usage: python check_installed.py CHECKOUT. Checks that micrograd_plus is imported from the
install (not the checkout), that its version matches the checkout's pyproject.toml, that every
non-Python file under the checkout's micrograd_plus/ (py.typed, the data sets, their licences)
is in the install with the same bytes, and that every data set loader of micrograd_plus.data
loads from it.
"""

import importlib.metadata
import re
import sys
from pathlib import Path

checkout = Path(sys.argv[1]).resolve()
import micrograd_plus  # noqa: E402

installed = Path(micrograd_plus.__file__).resolve().parent
assert checkout not in installed.parents, f"imported from the checkout: {installed}"
pyproject = (checkout / "pyproject.toml").read_text("utf-8")
expected = re.search(r'^version\s*=\s*"([^"]+)"', pyproject, re.M).group(1)
assert micrograd_plus.__version__ == expected == importlib.metadata.version("micrograd_plus"), (
    micrograd_plus.__version__,
    expected,
)

tracked = [
    p
    for p in (checkout / "micrograd_plus").rglob("*")
    if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
]
for source in tracked:
    relative = source.relative_to(checkout / "micrograd_plus")
    copy = installed / relative
    assert copy.is_file(), f"package data missing from the wheel: {relative}"
    assert copy.read_bytes() == source.read_bytes(), f"package data differs: {relative}"
    print(f"  data file ok: {relative} ({copy.stat().st_size} bytes)")
assert any(p.name == "py.typed" for p in tracked)

from micrograd_plus import data  # noqa: E402

loaders = sorted(name for name in dir(data) if name.startswith("load_"))
for name in loaders:
    result = getattr(data, name)()
    size = len(result[0]) if isinstance(result, tuple) else len(result)
    assert size > 0, f"data.{name}() loaded nothing"
    print(f"  data.{name}() ok: {size} items")
print(f"installed micrograd_plus {micrograd_plus.__version__} at {installed}: complete")
