"""Tests for cvhelpers.metrics.classification_plots: confusion matrices, recall, ROC and PR figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from cvhelpers.metrics import classification as evaluation
from cvhelpers.metrics import classification_plots as plots

RNG = np.random.default_rng(1)
Y = np.repeat(np.arange(4), 50)
SCORES = RNG.normal(size=(200, 4)) + 2.0 * np.eye(4)[Y] * RNG.random((200, 1))
NAMES = ["a", "b", "c", "d"]
COUNTS = {0: 500, 1: 100, 2: 30, 3: 10}


def test_figure_functions_refuse_bad_input():
    report = evaluation.classification_report(Y, SCORES, NAMES, COUNTS, k=1)
    with pytest.raises(ValueError, match="k must be"):
        plots.most_confused_pairs(report.confusion, NAMES, k=-1)
    with pytest.raises(TypeError, match="report"):
        plots.plot_confusion_matrices(report.summary)
    with pytest.raises(ValueError, match="counts has keys outside"):
        plots.plot_per_class_recall({"m": report}, {**COUNTS, 9: 1}, NAMES)
    with pytest.raises(ValueError, match=r"scores_by_method\['m'\] must have shape \(200, 4\)"):
        plots.plot_roc_pr_curves(Y, {"m": SCORES[:, :3]}, NAMES)
    with pytest.raises(ValueError, match="y_true"):
        plots.plot_roc_pr_curves(np.eye(4)[Y], {"m": SCORES}, NAMES)


def test_plots_return_figures():
    report = evaluation.classification_report(Y, SCORES, NAMES, COUNTS, k=1)
    figure = plots.plot_confusion_matrices(report, "test")
    assert len(figure.axes) == 2
    figure2 = plots.plot_per_class_recall({"m": report}, COUNTS, NAMES)
    assert len(figure2.axes[0].lines) == 1
    plt.close("all")


def test_confusion_change_is_the_difference_of_row_normalized_matrices():
    before = evaluation.classification_report(Y, SCORES, NAMES, COUNTS, k=1)
    better = SCORES + 3.0 * np.eye(4)[Y] * (Y >= 2)[:, None]  # the two rarest classes gain
    after = evaluation.classification_report(Y, better, NAMES, COUNTS, k=1)
    figure = plots.plot_confusion_change(before, after, "tail fixed")
    cells = [float(text.get_text()) for text in figure.axes[0].texts]
    expected = (after.confusion / 50 - before.confusion / 50).ravel()
    np.testing.assert_allclose(cells, expected, atol=0.005)
    diagonal = np.diag(np.array(cells).reshape(4, 4))
    assert diagonal[2] > 0 and diagonal[3] > 0 and diagonal[0] == 0 and diagonal[1] == 0
    assert figure.axes[0].get_title() == "tail fixed"
    with pytest.raises(ValueError, match="same class names"):
        plots.plot_confusion_change(before, evaluation.classification_report(Y, SCORES, list("wxyz"), COUNTS, k=1))
    plt.close("all")


def test_most_confused_pairs():
    confusion = np.array([[50, 3, 7], [0, 40, 1], [12, 0, 30]])
    pairs = plots.most_confused_pairs(confusion, ["a", "b", "c"], k=3)
    assert pairs[["true", "predicted", "count"]].values.tolist() == [["c", "a", 12], ["a", "c", 7], ["a", "b", 3]]
    assert pairs["share_of_true"].iloc[0] == pytest.approx(12 / 42)
    assert len(plots.most_confused_pairs(np.eye(3, dtype=int), ["a", "b", "c"])) == 0
    with pytest.raises(ValueError, match="square"):
        plots.most_confused_pairs(np.zeros((2, 3)), ["a", "b"])


def test_roc_pr_figure():
    figure = plots.plot_roc_pr_curves(Y, {"m": SCORES, "n": -SCORES}, NAMES, classes=[0, 3])
    assert len(figure.axes) == 4
    plt.close("all")
