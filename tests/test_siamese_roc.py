"""Tests for cvhelpers.methods.siamese.roc: the verification ROC and its figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _pairs(separated=True, m=200, seed=0):
    """m pairs, half same; same pairs closer than every different pair when ``separated``."""
    rng = np.random.default_rng(seed)
    same = np.r_[np.ones(m // 2, int), np.zeros(m - m // 2, int)]
    if separated:
        distances = np.where(same == 1, rng.uniform(0.1, 0.6, m), rng.uniform(0.7, 1.4, m))
    else:
        distances = rng.uniform(0.1, 1.4, m)
    return distances.astype(np.float32), same


def test_perfectly_separated_distances_have_auc_one():
    distances, same = _pairs()
    roc = siamese.verification_roc(distances, same)
    assert roc["auc"] == 1.0
    assert roc["far"][0] == roc["tar"][0] == 0 and roc["far"][-1] == roc["tar"][-1] == 1
    assert roc["tar"][roc["far"] == 0].max() == 1  # every same pair accepted before any different one
    assert siamese.verification_roc(-distances + 2, same)["auc"] == 0.0  # the order reversed
    assert siamese.verification_roc(np.ones(200), same)["auc"] == 0.5  # distances that tell nothing


def test_each_point_of_the_curve_accepts_the_pairs_closer_than_its_threshold():
    distances, same = _pairs(separated=False)
    roc = siamese.verification_roc(distances, same)
    assert np.isneginf(roc["thresholds"][0]) and (np.diff(roc["thresholds"]) > 0).all()
    for t, far, tar in list(zip(roc["thresholds"], roc["far"], roc["tar"], strict=True))[1:]:
        accept = distances <= t
        assert_allclose(far, accept[same == 0].mean())
        assert_allclose(tar, accept[same == 1].mean())
    # The AUC is the chance that a random same pair is closer than a random different pair.
    closer = (distances[same == 1][:, None] < distances[same == 0][None, :]).mean()
    assert_allclose(roc["auc"], closer, rtol=1e-9)
    assert abs(roc["auc"] - 0.5) < 0.15


def test_plot_verification_draws_curves_operating_points_and_histograms():
    distances, same = _pairs()
    pixels, _ = _pairs(separated=False)
    points = {rule: siamese.verification_metrics(distances, same, t) for rule, t in [("best", 0.65), ("strict", 0.3)]}
    figure = siamese.plot_verification({"embedding": distances, "raw pixels": pixels}, same, points,
                                       pair_names=("same character", "different characters"))
    left, right = figure.axes
    labels = [line.get_label() for line in left.lines]
    auc = siamese.verification_roc(pixels, same)["auc"]
    assert labels[:4] == ["embedding (AUC 1.000)", f"raw pixels (AUC {auc:.3f})", "T: best", "T: strict"]
    assert len(left.lines) == 5  # and the chance diagonal
    assert np.array_equal(left.lines[0].get_xdata(), siamese.verification_roc(distances, same)["far"])
    assert (left.lines[2].get_xdata()[0], left.lines[2].get_ydata()[0]) == (points["best"]["far"],
                                                                            points["best"]["tar"])
    # Right: the histogram counts every pair of each kind once, and a line at each T.
    heights = [sum(p.get_height() for p in container) for container in right.containers]
    assert heights == [100, 100]
    assert [line.get_xdata()[0] for line in right.lines] == [0.65, 0.3]
    legend = [text.get_text() for text in right.get_legend().get_texts()]
    assert "same character" in legend and "T (strict) = 0.30" in legend


def test_plot_verification_histograms_the_named_distances():
    distances, same = _pairs()
    figure = siamese.plot_verification({"a": distances, "b": 2 * distances}, same, histogram="b", bins=11)
    right = figure.axes[1]
    assert len(right.containers[0]) == 10  # 11 edges, 10 bins
    assert_allclose(right.containers[0][-1].get_x() + right.containers[0][-1].get_width(), 2 * distances.max(),
                    rtol=1e-6)


@pytest.mark.parametrize("call,error,match", [
    (lambda d, s: siamese.verification_roc(d, s[:-1]), ValueError, "same"),
    (lambda d, s: siamese.verification_roc(d, np.ones_like(s)), ValueError, "both"),
    (lambda d, s: siamese.verification_roc(d, 2 * s), ValueError, "0/1"),
    (lambda d, s: siamese.verification_roc(d.astype(str), s), TypeError, "distances"),
    (lambda d, s: siamese.verification_roc(np.where(s == 1, np.nan, d), s), ValueError, "finite"),
    (lambda d, s: siamese.plot_verification(d, s), TypeError, "distances"),
    (lambda d, s: siamese.plot_verification({}, s), ValueError, "distances"),
    (lambda d, s: siamese.plot_verification({"a": d}, s, histogram="b"), ValueError, "histogram"),
    (lambda d, s: siamese.plot_verification({"a": d}, s, bins=1), ValueError, "bins"),
    (lambda d, s: siamese.plot_verification({"a": d}, s, operating_points=[1]), TypeError, "operating_points"),
    (lambda d, s: siamese.plot_verification({"a": d - 1}, s), ValueError, ">= 0"),
])
def test_bad_arguments_are_named(call, error, match):
    distances, same = _pairs()
    with pytest.raises(error, match=match):
        call(distances, same)
