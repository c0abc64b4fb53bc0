"""The ROC of verification ("same when d <= T", for every T) and its figure.

:func:`verification_roc` computes the curve and its AUC from pair distances
(scikit-learn, with ``-d`` as the score); :func:`plot_verification` draws the
curves next to the histogram of distances, with chosen thresholds marked
(notebook 07).
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["plot_verification", "verification_roc"]


def _check_pairs(distances, same, name: str = "distances") -> tuple[np.ndarray, np.ndarray]:
    """``distances`` (finite, 1-D) and ``same`` (0/1, both present) of one shape; dtypes kept."""
    distances, same = np.asarray(distances), np.asarray(same)
    if not np.issubdtype(distances.dtype, np.number) or np.issubdtype(distances.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {distances.dtype}")
    if distances.ndim != 1 or len(distances) == 0:
        raise ValueError(f"{name} must have shape (m,) with m >= 1, got {distances.shape}")
    if not np.isfinite(distances).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if same.shape != distances.shape:
        raise ValueError(f"same must have the shape of {name} {distances.shape}, got {same.shape}")
    if not (same.dtype == bool or np.issubdtype(same.dtype, np.number)) or not np.isin(same, (0, 1)).all():
        raise ValueError("same must hold only 0/1 (or False/True): 1 for a same pair")
    if len(np.unique(same)) < 2:
        raise ValueError("same must hold both same (1) and different (0) pairs: the ROC needs both")
    return distances, same


def verification_roc(distances, same) -> dict:
    """ROC curve and AUC of verification by distance: accept a pair as "same" when ``d <= T``.

    Every threshold T gives a false-accept rate (different pairs accepted) and
    a true-accept rate (same pairs accepted); the curve runs over all T. The
    score is ``-distances`` (``sklearn.metrics.roc_curve`` and
    ``roc_auc_score``), so a smaller distance means "more alike".

    Parameters
    ----------
    distances : array-like of shape (m,), float
        E.g. :func:`pair_distances` of the pairs.
    same : array-like of shape (m,), int or bool
        1 (True) for a same pair; both values must occur.

    Returns
    -------
    dict
        ``far`` and ``tar`` (ndarray of shape (t,), the curve's x and y, from
        (0, 0) to (1, 1)), ``thresholds`` (ndarray of shape (t,), the T of
        each point, increasing; the first is ``-inf``: nothing accepted) and
        ``auc`` (float: 1 when every same pair is closer than every different
        pair, 0.5 for distances that tell nothing).

    Raises
    ------
    TypeError
        When ``distances`` is not numeric.
    ValueError
        When the shapes differ, ``distances`` is not finite, or ``same`` is
        not 0/1 with both values present.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    distances, same = _check_pairs(distances, same)
    far, tar, scores = roc_curve(same, -distances)
    return {"far": far, "tar": tar, "thresholds": -scores, "auc": float(roc_auc_score(same, -distances))}


def plot_verification(
    distances,
    same,
    operating_points=None,
    *,
    histogram=None,
    bins: int = 50,
    pair_names=("same class", "different classes"),
    titles=("ROC on held-out test pairs", "Distances of test pairs"),
    figsize=(11, 3.6),
):
    """Two panels: the ROC of every distance, and the histogram of one distance by pair kind.

    Left: one ROC curve per entry of ``distances`` (:func:`verification_roc`,
    labelled with its AUC), a dot per operating point at its (FAR, TAR), and
    the chance diagonal. Right: the distances of same and of different pairs
    for ``histogram``, with a vertical line at each operating point's T.

    Parameters
    ----------
    distances : dict of str to array-like of shape (m,)
        Name (e.g. ``"embedding"``, ``"raw pixels"``) to the distances of the
        same m pairs.
    same : array-like of shape (m,), int or bool
        1 for a same pair; both values must occur.
    operating_points : dict of str to dict, optional
        Rule name to :func:`verification_metrics` of a chosen threshold; uses
        its ``far``, ``tar`` and ``threshold``.
    histogram : str, optional
        The entry of ``distances`` in the histogram; default the first.
    bins : int, default=50
        Number of bin edges, evenly from 0 to the largest distance (so
        ``bins - 1`` bins), as ``np.linspace(0, max, bins)``.
    pair_names : tuple of str, default=("same class", "different classes")
        Legend labels of the two histograms.
    titles : tuple of str
        Titles of the two panels.
    figsize : tuple of float, default=(11, 3.6)

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: ``axes[0]`` holds a line per curve, per operating point and
        the diagonal; ``axes[1]`` the two histograms and a line per
        operating point.

    Raises
    ------
    TypeError
        When ``distances`` or ``operating_points`` is not a dict.
    ValueError
        When ``distances`` is empty, ``histogram`` is not one of its names,
        ``bins`` < 2, the histogram's distances are negative or all 0, or as
        :func:`verification_roc`.
    """
    import matplotlib.pyplot as plt

    if not isinstance(distances, dict):
        raise TypeError(f"distances must be a dict of name to distances, got {type(distances).__name__}")
    if not distances:
        raise ValueError("distances is empty")
    operating_points = {} if operating_points is None else operating_points
    if not isinstance(operating_points, dict):
        raise TypeError(f"operating_points must be a dict of rule to metrics, got {type(operating_points).__name__}")
    histogram = next(iter(distances)) if histogram is None else histogram
    if histogram not in distances:
        raise ValueError(f"histogram must be one of {list(distances)}, got {histogram!r}")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(f"bins must be an int >= 2, got {bins!r}")
    curves = {label: verification_roc(d, same) for label, d in distances.items()}
    d, same = _check_pairs(distances[histogram], same, name=f"distances[{histogram!r}]")
    if d.min() < 0 or d.max() <= 0:
        raise ValueError(f"distances[{histogram!r}] must be >= 0 and not all 0 for the histogram")

    figure, axes = plt.subplots(1, 2, figsize=figsize)
    for label, curve in curves.items():
        axes[0].plot(curve["far"], curve["tar"], label=f"{label} (AUC {curve['auc']:.3f})")
    for rule, m in operating_points.items():
        axes[0].plot(m["far"], m["tar"], "o", label=f"T: {rule}")
    axes[0].plot([0, 1], [0, 1], color="gray", ls=":", lw=1)
    axes[0].set_xlabel("false-accept rate")
    axes[0].set_ylabel("true-accept rate")
    axes[0].set_title(titles[0])
    axes[0].legend(fontsize=8)
    same = same.astype(bool)
    edges = np.linspace(0, d.max(), bins)
    axes[1].hist(d[same], edges, alpha=0.6, label=pair_names[0])
    axes[1].hist(d[~same], edges, alpha=0.6, label=pair_names[1])
    for (rule, m), style in zip(operating_points.items(), itertools.cycle(["-", "--", ":", "-."])):
        axes[1].axvline(m["threshold"], color="black", ls=style, label=f"T ({rule}) = {m['threshold']:.2f}")
    axes[1].set_xlabel("d = ||f(x1) − f(x2)||")
    axes[1].set_title(titles[1])
    axes[1].legend(fontsize=8)
    figure.tight_layout()
    return figure
