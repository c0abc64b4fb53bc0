"""Tests for the layout of cvhelpers.methods.siamese: re-exports and module sizes.

The behaviour is tested per module in tests/test_siamese_<module>.py.
"""

import importlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402

# Every public name of the package, in the order of its __all__.
PUBLIC = [
    "embedding_network",
    "PKBatches",
    "PairBatches",
    "siamese_pair_model",
    "embed",
    "cosine_adam",
    "fit_triplet",
    "fit_pairs",
    "pixel_features",
    "make_pairs",
    "pair_distances",
    "choose_threshold",
    "verification_metrics",
    "sample_episodes",
    "episode_accuracy",
    "mean_ci",
    "one_shot_experiment",
    "embedding_spread",
    "compare_mining",
    "verification_roc",
    "plot_verification",
]

MODULES = [f"cvhelpers.methods.siamese.{name}" for name in (
    "networks", "batches", "training", "features", "episodes", "experiment", "collapse", "roc")]
MODULES.append("cvhelpers.metrics.few_shot")  # verification, shared with any few-shot method


def test_package_re_exports_every_public_name():
    assert siamese.__all__ == PUBLIC  # what ``from cvhelpers.methods.siamese import *`` imports
    for name in PUBLIC:
        obj = getattr(siamese, name)
        assert obj.__module__ in MODULES, (name, obj.__module__)


def test_every_public_name_comes_from_exactly_one_module():
    owners = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert name not in owners, (name, owners.get(name), module_name)
            owners[name] = module_name
            assert getattr(module, name) is getattr(siamese, name)
    assert sorted(owners) == sorted(PUBLIC)


def test_modules_stay_small():
    folder = Path(siamese.__file__).parent
    for path in folder.glob("*.py"):
        assert len(path.read_text().splitlines()) < 600, path.name


def test_images_are_converted_by_the_pipeline_rule():
    # uint8 / 255, floats in [0, 1] cast to float32, channel axis added to (n, h, w).
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    y = np.array([0, 1])
    batch = siamese.PairBatches(x, y, batch_size=2, steps=1)
    assert batch.x.shape == (2, 3, 4, 1) and batch.x.dtype == np.float32
    np.testing.assert_array_equal(batch.x[..., 0], x.astype(np.float32) / 255.0)
    floats = siamese.PairBatches(x / 255.0, y, batch_size=2, steps=1)
    np.testing.assert_array_equal(floats.x[..., 0], (x / 255.0).astype(np.float32))
