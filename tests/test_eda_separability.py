"""Known-answer tests for cvhelpers.eda.separability: k-NN balanced accuracy against chance."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cvhelpers import eda

RNG = np.random.default_rng(3)


def _reference(features, labels, neighbors):
    model = make_pipeline(StandardScaler(), KNeighborsClassifier(neighbors))
    return cross_val_score(model, features, labels, cv=5, scoring="balanced_accuracy").mean()


def test_separated_clusters_score_one_against_chance_one_half():
    labels = np.repeat([0, 1], 30)
    features = 10.0 * labels[:, None] + RNG.normal(size=(60, 2))
    accuracy, chance = eda.knn_accuracy(features, labels)
    assert accuracy == 1.0
    assert chance == 0.5


def test_equals_scaled_knn_cross_validation_with_k_from_the_fold_size():
    labels = np.repeat([0, 1, 2], 5)  # 15 images: k = int(0.8 * 15) - 1 = 11
    features = RNG.normal(size=(15, 3)) + labels[:, None]
    frame = pd.DataFrame(features, columns=["a", "b", "c"])
    accuracy, chance = eda.knn_accuracy(frame, labels)
    assert accuracy == _reference(features, labels, 11)
    assert chance == pytest.approx(1 / 3)
    labels = np.repeat([0, 1], 30)  # 60 images: k capped at max_neighbors
    features = RNG.normal(size=(60, 2)) + 0.5 * labels[:, None]
    assert eda.knn_accuracy(features, labels)[0] == _reference(features, labels, 15)
    assert eda.knn_accuracy(features, labels, max_neighbors=3)[0] == _reference(features, labels, 3)


def test_classes_with_fewer_images_than_folds_are_left_out():
    labels = np.array([0] * 8 + [1] * 8 + [2] * 4)
    features = RNG.normal(size=(20, 2)) + labels[:, None]
    kept = labels < 2
    assert eda.knn_accuracy(features, labels) == eda.knn_accuracy(features[kept], labels[kept])
    assert eda.knn_accuracy(features, labels)[1] == 0.5
    assert eda.knn_accuracy(features, labels, folds=4)[1] == pytest.approx(1 / 3)
    accuracy, chance = eda.knn_accuracy(features[:12], labels[:12])  # class 1 has 4 images: one class left
    assert np.isnan(accuracy) and chance == 1.0


def test_per_class_keeps_the_first_rows_of_each_class_grouped_by_class():
    labels = np.tile([1, 0], 20)  # interleaved, 20 per class
    features = RNG.normal(size=(40, 2)) + labels[:, None]
    rows = np.concatenate([np.flatnonzero(labels == 0)[:10], np.flatnonzero(labels == 1)[:10]])
    assert eda.knn_accuracy(features, labels, per_class=10) == eda.knn_accuracy(features[rows], labels[rows])
    assert eda.knn_accuracy(features, labels, per_class=10)[0] == _reference(features[rows], labels[rows], 15)


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"features": np.zeros(10)}, ValueError, "features"),
        ({"features": np.full((10, 2), np.nan)}, ValueError, "features"),
        ({"features": np.full((10, 2), "x")}, TypeError, "features"),
        ({"labels": np.zeros(9, int)}, ValueError, "labels"),
        ({"labels": np.full(10, 0.5)}, ValueError, "labels"),
        ({"labels": np.full(10, "a")}, TypeError, "labels"),
        ({"folds": 1}, ValueError, "folds"),
        ({"folds": 2.0}, ValueError, "folds"),
        ({"max_neighbors": True}, ValueError, "max_neighbors"),
        ({"features": np.full((10, 2), np.inf)}, ValueError, "features"),
        ({"max_neighbors": 0}, ValueError, "max_neighbors"),
        ({"per_class": 0}, ValueError, "per_class"),
    ],
)
def test_bad_arguments_raise_and_name_the_argument(kwargs, error, word):
    arguments = {"features": np.zeros((10, 2)), "labels": np.repeat([0, 1], 5), **kwargs}
    with pytest.raises(error, match=word):
        eda.knn_accuracy(**arguments)


@pytest.mark.parametrize("name, value, smallest", [("folds", 2.0, 2), ("folds", 1, 2), ("max_neighbors", True, 1),
                                                    ("per_class", np.float64(3), 1)])
def test_int_arguments_get_the_shared_check_message(name, value, smallest):
    arguments = {"features": np.zeros((10, 2)), "labels": np.repeat([0, 1], 5), name: value}
    with pytest.raises(ValueError, match="^" + re.escape(f"{name} must be an int >= {smallest}, got {value!r}") + "$"):
        eda.knn_accuracy(**arguments)
    assert eda.knn_accuracy(**{**arguments, name: np.int64(5)})[1] == 0.5
