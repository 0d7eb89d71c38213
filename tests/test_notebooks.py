"""Every notebook runs top to bottom at a small size (SPARKSIM_QUICK=1) and ends with its answer.

A notebook is stored without outputs, opens with its question (a markdown
cell), takes its sizes from a parameter cell that reads SPARKSIM_QUICK, and
its last code cell prints the answer in words, starting with ``Answer:``.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PROBLEM = re.compile(r"Traceback|Error|Warning")  # in stderr: a failure or a warning
NAN = re.compile(r"\bnan\b", re.IGNORECASE)  # a number that did not come out ("nano" is fine)


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_clean(path):
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells[0].cell_type == "markdown", "open with the question in words"
    assert any("SPARKSIM_QUICK" in cell.source for cell in code_cells(notebook))
    for cell in code_cells(notebook):
        assert not cell.outputs and cell.execution_count is None, "store without outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("SPARKSIM_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in code_cells(notebook) for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.get("text", "") for o in outputs
                     if o.output_type == "stream" and o.get("name") == "stderr")
    assert not PROBLEM.search(stderr), stderr
    answer = "".join(o.get("text", "") for o in code_cells(notebook)[-1].outputs
                     if o.output_type == "stream" and o.get("name") == "stdout")
    assert answer.startswith("Answer:"), answer
    assert not NAN.search(answer), answer
