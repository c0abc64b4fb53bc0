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
    with pytest.raises(TypeError, match="integer"):
        long_tail.make_long_tailed(np.zeros((4, 2)), np.array([0.0, 1.0, 0.0, 1.0]))
