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


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    """t-SNE's OpenMP threads busy-wait on a loaded CPU (a second or more per call); one thread takes 0.3 s."""
    import sklearn.manifold  # noqa: F401  (loads the OpenMP runtime, so that the limit reaches it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def _clusters(per_class=10, classes=3, dim=5, seed=0):
    """``classes`` tight clusters of ``per_class`` points, far apart, float32; labels 0, 1, ..."""
    rng = np.random.default_rng(seed)
    centres = 10.0 * np.eye(classes, dim)
    labels = np.repeat(np.arange(classes), per_class)
    return (centres[labels] + 0.1 * rng.normal(size=(len(labels), dim))).astype(np.float32), labels


def test_tsne_points_are_sklearns_projection_and_keep_the_clusters():
    from sklearn.manifold import TSNE

    features, labels = _clusters()
    points = plots.tsne_points(features, perplexity=5, seed=3)
    assert points.shape == (30, 2)
    expected = TSNE(n_components=2, perplexity=5, random_state=3, init="pca").fit_transform(features)
    assert np.array_equal(points, expected)  # the same call as the notebooks made before, bit for bit
    assert np.array_equal(points, plots.tsne_points(features, perplexity=5, seed=3))
    centres = np.stack([points[labels == c].mean(axis=0) for c in range(3)])
    within = max(np.linalg.norm(points[labels == c] - centres[c], axis=1).max() for c in range(3))
    between = min(np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3))
    assert between > 2 * within


def test_embedding_map_draws_every_point_once_in_the_colour_of_its_class():
    features, labels = _clusters()
    order = [2, 0, 1]
    figure = plots.embedding_map(features, labels, classes=order, names=["two", "zero", "one"], perplexity=5,
                                 seed=3, cmap="tab20", point_size=14, title="map", title_size=9)
    (ax,) = figure.axes
    points = plots.tsne_points(features, perplexity=5, seed=3)
    assert len(ax.collections) == 3
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(features)
    for index, (collection, cls) in enumerate(zip(ax.collections, order, strict=True)):
        assert np.array_equal(np.asarray(collection.get_offsets()), points[labels == cls])
        assert np.allclose(collection.get_facecolor()[0], plt.cm.tab20(index))
        assert collection.get_sizes()[0] == 14
    assert [c.get_label() for c in ax.collections] == ["two", "zero", "one"]
    assert len({tuple(c.get_facecolor()[0]) for c in ax.collections}) == 3
    assert ax.get_title() == "map" and ax.title.get_fontsize() == 9
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []


def test_embedding_map_draws_on_a_given_axes_with_the_colour_cycle():
    features, labels = _clusters(per_class=8, classes=2)
    figure, axes = plt.subplots(1, 2)
    assert plots.embedding_map(features, labels, perplexity=5, ax=axes[1], title="right") is figure
    assert len(axes[0].collections) == 0 and len(axes[1].collections) == 2  # classes default: sorted labels
    first, second = (c.get_facecolor()[0] for c in axes[1].collections)
    assert not np.allclose(first, second)
    assert axes[1].get_title() == "right"
    assert axes[1].title.get_fontsize() == axes[0].set_title("left").get_fontsize()  # the default title size


@pytest.mark.parametrize("call,error,match", [
    (lambda f, y: plots.tsne_points(f[0]), ValueError, "features"),
    (lambda f, y: plots.tsne_points(f.astype(str)), TypeError, "features"),
    (lambda f, y: plots.tsne_points(np.where(f > 5, np.nan, f)), ValueError, "finite"),
    (lambda f, y: plots.tsne_points(f, perplexity=30), ValueError, "perplexity"),
    (lambda f, y: plots.tsne_points(f, seed=0.5), TypeError, "seed"),
    (lambda f, y: plots.embedding_map(f, y[:-1]), ValueError, "labels"),
    (lambda f, y: plots.embedding_map(f, y, perplexity=5, names=["a"]), ValueError, "names"),
    (lambda f, y: plots.embedding_map(f, y, perplexity=5, cmap="no such map"), ValueError, "cmap"),
])
def test_embedding_map_names_the_bad_argument(call, error, match):
    features, labels = _clusters()
    with pytest.raises(error, match=match):
        call(features, labels)


@pytest.mark.parametrize("call, error, match", [
    (lambda: plots.image_grid([np.zeros((4, 4))] * 2, titles=["a"]), ValueError, "titles"),
    (lambda: plots.image_grid([np.zeros((4, 4))], titles="a"), TypeError, "titles"),
    (lambda: plots.image_grid([np.zeros((4, 4)), np.full((4, 4), 200.0)]), ValueError, r"images\[1\].*0-255"),
    (lambda: plots.samples_per_class(np.zeros((3, 4, 4)), [0, 1, 2], ["a", "b"]), ValueError, "class_names"),
    (lambda: plots.samples_per_class(np.zeros((3, 4, 4)), [0, 1], ["a", "b"]), ValueError, "y has 2"),
    (lambda: plots.samples_per_class(np.zeros((2, 4, 4)), [0, 1], ["a", "b"], per_class=0), ValueError, "per_class"),
    (lambda: plots.class_counts_bar([5, 3, 1], ["a", "b"]), ValueError, "class_names"),
    (lambda: plots.class_counts_bar([5, -1]), ValueError, "counts"),
    (lambda: plots.class_counts_bar({}), ValueError, "counts"),
])
def test_plots_name_the_bad_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_image_grid_leaves_nan_pixels_blank():
    image = np.full((4, 4), np.nan, np.float32)
    figure = plots.image_grid([image, np.ones((4, 4), np.float32)])
    assert len([ax for ax in figure.axes if ax.images]) == 2
