"""Tests for cvhelpers.course.run_times: the run-time record and the budget table."""

import json

import pytest

from cvhelpers.course import run_times
from cvhelpers.course.runner import NotebookRun


def _run(name, seconds=1.0):
    return NotebookRun(name, seconds, True, peak_memory_mib=10.0, finished_at="2026-01-01 00:00:00")


def test_every_course_notebook_has_a_budget_and_they_fit_the_course():
    from cvhelpers.paths import notebooks_dir

    names = {path.stem for path in notebooks_dir().glob("[0-9][0-9]_*.ipynb")}
    assert names == set(run_times.NOTEBOOK_BUDGETS_S)
    assert sum(run_times.NOTEBOOK_BUDGETS_S.values()) <= run_times.COURSE_BUDGET_S


def test_budget_table_marks_the_notebooks_over_budget_and_the_total(tmp_path):
    run_times.save(tmp_path, [_run("03_resampling", 384.0), _run("08_evaluation", 28.0)])
    times = run_times.load(tmp_path / "run_times.json")
    table = run_times.budget_table(times)
    assert list(table.index) == ["03_resampling", "08_evaluation", "total"]
    assert table.loc["03_resampling", "budget_s"] == 300 and not table.loc["03_resampling", "within_budget"]
    assert table.loc["03_resampling", "share_of_budget"] == pytest.approx(1.28)
    assert table.loc["08_evaluation", "within_budget"]
    assert table.loc["total", "seconds"] == pytest.approx(412.0) and table.loc["total", "budget_s"] == 1500
    assert run_times.over_budget(times) == ["03_resampling: 384 s, over its budget of 300 s"]


def test_no_budget_outside_the_course_profile_or_for_an_unknown_notebook(tmp_path):
    run_times.save(tmp_path, [_run("03_resampling", 900.0)], profile="full")
    run_times.save(tmp_path, [_run("09_mine", 50.0)])
    table = run_times.budget_table(run_times.load(tmp_path / "run_times.json"))
    assert table["budget_s"].isna().all() and table["within_budget"].isna().all()
    assert run_times.over_budget(run_times.load(tmp_path / "run_times.json")) == []
    with pytest.raises(TypeError, match="times must be a dict"):
        run_times.budget_table([1.0])


def test_corrupt_run_times_are_moved_aside_and_replaced(tmp_path):
    path = tmp_path / "run_times.json"
    path.write_text('{"00_a": {"seconds": 1.0,')
    with pytest.warns(UserWarning, match="run_times.json.*moved it to .*run_times.json.corrupt$"):
        run_times.save(tmp_path, [_run("01_b")])
    assert (tmp_path / "run_times.json.corrupt").read_text() == '{"00_a": {"seconds": 1.0,'
    assert set(json.loads(path.read_text())) == {"01_b"}


def test_corrupt_run_times_do_not_overwrite_an_earlier_corrupt_copy(tmp_path):
    path = tmp_path / "run_times.json"
    (tmp_path / "run_times.json.corrupt").write_text("older")
    path.write_text("[1, 2]")  # valid JSON, wrong shape
    with pytest.warns(UserWarning, match="run_times.json.corrupt-1"):
        run_times.save(tmp_path, [_run("00_a")])
    assert (tmp_path / "run_times.json.corrupt").read_text() == "older"
    assert (tmp_path / "run_times.json.corrupt-1").read_text() == "[1, 2]"
    assert set(json.loads(path.read_text())) == {"00_a"}
