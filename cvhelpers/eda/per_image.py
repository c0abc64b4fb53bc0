"""Every per-image statistic in one pass: the table notebook 01 and the benchmark use.

:func:`image_stats` computes sizes, luminance, contrast, edges, sharpness,
mean and border colour, gray, alpha, GLCM texture and the perceptual hash
(the columns of :data:`STAT_COLUMNS`) for each image and returns a
DataFrame. It gives the same numbers as the single functions of
:mod:`~cvhelpers.eda.pixels`, :mod:`~cvhelpers.eda.colour`,
:mod:`~cvhelpers.eda.sizes` and :mod:`~cvhelpers.eda.similarity`, whose
private per-batch ``_stat_*`` functions it calls, but converts each batch
only once; it is what the benchmark times.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.eda._batching import (
    LUMA_WEIGHTS,
    _batches,
    _check_class_names,
    _check_labels,
    _luminance,
    _num_images,
    _rgb,
    _single_threaded_blas,
    _to_float,
)
from cvhelpers.eda.colour import _stat_alpha, _stat_border, _stat_is_gray
from cvhelpers.eda.pixels import (
    GLCM_PROPERTIES,
    _check_threshold,
    _stat_edge_density,
    _stat_glcm,
    _stat_laplacian_variance,
    _stat_mean_luminance,
    _stat_rms_contrast,
)
from cvhelpers.eda.resize import _resize_float
from cvhelpers.validation import check_positive_int

__all__ = [
    "image_stats",
]


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
    if check_positive_int(glcm_levels, "glcm_levels", smallest=2) > 256:
        raise ValueError(f"glcm_levels must be an int from 2 to 256, got {glcm_levels!r}")
    border = check_positive_int(border, "border")
    tolerance = check_positive_int(tolerance, "tolerance", smallest=0)
    n = _num_images(images)
    if n == 0:
        raise ValueError("images is empty")
    if labels is not None:
        labels = _check_labels(labels, n)
        if class_names is not None:
            class_names = _check_class_names(class_names, labels)
    elif class_names is not None:
        raise ValueError("class_names needs labels")
    numbers = np.empty((n, len(STAT_COLUMNS) - 1))
    hashes = np.empty(n, dtype=np.uint64)
    batches = _batches(images)
    if progress:
        batches = progress_bar(batches, desc="image stats", unit="batch")
    with _single_threaded_blas():
        for indices, batch in batches:
            numbers[indices], hashes[indices] = _stats_batch(
                batch, edge_threshold, int(glcm_levels), border, tolerance
            )
    frame = pd.DataFrame(numbers, columns=list(STAT_COLUMNS[:-1]))
    for column in ("height", "width", "channels"):
        frame[column] = frame[column].astype(np.int64)
    frame["grayscale"] = frame["grayscale"].astype(bool)
    frame["phash"] = hashes
    if labels is not None:
        frame["label"] = labels
        if class_names is not None:
            frame["class"] = pd.Categorical.from_codes(labels, categories=class_names)
    return frame
