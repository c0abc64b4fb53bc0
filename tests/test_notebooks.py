"""The committed notebooks: no outputs, and the course's conventions."""

from pathlib import Path

import nbformat
import pytest

from cvhelpers.course import hosted

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_setup_and_data.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs"
            assert cell.execution_count is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_follows_the_conventions(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "starts with a title"
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    assert "env_param" in tagged[0].source, "parameters read CVLAB_* variables through env_param"
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "## What we saw" in markdown and "## Try next" in markdown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_names_itself_once_and_records_under_that_name(path):
    import re

    notebook = nbformat.read(path, as_version=4)
    # The first code cell, right after the title, is the set-up cell (tests/test_hosted.py checks it).
    assert notebook.cells[1].cell_type == "code" and notebook.cells[1].source == hosted.setup_cell_source(path.stem)
    code = [cell.source for cell in notebook.cells[2:] if cell.cell_type == "code"]
    assert f'NAME = "{path.stem}"' in code[0], "the first code cell after the set-up cell sets NAME to the file name"
    assert sum(source.count("NAME = ") for source in code) == 1
    # Records and figures go under NAME; a notebook reads another notebook's record by its name.
    for source in code:
        for call in re.findall(r"results\.(?:record|save_figure)\(([^,)]+)", source):
            assert call == "NAME", call
    setup = code[2] if len(code) > 2 else ""
    assert re.search(r"\b(notebook_params|experiment_from_params)\(NAME, PROFILE, SEED", setup), (
        "the cell after the parameters checks the profile, seeds and fills in the profile's defaults in one call")
