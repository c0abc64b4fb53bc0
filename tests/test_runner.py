import json
import re

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
    page = html.read_text()
    assert page.index("<h2 id='comparison'>") < page.index("<h2 id='notebooks'>") < page.index("<h2 id='run-times'>")
    assert "<h3 id='01_b'>01 · b</h3>" in page
    times = json.loads((build / "run_times.json").read_text())
    assert set(times) == {"00_a", "01_b"}


def test_a_tuple_parameter_arrives_as_a_sequence_of_values(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    record = "from cvhelpers.course import results\nresults.record('00_t', {'total': sum(GAMMAS)})"
    _notebook(folder / "00_t.ipynb", ("GAMMAS = (1.0,)", ["parameters"]), (record, None))
    runs = runner.run_notebooks(runner.find_notebooks(folder), tmp_path / "build", {"GAMMAS": (0.5, 2.0)})
    assert runs[0].ok, runs[0].error
    assert json.loads((tmp_path / "build" / "results" / "00_t.json").read_text())["total"] == 2.5


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


def _no_execution(*args, **kwargs):
    raise AssertionError("a notebook was executed")


@pytest.mark.parametrize(
    "name",
    [
        "A;B",  # code, not a name
        "\uff33\uff25\uff25\uff24",  # fullwidth SEED: Python would normalise it to SEED
        "\u00df",  # sharp s: upper() gives the ASCII name SS
        "1A",
        "",
    ],
)
def test_param_name_must_be_an_ascii_identifier(course, tmp_path, monkeypatch, capsys, name):
    monkeypatch.setattr(runner, "run_notebooks", _no_execution)
    with pytest.raises(SystemExit) as exit_info:
        runner.main(["--notebooks-dir", str(course), "--build-dir", str(tmp_path / "b"), "--param", f"{name}=1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--param" in err and repr(name) in err and "not a parameter name" in err
    assert not (tmp_path / "b").exists()


def test_param_must_be_declared_in_a_selected_notebook(course, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "run_notebooks", _no_execution)
    with pytest.raises(SystemExit) as exit_info:
        runner.main(["--notebooks-dir", str(course), "--build-dir", str(tmp_path / "b"), "--param", "epochs=3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--param" in err and "'EPOCHS' is not declared" in err and "declared: NAME, PROFILE, SEED" in err


def test_declared_parameters_reads_assignments_of_the_parameters_cell(tmp_path):
    path = tmp_path / "00_p.ipynb"
    _notebook(
        path,
        ("%matplotlib inline\nP, K = 1, 2\nSTEPS: int = 3\nD.attr = 4\nprint(X)", ["parameters"]),
        ("OTHER = 1", None),
    )
    assert runner.declared_parameters(path) == {"P", "K", "STEPS"}
    runner.check_parameters([path], ["P", "STEPS"])
    with pytest.raises(ValueError, match="'OTHER' is not declared.*declared: K, P, STEPS"):
        runner.check_parameters([path], ["OTHER"])


def _run(name):
    return runner.NotebookRun(name, 1.0, True, peak_memory_mib=10.0, finished_at="2026-01-01 00:00:00")


def test_report_with_corrupt_run_times_warns_and_still_writes(tmp_path):
    (tmp_path / "run_times.json").write_text('{"00_a": {"ok": true}}')  # no seconds
    with pytest.warns(UserWarning, match=re.escape(str(tmp_path / "run_times.json"))):
        md, _ = runner.write_report(tmp_path)
    assert "No run times recorded" in md.read_text() and "## Versions" in md.read_text()
    assert (tmp_path / "run_times.json.corrupt").read_text() == '{"00_a": {"ok": true}}'


def test_data_dir_runs_the_notebooks_that_take_it_into_their_own_build_folder(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    record = "from cvhelpers.course import results\nresults.record(NAME, {'data_dir': DATA_DIR})"
    _notebook(folder / "00_a.ipynb", ("NAME = '00_a'", ["parameters"]),
              (record.replace(", {'data_dir': DATA_DIR}", ", {}"), None))
    _notebook(folder / "01_b.ipynb", ("NAME = '01_b'\nDATA_DIR = ''", ["parameters"]), (record, None))
    pets = tmp_path / "pets"
    (pets / "cats").mkdir(parents=True)
    build = tmp_path / "build"
    assert runner.main(["--notebooks-dir", str(folder), "--build-dir", str(build), "--data-dir", str(pets)]) == 0
    assert "On the folder" in capsys.readouterr().out
    recorded = json.loads((build / "folders" / "pets" / "results" / "01_b.json").read_text())
    assert recorded["data_dir"] == str(pets.resolve()) and recorded["_provenance"]["dataset"]["name"] == "pets"
    assert not (build / "folders" / "pets" / "results" / "00_a.json").exists() and not (build / "results").exists()
    assert (build / "folders" / "pets" / "report.html").is_file()


def test_data_dir_refuses_a_missing_folder_and_a_notebook_that_does_not_take_it(course, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "run_notebooks", _no_execution)
    for extra, said in ((["--data-dir", str(tmp_path / "nope")], "must be a folder"),
                        (["--data-dir", str(tmp_path), "--notebooks", "00"], "00_a run on the course's own data")):
        with pytest.raises(SystemExit) as exit_info:
            runner.main(["--notebooks-dir", str(course), "--build-dir", str(tmp_path / "b"), *extra])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "--data-dir" in err and said in err
    assert not (tmp_path / "b").exists()
