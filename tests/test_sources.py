import subprocess
from pathlib import Path

import pytest

from cvhelpers.data import fashion_mnist, glyphs, sources


def test_the_debian_paths_live_in_sources_and_the_loaders_use_them():
    assert fashion_mnist.FASHION_MNIST_DEBIAN_DIR is sources.FASHION_MNIST_DEBIAN_DIR
    assert glyphs.NOTO_DIR is sources.NOTO_DIR
    by_name = {source.name: Path(source.path) for source in sources.SOURCES}
    assert by_name["fashion-mnist"].parent == sources.FASHION_MNIST_DEBIAN_DIR
    assert by_name["noto-fonts"] == sources.NOTO_DIR


def test_missing_sources_and_the_install_command(tmp_path):
    present = sources.OfflineSource("here", "pkg-b", str(tmp_path), "tests")
    absent = sources.OfflineSource("gone", "pkg-a", str(tmp_path / "nothing"), "tests")
    assert sources.missing_sources([present, absent]) == [absent]
    as_root = "apt-get update && apt-get install -y pkg-a pkg-b"
    assert sources.install_command([present, absent], as_root=True) == as_root
    assert sources.ensure_sources(install=False, sources=[present]) == []


def test_the_command_line_reports_each_source_and_refuses_unknown_flags():
    import sys

    run = subprocess.run([sys.executable, "-m", "cvhelpers.data"], capture_output=True, text=True)
    assert run.returncode == 0 and "RuntimeWarning" not in run.stderr
    assert {line.split()[0] for line in run.stdout.splitlines()} == {source.name for source in sources.SOURCES}
    run = subprocess.run([sys.executable, "-m", "cvhelpers.data", "--bogus"], capture_output=True, text=True)
    assert run.returncode == 2 and "python -m cvhelpers.data" in run.stderr and "--bogus" in run.stderr


def _no_apt_run(*args, **kwargs):
    raise AssertionError(f"apt must not run in tests: {args}")


@pytest.fixture
def missing_pkg(tmp_path, monkeypatch):
    """One absent source as the only source, and every way of running apt blocked."""
    absent = sources.OfflineSource("gone", "pkg-a", str(tmp_path / "nothing"), "tests")
    monkeypatch.setattr(sources, "SOURCES", (absent,))
    monkeypatch.setattr(sources.subprocess, "run", _no_apt_run)
    monkeypatch.delenv("CVLAB_NO_APT", raising=False)
    return absent


def test_the_printed_command_runs_both_apt_steps_with_sudo_for_a_normal_user(missing_pkg, monkeypatch, capsys):
    sudo_command = "sudo sh -c 'apt-get update && apt-get install -y pkg-a'"
    assert sources.install_command([missing_pkg], as_root=False) == sudo_command
    monkeypatch.setattr(sources, "_is_root", lambda: False)
    assert sources.install_command([missing_pkg]) == sudo_command
    assert sources.main([]) == 0
    err = capsys.readouterr().err
    assert f"    {sudo_command}\n" in err and "sudo apt-get update && apt-get" not in err


def test_cvlab_no_apt_skips_the_install_even_as_root(missing_pkg, monkeypatch, capsys):
    monkeypatch.setattr(sources, "_is_root", lambda: True)
    monkeypatch.setattr(sources.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setenv("CVLAB_NO_APT", "1")
    assert sources.main(["--install"]) == 0  # subprocess.run raises if called
    captured = capsys.readouterr()
    assert "CVLAB_NO_APT is set" in captured.err
    assert "    apt-get update && apt-get install -y pkg-a\n" in captured.err
    assert captured.out.split()[:2] == ["gone", "missing"]


def test_a_failing_apt_install_is_reported_and_exits_1(missing_pkg, monkeypatch, capsys):
    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        if command[:2] == ["apt-get", "update"]:
            return subprocess.CompletedProcess(command, 0, stderr="")
        return subprocess.CompletedProcess(command, 100, stderr="Reading lists\nE: Unable to locate package pkg-a\n")

    monkeypatch.setattr(sources, "_is_root", lambda: True)
    monkeypatch.setattr(sources.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(sources.subprocess, "run", fake_run)
    assert sources.main(["--install"]) == 1
    assert calls == [
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "pkg-a"],
    ]
    err = capsys.readouterr().err
    assert "apt-get install of pkg-a failed with exit status 100" in err
    assert "E: Unable to locate package pkg-a" in err
    assert "apt-get update && apt-get install -y pkg-a" in err
    with pytest.raises(sources.AptInstallError) as raised:
        sources.ensure_sources(install=True, sources=[missing_pkg])
    assert raised.value.packages == ["pkg-a"] and raised.value.returncode == 100


def test_a_successful_apt_install_exits_0(missing_pkg, monkeypatch, capsys):
    def fake_run(command, **kwargs):
        if command[1] == "install":
            Path(missing_pkg.path).mkdir()
        return subprocess.CompletedProcess(command, 0, stderr="")

    monkeypatch.setattr(sources, "_is_root", lambda: True)
    monkeypatch.setattr(sources.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(sources.subprocess, "run", fake_run)
    assert sources.main(["--install"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["gone", "ok"]


def test_sources_arguments_are_checked_before_anything_runs(missing_pkg, monkeypatch):
    monkeypatch.setattr(sources, "_is_root", lambda: True)  # apt would run, were the arguments accepted
    monkeypatch.setattr(sources.shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(TypeError, match="install"):
        sources.ensure_sources(install="no", sources=[missing_pkg])  # a truthy string must not mean "install"
    with pytest.raises(TypeError, match="sources"):
        sources.ensure_sources(install=False, sources=missing_pkg)
    with pytest.raises(TypeError, match="sources"):
        sources.missing_sources(missing_pkg)
    with pytest.raises(TypeError, match="sources"):
        sources.missing_sources(["fashion-mnist"])
    with pytest.raises(ValueError, match="sources is empty"):
        sources.install_command([])
    with pytest.raises(TypeError, match="as_root"):
        sources.install_command([missing_pkg], as_root="no")
    assert sources.missing_sources(iter([missing_pkg])) == [missing_pkg]  # any iterable, read once


def test_an_offline_source_needs_a_debian_package_name_that_is_safe_in_the_printed_command(tmp_path):
    with pytest.raises(ValueError, match="debian_package"):
        sources.OfflineSource("x", "pkg'; rm -rf ~; '", str(tmp_path), "tests")
    with pytest.raises(ValueError, match="debian_package"):
        sources.OfflineSource("x", "Fonts Noto", str(tmp_path), "tests")
    with pytest.raises(TypeError, match="path"):
        sources.OfflineSource("x", "fonts-noto-core", None, "tests")
    assert sources.OfflineSource("x", "libc++1.0-dev", tmp_path, "tests").present
