import gzip

import numpy as np
import pytest

from cvhelpers import datasets

DEBIAN = datasets.FASHION_MNIST_DEBIAN_DIR
needs_debian = pytest.mark.skipif(
    not (DEBIAN / "train-images-idx3-ubyte.gz").is_file(), reason="Debian dataset-fashion-mnist not installed"
)


def _idx(name, offset):
    with gzip.open(DEBIAN / name, "rb") as handle:
        return handle.read()[offset:]


@needs_debian
def test_fashion_mnist_matches_debian_files_byte_for_byte(fashion):
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert fashion.x_train.dtype == np.uint8 and fashion.y_train.dtype == np.uint8
    assert fashion.x_train.tobytes() == _idx("train-images-idx3-ubyte.gz", 16)
    assert fashion.y_train.tobytes() == _idx("train-labels-idx1-ubyte.gz", 8)
    assert fashion.x_test.tobytes() == _idx("t10k-images-idx3-ubyte.gz", 16)
    assert fashion.y_test.tobytes() == _idx("t10k-labels-idx1-ubyte.gz", 8)
    assert (np.bincount(fashion.y_train) == 6000).all()
    assert (np.bincount(fashion.y_test) == 1000).all()
    assert fashion.class_names[0] == "T-shirt/top" and len(fashion.class_names) == 10


@needs_debian
def test_fashion_mnist_wires_debian_files_into_keras_cache(tmp_path):
    data = datasets.load_fashion_mnist(cache_dir=tmp_path)
    cached = tmp_path / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(datasets._FASHION_MNIST_FILES)
    assert (cached / "train-images-idx3-ubyte.gz").resolve() == DEBIAN / "train-images-idx3-ubyte.gz"
    assert data.x_train.shape == (60000, 28, 28)


def test_fashion_mnist_without_any_source_names_both_routes(tmp_path, monkeypatch):
    import keras

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(datasets.DataSourceError) as info:
        datasets.load_fashion_mnist(cache_dir=tmp_path, debian_dir=tmp_path / "missing")
    message = str(info.value)
    assert "dataset-fashion-mnist" in message and "keras.datasets.fashion_mnist" in message


# --- long-tailed -------------------------------------------------------------

def test_long_tailed_counts_follow_the_formula():
    counts = datasets.long_tailed_counts(6000, 10, 100, "exponential")
    expected = [int(np.floor(6000 * 100 ** (-i / 9) + 1e-9)) for i in range(10)]
    assert counts.tolist() == expected
    assert counts.tolist() == [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]
    step = datasets.long_tailed_counts(6000, 10, 100, "step")
    assert step.tolist() == [6000] * 5 + [60] * 5


@pytest.mark.parametrize("ratio", [1, 10, 50, 100, 200])
def test_max_over_min_equals_ratio(fashion, ratio):
    lt = datasets.make_long_tailed(fashion.x_train, fashion.y_train, imbalance_ratio=ratio)
    counts = np.bincount(lt.y, minlength=10)
    assert counts[0] == 6000  # the head keeps n_max
    assert counts.max() / counts.min() == pytest.approx(ratio, rel=0.02)


def test_long_tailed_is_reproducible_and_has_no_repeats(fashion):
    a = datasets.make_long_tailed(fashion.x_train, fashion.y_train, seed=3)
    b = datasets.make_long_tailed(fashion.x_train, fashion.y_train, seed=3)
    c = datasets.make_long_tailed(fashion.x_train, fashion.y_train, seed=4)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)
    assert len(np.unique(a.indices)) == len(a.indices)
    np.testing.assert_array_equal(a.y, fashion.y_train[a.indices])
    assert {int(k): int(v) for k, v in zip(*np.unique(a.y, return_counts=True), strict=True)} == a.counts


def test_class_order_puts_chosen_classes_in_the_tail(fashion):
    lt = datasets.make_long_tailed(fashion.x_train, fashion.y_train, class_order=datasets.HARD_TAIL_ORDER)
    assert lt.counts[6] == 60 and lt.counts[5] == 6000


def test_committed_manifest_matches_the_seeded_split(fashion):
    for order_name, order in (("label", None), ("hard", datasets.HARD_TAIL_ORDER)):
        manifest = datasets.load_manifest(datasets.default_manifest_path(order=order_name))
        lt = datasets.make_long_tailed(fashion.x_train, fashion.y_train, class_order=order)
        np.testing.assert_array_equal(manifest["indices"], lt.indices)
        assert manifest["counts"] == lt.counts


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"imbalance_ratio": 0.5}, "imbalance_ratio"),
        ({"profile": "linear"}, "profile"),
        ({"n_max": 7000}, "class 0 has 6000"),
        ({"class_order": [0, 1, 2]}, "class_order"),
    ],
)
def test_make_long_tailed_rejects_bad_arguments(fashion, kwargs, match):
    with pytest.raises(ValueError, match=match):
        datasets.make_long_tailed(fashion.x_train, fashion.y_train, **kwargs)


def test_make_long_tailed_rejects_a_single_class_and_bad_labels():
    with pytest.raises(ValueError, match="at least 2 classes"):
        datasets.make_long_tailed(np.zeros((5, 2)), np.zeros(5, int))
    with pytest.raises(ValueError, match="same length"):
        datasets.make_long_tailed(np.zeros((5, 2)), np.array([0, 1, 0, 1]))
    with pytest.raises(TypeError, match="integer"):
        datasets.make_long_tailed(np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]))
