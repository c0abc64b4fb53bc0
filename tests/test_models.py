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


@pytest.mark.parametrize("kwargs, word", [
    ({"input_shape": (12, 12, 1)}, "input_shape's height"),
    ({"input_shape": (3, 3, 1), "padding": "same"}, "input_shape's height"),
    ({"input_shape": (28, 28)}, "input_shape"),
    ({"width": 0}, "width"),
    ({"feature_dim": 8.5}, "feature_dim"),
    ({"seed": -1}, "seed"),
])
def test_small_encoder_refuses_bad_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        models.small_encoder(**kwargs)


def test_small_encoder_accepts_the_smallest_images():
    assert models.small_encoder((16, 16, 1), width=1, feature_dim=2).output_shape == (None, 2)
    assert models.small_encoder((4, 4, 1), width=1, feature_dim=2, padding="same").output_shape == (None, 2)


def test_small_cnn_and_head_refuse_bad_arguments_before_building():
    with pytest.raises(ValueError, match="dropout"):
        models.small_cnn(dropout=float("nan"))
    with pytest.raises(TypeError, match="dropout"):
        models.small_cnn(dropout="0.2")
    with pytest.raises(ValueError, match="num_classes"):
        models.small_cnn(num_classes=3.0)
    with pytest.raises(ValueError, match="seed"):
        models.classifier_head(3, seed=1.5)
    with pytest.raises(TypeError, match="model"):
        models.encoder_of("small_cnn")
