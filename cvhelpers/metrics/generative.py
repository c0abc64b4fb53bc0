"""Generic measures of generated images, computed on feature vectors.

Nothing here depends on the GAN: every function takes features of real and
generated images. Work in the feature space of a classifier trained on
*real, balanced* Fashion-MNIST (a "judge"), because the Inception network of
FID cannot be downloaded here and is a poor fit for 28x28 greyscale anyway:

* :func:`frechet_distance` (per class, FID-style, Heusel et al. 2017), on
  :func:`gaussian_frechet_distance`;
* :func:`precision_recall` (Kynkäänniemi et al. 2019, k-NN manifolds);
* :func:`label_faithfulness` (how often the judge labels a generated image as
  its conditioned class);
* :func:`diversity` (mean pairwise feature distance, generated over real);
* :func:`per_class_quality` (all of them, one row per class);
* the Classification Accuracy Score (Ravuri & Vinyals 2019) is training a
  classifier on generated images and testing it on real ones; notebook 06
  does it with the course's protocol.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.validation import check_finite_array, check_labels, check_positive_int

__all__ = [
    "gaussian_frechet_distance",
    "frechet_distance",
    "precision_recall",
    "label_faithfulness",
    "diversity",
    "per_class_quality",
]


def _features_2d(features, name):
    features = np.asarray(features)
    if features.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got {features.shape}")
    features = check_finite_array(features, name)
    if len(features) < 2:
        raise ValueError(f"{name} needs at least 2 rows, got {len(features)}")
    return features


def gaussian_frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``
    (Dowson & Landau 1982), the formula behind FID.

    Parameters
    ----------
    mu1, mu2 : ndarray of shape (d,)
    sigma1, sigma2 : ndarray of shape (d, d)

    Returns
    -------
    float
        Non-negative (tiny negative round-off is clipped to 0).

    Raises
    ------
    TypeError
        When an argument is not numeric.
    ValueError
        Naming the argument: NaN or inf, or shapes that are not (d,) and (d, d).
    """
    mu1, mu2 = (np.atleast_1d(check_finite_array(mu, name)) for mu, name in ((mu1, "mu1"), (mu2, "mu2")))
    sigma1, sigma2 = (np.atleast_2d(check_finite_array(sigma, name)) for sigma, name in ((sigma1, "sigma1"),
                                                                                          (sigma2, "sigma2")))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(
            f"mu1, mu2 must be (d,) and sigma1, sigma2 (d, d), got {mu1.shape}, {mu2.shape}, "
            f"{sigma1.shape}, {sigma2.shape}"
        )
    # tr((sigma1 sigma2)^(1/2)) is the sum of the square roots of the eigenvalues
    # of s sigma2 s with s = sigma1^(1/2): a symmetric, positive semi-definite
    # matrix, so eigh is exact and never warns, even for singular covariances
    # (fewer samples than dimensions), where scipy's sqrtm warns or fails.
    root = _symmetric_sqrt(sigma1)
    middle = root @ sigma2 @ root
    eigenvalues = np.linalg.eigvalsh((middle + middle.T) / 2.0)
    trace_covmean = float(np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_covmean)
    return max(value, 0.0)


def _check_same_width(first, first_name, second, second_name):
    if first.shape[1] != second.shape[1]:
        raise ValueError(
            f"{first_name} and {second_name} must have the same width, got {first.shape[1]} and {second.shape[1]}"
        )


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The positive semi-definite square root of a symmetric matrix (eigenvalues < 0 from round-off -> 0)."""
    eigenvalues, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ vectors.T


def frechet_distance(features_a, features_b) -> float:
    """Fréchet distance between two sets of feature vectors (FID without Inception).

    Parameters
    ----------
    features_a : ndarray of shape (n, d)
    features_b : ndarray of shape (m, d)

    Returns
    -------
    float
        0 for identical sets. Biased upwards for small n (the covariance
        estimate), so compare values only at the same sample sizes.

    Raises
    ------
    ValueError
        Naming the argument: not 2-D, fewer than 2 rows, NaN or inf, or
        widths that differ.
    """
    a, b = _features_2d(features_a, "features_a"), _features_2d(features_b, "features_b")
    _check_same_width(a, "features_a", b, "features_b")
    return gaussian_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def _pairwise(a, b):
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(a, b, metric="euclidean")


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points, each ball
    reaching the point's ``k``-th nearest neighbour in the same set.
    Precision: the share of generated points inside the real manifold
    (fidelity). Recall: the share of real points inside the generated
    manifold (coverage; low recall means mode collapse).

    Parameters
    ----------
    real_features : ndarray of shape (n, d)
    fake_features : ndarray of shape (m, d)
    k : int, default=3
        As in the paper.

    Returns
    -------
    (precision, recall) : tuple of float in [0, 1]

    Raises
    ------
    ValueError
        Naming the argument: features that are not finite (n, d) arrays
        with at least 2 rows, widths that differ, or ``k`` that is not an
        int smaller than both set sizes.
    """
    real, fake = _features_2d(real_features, "real_features"), _features_2d(fake_features, "fake_features")
    _check_same_width(real, "real_features", fake, "fake_features")
    k = check_positive_int(k, "k")
    if k >= min(len(real), len(fake)):
        raise ValueError(f"k must be smaller than both set sizes, got k={k} for {len(real)} and {len(fake)}")

    def radii(points):
        distances = _pairwise(points, points)
        return np.sort(distances, axis=1)[:, k]  # column 0 is the point itself

    real_radii, fake_radii = radii(real), radii(fake)
    cross = _pairwise(fake, real)  # (m, n)
    precision = float(np.mean((cross <= real_radii[None, :]).any(axis=1)))
    recall = float(np.mean((cross.T <= fake_radii[None, :]).any(axis=1)))
    return precision, recall


def label_faithfulness(predicted, conditioned, num_classes: int | None = None):
    """How often a judge labels generated images as their conditioned class.

    Parameters
    ----------
    predicted : ndarray of shape (n,) int, or (n, C) logits
        The judge's labels (or logits) for the generated images.
    conditioned : ndarray of shape (n,), int
        The labels the images were generated for.
    num_classes : int, optional

    Returns
    -------
    (overall, per_class) : float, ndarray of shape (C,)
        ``per_class[c]`` is NaN for a class with no generated images.

    Raises
    ------
    TypeError
        When the labels are not numbers.
    ValueError
        Naming the argument: labels that are not class indices (or are
        ``>= num_classes``), logits that are not finite, lengths that
        differ, or ``num_classes`` that is not an int >= 1.
    """
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "num_classes")
    predicted = _predicted_labels(predicted)
    conditioned = np.asarray(conditioned)
    if conditioned.ndim == 2 and conditioned.shape[1] == 1:
        conditioned = conditioned[:, 0]
    conditioned = check_labels(conditioned, "conditioned", num_classes=num_classes)
    if predicted.shape != conditioned.shape:
        raise ValueError(
            f"predicted and conditioned must have the same length, got {predicted.shape} and {conditioned.shape}"
        )
    num_classes = int(num_classes or conditioned.max() + 1)
    hits = predicted == conditioned
    per_class = np.array(
        [hits[conditioned == c].mean() if np.any(conditioned == c) else np.nan for c in range(num_classes)]
    )
    return float(hits.mean()), per_class


def _predicted_labels(predicted) -> np.ndarray:
    """Judge labels (n,), or the argmax of finite logits (n, C)."""
    predicted = np.asarray(predicted)
    if predicted.ndim == 2:
        return check_finite_array(predicted, "predicted").argmax(axis=1)
    return check_labels(predicted, "predicted")


def diversity(features) -> float:
    """Mean pairwise Euclidean distance within a set of feature vectors, (n, d) -> float.

    Compare a class's generated images with its real ones: a ratio well below
    1 flags mode collapse (many noise vectors, few distinct images).

    Raises
    ------
    ValueError
        When ``features`` is not a finite (n, d) array with at least 2 rows.
    """
    features = _features_2d(features, "features")
    distances = _pairwise(features, features)
    n = len(features)
    return float(distances.sum() / (n * (n - 1)))


def per_class_quality(
    real_features, real_labels, fake_features, fake_labels, fake_predicted=None, class_names=None, k: int = 3
):
    """Fréchet distance, precision, recall and diversity ratio for every class.

    Parameters
    ----------
    real_features : ndarray of shape (n, d)
        Judge features of held-out real images.
    real_labels : ndarray of shape (n,), int
    fake_features : ndarray of shape (m, d)
    fake_labels : ndarray of shape (m,), int
        Conditioned classes of the generated images.
    fake_predicted : ndarray of shape (m,) int, optional
        The judge's labels for them; adds a ``faithfulness`` column.
    class_names : sequence of str, optional
    k : int, default=3

    Returns
    -------
    pandas.DataFrame
        One row per class: ``frechet``, ``precision``, ``recall``,
        ``diversity_ratio`` (generated over real) [, ``faithfulness``].

    Raises
    ------
    TypeError
        When labels are not numbers.
    ValueError
        Naming the argument: features that are not finite (n, d) arrays,
        labels that are not class indices or not one per feature row,
        ``class_names`` without a name for every class, ``k`` that is not a
        positive int, or a class with no more than ``k`` real or generated
        images.
    """
    import pandas as pd

    real_features, real_labels = _labelled_features(real_features, real_labels, "real")
    fake_features, fake_labels = _labelled_features(fake_features, fake_labels, "fake")
    _check_same_width(real_features, "real_features", fake_features, "fake_features")
    k = check_positive_int(k, "k")
    if fake_predicted is not None:
        fake_predicted = check_labels(fake_predicted, "fake_predicted", length=len(fake_labels),
                                      length_of="the rows of fake_features")
    classes = np.unique(fake_labels)
    _check_class_sizes(classes, real_labels, fake_labels, k)
    if class_names is not None and len(class_names) <= classes.max():
        raise ValueError(f"class_names has {len(class_names)} names but fake_labels go up to {classes.max()}")
    rows = {}
    for c in classes:
        real_c, fake_c = real_features[real_labels == c], fake_features[fake_labels == c]
        precision, recall = precision_recall(real_c, fake_c, k)
        row = {
            "frechet": frechet_distance(real_c, fake_c),
            "precision": precision,
            "recall": recall,
            "diversity_ratio": diversity(fake_c) / diversity(real_c),
        }
        if fake_predicted is not None:
            row["faithfulness"] = float(np.mean(np.asarray(fake_predicted)[fake_labels == c] == c))
        rows[class_names[c] if class_names is not None else int(c)] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _labelled_features(features, labels, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """``{prefix}_features`` (finite, 2-D) and ``{prefix}_labels`` (one class index per row), checked."""
    features = _features_2d(features, f"{prefix}_features")
    labels = check_labels(labels, f"{prefix}_labels", length=len(features), length_of=f"the rows of {prefix}_features")
    return features, labels


def _check_class_sizes(classes, real_labels, fake_labels, k: int):
    """Every class of the generated images needs more than ``k`` real and ``k`` generated images."""
    for c in classes:
        n_real, n_fake = int(np.sum(real_labels == c)), int(np.sum(fake_labels == c))
        if min(n_real, n_fake) <= k:
            raise ValueError(
                f"class {c} has {n_real} rows in real_features and {n_fake} in fake_features; "
                f"each needs more than k={k}"
            )
