"""Tests for cvhelpers.eda.plots: the figures of notebook 01 show the numbers they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cvhelpers import eda  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_imbalance_draws_the_counts_head_to_tail_and_the_effective_numbers():
    labels = np.repeat([0, 1, 2], [5, 40, 12])
    table = eda.imbalance_table(labels, ["a", "b", "c"], beta=0.9)
    figure = eda.plot_imbalance(table)
    ax = figure.axes[0]
    assert [bar.get_height() for bar in ax.containers[0]] == [40, 12, 5]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["b", "c", "a"]
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), table["effective_number"])
    assert {text.get_text() for text in ax.get_legend().get_texts()} == {"images", "effective number (beta=0.9)"}
    assert ax.get_yscale() == "log" and "imbalance ratio 8" in ax.get_title()


def test_plot_imbalance_uses_a_given_axes_and_title():
    figure, axes = plt.subplots(1, 2)
    table = eda.imbalance_table(np.array([0, 0, 1]), beta=0.99)
    assert eda.plot_imbalance(table, ax=axes[1], title="mine") is figure
    assert axes[1].get_title() == "mine" and not axes[0].containers


@pytest.mark.parametrize("call, error, word", [
    (lambda: eda.plot_aspect_histogram([]), ValueError, "aspect is empty"),
    (lambda: eda.plot_aspect_histogram([1.0, np.nan]), ValueError, "aspect"),
    (lambda: eda.plot_channel_histograms(np.ones((3, 1, 4)), group_names=["a"]), ValueError, "group_names"),
    (lambda: eda.plot_channel_histograms(np.ones((3, 2, 4))), ValueError, "histograms"),
    (lambda: eda.plot_stat_by_class({"class": ["a"]}, "class"), TypeError, "stats"),
    (lambda: eda.plot_imbalance(np.array([3, 1])), TypeError, "table"),
    (lambda: eda.plot_projection(np.eye(4), [0, 1, 2, 3], class_names=["a", "b"]), ValueError, "class_names"),
    (lambda: eda.plot_projection(np.eye(4), [0, 1]), ValueError, "labels"),
    (lambda: eda.plot_projection(np.full((4, 2), np.nan), [0, 1, 0, 1]), ValueError, "features"),
])
def test_bad_arguments_raise_before_drawing_and_name_the_argument(call, error, word):
    with pytest.raises(error, match=word):
        call()
    assert not plt.get_fignums()


def test_plot_projection_names_each_class():
    features = np.random.default_rng(0).normal(size=(6, 3))
    figure, explained = eda.plot_projection(features, [0, 1, 2, 0, 1, 2], class_names=["a", "b", "c"])
    assert [text.get_text() for text in figure.axes[0].get_legend().get_texts()] == ["a", "b", "c"]
    assert explained.shape == (2,)
