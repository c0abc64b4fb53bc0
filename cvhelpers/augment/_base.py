"""The plumbing every layer of :mod:`cvhelpers.augment` shares.

Argument checks and :class:`_ImageLayer`: no ``factor``, a ``seed``, labels
pass through, shape kept, batched ``(b, h, w, c)`` or single ``(h, w, c)``
images. The concrete layers live in :mod:`~cvhelpers.augment.layers` and
:mod:`~cvhelpers.augment.warp`.
"""

from __future__ import annotations

import math
import sys

import keras
import numpy as np

from cvhelpers.augment._keras_private import ImagePreprocessingLayer, seed_generator
from cvhelpers.validation import check_number, check_seed

# Keras serialization package: layers register as "cvhelpers>ClassName" (saved models depend on it).
_PACKAGE = "cvhelpers"


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def _range(value, name, low=-math.inf, high=math.inf, symmetric=True):
    """A number ``f`` as ``(-f, f)`` (or ``(0, f)``), or a pair, checked (finite, in [low, high])."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating, tuple, list)):
        raise TypeError(f"{name} must be a number or a (lower, upper) pair, got {value!r}")
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be a (lower, upper) pair of numbers, got {value!r}")
        lower, upper = (check_number(v, name) for v in value)
        if lower > upper:
            raise ValueError(f"{name} must have lower <= upper, got {value!r}")
    else:
        value = check_number(value, name)
        if value < 0:
            raise ValueError(f"{name} must be >= 0 when given as one number, got {value!r}")
        lower, upper = (-value, value) if symmetric else (0.0, value)
    if lower < low or upper > high:
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return lower, upper


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"value_range must be a (min, max) pair, got {value_range!r}")
    low, high = (check_number(v, "value_range") for v in value_range)
    if not low < high:
        raise ValueError(f"value_range must have min < max, got {value_range!r}")
    return low, high


def _seed(seed):
    return None if seed is None else check_seed(seed)


def _eager_extremes(images):
    """The (min, max) of concrete images, NumPy or an eager TensorFlow tensor; None when traced or empty."""
    if isinstance(images, np.ndarray):
        return (float(images.min()), float(images.max())) if images.size else None
    tf = sys.modules.get("tensorflow")
    if tf is None or not tf.is_tensor(images) or not tf.executing_eagerly():
        return None
    if not images.shape.num_elements():
        return None
    return float(tf.reduce_min(images)), float(tf.reduce_max(images))


def _check_in_range(images, value_range):
    """Refuse concrete images far outside ``value_range`` (0-255 pixels for a (0, 1) layer, say).

    Values more than half the range's width outside it are refused; a little
    overshoot (after interpolation) passes. Traced calls (``tf.data``,
    ``model.fit``) are not checked, so training costs nothing extra.
    """
    extremes = _eager_extremes(images)
    if extremes is None:
        return
    low, high = value_range
    margin = 0.5 * (high - low)
    if extremes[1] > high + margin or extremes[0] < low - margin:
        hint = "; 0-255 pixels? divide by 255 or pass value_range=(0, 255)" if extremes[1] > 1.5 else ""
        raise ValueError(f"images must lie in value_range={value_range}, got values from {extremes[0]:g} "
                         f"to {extremes[1]:g}{hint}")


class _ImageLayer(ImagePreprocessingLayer):
    """Shared plumbing: no ``factor``, labels pass through, shape kept.

    Builds on Keras's own base for its augmentation layers
    (:class:`~cvhelpers.augment._keras_private.ImagePreprocessingLayer`),
    which switches to the TensorFlow backend inside ``tf.data`` and handles
    single images and the ``{"images", "labels"}`` dict. A subclass draws its
    randomness in ``get_random_transformation`` and applies it in
    ``_augment_images(images, transformation)``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if self.data_format != "channels_last":
            raise ValueError(f"data_format must be 'channels_last', got {self.data_format!r}")
        self.seed = _seed(seed)
        self.generator = keras.random.SeedGenerator(self.seed)

    @staticmethod
    def _images(data):
        return data["images"] if isinstance(data, dict) else data

    def _batch_hw(self, images):
        shape = self.backend.core.shape(images)
        if len(shape) == 4:
            return shape[0], shape[1], shape[2]
        if len(shape) == 3:
            return 1, shape[0], shape[1]
        raise ValueError(f"images must have shape (b, h, w, c) or (h, w, c), got {shape}")

    def _draw_setup(self, data, seed):
        """Batch size, height, width and the seed (generator) for one draw."""
        batch, height, width = self._batch_hw(self._images(data))
        return batch, height, width, seed or seed_generator(self)

    def transform_images(self, images, transformation, training=True):
        images = self.backend.cast(images, self.compute_dtype)
        if training and transformation is not None:
            images = self._augment_images(images, transformation)
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        raise NotImplementedError(f"{type(self).__name__} does not transform segmentation masks")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config
