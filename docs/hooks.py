"""MkDocs hooks: the pages made from files that live elsewhere in the repository.

One fact in one place: the getting-started guide *is* the README (one page per ``##``
section), the notebook pages are the stored notebooks, the API reference is one page per
public module (mkdocstrings reads the docstrings), the table of primitives on the design page
is read from ``ops.PRIMITIVES``, and the changelog and contributing guide are the files at
the repository's root. Nothing here is copied into ``docs/``; the navigation is built from
what exists, so a new notebook, README section or module gets its page without an edit here.
"""

from __future__ import annotations

import functools
import html
import importlib
import re
import sys
import types
from pathlib import Path
from typing import Any

from markdown.extensions.toc import slugify
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "micrograd_plus"
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
ROOT_FILES = {"CHANGELOG.md": "changelog.md", "CONTRIBUTING.md": "contributing.md"}


# --- the README, cut into pages -----------------------------------------------------------------


@functools.cache
def readme_pages() -> tuple[str, list[tuple[str, str, str]]]:
    """(the README's introduction, [(page path, title, markdown)] for each ``##`` section)."""
    intro: list[str] = []
    sections: list[list[str]] = []
    fenced = False
    for line in (ROOT / "README.md").read_text("utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            intro.append(line)
    pages = []
    for number, lines in enumerate(sections, start=1):
        title = lines[0][3:].strip()
        path = f"guide/{number:02d}-{slugify(title.replace('`', ''), '-')}.md"
        body = "\n".join(["# " + title, *lines[1:]])
        pages.append((path, title, body))
    return "\n".join(intro), pages


def readme_anchor_pages() -> dict[str, str]:
    """Heading anchor -> the guide page holding it (README links to its own headings)."""
    owners = {}
    for path, _, body in readme_pages()[1]:
        for heading in re.findall(r"^#+ (.+)$", body, re.M):
            owners.setdefault(slugify(heading.replace("`", ""), "-"), path)
    return owners


def relink(markdown: str, page: str) -> str:
    """Rewrite links written relative to the repository root as links relative to ``page``."""
    up = "../" * page.count("/")

    def fix(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"[a-z]+:", target):
            return match.group(0)  # http:, mailto: ...
        if target.startswith("#"):
            owner = readme_anchor_pages().get(target[1:])
            if owner and owner != page and page.startswith("guide/"):
                target = up + owner + target
        elif target.startswith("docs/"):
            target = up + target[len("docs/") :]
        elif target.startswith("notebooks/"):
            target = up + target
        elif target in ROOT_FILES:
            target = up + ROOT_FILES[target]
        return match.group(1) + target + match.group(3)

    return LINK.sub(fix, markdown)


# --- the generated files and the navigation ------------------------------------------------------


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def public_modules() -> list[str]:
    """Every module of the package whose dotted name has no part starting with ``_``."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if not any(part.startswith("_") for part in parts) and len(parts) > 1:
            names.append(".".join(parts))
    return names


def import_checkout(name: str) -> Any:
    """Import ``name`` from this checkout (the package that mkdocstrings documents)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(name)


def api_index() -> str:
    """The top-level names, each linked to where it is documented."""
    micrograd_plus = import_checkout("micrograd_plus")

    rows = []
    for name in micrograd_plus.__all__:
        obj = getattr(micrograd_plus, name)
        if isinstance(obj, types.ModuleType):
            where, summary = obj.__name__, (obj.__doc__ or "").strip().splitlines()[0]
        else:
            where = f"{obj.__module__}.{obj.__qualname__}"
            summary = (obj.__doc__ or "").strip().splitlines()[0] if obj.__doc__ else ""
        rows.append(f"| [`{name}`][{where}] | {summary.replace('|', '&#124;')} |")
    modules = "\n".join(f"- [`{m}`]({m}.md)" for m in public_modules())
    return "\n".join(
        [
            "# API reference",
            "",
            "::: micrograd_plus",
            "    options:",
            "      members: false",
            "      show_root_heading: false",
            "",
            "## The names `micrograd_plus` exports",
            "",
            "| name | what it is |",
            "|---|---|",
            *rows,
            "",
            "## Modules",
            "",
            modules,
            "",
        ]
    )


NEXT_STEPS = """
## Where to go next

- [Getting started]({first}): install, run the demo, then the README's tour, one page per topic.
- [Design](design.md): the table of primitives and the three ways it runs.
- [Notebooks](notebooks/01_values_and_the_chain_rule.ipynb): the course, with its outputs.
- [API reference](api/index.md): every public name, from its docstring.
"""


def generated_pages() -> dict[str, str]:
    """Page path -> markdown, for every page made here."""
    intro, sections = readme_pages()
    pages = {"index.md": relink(intro, "index.md") + NEXT_STEPS.format(first=sections[0][0])}
    for path, _, body in sections:
        pages[path] = relink(body, path)
    for source, page in ROOT_FILES.items():
        pages[page] = relink((ROOT / source).read_text("utf-8"), page)
    pages["api/index.md"] = api_index()
    for module in public_modules():
        pages[f"api/{module}.md"] = "\n".join(
            [
                f"# `{module}`",
                "",
                f"::: {module}",
                "    options:",
                "      show_root_heading: false",
                "",
            ]
        )
    return pages


def on_config(config: Any) -> Any:
    _, sections = readme_pages()
    config["nav"] = [
        {"Home": "index.md"},
        {"Getting started": [{title.replace("`", ""): path} for path, title, _ in sections]},
        {"Design": "design.md"},
        {"Notebooks": [f"notebooks/{path.name}" for path in notebooks()]},
        {
            "API reference": [
                {"Overview": "api/index.md"},
                *({m.removeprefix("micrograd_plus."): f"api/{m}.md"} for m in public_modules()),
            ]
        },
        {"Changelog": "changelog.md"},
        {"Contributing": "contributing.md"},
    ]
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns notebooks into pages
def on_files(files: Files, config: Any) -> Files:
    for path, markdown in generated_pages().items():
        files.append(File.generated(config, path, content=markdown))
    for path in notebooks():
        # A real file whose source folder is the repository root (mkdocs-jupyter reads it there).
        src = f"notebooks/{path.name}"
        files.append(File(src, str(ROOT), config["site_dir"], config["use_directory_urls"]))
    return files


# --- the design page's table of primitives, read from ops.PRIMITIVES -----------------------------


def primitives_table() -> str:
    ops = import_checkout("micrograd_plus.ops")
    VARIADIC, PRIMITIVES = ops.VARIADIC, ops.PRIMITIVES

    def cell(text: str) -> str:
        return f"<code>{html.escape(text).replace('|', '&#124;')}</code>" if text else ""

    rows = ["| op | shown as | inputs | computes | gradient rule (g = upstream gradient) |"]
    rows.append("|---|---|---|---|---|")
    for p in PRIMITIVES.values():
        # a variadic op has one rule for every input, or one per leading input + the others
        count = len(p.local_grads) if p.arity == VARIADIC else p.arity
        rules = ["constant" if i in p.const_inputs else p.rule_text(i) for i in range(count)]
        arity = "any number" if p.arity == VARIADIC else str(p.arity)
        if p.arity != VARIADIC:
            labels = "ab" if count > 1 else [""]
        else:
            labels = ["each input"] if count == 1 else [*range(1, count), "the others"]
        rule_cells = "; ".join(
            f"{label if isinstance(label, str) else f'input {label}'}: {cell(r)}"
            if label
            else cell(r)
            for label, r in zip(labels, rules)
        )
        rows.append(
            f"| {cell(p.name)} | {cell(p.symbol)} | {arity} | {p.doc.replace('|', '&#124;')} "
            f"| {rule_cells} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if "<!-- primitives table -->" in markdown:
        markdown = markdown.replace("<!-- primitives table -->", primitives_table())
    return markdown
