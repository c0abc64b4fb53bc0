"""Tests for cvhelpers.methods.siamese.features: the raw-pixel baseline."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

keras = pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402


def test_pixel_features_are_unit_vectors(labelled):
    x, _ = labelled
    f = siamese.pixel_features(x)
    assert f.shape == (60, 64) and f.dtype == np.float32
    assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-5)
    assert_allclose(siamese.pair_distances(f, [0], [0]), [0.0])
