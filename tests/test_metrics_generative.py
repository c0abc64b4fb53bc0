"""Tests for cvhelpers.metrics.generative: Fréchet distance, precision/recall, label faithfulness."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cvhelpers.metrics import generative


def test_frechet_distance_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(200, 6))
    assert_allclose(generative.frechet_distance(features, features), 0.0, atol=1e-6)


def test_gaussian_frechet_distance_matches_closed_form():
    # Diagonal covariances commute: FD = |mu1 - mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert_allclose(generative.gaussian_frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)), expected, rtol=1e-10)


def test_gaussian_frechet_distance_full_covariance_rotation_invariant():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    sigma1, sigma2 = a @ a.T + np.eye(4), b @ b.T + np.eye(4)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    rotation, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    direct = generative.gaussian_frechet_distance(mu1, sigma1, mu2, sigma2)
    rotated = generative.gaussian_frechet_distance(
        rotation @ mu1, rotation @ sigma1 @ rotation.T, rotation @ mu2, rotation @ sigma2 @ rotation.T
    )
    assert_allclose(direct, rotated, rtol=1e-8)
    # Same covariance: only the mean term remains.
    assert_allclose(generative.gaussian_frechet_distance(mu1, sigma1, mu2, sigma1), np.sum((mu1 - mu2) ** 2), rtol=1e-6)


def test_frechet_distance_of_samples_approaches_the_gaussian_value():
    rng = np.random.default_rng(2)
    a = rng.normal(0.0, 1.0, size=(20000, 2))
    b = rng.normal(0.0, 2.0, size=(20000, 2)) + np.array([3.0, 0.0])
    expected = 9.0 + 2 * (1 + 4 - 2 * 2)  # |mu|^2 + tr(I + 4I - 2*2I)
    assert_allclose(generative.frechet_distance(a, b), expected, rtol=0.03)


def test_frechet_distance_rejects_bad_shapes():
    with pytest.raises(ValueError, match="features_a"):
        generative.frechet_distance(np.zeros(5), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="same width"):
        generative.frechet_distance(np.zeros((5, 3)), np.zeros((5, 2)))


def test_precision_recall_identical_and_disjoint_sets():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(300, 4))
    assert generative.precision_recall(real, real) == (1.0, 1.0)
    far = real + 100.0
    assert generative.precision_recall(real, far) == (0.0, 0.0)


def test_precision_recall_detects_mode_collapse():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(400, 2))
    collapsed = rng.normal(scale=0.05, size=(400, 2))  # all near the mean: faithful but not covering
    precision, recall = generative.precision_recall(real, collapsed)
    assert precision > 0.95 and recall < 0.5
    assert generative.diversity(collapsed) < 0.1 * generative.diversity(real)


def test_precision_recall_checks_k():
    with pytest.raises(ValueError, match="k"):
        generative.precision_recall(np.zeros((3, 2)), np.zeros((3, 2)), k=3)


def test_label_faithfulness_per_class():
    conditioned = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 0])
    overall, per_class = generative.label_faithfulness(predicted, conditioned)
    assert overall == pytest.approx(0.5)
    assert_allclose(per_class, [0.5, 1.0, 0.0])
    logits = np.eye(3)[predicted]
    assert generative.label_faithfulness(logits, conditioned)[0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="predicted and conditioned"):
        generative.label_faithfulness(predicted[:3], conditioned)


def test_gaussian_frechet_distance_matches_scipy_sqrtm_on_full_covariances():
    from scipy import linalg

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    sigma1, sigma2 = a @ a.T + np.eye(5), b @ b.T + 0.5 * np.eye(5)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    covmean = np.real(linalg.sqrtm(sigma1 @ sigma2))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * covmean)
    assert_allclose(generative.gaussian_frechet_distance(mu1, sigma1, mu2, sigma2), expected, rtol=1e-9)


def test_frechet_distance_of_singular_covariances_is_finite_and_silent():
    import warnings

    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(6, 16)), rng.normal(size=(6, 16)) + 1.0  # 6 samples in 16-D: rank 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's sqrtm warns "Matrix is singular" here
        value = generative.frechet_distance(a, b)
    assert np.isfinite(value) and value > 0
    assert_allclose(generative.frechet_distance(a, a), 0.0, atol=1e-9)
