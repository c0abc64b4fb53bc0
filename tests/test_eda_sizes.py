"""Known-answer tests for cvhelpers.eda.sizes: sizes, aspect ratios, colour modes."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from cvhelpers import eda
from known_images import half_black_white


def test_grayscale_detection_and_colour_modes():
    gray_rgb = np.repeat(half_black_white(6, 6)[..., None], 3, axis=-1)
    colour = gray_rgb.copy()
    colour[0, 0] = (255, 0, 0)
    rgba = np.dstack([colour, np.full((6, 6), 255, np.uint8)])
    rgba[0, 1, 3] = 0
    images = [half_black_white(6, 6), gray_rgb, colour, rgba]
    modes = eda.colour_modes(images, stored_modes=["L", "RGB", "P", "RGBA"])
    assert modes["grayscale"].tolist() == [True, True, False, False]
    assert modes["has_alpha"].tolist() == [False, False, False, True]
    assert modes["palette"].tolist() == [False, False, True, False]


def test_aspect_summary_shares_and_stretch():
    summary = eda.aspect_summary([100, 200, 100, 300], [100, 100, 200, 100], side=150)
    assert summary["share_square"] == 0.25
    assert summary["share_landscape"] == 0.5
    assert summary["share_portrait"] == 0.25
    assert_allclose(summary["stretch"], [1, 2, 2, 3])
    assert summary["share_stretch_over_2"] == 0.25
    assert summary["share_upscaled"] == 1.0
    table = eda.size_table([100, 100, 200], [50, 50, 50])
    assert table.iloc[0][["width", "height", "count"]].tolist() == [100, 50, 2]
    assert len(eda.size_table([100, 100, 200], [50, 50, 50], top=1)) == 1
    assert len(eda.size_table([100, 100, 200], [50, 50, 50], top=None)) == 2  # every distinct size
