from pathlib import Path

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
    assert sources.install_command([present, absent]) == "apt-get update && apt-get install -y pkg-a pkg-b"
    assert sources.ensure_sources(install=False, sources=[present]) == []


def test_the_command_line_reports_each_source_and_refuses_unknown_flags():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "cvhelpers.data"], capture_output=True, text=True)
    assert run.returncode == 0 and "RuntimeWarning" not in run.stderr
    assert {line.split()[0] for line in run.stdout.splitlines()} == {source.name for source in sources.SOURCES}
    run = subprocess.run([sys.executable, "-m", "cvhelpers.data", "--bogus"], capture_output=True, text=True)
    assert run.returncode == 2 and "python -m cvhelpers.data" in run.stderr and "--bogus" in run.stderr
