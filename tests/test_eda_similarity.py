"""Known-answer tests for cvhelpers.eda.similarity: class means, hashes, near-duplicates."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from cvhelpers import eda
from known_images import constant


def test_identical_images_are_duplicates_and_rotation_follows_the_contract(camera):
    import cv2

    rotated = np.rot90(camera).copy()
    resized = cv2.resize(camera, (256, 256), interpolation=cv2.INTER_AREA)
    brighter = np.clip(camera * 0.9 + 20, 0, 255).astype(np.uint8)
    other = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    images = [camera, camera.copy(), rotated, resized, brighter, other]
    hashes = eda.perceptual_hash(images)
    assert hashes.dtype == np.uint64
    pairs = eda.near_duplicates(hashes, threshold=4)
    found = set(zip(pairs["i"], pairs["j"], strict=True))
    assert (0, 1) in found and pairs.iloc[0]["distance"] == 0
    assert {(0, 3), (0, 4)} <= found  # resized and brightened copies are flagged
    assert not any(2 in pair for pair in found)  # the contract: a 90-degree rotation is not
    assert not any(5 in pair for pair in found)
    digests = eda.pixel_digests(images)
    assert digests[0] == digests[1] and digests[0] != digests[3]


def test_near_duplicates_across_sets_and_labels():
    hashes = np.array([0, 0xFF, 2**63], dtype=np.uint64)
    test = np.array([1, 2**64 - 1], dtype=np.uint64)
    cross = eda.near_duplicates(
        hashes, threshold=1, other=test, labels=np.array([0, 1, 2]), other_labels=np.array([0, 1])
    )
    assert cross[["i", "j", "distance"]].values.tolist() == [[0, 0, 1]]
    assert cross["same_class"].tolist() == [True]
    assert_array_equal(eda.hamming_distance(hashes, np.uint64(0)), [0, 8, 1])


def test_class_mean_images_known_values():
    images = np.stack([constant(0, (4, 4)), constant(255, (4, 4)), constant(255, (4, 4))])
    mean, std = eda.class_mean_images(images, np.array([0, 0, 1]), size=(2, 2))
    assert mean.shape == (2, 2, 2, 1)
    assert_allclose(mean[0], 0.5)
    assert_allclose(std[0], 0.5)
    assert_allclose(mean[1], 1.0)
    assert_allclose(std[1], 0.0)
