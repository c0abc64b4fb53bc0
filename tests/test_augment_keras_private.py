"""Keras's private API stays in cvhelpers/augment/_keras_private.py, which checks the Keras version.

The checks read the source (``ast``), so comments and prose that mention
``keras.src`` pass while real uses fail: imports, attribute chains,
``importlib`` module-path strings, ``keras.<...>._name`` chains, the private
names the package used to touch directly, and (inside the augment package)
any ``_``-prefixed name that the Keras classes it builds on define.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import textwrap
import tomllib
from pathlib import Path

import keras
import pytest

import cvhelpers
from cvhelpers.augment import _keras_private

PACKAGE = Path(cvhelpers.__file__).resolve().parent
AUGMENT = PACKAGE / "augment"
PRIVATE_MODULE = AUGMENT / "_keras_private.py"
ROOT = PACKAGE.parent

# The private Keras names cvhelpers.augment used before they moved into _keras_private.py
# (``_transform_images`` is a private hook of BaseImagePreprocessingLayer that the layers overrode).
MOVED = frozenset(
    {"_USE_BASE_FACTOR", "_FACTOR_BOUNDS", "_set_factor", "_get_seed_generator", "_backend_generators", "_backend",
     "_transform_images"}
)
_KERAS_SRC = re.compile(r"keras\.src(\.\w+)*")
_PRIVATE_CHAIN = re.compile(r"keras\.[A-Za-z_.]*\._[a-z]")


def _keras_private_names() -> frozenset:
    """The ``_``-prefixed, non-dunder names of the Keras classes (and instances) the augment package builds on."""
    base = _keras_private.ImagePreprocessingLayer()
    roots = [_keras_private.BaseImagePreprocessingLayer, keras.Sequential, keras.random.SeedGenerator, keras.Variable,
             type(base.backend)]
    names = set()
    for root in roots:
        for cls in root.__mro__:
            names |= set(vars(cls))
    names |= set(vars(base)) | set(vars(base.backend))
    return frozenset(name for name in names if name.startswith("_") and not name.endswith("__"))


def _dotted(node) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def private_keras_uses(source: str, names=MOVED) -> list[tuple[int, str]]:
    """``(line, what)`` for each use of Keras's private API in ``source``.

    ``keras.src`` imports, attribute chains and module-path strings; chains
    ``keras.<...>._name``; attributes named in ``names``, and methods or class
    attributes named in ``names`` (overrides of Keras's private members).
    """
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, f"import {a.name}") for a in node.names if _KERAS_SRC.fullmatch(a.name)}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if _KERAS_SRC.fullmatch(module) or module == "keras" and any(a.name == "src" for a in node.names):
                found.add((node.lineno, f"from {module} import {', '.join(a.name for a in node.names)}"))
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node) or ""
            if dotted.startswith("keras.src"):
                found.add((node.lineno, "keras.src"))
            elif _PRIVATE_CHAIN.match(dotted):
                found.add((node.lineno, dotted))
            if node.attr in names:
                found.add((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _KERAS_SRC.fullmatch(node.value):
            found.add((node.lineno, repr(node.value)))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                defined = [item.name] if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) else [
                    target.id for target in getattr(item, "targets", [getattr(item, "target", None)])
                    if isinstance(target, ast.Name)
                ]
                found |= {(item.lineno, f"{node.name}.{name}") for name in defined if name in names}
    return sorted(found)


def _modules():
    return sorted(path for path in PACKAGE.rglob("*.py") if path.resolve() != PRIVATE_MODULE.resolve())


def test_keras_src_occurs_only_in_keras_private():
    offenders = {}
    for path in _modules():
        uses = [use for use in private_keras_uses(path.read_text(), names=()) if "src" in use[1]]
        if uses:
            offenders[str(path.relative_to(ROOT))] = uses
    assert not offenders, f"keras.src used outside cvhelpers/augment/_keras_private.py: {offenders}"
    assert private_keras_uses(PRIVATE_MODULE.read_text(), names=()), "the check finds nothing even where keras.src is"


def test_private_keras_attributes_occur_only_in_keras_private():
    every_private_name = _keras_private_names()
    # MOVED still names Keras's private members (_backend_generators is made lazily;
    # BaseImagePreprocessingLayer has _transform_images from Keras 3.14 on)
    assert MOVED - {"_transform_images", "_backend_generators"} <= every_private_name
    offenders = {}
    for path in _modules():
        names = MOVED | every_private_name if AUGMENT in path.parents else MOVED
        uses = private_keras_uses(path.read_text(), names)
        if uses:
            offenders[str(path.relative_to(ROOT))] = uses
    assert not offenders, f"private Keras names used outside cvhelpers/augment/_keras_private.py: {offenders}"
    # _keras_private.py holds them: the check sees them there
    assert {what for _, what in private_keras_uses(PRIVATE_MODULE.read_text())} >= {
        "._get_seed_generator", "ImagePreprocessingLayer._USE_BASE_FACTOR"}


@pytest.mark.parametrize(
    "snippet",
    [
        "from keras.src.layers.preprocessing.image_preprocessing.base_image_preprocessing_layer import (\n"
        "    BaseImagePreprocessingLayer,\n)",
        "import keras.src.backend",
        "from keras import src",
        "x = keras.src.utils.backend_utils",
        "importlib.import_module('keras.src.backend.tensorflow')",
        "class L(Base):\n    _USE_BASE_FACTOR = False",
        "class L(Base):\n    def _transform_images(self, images, transformation):\n        return images",
        "seed = seed or self._get_seed_generator(self.backend._backend)",
        "seed = seed or self._get_seed_generator(ops._backend)",
        "keras.layers.Layer._tracker",
    ],
)
def test_the_check_catches_each_kind_of_private_use(snippet):
    assert private_keras_uses(snippet), snippet


def test_the_check_passes_public_code_comments_and_prose():
    source = textwrap.dedent('''
        """Builds on Keras's base (``keras.src``; no public equivalent)."""
        # keras.src.backend.config has the same rule
        import keras
        seed = seed or seed_generator(self)
        name = self.backend.name
        value = self._images(data)
        shape = keras.ops.shape(x)
    ''')
    assert private_keras_uses(source, MOVED | _keras_private_names()) == []


# --------------------------------------------------------------------------
# the Keras version guard
# --------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["3.10.0", "3.10.0rc1", "3.15.1", "3.15.9", keras.__version__])
def test_supported_versions_pass(version):
    _keras_private.check_keras_version(version)


@pytest.mark.parametrize("version", ["3.9.2", "3.16.0", "3.16.0.dev2026", "4.0.0", "2.15.0", "nightly"])
def test_unsupported_versions_raise_naming_the_version_and_the_range(version):
    with pytest.raises(ImportError) as error:
        _keras_private.check_keras_version(version)
    message = str(error.value)
    assert f"Keras {version} is installed" in message
    assert ">=3.10,<3.16" in message
    assert "_keras_private.py" in message


def test_importing_under_an_unsupported_keras_raises(monkeypatch):
    # A fresh copy of the module under a throwaway name: the imported one (and its classes) stay as they are.
    monkeypatch.setattr(keras, "__version__", "3.16.0")
    spec = importlib.util.spec_from_file_location("_keras_private_under_test", PRIVATE_MODULE)
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(ImportError, match=r"written for Keras >=3\.10,<3\.16, but Keras 3\.16\.0 is installed"):
        spec.loader.exec_module(module)
    assert "_keras_private_under_test" not in sys.modules
    assert not hasattr(module, "ImagePreprocessingLayer"), "the guard runs before keras.src is imported"


def test_the_range_matches_the_package_requirements():
    """pyproject's ``keras`` requirement is the same range; the version constraints.txt pins lies inside it."""
    low, high = _keras_private.SUPPORTED
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (requirement,) = [d.replace(" ", "") for d in dependencies if d.startswith("keras")]
    assert requirement == f"keras{_keras_private.supported_range()}"
    constraints = ROOT / "constraints.txt"
    if not constraints.exists():
        pytest.skip("no constraints.txt")
    pinned = re.search(r"^keras==(\d+)\.(\d+)", constraints.read_text(), re.MULTILINE)
    assert pinned, "constraints.txt pins no keras version"
    assert low <= (int(pinned[1]), int(pinned[2])) < high, (
        "constraints.txt pins a Keras outside _keras_private.SUPPORTED: check the private API, then widen the range"
    )
