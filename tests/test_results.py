import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from cvhelpers.course import results


def test_record_writes_json_and_merges(tmp_path):
    assert results.record("04_losses", {"acc": np.float32(0.5), "counts": np.arange(3)}, directory=tmp_path) is None
    path = results.record_path("04_losses", directory=tmp_path)
    assert path == tmp_path / "04_losses.json"
    results.record("04_losses", {"f1": 0.25, "nan": float("nan")}, directory=tmp_path)
    saved = json.loads(path.read_text())
    assert saved["acc"] == 0.5 and saved["counts"] == [0, 1, 2] and saved["f1"] == 0.25
    assert saved["nan"] is None
    results.record("04_losses", {"only": 1}, directory=tmp_path, merge=False)
    assert "acc" not in results.load("04_losses", tmp_path)
    assert list(results.load_all(tmp_path)) == ["04_losses"]


def test_record_uses_environment_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("CVLAB_RESULTS_DIR", str(tmp_path / "elsewhere"))
    results.record("x", {"a": 1})
    assert (tmp_path / "elsewhere" / "x.json").is_file()


def test_bad_names_and_values_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="name"):
        results.record("../escape", {"a": 1}, directory=tmp_path)
    with pytest.raises(TypeError, match="dict"):
        results.record("ok", [1, 2], directory=tmp_path)
    with pytest.raises(TypeError, match="cannot record"):
        results.record("ok", {"a": object()}, directory=tmp_path)


def test_interrupted_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    results.record("run", {"a": 1}, directory=tmp_path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        results.record("run", {"a": 2}, directory=tmp_path)
    assert results.load("run", tmp_path)["a"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_written_files_get_normal_permissions(tmp_path):
    path = results.atomic_write_text(tmp_path / "f.txt", "hi")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_figure_writes_png(tmp_path):
    figure, ax = plt.subplots()
    ax.plot([0, 1])
    assert results.save_figure("01_eda", "curve", figure, directory=tmp_path) is None  # no path as a cell's output
    plt.close(figure)
    path = results.figure_path("01_eda", "curve", directory=tmp_path)
    assert path == tmp_path / "01_eda" / "curve.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gather_methods_marks_missing_notebooks():
    records = {
        "03_resampling": {"profile": "full", "seed": 1, "_provenance": {"dataset": {"name": "stamps"}},
                          "methods": {"ce": {"balanced_accuracy": 0.8}, "ros": {"balanced_accuracy": 0.86}}},
        "00_setup_and_data": {"counts": {}},
    }
    table = results.gather_methods(records, expected=("02_augmentation", "03_resampling"))
    assert table["method"].tolist() == ["—", "ce", "ros"]
    assert table["status"].tolist() == ["missing: run notebook 02", "recorded", "recorded"]
    assert table.loc[2, "balanced_accuracy"] == 0.86
    assert table.loc[2, "profile"] == "full" and table.loc[2, "seed"] == 1 and table.loc[2, "dataset"] == "stamps"


def test_load_all_skips_files_that_are_not_records_and_names_them(tmp_path):
    results.record("03_resampling", {"a": 1}, directory=tmp_path)
    copy = tmp_path / "03_resampling (1).json"
    copy.write_text('{"a": 2}')
    with pytest.warns(UserWarning, match=r"03_resampling \(1\)\.json"):
        loaded = results.load_all(tmp_path)
    assert list(loaded) == ["03_resampling"] and loaded["03_resampling"]["a"] == 1
    assert copy.read_text() == '{"a": 2}'  # a user's file is left as it is


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "\udcff"])
def test_a_corrupt_record_is_moved_aside_and_named(tmp_path, content):
    results.record("02_augmentation", {"a": 1}, directory=tmp_path)
    broken = tmp_path / "04_class_weights.json"
    broken.write_text(content, errors="surrogateescape")
    with pytest.warns(UserWarning, match="04_class_weights.json") as caught:
        loaded = results.load_all(tmp_path)
    assert list(loaded) == ["02_augmentation"]
    aside = tmp_path / "04_class_weights.json.corrupt"
    assert str(aside) in str(caught[0].message) and not broken.exists()
    assert aside.read_bytes() == content.encode(errors="surrogateescape")  # kept, byte for byte
    broken.write_text("{also broken")
    with pytest.warns(UserWarning, match="corrupt-1"):
        results.load_all(tmp_path)
    assert (tmp_path / "04_class_weights.json.corrupt-1").read_text() == "{also broken"


def test_load_of_a_corrupt_record_names_the_file(tmp_path):
    (tmp_path / "05_x.json").write_text("{")
    with pytest.raises(ValueError, match=r"05_x\.json is not valid JSON"):
        results.load("05_x", tmp_path)
    (tmp_path / "06_x.json").write_text("[]")
    with pytest.raises(ValueError, match=r"06_x\.json holds a JSON list"):
        results.load("06_x", tmp_path)


def test_recording_over_a_corrupt_record_keeps_the_old_file_beside(tmp_path):
    (tmp_path / "07_x.json").write_text("{half")
    with pytest.warns(UserWarning, match="07_x.json.corrupt"):
        results.record("07_x", {"b": 2}, directory=tmp_path)
    assert results.load("07_x", tmp_path)["b"] == 2
    assert (tmp_path / "07_x.json.corrupt").read_text() == "{half"


def test_record_names_must_match_entirely():
    for name in ("03_resampling\n", "03 resampling", "", "../x", "-x"):
        with pytest.raises(ValueError, match="name must be"):
            results.record_path(name, "/tmp")


def test_keys_that_would_collide_are_refused():
    with pytest.raises(ValueError, match=r"keys '1' and '1'|keys 1 and '1'"):
        results.to_jsonable({1: "a", "1": "b"})
    assert results.to_jsonable({1: "a", 2: {"x": 3}}) == {"1": "a", "2": {"x": 3}}


def test_load_all_refuses_a_file_in_place_of_the_folder_and_names_it(tmp_path):
    (tmp_path / "results").write_text("")
    with pytest.raises(NotADirectoryError, match="directory must be a folder"):
        results.load_all(tmp_path / "results")
    assert results.load_all(tmp_path / "missing") == {}


def test_figure_path_names_the_bad_argument(tmp_path):
    with pytest.raises(ValueError, match="^key must be"):
        results.figure_path("03_resampling", "a/b", tmp_path)
    with pytest.raises(TypeError, match="figure must be a Matplotlib figure"):
        results.save_figure("03_resampling", "bars", None, tmp_path)
    assert not (tmp_path / "03_resampling").exists()


def test_move_aside_never_replaces_a_dangling_link(tmp_path):
    broken = tmp_path / "03_resampling.json"
    broken.write_text("{")
    (tmp_path / "03_resampling.json.corrupt").symlink_to(tmp_path / "gone")
    aside = results.move_aside(broken)
    assert aside.name == "03_resampling.json.corrupt-1" and aside.read_text() == "{"
    assert (tmp_path / "03_resampling.json.corrupt").is_symlink()
