"""Per-image statistics of luminance: brightness, contrast, edges, sharpness, texture.

Questions 4 to 6 of notebook 01: :func:`mean_luminance` and
:func:`rms_contrast` (brightness and contrast), :func:`edge_density` (Sobel
edges) and :func:`laplacian_variance` (blur), and :func:`glcm_features`
(grey-level co-occurrence texture, :data:`GLCM_PROPERTIES`). Each works on
whole batches with NumPy slices; the private ``_stat_*`` functions take one
batch of luminance and are shared with :mod:`cvhelpers.eda.per_image`.
"""

from __future__ import annotations

import warnings

import numpy as np

from cvhelpers.eda._batching import _luminance, _map, _pad, _to_float
from cvhelpers.validation import check_positive_int

__all__ = [
    "mean_luminance",
    "rms_contrast",
    "edge_density",
    "laplacian_variance",
    "glcm_features",
]


def _stat_mean_luminance(lum):
    return lum.mean(axis=(1, 2))


def _stat_rms_contrast(lum):
    return lum.std(axis=(1, 2))


def mean_luminance(images) -> np.ndarray:
    """Mean luminance of each image (question 4: brightness).

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])

    Returns
    -------
    ndarray of shape (n,), float64
        In [0, 1]: 0 is black, 1 is white.
    """
    return _map(images, lambda b: _stat_mean_luminance(_luminance(_to_float(b))))


def rms_contrast(images) -> np.ndarray:
    """RMS contrast: the standard deviation of luminance (question 4).

    Peli (1990). A constant image has 0; an image half black and half
    white has 0.5, the largest possible value.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])

    Returns
    -------
    ndarray of shape (n,), float64
        In [0, 0.5].
    """
    return _map(images, lambda b: _stat_rms_contrast(_luminance(_to_float(b))))


def _sobel_magnitude(lum: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of (k, h, w) luminance, scaled so a 0->1 step gives 1."""
    p = _pad(lum)
    left = p[:, :-2, :-2] + 2 * p[:, 1:-1, :-2] + p[:, 2:, :-2]
    right = p[:, :-2, 2:] + 2 * p[:, 1:-1, 2:] + p[:, 2:, 2:]
    top = p[:, :-2, :-2] + 2 * p[:, :-2, 1:-1] + p[:, :-2, 2:]
    bottom = p[:, 2:, :-2] + 2 * p[:, 2:, 1:-1] + p[:, 2:, 2:]
    return np.hypot(right - left, bottom - top) * np.float32(0.25)


def _stat_edge_density(lum, threshold):
    return (_sobel_magnitude(lum) > threshold).mean(axis=(1, 2))


def edge_density(images, threshold: float = 0.2) -> np.ndarray:
    """Share of pixels on an edge (question 5).

    The Sobel gradient of luminance is scaled by 1/4, so a step from black
    to white has magnitude 1 on the two pixels either side of it. A pixel is
    an edge pixel when its magnitude exceeds ``threshold``. Borders are
    mirrored (OpenCV's ``BORDER_REFLECT_101``), so the frame of an image
    makes no edge. Written with NumPy slices rather than ``cv2.Sobel`` so it
    runs on a whole batch at once.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    threshold : float, default=0.2
        In (0, sqrt(2)); 0.2 means a change of 20 % of the full range across
        two pixels.

    Returns
    -------
    ndarray of shape (n,), float64
        In [0, 1]. A constant image has 0; a w-pixel-wide image, black on
        the left half and white on the right, has 2 / w.
    """
    threshold = _check_threshold(threshold)
    return _map(images, lambda b: _stat_edge_density(_luminance(_to_float(b)), threshold))


def _check_threshold(threshold) -> float:
    if not isinstance(threshold, (int, float, np.number)) or not 0 < float(threshold) < np.sqrt(2):
        raise ValueError(f"threshold must be a number in (0, sqrt(2)), got {threshold!r}")
    return float(threshold)


def _stat_laplacian_variance(lum):
    p = _pad(lum * np.float32(255))
    lap = p[:, :-2, 1:-1] + p[:, 2:, 1:-1] + p[:, 1:-1, :-2] + p[:, 1:-1, 2:] - 4 * p[:, 1:-1, 1:-1]
    return lap.astype(np.float64).var(axis=(1, 2))


def laplacian_variance(images) -> np.ndarray:
    """Variance of the Laplacian of luminance: a sharpness (blur) measure (question 5).

    Pech-Pacheco et al. (2000). Luminance is on the 0-255 scale and the
    kernel is the 4-neighbour Laplacian with mirrored borders, so the value
    equals ``cv2.Laplacian(gray, cv2.CV_64F).var()``. Low values mean smooth
    or blurred images; the scale depends on the image content, so compare
    within a dataset.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])

    Returns
    -------
    ndarray of shape (n,), float64
        0 for a constant image.
    """
    return _map(images, lambda b: _stat_laplacian_variance(_luminance(_to_float(b))))


GLCM_PROPERTIES = ("contrast", "homogeneity", "energy", "correlation")


def _quantise(lum, levels):
    # Same levels as quantising the uint8 luminance: floor(round(255 y) * L / 256).
    grey = np.rint(lum * np.float32(255)).astype(np.int64)
    return (grey * levels) >> 8


def _stat_glcm(lum, levels):
    k = lum.shape[0]
    q = _quantise(lum, levels)
    base = (np.arange(k) * levels * levels)[:, None]
    props = []
    for first, second in ((q[:, :, :-1], q[:, :, 1:]), (q[:, :-1, :], q[:, 1:, :])):  # 0 and 90 degrees
        pairs = (first * levels + second).reshape(k, -1) + base
        counts = np.bincount(pairs.ravel(), minlength=k * levels * levels).reshape(k, levels, levels)
        counts = counts + counts.transpose(0, 2, 1)  # symmetric
        total = counts.sum(axis=(1, 2), keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = counts / total
        i = np.arange(levels, dtype=np.float64)[:, None]
        j = np.arange(levels, dtype=np.float64)[None, :]
        contrast = (p * (i - j) ** 2).sum(axis=(1, 2))
        homogeneity = (p / (1.0 + (i - j) ** 2)).sum(axis=(1, 2))
        energy = np.sqrt((p**2).sum(axis=(1, 2)))
        mean_i = (p * i).sum(axis=(1, 2))
        mean_j = (p * j).sum(axis=(1, 2))
        std_i = np.sqrt((p * (i - mean_i[:, None, None]) ** 2).sum(axis=(1, 2)))
        std_j = np.sqrt((p * (j - mean_j[:, None, None]) ** 2).sum(axis=(1, 2)))
        cov = (p * (i - mean_i[:, None, None]) * (j - mean_j[:, None, None])).sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            # scikit-image's convention: a constant image has correlation 1.
            correlation = np.where((std_i < 1e-15) | (std_j < 1e-15), 1.0, cov / (std_i * std_j))
        correlation = np.where(np.isnan(contrast), np.nan, correlation)
        props.append(np.stack([contrast, homogeneity, energy, correlation], axis=1))
    if not k:
        return np.empty((0, 4))
    with warnings.catch_warnings():  # a 1x1 image has no pixel pairs: NaN, without a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.stack(props), axis=0)


def glcm_features(images, levels: int = 16):
    """Grey-level co-occurrence features per image (question 6: texture).

    The GLCM counts pairs of neighbouring pixels (distance 1, angles 0 and
    90 degrees, symmetric, normalised) after quantising luminance to
    ``levels`` grey levels. The four Haralick properties are averaged over
    the two angles. The result equals ``skimage.feature.graycoprops`` on
    ``graycomatrix(q, [1], [0, pi/2], levels, symmetric=True, normed=True)``
    averaged over angles; it is written here with ``np.bincount`` so that
    a whole batch is one NumPy call instead of one scikit-image call per image.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    levels : int, default=16
        Grey levels, 2 to 256.

    Returns
    -------
    pandas.DataFrame
        n rows, columns ``contrast, homogeneity, energy, correlation``
        (float64). A constant image has contrast 0, homogeneity 1, energy 1
        and correlation 1.
    """
    import pandas as pd

    if check_positive_int(levels, "levels", smallest=2) > 256:
        raise ValueError(f"levels must be an int from 2 to 256, got {levels!r}")
    values = _map(images, lambda b: _stat_glcm(_luminance(_to_float(b)), int(levels)))
    return pd.DataFrame(values, columns=list(GLCM_PROPERTIES))
