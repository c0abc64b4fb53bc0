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


def test_generative_measures_refuse_bad_input():
    rng = np.random.default_rng(5)
    real, fake = rng.normal(size=(8, 2)), rng.normal(size=(8, 2))
    with pytest.raises(ValueError, match="features"):
        generative.diversity(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="mu1"):
        generative.gaussian_frechet_distance([np.nan, 0.0], np.eye(2), [0.0, 0.0], np.eye(2))
    with pytest.raises(ValueError, match="real_features and fake_features must have the same width"):
        generative.precision_recall(real, np.zeros((8, 3)))
    with pytest.raises(ValueError, match="conditioned must be < num_classes=3"):
        generative.label_faithfulness([0, 1], [0, 3], num_classes=3)
    with pytest.raises(ValueError, match="num_classes"):
        generative.label_faithfulness([0, 1], [0, 1], num_classes=0)
    with pytest.raises(ValueError, match="real_labels has 7 entries"):
        generative.per_class_quality(real, np.zeros(7, int), fake, np.zeros(8, int))
    with pytest.raises(ValueError, match="class 1 has 2 rows in real_features"):
        labels = np.r_[np.zeros(6, int), 1, 1]
        generative.per_class_quality(real, labels, fake, labels, k=2)


def test_per_class_quality_rows_match_the_single_measures():
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(20, 3)).astype(np.float32), rng.normal(size=(20, 3)).astype(np.float32)
    labels = np.repeat([0, 1], 10)
    table = generative.per_class_quality(real, labels, fake, labels, fake_predicted=labels, class_names=["a", "b"])
    assert list(table.index) == ["a", "b"] and table["faithfulness"].tolist() == [1.0, 1.0]
    assert table.loc["b", "frechet"] == pytest.approx(generative.frechet_distance(real[10:], fake[10:]))
