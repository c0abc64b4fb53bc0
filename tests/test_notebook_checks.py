"""The checks on executed notebooks, on hand-built outputs (no kernel)."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cvhelpers.course import notebook_checks

PNG = "iVBORw0KGgo="


def _notebook(*cells):
    return new_notebook(cells=[new_markdown_cell("# t"), *cells])


def _figure_cell(images=1):
    outputs = [new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}) for _ in range(images)]
    return new_code_cell("figure = plots.bars(x)\nresults.save_figure(NAME, 'bars', figure)", outputs=outputs)


def test_clean_notebook_has_no_problems():
    printed = new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\n")])
    notebook = _notebook(_figure_cell(), printed)
    assert notebook_checks.check_outputs(notebook, expected_figures=1) == []
    assert notebook_checks.count_images(notebook) == 1


def test_figure_cell_without_an_image_is_named():
    problems = notebook_checks.check_outputs(_notebook(_figure_cell(images=0)), expected_figures=1)
    assert "cell 1: saves a figure but shows none inline" in [str(p) for p in problems]
    assert any("shows 0 images inline but saved 1" in str(p) for p in problems)


def test_a_figure_saved_in_a_branch_that_did_not_run_is_left_to_the_count():
    cell = new_code_cell("if FULL:\n    figure = plots.bars(x)\n    results.save_figure(NAME, 'bars', figure)")
    assert notebook_checks.check_outputs(_notebook(cell), expected_figures=0) == []
    assert [str(p) for p in notebook_checks.check_outputs(_notebook(cell), expected_figures=1)] == [
        "whole notebook: shows 0 images inline but saved 1 figures"]


def test_a_figure_shown_twice_is_caught_by_the_count():
    problems = notebook_checks.check_outputs(_notebook(_figure_cell(images=2)), expected_figures=1)
    assert [str(p) for p in problems] == ["whole notebook: shows 2 images inline but saved 1 figures"]


@pytest.mark.parametrize("text", [
    "PosixPath('/work/build/results/02_augmentation/gallery_colour.png')",
    "'/tmp/build/results/x.json'",
])
def test_a_path_as_output_is_a_problem(text):
    cell = new_code_cell(
        "results.record(...)", outputs=[new_output("execute_result", data={"text/plain": text}, execution_count=1)]
    )
    assert [p.cell for p in notebook_checks.check_outputs(_notebook(cell))] == [1]


def test_numbers_and_tables_are_not_paths():
    cell = new_code_cell(
        "x", outputs=[new_output("execute_result", data={"text/plain": "{'a': 0.81}"}, execution_count=1)]
    )
    assert notebook_checks.check_outputs(_notebook(cell)) == []


@pytest.mark.parametrize("text", [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    "E0000 00:00:1796305463.577030    2452 cuda_platform.cc:52] failed call to cuInit\n",
    "/tmp/ipykernel_1/1.py:2: UserWarning: deliberate\n",
])
def test_anything_on_stderr_is_a_problem(text):
    cell = new_code_cell("import tensorflow", outputs=[new_output("stream", name="stderr", text=text)])
    (problem,) = notebook_checks.check_outputs(_notebook(cell))
    assert problem.cell == 1 and "writes to stderr" in problem.message


def test_a_progress_bar_left_as_a_widget_is_a_problem():
    data = {
        "application/vnd.jupyter.widget-view+json": {"model_id": "x"},
        "text/plain": "training:   0%|          | 0/8",
    }
    cell = new_code_cell("fit(...)", outputs=[new_output("display_data", data=data)])
    (problem,) = notebook_checks.check_outputs(_notebook(cell))
    assert "progress bar" in problem.message


def test_browser_check_needs_an_existing_page(tmp_path):
    with pytest.raises(FileNotFoundError, match="html_path"):
        notebook_checks.check_html_in_browser(tmp_path / "missing.html")


def test_missing_chromium_fails_with_the_install_command(monkeypatch):
    monkeypatch.setattr(notebook_checks.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install chromium"):
        notebook_checks.find_chromium()


def test_browser_counts_images_in_a_notebook_html(tmp_path):
    import base64
    import io

    import matplotlib.pyplot as plt
    from nbconvert import HTMLExporter

    figure, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    good = base64.b64encode(buffer.getvalue()).decode()
    cells = [new_code_cell("a", outputs=[new_output("display_data", data={"image/png": good})]),
             new_code_cell("b", outputs=[new_output("display_data", data={"image/png": "AAAA"})])]
    badge = "<img alt='Open In Colab' src='https://colab.research.google.com/assets/colab-badge.svg'/>"
    body, _ = HTMLExporter().from_notebook_node(nbformat.from_dict(_notebook(*cells)))
    page = tmp_path / "n.html"
    page.write_text(body.replace("</body>", badge + "</body>"))
    state = notebook_checks.check_html_in_browser(page)
    assert (state.images, state.broken) == (2, 1)  # the remote badge (offline here) is not the page's


def test_checks_read_an_ipynb_path_and_refuse_anything_else(tmp_path):
    image = new_output("display_data", data={"image/png": "iVBO"})
    notebook = new_notebook(cells=[new_code_cell("1", outputs=[image])])
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    assert notebook_checks.count_images(path) == 1 == notebook_checks.count_images(str(path))
    assert notebook_checks.check_outputs(path, expected_figures=1) == []
    with pytest.raises(TypeError, match="notebook must be"):
        notebook_checks.count_images(["cells"])
    with pytest.raises(ValueError, match="expected_figures must be an int >= 0"):
        notebook_checks.check_outputs(notebook, expected_figures=-1)
