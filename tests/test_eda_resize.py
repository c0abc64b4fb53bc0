"""Known-answer tests for cvhelpers.eda.resize."""

from __future__ import annotations

import numpy as np

from cvhelpers import eda


def test_limit_size_keeps_aspect_and_small_images():
    big = np.zeros((1000, 500, 3), np.uint8)
    small = np.zeros((40, 30), np.uint8)
    out = eda.limit_size([big, small], max_side=512)
    assert out[0].shape == (512, 256, 3)
    assert out[1] is small
