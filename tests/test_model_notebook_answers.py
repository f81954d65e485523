"""The model notebooks (14-18) keep their worked answers in one ``answer(n)`` function that
the stored notebook defines but does not call; here every answer is run once, after the
notebook itself, so none can crash or drift from the code above it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MODEL_NOTEBOOKS = sorted(NOTEBOOKS.glob("1[4-8]_*.ipynb"))


def _answer_numbers(nb) -> list[int]:
    text = "\n".join(cell.source for cell in nb.cells)
    return sorted({int(n) for n in re.findall(r"answer\((\d)\)", text)})


def test_the_five_model_notebooks_are_found():
    assert len(MODEL_NOTEBOOKS) == 5


@pytest.mark.parametrize("path", MODEL_NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_answer_of_a_model_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    numbers = _answer_numbers(nb)
    assert numbers, f"{path.name} has no answer(n)"
    for n in numbers:
        nb.cells.append(nbformat.v4.new_code_cell(f"answer({n})"))
    client = nbclient.NotebookClient(
        nb, timeout=600, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    for cell in nb.cells[-len(numbers) :]:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, (
            f"{path.name}: {cell.source} raised {errors[0].ename}: {errors[0].evalue}"
        )
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert printed.strip(), f"{path.name}: {cell.source} printed nothing"
        assert "there are" not in printed, f"{path.name}: {cell.source} is not a known answer"
