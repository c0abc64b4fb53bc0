"""Verification: distances between image pairs, a threshold T chosen on validation pairs, and its scores.

Two images are "the same" when ``d <= T``: :func:`pair_distances`,
:func:`choose_threshold` (best accuracy or a target false-accept rate),
:func:`verification_metrics` (accuracy, FAR, FRR, TAR).
"""

from __future__ import annotations

import numpy as np

from cvhelpers.validation import check_finite_array

__all__ = ["choose_threshold", "pair_distances", "verification_metrics"]


def pair_distances(features, first, second) -> np.ndarray:
    """Euclidean distances between ``features[first]`` and ``features[second]``, shape (m,)."""
    features = np.asarray(features, np.float32)
    return np.linalg.norm(features[np.asarray(first)] - features[np.asarray(second)], axis=1)


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
    """
    distances, same = np.asarray(distances, float), np.asarray(same).astype(bool)
    if distances.shape != same.shape:
        raise ValueError(f"distances and same must have the same shape, got {distances.shape}, {same.shape}")
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
    """
    distances, same = np.asarray(distances, float), np.asarray(same).astype(bool)
    if distances.ndim != 1 or distances.shape != same.shape or len(distances) == 0:
        raise ValueError("distances and same must be 1-D arrays of the same, non-zero length")
    check_finite_array(distances, "distances")
    if target_far is not None and not 0 <= target_far <= 1:
        raise ValueError(f"target_far must be in [0, 1] or None, got {target_far}")
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
