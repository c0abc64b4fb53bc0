from pathlib import Path

import pytest

from cvhelpers import cache, paths
from cvhelpers.course import results
from cvhelpers.data import glyphs

CHECKOUT = Path(__file__).resolve().parent.parent


def _fake_package(tmp_path, pyproject: bool, notebooks: bool) -> Path:
    root = tmp_path / "root"
    (root / "cvhelpers").mkdir(parents=True)
    if pyproject:
        (root / "pyproject.toml").write_text("[project]\n")
    if notebooks:
        (root / "notebooks").mkdir()
    return root


def test_the_tests_run_in_a_checkout():
    assert paths.project_root() == CHECKOUT
    assert paths.build_dir() == CHECKOUT / "build"
    assert paths.data_dir() == CHECKOUT / "data"
    assert paths.notebooks_dir() == CHECKOUT / "notebooks"


@pytest.mark.parametrize(
    "pyproject, notebooks, inside",
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_one_rule_for_a_checkout(tmp_path, monkeypatch, pyproject, notebooks, inside):
    root = _fake_package(tmp_path, pyproject, notebooks)
    monkeypatch.setattr(paths, "_PACKAGE_DIR", root / "cvhelpers")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    base = root if inside else work
    assert paths.project_root() == (root if inside else None)
    assert paths.build_dir() == base / "build"
    assert paths.data_dir() == base / "data"
    assert paths.notebooks_dir() == base / "notebooks"


def test_the_folders_of_each_module_follow_the_rule(tmp_path, monkeypatch):
    for name in ("CVLAB_RESULTS_DIR", "CVLAB_MODEL_CACHE", "CVLAB_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    root = _fake_package(tmp_path, pyproject=True, notebooks=True)
    monkeypatch.setattr(paths, "_PACKAGE_DIR", root / "cvhelpers")
    assert results.results_dir() == root / "build" / "results"
    assert cache.default_cache_dir() == root / "build" / "models"
    assert glyphs.default_cache_dir() == root / "data" / "cache"

    # An installed package: the build folder is under the current folder, glyphs go to ~/.cache.
    installed = tmp_path / "site-packages"
    (installed / "cvhelpers").mkdir(parents=True)
    monkeypatch.setattr(paths, "_PACKAGE_DIR", installed / "cvhelpers")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert results.results_dir() == tmp_path / "build" / "results"
    assert cache.default_cache_dir() == tmp_path / "build" / "models"
    assert glyphs.default_cache_dir() == tmp_path / "home" / ".cache" / "cvlab"


def test_the_environment_overrides_stay_with_their_modules(tmp_path, monkeypatch):
    monkeypatch.setenv("CVLAB_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("CVLAB_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("CVLAB_CACHE_DIR", str(tmp_path / "glyphs"))
    assert results.results_dir() == tmp_path / "results"
    assert cache.default_cache_dir() == tmp_path / "models"
    assert glyphs.default_cache_dir() == tmp_path / "glyphs"
