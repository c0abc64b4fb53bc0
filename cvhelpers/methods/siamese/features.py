"""Features to compare images by: learned embeddings, and the raw-pixel baseline.

:func:`embed` runs an embedding network over images; :func:`pixel_features`
turns raw pixels into centred unit vectors for the nearest-neighbour baseline.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.data.pipeline import to_float_images

__all__ = ["embed", "pixel_features"]


def embed(model, x, batch_size: int = 512) -> np.ndarray:
    """Embeddings of images, shape (n, dim), float32 (inference mode)."""
    return np.asarray(model.predict(to_float_images(x), batch_size=batch_size, verbose=0), np.float32)


def pixel_features(x) -> np.ndarray:
    """Raw pixels as unit vectors, shape (n, h·w·c), float32: the baseline's "embedding".

    Nearest neighbour on these is nearest neighbour by pixel correlation (on
    centred, unit-length vectors, Euclidean distance ranks like correlation).
    """
    flat = to_float_images(x).reshape(len(x), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-8)
