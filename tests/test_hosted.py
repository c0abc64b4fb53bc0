"""Tests for cvhelpers.course.hosted: the Colab badges, the set-up cell and what it runs on a hosted runtime.

Nothing here installs anything or reaches a network: the hosted runtime is
Colab's environment variable, pip and apt-get are fake runners.
"""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cvhelpers.course import hosted

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
COLAB = {"COLAB_RELEASE_TAG": "release-colab_20261201-060000_RC00"}


def test_colab_url_and_badge_name_the_notebook_and_the_repository():
    url = "https://colab.research.google.com/github/cvlab/cvlab/blob/main/notebooks/03_resampling.ipynb"
    for notebook in ("03_resampling", "03_resampling.ipynb", ROOT / "notebooks" / "03_resampling.ipynb"):
        assert hosted.colab_url(notebook) == url
    assert hosted.badge_markdown("03_resampling") == f"[![Open In Colab]({hosted.BADGE_IMAGE})]({url})"
    assert hosted.colab_url("00_setup_and_data", "someone/fork", "dev").startswith(
        "https://colab.research.google.com/github/someone/fork/blob/dev/notebooks/00_setup_and_data")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_its_badge_and_the_set_up_cell(path):
    notebook = nbformat.read(path, as_version=4)
    title, setup_cell = notebook.cells[0], notebook.cells[1]
    badges = [line for line in title.source.splitlines() if "colab-badge.svg" in line]
    assert badges == [hosted.badge_markdown(path.stem)]
    assert f"/{hosted.REPOSITORY}/blob/{hosted.BRANCH}/notebooks/{path.name})" in badges[0]
    assert title.source.startswith("# ") and title.source.splitlines()[1:3] == ["", badges[0]]
    assert setup_cell.cell_type == "code" and setup_cell.source == hosted.setup_cell_source(path.stem)
    assert "parameters" not in setup_cell.metadata.get("tags", [])
    assert len(setup_cell.source.splitlines()) <= 12, "the set-up cell stays short"


def test_badges_are_current_and_rewriting_is_idempotent(tmp_path):
    for path in NOTEBOOKS:
        shutil.copy(path, tmp_path / path.name)
    assert hosted.write_badges(tmp_path) == []
    # Another repository: only the badge line and the set-up cell change, and back again is byte-identical.
    changed = hosted.write_badges(tmp_path, "someone/fork", "dev")
    assert [path.name for path in changed] == [path.name for path in NOTEBOOKS]
    for path in NOTEBOOKS:
        before, after = json.loads(path.read_text(encoding="utf-8")), json.loads((tmp_path / path.name).read_text())
        assert "someone/fork" in "".join(after["cells"][0]["source"]) + "".join(after["cells"][1]["source"])
        assert after["cells"][2:] == before["cells"][2:] and after["metadata"] == before["metadata"]
    assert hosted.write_badges(tmp_path, "someone/fork", "dev") == []
    assert len(hosted.write_badges(tmp_path)) == len(NOTEBOOKS)
    for path in NOTEBOOKS:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")], "no temporary file is left"


def test_write_badges_adds_the_badge_and_the_cell_to_a_new_notebook(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 09 · New\n\nText."),
                                               nbformat.v4.new_code_cell('NAME = "09_new"')])
    nbformat.write(notebook, tmp_path / "09_new.ipynb")
    nbformat.write(notebook, tmp_path / "scratch.ipynb")  # not a course notebook: left alone
    scratch = (tmp_path / "scratch.ipynb").read_bytes()
    assert hosted.write_badges(tmp_path) == [tmp_path / "09_new.ipynb"]
    written = nbformat.read(tmp_path / "09_new.ipynb", as_version=4)
    nbformat.validate(written)
    assert written.cells[0].source == f"# 09 · New\n\n{hosted.badge_markdown('09_new')}\n\nText."
    assert written.cells[1].source == hosted.setup_cell_source("09_new")
    assert written.cells[2].source == 'NAME = "09_new"'
    assert (tmp_path / "scratch.ipynb").read_bytes() == scratch


def test_the_command_line_writes_the_badges(tmp_path, capsys):
    shutil.copy(NOTEBOOKS[0], tmp_path / NOTEBOOKS[0].name)
    assert hosted.main(["--badges", "--notebooks-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.startswith("0 notebooks rewritten")


def test_is_hosted_reads_colab_and_kaggle():
    assert not hosted.is_hosted({}, modules={})
    assert hosted.is_hosted(COLAB, modules={})
    assert hosted.is_hosted({"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, modules={})
    assert hosted.is_hosted({}, modules={"google.colab": object()})
    assert not hosted.is_hosted({"COLAB_RELEASE_TAG": ""}, modules={})


def test_setup_commands_install_the_pinned_versions_from_the_repository():
    assert hosted.setup_commands("03_resampling", environ={}, modules={}) == []
    pip, *rest = hosted.setup_commands("03_resampling", environ=COLAB, modules={})
    assert pip[:4] == [sys.executable, "-m", "pip", "install"] and rest == []
    assert pip[pip.index("-c") + 1] == "https://raw.githubusercontent.com/cvlab/cvlab/main/constraints.txt"
    assert pip[-1] == "cvhelpers @ git+https://github.com/cvlab/cvlab@main"  # no extra: see the next test
    glyphs = hosted.setup_commands("07_siamese_one_shot", environ=COLAB, modules={})
    assert glyphs[1] == ["apt-get", "update", "-q"] and glyphs[2][-1] == "fonts-noto-core"
    assert hosted.setup_commands("01_eda", environ=COLAB, modules={})[2][-1] == "tuxpaint-stamps-default"


def _distribution_closure(requirements, seen, extras=("",)) -> set:
    """The installed distributions that ``requirements`` (strings) pull in, with their own, by normalised name.

    ``extras`` are those requested of the distribution whose requirements these are (markers ``extra == ...``).
    """
    import importlib.metadata
    import re

    from packaging.requirements import Requirement

    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is not None and not any(requirement.marker.evaluate({"extra": e}) for e in extras):
            continue
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        wanted = (name, *sorted(requirement.extras))
        if wanted in seen:
            continue
        seen.add(wanted)
        try:
            needs = importlib.metadata.requires(requirement.name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        _distribution_closure(needs, seen, ("", *requirement.extras))
    return {name for name, *_ in seen}


def test_the_hosted_install_leaves_the_kernel_packages_of_the_runtime_alone():
    """Colab: "Upgrading ipython, ipykernel, tornado, prompt-toolkit or pyzmq can cause your runtime to crash".

    The set-up cell installs ``cvhelpers`` with ``constraints.txt``, which pins those (for ``make lab``); only
    what the install pulls in is pinned, so none of them may be a dependency of the package itself.
    """
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pulled = _distribution_closure(project["dependencies"], set())
    assert len(pulled) > 30, "the closure follows the dependencies' own requirements"
    assert {"numpy", "tensorflow", "keras"} <= pulled
    kernel = {"ipython", "ipykernel", "tornado", "prompt-toolkit", "pyzmq", "jupyter-client", "jupyter-server"}
    assert not kernel & pulled
    assert _distribution_closure(project["optional-dependencies"]["course"], set()) & kernel, "the extra has them"
    pip = hosted.setup_commands("00_setup_and_data", environ=COLAB, modules={})[0]
    assert pip[-1].startswith("cvhelpers @ ")


def test_importing_the_module_loads_no_library_that_the_install_may_replace():
    code = ("import sys; from cvhelpers.course import hosted; "
            "print(sorted(set(hosted._PREINSTALLED) & {name.split('.')[0] for name in sys.modules}))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert completed.stdout.strip() == "[]"


def _run_setup_cell(notebook, monkeypatch):
    """Execute the set-up cell of ``notebook`` with fake pip and fake setup; return (pip calls, setup calls)."""
    pip_calls, setup_calls = [], []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: pip_calls.append((command, kwargs)))
    monkeypatch.setattr(hosted, "setup", lambda *args, **kwargs: setup_calls.append(args))
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: None if name == "cvhelpers"
                        else find_spec(name, *rest))
    exec(compile(hosted.setup_cell_source(notebook), notebook, "exec"), {})
    return pip_calls, setup_calls


@pytest.mark.parametrize("sign", [*hosted.HOSTED_VARIABLES, "google.colab"])
def test_the_set_up_cell_runs_the_same_install_as_setup_commands(sign, monkeypatch):
    from types import ModuleType

    for name in hosted.HOSTED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert not hosted.is_hosted()
    assert _run_setup_cell("00_setup_and_data", monkeypatch) == ([], [("00_setup_and_data",)])
    if sign == "google.colab":
        monkeypatch.setitem(sys.modules, sign, ModuleType(sign))
    else:
        monkeypatch.setenv(sign, "1")
    pip_calls, setup_calls = _run_setup_cell("07_siamese_one_shot", monkeypatch)
    expected = hosted.setup_commands("07_siamese_one_shot")
    assert pip_calls == [(expected[0], {"check": True})] and setup_calls == [("07_siamese_one_shot",)]
    # Once cvhelpers is installed (the cell run again, or after a restart), pip is not run again.
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *rest: object())
    exec(compile(hosted.setup_cell_source("07_siamese_one_shot"), "cell", "exec"), {})
    assert len(pip_calls) == 1 and len(setup_calls) == 2


def test_setup_locally_prints_one_line_and_runs_nothing(capsys):
    def never(*args, **kwargs):
        raise AssertionError("nothing runs locally")

    assert hosted.setup("01_eda", environ={}, modules={}, run=never) == [hosted.LOCAL_LINE]
    assert capsys.readouterr().out == hosted.LOCAL_LINE + "\n"


def _missing_source(monkeypatch, tmp_path, notebook):
    """Make the Debian source of ``notebook`` missing: its path is a folder under ``tmp_path`` not made yet."""
    from cvhelpers.data import sources

    source = hosted._apt_source(notebook)
    missing = sources.OfflineSource(source.name, source.debian_package, str(tmp_path / source.name), source.used_by)
    monkeypatch.setattr(sources, "SOURCES", tuple(missing if s is source else s for s in sources.SOURCES))
    assert hosted._apt_source(notebook) is missing
    return tmp_path / source.name


@pytest.mark.parametrize("notebook, package", [("07_siamese_one_shot", "fonts-noto-core"),
                                               ("01_eda", "tuxpaint-stamps-default")])
def test_setup_installs_the_debian_package_as_root_and_says_what_to_run_otherwise(notebook, package, tmp_path,
                                                                                  monkeypatch):
    folder = _missing_source(monkeypatch, tmp_path, notebook)
    monkeypatch.setattr(hosted, "_photos_for_exif", lambda environ: [])
    monkeypatch.setattr(hosted.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(hosted.os, "geteuid", lambda: 0)
    ran = []

    def apt_get(command, check):
        ran.append(command)
        if command[1] == "install":
            folder.mkdir()

    lines = hosted.setup(notebook, environ=dict(COLAB), modules={}, run=apt_get)
    assert ran == hosted.setup_commands(notebook, environ=COLAB, modules={})[1:]
    assert ran[-1][-1] == package and any(f"from the Ubuntu package {package}" in line for line in lines)
    ran.clear()  # already there: no apt-get
    hosted.setup(notebook, environ=dict(COLAB), modules={}, run=apt_get)
    assert ran == []
    folder.rmdir()
    monkeypatch.setattr(hosted.os, "geteuid", lambda: 1000)
    lines = hosted.setup(notebook, environ=dict(COLAB), modules={}, run=apt_get)
    assert ran == [] and any(f"install it as root with `apt-get install {package}`" in line for line in lines)


def test_a_failed_apt_get_is_a_line_not_an_error(tmp_path, monkeypatch):
    _missing_source(monkeypatch, tmp_path, "01_eda")
    monkeypatch.setattr(hosted, "_photos_for_exif", lambda environ: [])
    monkeypatch.setattr(hosted.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(hosted.os, "geteuid", lambda: 0)

    def no_such_package(command, check):
        if command[1] == "install":
            raise subprocess.CalledProcessError(100, command)

    lines = hosted.setup("01_eda", environ=dict(COLAB), modules={}, run=no_such_package)
    [line] = [line for line in lines if "`apt-get install tuxpaint-stamps-default` failed" in line]
    assert line.endswith("set DATA_DIR in its parameters cell to a folder with one subfolder per class.")


def test_setup_fetches_the_photos_for_notebook_01_and_names_them(tmp_path, monkeypatch):
    fetched = []
    monkeypatch.setattr(hosted, "_install_with_apt", lambda source, commands, run: f"{source.name}: fake")
    monkeypatch.setattr(hosted, "photos_folder", lambda: tmp_path / "photos")
    monkeypatch.setattr(hosted, "_fetch_photos", lambda folder: fetched.append(folder))
    environ = dict(COLAB)
    lines = hosted.setup("01_eda", environ=environ, modules={}, run=print)
    assert fetched == [tmp_path / "photos"] and environ["CVLAB_EXIF_DIR"] == str(tmp_path / "photos")
    assert lines[1:] == ["tuxpaint-stamps: fake", f"EXIF photos: {tmp_path / 'photos'} (the OpenCV examples from "
                         f"{hosted.OPENCV_PHOTOS_URL}, unless CVLAB_EXIF_DIR was set)."]
    # A folder the user chose is kept; a failed download is a line, not an error.
    fetched.clear()
    hosted.setup("01_eda", environ=dict(COLAB, CVLAB_EXIF_DIR="/mine"), modules={}, run=print)
    assert fetched == []

    def offline(folder):
        raise OSError("no network")

    monkeypatch.setattr(hosted, "_fetch_photos", offline)
    environ = dict(COLAB)
    lines = hosted.setup("01_eda", environ=environ, modules={}, run=print)
    assert "CVLAB_EXIF_DIR" not in environ and any("failed (no network)" in line for line in lines)


@pytest.mark.parametrize("module, distribution", [("keras", "keras"), ("pandas", "pandas"), ("PIL", "pillow")])
def test_setup_asks_for_a_restart_when_an_old_version_was_imported(module, distribution, monkeypatch):
    import importlib.metadata
    from types import SimpleNamespace

    monkeypatch.setattr(hosted, "_apt_source", lambda notebook: pytest.fail("checked before anything is imported"))
    monkeypatch.setitem(sys.modules, module, SimpleNamespace(__version__="0.0.1"))
    with pytest.raises(RuntimeError, match=rf"{module} 0\.0\.1 \(installed now: .*restart the runtime"):
        hosted.setup("07_siamese_one_shot", environ=dict(COLAB), modules={}, run=print)
    # The version installed now, or a library not imported at all: no restart.
    monkeypatch.setitem(sys.modules, module, SimpleNamespace(__version__=importlib.metadata.version(distribution)))
    assert hosted._stale_modules() == []
    assert hosted._stale_modules({}) == []
