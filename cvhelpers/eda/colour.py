"""Colour of each image and of its parts: mean and border colour, gray, alpha, object box.

Question 3 (colour: :func:`mean_colour`, :func:`is_grayscale`,
:func:`alpha_coverage`, :func:`channel_histograms` per class) and question
10 (background and framing: :func:`border_colour`, the mean colour of the
outer frame, and :func:`object_boxes`, each object's bounding box and
whether the frame cuts it). Gray images are repeated to three channels where
RGB is needed; RGBA is composited over white except where alpha is the
point. The private ``_stat_*`` functions are shared with
:mod:`cvhelpers.eda.per_image`.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.eda._batching import _batches, _check_labels, _map, _num_images, _rgb, _to_float
from cvhelpers.validation import check_positive_int

__all__ = [
    "mean_colour",
    "border_colour",
    "is_grayscale",
    "alpha_coverage",
    "object_boxes",
    "channel_histograms",
]


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
    border = check_positive_int(border, "border")
    return _map(images, lambda b: _stat_border(_to_float(b), border))


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
    tolerance = check_positive_int(tolerance, "tolerance", smallest=0)
    return _map(images, lambda b: _stat_is_gray(b, tolerance), dtype=bool)


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
    if check_positive_int(bins, "bins") > 256:
        raise ValueError(f"bins must be an int from 1 to 256, got {bins!r}")
    n = _num_images(images)
    if n == 0:
        raise ValueError("images is empty")
    labels = np.zeros(n, dtype=np.int64) if labels is None else _check_labels(labels, n)
    groups = int(labels.max()) + 1
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
