import numpy as np
import pytest

from cvhelpers.data import long_tail


def test_long_tailed_counts_follow_the_formula():
    counts = long_tail.long_tailed_counts(6000, 10, 100, "exponential")
    expected = [int(np.floor(6000 * 100 ** (-i / 9) + 1e-9)) for i in range(10)]
    assert counts.tolist() == expected
    assert counts.tolist() == [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]
    step = long_tail.long_tailed_counts(6000, 10, 100, "step")
    assert step.tolist() == [6000] * 5 + [60] * 5


@pytest.mark.parametrize("ratio", [1, 10, 50, 100, 200])
def test_max_over_min_equals_ratio(fashion, ratio):
    lt = long_tail.make_long_tailed(fashion.x_train, fashion.y_train, imbalance_ratio=ratio)
    counts = np.bincount(lt.y, minlength=10)
    assert counts[0] == 6000  # the head keeps n_max
    assert counts.max() / counts.min() == pytest.approx(ratio, rel=0.02)


def test_long_tailed_is_reproducible_and_has_no_repeats(fashion):
    a = long_tail.make_long_tailed(fashion.x_train, fashion.y_train, seed=3)
    b = long_tail.make_long_tailed(fashion.x_train, fashion.y_train, seed=3)
    c = long_tail.make_long_tailed(fashion.x_train, fashion.y_train, seed=4)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)
    assert len(np.unique(a.indices)) == len(a.indices)
    np.testing.assert_array_equal(a.y, fashion.y_train[a.indices])
    assert {int(k): int(v) for k, v in zip(*np.unique(a.y, return_counts=True), strict=True)} == a.counts


def test_class_order_puts_chosen_classes_in_the_tail(fashion):
    lt = long_tail.make_long_tailed(fashion.x_train, fashion.y_train, class_order=long_tail.HARD_TAIL_ORDER)
    assert lt.counts[6] == 60 and lt.counts[5] == 6000


def test_committed_manifest_matches_the_seeded_split(fashion):
    for order_name, order in (("label", None), ("hard", long_tail.HARD_TAIL_ORDER)):
        manifest = long_tail.load_manifest(long_tail.default_manifest_path(order=order_name))
        lt = long_tail.make_long_tailed(fashion.x_train, fashion.y_train, class_order=order)
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
        long_tail.make_long_tailed(fashion.x_train, fashion.y_train, **kwargs)


def test_make_long_tailed_rejects_a_single_class_and_bad_labels():
    with pytest.raises(ValueError, match="at least 2 classes"):
        long_tail.make_long_tailed(np.zeros((5, 2)), np.zeros(5, int))
    with pytest.raises(ValueError, match="same length"):
        long_tail.make_long_tailed(np.zeros((5, 2)), np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="y must be whole numbers"):
        long_tail.make_long_tailed(np.zeros((4, 2)), np.array([0.0, 1.5, 0.0, 1.0]))
    with pytest.raises(ValueError, match="y must be >= 0"):
        long_tail.make_long_tailed(np.zeros((4, 2)), np.array([0, -1, 0, 1]))


def _small_set():
    y = np.repeat([0, 1, 2], 20)
    return np.arange(len(y)), y


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"imbalance_ratio": "10"}, TypeError, "imbalance_ratio"),
        ({"imbalance_ratio": float("nan")}, ValueError, "imbalance_ratio"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 1.5}, ValueError, "seed"),
        ({"class_order": [2.7, 1.0, 0.0]}, TypeError, "class_order"),
        ({"class_order": "210"}, TypeError, "class_order"),
        ({"n_max": 10.5}, ValueError, "n_max"),
    ],
)
def test_long_tail_builders_name_a_bad_ratio_seed_or_class_order(kwargs, error, match):
    x, y = _small_set()
    with pytest.raises(error, match=match):
        long_tail.make_long_tailed(x, y, imbalance_ratio=kwargs.pop("imbalance_ratio", 10), **kwargs)


def test_long_tailed_counts_and_manifest_paths_name_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="imbalance_ratio"):
        long_tail.long_tailed_counts(100, 3, "10")
    with pytest.raises(ValueError, match="num_classes"):
        long_tail.long_tailed_counts(100, 2.0, 10)
    with pytest.raises(ValueError, match="n_max"):
        long_tail.long_tailed_counts(0, 3, 10)
    with pytest.raises(TypeError, match="imbalance_ratio"):
        long_tail.default_manifest_path("100")
    with pytest.raises(ValueError, match="seed"):
        long_tail.load_fashion_mnist_lt(seed=-1)
    with pytest.raises(TypeError, match="data"):
        long_tail.load_fashion_mnist_lt(data=(np.zeros((2, 28, 28)), np.zeros(2)))
    with pytest.raises(TypeError, match="lt"):
        long_tail.save_manifest({"indices": [1]}, tmp_path / "m.json")
    (tmp_path / "other.json").write_text('{"size": 3}')
    with pytest.raises(ValueError, match="indices"):
        long_tail.load_manifest(tmp_path / "other.json")


def test_whole_float_labels_give_the_same_subset_as_int_labels():
    x, y = _small_set()
    as_int = long_tail.make_long_tailed(x, y, imbalance_ratio=10, seed=2)
    as_float = long_tail.make_long_tailed(x, y.astype(float), imbalance_ratio=10, seed=2)
    np.testing.assert_array_equal(as_int.indices, as_float.indices)
    assert as_int.counts == as_float.counts
