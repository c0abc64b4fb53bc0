"""Measuring generated images through a judge: a classifier trained on real, balanced data.

Notebook 06 looks at real and generated images in the feature space of such
a classifier (its encoder) and uses its predictions as labels:

* :func:`judge_features` and :func:`judge_predictions`: the judge's features
  and labels of uint8 images;
* :func:`split_in_halves`: a seeded split of labelled real features into a
  reference half and a second half for scale;
* :func:`frechet_per_class`: per-class Fréchet distance between two labelled
  feature sets (e.g. real against real: what a perfect generator would score);
* :func:`measure_generator`: generate a fixed number of images per class and
  measure them (:func:`cvhelpers.metrics.generative.per_class_quality`);
* :func:`with_reference_columns`: the quality table with the columns that
  give it scale (training images, real vs real, the judge's recall).

This module is not imported by :func:`train_conditional_gan`, so editing it
does not change the GAN's cache key.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cvhelpers.methods.gan.sampling import generate
from cvhelpers.metrics.generative import frechet_distance, per_class_quality
from cvhelpers.validation import check_finite_array, check_labels, check_positive_int, check_seed

__all__ = [
    "GeneratorMeasures",
    "judge_features",
    "judge_predictions",
    "split_in_halves",
    "frechet_per_class",
    "measure_generator",
    "with_reference_columns",
]


def _check_model(model, name):
    if not callable(getattr(model, "predict", None)):
        raise TypeError(f"{name} must be a keras.Model (with predict), got {type(model).__name__}")
    return model


def _float_images(images):
    from cvhelpers.data.pipeline import to_float_images

    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"images must have shape (n, h, w) or (n, h, w, c), got {images.shape}")
    if len(images) == 0:
        raise ValueError("images is empty")
    return to_float_images(images)


def judge_features(encoder, images, batch_size: int = 512) -> np.ndarray:
    """The judge's features of uint8 images.

    Parameters
    ----------
    encoder : keras.Model
        ``float images (n, h, w, c) in [0, 1] -> features (n, d)``, e.g.
        :func:`cvhelpers.training.models.encoder_of` of the judge.
    images : ndarray of shape (n, h, w) or (n, h, w, c), uint8
        Scaled to [0, 1] by :func:`cvhelpers.data.pipeline.to_float_images`.
    batch_size : int, default=512

    Returns
    -------
    ndarray of shape (n, d), float32
    """
    encoder = _check_model(encoder, "encoder")
    batch_size = check_positive_int(batch_size, "batch_size")
    return encoder.predict(_float_images(images), batch_size=batch_size, verbose=0)


def judge_predictions(classifier, images, batch_size: int = 512) -> np.ndarray:
    """The class the judge gives each uint8 image (the argmax of its outputs).

    Parameters
    ----------
    classifier : keras.Model
        ``float images (n, h, w, c) in [0, 1] -> logits or probabilities (n, C)``.
    images : ndarray of shape (n, h, w) or (n, h, w, c), uint8
    batch_size : int, default=512

    Returns
    -------
    ndarray of shape (n,), int64
    """
    classifier = _check_model(classifier, "classifier")
    batch_size = check_positive_int(batch_size, "batch_size")
    outputs = classifier.predict(_float_images(images), batch_size=batch_size, verbose=0)
    if np.ndim(outputs) != 2:
        raise ValueError(f"classifier must output (n, C) scores, got shape {np.shape(outputs)}")
    return outputs.argmax(1)


def _labelled(features, labels, features_name, labels_name, class_indices=False):
    """Finite (n, d) features (dtype kept) and n labels; class indices >= 0 with ``class_indices``."""
    features = np.asarray(features)
    labels = np.asarray(labels)
    if features.ndim != 2:
        raise ValueError(f"{features_name} must have shape (n, d), got {features.shape}")
    check_finite_array(features, features_name)
    if labels.shape != (len(features),):
        raise ValueError(f"{labels_name} must have shape ({len(features)},) like {features_name}, got {labels.shape}")
    if class_indices:
        labels = check_labels(labels, labels_name)
    return features, labels


def split_in_halves(features, labels, seed: int = 0):
    """Split labelled features into two random halves, with a seeded permutation.

    Row ``i`` goes to the first half when ``permutation[i]`` is even, with
    ``permutation = np.random.default_rng(seed).permutation(n)``: the first
    half gets ``ceil(n / 2)`` rows, the second ``floor(n / 2)``, and each
    class splits about evenly (not exactly: the split ignores the labels).
    Rows keep their order within each half.

    Parameters
    ----------
    features : ndarray of shape (n, d), finite
    labels : ndarray of shape (n,)
    seed : int, default=0

    Returns
    -------
    (first_features, first_labels), (second_features, second_labels)
        Arrays of shapes (ceil(n / 2), d), (ceil(n / 2),), (floor(n / 2), d)
        and (floor(n / 2),).
    """
    features, labels = _labelled(features, labels, "features", "labels")
    first = np.random.default_rng(check_seed(seed)).permutation(len(labels)) % 2 == 0
    return (features[first], labels[first]), (features[~first], labels[~first])


def frechet_per_class(features_a, labels_a, features_b, labels_b, num_classes: int | None = None, class_names=None):
    """Fréchet distance between two labelled feature sets, class by class.

    Parameters
    ----------
    features_a : ndarray of shape (n, d), finite
    labels_a : ndarray of shape (n,), int
    features_b : ndarray of shape (m, d), finite
    labels_b : ndarray of shape (m,), int
    num_classes : int, optional
        Measures classes ``0 .. num_classes - 1``; default
        ``max(labels_a.max(), labels_b.max()) + 1``. Every class needs at
        least 2 rows on each side.
    class_names : sequence of str, optional
        The index of the result (default the class numbers).

    Returns
    -------
    pandas.Series of shape (num_classes,), float
        :func:`cvhelpers.metrics.generative.frechet_distance` of class ``c``
        of ``a`` against class ``c`` of ``b``, in class order.
    """
    import pandas as pd

    features_a, labels_a = _labelled(features_a, labels_a, "features_a", "labels_a", class_indices=True)
    features_b, labels_b = _labelled(features_b, labels_b, "features_b", "labels_b", class_indices=True)
    if num_classes is None:
        num_classes = int(max(labels_a.max(), labels_b.max())) + 1
    num_classes = check_positive_int(num_classes, "num_classes")
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(f"class_names must have {num_classes} names, got {len(class_names)}")
    for c in range(num_classes):
        for labels, name in ((labels_a, "labels_a"), (labels_b, "labels_b")):
            if np.sum(labels == c) < 2:
                raise ValueError(f"{name} has {np.sum(labels == c)} rows of class {c}; each class needs at least 2")
    values = [frechet_distance(features_a[labels_a == c], features_b[labels_b == c]) for c in range(num_classes)]
    return pd.Series(values, index=list(class_names) if class_names is not None else range(num_classes))


class GeneratorMeasures(NamedTuple):
    """What :func:`measure_generator` returns; unpacks as ``table, images, labels, predicted``.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per class: ``frechet``, ``precision``, ``recall``,
        ``diversity_ratio``, ``faithfulness``
        (:func:`cvhelpers.metrics.generative.per_class_quality`).
    images : ndarray of shape (num_classes * per_class, h, w), uint8
    labels : ndarray of shape (num_classes * per_class,), int
        The conditioned classes, ``per_class`` of class 0, then of class 1, ...
    predicted : ndarray of shape (num_classes * per_class,), int
        The judge's classes for the images.
    """

    table: object
    images: np.ndarray
    labels: np.ndarray
    predicted: np.ndarray


def measure_generator(
    generator,
    encoder,
    classifier,
    reference_features,
    reference_labels,
    per_class: int,
    *,
    num_classes: int,
    class_names=None,
    seed: int = 0,
    k: int = 3,
    batch_size: int = 512,
) -> GeneratorMeasures:
    """Generate ``per_class`` images of every class and measure them against real reference features.

    In this order: :func:`generate` (noise seeded by ``seed``), the images'
    features (:func:`judge_features`), the judge's classes
    (:func:`judge_predictions`), then
    :func:`cvhelpers.metrics.generative.per_class_quality`.

    Parameters
    ----------
    generator : keras.Model
        ``[noise, labels] -> images in [-1, 1]``.
    encoder : keras.Model
        The judge's feature extractor (as in :func:`judge_features`).
    classifier : keras.Model
        The judge (as in :func:`judge_predictions`).
    reference_features : ndarray of shape (n, d)
        Judge features of held-out real images, at least ``k + 1`` per class.
    reference_labels : ndarray of shape (n,), int
    per_class : int
        Generated images per class; more than ``k``.
    num_classes : int
    class_names : sequence of str, optional
        The table's index (default the class numbers).
    seed : int, default=0
        Seeds the generator's noise.
    k : int, default=3
        Neighbours for precision and recall.
    batch_size : int, default=512

    Returns
    -------
    GeneratorMeasures
        ``(table, images, labels, predicted)``.
    """
    per_class = check_positive_int(per_class, "per_class")
    num_classes = check_positive_int(num_classes, "num_classes")
    reference_features, reference_labels = _labelled(
        reference_features, reference_labels, "reference_features", "reference_labels", class_indices=True
    )
    k = check_positive_int(k, "k")
    seed = check_seed(seed)
    batch_size = check_positive_int(batch_size, "batch_size")
    if per_class <= k:
        raise ValueError(f"per_class must be larger than k={k}, got {per_class}")
    if class_names is not None and len(class_names) != num_classes:
        raise ValueError(f"class_names must have {num_classes} names, got {len(class_names)}")
    _check_model(encoder, "encoder")
    _check_model(classifier, "classifier")
    labels = np.repeat(np.arange(num_classes), per_class)
    images = generate(generator, labels, seed=seed, batch_size=batch_size)
    features = judge_features(encoder, images, batch_size=batch_size)
    predicted = judge_predictions(classifier, images, batch_size=batch_size)
    table = per_class_quality(reference_features, reference_labels, features, labels, predicted, class_names, k=k)
    return GeneratorMeasures(table, images, labels, predicted)


def with_reference_columns(table, *, real_vs_real=None, training_counts=None, judge_recall=None):
    """The quality table with the columns that give it scale, as a new DataFrame.

    ``training images`` goes first, ``frechet real vs real`` right after
    ``frechet`` (or second when there is none) and ``judge recall on real``
    last; a column left as None is left out.

    Parameters
    ----------
    table : pandas.DataFrame of shape (C, q)
        One row per class, in class order ``0 .. C-1`` (as
        :func:`measure_generator` returns it).
    real_vs_real : pandas.Series or sequence of float, optional
        E.g. :func:`frechet_per_class` of real against real. A Series is
        matched to the rows by its index (it must hold every row's name),
        anything else by position (length C).
    training_counts : mapping of int to int, or sequence of int, optional
        Training images per class: ``training_counts[c]`` for ``c`` in
        ``0 .. C-1``.
    judge_recall : pandas.Series or sequence of float, optional
        The judge's recall per class on real images, by position (length C).

    Returns
    -------
    pandas.DataFrame of shape (C, q + the columns given)
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    out = table.copy()
    rows = len(out)
    if real_vs_real is not None:
        if isinstance(real_vs_real, pd.Series):
            missing = [name for name in out.index if name not in real_vs_real.index]
            if missing:
                raise ValueError(f"real_vs_real has no value for rows {missing}")
            values = real_vs_real.reindex(out.index)
        else:
            values = np.asarray(real_vs_real)
            if values.shape != (rows,):
                raise ValueError(f"real_vs_real must have {rows} values, got shape {values.shape}")
        position = out.columns.get_loc("frechet") + 1 if "frechet" in out.columns else 1
        out.insert(min(position, len(out.columns)), "frechet real vs real", values)
    if training_counts is not None:
        try:
            counts = [training_counts[c] for c in range(rows)]
        except (KeyError, IndexError) as error:
            raise ValueError(f"training_counts must have a count for every class 0..{rows - 1}") from error
        out.insert(0, "training images", counts)
    if judge_recall is not None:
        recall = np.asarray(judge_recall)
        if recall.shape != (rows,):
            raise ValueError(f"judge_recall must have {rows} values, got shape {recall.shape}")
        out["judge recall on real"] = recall
    return out
