"""The cvhelpers.augment package: its public names, its modules and its Keras registrations."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from cvhelpers import augment

# cvhelpers.augment's __all__ when it was one module; notebooks, benchmarks and tests use these names.
PUBLIC = [
    "RandomGeometric",
    "RandomResizedCrop",
    "SaltAndPepper",
    "Cutout",
    "RandomGaussianNoise",
    "light_policy",
    "strong_policy",
    "standard_policy",
    "stock_standard_policy",
    "oversample_with_augmented_copies",
    "context_rich_oversampling",
    "describe",
    "xla_compiled",
    "augment_batch",
    "gallery",
    "technique_gallery",
    "parameter_gallery",
    "images_per_second",
]
LAYERS = ["RandomGeometric", "RandomResizedCrop", "SaltAndPepper", "Cutout", "RandomGaussianNoise"]


def test_public_names_are_unchanged_and_resolve():
    assert augment.__all__ == PUBLIC
    namespace = {}
    exec("from cvhelpers.augment import *", namespace)
    assert all(callable(namespace[name]) and namespace[name] is getattr(augment, name) for name in PUBLIC)


def test_modules_stay_small():
    sizes = {path.name: len(path.read_text().splitlines()) for path in Path(augment.__file__).parent.glob("*.py")}
    assert {"__init__.py", "_keras_private.py", "warp.py", "layers.py", "policies.py"} <= set(sizes)
    assert max(sizes.values()) < 600, sizes


@pytest.mark.parametrize("name", LAYERS)
def test_registered_names_are_unchanged(name):
    cls = getattr(augment, name)
    assert keras.saving.get_registered_name(cls) == f"cvhelpers>{name}"
    assert keras.saving.get_registered_object(f"cvhelpers>{name}") is cls


@pytest.mark.parametrize("name", LAYERS)
def test_layers_serialized_before_the_split_still_load(name):
    """Models saved when the layers lived in the module ``cvhelpers.augment`` name that module."""
    layer = getattr(augment, name)(seed=3)
    serialized = keras.saving.serialize_keras_object(layer)
    serialized["module"] = "cvhelpers.augment"
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(layer) and restored.get_config() == layer.get_config()
