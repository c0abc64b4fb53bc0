"""Shared fixtures. TensorFlow logging is quietened before any test imports it."""

import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

from pathlib import Path

import numpy as np
import pytest

from cvhelpers.data import load_fashion_mnist


@pytest.fixture(autouse=True)
def _no_course_environment(monkeypatch, tmp_path_factory):
    """Unit tests ignore the CVLAB_* knobs that `make` exports for the notebooks.

    Each test gets an empty model cache of its own, never ``build/models``.
    """
    for key in [key for key in os.environ if key.startswith("CVLAB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("CVLAB_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="session")
def fashion():
    """The real Fashion-MNIST, loaded once per test session."""
    return load_fashion_mnist()


@pytest.fixture
def tiny_images():
    """60 random 28x28 uint8 images in 3 classes of 30, 20 and 10."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(60, 28, 28), dtype=np.uint8)
    y = np.repeat([0, 1, 2], [30, 20, 10])
    return x, y


@pytest.fixture(scope="module")
def camera():
    from skimage import data

    return data.camera()  # 512 x 512, uint8, bundled with scikit-image


@pytest.fixture
def labelled():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 6)
    x = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8)
    return x, y


@pytest.fixture(scope="session")
def load_script():
    """Import a script of benchmarks/ or experiments/ as a module; its ``main`` runs only under ``__main__``."""
    root = Path(__file__).resolve().parent.parent

    def load(relative_path: str):
        path = root / relative_path
        spec = importlib.util.spec_from_file_location(f"{path.stem}_under_test", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
