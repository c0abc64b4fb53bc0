"""Tests for cvhelpers.methods.gan.judge: the judge's features and labels, halves, per-class FD, measuring."""

import keras
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from cvhelpers.methods import gan
from cvhelpers.metrics import generative


def _dense_model(input_shape, kernel, bias):
    """Flatten + Dense with the given weights: outputs (n, C) = flat_pixels @ kernel + bias."""
    model = keras.Sequential([keras.Input(input_shape), keras.layers.Flatten(), keras.layers.Dense(len(bias))])
    model.layers[-1].set_weights([np.asarray(kernel, np.float32), np.asarray(bias, np.float32)])
    return model


@pytest.fixture(scope="module")
def tiny_encoder():
    # 2x2 images: feature 0 = sum of the pixels in [0, 1], feature 1 = the top-left pixel.
    kernel = np.zeros((4, 2))
    kernel[:, 0] = 1.0
    kernel[0, 1] = 1.0
    return _dense_model((2, 2, 1), kernel, [0.0, 0.0])


@pytest.fixture(scope="module")
def small_generator():
    return gan.build_generator(latent_dim=4, num_classes=3, width=8, embed_dim=4, seed=0)


# -- the judge's features and labels -------------------------------------------
def test_judge_features_scale_uint8_images_to_unit_range(tiny_encoder):
    images = np.array([[[255, 255], [255, 255]], [[0, 0], [0, 0]], [[51, 0], [102, 255]]], np.uint8)
    features = gan.judge_features(tiny_encoder, images, batch_size=2)
    assert features.shape == (3, 2)
    assert_allclose(features, [[4.0, 1.0], [0.0, 0.0], [408 / 255, 0.2]], rtol=1e-6)
    # A channel axis gives the same features.
    assert_allclose(gan.judge_features(tiny_encoder, images[..., None]), features, rtol=1e-6)


def test_judge_predictions_are_the_argmax_of_the_outputs():
    # Score 0 = mean brightness, score 1 = 0.5, score 2 = 0.25: bright images -> 0, dark ones -> 1, never 2.
    kernel = np.zeros((4, 3))
    kernel[:, 0] = 0.25
    classifier = _dense_model((2, 2, 1), kernel, [0.0, 0.5, 0.25])
    images = np.array([np.full((2, 2), v, np.uint8) for v in (255, 0, 200, 100)])
    predicted = gan.judge_predictions(classifier, images, batch_size=3)
    assert_array_equal(predicted, [0, 1, 0, 1])
    assert predicted.dtype.kind == "i"


def test_judge_helpers_name_their_bad_arguments(tiny_encoder):
    images = np.zeros((2, 2, 2), np.uint8)
    with pytest.raises(TypeError, match="encoder"):
        gan.judge_features("not a model", images)
    with pytest.raises(TypeError, match="classifier"):
        gan.judge_predictions(None, images)
    with pytest.raises(ValueError, match="images"):
        gan.judge_features(tiny_encoder, np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="images"):
        gan.judge_features(tiny_encoder, np.zeros((0, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="batch_size"):
        gan.judge_features(tiny_encoder, images, batch_size=0)


# -- halves and per-class Fréchet distance ------------------------------------------
def test_split_in_halves_is_seeded_disjoint_and_keeps_rows_paired():
    features = np.arange(11.0)[:, None] * np.array([[1.0, -1.0]])
    labels = np.arange(11) % 3
    (first_f, first_l), (second_f, second_l) = gan.split_in_halves(features, labels, seed=0)
    assert first_f.shape == (6, 2) and second_f.shape == (5, 2)
    rows_first, rows_second = first_f[:, 0].astype(int), second_f[:, 0].astype(int)
    assert_array_equal(np.sort(np.concatenate([rows_first, rows_second])), np.arange(11))
    assert_array_equal(first_l, rows_first % 3)
    assert_array_equal(second_l, rows_second % 3)
    assert np.all(np.diff(rows_first) > 0) and np.all(np.diff(rows_second) > 0)  # order kept
    # The split notebook 06's published numbers depend on: even entries of the seeded permutation.
    assert_array_equal(rows_first, np.flatnonzero(np.random.default_rng(0).permutation(11) % 2 == 0))
    again = gan.split_in_halves(features, labels, seed=0)
    assert_array_equal(again[0][0], first_f)
    other_seed = gan.split_in_halves(features, labels, seed=1)
    assert not np.array_equal(other_seed[0][0], first_f)
    with pytest.raises(ValueError, match="labels"):
        gan.split_in_halves(features, labels[:5])
    with pytest.raises(ValueError, match="features"):
        gan.split_in_halves(np.arange(11.0), labels)


def test_frechet_per_class_known_values():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 2))
    labels = np.repeat([0, 1], 20)
    b = a + np.where(labels[:, None] == 1, [3.0, 0.0], [0.0, 0.0])  # class 1 moved by 3: FD = 3^2, covariance equal
    values = gan.frechet_per_class(a, labels, b, labels, class_names=["zero", "one"])
    assert list(values.index) == ["zero", "one"]
    assert_allclose(values.to_numpy(), [0.0, 9.0], atol=1e-9)
    # The same numbers as frechet_distance class by class, whatever the row order of b.
    order = rng.permutation(40)
    shuffled = gan.frechet_per_class(a, labels, b[order], labels[order])
    assert list(shuffled.index) == [0, 1]
    assert shuffled[1] == pytest.approx(generative.frechet_distance(a[20:], b[20:]), rel=1e-9)


def test_frechet_per_class_names_its_bad_arguments():
    a, labels = np.zeros((6, 2)), np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="labels_a"):
        gan.frechet_per_class(a, labels[:4], a, labels)
    with pytest.raises(ValueError, match="features_b"):
        gan.frechet_per_class(a, labels, np.zeros(6), labels)
    with pytest.raises(ValueError, match="labels_b has 1 rows of class 1"):
        gan.frechet_per_class(a, labels, a[:4], np.array([0, 0, 0, 1]))
    with pytest.raises(ValueError, match="class_names"):
        gan.frechet_per_class(a, labels, a, labels, class_names=["only one"])
    with pytest.raises(ValueError, match="num_classes"):
        gan.frechet_per_class(a, labels, a, labels, num_classes=0)


# -- measuring a generator ------------------------------------------------------------
def test_measure_generator_matches_its_steps(small_generator):
    rng = np.random.default_rng(1)
    encoder = _dense_model((28, 28, 1), rng.normal(size=(784, 4)) / 28, np.zeros(4))
    classifier = _dense_model((28, 28, 1), rng.normal(size=(784, 3)) / 28, np.zeros(3))
    reference = rng.normal(size=(30, 4))
    reference_labels = np.repeat([0, 1, 2], 10)
    measured = gan.measure_generator(small_generator, encoder, classifier, reference, reference_labels, 6,
                                     num_classes=3, class_names=["a", "b", "c"], seed=5)
    table, images, labels, predicted = measured  # unpacks like a tuple
    assert measured.table is table
    assert_array_equal(labels, np.repeat([0, 1, 2], 6))
    assert_array_equal(images, gan.generate(small_generator, labels, seed=5))
    assert_array_equal(predicted, gan.judge_predictions(classifier, images))
    expected = generative.per_class_quality(reference, reference_labels, gan.judge_features(encoder, images), labels,
                                            predicted, ["a", "b", "c"])
    pd.testing.assert_frame_equal(table, expected)
    assert list(table.index) == ["a", "b", "c"]
    assert list(table.columns) == ["frechet", "precision", "recall", "diversity_ratio", "faithfulness"]
    other_seed = gan.measure_generator(small_generator, encoder, classifier, reference, reference_labels, 6,
                                       num_classes=3, seed=6)
    assert not np.array_equal(other_seed.images, images)


def test_measure_generator_faithfulness_of_a_judge_that_always_says_class_0(small_generator):
    encoder = _dense_model((28, 28, 1), np.random.default_rng(2).normal(size=(784, 3)) / 28, np.zeros(3))
    always_zero = _dense_model((28, 28, 1), np.zeros((784, 3)), [1.0, 0.0, 0.0])
    reference = np.random.default_rng(3).normal(size=(15, 3))
    measured = gan.measure_generator(small_generator, encoder, always_zero, reference, np.repeat([0, 1, 2], 5), 4,
                                     num_classes=3)
    assert_array_equal(measured.predicted, np.zeros(12))
    assert_allclose(measured.table["faithfulness"].to_numpy(), [1.0, 0.0, 0.0])
    assert list(measured.table.index) == [0, 1, 2]


def test_measure_generator_names_its_bad_arguments(small_generator, tiny_encoder):
    reference, labels = np.zeros((12, 2)), np.repeat([0, 1, 2], 4)
    args = (small_generator, tiny_encoder, tiny_encoder, reference, labels)
    with pytest.raises(ValueError, match="per_class"):
        gan.measure_generator(*args, 3, num_classes=3)
    with pytest.raises(ValueError, match="num_classes"):
        gan.measure_generator(*args, 5, num_classes=0)
    with pytest.raises(ValueError, match="class_names"):
        gan.measure_generator(*args, 5, num_classes=3, class_names=["a"])
    with pytest.raises(ValueError, match="reference_labels"):
        gan.measure_generator(small_generator, tiny_encoder, tiny_encoder, reference, labels[:3], 5, num_classes=3)
    with pytest.raises(TypeError, match="classifier"):
        gan.measure_generator(small_generator, tiny_encoder, "judge", reference, labels, 5, num_classes=3)


# -- the table with its reference columns ----------------------------------------------
def test_with_reference_columns_orders_and_aligns_them():
    table = pd.DataFrame({"frechet": [1.0, 2.0], "precision": [0.5, 0.6]}, index=["a", "b"])
    out = gan.with_reference_columns(
        table,
        real_vs_real=pd.Series([20.0, 10.0], index=["b", "a"]),  # matched by name, not position
        training_counts={1: 5, 0: 100},
        judge_recall=pd.Series([0.9, 0.8], index=["x", "y"]),  # by position
    )
    assert list(out.columns) == ["training images", "frechet", "frechet real vs real", "precision",
                                 "judge recall on real"]
    assert_allclose(out["frechet real vs real"].to_numpy(), [10.0, 20.0])
    assert out["training images"].tolist() == [100, 5]
    assert_allclose(out["judge recall on real"].to_numpy(), [0.9, 0.8])
    assert list(table.columns) == ["frechet", "precision"]  # the input is left alone
    by_position = gan.with_reference_columns(table, real_vs_real=[3.0, 4.0])
    assert_allclose(by_position["frechet real vs real"].to_numpy(), [3.0, 4.0])
    assert list(gan.with_reference_columns(table).columns) == ["frechet", "precision"]


def test_with_reference_columns_names_its_bad_arguments():
    table = pd.DataFrame({"frechet": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(TypeError, match="table"):
        gan.with_reference_columns(table.to_numpy())
    with pytest.raises(ValueError, match="real_vs_real"):
        gan.with_reference_columns(table, real_vs_real=pd.Series([1.0], index=["a"]))
    with pytest.raises(ValueError, match="real_vs_real"):
        gan.with_reference_columns(table, real_vs_real=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="training_counts"):
        gan.with_reference_columns(table, training_counts={0: 3})
    with pytest.raises(ValueError, match="judge_recall"):
        gan.with_reference_columns(table, judge_recall=[0.5])


def test_judge_helpers_refuse_non_finite_features_negative_labels_and_seeds(small_generator, tiny_encoder):
    a, labels = np.zeros((6, 2)), np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="features_a must be finite"):
        gan.frechet_per_class(np.full((6, 2), np.nan), labels, a, labels)
    with pytest.raises(ValueError, match="labels_b must be >= 0"):
        gan.frechet_per_class(a, labels, a, labels - 1)
    with pytest.raises(ValueError, match="labels_a must be whole numbers"):
        gan.frechet_per_class(a, labels + 0.5, a, labels)
    with pytest.raises(ValueError, match="features must be finite"):
        gan.split_in_halves(np.full((4, 2), np.inf), np.arange(4))
    with pytest.raises(ValueError, match="seed"):
        gan.split_in_halves(a, labels, seed=-1)
    reference, reference_labels = np.zeros((12, 2)), np.repeat([0, 1, 2], 4)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        gan.measure_generator(small_generator, tiny_encoder, tiny_encoder, reference, reference_labels, 5,
                              num_classes=3, k=0)
