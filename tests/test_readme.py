"""Every Python example in the README runs as shown, top to bottom like a reader would."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_examples_run_in_order(tmp_path, monkeypatch):
    assert len(BLOCKS) >= 5, "the README lost its examples"
    monkeypatch.chdir(tmp_path)  # examples may write files (history.json, ...)
    namespace = {"__name__": "__readme__"}  # later examples build on earlier ones
    for index, block in enumerate(BLOCKS):
        exec(compile(block, f"README.md python block {index}", "exec"), namespace)
