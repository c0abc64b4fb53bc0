"""Image dimensions, aspect ratios and stored colour modes.

Questions 1 to 3 of notebook 01: :func:`image_shapes` (height, width and
channels of each array), :func:`size_table` (the most common stored sizes),
:func:`aspect_summary` (aspect ratios and what a plain resize to a square
would stretch or upscale) and :func:`colour_modes` (gray, alpha and palette
images, from the pixels and the file's Pillow mode). The size checks are
shared with :mod:`cvhelpers.eda.plots`.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.eda._batching import _check_array, _num_images
from cvhelpers.eda.colour import alpha_coverage, is_grayscale
from cvhelpers.validation import check_finite_array, check_number, check_positive_int

__all__ = [
    "image_shapes",
    "size_table",
    "aspect_summary",
    "colour_modes",
]


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


def size_table(widths, heights, top: int | None = 10):
    """The most common image sizes (question 1).

    Parameters
    ----------
    widths, heights : array-like of shape (n,), int
        Sizes as stored (e.g. ``ImageFolder.manifest`` columns).
    top : int or None, default=10
        How many sizes to list; ``None`` lists every distinct size.

    Returns
    -------
    pandas.DataFrame
        Columns ``width, height, count, share``, most common first.
    """
    import pandas as pd

    widths, heights = _check_sizes(widths, heights)
    if top is not None:
        top = check_positive_int(top, "top")
    frame = pd.DataFrame({"width": widths, "height": heights})
    counts = frame.value_counts().rename("count").reset_index()
    counts["share"] = counts["count"] / len(frame)
    return counts.head(top)


def _check_sizes(widths, heights):
    widths, heights = np.asarray(widths), np.asarray(heights)
    if widths.shape != heights.shape or widths.ndim != 1:
        raise ValueError(f"widths and heights must be 1-D and the same length, got {widths.shape}, {heights.shape}")
    if widths.size == 0:
        raise ValueError("widths and heights are empty")
    checked = []
    for name, values in (("widths", widths), ("heights", heights)):
        try:
            values = check_finite_array(values, name, positive=True)
        except ValueError as error:
            raise ValueError(f"{error} (drop unreadable files first)") from None
        if (values != np.round(values)).any():
            raise ValueError(f"{name} must be whole numbers of pixels, got {values[values != np.round(values)][:3]}")
        checked.append(values.astype(np.int64))
    return tuple(checked)


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
    if check_number(square_tolerance, "square_tolerance", low=0.0) >= 1:
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
        side = check_positive_int(side, "side")
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
    if isinstance(stored_modes, str):
        raise TypeError(f"stored_modes must be a sequence with one mode per image, not one string {stored_modes!r}")
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
