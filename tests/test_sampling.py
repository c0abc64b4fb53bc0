import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from cvhelpers.data import sampling

Y = np.repeat([0, 1, 2, 3], [600, 200, 50, 10])


def test_balanced_weights_equal_scikit_learn():
    weights = sampling.class_weights(Y, "balanced")
    expected = compute_class_weight("balanced", classes=np.arange(4), y=Y)
    np.testing.assert_allclose([weights[c] for c in range(4)], expected, rtol=1e-12)


def test_inverse_weights_are_proportional_to_one_over_count_and_sum_to_c():
    weights = np.array(list(sampling.class_weights(Y, "inverse").values()))
    counts = np.array([600, 200, 50, 10])
    np.testing.assert_allclose(weights * counts, (weights * counts)[0], rtol=1e-12)
    assert weights.sum() == pytest.approx(4)


@pytest.mark.parametrize("beta", [0.9, 0.99, 0.999, 0.9999])
def test_effective_number_weights_follow_cui_et_al(beta):
    counts = np.array([600, 200, 50, 10])
    effective = (1 - beta ** counts) / (1 - beta)
    expected = (1 / effective) / (1 / effective).sum() * 4
    weights = sampling.class_weights(Y, "effective", beta=beta)
    np.testing.assert_allclose([weights[c] for c in range(4)], expected, rtol=1e-10)


def test_effective_number_limits():
    equal = sampling.class_weights(Y, "effective", beta=0.0)
    np.testing.assert_allclose(list(equal.values()), 1.0)
    near_inverse = sampling.class_weights(Y, "effective", beta=1 - 1e-9)
    inverse = sampling.class_weights(Y, "inverse")
    np.testing.assert_allclose(list(near_inverse.values()), list(inverse.values()), rtol=1e-4)


def test_one_effective_number_for_the_weights_and_the_eda_table():
    from cvhelpers import eda

    assert eda.effective_number is sampling.effective_number
    counts = np.array([600, 200, 50, 10])
    weights = sampling.class_weights(Y, "effective", beta=0.999)
    inverse = 1.0 / sampling.effective_number(counts, 0.999)
    np.testing.assert_array_equal([weights[c] for c in range(4)], inverse / inverse.sum() * 4)


def test_effective_number_is_stable_close_to_one():
    # 1 - beta**n loses all digits here; the expm1/log form keeps them.
    np.testing.assert_allclose(sampling.effective_number([1, 2, 1000], beta=1 - 1e-12), [1, 2, 1000], rtol=1e-8)


def test_class_weight_errors():
    with pytest.raises(ValueError, match="method"):
        sampling.class_weights(Y, "sqrt")
    with pytest.raises(ValueError, match="beta"):
        sampling.class_weights(Y, "effective", beta=1.0)
    with pytest.raises(ValueError, match="y must be < num_classes=3"):
        sampling.class_weights(Y, num_classes=3)
    with pytest.raises(ValueError, match="empty classes"):
        sampling.class_weights(Y, num_classes=5)
    with pytest.raises(ValueError, match=r"missing \[3\], extra \[7\]"):
        sampling.check_class_weight({0: 1, 1: 1, 2: 1, 7: 1}, 4)
    with pytest.raises(ValueError, match=">= 0"):
        sampling.check_class_weight({0: 1, 1: -1}, 2)


@pytest.mark.parametrize(
    "target, expected", [("min", [10, 10, 10, 10]), ("median", [125, 125, 50, 10]), (100, [100, 100, 50, 10])]
)
def test_random_undersample_keeps_requested_counts(target, expected):
    x = np.arange(len(Y))
    x_kept, y_kept, indices = sampling.random_undersample(x, Y, target, seed=0)
    assert np.bincount(y_kept).tolist() == expected
    np.testing.assert_array_equal(x_kept, indices)
    assert len(np.unique(indices)) == len(indices)
    again = sampling.random_undersample(x, Y, target, seed=0)[2]
    np.testing.assert_array_equal(indices, again)


def test_balanced_epoch_indices_balance_and_mark_copies():
    indices, is_copy = sampling.balanced_epoch_indices(Y, epoch_size=800, epochs=3, seed=0)
    assert indices.shape == is_copy.shape == (2400,)
    for epoch in range(3):
        chunk, copies = indices[epoch * 800:(epoch + 1) * 800], is_copy[epoch * 800:(epoch + 1) * 800]
        labels = Y[chunk]
        assert np.bincount(labels).tolist() == [200, 200, 200, 200]
        # the head class is only undersampled: no image twice, no copies
        head = chunk[labels == 0]
        assert len(np.unique(head)) == 200 and not copies[labels == 0].any()
        # the tail class (10 images) is drawn 200 times: each image once as original
        tail, tail_copies = chunk[labels == 3], copies[labels == 3]
        assert (~tail_copies).sum() == 10 and sorted(tail[~tail_copies]) == list(range(850, 860))
        assert tail_copies.sum() == 190
    with pytest.raises(ValueError, match="epoch_size"):
        sampling.balanced_epoch_indices(Y, epoch_size=2)


def test_class_counts_of_empty_labels():
    with pytest.raises(ValueError, match="y is empty"):
        sampling.class_counts([])
    counted = sampling.class_counts(np.array([], dtype=np.int64), num_classes=3)
    assert counted.tolist() == [0, 0, 0] and counted.dtype == np.int64
    with pytest.raises(ValueError, match="num_classes"):
        sampling.class_counts([], num_classes=0)


def test_class_counts_refuse_bad_labels_and_count_whole_floats():
    assert sampling.class_counts([0.0, 2.0, 2.0]).tolist() == [1, 0, 2]
    with pytest.raises(ValueError, match="y must be whole numbers"):
        sampling.class_counts([0, 2.7])
    with pytest.raises(ValueError, match="y must be >= 0"):
        sampling.class_counts([0, -1])
    with pytest.raises(ValueError, match="y must be 1-D"):
        sampling.class_counts(np.eye(3))


def test_random_undersample_names_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match="x and y must have the same length, got 859 and 860"):
        sampling.random_undersample(np.arange(len(Y) - 1), Y)
    with pytest.raises(ValueError, match="target"):
        sampling.random_undersample(np.arange(len(Y)), Y, target=2.5)
    with pytest.raises(ValueError, match="seed"):
        sampling.random_undersample(np.arange(len(Y)), Y, seed=-1)


def test_sampling_refuses_nan_counts_and_bad_arguments():
    with pytest.raises(ValueError, match="counts must be finite"):
        sampling.effective_number([1.0, np.nan])
    with pytest.raises(ValueError, match="counts must be >= 0"):
        sampling.effective_number([1, -2])
    with pytest.raises(TypeError, match="beta"):
        sampling.effective_number([1, 2], beta="0.9")
    with pytest.raises(TypeError, match="class_weight keys"):
        sampling.check_class_weight({0: 1.0, 1.5: 1.0}, 2)
    with pytest.raises(ValueError, match="num_classes"):
        sampling.check_class_weight({0: 1.0}, 0)
    with pytest.raises(ValueError, match="epoch_size"):
        sampling.balanced_epoch_indices(Y, epoch_size=800.5)
    with pytest.raises(ValueError, match="epochs"):
        sampling.balanced_epoch_indices(Y, epochs=0)
