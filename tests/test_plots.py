"""Tests for cvhelpers.plots: each function returns a Figure that shows what it was given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cvhelpers import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_image_grid_shows_each_image_once_with_its_title():
    images = [np.full((4, 5), value, np.uint8) for value in (0, 100, 255)] + [np.ones((4, 5, 1), np.float32)]
    figure = plots.image_grid(images, titles=["a", "b", "c", "d"], ncols=3)
    shown = [ax for ax in figure.axes if ax.images]
    assert len(figure.axes) == 6 and len(shown) == 4  # 2 rows of 3, the last two cells empty
    assert [ax.get_title() for ax in shown] == ["a", "b", "c", "d"]
    assert shown[1].images[0].get_array()[0, 0] == 100
    assert shown[3].images[0].get_array().shape == (4, 5)  # the channel axis of (h, w, 1) is dropped


def test_image_grid_refuses_no_images():
    with pytest.raises(ValueError, match="images"):
        plots.image_grid([])


def test_samples_per_class_draws_a_row_per_class_from_that_class_only():
    x = np.stack([np.full((3, 3), label * 50, np.uint8) for label in (0, 0, 0, 1, 1, 2)])
    y = np.array([0, 0, 0, 1, 1, 2])
    figure = plots.samples_per_class(x, y, ["zero", "one", "two"], per_class=2, seed=0)
    axes = np.array(figure.axes).reshape(3, 2)
    for label, row in enumerate(axes):
        for ax in row:
            for image in ax.images:
                assert (image.get_array() == label * 50).all()
    assert [len(ax.images) for ax in axes.flat] == [1, 1, 1, 1, 1, 0]  # class 2 has one image
    assert axes[0, 0].get_ylabel() == "zero\n(3)"


def test_class_counts_bar_sorts_head_to_tail_and_labels_the_ratio():
    figure = plots.class_counts_bar({0: 10, 1: 500, 2: 50}, ["a", "b", "c"])
    ax = figure.axes[0]
    assert [bar.get_height() for bar in ax.patches] == [500, 50, 10]
    assert [label.get_text() for label in ax.get_xticklabels()] == ["b", "c", "a"]
    assert ax.get_yscale() == "log" and "imbalance ratio 50" in ax.get_title()
    figure = plots.class_counts_bar([3, 6], log=False, title="two")
    assert figure.axes[0].get_yscale() == "linear" and figure.axes[0].get_title() == "two"
