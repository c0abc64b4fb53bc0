"""Known-answer tests for cvhelpers.eda.colour: colours, channel histograms, object boxes."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cvhelpers import eda


def test_channel_histograms_known_counts():
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    hist = eda.channel_histograms([red, red], labels=np.array([0, 0]), bins=4)
    assert hist.shape == (1, 3, 4)
    assert_allclose(hist[0, 0], [0, 0, 0, 1])
    assert_allclose(hist[0, 1], [1, 0, 0, 0])


def test_mean_and_border_colour():
    image = np.zeros((10, 10, 3), np.uint8)
    image[...] = (0, 0, 255)  # blue frame
    image[2:-2, 2:-2] = (255, 0, 0)  # red centre
    assert_allclose(eda.border_colour([image], border=2), [[0, 0, 1]])
    assert_allclose(eda.mean_colour([image]), [[0.36, 0, 0.64]], rtol=1e-6)


def test_channel_histogram_counts_sum_over_groups():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (6, 5, 4, 3), dtype=np.uint8)
    labels = np.array([0, 1, 1, 2, 2, 2])
    counts = eda.channel_histograms(images, labels, bins=8, normalize=False)
    assert_allclose(counts.sum(axis=0), eda.channel_histograms(images, bins=8, normalize=False)[0])
    assert_allclose(counts.sum(axis=2), [[20] * 3, [40] * 3, [60] * 3])  # pixels per class, per channel


def test_object_boxes_find_the_box_and_the_sides_it_touches():
    inside = np.zeros((10, 12), np.uint8)
    inside[2:6, 3:9] = 200                        # well inside the frame
    cut = np.full((10, 12, 3), 255, np.uint8)    # white background
    cut[4:10, 0:5] = (30, 60, 90)                # runs out at the bottom and the left
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[0:3, 5:7] = (255, 255, 255, 255)        # opaque white at the top edge: alpha decides
    empty = np.full((10, 12), 17, np.uint8)
    boxes = eda.object_boxes([inside, cut, rgba, empty])
    assert boxes[["top", "left", "bottom", "right"]].values.tolist() == [
        [2, 3, 5, 8], [4, 0, 9, 4], [0, 5, 2, 6], [0, 0, 0, 0]]
    assert boxes["sides_touching"].tolist() == [0, 2, 1, 0]
    assert boxes["touches_border"].tolist() == [False, True, True, False]
    assert boxes["empty"].tolist() == [False, False, False, True]
    assert_allclose(boxes["box_share"], [24 / 120, 30 / 120, 6 / 120, 0.0])
    assert_allclose(boxes["frame_contact"], [0.0, 10 / 40, 2 / 40, 0.0])  # the frame has 40 pixels


def test_object_boxes_float_and_uint8_agree_and_check_threshold():
    rng = np.random.default_rng(0)
    images = np.zeros((5, 16, 16), np.uint8)
    for k in range(5):
        r, c = rng.integers(0, 10, 2)
        images[k, r:r + 6, c:c + 6] = 180
    assert eda.object_boxes(images).equals(eda.object_boxes(images.astype(np.float32) / 255))
    for bad in (0, 1.0, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="threshold"):
            eda.object_boxes(images, threshold=bad)
