"""Tests for cvhelpers.methods.siamese.networks: the embedding network and the pair model."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

keras = pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402


def test_embedding_network_is_normalized_and_seeded():
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    a = siamese.embedding_network(embedding_dim=16, filters=(8, 8), seed=1)
    b = siamese.embedding_network(embedding_dim=16, filters=(8, 8), seed=1)
    ea, eb = np.asarray(a(x, training=False)), np.asarray(b(x, training=False))
    assert ea.shape == (4, 16)
    assert_allclose(np.linalg.norm(ea, axis=1), 1.0, rtol=1e-5)
    assert_allclose(ea, eb, rtol=1e-5)
    raw = siamese.embedding_network(embedding_dim=16, filters=(8, 8), normalize=False, seed=1)
    assert not np.allclose(np.linalg.norm(np.asarray(raw(x, training=False)), axis=1), 1.0)


def test_embedding_network_can_keep_the_last_map():
    pooled = siamese.embedding_network(embedding_dim=16, filters=(8, 8, 8, 8), seed=0)
    kept = siamese.embedding_network(embedding_dim=16, filters=(8, 8, 8, 8), pool_last_block=False, seed=0)
    flat = [layer for layer in kept.layers if isinstance(layer, keras.layers.Flatten)][0]
    assert flat.output.shape[-1] == 3 * 3 * 8  # 28 -> 14 -> 7 -> 3, no fourth pooling
    flat = [layer for layer in pooled.layers if isinstance(layer, keras.layers.Flatten)][0]
    assert flat.output.shape[-1] == 8
    assert kept(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 16)


def test_siamese_pair_model_outputs_distances():
    embedding = siamese.embedding_network(input_shape=(8, 8, 1), embedding_dim=4, filters=(4,), seed=0)
    model = siamese.siamese_pair_model(embedding)
    x1 = np.random.default_rng(1).random((3, 8, 8, 1)).astype(np.float32)
    x2 = np.random.default_rng(2).random((3, 8, 8, 1)).astype(np.float32)
    d = np.asarray(model([x1, x2], training=False))
    e1, e2 = np.asarray(embedding(x1, training=False)), np.asarray(embedding(x2, training=False))
    assert d.shape == (3,)
    assert_allclose(d, np.linalg.norm(e1 - e2, axis=1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(embedding_dim=16.0), "embedding_dim"),
        (dict(filters=()), "filters"),
        (dict(filters=(8, 0)), "filters"),
        (dict(input_shape=(28, 28)), "input_shape"),
        (dict(seed=-1), "seed"),
    ],
)
def test_embedding_network_names_its_bad_arguments(change, message):
    with pytest.raises(ValueError, match=message):
        siamese.embedding_network(**change)


def test_siamese_pair_model_needs_a_keras_model():
    with pytest.raises(TypeError, match="embedding"):
        siamese.siamese_pair_model(lambda x: x)
