"""Tests for cvhelpers.validation: the shared argument checks, and the NaN cases they close."""

import numpy as np
import pytest

from cvhelpers.validation import (
    check_bool,
    check_finite_array,
    check_labels,
    check_number,
    check_positive_int,
    check_same_length,
    check_seed,
    check_unit_images,
)


def test_check_positive_int():
    assert check_positive_int(np.int64(3), "steps") == 3 and check_positive_int(2, "folds", smallest=2) == 2
    for bad in (0, -1, 2.0, True, "3", None):
        with pytest.raises(ValueError, match="steps must be an int >= 1"):
            check_positive_int(bad, "steps")


def test_check_number_refuses_nan_inf_and_what_is_not_a_number():
    assert check_number(np.float32(0.5), "tau", low=0, high=1) == 0.5
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(ValueError, match="gamma must be finite"):
            check_number(bad, "gamma", low=0)
    for bad in ("1", True, None, [1.0]):
        with pytest.raises(TypeError, match="margin must be a number"):
            check_number(bad, "margin")
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        check_number(-0.1, "alpha", low=0)
    with pytest.raises(ValueError, match="rate must be > 0"):
        check_number(0, "rate", low=0, low_open=True)
    with pytest.raises(ValueError, match="far must be <= 1"):
        check_number(1.5, "far", high=1)


def test_check_finite_array():
    np.testing.assert_array_equal(check_finite_array([1, 2], "priors", ndim=1, positive=True), [1.0, 2.0])
    with pytest.raises(ValueError, match="priors must be finite"):
        check_finite_array([0.5, np.nan], "priors")
    with pytest.raises(ValueError, match="priors must be > 0"):
        check_finite_array([0.5, 0.0], "priors", positive=True)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        check_finite_array([0.5, -1.0], "alpha", nonnegative=True)
    with pytest.raises(ValueError, match="counts must be 1-D"):
        check_finite_array([[1, 2]], "counts", ndim=1)
    with pytest.raises(TypeError, match="counts must be numeric"):
        check_finite_array(["a", "b"], "counts")


@pytest.mark.parametrize("call, word", [
    (lambda losses: losses.focal_loss(gamma=float("nan")), "gamma"),
    (lambda losses: losses.focal_loss(alpha=float("nan")), "alpha"),
    (lambda losses: losses.focal_loss(alpha=[0.5, float("nan")], num_classes=2), "alpha"),
    (lambda losses: losses.class_priors([10, float("nan")]), "counts"),
    (lambda losses: losses.LogitAdjustedLoss([0.5, float("nan")]), "priors"),
    (lambda losses: losses.LogitAdjustedLoss([0.5, 0.5], tau=float("nan")), "tau"),
    (lambda losses: losses.posthoc_logit_adjustment(np.zeros((2, 2)), [0.5, float("nan")]), "priors"),
    (lambda losses: losses.posthoc_logit_adjustment(np.zeros((2, 2)), [0.5, 0.5], tau=float("inf")), "tau"),
])
def test_the_losses_refuse_nan_and_name_the_argument(call, word):
    from cvhelpers.training import losses

    with pytest.raises(ValueError, match=word):
        call(losses)


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), -1.0])
def test_class_weights_must_be_finite_and_non_negative(weight):
    from cvhelpers.data import sampling

    with pytest.raises(ValueError, match=r"class_weight\[1\]"):
        sampling.check_class_weight({0: 1.0, 1: weight}, 2)
    assert sampling.check_class_weight({0: 1.0, 1: np.float32(2.0)}, 2) == {0: 1.0, 1: np.float32(2.0)}


def test_a_nan_distance_is_refused_instead_of_choosing_a_threshold():
    from cvhelpers.metrics import few_shot

    with pytest.raises(ValueError, match="distances must be finite"):
        few_shot.choose_threshold(np.array([0.1, np.nan, 0.9, 1.2]), np.array([1, 1, 0, 0]))


def test_check_features_keeps_the_dtype_and_names_the_problem():
    from cvhelpers.validation import check_features

    assert check_features(np.zeros((3, 2), np.float32)).dtype == np.float32
    with pytest.raises(TypeError, match="features must be a real numeric array"):
        check_features(np.zeros((3, 2), complex))
    with pytest.raises(ValueError, match=r"features must have shape \(n, dim\)"):
        check_features(np.zeros(3))
    with pytest.raises(ValueError, match="features must be finite"):
        check_features([[0.0, np.nan], [1.0, 2.0]])


def test_check_seed():
    assert check_seed(np.int64(7)) == 7 and check_seed(0, "split_seed") == 0
    for bad in (-1, 1.0, True, "0", None):
        with pytest.raises(ValueError, match="split_seed must be an int >= 0"):
            check_seed(bad, "split_seed")


def test_check_labels():
    np.testing.assert_array_equal(check_labels([0, 2.0, 1], num_classes=3, length=3), [0, 2, 1])
    cases = [
        ([0, 2.7], "y must be whole numbers"),
        ([], "y is empty"),
        ([[1, 0], [0, 1]], "labels.argmax"),
        ([0, -1], "y must be >= 0"),
        ([0, 3], "y must be < num_classes=3"),
        ([0, 1, 1, 0], "y has 4 entries but there are 3 of the images"),
        ([0, np.nan], "y must be whole numbers"),
    ]
    for labels, message in cases:
        with pytest.raises(ValueError, match=message.replace("(", r"\(")):
            check_labels(labels, "y", num_classes=3, length=3)
    with pytest.raises(TypeError, match="y must be integer class indices"):
        check_labels(["a", "b"], "y")


def test_check_same_length():
    assert check_same_length([1, 2], "x", "ab", "y") == 2
    with pytest.raises(ValueError, match="x and y must have the same length, got 2 and 3"):
        check_same_length([1, 2], "x", [1, 2, 3], "y")


def test_check_unit_images():
    assert check_unit_images(np.full((2, 4, 4), 1.02, np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="0-255 pixels"):
        check_unit_images(np.full((2, 4, 4), 255.0), "x")
    with pytest.raises(TypeError, match="x must be float images"):
        check_unit_images(np.zeros((2, 4, 4), np.uint8), "x")
    with pytest.raises(ValueError, match="x is empty"):
        check_unit_images(np.zeros((0, 4, 4)), "x")
    with pytest.raises(ValueError, match="finite"):
        check_unit_images(np.full((1, 2, 2), np.nan), "x")


def test_check_seed_optional_and_unit_images_options():
    assert check_seed(None, optional=True) is None and check_seed(3, optional=True) == 3
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        check_seed(None)
    assert check_unit_images(np.zeros((0, 2, 2)), "x", allow_empty=True).size == 0
    assert check_unit_images(np.full((1, 2, 2), -1.0), "x").min() == -1.0
    with pytest.raises(ValueError, match="x must be in \\[0, 1\\], got a minimum of -1"):
        check_unit_images(np.full((1, 2, 2), -1.0), "x", refuse_negative=True)


def test_check_bool():
    assert check_bool(np.bool_(True), "clip") is True and check_bool(None, "as_root", optional=True) is None
    for bad in (0, 1, "no", None):
        with pytest.raises(TypeError, match="clip must be a bool"):
            check_bool(bad, "clip")
