"""Shared by the make_NN.py generators: write a notebook from a list of cells, optionally run it.

    python notebooks/build/make_NN.py             # cells only, no outputs
    python notebooks/build/make_NN.py --execute   # also run it and store the outputs

A generator's CELLS is a list of (kind, source) pairs: "md" for markdown, "code" for code,
and "answer" for an exercise answer (a code cell whose source starts collapsed).
``--execute`` runs ``jupyter nbconvert --execute --inplace`` and then stores each PNG with a
128-colour palette, which keeps plots legible at a third of the size.
"""

import base64
import io
import subprocess
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1]
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def make_cell(kind: str, source: str) -> nbformat.NotebookNode:
    if kind == "md":
        return nbformat.v4.new_markdown_cell(source)
    if kind == "code":
        return nbformat.v4.new_code_cell(source)
    if kind == "answer":
        return nbformat.v4.new_code_cell(source, metadata={"jupyter": {"source_hidden": True}})
    raise ValueError(f"unknown cell kind {kind!r}: expected 'md', 'code' or 'answer'")


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [make_cell(kind, source) for kind, source in cells]
    return nb


def execute(path: Path) -> None:
    command = ["jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace", str(path)]
    subprocess.run([sys.executable, "-m", *command], check=True)


def shrink_images(path: Path, colors: int = 128) -> None:
    """Re-encode every PNG output with a palette: plots use few colours, so nothing visible is lost."""
    from PIL import Image

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            image = Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB")
            buffer = io.BytesIO()
            image.quantize(colors=colors).save(buffer, format="PNG", optimize=True)
            output["data"]["image/png"] = base64.b64encode(buffer.getvalue()).decode("ascii")
    nbformat.write(nb, path)


def main(name: str, cells: list[tuple[str, str]]) -> None:
    target = NOTEBOOKS / name
    nbformat.write(build(cells), target)
    if "--execute" in sys.argv[1:]:
        execute(target)
        shrink_images(target)
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")
