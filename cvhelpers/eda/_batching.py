"""Input handling shared by every statistic in :mod:`cvhelpers.eda`.

Every statistic accepts either one array of shape ``(n, h, w)`` or
``(n, h, w, c)`` (a batch, e.g. Fashion-MNIST), or a list of arrays of shape
``(h, w)`` or ``(h, w, c)`` with varied sizes (e.g.
:attr:`cvhelpers.data.ImageFolder.images` without ``size``). ``c`` is 1
(gray), 3 (RGB) or 4 (RGBA); pixels are ``uint8`` in [0, 255] or floats in
[0, 1]. The private helpers here check such input (:func:`_check_array`,
:func:`_check_labels`), cut it into batches of equal shape
(:func:`_batches`; a list is grouped by image shape) and apply a per-batch
function in input order (:func:`_map`), with BLAS held to one thread. They
also convert a batch to float in [0, 1], compositing RGBA over a white
background before any statistic is taken, as
:func:`cvhelpers.data.load_image_folder` does for ``mode="RGB"``
(:func:`_to_float`), and take its Rec. 601 luminance (:func:`_luminance`,
:data:`LUMA_WEIGHTS`), so the work is vectorised with NumPy over whole
batches and no statistic loops over pixels in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from cvhelpers.validation import check_labels, check_unit_images

__all__ = [
    "LUMA_WEIGHTS",
]


#: Rec. 601 luma weights, as Pillow's ``convert("L")`` and OpenCV use.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


_CHUNK = 2048


def _check_array(image, name: str, batched: bool) -> np.ndarray:
    array = np.asarray(image)
    if array.dtype != np.uint8 and not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} must hold uint8 (0-255) or float (0-1) pixels, got dtype {array.dtype}")
    ndim = array.ndim - (1 if batched else 0)
    if ndim == 2:
        array = array[..., None]
    elif ndim != 3:
        shape = "(n, h, w) or (n, h, w, c)" if batched else "(h, w) or (h, w, c)"
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if array.shape[-1] not in (1, 3, 4):
        raise ValueError(f"{name} must have 1, 3 or 4 channels, got {array.shape[-1]}")
    if min(array.shape[-3:-1], default=1) < 1:
        raise ValueError(f"{name} has an empty image: shape {array.shape}")
    if array.dtype != np.uint8 and array.size:
        check_unit_images(array, name, refuse_negative=True)
    return array


def _num_images(images) -> int:
    return len(images)


def _batches(images, name: str = "images", chunk: int = _CHUNK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(indices, batch)`` with batch of shape (k, h, w, c), equal shapes.

    An ndarray is cut into chunks; a list is grouped by image shape first.
    """
    if isinstance(images, np.ndarray):
        batch = _check_array(images, name, batched=True)
        for start in range(0, len(batch), chunk):
            stop = min(start + chunk, len(batch))
            yield np.arange(start, stop), batch[start:stop]
        return
    if not isinstance(images, (list, tuple)):
        raise TypeError(f"{name} must be an ndarray (n, h, w[, c]) or a list of arrays, got {type(images).__name__}")
    arrays = [_check_array(image, f"{name}[{index}]", batched=False) for index, image in enumerate(images)]
    groups: dict = {}
    for index, array in enumerate(arrays):
        groups.setdefault((array.shape, array.dtype.str), []).append(index)
    for members in groups.values():
        for start in range(0, len(members), chunk):
            picked = np.asarray(members[start : start + chunk])
            yield picked, np.stack([arrays[i] for i in picked])


def _single_threaded_blas():
    """A context in which BLAS uses one thread.

    The matrix products here are small (one batch of images at a time);
    a multi-threaded OpenBLAS spends more time waking its threads than
    computing, up to 100 times more on a busy 2-core machine.
    threadpoolctl comes with scikit-learn; without it nothing changes.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _map(images, function: Callable, name: str = "images", dtype=np.float64) -> np.ndarray:
    """Apply ``function(batch) -> (k, ...)`` over all batches, in input order."""
    out = None
    total = _num_images(images)
    if total == 0:
        raise ValueError(f"{name} is empty")
    with _single_threaded_blas():
        for indices, batch in _batches(images, name):
            values = np.asarray(function(batch))
            if out is None:
                out = np.empty((total,) + values.shape[1:], dtype=dtype)
            out[indices] = values
    return out


def _to_float(batch: np.ndarray, background=(1.0, 1.0, 1.0)) -> np.ndarray:
    """uint8 or float batch -> float32 in [0, 1]; RGBA composited over ``background``.

    Not :func:`cvhelpers.data.pipeline.to_float_images`: that one divides by 255
    and leaves floats as they are; this one multiplies by float32(1/255)
    (126 of the 256 uint8 values then differ by one float32 ulp, so sharing
    one rule would change the EDA statistics in their last bits) and clips
    floats to [0, 1].
    """
    if batch.dtype == np.uint8:
        values = batch.astype(np.float32) * np.float32(1 / 255)
    else:
        values = np.clip(batch.astype(np.float32, copy=False), 0.0, 1.0)
    if values.shape[-1] == 4:
        alpha = values[..., 3:4]
        values = values[..., :3] * alpha + np.asarray(background, np.float32) * (1.0 - alpha)
    return values


def _luminance(values: np.ndarray) -> np.ndarray:
    """float (k, h, w, 1|3) -> float32 (k, h, w)."""
    if values.shape[-1] == 1:
        return values[..., 0]
    return values @ np.asarray(LUMA_WEIGHTS, np.float32)


def _pad(values: np.ndarray) -> np.ndarray:
    """Pad (k, h, w) by one pixel: mirror without repeating the edge (OpenCV's default)."""
    mode = "reflect" if min(values.shape[1:]) > 1 else "edge"
    return np.pad(values, ((0, 0), (1, 1), (1, 1)), mode=mode)


def _rgb(values):
    return np.repeat(values, 3, axis=-1) if values.shape[-1] == 1 else values


def _check_labels(labels, n: int, name: str = "labels", num_classes: int | None = None,
                  length_of: str = "the images", allow_empty: bool = False) -> np.ndarray:
    """``labels`` as n int64 class indices (:func:`cvhelpers.validation.check_labels`).

    With ``allow_empty``, no labels for no items (n = 0) is an empty int64 array.
    """
    if allow_empty and n == 0 and np.shape(labels) == (0,):
        return np.zeros(0, np.int64)
    return check_labels(labels, name, num_classes=num_classes, length=n, length_of=length_of)


def _check_class_names(class_names, labels: np.ndarray, name: str = "class_names") -> list:
    """``class_names`` as a list with a name for every label in ``labels``."""
    if isinstance(class_names, str):
        raise TypeError(f"{name} must be a sequence of names, not one string")
    names = list(class_names)
    if len(labels) and labels.max() >= len(names):
        raise ValueError(f"{name} has {len(names)} names but the labels go up to {labels.max()}")
    return names
