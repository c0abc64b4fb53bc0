"""House rules for the package layout: small modules, a test file for each, no global warning filters."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cvhelpers"
TESTS = {path.name for path in (ROOT / "tests").glob("test_*.py")}
MAX_LINES = 600


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_stays_small():
    sizes = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in _modules()}
    assert not {name: size for name, size in sizes.items() if size > MAX_LINES}


def test_every_public_module_has_a_test_file():
    # cvhelpers/<package>/<module>.py is tested in test_<module>.py, test_<package>_<module>.py,
    # or test_<package>.py; private modules (_name.py) through the modules that use them.
    missing = []
    for path in _modules():
        if path.name.startswith("_"):
            continue
        package, module = path.parent.name, path.stem
        if not TESTS & {f"test_{module}.py", f"test_{package}_{module}.py", f"test_{package}.py"}:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing


def test_every_package_folder_is_a_package():
    for folder in {path.parent for path in _modules()}:
        assert (folder / "__init__.py").is_file(), folder


def test_no_warning_is_filtered_globally():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "filterwarnings" not in options
    for path in [*_modules(), *(ROOT / "tests").glob("*.py")]:
        text = path.read_text()
        assert not re.search(r"^warnings\.(simplefilter|filterwarnings)\(\s*[\"']ignore", text, re.M), path
