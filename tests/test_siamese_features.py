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


def test_features_refuse_empty_or_non_finite_images_and_a_bad_model(labelled):
    x, _ = labelled
    with pytest.raises(ValueError, match="x is empty"):
        siamese.pixel_features(x[:0])
    with pytest.raises(ValueError, match="x must be finite"):
        siamese.pixel_features(np.full((2, 4, 4), np.nan))
    with pytest.raises(TypeError, match="x must be"):
        siamese.pixel_features(np.full((2, 4, 4), "a"))
    with pytest.raises(TypeError, match="model"):
        siamese.embed("network", x)
    model = siamese.embedding_network(input_shape=(8, 8, 1), embedding_dim=4, filters=(4,), seed=0)
    with pytest.raises(ValueError, match="batch_size"):
        siamese.embed(model, x, batch_size=0)
