"""Shared by the make_NN.py generators: write a notebook from a list of cells, optionally run it.

    python notebooks/build/make_NN.py             # cells only, no outputs
    python notebooks/build/make_NN.py --execute   # also run it and store the outputs

    python notebooks/build/make_NN.py --check     # exit 1 if the stored notebook's sources differ
    python notebooks/build/make_NN.py --markdown  # only the prose changed: keep the outputs

A generator's CELLS is a list of (kind, source) pairs: "md" for markdown, "code" for code,
"answer" for a code cell whose source starts collapsed, and "answer-run" for a code cell whose
output starts collapsed.  Every notebook ends the same way, built here so the course has one
interface: ``answers({n: (explanation, code)})`` gives an "Answers" section where ``answer(n)``
shows exercise n's explanation and code and then runs the code (each call is a cell of its own,
so running the notebook runs every answer: CI executes them all), and ``next_link(...)`` gives
the markdown link to the next notebook.
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
    if kind == "answer-run":
        metadata = {"collapsed": True, "jupyter": {"outputs_hidden": True}}
        return nbformat.v4.new_code_cell(source, metadata=metadata)
    raise ValueError(f"unknown cell kind {kind!r}: expected 'md', 'code', 'answer' or 'answer-run'")


ANSWER_FUNCTION = '''

def answer(n):
    """Show exercise n's explanation and code, then run the code in this notebook."""
    if n not in ANSWERS:
        raise ValueError(f"no exercise {n}: this notebook's exercises are {sorted(ANSWERS)}")
    explanation, code = ANSWERS[n]
    display(Markdown(f"**Answer {n}.** {explanation}\\n\\n```python\\n{code.strip()}\\n```"))
    exec(compile(code, f"<answer {n}>", "exec"), globals())'''


def answers(table: dict[int, tuple[str, str]]) -> list[tuple[str, str]]:
    """The "Answers" section: the collapsed definitions, then one ``answer(n)`` cell each.

    ``table`` maps an exercise number to (explanation in markdown, code).  The explanation
    states what the code shows; the code asserts the claims it can check, so an answer that
    crashes or contradicts its text fails the notebook's run.
    """
    lines = [
        "# answer(n) shows exercise n's explanation and code, then runs the code here.",
        "from IPython.display import Markdown, display",
        "",
        "ANSWERS = {}",
    ]
    for n, (explanation, code) in table.items():
        for text, quote in ((explanation, '"""'), (code, "'''")):
            if quote in text or text.rstrip().endswith("\\"):
                raise ValueError(f"answer {n}: its text may not hold {quote} or end in a backslash")
        lines.append(
            f'ANSWERS[{n}] = (\n    r"""{explanation.strip()}""",\n'
            f"    r'''\n{code.strip()}\n''',\n)"
        )
    calls = ", ".join(f"`answer({n})`" for n in table)
    intro = (
        "## Answers\n\nTry the exercises first. Each cell below runs one answer "
        f"({calls}); its output is collapsed: click it to see the explanation, the code "
        "and what the code prints."
    )
    cells = [("md", intro), ("answer", "\n".join(lines) + ANSWER_FUNCTION)]
    cells += [("answer-run", f"answer({n})") for n in table]
    return cells


def next_link(filename: str, title: str, teaser: str) -> tuple[str, str]:
    """The last cell of every notebook: a real link to the next one (tests check it exists)."""
    return ("md", f"**Next:** [{title}]({filename}): {teaser}")


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


def differences(stored: nbformat.NotebookNode, built: nbformat.NotebookNode) -> list[str]:
    """Where the stored notebook's cells (kind, source, collapsed state) differ from the built ones."""

    def shape(cell):
        hidden = cell.metadata.get("jupyter", {})
        return cell.cell_type, cell.source, dict(hidden)

    found = []
    if len(stored.cells) != len(built.cells):
        found.append(f"{len(stored.cells)} cells stored, {len(built.cells)} generated")
    for index, (old, new) in enumerate(zip(stored.cells, built.cells)):
        if shape(old) != shape(new):
            found.append(
                f"cell {index} differs: stored {old.source[:60]!r}, generated {new.source[:60]!r}"
            )
    return found


def update_markdown(target: Path, built: nbformat.NotebookNode) -> None:
    """Copy the generator's prose into the stored notebook, keeping every output.

    Refused when any code cell differs: new code needs a new run (``--execute``).
    """
    stored = nbformat.read(target, as_version=4)
    kinds = [(c.cell_type, c.source if c.cell_type == "code" else "") for c in stored.cells]
    if kinds != [(c.cell_type, c.source if c.cell_type == "code" else "") for c in built.cells]:
        raise SystemExit(f"{target.name}: code cells changed, run with --execute instead")
    for old, new in zip(stored.cells, built.cells):
        if old.cell_type == "markdown":
            old.source = new.source
    nbformat.write(stored, target)


def main(name: str, cells: list[tuple[str, str]]) -> None:
    target = NOTEBOOKS / name
    if "--markdown" in sys.argv[1:]:
        update_markdown(target, build(cells))
        print(f"updated the markdown cells of {target}")
        return
    if "--check" in sys.argv[1:]:
        found = differences(nbformat.read(target, as_version=4), build(cells))
        print("\n".join(found) or f"{name}: stored sources match the generator")
        sys.exit(1 if found else 0)
    nbformat.write(build(cells), target)
    if "--execute" in sys.argv[1:]:
        execute(target)
        shrink_images(target)
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")
