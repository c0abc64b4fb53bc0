"""Looking at an augmentation: before-and-after galleries, and its throughput.

:func:`augment_batch` draws a layer several times; :func:`gallery`,
:func:`technique_gallery` and :func:`parameter_gallery` show the draws
(notebook 02); :func:`images_per_second` times a ``tf.data`` pipeline.
"""

from __future__ import annotations

import time

import keras
import numpy as np

from cvhelpers.validation import check_positive_int, check_unit_images


def augment_batch(layer, images, draws: int = 4):
    """Apply ``layer`` (training mode) to ``images`` ``draws`` times.

    Parameters
    ----------
    layer : keras layer or callable
    images : ndarray of shape (n, h, w) or (n, h, w, c), uint8 or float in [0, 1]
    draws : int, default=4

    Returns
    -------
    ndarray of shape (draws, n, h, w, c), float32 in the layer's output range
    """
    draws = check_positive_int(draws, "draws")
    _check_layer(layer, "layer")
    batch = _float_images(images)
    kwargs = {"training": True} if isinstance(layer, keras.layers.Layer) else {}
    return np.stack([keras.ops.convert_to_numpy(layer(batch, **kwargs)) for _ in range(draws)])


def _check_layer(layer, name):
    if not callable(layer):
        raise TypeError(f"{name} must be a Keras layer or a callable, got {type(layer).__name__}")


def _float_images(images, name="images"):
    """A batch as float32 in [0, 1] with a channel axis; 0-255 floats, NaN and empty refused."""
    from cvhelpers.data.pipeline import to_float_images

    array = np.asarray(images)
    if np.issubdtype(array.dtype, np.floating):
        check_unit_images(array, name)
    return check_unit_images(to_float_images(array), name)


def gallery(layer, images, draws: int = 4, title: str | None = None, size: float = 1.2):
    """Before and after: one row per image, the original then ``draws`` draws.

    Parameters
    ----------
    layer : keras layer or callable
    images : ndarray of shape (n, h, w[, c]), uint8 or float in [0, 1]
    draws : int, default=4
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    originals = _float_images(images)
    outputs = augment_batch(layer, originals, draws)
    rows = len(originals)
    figure, axes = plt.subplots(rows, draws + 1, figsize=((draws + 1) * size, rows * size), squeeze=False)
    for row in range(rows):
        for column in range(draws + 1):
            image = originals[row] if column == 0 else outputs[column - 1, row]
            _show(axes[row, column], image)
            if row == 0:
                axes[row, column].set_title("original" if column == 0 else f"draw {column}", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def technique_gallery(techniques: dict, image, draws: int = 4, size: float = 1.1, title: str | None = None):
    """One row per technique: the original image, then ``draws`` draws.

    Parameters
    ----------
    techniques : dict of str to keras layer or callable
        Row label -> augmentation (called with ``training=True`` if a layer).
    image : ndarray of shape (h, w) or (h, w, c), uint8 or float in [0, 1]
    draws : int, default=4
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not isinstance(techniques, dict):
        raise TypeError(f"techniques must be a dict of row label to augmentation, got {type(techniques).__name__}")
    if not techniques:
        raise ValueError("techniques is empty")
    for name, layer in techniques.items():
        _check_layer(layer, f"techniques[{name!r}]")
    draws = check_positive_int(draws, "draws")
    image = np.asarray(image)
    single = image.ndim == 2 or (image.shape[-1] in (1, 3, 4) and image.ndim == 3)
    batch = _float_images(image[None] if single else image, "image")
    batch = np.repeat(batch[:1], draws, axis=0)
    figure, axes = plt.subplots(
        len(techniques), draws + 1, figsize=((draws + 1) * size, len(techniques) * size), squeeze=False
    )
    for row, (name, layer) in enumerate(techniques.items()):
        kwargs = {"training": True} if isinstance(layer, keras.layers.Layer) else {}
        out = keras.ops.convert_to_numpy(layer(batch, **kwargs))
        _show(axes[row, 0], batch[0])
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        for column in range(draws):
            _show(axes[row, column + 1], out[column])
    axes[0, 0].set_title("original", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def parameter_gallery(make_layer, values, images, label: str = "", draws: int = 4, size: float = 1.2, seed: int = 0):
    """A parameter table: one row per value of a layer's parameter.

    Parameters
    ----------
    make_layer : callable
        ``make_layer(value, seed) -> layer``.
    values : sequence
        Parameter values, one row each (e.g. rotation 15°, 30°, 45°).
    images : ndarray of shape (h, w[, c]) or (1, h, w[, c])
        One image, repeated ``draws`` times per row.
    label : str
        Row label prefix, e.g. ``"rotation"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    _check_layer(make_layer, "make_layer")
    values = list(values)
    if not values:
        raise ValueError("values is empty")
    draws = check_positive_int(draws, "draws")
    image = np.asarray(images)
    if image.ndim in (2, 3) and not (image.ndim == 3 and image.shape[0] == 1 and image.shape[-1] not in (1, 3, 4)):
        image = image[None]
    image = _float_images(image)[:1]
    repeated = np.repeat(image, draws, axis=0)
    figure, axes = plt.subplots(len(values), draws + 1, figsize=((draws + 1) * size, len(values) * size), squeeze=False)
    for row, value in enumerate(values):
        layer = make_layer(value, seed + row)
        kwargs = {"training": True} if isinstance(layer, keras.layers.Layer) else {}
        out = keras.ops.convert_to_numpy(layer(repeated, **kwargs))
        _show(axes[row, 0], image[0])
        axes[row, 0].set_ylabel(f"{label} {value}", fontsize=8)
        axes[row, 0].set_title("original" if row == 0 else "", fontsize=8)
        for column in range(draws):
            _show(axes[row, column + 1], out[column])
    figure.tight_layout()
    return figure


def _show(ax, image):
    image = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image[..., :3])
    ax.set_xticks([])
    ax.set_yticks([])


def images_per_second(dataset, batches: int | None = None, warmup: int = 2) -> float:
    """Images per second that iterating ``dataset`` delivers.

    Parameters
    ----------
    dataset : tf.data.Dataset
        Yields ``images`` or ``(images, labels)`` batches.
    batches : int, optional
        Batches to time (after ``warmup``); default all.
    warmup : int, default=2
        Batches consumed before the clock starts (tracing, caches).

    Returns
    -------
    float
    """
    if batches is not None:
        batches = check_positive_int(batches, "batches")
    warmup = check_positive_int(warmup, "warmup", smallest=0)
    iterator = iter(dataset)
    for done in range(warmup):
        if next(iterator, None) is None:
            raise ValueError(f"dataset yielded {done} batches, fewer than warmup={warmup}")
    count = 0
    started = time.perf_counter()
    for index, element in enumerate(iterator):
        images = element[0] if isinstance(element, tuple) else element
        count += int(images.shape[0])
        if batches is not None and index + 1 >= batches:
            break
    elapsed = time.perf_counter() - started
    if count == 0:
        raise ValueError("dataset yielded no batches after the warmup")
    return count / elapsed
