"""tf.data input pipelines built from NumPy arrays.

The course feeds every model through :func:`make_dataset`: scale to float,
cache, shuffle with a seed, batch, an optional augmentation map run in
parallel on whole batches, and prefetch. :func:`balanced_dataset` draws
class-balanced batches with ``tf.data.Dataset.sample_from_datasets``.

Every pipeline built here is reproducible from its arguments alone: its order
depends on its ``seed``, never on what ran before in the process, and it
carries a fingerprint of its arrays and settings
(:func:`cvhelpers.cache.tag_dataset`) that keys the models trained on it.
One thing stays non-deterministic: random augmentation mapped in parallel
(its draws depend on which thread takes which batch) and the state of a
policy layer reused across pipelines.

Used in notebooks 02-08.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cvhelpers.validation import check_finite_array, check_labels, check_positive_int, check_seed, check_unit_images

__all__ = ["to_float_images", "one_hot", "make_dataset", "balanced_dataset", "indexed_dataset"]


_INTEGER_SCALES = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


def to_float_images(x, name: str = "x") -> np.ndarray:
    """Images to float32 in [0, 1], with a channel axis.

    uint8 is divided by 255 and uint16 by 65535; float images must already be
    in [0, 1] and are only cast (a float array whose maximum is above 1.5
    looks like 0-255 pixels and is refused, as are NaN and infinities).

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c), uint8, uint16 or float
    name : str, default="x"
        The argument's name, for the messages.

    Returns
    -------
    ndarray of shape (n, h, w, c), float32

    Raises
    ------
    TypeError
        For any other dtype (signed or wider integers, bool, strings).
    ValueError
        For a wrong shape, NaN or infinity, or float values above 1.5.
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (n, h, w) or (n, h, w, c), got {x.shape}")
    if x.dtype in _INTEGER_SCALES:
        return x.astype(np.float32) / _INTEGER_SCALES[x.dtype]
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must be uint8, uint16 or float images in [0, 1], got dtype {x.dtype}; "
                        f"for 0-255 pixels use {name}.astype(np.uint8)")
    check_unit_images(x, name, allow_empty=True)
    return x.astype(np.float32)


def one_hot(y, num_classes: int) -> np.ndarray:
    """Integer labels to float32 one-hot rows, shape (n, num_classes).

    Raises
    ------
    ValueError
        Naming ``y`` for labels that are not whole numbers in [0, num_classes),
        naming ``num_classes`` when it is not a positive int.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    if np.ndim(y) == 1 and np.size(y) == 0:
        return np.zeros((0, num_classes), dtype=np.float32)
    return np.eye(num_classes, dtype=np.float32)[check_labels(y, "y", num_classes=num_classes)]


def _finish(dataset, autotune: bool):
    """Prefetch, and switch tf.data's autotuning on or off.

    On a 2-core CPU the autotuner's background threads compete with the
    training step: epochs then take either 3.5 s or 5.1 s at random, about 30 %
    slower on median (``benchmarks/pipeline_overhead.py``). With autotuning off
    and a fixed prefetch of 2 batches the pipeline keeps up with in-memory
    tensors. On a machine with cores to spare, ``autotune=True`` lets tf.data
    size its buffers and parallelism itself.
    """
    import tensorflow as tf

    dataset = dataset.prefetch(tf.data.AUTOTUNE if autotune else 2)
    options = tf.data.Options()
    options.autotune.enabled = bool(autotune)
    return dataset.with_options(options)


def _seed_pipeline(seed: int) -> None:
    """Make the pipeline's random order depend on ``seed`` alone.

    ``Dataset.shuffle(seed=s)`` and ``sample_from_datasets(seed=s)`` combine
    ``s`` with TensorFlow's global seed at construction: a pipeline built
    before a ``fit`` (global seed unset) and the same one built after it
    (global seed set by ``keras.utils.set_random_seed``) shuffle differently,
    so the same call trained different models. Setting the global seed to
    ``seed`` first removes that dependence; :func:`cvhelpers.training.trainer.fit` sets
    all seeds again before it trains.
    """
    import tensorflow as tf

    tf.random.set_seed(seed)


def _tagged(dataset, **config):
    """``dataset`` with a fingerprint of ``config``; untagged when a value cannot be keyed."""
    from cvhelpers.cache import NotCacheable, tag_dataset

    try:
        return tag_dataset(dataset, **config)
    except NotCacheable:
        return dataset


def _check_arrays(x, y, batch_size, seed=None):
    """Refuse a bad batch size or seed, and ``x`` and ``y`` of different or zero length."""
    check_positive_int(batch_size, "batch_size")
    if seed is not None:
        check_seed(seed)
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        raise ValueError(f"x and y must be arrays, got shapes {np.shape(x)} and {np.shape(y)}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x is empty")


def _check_class_indices(y) -> None:
    """1-D labels must be whole, non-negative class indices; one-hot rows must be finite."""
    if np.ndim(y) == 1:
        check_labels(y, "y")
    else:
        check_finite_array(y, "y", ndim=2)


def make_dataset(
    x,
    y,
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int | None = 0,
    augment: Callable | None = None,
    num_classes: int | None = None,
    cache: bool = True,
    num_parallel_calls=None,
    drop_remainder: bool = False,
    autotune: bool = False,
    repeat: bool = False,
):
    """A tf.data pipeline over in-memory arrays.

    from_tensor_slices -> cache -> shuffle(seed) -> batch -> map(augment) ->
    [repeat] -> prefetch. Augmentation runs after batching, on whole batches,
    which is several times faster than a per-image map for small images.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c)
        uint8 and uint16 images are scaled to float32 in [0, 1]; float images
        must already be in [0, 1] (:func:`to_float_images`).
    y : ndarray of shape (n,) int, or (n, C) float
        Labels. With ``num_classes`` integer labels become one-hot rows.
    batch_size : int, default=128
    shuffle : bool, default=True
        Reshuffle every epoch. A fresh pipeline with the same ``seed`` gives
        the same order whatever ran before (building it sets TensorFlow's
        global seed to ``seed``); iterating one pipeline again continues its
        sequence of orders.
    seed : int or None, default=0
        None shuffles differently every time; such a pipeline has no
        fingerprint, so models trained on it are not cached.
    augment : callable, optional
        Applied per batch: a Keras augmentation layer or ``keras.Sequential``
        of them (called with ``training=True``), or any ``images -> images``
        function. Label-mixing layers (``MixUp``, ``CutMix``) also get the
        labels, which must then be one-hot (pass ``num_classes``).
    num_classes : int, optional
        One-hot encode integer labels (needed by focal and mixing losses).
    cache : bool, default=True
        Cache the decoded tensors in memory after the first epoch.
    num_parallel_calls : int, optional
        For the augmentation map; default ``tf.data.AUTOTUNE``.
    drop_remainder : bool, default=False
    autotune : bool, default=False
        Let tf.data autotune buffers and parallelism; off by default because
        on a 2-core CPU its threads slow training down (see ``_finish``).
    repeat : bool, default=False
        Repeat the shuffled epochs forever (then ``fit`` needs
        ``steps_per_epoch``), e.g. for a small set trained for as many steps
        as a larger one. Unlike ``.repeat()`` on the result, this keeps the
        pipeline's fingerprint.

    Returns
    -------
    tf.data.Dataset
        Yields ``(images, labels)`` batches; images float32 (b, h, w, c).
    """
    import tensorflow as tf

    _check_arrays(x, y, batch_size, seed)
    if num_classes is None:
        _check_class_indices(y)
    images = to_float_images(x)
    labels = one_hot(y, num_classes) if num_classes is not None else np.asarray(y)
    reproducible = not shuffle or seed is not None
    if shuffle and seed is not None:
        _seed_pipeline(seed)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if cache:
        dataset = dataset.cache()
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if augment is not None:
        dataset = dataset.map(
            _batch_augmenter(augment),
            num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE,
            deterministic=seed is not None,
        )
    if repeat:
        dataset = dataset.repeat()
    dataset = _finish(dataset, autotune)
    if not reproducible:
        return dataset
    return _tagged(
        dataset, pipeline="make_dataset", x=np.asarray(x), y=np.asarray(y), batch_size=batch_size, shuffle=shuffle,
        seed=seed if shuffle else None, augment=augment, num_classes=num_classes, drop_remainder=drop_remainder,
        repeat=repeat,
    )


def _check_indices(indices, n: int) -> np.ndarray:
    """``indices`` as int64 positions in [0, n); non-whole floats are refused, never truncated."""
    array = np.asarray(indices)
    if array.ndim != 1:
        raise ValueError(f"indices must be 1-D positions, got shape {array.shape}")
    if array.size == 0:
        return array.astype(np.int64)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"indices must be integer positions, got dtype {array.dtype}")
    if not (np.isfinite(array).all() and (array == np.round(array)).all()):
        raise ValueError(f"indices must be whole numbers, got {array[array != np.round(array)][:3]}")
    array = array.astype(np.int64)
    if array.min() < 0 or array.max() >= n:
        raise ValueError(f"indices must be in [0, {n}), got [{array.min()}, {array.max()}]")
    return array


def _batch_augmenter(augment: Callable) -> Callable:
    """Wrap an augmentation so it maps ``(images, labels)`` batches.

    * A Keras layer is called with ``training=True``. Layers that mix labels
      (Keras ``MixUp`` and ``CutMix``, or any layer with ``takes_labels =
      True``) get and return Keras's ``{"images", "labels"}`` dict.
    * Any other callable gets ``images`` and returns images.
    """
    import keras

    is_layer = isinstance(augment, keras.layers.Layer)
    mixes_labels = getattr(augment, "takes_labels", False) or type(augment).__name__ in {
        "MixUp",
        "CutMix",
    }
    kwargs = {"training": True} if is_layer else {}

    def apply(images, labels):
        if mixes_labels:
            out = augment({"images": images, "labels": labels}, **kwargs)
            return out["images"], out["labels"]
        return augment(images, **kwargs), labels

    return apply


def balanced_dataset(
    x,
    y,
    batch_size: int = 128,
    seed: int = 0,
    weights=None,
    augment: Callable | None = None,
    num_classes: int | None = None,
    autotune: bool = False,
):
    """Class-balanced batches: oversampling with ``sample_from_datasets``.

    Each class becomes its own infinite, shuffled dataset; batches draw a
    class for every image with probabilities ``weights`` (default uniform),
    so rare images repeat. The dataset is infinite: pass ``steps_per_epoch``
    to ``fit``.

    Parameters
    ----------
    x : ndarray of shape (n, h, w[, c])
    y : ndarray of shape (n,), int
    batch_size : int, default=128
    seed : int, default=0
    weights : sequence of float, optional
        Sampling probability per class (by label); default uniform.
    augment : callable, optional
        As in :func:`make_dataset`, applied per batch.
    num_classes : int, optional
        One-hot encode the labels.
    autotune : bool, default=False
        As in :func:`make_dataset`.

    Returns
    -------
    tf.data.Dataset
        Infinite, yields ``(images, labels)`` batches.
    """
    import tensorflow as tf

    _check_arrays(x, y, batch_size, seed)
    if seed is None:
        raise ValueError("seed must be an int >= 0, got None")
    check_labels(y, "y")
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"y must hold at least 2 classes, got {classes.tolist()}")
    if weights is None:
        weights = np.full(len(classes), 1.0 / len(classes))
    else:
        weights = check_finite_array(weights, "weights", nonnegative=True)
        if weights.shape != (len(classes),) or weights.sum() <= 0:
            raise ValueError(
                f"weights must be {len(classes)} non-negative numbers, one per class, got {weights}"
            )
        weights = weights / weights.sum()
    images = to_float_images(x)
    labels = one_hot(y, num_classes) if num_classes is not None else y
    _seed_pipeline(seed)
    per_class = []
    for offset, label in enumerate(classes):
        members = np.flatnonzero(y == label)
        per_class.append(
            tf.data.Dataset.from_tensor_slices((images[members], labels[members]))
            .cache()
            .shuffle(len(members), seed=seed + offset, reshuffle_each_iteration=True)
            .repeat()
        )
    dataset = tf.data.Dataset.sample_from_datasets(
        per_class, weights=weights.tolist(), seed=seed, stop_on_empty_dataset=False
    ).batch(batch_size)
    if augment is not None:
        dataset = dataset.map(_batch_augmenter(augment), num_parallel_calls=tf.data.AUTOTUNE)
    return _tagged(
        _finish(dataset, autotune), pipeline="balanced_dataset", x=np.asarray(x), y=y, batch_size=batch_size,
        seed=seed, weights=weights, augment=augment, num_classes=num_classes,
    )


def indexed_dataset(
    x,
    y,
    indices,
    batch_size: int = 128,
    augment: Callable | None = None,
    augment_mask=None,
    num_classes: int | None = None,
    autotune: bool = False,
):
    """Batches of ``x[indices]``, optionally augmenting only masked draws.

    Pairs with :func:`cvhelpers.data.sampling.balanced_epoch_indices`: pass its
    ``is_copy`` as ``augment_mask`` to augment only the repeated copies of
    minority-class images, so no image is seen twice in the same form while
    the originals stay untouched. The images stay in memory once; the index
    stream decides the order, so it is already shuffled.

    Parameters
    ----------
    x : ndarray of shape (n, h, w[, c])
    y : ndarray of shape (n,), int
    indices : ndarray of shape (m,), int
        Positions to draw, in order (e.g. several epochs concatenated).
    batch_size : int, default=128
    augment : callable, optional
        As in :func:`make_dataset` (an images -> images layer or function).
    augment_mask : ndarray of shape (m,), bool, optional
        Which draws to augment; default all of them when ``augment`` is set.
    num_classes : int, optional
        One-hot encode the labels.
    autotune : bool, default=False
        As in :func:`make_dataset`.

    Returns
    -------
    tf.data.Dataset
        Finite: ``ceil(m / batch_size)`` batches of ``(images, labels)``.
    """
    import tensorflow as tf

    _check_arrays(x, y, batch_size)
    if num_classes is None:
        _check_class_indices(y)
    indices = _check_indices(indices, len(x))
    mask = np.ones(len(indices), bool) if augment_mask is None else np.asarray(augment_mask, bool)
    if mask.shape != indices.shape:
        raise ValueError(f"augment_mask must have shape {indices.shape}, got {mask.shape}")
    images = tf.constant(to_float_images(x))
    labels = tf.constant(one_hot(y, num_classes) if num_classes is not None else np.asarray(y))
    augmenter = _batch_augmenter(augment) if augment is not None else None

    def gather(batch_indices, batch_mask):
        batch_images = tf.gather(images, batch_indices)
        batch_labels = tf.gather(labels, batch_indices)
        if augmenter is not None:
            augmented, _ = augmenter(batch_images, batch_labels)
            keep = tf.reshape(batch_mask, (-1, 1, 1, 1))
            batch_images = tf.where(keep, tf.cast(augmented, batch_images.dtype), batch_images)
        return batch_images, batch_labels

    dataset = tf.data.Dataset.from_tensor_slices((indices, mask)).batch(batch_size)
    return _tagged(
        _finish(dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE), autotune), pipeline="indexed_dataset",
        x=np.asarray(x), y=np.asarray(y), indices=indices, augment_mask=mask, batch_size=batch_size,
        augment=augment, num_classes=num_classes,
    )
