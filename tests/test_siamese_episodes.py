"""Tests for cvhelpers.methods.siamese.episodes: N-way k-shot episodes, their accuracy and CI."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

keras = pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402


@pytest.mark.parametrize("k_shot,n_query", [(1, 1), (5, 2)])
def test_episodes_never_query_their_own_support(k_shot, n_query):
    y = np.repeat(np.arange(30), 8)
    support, query, query_class = siamese.sample_episodes(y, 5, k_shot, n_query, episodes=200, seed=3)
    assert support.shape == (200, 5, k_shot) and query.shape == query_class.shape == (200, 5 * n_query)
    for e in range(200):
        assert not np.isin(query[e], support[e]).any()
        assert len(np.unique(y[support[e, :, 0]])) == 5  # N distinct classes
        for c in range(5):
            assert (y[support[e, c]] == y[support[e, c, 0]]).all()
        assert (y[query[e]] == y[support[e, query_class[e], 0]]).all()


def test_episodes_within_one_group():
    y = np.repeat(np.arange(12), 3)
    groups = np.repeat(np.arange(3), 12)  # classes 0-3 in group 0, ...
    support, query, _ = siamese.sample_episodes(y, 4, 1, 1, episodes=50, groups=groups, seed=0)
    for e in range(50):
        assert len(np.unique(groups[support[e].ravel()])) == 1
    with pytest.raises(ValueError, match="group"):
        siamese.sample_episodes(y, 5, 1, 1, episodes=5, groups=groups)


def test_episode_accuracy_and_confidence_interval():
    # Perfectly separated features: every episode is right.
    y = np.repeat(np.arange(6), 4)
    features = np.eye(6, dtype=np.float32)[y] + 0.01 * np.random.default_rng(0).normal(size=(24, 6))
    episodes = siamese.sample_episodes(y, 3, 2, 2, episodes=30, seed=0)
    assert (siamese.episode_accuracy(features, *episodes) == 1.0).all()
    # Constant features: the argmin is always prototype 0, so accuracy = 1/N.
    flat = np.zeros((24, 4), np.float32)
    assert_allclose(siamese.episode_accuracy(flat, *episodes).mean(), 1 / 3, atol=1e-6)
    mean, half = siamese.mean_ci(np.r_[np.zeros(50), np.ones(50)])
    assert_allclose(mean, 0.5)
    assert_allclose(half, 1.959964 * np.std(np.r_[np.zeros(50), np.ones(50)], ddof=1) / 10, rtol=1e-5)


def test_sample_episodes_names_its_bad_arguments():
    y = np.repeat(np.arange(6), 4)
    with pytest.raises(ValueError, match="n_way must be an int >= 2"):
        siamese.sample_episodes(y, 1)
    with pytest.raises(ValueError, match="k_shot"):
        siamese.sample_episodes(y, 3, k_shot=1.5)
    with pytest.raises(ValueError, match="seed"):
        siamese.sample_episodes(y, 3, seed=-2)


def test_episode_accuracy_refuses_non_finite_features_and_mismatched_episodes():
    y = np.repeat(np.arange(6), 4)
    features = np.eye(6, dtype=np.float32)[y]
    support, query, query_class = siamese.sample_episodes(y, 3, 1, 1, episodes=5, seed=0)
    bad = features.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="features must be finite"):
        siamese.episode_accuracy(bad, support, query, query_class)
    with pytest.raises(ValueError, match="query must be in"):
        siamese.episode_accuracy(features, support, query - 30, query_class)  # negative indices would wrap
    with pytest.raises(ValueError, match="query_class must be in"):
        siamese.episode_accuracy(features, support, query, query_class + 3)
    with pytest.raises(ValueError, match="shapes"):
        siamese.episode_accuracy(features, support, query, query_class[:, :1])
    with pytest.raises(TypeError, match="support"):
        siamese.episode_accuracy(features, support.astype(float), query, query_class)


def test_mean_ci_refuses_nan_and_a_bad_confidence():
    with pytest.raises(ValueError, match="values must be finite"):
        siamese.mean_ci([0.5, np.nan, 1.0])
    with pytest.raises(ValueError, match="confidence"):
        siamese.mean_ci([0.5, 1.0], confidence=float("nan"))
    with pytest.raises(ValueError, match="confidence"):
        siamese.mean_ci([0.5, 1.0], confidence=1.0)
