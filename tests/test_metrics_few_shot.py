"""Tests for cvhelpers.metrics.few_shot: thresholds and their scores."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402


def test_choose_threshold_on_constructed_distances():
    # Same pairs at 0.1..0.4, different at 0.6..0.9: any T in (0.4, 0.6) is perfect.
    same = np.r_[np.ones(4, int), np.zeros(4, int)]
    d = np.r_[0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    t = siamese.choose_threshold(d, same)
    assert 0.4 < t < 0.6
    assert siamese.verification_metrics(d, same, t)["accuracy"] == 1.0
    # Overlap: a different pair at 0.25. Best accuracy keeps it (7/8 either way,
    # smallest best T is between 0.2 and 0.25 ... accuracy there is also 7/8).
    d2 = np.r_[0.1, 0.2, 0.3, 0.4, 0.25, 0.7, 0.8, 0.9]
    t2 = siamese.choose_threshold(d2, same)
    assert siamese.verification_metrics(d2, same, t2)["accuracy"] == 7 / 8
    # Target FAR 0: must reject the different pair at 0.25, so T < 0.25.
    t0 = siamese.choose_threshold(d2, same, target_far=0.0)
    assert 0.2 < t0 < 0.25
    m0 = siamese.verification_metrics(d2, same, t0)
    assert m0["far"] == 0.0 and m0["frr"] == 0.5 and m0["tar"] == 0.5
    # Target FAR 0.25: one of four different pairs may pass, so T up to 0.7 (exclusive).
    t25 = siamese.choose_threshold(d2, same, target_far=0.25)
    assert 0.4 < t25 < 0.7
    assert siamese.verification_metrics(d2, same, t25)["far"] == 0.25


def test_threshold_bad_arguments():
    with pytest.raises(ValueError, match="target_far"):
        siamese.choose_threshold([0.1, 0.2], [1, 0], target_far=1.5)
    with pytest.raises(ValueError, match="distances"):
        siamese.verification_metrics([0.1, 0.2], [1], 0.5)


def test_verification_refuses_bad_input():
    same = np.array([1, 1, 0, 0])
    d = np.array([0.1, 0.2, 0.8, 0.9])
    with pytest.raises(ValueError, match="threshold"):
        siamese.verification_metrics(d, same, float("nan"))
    with pytest.raises(ValueError, match="distances"):
        siamese.verification_metrics([0.1, np.nan, 0.8, 0.9], same, 0.5)
    with pytest.raises(ValueError, match="same must hold only 0/1"):
        siamese.choose_threshold(d, [0, 1, 2, 3])
    with pytest.raises(TypeError, match="target_far"):
        siamese.choose_threshold(d, same, target_far="0.1")


def test_pair_distances_refuses_bad_indices():
    features = np.arange(10.0).reshape(5, 2)
    np.testing.assert_allclose(siamese.pair_distances(features, [0, 1], [1, 3]), [np.sqrt(8), np.sqrt(32)])
    with pytest.raises(ValueError, match=r"first must be row indices in \[0, 5\)"):
        siamese.pair_distances(features, [0, 5], [1, 2])
    with pytest.raises(ValueError, match="second"):
        siamese.pair_distances(features, [0, 1], [-1, 2])  # would silently wrap to the last row
    with pytest.raises(ValueError, match="first and second must have the same length"):
        siamese.pair_distances(features, [0, 1], [2])  # would silently broadcast
    with pytest.raises(TypeError, match="first"):
        siamese.pair_distances(features, [0.0, 1.0], [1, 2])
