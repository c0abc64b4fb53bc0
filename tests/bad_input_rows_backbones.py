"""Bad-input rows: cvhelpers.training.backbones."""

import numpy as np

from bad_input_table import Correct, Refused

B = "cvhelpers.training.backbones."
NAN = float("nan")


def _small(num_classes=2):
    from cvhelpers.training.backbones import backbone_classifier

    return backbone_classifier("small_cnn", (16, 16, 1), num_classes, seed=0)


def _data():
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((np.zeros((4, 16, 16, 1), np.float32), np.array([0, 1, 0, 1]))).batch(2)


def _fit_backbone(f, build=_small, **changes):
    arguments = dict(num_classes=2, frozen_epochs=1, fine_tune_epochs=1, progress=False)
    return f(build, _data(), _data(), **{**arguments, **changes})


def _no_encoder():
    import keras

    return keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])


def _fit_result():
    from cvhelpers.training.trainer import FitResult

    return FitResult(None, {}, 0.0, 1)


ROWS = [
    Refused(B + "imagenet_weights", "the small CNN, which has none", lambda f: f("small_cnn"), ValueError, "name"),
    Refused(B + "imagenet_weights", "a misspelt name", lambda f: f("mobilenet"), ValueError, "name"),
    Refused(B + "imagenet_weights", "a flag for the fallback note", lambda f: f("mobilenet_v3_small", fallback=True),
            TypeError, "fallback"),
    Refused(B + "imagenet_weights", "a number for the cache folder", lambda f: f("efficientnet_b0", 1), TypeError,
            "cache_dir"),
    Refused(B + "backbone_classifier", "an unknown backbone", lambda f: f("resnet50", (32, 32, 3), 2), ValueError,
            "name"),
    Refused(B + "backbone_classifier", "weights as a file name", lambda f: f("mobilenet_v3_small", (32, 32, 3), 2,
                                                                             weights="w.h5"), ValueError, "weights"),
    Refused(B + "backbone_classifier", "two channels", lambda f: f("mobilenet_v3_small", (32, 32, 2), 2), ValueError,
            "input_shape"),
    Refused(B + "backbone_classifier", "a shape without channels", lambda f: f("efficientnet_b0", (32, 32), 2),
            ValueError, "input_shape"),
    Refused(B + "backbone_classifier", "a zero height", lambda f: f("mobilenet_v3_small", (0, 32, 3), 2), ValueError,
            "input_shape"),
    Refused(B + "backbone_classifier", "one class", lambda f: f("mobilenet_v3_small", (32, 32, 3), 1), ValueError,
            "num_classes"),
    Refused(B + "backbone_classifier", "a negative seed", lambda f: f("mobilenet_v3_small", (32, 32, 3), 2, seed=-1),
            ValueError, "seed"),
    Refused(B + "backbone_classifier", "a minimum side below the applications' 32",
            lambda f: f("mobilenet_v3_small", (32, 32, 3), 2, min_side=16), ValueError, "min_side"),
    Refused(B + "backbone_classifier", "a number for the cache folder",
            lambda f: f("efficientnet_b0", (32, 32, 3), 2, cache_dir=1), TypeError, "cache_dir"),
    Correct(B + "backbone_classifier", "8-pixel gray images, upscaled inside",
            lambda f: f("mobilenet_v3_small", (8, 8, 1), 2, weights=None, seed=0),
            lambda model: model.output_shape == (None, 2)),
    Refused(B + "fit_backbone", "a model instead of a function", lambda f: _fit_backbone(f, build=_small()),
            TypeError, "build_model"),
    Refused(B + "fit_backbone", "zero frozen epochs", lambda f: _fit_backbone(f, frozen_epochs=0), ValueError,
            "frozen_epochs"),
    Refused(B + "fit_backbone", "negative fine-tuning epochs", lambda f: _fit_backbone(f, fine_tune_epochs=-1),
            ValueError, "fine_tune_epochs"),
    Refused(B + "fit_backbone", "a rate factor above 1", lambda f: _fit_backbone(f, fine_tune_rate_factor=1.5),
            ValueError, "fine_tune_rate_factor"),
    Refused(B + "fit_backbone", "a NaN learning rate", lambda f: _fit_backbone(f, learning_rate=NAN), ValueError,
            "learning_rate"),
    Refused(B + "fit_backbone", "a model without an encoder", lambda f: _fit_backbone(f, build=_no_encoder),
            ValueError, "encoder"),
    Refused(B + "fit_backbone", "a model of the wrong width",
            lambda f: _fit_backbone(f, build=lambda: _small(3)), ValueError, "num_classes"),
    Refused(B + "BackboneResult", "no frozen phase", lambda f: f(None), TypeError, "frozen"),
    Refused(B + "BackboneResult", "a list for the fine-tuned phase", lambda f: f(_fit_result(), [_fit_result()]),
            TypeError, "fine_tuned"),
]

EXEMPT: dict[str, str] = {}
