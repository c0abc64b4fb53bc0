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
        "03_resampling": {"profile": "full", "seed": 1,
                          "methods": {"ce": {"balanced_accuracy": 0.8}, "ros": {"balanced_accuracy": 0.86}}},
        "00_setup_and_data": {"counts": {}},
    }
    table = results.gather_methods(records, expected=("02_augmentation", "03_resampling"))
    assert table["method"].tolist() == ["—", "ce", "ros"]
    assert table["status"].tolist() == ["missing: run notebook 02", "recorded", "recorded"]
    assert table.loc[2, "balanced_accuracy"] == 0.86
    assert table.loc[2, "profile"] == "full" and table.loc[2, "seed"] == 1
