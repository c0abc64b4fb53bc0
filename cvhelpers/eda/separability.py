"""How much class information a few per-image numbers carry (question 6).

:func:`knn_accuracy` scores a k-nearest-neighbour classifier on a table of
per-image statistics (the GLCM texture columns of :func:`image_stats`, say)
with stratified cross-validation, and returns its balanced accuracy beside
chance. It is built on scikit-learn (``StandardScaler``,
``KNeighborsClassifier``, ``cross_val_score``).
"""

from __future__ import annotations

import numpy as np

from cvhelpers.eda._batching import _check_labels
from cvhelpers.validation import check_features, check_positive_int

__all__ = [
    "knn_accuracy",
]


def knn_accuracy(features, labels, folds: int = 5, max_neighbors: int = 15, per_class: int | None = None):
    """Cross-validated balanced accuracy of k-NN on per-image features, and chance.

    Classes with fewer than ``folds`` images are left out (stratified
    ``folds``-fold cross-validation needs one image per class and fold).
    The model is ``StandardScaler`` then ``KNeighborsClassifier`` with
    k = min(``max_neighbors``, int((folds - 1) / folds * n) - 1), n the
    images kept; the folds are scikit-learn's unshuffled
    ``StratifiedKFold``, so the result is deterministic.

    Parameters
    ----------
    features : ndarray or pandas.DataFrame of shape (n, d)
        Numbers per image, e.g. ``image_stats(...)[columns]``; n >= 2, no NaN or inf.
    labels : ndarray of shape (n,), int
        Class of each row.
    folds : int, default=5
        Cross-validation folds, at least 2.
    max_neighbors : int, default=15
        Largest k.
    per_class : int, optional
        Keep only the first ``per_class`` rows of each class; the rows are
        then grouped by class, in label order. Default: every row, in the
        given order.

    Returns
    -------
    balanced_accuracy : float
        Mean over the folds of the balanced accuracy; NaN when fewer than
        2 classes are left.
    chance : float
        1 / the number of classes left (NaN when none is).

    Raises
    ------
    TypeError
        On non-numeric ``features`` or ``labels``.
    ValueError
        On ``features`` that is not 2-D with at least 2 rows or holds NaN or
        inf; ``labels`` of another length, negative or not whole numbers; or
        ``folds``, ``max_neighbors`` or ``per_class`` that is not an int or
        out of range.

    Examples
    --------
    >>> accuracy, chance = knn_accuracy(stats[["glcm_contrast", "glcm_energy"]], labels)  # doctest: +SKIP
    """
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    values = np.asarray(features)
    values = check_features(values.astype(np.float64) if values.dtype == bool else values).astype(np.float64)
    labels = _check_labels(labels, len(values), length_of="rows of features")
    folds = check_positive_int(folds, "folds", smallest=2)
    max_neighbors = check_positive_int(max_neighbors, "max_neighbors")
    if per_class is not None:
        per_class = check_positive_int(per_class, "per_class")
        rows = np.concatenate(
            [np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)] or [np.zeros(0, np.int64)]
        )
        values, labels = values[rows], labels[rows]
    enough = np.bincount(labels)[labels] >= folds if len(labels) else np.zeros(0, bool)
    values, labels = values[enough], labels[enough]
    classes = len(np.unique(labels))
    chance = 1 / classes if classes else float("nan")
    if classes < 2:
        return float("nan"), chance
    neighbors = min(max_neighbors, int((folds - 1) / folds * len(labels)) - 1)
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(neighbors))
    scores = cross_val_score(model, values, labels, cv=folds, scoring="balanced_accuracy")
    return float(scores.mean()), chance
