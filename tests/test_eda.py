"""Known-answer tests for cvhelpers.eda: the package's names, the input contract, argument checks."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from cvhelpers import eda
from known_images import constant, half_black_white


def test_rgb_and_float_inputs_give_the_same_luminance():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (3, 8, 9, 3), dtype=np.uint8)
    expected = (rgb @ np.array(eda.LUMA_WEIGHTS)).mean(axis=(1, 2)) / 255
    assert_allclose(eda.mean_luminance(rgb), expected, rtol=1e-5)
    assert_allclose(eda.mean_luminance(rgb.astype(np.float32) / 255), expected, rtol=1e-5)


def test_rgba_is_composited_over_white():
    transparent = np.zeros((4, 4, 4), dtype=np.uint8)  # black, fully transparent
    assert_allclose(eda.mean_luminance([transparent]), [1.0], rtol=1e-6)
    assert_allclose(eda.alpha_coverage([transparent]), [1.0])
    opaque = transparent.copy()
    opaque[..., 3] = 255
    assert_allclose(eda.mean_luminance([opaque]), [0.0], atol=1e-7)
    assert_allclose(eda.alpha_coverage([opaque]), [0.0])


def test_list_of_mixed_sizes_keeps_input_order():
    images = [constant(0, (5, 7)), half_black_white(8, 8), constant(255, (5, 7)), constant(51, (3, 3))]
    assert_allclose(eda.mean_luminance(images), [0.0, 0.5, 1.0, 0.2], rtol=1e-6)
    assert_array_equal(eda.image_shapes(images)[:, :2], [[5, 7], [8, 8], [5, 7], [3, 3]])


@pytest.mark.parametrize(
    "call, error, word",
    [
        (lambda: eda.mean_luminance(np.zeros((2, 4, 4), np.int32)), TypeError, "images"),
        (lambda: eda.mean_luminance(np.zeros((2, 4, 4, 2), np.uint8)), ValueError, "channels"),
        (lambda: eda.mean_luminance("x"), TypeError, "images"),
        (lambda: eda.edge_density(np.zeros((1, 4, 4), np.uint8), threshold=0), ValueError, "threshold"),
        (lambda: eda.effective_number([1, 2], beta=1.0), ValueError, "beta"),
        (lambda: eda.glcm_features(np.zeros((1, 4, 4), np.uint8), levels=1), ValueError, "levels"),
        (lambda: eda.class_mean_images(np.zeros((2, 4, 4), np.uint8), np.array([0])), ValueError, "labels"),
        (lambda: eda.near_duplicates(np.array([1, 2])), TypeError, "hashes"),
        (lambda: eda.detect_objects([constant()], detectors=("dog",)), ValueError, "detectors"),
        (lambda: eda.aspect_summary([1, 2], [1]), ValueError, "widths"),
        (lambda: eda.knn_accuracy(np.zeros((2, 1)), np.array([0.0, 1.5])), ValueError, "labels"),
        (lambda: eda.knn_accuracy(np.zeros((2, 1)), np.array(["a", "b"])), TypeError, "labels"),
    ],
)
def test_bad_arguments_raise_and_name_the_argument(call, error, word):
    with pytest.raises(error, match=word):
        call()


MODULES = ("_batching", "pixels", "colour", "sizes", "imbalance", "resize", "similarity", "detection", "files",
           "per_image", "plots", "separability")


def test_package_re_exports_every_public_name_of_its_modules():
    names = []
    for name in MODULES:
        module = importlib.import_module(f"cvhelpers.eda.{name}")
        names += module.__all__
        for public in module.__all__:
            assert getattr(eda, public) is getattr(module, public), public
    assert sorted(names) == sorted(eda.__all__)
    assert eda.GLCM_PROPERTIES and eda.STAT_COLUMNS


@pytest.mark.parametrize(
    "images, word",
    [
        (np.full((2, 4, 4), 200.0, np.float32), "0-255"),  # 0-255 pixels as floats: clipped to white before
        (np.full((2, 4, 4), -1.0, np.float32), "minimum"),  # -1..1 floats: clipped to black before
        (np.where(np.eye(4, dtype=bool), np.nan, 0.5)[None], "finite"),  # NaN: a NaN statistic before
        ([np.zeros((4, 4), np.uint8), np.full((3, 3), np.inf, np.float32)], r"images\[1\]"),
    ],
)
def test_float_pixels_outside_0_1_are_refused_by_every_statistic(images, word):
    for statistic in (eda.mean_luminance, eda.is_grayscale, eda.image_stats, eda.perceptual_hash):
        with pytest.raises(ValueError, match=word):
            statistic(images)


def test_float_pixels_with_a_little_overshoot_still_pass():
    images = np.full((1, 4, 4), 1.2, np.float32)
    assert_allclose(eda.mean_luminance(images), [1.0])
    assert_allclose(eda.mean_luminance(images - 1.3), [0.0])


@pytest.mark.parametrize(
    "call, error, word",
    [
        (lambda: eda.channel_histograms([]), ValueError, "images is empty"),
        (lambda: eda.channel_histograms(np.zeros((2, 4, 4), np.uint8), [0, 1, 1]), ValueError, "labels has 3"),
        (lambda: eda.border_colour(np.zeros((1, 4, 4), np.uint8), border=True), ValueError, "border"),
        (lambda: eda.image_stats(np.zeros((2, 4, 4), np.uint8), [0, 3], ["a", "b"]), ValueError, "class_names"),
        (lambda: eda.imbalance_table([]), ValueError, "labels is empty"),
        (lambda: eda.imbalance_table([0, 2], ["a", "b"]), ValueError, "class_names"),
        (lambda: eda.detect_objects([constant()], scale_factor=1.0), ValueError, "scale_factor"),
        (lambda: eda.detect_objects([constant()], detectors="face"), TypeError, "detectors"),
        (lambda: eda.near_duplicates(np.zeros(2, np.uint64), tile=(0, 4)), ValueError, "tile"),
        (lambda: eda.hamming_distance([0.5], [1]), TypeError, "a must hold"),
        (lambda: eda.hamming_distance([1], [-1]), ValueError, "b must hold"),
        (lambda: eda.size_table([10.5], [10]), ValueError, "widths"),
        (lambda: eda.size_table([np.inf], [10]), ValueError, "widths"),
        (lambda: eda.size_table([10], [10], top=0), ValueError, "top"),
        (lambda: eda.colour_modes(np.zeros((1, 4, 4), np.uint8), "L"), TypeError, "stored_modes"),
    ],
)
def test_more_bad_arguments_raise_and_name_the_argument(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_labels_given_as_whole_floats_are_class_indices():
    images = np.zeros((2, 4, 4), np.uint8)
    assert_array_equal(eda.image_stats(images, np.array([0.0, 1.0]))["label"], [0, 1])
    assert eda.near_duplicates(np.zeros(0, np.uint64), labels=np.zeros(0, int)).empty
    assert_array_equal(eda.hamming_distance([2**64 - 1, 5], [0, 4]), [64, 1])
