"""An installed wheel, without the source tree, carries the Fashion-MNIST-LT manifests and reproduces the split."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cvhelpers.data.sources import FASHION_MNIST_DEBIAN_DIR

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = sorted((ROOT / "cvhelpers" / "data" / "manifests").glob("*.json"))

pytest.importorskip("setuptools", minversion="77")  # the build backend, pinned in constraints.txt

# Run inside the installed copy: it must be the copy that is imported, and its manifests must give the split.
CHECK = """
import json, sys, warnings
warnings.simplefilter("error")  # a split rebuilt from the seed that disagreed with the manifest would warn
import cvhelpers
from cvhelpers.data import long_tail
assert cvhelpers.__file__.startswith(sys.argv[1]), cvhelpers.__file__
label = long_tail.default_manifest_path()
hard = long_tail.default_manifest_path(order="hard")
assert label.is_file() and hard.is_file() and str(label).startswith(sys.argv[1]), label
lt, _ = long_tail.load_fashion_mnist_lt()
lt_hard, _ = long_tail.load_fashion_mnist_lt(class_order="hard")
print(json.dumps({"label": lt.indices.tolist(), "hard": lt_hard.indices.tolist()}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from a copy of the sources (the checkout is left as it is)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "cvhelpers", source / "cvhelpers", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        check=True, cwd=source,
    )
    (path,) = out.glob("cvhelpers-*.whl")
    return path


def test_the_wheel_ships_the_manifests(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert MANIFESTS and all(f"cvhelpers/data/manifests/{path.name}" in names for path in MANIFESTS)
    assert not any(name.startswith(("tests/", "notebooks/", "data/")) for name in names)


@pytest.mark.skipif(not (FASHION_MNIST_DEBIAN_DIR / "train-labels-idx1-ubyte.gz").is_file(),
                    reason="Debian dataset-fashion-mnist not installed")
def test_an_installed_wheel_reproduces_the_committed_split(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True)
    elsewhere = tmp_path / "elsewhere"  # no checkout above it: the installed package finds no pyproject.toml
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", CHECK, str(site)], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    indices = json.loads(run.stdout.strip().splitlines()[-1])
    for order in ("label", "hard"):
        (path,) = [p for p in MANIFESTS if f"_{order}_" in p.name]
        assert indices[order] == json.loads(path.read_text())["indices"], order
