"""Verification: distances between image pairs, a threshold T chosen on validation pairs, and its scores.

Two images are "the same" when ``d <= T``: :func:`pair_distances`,
:func:`choose_threshold` (best accuracy or a target false-accept rate),
:func:`verification_metrics` (accuracy, FAR, FRR, TAR).
"""

from __future__ import annotations

import numpy as np

from cvhelpers.validation import check_features, check_finite_array, check_number, check_same_length

__all__ = ["choose_threshold", "pair_distances", "verification_metrics"]


def pair_distances(features, first, second) -> np.ndarray:
    """Euclidean distances between ``features[first]`` and ``features[second]``, shape (m,).

    Raises
    ------
    TypeError
        When ``features`` is not numeric, or ``first`` or ``second`` does not hold integers.
    ValueError
        When ``features`` is not a finite (n, dim) array, ``first`` or
        ``second`` is not a 1-D array of row indices in [0, n), or they
        differ in length.
    """
    features = np.asarray(check_features(features), np.float32)
    first, second = _row_indices(first, "first", len(features)), _row_indices(second, "second", len(features))
    check_same_length(first, "first", second, "second")
    return np.linalg.norm(features[first] - features[second], axis=1)


def _row_indices(indices, name: str, size: int) -> np.ndarray:
    """``indices`` as a non-empty 1-D integer array of row positions in [0, size)."""
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"{name} must hold integer row indices, got dtype {indices.dtype}")
    if indices.ndim != 1 or indices.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of row indices, got shape {indices.shape}")
    if indices.min() < 0 or indices.max() >= size:
        raise ValueError(f"{name} must be row indices in [0, {size}), got [{indices.min()}, {indices.max()}]")
    return indices


def _pairs(distances, same) -> tuple[np.ndarray, np.ndarray]:
    """``distances`` (finite, 1-D, non-empty) and ``same`` (0/1 or bool, as bool), checked to match."""
    distances = check_finite_array(distances, "distances", ndim=1)
    same = np.asarray(same)
    if same.dtype == object or not (np.issubdtype(same.dtype, np.number) or same.dtype == bool):
        raise TypeError(f"same must hold 0/1 or bool, got dtype {same.dtype}")
    if distances.shape != same.shape or len(distances) == 0:
        raise ValueError(
            f"distances and same must be 1-D arrays of the same, non-zero length, got {distances.shape}, {same.shape}"
        )
    if not np.isin(same, (0, 1)).all():
        raise ValueError(f"same must hold only 0/1 (or bool), got values {np.unique(same)[:5].tolist()}")
    return distances, same.astype(bool)


def verification_metrics(distances, same, threshold: float) -> dict:
    """Decide "same" when ``d <= threshold`` and score the decisions.

    Parameters
    ----------
    distances : ndarray of shape (m,), float
    same : ndarray of shape (m,), int or bool
        1 for a same pair.
    threshold : float

    Returns
    -------
    dict
        ``accuracy``, ``far`` (false-accept rate: different pairs accepted),
        ``frr`` (false-reject rate: same pairs rejected), ``tar`` (1 - frr),
        ``threshold``.

    Raises
    ------
    TypeError
        When ``threshold`` is not a number, or ``same`` is not numeric.
    ValueError
        When ``threshold`` or ``distances`` is not finite, ``same`` holds
        anything but 0/1, or the two arrays are not 1-D of the same,
        non-zero length.
    """
    distances, same = _pairs(distances, same)
    threshold = check_number(threshold, "threshold")
    accept = distances <= threshold
    far = float(accept[~same].mean()) if (~same).any() else float("nan")
    frr = float((~accept[same]).mean()) if same.any() else float("nan")
    return {
        "threshold": float(threshold),
        "accuracy": float((accept == same).mean()),
        "far": far,
        "frr": frr,
        "tar": 1.0 - frr,
    }


def choose_threshold(distances, same, target_far: float | None = None) -> float:
    """Choose T on validation pairs, for the best accuracy or a target false-accept rate.

    Candidates are the midpoints between consecutive sorted distances (and
    values just outside the range), so the choice does not depend on ties.

    Parameters
    ----------
    distances : ndarray of shape (m,), float
    same : ndarray of shape (m,), int or bool
    target_far : float in [0, 1], optional
        ``None``: the T with the highest accuracy (the smallest such T).
        Otherwise the largest T whose false-accept rate is at most
        ``target_far`` (the most same pairs accepted within that budget).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        When ``target_far`` is not a number or None, or ``same`` is not numeric.
    ValueError
        When ``target_far`` is outside [0, 1], ``distances`` is not finite,
        ``same`` holds anything but 0/1, or the two arrays are not 1-D of
        the same, non-zero length.
    """
    distances, same = _pairs(distances, same)
    if target_far is not None:
        target_far = check_number(target_far, "target_far", low=0, high=1)
    values = np.unique(distances)
    candidates = np.r_[values[0] - 1e-6, (values[:-1] + values[1:]) / 2, values[-1] + 1e-6]
    accept = distances[None, :] <= candidates[:, None]
    if target_far is None:
        accuracy = (accept == same[None, :]).mean(axis=1)
        return float(candidates[np.argmax(accuracy)])
    if not (~same).any():
        return float(candidates[-1])
    far = accept[:, ~same].mean(axis=1)
    return float(candidates[np.flatnonzero(far <= target_far + 1e-12).max()])
