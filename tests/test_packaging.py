"""The package as the Python ecosystem sees it: lazy imports, one version, typing marker, layout."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import micrograd_plus

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "micrograd_plus"
HEAVY = ("numpy", "graphviz", "tqdm", "matplotlib")


def run_python(code: str) -> str:
    """Run ``code`` in a fresh interpreter on this checkout; return its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("statement", ["import micrograd_plus", "import micrograd_plus.engine"])
def test_importing_the_package_or_the_engine_loads_no_heavy_dependency(statement):
    code = f"""
import sys
{statement}
from micrograd_plus import Value
a, b = Value(2.0), Value(-3.0)
loss = (a * b).tanh() + a.exp() / b
loss.backward()
assert a.grad != 0.0 and b.grad != 0.0
print(sorted(name for name in {HEAVY!r} if name in sys.modules))
"""
    assert run_python(code).strip() == "[]"


def test_a_feature_that_needs_numpy_loads_it_on_first_use():
    code = """
import sys
import micrograd_plus as mgp
assert "numpy" not in sys.modules
f = mgp.compile(lambda x: x * x)
assert "numpy" in sys.modules
print(type(mgp.compile).__name__)
"""
    assert run_python(code).strip() == "function"


def test_every_public_name_resolves_and_star_import_gives_them_all():
    namespace: dict = {}
    exec("from micrograd_plus import *", namespace)
    for name in micrograd_plus.__all__:
        assert getattr(micrograd_plus, name) is namespace[name]
    lazy = {*micrograd_plus._NAMES, *micrograd_plus._SUBMODULES}
    assert sorted(micrograd_plus.__all__) == sorted(lazy)
    assert set(micrograd_plus.__all__) <= set(dir(micrograd_plus))
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        micrograd_plus.no_such_name  # noqa: B018


def test_compile_and_gradcheck_stay_the_functions_whatever_is_imported_first():
    code = """
import micrograd_plus.gradcheck
from micrograd_plus.train import fit
import micrograd_plus as mgp
from micrograd_plus.compiler import CompiledFunction
import micrograd_plus.compiler
print(callable(mgp.compile), callable(mgp.gradcheck), mgp.compile is mgp.compiler.compile)
"""
    assert run_python(code).split() == ["True", "True", "True"]


def pyproject_version() -> str:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    return re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)


def test_the_version_comes_from_pyproject_and_the_command_line_prints_it():
    assert micrograd_plus.__version__ == pyproject_version()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "micrograd_plus", "--version"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"micrograd-plus {pyproject_version()}"


def test_the_version_is_written_only_in_pyproject():
    for path in PACKAGE.rglob("*.py"):
        assert not re.search(r"__version__\s*=\s*['\"]", path.read_text("utf-8")), path


def test_the_package_is_marked_as_typed():
    assert (PACKAGE / "py.typed").is_file()


# --- the layout: no module reaches into another's private names; no import cycle ---------------


def package_modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules: dict[str, Path]):
    """(imported module, imported names) for every import of the package, even inside functions.

    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text("utf-8"))
    type_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                child = f"{target}.{alias.name}"
                if child in modules:
                    yield child, []
                elif target in modules:
                    yield target, [alias.name]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, []


def test_no_module_imports_another_modules_private_names():
    modules = package_modules()
    offences = [
        f"{name} imports {target}.{imported}"
        for name, path in modules.items()
        for target, names in imports_of(name, path, modules)
        for imported in names
        if imported.startswith("_") and target != name
    ]
    assert offences == []


def test_the_package_has_no_import_cycle():
    modules = package_modules()
    graph = {
        name: {target for target, _ in imports_of(name, path, modules)}
        for name, path in modules.items()
    }

    def cycle_from(start):
        """A path start -> ... -> start, or None (depth-first search)."""
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return path + [start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, path + [nxt]))
        return None

    cycles = [" -> ".join(c) for c in map(cycle_from, sorted(graph)) if c]
    assert cycles == []
