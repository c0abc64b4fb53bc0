"""Image statistics behind notebook 01: exploratory data analysis for images.

The functions answer ten questions about a labelled image collection:

1. dimensions (:func:`size_table`), 2. aspect ratio (:func:`aspect_summary`),
3. colour (:func:`colour_modes`, :func:`channel_histograms`,
:func:`mean_colour`), 4. brightness and contrast (:func:`mean_luminance`,
:func:`rms_contrast`), 5. edges and blur (:func:`edge_density`,
:func:`laplacian_variance`), 6. texture (:func:`glcm_features`), 7. class
imbalance (:func:`imbalance_table`, :func:`effective_number`), 8. objects
(:func:`detect_objects`, OpenCV Haar cascades), 9. metadata
(:func:`read_exif`), 10. within-class similarity (:func:`class_mean_images`,
:func:`border_colour`, :func:`perceptual_hash`, :func:`near_duplicates`).

:func:`image_stats` computes every per-image number in one pass and returns a
DataFrame; it is what the benchmark times.

Images
------
Every statistic accepts either

* one array of shape ``(n, h, w)`` or ``(n, h, w, c)`` (a batch, e.g.
  Fashion-MNIST), or
* a list of arrays of shape ``(h, w)`` or ``(h, w, c)`` with varied sizes
  (e.g. :attr:`cvhelpers.datasets.ImageFolder.images` without ``size``).

``c`` is 1 (gray), 3 (RGB) or 4 (RGBA). Pixels are ``uint8`` in [0, 255] or
floats in [0, 1]. RGBA images are composited over a white background before
any statistic is taken, as :func:`cvhelpers.datasets.load_image_folder` does
for ``mode="RGB"``. Lists are processed in groups of equal shape, so the work
is vectorised with NumPy over whole batches; no statistic loops over pixels
in Python.

Used in notebook 01; the summary it ends with is read by notebooks 02-04.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

__all__ = [
    "LUMA_WEIGHTS",
    "HAAR_CASCADES",
    "to_luminance",
    "mean_luminance",
    "rms_contrast",
    "edge_density",
    "laplacian_variance",
    "glcm_features",
    "mean_colour",
    "border_colour",
    "is_grayscale",
    "alpha_coverage",
    "object_boxes",
    "channel_histograms",
    "image_shapes",
    "size_table",
    "aspect_summary",
    "colour_modes",
    "effective_number",
    "imbalance_table",
    "resize_batch",
    "limit_size",
    "class_mean_images",
    "perceptual_hash",
    "hamming_distance",
    "near_duplicates",
    "pixel_digests",
    "detect_objects",
    "read_exif",
    "file_problems",
    "image_stats",
    "plot_size_scatter",
    "plot_aspect_histogram",
    "plot_channel_histograms",
    "plot_stat_by_class",
    "plot_imbalance",
    "plot_projection",
]

#: Rec. 601 luma weights, as Pillow's ``convert("L")`` and OpenCV use.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

#: Detector name -> OpenCV Haar cascade file (shipped in opencv-python < 5).
HAAR_CASCADES = {
    "face": "haarcascade_frontalface_default.xml",
    "eye": "haarcascade_eye.xml",
    "body": "haarcascade_fullbody.xml",
    "cat_face": "haarcascade_frontalcatface_extended.xml",
}

_CHUNK = 2048


# ---------------------------------------------------------------------------
# Input handling: batches of equal shape
# ---------------------------------------------------------------------------


def _check_array(image, name: str, batched: bool) -> np.ndarray:
    array = np.asarray(image)
    if array.dtype != np.uint8 and not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} must hold uint8 (0-255) or float (0-1) pixels, got dtype {array.dtype}")
    ndim = array.ndim - (1 if batched else 0)
    if ndim == 2:
        array = array[..., None]
    elif ndim != 3:
        shape = "(n, h, w) or (n, h, w, c)" if batched else "(h, w) or (h, w, c)"
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if array.shape[-1] not in (1, 3, 4):
        raise ValueError(f"{name} must have 1, 3 or 4 channels, got {array.shape[-1]}")
    if min(array.shape[-3:-1], default=1) < 1:
        raise ValueError(f"{name} has an empty image: shape {array.shape}")
    return array


def _num_images(images) -> int:
    return len(images)


def _batches(images, name: str = "images", chunk: int = _CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(indices, batch)`` with batch of shape (k, h, w, c), equal shapes.

    An ndarray is cut into chunks; a list is grouped by image shape first.
    """
    if isinstance(images, np.ndarray):
        batch = _check_array(images, name, batched=True)
        for start in range(0, len(batch), chunk):
            stop = min(start + chunk, len(batch))
            yield np.arange(start, stop), batch[start:stop]
        return
    if not isinstance(images, (list, tuple)):
        raise TypeError(f"{name} must be an ndarray (n, h, w[, c]) or a list of arrays, got {type(images).__name__}")
    arrays = [_check_array(image, f"{name}[{index}]", batched=False) for index, image in enumerate(images)]
    groups: dict = {}
    for index, array in enumerate(arrays):
        groups.setdefault((array.shape, array.dtype.str), []).append(index)
    for members in groups.values():
        for start in range(0, len(members), chunk):
            picked = np.asarray(members[start : start + chunk])
            yield picked, np.stack([arrays[i] for i in picked])


def _single_threaded_blas():
    """A context in which BLAS uses one thread.

    The matrix products here are small (one batch of images at a time);
    a multi-threaded OpenBLAS spends more time waking its threads than
    computing, up to 100 times more on a busy 2-core machine.
    threadpoolctl comes with scikit-learn; without it nothing changes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _map(images, function: Callable, name: str = "images", dtype=np.float64) -> np.ndarray:
    """Apply ``function(batch) -> (k, ...)`` over all batches, in input order."""
    out = None
    total = _num_images(images)
    if total == 0:
        raise ValueError(f"{name} is empty")
    with _single_threaded_blas():
        for indices, batch in _batches(images, name):
            values = np.asarray(function(batch))
            if out is None:
                out = np.empty((total,) + values.shape[1:], dtype=dtype)
            out[indices] = values
    return out


def _to_float(batch: np.ndarray, background=(1.0, 1.0, 1.0)) -> np.ndarray:
    """uint8 or float batch -> float32 in [0, 1]; RGBA composited over ``background``."""
    if batch.dtype == np.uint8:
        values = batch.astype(np.float32) * np.float32(1 / 255)
    else:
        values = np.clip(batch.astype(np.float32, copy=False), 0.0, 1.0)
    if values.shape[-1] == 4:
        alpha = values[..., 3:4]
        values = values[..., :3] * alpha + np.asarray(background, np.float32) * (1.0 - alpha)
    return values


def _luminance(values: np.ndarray) -> np.ndarray:
    """float (k, h, w, 1|3) -> float32 (k, h, w)."""
    if values.shape[-1] == 1:
        return values[..., 0]
    return values @ np.asarray(LUMA_WEIGHTS, np.float32)


def _pad(values: np.ndarray) -> np.ndarray:
    """Pad (k, h, w) by one pixel: mirror without repeating the edge (OpenCV's default)."""
    mode = "reflect" if min(values.shape[1:]) > 1 else "edge"
    return np.pad(values, ((0, 0), (1, 1), (1, 1)), mode=mode)


# ---------------------------------------------------------------------------
# Per-image statistics on luminance (questions 4, 5, 6)
# ---------------------------------------------------------------------------


def to_luminance(images) -> list | np.ndarray:
    """Luminance Y = 0.299 R + 0.587 G + 0.114 B (Rec. 601), in [0, 1].

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
        uint8 or float pixels; RGBA is composited over white.

    Returns
    -------
    ndarray of shape (n, h, w), float32, or list of ndarray (h, w), float32
        Same container as the input.
    """
    if isinstance(images, np.ndarray):
        return _map(images, lambda b: _luminance(_to_float(b)), dtype=np.float32)
    out: list = [None] * len(images)
    for indices, batch in _batches(images):
        for index, lum in zip(indices, _luminance(_to_float(batch))):
            out[index] = lum
    return out


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

    if not isinstance(levels, (int, np.integer)) or not 2 <= levels <= 256:
        raise ValueError(f"levels must be an int from 2 to 256, got {levels!r}")
    values = _map(images, lambda b: _stat_glcm(_luminance(_to_float(b)), int(levels)))
    return pd.DataFrame(values, columns=list(GLCM_PROPERTIES))


# ---------------------------------------------------------------------------
# Colour (question 3) and background (question 10)
# ---------------------------------------------------------------------------


def _rgb(values):
    return np.repeat(values, 3, axis=-1) if values.shape[-1] == 1 else values


def mean_colour(images) -> np.ndarray:
    """Mean R, G, B of each image (RGBA composited over white; gray repeated).

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])

    Returns
    -------
    ndarray of shape (n, 3), float64
        In [0, 1].
    """
    return _map(images, lambda b: _rgb(_to_float(b)).mean(axis=(1, 2)))


def _border_mask(height, width, border):
    mask = np.zeros((height, width), dtype=bool)
    mask[:border, :] = mask[-border:, :] = True
    mask[:, :border] = mask[:, -border:] = True
    return mask


def _stat_border(values, border):
    mask = _border_mask(values.shape[1], values.shape[2], border)
    return _rgb(values)[:, mask].mean(axis=1)


def border_colour(images, border: int = 2) -> np.ndarray:
    """Mean colour of the outer frame of each image: its background (question 10).

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    border : int, default=2
        Width of the frame in pixels (clipped to the image).

    Returns
    -------
    ndarray of shape (n, 3), float64
        R, G, B in [0, 1].
    """
    if not isinstance(border, (int, np.integer)) or border < 1:
        raise ValueError(f"border must be a positive int, got {border!r}")
    return _map(images, lambda b: _stat_border(_to_float(b), int(border)))


def _stat_is_gray(batch, tolerance):
    if batch.shape[-1] == 1:
        return np.ones(len(batch), dtype=bool)
    if batch.dtype == np.uint8:
        rgb = batch[..., :3].astype(np.int16)
    else:
        rgb = np.rint(np.clip(batch[..., :3], 0, 1) * 255).astype(np.int16)
    spread = np.maximum(np.abs(rgb[..., 0] - rgb[..., 1]), np.abs(rgb[..., 1] - rgb[..., 2]))
    return spread.max(axis=(1, 2)) <= tolerance


def is_grayscale(images, tolerance: int = 2) -> np.ndarray:
    """Whether each image is gray: its R, G and B differ by at most ``tolerance``.

    Single-channel images are gray. Stored RGB images often are gray too;
    this finds them from the pixels, not the file's mode.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    tolerance : int, default=2
        Largest channel difference, in 0-255 levels, still counted as gray.

    Returns
    -------
    ndarray of shape (n,), bool
    """
    if not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise ValueError(f"tolerance must be a non-negative int, got {tolerance!r}")
    return _map(images, lambda b: _stat_is_gray(b, int(tolerance)), dtype=bool)


def _stat_alpha(batch):
    if batch.shape[-1] != 4:
        return np.zeros(len(batch))
    alpha = batch[..., 3]
    opaque = 255 if batch.dtype == np.uint8 else 1.0
    return (alpha < opaque).mean(axis=(1, 2))


def alpha_coverage(images) -> np.ndarray:
    """Share of (partly) transparent pixels in each image; 0 without alpha.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
        Load with ``mode="RGBA"`` (or ``None``) to keep the alpha channel.

    Returns
    -------
    ndarray of shape (n,), float64
        In [0, 1].
    """
    return _map(images, _stat_alpha)


def _stat_boxes(batch, threshold):
    height, width = batch.shape[1:3]
    frame = _border_mask(height, width, 1)
    if batch.shape[-1] == 4:  # the object is what is opaque
        alpha = batch[..., 3].astype(np.float32) / (255.0 if batch.dtype == np.uint8 else 1.0)
        mask = alpha > 0.5
    else:  # the object is what differs from the background: the frame's median colour
        values = _to_float(batch)
        background = np.median(values[:, frame], axis=1)[:, None, None, :]
        mask = np.abs(values - background).max(axis=-1) > threshold
    contact = mask[:, frame].mean(axis=1)
    rows, cols = mask.any(axis=2), mask.any(axis=1)
    empty = ~rows.any(axis=1)
    top, left = rows.argmax(axis=1), cols.argmax(axis=1)
    bottom, right = height - 1 - rows[:, ::-1].argmax(axis=1), width - 1 - cols[:, ::-1].argmax(axis=1)
    sides = (top == 0).astype(int) + (left == 0) + (bottom == height - 1) + (right == width - 1)
    share = (bottom - top + 1) * (right - left + 1) / (height * width)
    for corner in (top, left, bottom, right, sides):
        corner[empty] = 0
    share[empty] = 0.0
    return np.stack([top, left, bottom, right, share, sides, empty, contact], axis=1)


def object_boxes(images, threshold: float = 0.1):
    """The bounding box of each image's object, and whether the frame cuts it (question 10).

    An object whose box reaches the image's edge may run out of the picture
    (cropped, or occluded by the frame), or only be framed tightly. The
    frame contact tells the two apart: a tightly framed object touches the
    frame at a few points, a cut one along a stretch of it.

    The object is the opaque part of an RGBA image (alpha > 0.5), else every
    pixel that differs from the background, the median colour of the outer
    one-pixel frame, by more than ``threshold`` in some channel. (When an
    object fills most of the frame, that median is the object's colour and
    the box is of its surroundings: read the share as a lower bound there.)

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
        uint8 (0-255) or float (0-1) pixels.
    threshold : float, default=0.1
        In (0, 1): how far from the background colour a pixel must be.

    Returns
    -------
    pandas.DataFrame
        n rows: ``top``, ``left``, ``bottom``, ``right`` (inclusive pixel
        indices; 0 when empty), ``box_share`` (box area / image area),
        ``sides_touching`` (0-4), ``touches_border`` (bool), ``empty``
        (no object found) and ``frame_contact`` (share of the outer
        one-pixel frame that is object).

    Examples
    --------
    >>> image = np.zeros((8, 8), np.uint8); image[2:5, 3:8] = 255
    >>> object_boxes([image])[["top", "left", "bottom", "right", "sides_touching"]].values.tolist()
    [[2, 3, 4, 7, 1]]
    """
    import pandas as pd

    if not isinstance(threshold, (int, float, np.number)) or not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold must be a number in (0, 1), got {threshold!r}")
    values = _map(images, lambda b: _stat_boxes(b, float(threshold)))
    frame = pd.DataFrame(values[:, :4].astype(np.int64), columns=["top", "left", "bottom", "right"])
    frame["box_share"] = values[:, 4]
    frame["sides_touching"] = values[:, 5].astype(np.int64)
    frame["touches_border"] = frame["sides_touching"] > 0
    frame["empty"] = values[:, 6].astype(bool)
    frame["frame_contact"] = values[:, 7]
    return frame


def channel_histograms(images, labels=None, bins: int = 32, normalize: bool = True) -> np.ndarray:
    """Pixel-value histograms per channel, per class (question 3).

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
        RGBA is composited over white; gray is one channel.
    labels : ndarray of shape (n,), int, optional
        Class of each image; without it all images form one group.
    bins : int, default=32
        Bins over [0, 1]; a divisor of 256 keeps uint8 levels whole.
    normalize : bool, default=True
        Divide by each group's pixel count; ``False`` returns the counts
        (which can be summed over groups).

    Returns
    -------
    ndarray of shape (n_groups, c, bins), float64
        Each row sums to 1 (share of that group's pixels), or pixel counts;
        ``c`` is 1 when every image is gray-scale, else 3 (gray images
        count in all three).
    """
    if not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 256:
        raise ValueError(f"bins must be an int from 1 to 256, got {bins!r}")
    n = _num_images(images)
    labels = np.zeros(n, dtype=np.int64) if labels is None else _check_labels(labels, n)
    groups = int(labels.max()) + 1 if n else 1
    channels = 1 if all(batch.shape[-1] == 1 for _, batch in _batches(images)) else 3
    counts = np.zeros(groups * channels * bins, dtype=np.int64)
    for indices, batch in _batches(images):
        values = _to_float(batch)
        values = _rgb(values) if channels == 3 else values
        index = np.minimum((values * bins).astype(np.int64), bins - 1)
        index = index + (np.arange(channels) * bins) + (labels[indices] * channels * bins)[:, None, None, None]
        counts += np.bincount(index.ravel(), minlength=counts.size)
    counts = counts.reshape(groups, channels, bins).astype(np.float64)
    if not normalize:
        return counts
    with np.errstate(invalid="ignore"):
        return counts / counts.sum(axis=2, keepdims=True)


def _check_labels(labels, n: int, name: str = "labels") -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one label per image, got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {labels.dtype}")
    if n and labels.min() < 0:
        raise ValueError(f"{name} must be non-negative class indices")
    return labels.astype(np.int64)


# ---------------------------------------------------------------------------
# Dimensions, aspect ratio, colour modes (questions 1, 2, 3)
# ---------------------------------------------------------------------------


def image_shapes(images) -> np.ndarray:
    """Height, width and channels of each image.

    Returns
    -------
    ndarray of shape (n, 3), int64
    """
    if isinstance(images, np.ndarray):
        batch = _check_array(images, "images", batched=True)
        return np.tile(np.asarray(batch.shape[1:], dtype=np.int64), (len(batch), 1))
    return np.asarray(
        [_check_array(image, f"images[{i}]", batched=False).shape for i, image in enumerate(images)],
        dtype=np.int64,
    ).reshape(-1, 3)


def size_table(widths, heights, top: int = 10):
    """The most common image sizes (question 1).

    Parameters
    ----------
    widths, heights : array-like of shape (n,), int
        Sizes as stored (e.g. ``ImageFolder.manifest`` columns).
    top : int, default=10

    Returns
    -------
    pandas.DataFrame
        Columns ``width, height, count, share``, most common first.
    """
    import pandas as pd

    widths, heights = _check_sizes(widths, heights)
    frame = pd.DataFrame({"width": widths, "height": heights})
    counts = frame.value_counts().rename("count").reset_index()
    counts["share"] = counts["count"] / len(frame)
    return counts.head(top)


def _check_sizes(widths, heights):
    widths = np.asarray(widths, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    if widths.shape != heights.shape or widths.ndim != 1:
        raise ValueError(f"widths and heights must be 1-D and the same length, got {widths.shape}, {heights.shape}")
    if widths.size == 0:
        raise ValueError("widths and heights are empty")
    if not (np.all(widths > 0) and np.all(heights > 0)):
        raise ValueError("widths and heights must be positive (drop unreadable files first)")
    return widths.astype(np.int64), heights.astype(np.int64)


def aspect_summary(widths, heights, square_tolerance: float = 0.05, side: int | None = None) -> dict:
    """Aspect ratios and what resizing to a square would do (question 2).

    Parameters
    ----------
    widths, heights : array-like of shape (n,), int
    square_tolerance : float, default=0.05
        An image is square when ``|w / h - 1| <= square_tolerance``.
    side : int, optional
        The square side a model uses (e.g. 224); adds the shares of images
        that would be upscaled.

    Returns
    -------
    dict
        ``aspect`` (ndarray (n,) of w / h), ``share_portrait``,
        ``share_landscape``, ``share_square``, ``median_aspect``, and for a
        plain resize to a square: ``stretch`` (ndarray (n,),
        max(w/h, h/w) >= 1, the factor by which one axis is squashed
        relative to the other), ``median_stretch``,
        ``share_stretch_over_1_25`` and ``share_stretch_over_2``; with
        ``side``, ``share_upscaled`` (shorter side below ``side``).
    """
    widths, heights = _check_sizes(widths, heights)
    if not 0 <= square_tolerance < 1:
        raise ValueError(f"square_tolerance must be in [0, 1), got {square_tolerance!r}")
    aspect = widths / heights
    square = np.abs(aspect - 1) <= square_tolerance
    stretch = np.maximum(aspect, 1 / aspect)
    summary = {
        "aspect": aspect,
        "share_portrait": float(np.mean(~square & (aspect < 1))),
        "share_landscape": float(np.mean(~square & (aspect > 1))),
        "share_square": float(np.mean(square)),
        "median_aspect": float(np.median(aspect)),
        "stretch": stretch,
        "median_stretch": float(np.median(stretch)),
        "share_stretch_over_1_25": float(np.mean(stretch > 1.25)),
        "share_stretch_over_2": float(np.mean(stretch > 2)),
    }
    if side is not None:
        if not isinstance(side, (int, np.integer)) or side < 1:
            raise ValueError(f"side must be a positive int, got {side!r}")
        summary["share_upscaled"] = float(np.mean(np.minimum(widths, heights) < side))
    return summary


def colour_modes(images, stored_modes=None, tolerance: int = 2):
    """Colour kind of each image: gray, colour, alpha, palette (question 3).

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
        Preferably loaded with ``mode="RGBA"`` so the alpha channel is kept.
    stored_modes : sequence of str, optional
        The Pillow mode as stored (``ImageFolder.manifest["mode"]`` of the
        loaded rows): "P"/"PA" mark palette images, "LA"/"RGBA"/"PA" an
        alpha channel in the file.
    tolerance : int, default=2
        See :func:`is_grayscale`.

    Returns
    -------
    pandas.DataFrame
        n rows: ``stored_mode``, ``grayscale`` (from the pixels),
        ``has_alpha`` (some pixel is not opaque), ``palette`` (bool).
    """
    import pandas as pd

    n = _num_images(images)
    if stored_modes is None:
        stored_modes = [None] * n
    stored_modes = list(stored_modes)
    if len(stored_modes) != n:
        raise ValueError(f"stored_modes must have one entry per image ({n}), got {len(stored_modes)}")
    return pd.DataFrame(
        {
            "stored_mode": stored_modes,
            "grayscale": is_grayscale(images, tolerance),
            "has_alpha": alpha_coverage(images) > 0,
            "palette": [mode in ("P", "PA") for mode in stored_modes],
        }
    )


# ---------------------------------------------------------------------------
# Class imbalance (question 7)
# ---------------------------------------------------------------------------


def effective_number(counts, beta: float = 0.999) -> np.ndarray:
    """Effective number of samples, (1 - beta^n) / (1 - beta) (Cui et al. 2019).

    With beta = 0 every class counts as one sample; as beta approaches 1
    the effective number approaches n. Cui et al. use
    beta in {0.9, 0.99, 0.999, 0.9999}.

    Parameters
    ----------
    counts : array-like of shape (C,), int >= 0
    beta : float in [0, 1), default=0.999

    Returns
    -------
    ndarray of shape (C,), float64

    Examples
    --------
    >>> effective_number([1, 10], beta=0.9).round(3)
    array([1.   , 6.513])
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise ValueError(f"counts must be a 1-D array of non-negative numbers, got {counts!r}")
    if not isinstance(beta, (int, float, np.floating)) or not 0 <= beta < 1:
        raise ValueError(f"beta must be a number in [0, 1), got {beta!r}")
    if beta == 0:
        return np.minimum(counts, 1.0)
    # expm1/log keep precision when beta is close to 1 (1 - beta^n is tiny).
    return -np.expm1(counts * np.log(beta)) / (1.0 - beta)


def imbalance_table(labels, class_names=None, beta: float = 0.999):
    """Counts per class, head to tail, with the effective number (question 7).

    Parameters
    ----------
    labels : ndarray of shape (n,), int
    class_names : sequence of str, optional
    beta : float in [0, 1), default=0.999

    Returns
    -------
    pandas.DataFrame
        One row per class sorted by count (head first): ``label, class,
        count, share, effective_number, cb_weight``. ``cb_weight`` is the
        class-balanced weight 1 / effective number, scaled so the weights
        average to 1 over the classes. ``.attrs["imbalance_ratio"]`` holds
        max count / min count.
    """
    import pandas as pd

    labels = _check_labels(labels, len(np.asarray(labels)))
    num_classes = len(class_names) if class_names is not None else int(labels.max()) + 1
    counts = np.bincount(labels, minlength=num_classes)
    if class_names is not None and len(counts) > len(class_names):
        raise ValueError(f"labels go up to {len(counts) - 1} but class_names has {len(class_names)} names")
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(counts))]
    effective = effective_number(counts, beta)
    with np.errstate(divide="ignore"):
        weights = np.where(effective > 0, 1.0 / effective, 0.0)
    weights = weights * len(counts) / weights.sum()
    table = pd.DataFrame(
        {
            "label": np.arange(len(counts)),
            "class": names,
            "count": counts,
            "share": counts / counts.sum(),
            "effective_number": effective,
            "cb_weight": weights,
        }
    )
    table = table.sort_values(["count", "label"], ascending=[False, True], kind="stable").reset_index(drop=True)
    present = counts[counts > 0]
    table.attrs["imbalance_ratio"] = float(present.max() / present.min())
    table.attrs["beta"] = beta
    return table


# ---------------------------------------------------------------------------
# Resizing, class means, perceptual hashes (question 10)
# ---------------------------------------------------------------------------


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of an area (box) resize along one axis."""
    edges_out = np.arange(n_out + 1) * (n_in / n_out)
    lo = np.maximum(edges_out[:-1, None], np.arange(n_in)[None, :])
    hi = np.minimum(edges_out[1:, None], np.arange(n_in)[None, :] + 1)
    weights = np.clip(hi - lo, 0, None)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def _resize_float(values: np.ndarray, size) -> np.ndarray:
    """Area-resize a float batch (k, h, w, c) to (k, size[0], size[1], c)."""
    if values.shape[1:3] == tuple(size):
        return values
    k, h, w, c = values.shape
    rows = _area_matrix(h, size[0])
    cols = _area_matrix(w, size[1])
    # Two plain 2-D matrix products (BLAS) over all planes of the batch.
    planes = np.ascontiguousarray(np.moveaxis(values, -1, 1), dtype=np.float32)  # (k, c, h, w)
    narrow = (planes.reshape(-1, w) @ cols.T).reshape(k * c, h, size[1])
    small = np.ascontiguousarray(narrow.transpose(0, 2, 1)).reshape(-1, h) @ rows.T  # (k c W, H)
    return np.ascontiguousarray(small.reshape(k, c, size[1], size[0]).transpose(0, 3, 2, 1))


def _check_size(size) -> tuple[int, int]:
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and s > 0 for s in size)
    ):
        raise ValueError(f"size must be (height, width) with positive ints, got {size!r}")
    return int(size[0]), int(size[1])


def resize_batch(images, size=(32, 32)) -> np.ndarray:
    """Resize every image to ``size`` by area averaging, as one float array.

    The resize is two small matrix products per batch (a box filter that
    averages the source pixels each target pixel covers), so a batch of
    equal-sized images is resized in one NumPy call.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    size : (height, width), default=(32, 32)

    Returns
    -------
    ndarray of shape (n, height, width, c), float32
        In [0, 1]; ``c`` is 1 when every image is gray, else 3 (RGBA is
        composited over white).
    """
    size = _check_size(size)
    channels = 1 if all(batch.shape[-1] == 1 for _, batch in _batches(images)) else 3
    return _map(
        images,
        lambda b: _resize_float(_to_float(b) if channels == 1 else _rgb(_to_float(b)), size),
        dtype=np.float32,
    )


def limit_size(images, max_side: int = 512) -> list:
    """Shrink images whose longer side exceeds ``max_side``, keeping the aspect ratio.

    Large photos make every statistic slow and memory-hungry; statistics
    such as edge density then describe the images at a comparable scale.
    Uses ``cv2.resize`` with area interpolation, one call per large image.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c]), uint8
    max_side : int, default=512

    Returns
    -------
    list of ndarray (h', w'[, c]), same dtype
        Images already small enough are returned as they are (not copied).
    """
    import cv2

    if not isinstance(max_side, (int, np.integer)) or max_side < 1:
        raise ValueError(f"max_side must be a positive int, got {max_side!r}")
    out = []
    for index, image in enumerate(images):
        array = _check_array(image, f"images[{index}]", batched=False)
        height, width, channels = array.shape
        if max(height, width) <= max_side:
            out.append(image)
            continue
        scale = max_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(array if channels > 1 else array[..., 0], size, interpolation=cv2.INTER_AREA)
        if small.ndim == 2 and np.ndim(image) == 3:
            small = small[..., None]  # keep (h, w, 1) as it came
        out.append(small)
    return out


def class_mean_images(images, labels, size=(32, 32)):
    """Per-class mean and standard-deviation images (question 10).

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    labels : ndarray of shape (n,), int
    size : (height, width), default=(32, 32)
        Images are area-resized to this size first.

    Returns
    -------
    mean, std : ndarray of shape (C, height, width, c), float32
        In [0, 1]; a class without images gives NaN.
    """
    labels = _check_labels(labels, _num_images(images))
    small = resize_batch(images, size)
    num_classes = int(labels.max()) + 1
    mean = np.full((num_classes,) + small.shape[1:], np.nan, dtype=np.float32)
    std = np.full_like(mean, np.nan)
    order = np.argsort(labels, kind="stable")
    present, starts = np.unique(labels[order], return_index=True)
    for label, members in zip(present, np.split(order, starts[1:])):
        chosen = small[members]
        mean[label] = chosen.mean(axis=0)
        std[label] = chosen.std(axis=0)
    return np.clip(mean, 0, 1, out=mean), std


def perceptual_hash(images, hash_size: int = 8) -> np.ndarray:
    """DCT perceptual hash (pHash) of each image, as 64-bit integers (question 10).

    The definition of ``imagehash.phash``: luminance resized to
    ``4 * hash_size`` squared (area averaging), 2-D DCT-II, the top-left
    ``hash_size`` x ``hash_size`` coefficients compared with their median.
    Values differ from imagehash in a few bits because the resize differs.

    Contract: copies that are resized, re-compressed, slightly blurred, or
    changed in brightness or contrast stay within a few bits (found by
    :func:`near_duplicates`); a copy rotated by 90 degrees or mirrored is a
    different hash and is NOT flagged, as the hash encodes where the low
    frequencies lie. Check for rotated copies by hashing ``np.rot90`` of the
    images too.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    hash_size : int, default=8
        Only 8 (64 bits) is supported, so hashes fit one ``uint64``.

    Returns
    -------
    ndarray of shape (n,), uint64
    """
    from scipy.fft import dctn

    if hash_size != 8:
        raise ValueError(f"hash_size must be 8 (64-bit hashes), got {hash_size!r}")

    def hash_batch(batch):
        lum = _luminance(_to_float(batch))[..., None]
        small = _resize_float(lum, (4 * hash_size, 4 * hash_size))[..., 0]
        low = dctn(small.astype(np.float64), type=2, axes=(1, 2))[:, :hash_size, :hash_size]
        low = low.reshape(len(low), -1)
        bits = low > np.median(low, axis=1, keepdims=True)
        return np.packbits(bits, axis=1).view(">u8")[:, 0].astype(np.uint64)

    return _map(images, hash_batch, dtype=np.uint64)


def hamming_distance(a, b) -> np.ndarray:
    """Bits that differ between 64-bit hashes (broadcasting).

    Parameters
    ----------
    a, b : array-like of uint64

    Returns
    -------
    ndarray of uint8
    """
    return np.bitwise_count(np.asarray(a, dtype=np.uint64) ^ np.asarray(b, dtype=np.uint64))


def near_duplicates(hashes, threshold: int = 4, other=None, labels=None, other_labels=None, tile=(256, 4096)):
    """Pairs of images whose perceptual hashes differ in at most ``threshold`` bits.

    An exhaustive all-pairs search with XOR and ``np.bitwise_count``, in
    tiles small enough to stay in the CPU cache (about 2.5 billion pairs for
    70,000 images: seconds, not minutes). Exhaustive, so no pair is missed,
    unlike bucketed (LSH) searches.

    Parameters
    ----------
    hashes : ndarray of shape (n,), uint64
        From :func:`perceptual_hash`.
    threshold : int, default=4
        Largest Hamming distance (of 64 bits) counted as a near-duplicate.
    other : ndarray of shape (m,), uint64, optional
        A second set (e.g. the test set): then only pairs between the two
        sets are returned (leakage). Without it, pairs within ``hashes``.
    labels, other_labels : ndarray of int, optional
        Class of each image; adds ``label_i``, ``label_j`` and ``same_class``
        (within one set ``labels`` serves both sides).
    tile : (int, int), default=(256, 4096)
        Rows and columns compared at once.

    Returns
    -------
    pandas.DataFrame
        Columns ``i, j, distance`` (and the label columns), sorted by
        distance. ``i`` indexes ``hashes``; ``j`` indexes ``other`` if given,
        else ``hashes`` with ``i < j``.
    """
    import pandas as pd

    hashes = _check_hashes(hashes, "hashes")
    if not isinstance(threshold, (int, np.integer)) or not 0 <= threshold <= 64:
        raise ValueError(f"threshold must be an int from 0 to 64, got {threshold!r}")
    rows_per_tile, cols_per_tile = _check_size(tile)
    cross = other is not None
    targets = _check_hashes(other, "other") if cross else hashes
    xor = np.empty((rows_per_tile, cols_per_tile), np.uint64)
    bits = np.empty(xor.shape, np.uint8)
    close = np.empty(xor.shape, bool)
    found_i, found_j, found_d = [], [], []
    for r0 in range(0, len(hashes), rows_per_tile):
        r1 = min(r0 + rows_per_tile, len(hashes))
        for c0 in range(0 if cross else r0, len(targets), cols_per_tile):
            c1 = min(c0 + cols_per_tile, len(targets))
            k, m = r1 - r0, c1 - c0
            np.bitwise_xor(hashes[r0:r1, None], targets[None, c0:c1], out=xor[:k, :m])
            np.bitwise_count(xor[:k, :m], out=bits[:k, :m])
            if not np.less_equal(bits[:k, :m], threshold, out=close[:k, :m]).any():
                continue
            rows, cols = np.nonzero(close[:k, :m])
            if not cross:
                keep = cols + c0 > rows + r0  # strictly upper triangle
                rows, cols = rows[keep], cols[keep]
            found_i.append(rows + r0)
            found_j.append(cols + c0)
            found_d.append(bits[rows, cols])
    frame = pd.DataFrame(
        {
            "i": np.concatenate(found_i).astype(np.int64) if found_i else np.empty(0, np.int64),
            "j": np.concatenate(found_j).astype(np.int64) if found_j else np.empty(0, np.int64),
            "distance": np.concatenate(found_d).astype(np.int64) if found_d else np.empty(0, np.int64),
        }
    )
    if labels is not None:
        labels = _check_labels(labels, len(hashes))
        frame["label_i"] = labels[frame["i"].to_numpy()]
        second = labels if not cross else None
        if cross and other_labels is not None:
            second = _check_labels(other_labels, len(targets), "other_labels")
        if second is not None:
            frame["label_j"] = second[frame["j"].to_numpy()]
            frame["same_class"] = frame["label_i"] == frame["label_j"]
    return frame.sort_values(["distance", "i", "j"], kind="stable").reset_index(drop=True)


def _check_hashes(hashes, name):
    hashes = np.asarray(hashes)
    if hashes.ndim != 1 or hashes.dtype != np.uint64:
        raise TypeError(f"{name} must be a 1-D uint64 array from perceptual_hash, got {hashes.dtype} {hashes.shape}")
    return hashes


def pixel_digests(images) -> np.ndarray:
    """A BLAKE2b digest of each image's pixels: equal digests mean identical images.

    Returns
    -------
    ndarray of shape (n,), object (str, 32 hex characters)
    """
    out = np.empty(_num_images(images), dtype=object)
    for indices, batch in _batches(images):
        for index, image in zip(indices, batch):
            out[index] = hashlib.blake2b(
                np.ascontiguousarray(image).tobytes() + str(image.shape).encode(), digest_size=16
            ).hexdigest()
    return out


# ---------------------------------------------------------------------------
# Objects (question 8): OpenCV Haar cascades
# ---------------------------------------------------------------------------


def _load_cascades(detectors):
    import cv2

    if not hasattr(cv2, "data") or not hasattr(cv2.data, "haarcascades"):
        raise RuntimeError(
            "this OpenCV build ships no Haar cascades; install opencv-python-headless<5 "
            "(version 5 dropped cv2.data.haarcascades)"
        )
    cascades = {}
    for name in detectors:
        if name not in HAAR_CASCADES:
            raise ValueError(f"detectors must be among {tuple(HAAR_CASCADES)}, got {name!r}")
        path = Path(cv2.data.haarcascades) / HAAR_CASCADES[name]
        cascade = cv2.CascadeClassifier(str(path))
        if cascade.empty():
            raise RuntimeError(f"could not load the Haar cascade {path}")
        cascades[name] = cascade
    return cascades


def detect_objects(
    images,
    detectors: Sequence[str] = ("face", "eye", "body", "cat_face"),
    min_side: int = 0,
    scale_factor: float = 1.1,
    min_neighbors: int = 5,
):
    """Count faces, eyes, bodies and cat faces with OpenCV's Haar cascades (question 8).

    The cascades (Viola and Jones 2001) ship inside ``opencv-python-headless``
    below version 5, so this works offline. They find frontal, upright
    photographic faces; drawings and small images give few detections, and
    a count of 0 means "not found", not "absent".

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    detectors : sequence of str, default all of :data:`HAAR_CASCADES`
    min_side : int, default=0
        Images whose shorter side is smaller are upscaled to it first
        (the cascades' windows are 24 px and up).
    scale_factor, min_neighbors
        Passed to ``cv2.CascadeClassifier.detectMultiScale``.

    Returns
    -------
    pandas.DataFrame
        n rows, one int column per detector: detections in that image.
    """
    import cv2
    import pandas as pd

    cascades = _load_cascades(detectors)
    n = _num_images(images)
    counts = {name: np.zeros(n, dtype=np.int64) for name in cascades}
    for indices, batch in _batches(images):
        gray = np.rint(_luminance(_to_float(batch)) * 255).astype(np.uint8)
        for index, image in zip(indices, gray):
            short = min(image.shape)
            if min_side and short < min_side:
                scale = min_side / short
                image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
            image = cv2.equalizeHist(image)
            for name, cascade in cascades.items():
                found = cascade.detectMultiScale(image, scaleFactor=scale_factor, minNeighbors=min_neighbors)
                counts[name][index] = len(found)
    return pd.DataFrame(counts)


# ---------------------------------------------------------------------------
# Metadata (question 9): EXIF
# ---------------------------------------------------------------------------

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TAGS = {"make": 271, "model": 272, "datetime": 306, "orientation": 274, "x_resolution": 282, "y_resolution": 283}
_DATETIME_ORIGINAL = 36867


def read_exif(paths):
    """EXIF metadata of image files (question 9), read with Pillow.

    Never raises for one bad file: its ``error`` column says why.

    Parameters
    ----------
    paths : sequence of path-like

    Returns
    -------
    pandas.DataFrame
        One row per path: ``path, format, width, height, has_exif, make,
        model, camera ("make model", without a repeated make, or "unknown"), taken (Timestamp, from
        DateTimeOriginal, else DateTime), year, has_gps, orientation (1-8 or
        NaN), dpi (from EXIF XResolution, else the file's dpi), error``.
    """
    import pandas as pd
    from PIL import Image, UnidentifiedImageError

    if isinstance(paths, (str, Path)):
        raise TypeError("paths must be a sequence of paths, not a single path")
    rows = []
    for path in paths:
        row = {"path": str(path), "format": None, "width": np.nan, "height": np.nan, "has_exif": False,
               "make": None, "model": None, "taken": None, "has_gps": False, "orientation": np.nan,
               "dpi": np.nan, "error": ""}
        try:
            with Image.open(path) as image:
                row.update(format=image.format, width=image.width, height=image.height)
                exif = image.getexif()
                dpi = image.info.get("dpi")
                if dpi:
                    row["dpi"] = float(dpi[0])
                if exif:
                    row["has_exif"] = True
                    row["make"] = _clean(exif.get(_TAGS["make"]))
                    row["model"] = _clean(exif.get(_TAGS["model"]))
                    original = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
                    row["taken"] = _clean(original) or _clean(exif.get(_TAGS["datetime"]))
                    row["has_gps"] = bool(exif.get_ifd(_GPS_IFD))
                    if exif.get(_TAGS["orientation"]) is not None:
                        row["orientation"] = float(exif[_TAGS["orientation"]])
                    if exif.get(_TAGS["x_resolution"]) is not None:
                        row["dpi"] = float(exif[_TAGS["x_resolution"]])
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError, TypeError, ZeroDivisionError) as error:
            row["error"] = f"{type(error).__name__}: {error}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["camera"] = [_camera_name(make, model) for make, model in zip(frame["make"], frame["model"])]
    frame["taken"] = pd.to_datetime(frame["taken"], format="%Y:%m:%d %H:%M:%S", errors="coerce")
    frame["year"] = frame["taken"].dt.year
    return frame


def _camera_name(make, model) -> str:
    make = make if isinstance(make, str) else ""
    model = model if isinstance(model, str) else ""
    if make and model.lower().startswith(make.split()[0].lower()):
        return model  # "Canon" + "Canon PowerShot S50" -> "Canon PowerShot S50"
    return " ".join(part for part in (make, model) if part) or "unknown"


def _clean(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    value = str(value).replace("\x00", "").strip()
    return value or None


# ---------------------------------------------------------------------------
# Files that could not be read
# ---------------------------------------------------------------------------


def file_problems(manifest, image_extensions=(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")):
    """The files a folder load skipped, split into real problems and other files.

    Parameters
    ----------
    manifest : pandas.DataFrame
        ``ImageFolder.manifest`` (columns ``path, class_name, status, reason``).
    image_extensions : sequence of str
        A skipped file with one of these endings is a *problem* (corrupt,
        truncated, empty, too large); others (sounds, text, vector files)
        are merely *not images*.

    Returns
    -------
    problems : pandas.DataFrame
        One row per skipped image file: ``path, class_name, reason``.
    others : pandas.DataFrame
        Skipped non-image files counted by extension: ``extension, files``.
    """
    import pandas as pd

    required = {"path", "class_name", "status", "reason"}
    if not hasattr(manifest, "columns") or not required <= set(manifest.columns):
        raise TypeError(f"manifest must be a DataFrame with columns {sorted(required)}")
    skipped = manifest[manifest["status"] != "ok"]
    extensions = skipped["path"].map(lambda p: Path(p).suffix.lower())
    is_image = extensions.isin([e.lower() for e in image_extensions])
    problems = skipped.loc[is_image, ["path", "class_name", "reason"]].reset_index(drop=True)
    others = (
        extensions[~is_image].replace("", "(none)").value_counts().rename_axis("extension").rename("files").reset_index()
    )
    return problems, pd.DataFrame(others)


# ---------------------------------------------------------------------------
# Everything per image in one pass
# ---------------------------------------------------------------------------

STAT_COLUMNS = (
    "height", "width", "channels", "luminance", "rms_contrast", "edge_density", "laplacian_var",
    "mean_r", "mean_g", "mean_b", "border_r", "border_g", "border_b", "border_luminance",
    "grayscale", "alpha_coverage",
) + tuple(f"glcm_{name}" for name in GLCM_PROPERTIES) + ("phash",)


def _stats_batch(batch, edge_threshold, glcm_levels, border, tolerance):
    from scipy.fft import dctn

    values = _to_float(batch)
    lum = _luminance(values)
    rgb = _rgb(values)
    mean_rgb = rgb.mean(axis=(1, 2))
    border_rgb = _stat_border(values, border)
    small = _resize_float(lum[..., None], (32, 32))[..., 0]
    low = dctn(small.astype(np.float64), type=2, axes=(1, 2))[:, :8, :8].reshape(len(batch), -1)
    bits = low > np.median(low, axis=1, keepdims=True)
    phash = np.packbits(bits, axis=1).view(">u8")[:, 0].astype(np.uint64)
    columns = [
        np.full(len(batch), batch.shape[1]),
        np.full(len(batch), batch.shape[2]),
        np.full(len(batch), batch.shape[3]),
        _stat_mean_luminance(lum),
        _stat_rms_contrast(lum),
        _stat_edge_density(lum, edge_threshold),
        _stat_laplacian_variance(lum),
        *mean_rgb.T,
        *border_rgb.T,
        border_rgb @ np.asarray(LUMA_WEIGHTS),
        _stat_is_gray(batch, tolerance),
        _stat_alpha(batch),
        *_stat_glcm(lum, glcm_levels).T,
    ]
    return np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=1), phash


def image_stats(
    images,
    labels=None,
    class_names=None,
    edge_threshold: float = 0.2,
    glcm_levels: int = 16,
    border: int = 2,
    tolerance: int = 2,
    progress: bool = False,
):
    """Every per-image statistic of the ten questions, in one pass.

    Equivalent to calling :func:`image_shapes`, :func:`mean_luminance`,
    :func:`rms_contrast`, :func:`edge_density`, :func:`laplacian_variance`,
    :func:`mean_colour`, :func:`border_colour`, :func:`is_grayscale`,
    :func:`alpha_coverage`, :func:`glcm_features` and
    :func:`perceptual_hash`, but converts each batch only once.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    labels : ndarray of shape (n,), int, optional
    class_names : sequence of str, optional
        Adds a ``class`` column (needs ``labels``).
    edge_threshold, glcm_levels, border, tolerance
        As in the single functions.
    progress : bool, default=False
        Show a progress bar over batches.

    Returns
    -------
    pandas.DataFrame
        n rows; the columns of ``STAT_COLUMNS`` (``phash`` is uint64,
        ``grayscale`` bool, sizes int), plus ``label`` and ``class`` when
        given.
    """
    import pandas as pd

    from cvhelpers.progress import progress_bar

    edge_threshold = _check_threshold(edge_threshold)
    if not isinstance(glcm_levels, (int, np.integer)) or not 2 <= glcm_levels <= 256:
        raise ValueError(f"glcm_levels must be an int from 2 to 256, got {glcm_levels!r}")
    if not isinstance(border, (int, np.integer)) or border < 1:
        raise ValueError(f"border must be a positive int, got {border!r}")
    if not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise ValueError(f"tolerance must be a non-negative int, got {tolerance!r}")
    n = _num_images(images)
    if n == 0:
        raise ValueError("images is empty")
    numbers = np.empty((n, len(STAT_COLUMNS) - 1))
    hashes = np.empty(n, dtype=np.uint64)
    batches = _batches(images)
    if progress:
        batches = progress_bar(batches, desc="image stats", unit="batch")
    with _single_threaded_blas():
        for indices, batch in batches:
            numbers[indices], hashes[indices] = _stats_batch(
                batch, edge_threshold, int(glcm_levels), int(border), tolerance
            )
    frame = pd.DataFrame(numbers, columns=list(STAT_COLUMNS[:-1]))
    for column in ("height", "width", "channels"):
        frame[column] = frame[column].astype(np.int64)
    frame["grayscale"] = frame["grayscale"].astype(bool)
    frame["phash"] = hashes
    if labels is not None:
        labels = _check_labels(labels, n)
        frame["label"] = labels
        if class_names is not None:
            frame["class"] = pd.Categorical.from_codes(labels, categories=list(class_names))
    elif class_names is not None:
        raise ValueError("class_names needs labels")
    return frame


# ---------------------------------------------------------------------------
# Plots (Matplotlib / seaborn); each returns the figure
# ---------------------------------------------------------------------------


def plot_size_scatter(widths, heights, title=None):
    """Width against height with marginal histograms, log axes (question 1).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import seaborn as sns

    widths, heights = _check_sizes(widths, heights)
    grid = sns.JointGrid(x=widths, y=heights, height=4.5)
    grid.plot_joint(sns.scatterplot, s=12, alpha=0.5, edgecolor="none")
    grid.plot_marginals(sns.histplot, bins=30, log_scale=True, element="step")
    grid.ax_joint.set_xscale("log")
    grid.ax_joint.set_yscale("log")
    low, high = min(widths.min(), heights.min()), max(widths.max(), heights.max())
    grid.ax_joint.plot([low, high], [low, high], color="gray", lw=0.8, ls="--", label="square")
    grid.ax_joint.legend(loc="upper left", fontsize=8)
    grid.set_axis_labels("width (px)", "height (px)")
    if title:
        grid.figure.suptitle(title, y=1.02)
    return grid.figure


def plot_aspect_histogram(aspect, bins: int = 40, ax=None, title=None):
    """Histogram of w / h on a log axis, with 1:1, 4:3 and 16:9 marked (question 2)."""
    import matplotlib.pyplot as plt

    aspect = np.asarray(aspect, dtype=np.float64)
    if ax is None:
        figure, ax = plt.subplots(figsize=(6, 3))
    else:
        figure = ax.figure
    edges = np.geomspace(max(aspect.min(), 1e-3) * 0.95, aspect.max() * 1.05, bins + 1)
    ax.hist(aspect, bins=edges, color="tab:blue")
    ax.set_xscale("log")
    for ratio, label in ((3 / 4, "3:4"), (1.0, "1:1"), (4 / 3, "4:3"), (16 / 9, "16:9")):
        ax.axvline(ratio, color="gray", ls="--", lw=0.8)
        ax.text(ratio, ax.get_ylim()[1] * 0.95, label, fontsize=7, ha="center", va="top", rotation=90)
    ax.set_xlabel("aspect ratio w / h (log scale; < 1 portrait, > 1 landscape)")
    ax.set_ylabel("images")
    ax.set_title(title or "aspect ratio")
    figure.tight_layout()
    return figure


def plot_channel_histograms(histograms, group_names=None, title=None, max_groups: int = 6):
    """Per-channel histograms from :func:`channel_histograms`, one panel per group."""
    import matplotlib.pyplot as plt

    histograms = np.asarray(histograms)
    if histograms.ndim != 3:
        raise ValueError(f"histograms must have shape (groups, channels, bins), got {histograms.shape}")
    groups = min(len(histograms), max_groups)
    figure, axes = plt.subplots(1, groups, figsize=(2.6 * groups, 2.4), sharey=True, squeeze=False)
    centres = (np.arange(histograms.shape[2]) + 0.5) / histograms.shape[2]
    colours = ["black"] if histograms.shape[1] == 1 else ["tab:red", "tab:green", "tab:blue"]
    for g, ax in enumerate(axes[0]):
        for c, colour in enumerate(colours):
            ax.plot(centres, histograms[g, c], color=colour, lw=1)
        ax.set_yscale("log")
        ax.set_title(group_names[g] if group_names is not None else f"group {g}", fontsize=8)
        ax.set_xlabel("pixel value", fontsize=8)
    axes[0, 0].set_ylabel("share of pixels (log)")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_stat_by_class(stats, column: str, ax=None, title=None, log: bool = False):
    """A box plot of one :func:`image_stats` column per class, classes by median."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if column not in stats.columns or "class" not in stats.columns:
        raise ValueError(f"stats must have columns 'class' and {column!r}")
    order = stats.groupby("class", observed=True)[column].median().sort_values().index.tolist()
    if ax is None:
        figure, ax = plt.subplots(figsize=(max(5, 0.45 * len(order)), 3.2))
    else:
        figure = ax.figure
    sns.boxplot(data=stats, x="class", y=column, order=order, ax=ax, fliersize=1.5, color="tab:blue")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.set_xlabel("")
    if log:
        ax.set_yscale("log")
    ax.set_title(title or column, fontsize=9)
    figure.tight_layout()
    return figure


def plot_imbalance(table, ax=None, title=None):
    """Counts and effective numbers, head to tail, log axis (question 7).

    Parameters
    ----------
    table : pandas.DataFrame from :func:`imbalance_table`
    """
    import matplotlib.pyplot as plt

    if ax is None:
        figure, ax = plt.subplots(figsize=(max(5, 0.45 * len(table)), 3.2))
    else:
        figure = ax.figure
    x = np.arange(len(table))
    ax.bar(x, table["count"], color="tab:blue", label="images")
    ax.plot(x, table["effective_number"], "o-", color="tab:orange", ms=4,
            label=f"effective number (beta={table.attrs.get('beta', '?')})")
    ax.set_yscale("log")
    ax.set_xticks(x, table["class"], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("images (log scale)")
    ax.legend(fontsize=7)
    ratio = table.attrs.get("imbalance_ratio")
    ax.set_title(title or (f"head to tail, imbalance ratio {ratio:.0f}" if ratio else "head to tail"), fontsize=9)
    figure.tight_layout()
    return figure


def plot_projection(features, labels, class_names=None, ax=None, title=None, seed: int = 0):
    """Standardise the features, project to 2-D with PCA, colour by class (question 6).

    Parameters
    ----------
    features : array-like of shape (n, d), float
    labels : ndarray of shape (n,), int

    Returns
    -------
    figure : matplotlib.figure.Figure
    explained : ndarray of shape (2,), float64
        Share of variance the two components explain.
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    features = np.asarray(features, dtype=np.float64)
    labels = _check_labels(labels, len(features))
    if features.ndim != 2 or features.shape[1] < 2:
        raise ValueError(f"features must have shape (n, d) with d >= 2, got {features.shape}")
    finite = np.all(np.isfinite(features), axis=1)
    pca = PCA(n_components=2, random_state=seed)
    points = pca.fit_transform(StandardScaler().fit_transform(features[finite]))
    if ax is None:
        figure, ax = plt.subplots(figsize=(6, 4.5))
    else:
        figure = ax.figure
    cmap = plt.get_cmap("tab20", max(int(labels.max()) + 1, 1))
    for label in np.unique(labels[finite]):
        chosen = labels[finite] == label
        name = class_names[label] if class_names is not None else str(label)
        ax.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.6, color=cmap(label), label=name)
    ax.set_xlabel(f"PC 1 ({pca.explained_variance_ratio_[0]:.0%})")
    ax.set_ylabel(f"PC 2 ({pca.explained_variance_ratio_[1]:.0%})")
    ax.legend(fontsize=6, markerscale=2, ncols=2, loc="best", frameon=False)
    ax.set_title(title or "texture features, PCA", fontsize=9)
    figure.tight_layout()
    return figure, pca.explained_variance_ratio_
