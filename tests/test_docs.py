"""The documentation site's sources, checked quickly (CI also runs `mkdocs build --strict`)."""

import html
import importlib.util
import re
from pathlib import Path

import pytest

import micrograd_plus

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def load_hooks():
    pytest.importorskip("mkdocs")
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


@pytest.mark.parametrize("name", ["README.md", "CHANGELOG.md", "CONTRIBUTING.md"])
def test_relative_links_in_the_root_documents_point_to_files(name):
    text = (ROOT / name).read_text("utf-8")
    targets = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:|#", t)]
    missing = [t for t in targets if not (ROOT / t.split("#")[0]).exists()]
    assert missing == []


def test_every_public_module_and_notebook_gets_a_page_in_the_navigation():
    hooks = load_hooks()
    config = hooks.on_config({})
    pages = set()

    def walk(entries):
        for entry in entries:
            for value in entry.values() if isinstance(entry, dict) else [entry]:
                walk(value) if isinstance(value, list) else pages.add(value)

    walk(config["nav"])
    assert "api/micrograd_plus.engine.md" in pages
    assert "api/micrograd_plus.optim.lr_scheduler.md" in pages
    assert not any(re.search(r"/_|\._", p) for p in pages)  # private modules stay out
    notebooks = {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks and notebooks <= pages
    generated = hooks.generated_pages()
    assert pages - {"design.md"} <= set(generated) | notebooks
    guide = [p for p in pages if p.startswith("guide/")]
    assert len(guide) == len(re.findall(r"^## ", (ROOT / "README.md").read_text("utf-8"), re.M))


def test_readme_links_are_rewritten_for_the_page_they_land_on():
    hooks = load_hooks()
    text = "see [the picture](docs/images/neuron.png), [nb](notebooks/01_x.ipynb), "
    text += "[log](CHANGELOG.md)"
    assert hooks.relink(text, "guide/03-x.md") == (
        "see [the picture](../images/neuron.png), [nb](../notebooks/01_x.ipynb), "
        "[log](../changelog.md)"
    )
    assert hooks.relink("[web](https://example.org)", "guide/a.md") == "[web](https://example.org)"


def test_the_design_pages_table_lists_every_primitive_from_ops():
    from micrograd_plus.ops import PRIMITIVES

    rows = load_hooks().primitives_table().splitlines()[2:]
    assert len(rows) == len(PRIMITIVES)
    for row, (name, primitive) in zip(rows, PRIMITIVES.items()):
        assert row.startswith(f"| <code>{html.escape(name)}</code> |")
        first = "constant" if 0 in primitive.const_inputs else primitive.rule_text(0)
        assert html.escape(first).replace("|", "&#124;") in row


def test_every_top_level_name_has_a_docstring():
    undocumented = [
        name for name in micrograd_plus.__all__ if not getattr(micrograd_plus, name).__doc__
    ]
    assert undocumented == []
