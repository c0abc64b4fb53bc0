"""Features to compare images by: learned embeddings, and the raw-pixel baseline.

:func:`embed` runs an embedding network over images; :func:`pixel_features`
turns raw pixels into centred unit vectors for the nearest-neighbour baseline.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.data.pipeline import to_float_images
from cvhelpers.validation import check_positive_int

__all__ = ["embed", "pixel_features"]


def _images(x) -> np.ndarray:
    """``x`` as non-empty float32 images (n, h, w, c) by :func:`to_float_images` (which checks dtype and range)."""
    images = to_float_images(x)
    if images.size == 0:
        raise ValueError(f"x is empty, got shape {np.shape(x)}")
    return images


def embed(model, x, batch_size: int = 512) -> np.ndarray:
    """Embeddings of images, shape (n, dim), float32 (inference mode).

    Parameters
    ----------
    model : keras.Model
        (batch, h, w, c) -> (batch, dim).
    x : ndarray of shape (n, h, w) or (n, h, w, c)
        Non-empty; uint8 (scaled to [0, 1]) or float in [0, 1], as
        :func:`cvhelpers.data.pipeline.to_float_images` takes them.
    batch_size : int, default=512

    Raises
    ------
    TypeError
        When ``model`` has no ``predict``, or ``x`` is of a dtype
        :func:`~cvhelpers.data.pipeline.to_float_images` refuses.
    ValueError
        When ``x`` is empty or refused by
        :func:`~cvhelpers.data.pipeline.to_float_images`, or ``batch_size`` < 1.
    """
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"model must be a keras.Model (with predict), got {type(model).__name__}")
    batch_size = check_positive_int(batch_size, "batch_size")
    return np.asarray(model.predict(_images(x), batch_size=batch_size, verbose=0), np.float32)


def pixel_features(x) -> np.ndarray:
    """Raw pixels as unit vectors, shape (n, h·w·c), float32: the baseline's "embedding".

    Nearest neighbour on these is nearest neighbour by pixel correlation (on
    centred, unit-length vectors, Euclidean distance ranks like correlation).
    ``x`` is as in :func:`embed`.
    """
    flat = _images(x).reshape(len(x), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-8)
