"""Class-balanced resampling with augmentation: two ``tf.data`` builders (notebook 03).

:func:`oversample_with_augmented_copies` augments only the repeated copies of
minority-class images; :func:`context_rich_oversampling` pastes
class-balanced boxes into them (the best first stage of
``experiments/lt_methods.py``).
"""

from __future__ import annotations

import numpy as np

from cvhelpers.validation import check_labels, check_number, check_positive_int, check_seed


def oversample_with_augmented_copies(
    x, y, augment, epochs: int = 1, seed: int = 0, batch_size: int = 128, num_classes: int | None = None
):
    """Class-balanced epochs in which only the *copies* are augmented.

    Composes :func:`cvhelpers.data.sampling.balanced_epoch_indices` (every epoch
    draws the same number of images per class; a tail image drawn again is a
    copy) with :func:`cvhelpers.data.pipeline.indexed_dataset` (augment the draws
    flagged as copies). Originals are shown as they are, so the model still
    sees every real image; the repeats of rare images look different each
    time instead of being exact duplicates. Used in notebook 03.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c), uint8 or float
    y : ndarray of shape (n,), int
    augment : callable
        A Keras layer or policy, e.g. :func:`light_policy`.
    epochs : int, default=1
        Epochs to draw; the dataset holds all of them, in order.
    seed : int, default=0
    batch_size : int, default=128
    num_classes : int, optional
        One-hot encode the labels.

    Returns
    -------
    tf.data.Dataset
        Finite: ``ceil(epochs * n / batch_size)`` batches of ``(images,
        labels)``. Train with ``model.fit(dataset, epochs=epochs,
        steps_per_epoch=len(y) // batch_size)``.
    """
    from cvhelpers.data.pipeline import indexed_dataset
    from cvhelpers.data.sampling import balanced_epoch_indices

    if augment is None or not callable(augment):
        raise TypeError(f"augment must be a Keras layer or a callable, got {augment!r}")
    epochs = check_positive_int(epochs, "epochs")
    check_seed(seed)
    check_labels(y, "y", length=len(x), length_of="images in x")
    indices, is_copy = balanced_epoch_indices(y, epochs=epochs, seed=seed)
    return indexed_dataset(
        x, y, indices, batch_size=batch_size, augment=augment, augment_mask=is_copy, num_classes=num_classes
    )


def context_rich_oversampling(
    x, y, background, augment=None, *, probability: float = 0.5, batch_size: int = 128, seed: int = 0,
    num_classes: int | None = None,
):
    """Context-rich minority oversampling (CMO; Park et al., CVPR 2022).

    Each background batch gets, with ``probability``, one CutMix box pasted
    from a *class-balanced* batch of ``(x, y)``; every label becomes the
    one-hot mixture weighted by the area of the box. Rare classes are seen
    as often as common ones, but inside the varied images of the common
    classes instead of as repeated copies of the same few images.

    Written here because Keras's ``CutMix`` layer pairs images within one
    batch: its pasted boxes follow the long-tailed distribution. One box size
    (``λ ~ Beta(1, 1)``, side ``sqrt(1 - λ)``) and position is drawn per batch,
    as in CutMix and the paper's code.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c)
        Source of the pasted boxes, drawn class-balanced.
    y : ndarray of shape (n,), int
    background : tf.data.Dataset
        Batches ``(images (b, h, w, c), labels)`` with integer or one-hot
        labels, e.g. :func:`cvhelpers.data.pipeline.make_dataset` (the paper) or
        :func:`oversample_with_augmented_copies` (the course's best
        recipe). The result ends when it ends.
    augment : callable, optional
        Applied to the balanced batches before pasting, e.g. :func:`light_policy`.
    probability : float, default=0.5
        Chance that a batch is mixed; the others pass through unchanged.
    batch_size : int, default=128
        Of the balanced batches; at least the background's batch size.
    seed : int, default=0
    num_classes : int, optional
        Default ``max(y) + 1``.

    Returns
    -------
    tf.data.Dataset
        ``(images, labels)`` batches; images float32 (b, h, w, c), labels
        one-hot float32 (b, num_classes). Train with a categorical loss.
    """
    import tensorflow as tf

    from cvhelpers.data.pipeline import balanced_dataset

    if not isinstance(background, tf.data.Dataset):
        raise TypeError(f"background must be a tf.data.Dataset of (images, labels) batches, got {background!r}")
    probability = check_number(probability, "probability", low=0.0, high=1.0)
    check_seed(seed)
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "num_classes")
    y = np.asarray(y)
    labels = check_labels(y, "y", num_classes=num_classes, length=len(x), length_of="images in x")
    num_classes = num_classes or int(labels.max()) + 1
    balanced = balanced_dataset(x, y, batch_size, seed=seed, augment=augment, num_classes=num_classes)
    generator = tf.random.Generator.from_seed(seed)

    def paste(background_batch, balanced_batch):
        (images, labels), (boxes_from, box_labels) = background_batch, balanced_batch
        if labels.shape.rank == 1:
            labels = tf.one_hot(labels, num_classes)
        images, labels = tf.cast(images, tf.float32), tf.cast(labels, tf.float32)
        count, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
        side = tf.sqrt(1.0 - generator.uniform([]))
        box_h = tf.cast(side * tf.cast(height, tf.float32), tf.int32)
        box_w = tf.cast(side * tf.cast(width, tf.float32), tf.int32)
        centre_y = generator.uniform([], 0, height, dtype=tf.int32)
        centre_x = generator.uniform([], 0, width, dtype=tf.int32)
        rows, cols = tf.range(height)[:, None], tf.range(width)[None, :]
        inside = ((rows >= centre_y - box_h // 2) & (rows < centre_y + box_h // 2)
                  & (cols >= centre_x - box_w // 2) & (cols < centre_x + box_w // 2))
        mask = tf.cast(inside, tf.float32) * tf.cast(generator.uniform([]) < probability, tf.float32)
        area = tf.reduce_mean(mask)
        mask = mask[None, :, :, None]
        mixed = images * (1.0 - mask) + boxes_from[:count] * mask
        return mixed, labels * (1.0 - area) + box_labels[:count] * area

    from cvhelpers.cache import NotCacheable, dataset_fingerprint, tag_dataset

    mixed = tf.data.Dataset.zip((background, balanced)).map(paste).prefetch(2)
    if dataset_fingerprint(background) is None or dataset_fingerprint(balanced) is None:
        return mixed  # no fingerprint to build on: models trained on it are not cached
    try:
        return tag_dataset(mixed, pipeline="context_rich_oversampling", background=background, boxes=balanced,
                           probability=float(probability), seed=seed)
    except NotCacheable:
        return mixed
