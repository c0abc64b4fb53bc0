"""Known-answer tests for cvhelpers.eda.per_image: the one-pass statistics table."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from cvhelpers import eda
from known_images import half_black_white


def test_image_stats_agrees_with_the_single_functions():
    rng = np.random.default_rng(2)
    images = [rng.integers(0, 256, (9, 11, 3), dtype=np.uint8), half_black_white(10, 10),
              rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)]
    stats = eda.image_stats(images, labels=np.array([0, 1, 0]), class_names=["x", "y"])
    assert list(stats.columns[: len(eda.STAT_COLUMNS)]) == list(eda.STAT_COLUMNS)
    assert_allclose(stats["rms_contrast"], eda.rms_contrast(images))
    assert_allclose(stats["edge_density"], eda.edge_density(images))
    assert_allclose(stats["laplacian_var"], eda.laplacian_variance(images))
    assert_allclose(stats[["mean_r", "mean_g", "mean_b"]], eda.mean_colour(images))
    assert_allclose(stats["glcm_contrast"], eda.glcm_features(images)["contrast"])
    assert_array_equal(stats["phash"].to_numpy(), eda.perceptual_hash(images))
    assert stats["class"].tolist() == ["x", "y", "x"]


def test_tiny_images_do_not_crash():
    stats = eda.image_stats([np.zeros((1, 1, 3), np.uint8), np.zeros((1, 5), np.uint8)])
    assert stats["glcm_contrast"].isna().tolist() == [True, False]
    assert (stats["edge_density"] == 0).all()
