import json

import nbformat
import pytest

from cvhelpers.course import runner


def _notebook(path, *cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# title")]
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        notebook.cells.append(cell)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


@pytest.fixture
def course(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    record = "from cvhelpers.course import results\nresults.record(NAME, {'seed': SEED, 'profile': PROFILE})"
    _notebook(folder / "00_a.ipynb", ("SEED = 0\nPROFILE = 'course'\nNAME = '00_a'", ["parameters"]), (record, None))
    _notebook(folder / "01_b.ipynb", ("SEED = 0\nPROFILE = 'course'\nNAME = '01_b'", ["parameters"]), (record, None))
    return folder


def test_runs_in_order_injects_parameters_and_writes_report(course, tmp_path, capsys):
    build = tmp_path / "build"
    runs = runner.run_notebooks(runner.find_notebooks(course), build, {"SEED": 3, "PROFILE": "full"})
    assert [r.name for r in runs] == ["00_a", "01_b"] and all(r.ok for r in runs)
    output = capsys.readouterr().out
    assert "[1/2] 00_a" in output and "[2/2] 01_b done in" in output
    recorded = json.loads((build / "results" / "01_b.json").read_text())
    assert recorded["seed"] == 3 and recorded["profile"] == "full"
    assert (build / "notebooks" / "00_a.ipynb").is_file() and (build / "notebooks" / "00_a.html").is_file()
    md, html = runner.write_report(build)
    text = md.read_text()
    assert "## Run times" in text and "00_a" in text and "01_b" in text and "## Versions" in text
    assert "<h2 id='results'>" in html.read_text()
    times = json.loads((build / "run_times.json").read_text())
    assert set(times) == {"00_a", "01_b"}


def test_stops_at_first_failure_and_shows_the_cell(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "00_bad.ipynb", ("SEED = 0", ["parameters"]), ("x = 1\nraise RuntimeError('boom here')", None))
    _notebook(folder / "01_never.ipynb", ("SEED = 0", ["parameters"]),)
    runs = runner.run_notebooks(runner.find_notebooks(folder), tmp_path / "build")
    assert len(runs) == 1 and not runs[0].ok
    err = capsys.readouterr().err
    assert "boom here" in err and "raise RuntimeError" in err
    assert not (tmp_path / "build" / "notebooks" / "01_never.ipynb").exists()


def test_selects_a_subset_by_prefix(course):
    assert [p.stem for p in runner.find_notebooks(course, ["01"])] == ["01_b"]
    with pytest.raises(ValueError, match="no notebook matches '07'"):
        runner.find_notebooks(course, ["07"])


def test_command_line_exit_codes(course, tmp_path):
    code = runner.main(
        ["--notebooks-dir", str(course), "--build-dir", str(tmp_path / "b"),
         "--notebooks", "00", "--param", "NAME='00_a'"]
    )
    assert code == 0
    assert (tmp_path / "b" / "report.html").is_file()
