import numpy as np
import pytest

from cvhelpers.training import models


def test_small_cnn_shapes_and_named_parts():
    model = models.small_cnn(num_classes=10, seed=0)
    assert model.output_shape == (None, 10)
    encoder = models.encoder_of(model)
    assert encoder.output_shape == (None, 128)
    assert model.get_layer("classifier").units == 10
    out = model(np.zeros((2, 28, 28, 1), np.float32))
    assert tuple(out.shape) == (2, 10)


def test_same_seed_builds_same_weights():
    a, b = models.small_cnn(seed=3), models.small_cnn(seed=3)
    c = models.small_cnn(seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_bad_arguments():
    with pytest.raises(ValueError, match="padding"):
        models.small_encoder(padding="full")
    with pytest.raises(ValueError, match="num_classes"):
        models.small_cnn(num_classes=1)
    with pytest.raises(ValueError, match="dropout"):
        models.small_cnn(dropout=1.0)
    with pytest.raises(ValueError, match="encoder"):
        import keras

        models.encoder_of(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]))
