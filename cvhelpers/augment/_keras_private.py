"""Every use of Keras's private API in :mod:`cvhelpers.augment`, in one place.

Keras exports no public base class for data-augmentation layers, so the
package's layers build on the one Keras's own ``RandomFlip``, ``RandomZoom``
etc. use, ``BaseImagePreprocessingLayer`` from ``keras.src``. It gives a layer
``self.backend`` (switched to TensorFlow inside a ``tf.data`` map, whatever
the Keras backend), single images and the ``{"images", "labels"}`` dict,
and the ``get_random_transformation`` / ``transform_images`` hooks. No other
module of the package imports ``keras.src`` or touches a ``_``-prefixed Keras
name (``tests/test_augment_keras_private.py`` checks it); they call:

* :class:`ImagePreprocessingLayer` — that base without its ``factor``
  argument (``_USE_BASE_FACTOR = False``).
* :func:`seed_generator` — a layer's ``keras.random.SeedGenerator`` for the
  backend it runs under now (``DataLayer._get_seed_generator``: under
  TensorFlow inside ``tf.data`` with another Keras backend, a TensorFlow
  generator with the same seed).

The private names used are the same in the Keras sources from 3.10.0 to
3.15.1; :data:`SUPPORTED` is that range (the floor of ``keras`` in
``pyproject.toml``, up to the minor version ``constraints.txt`` pins). Importing
this module under another Keras raises an ImportError naming both, instead
of failing later in a Keras internal.
"""

from __future__ import annotations

import re

import keras

#: Supported Keras versions, ``(major, minor)``: from the lower, inclusive, to the upper, exclusive.
SUPPORTED = ((3, 10), (3, 16))


def supported_range() -> str:
    """The supported Keras versions as a requirement string, e.g. ``">=3.10,<3.16"``."""
    (low_major, low_minor), (high_major, high_minor) = SUPPORTED
    return f">={low_major}.{low_minor},<{high_major}.{high_minor}"


def check_keras_version(version: str) -> None:
    """Raise ImportError unless Keras ``version`` (e.g. ``"3.15.1"``) is in :data:`SUPPORTED`.

    Only the major and minor numbers count: ``"3.10.0rc1"`` and ``"3.15.9"``
    pass under the default range, ``"3.9.2"`` and ``"3.16.0"`` do not.
    """
    match = re.match(r"\s*(\d+)\.(\d+)", str(version))
    found = (int(match[1]), int(match[2])) if match else None
    if found is None or not SUPPORTED[0] <= found < SUPPORTED[1]:
        raise ImportError(
            f"cvhelpers.augment builds on private Keras API (keras.src) written for Keras {supported_range()}, "
            f"but Keras {version} is installed. Install a supported Keras (constraints.txt pins the tested one: "
            "pip install -c constraints.txt -e .), or check cvhelpers/augment/_keras_private.py against "
            f"Keras {version} and widen SUPPORTED there."
        )


check_keras_version(keras.__version__)

from keras.src.layers.preprocessing.image_preprocessing.base_image_preprocessing_layer import (  # noqa: E402
    BaseImagePreprocessingLayer,
)


class ImagePreprocessingLayer(BaseImagePreprocessingLayer):
    """Keras's base of its augmentation layers, without the ``factor`` argument.

    ``BaseImagePreprocessingLayer`` is Keras's own base for its augmentation
    layers (Keras exports no public equivalent). It switches to the
    TensorFlow backend inside ``tf.data`` and handles single images and the
    ``{"images", "labels"}`` dict. A subclass sets ``seed`` and ``generator``
    (a ``keras.random.SeedGenerator``) in ``__init__`` for
    :func:`seed_generator`.
    """

    _USE_BASE_FACTOR = False


def seed_generator(layer):
    """``layer``'s seed generator for the backend it runs under now.

    The layer's own ``generator`` under the Keras backend; inside a
    ``tf.data`` map under another backend, a TensorFlow one with the same seed
    (made once, then reused).
    """
    return layer._get_seed_generator(layer.backend.name)
