"""Every public name has a docstring: the API reference (mkdocstrings) is made from them.

Public means what the documentation site documents: every module whose dotted name has no
part starting with ``_``, each name in its ``__all__`` (or, without one, each name it
defines that does not start with ``_``), and the public methods and properties of those
classes. An override needs its own docstring too: the reference shows the class's own
members, and what ``forward`` returns differs from layer to layer.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import pytest

import micrograd_plus


def public_modules() -> list[str]:
    names = [micrograd_plus.__name__]
    for info in pkgutil.walk_packages(micrograd_plus.__path__, prefix="micrograd_plus."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _documented_here(module: object, name: str, obj: object) -> bool:
    """A class or function this module is responsible for: defined here, or in its __all__."""
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return False
    exported = getattr(module, "__all__", None)
    if exported is not None:
        return name in exported
    return getattr(obj, "__module__", None) == getattr(module, "__name__", None)


def _members(cls: type) -> Iterator[tuple[str, object]]:
    """The public methods, class/static methods and properties a class defines itself."""
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            yield name, member.fget
        elif isinstance(member, classmethod | staticmethod):
            yield name, member.__func__
        elif inspect.isfunction(member):
            yield name, member


def undocumented(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    missing = [] if module.__doc__ else [f"{module_name} (the module)"]
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if not _documented_here(module, name, obj):
            continue
        if not obj.__doc__:
            missing.append(f"{module_name}.{name}")
        if inspect.isclass(obj):
            missing += [
                f"{module_name}.{name}.{member}"
                for member, fn in _members(obj)
                if fn is not None and not fn.__doc__
            ]
    return missing


def test_the_public_modules_are_found():
    modules = public_modules()
    assert {"micrograd_plus", "micrograd_plus.engine", "micrograd_plus.nn"} <= set(modules)
    assert "micrograd_plus.optim.lr_scheduler" in modules
    assert not [m for m in modules if "._" in m]


@pytest.mark.parametrize("module_name", public_modules())
def test_every_public_name_has_a_docstring(module_name):
    assert undocumented(module_name) == []


def test_every_top_level_name_is_documented():
    missing = [name for name in micrograd_plus.__all__ if not getattr(micrograd_plus, name).__doc__]
    assert missing == []


def test_the_check_sees_a_missing_docstring():
    class Layer:
        """A layer."""

        def forward(self, x):
            return x

        @property
        def size(self):
            return 1

    assert [name for name, fn in _members(Layer) if not fn.__doc__] == ["forward", "size"]
