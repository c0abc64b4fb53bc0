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

from cvhelpers._checks import _check_positive_int

__all__ = [
    "gaussian_frechet_distance",
    "frechet_distance",
    "precision_recall",
    "label_faithfulness",
    "diversity",
    "per_class_quality",
]


def _features_2d(features, name):
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d), got {features.shape}")
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
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
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
    """
    a, b = _features_2d(features_a, "features_a"), _features_2d(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a and features_b must have the same width, got {a.shape[1]} and {b.shape[1]}")
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
    """
    real, fake = _features_2d(real_features, "real_features"), _features_2d(fake_features, "fake_features")
    k = _check_positive_int(k, "k")
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
    """
    predicted = np.asarray(predicted)
    if predicted.ndim == 2:
        predicted = predicted.argmax(axis=1)
    conditioned = np.asarray(conditioned).reshape(-1)
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


def diversity(features) -> float:
    """Mean pairwise Euclidean distance within a set of feature vectors, (n, d) -> float.

    Compare a class's generated images with its real ones: a ratio well below
    1 flags mode collapse (many noise vectors, few distinct images).
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
    """
    import pandas as pd

    real_labels, fake_labels = np.asarray(real_labels), np.asarray(fake_labels)
    classes = np.unique(fake_labels)
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
