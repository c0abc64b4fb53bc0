"""Tests for cvhelpers.course.provenance and the provenance that records and reports carry."""

import json
import subprocess
import sys

from cvhelpers.course import provenance as prov
from cvhelpers.course import results


def test_provenance_names_the_commit_machine_and_versions():
    info = prov.provenance()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=prov._ROOT, capture_output=True, text=True, check=False)
    if head.returncode == 0:
        assert info["commit"] == head.stdout.strip() and isinstance(info["dirty"], bool)
    assert info["cores"] >= 1 and isinstance(info["cpu"], str) and info["python"].count(".") == 2
    assert info["date"].endswith("+00:00")
    json.dumps(info)  # plain JSON


def test_provenance_outside_a_work_tree_has_no_commit(tmp_path):
    info = prov.provenance(tmp_path)
    assert info["commit"] is None and info["dirty"] is None


def test_provenance_never_imports_tensorflow():
    code = ("import sys; from cvhelpers.course.provenance import provenance; info = provenance(); "
            "print('tensorflow' in sys.modules, info['gpus'], info['tensorflow'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "None", "None"]


def test_records_and_reports_carry_provenance(tmp_path):
    results.record("03_resampling", {"profile": "course"}, directory=tmp_path)
    recorded = results.load("03_resampling", directory=tmp_path)
    assert recorded["profile"] == "course" and set(recorded["_provenance"]) >= {"commit", "cpu", "cores", "gpus"}
    path = results.save_report(tmp_path / "bench" / "speed.json", {"ratio": 0.5})
    saved = json.loads(path.read_text())
    assert saved["ratio"] == 0.5 and saved["_provenance"]["cores"] >= 1


def test_the_benchmark_table_says_where_each_report_came_from(load_script):
    run_all = load_script("benchmarks/run_all.py")
    assert run_all._origin(None) == "(no provenance recorded)"
    line = run_all._origin({"commit": "abcdef1234567", "dirty": True, "cpu": "AMD EPYC", "cores": 2, "date": "d"})
    assert line == "abcdef1234 with changes, AMD EPYC, 2 cores, d"


def test_records_name_the_profile_seed_and_dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("CVLAB_PROFILE", "full")
    monkeypatch.setenv("CVLAB_SEED", "2")
    monkeypatch.delenv("CVLAB_DATA_DIR", raising=False)
    info = prov.provenance()
    assert (info["profile"], info["seed"]) == ("full", 2)
    assert info["dataset"]["name"] == "fashion-mnist-lt" and len(info["dataset"]["manifest_sha256"]) == 64


def test_a_folder_identity_changes_with_its_files_and_ignores_hidden_ones(tmp_path):
    for name in ("cat/a.png", "dog/b.png", "dog/.hidden.png"):
        (tmp_path / "my images" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "my images" / name).write_bytes(b"x")
    first = prov.dataset_identity(tmp_path / "my images")
    assert first["name"] == "my images"
    (tmp_path / "my images" / "dog" / ".hidden.png").write_bytes(b"xyz")
    assert prov.dataset_identity(tmp_path / "my images") == first
    (tmp_path / "my images" / "dog" / "b.png").write_bytes(b"xy")
    assert prov.dataset_identity(tmp_path / "my images") != first
    assert prov.dataset_identity(tmp_path / "missing")["manifest_sha256"] is None


def test_a_report_that_names_its_data_keeps_it_in_its_provenance(tmp_path, monkeypatch):
    monkeypatch.delenv("CVLAB_DATA_DIR", raising=False)
    folder = {"name": "stamps", "manifest_sha256": "ab" * 32}
    saved = json.loads(results.save_report(tmp_path / "fit.json", {"dataset": folder, "best": "ce"}).read_text())
    assert saved["_provenance"]["dataset"] == folder
    plain = json.loads(results.save_report(tmp_path / "bench.json", {"ratio": 1.0}).read_text())
    assert plain["_provenance"]["dataset"]["name"] == "fashion-mnist-lt"
