"""Resizing images: to one common size by area averaging, or down to a largest side.

:func:`resize_batch` area-resizes a batch (or a list of varied sizes) to one
size with two small matrix products per batch, so a batch of equal-sized
images is resized in one NumPy call; it is used for class means and
perceptual hashes here and by :mod:`cvhelpers.methods.siamese`. :func:`limit_size`
shrinks large photos with OpenCV before any statistic is taken, keeping the
aspect ratio.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.eda._batching import _batches, _check_array, _map, _rgb, _to_float
from cvhelpers.validation import check_positive_int

__all__ = [
    "resize_batch",
    "limit_size",
]


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights of an area (box) resize along one axis."""
    edges_out = np.arange(n_out + 1) * (n_in / n_out)
    lo = np.maximum(edges_out[:-1, None], np.arange(n_in)[None, :])
    hi = np.minimum(edges_out[1:, None], np.arange(n_in)[None, :] + 1)
    weights = np.clip(hi - lo, 0, None)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def _resize_float(values: np.ndarray, size) -> np.ndarray:
    """Area-resize a float batch (k, h, w, c) to (k, size[0], size[1], c)."""
    if values.shape[1:3] == tuple(size):
        return values
    k, h, w, c = values.shape
    rows = _area_matrix(h, size[0])
    cols = _area_matrix(w, size[1])
    # Two plain 2-D matrix products (BLAS) over all planes of the batch.
    planes = np.ascontiguousarray(np.moveaxis(values, -1, 1), dtype=np.float32)  # (k, c, h, w)
    narrow = (planes.reshape(-1, w) @ cols.T).reshape(k * c, h, size[1])
    small = np.ascontiguousarray(narrow.transpose(0, 2, 1)).reshape(-1, h) @ rows.T  # (k c W, H)
    return np.ascontiguousarray(small.reshape(k, c, size[1], size[0]).transpose(0, 3, 2, 1))


def _check_size(size, name: str = "size") -> tuple[int, int]:
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(f"{name} must be (height, width) with positive ints, got {size!r}")
    return check_positive_int(size[0], name), check_positive_int(size[1], name)


def resize_batch(images, size=(32, 32)) -> np.ndarray:
    """Resize every image to ``size`` by area averaging, as one float array.

    The resize is two small matrix products per batch (a box filter that
    averages the source pixels each target pixel covers), so a batch of
    equal-sized images is resized in one NumPy call.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    size : (height, width), default=(32, 32)

    Returns
    -------
    ndarray of shape (n, height, width, c), float32
        In [0, 1]; ``c`` is 1 when every image is gray, else 3 (RGBA is
        composited over white).
    """
    size = _check_size(size)
    channels = 1 if all(batch.shape[-1] == 1 for _, batch in _batches(images)) else 3
    return _map(
        images,
        lambda b: _resize_float(_to_float(b) if channels == 1 else _rgb(_to_float(b)), size),
        dtype=np.float32,
    )


def limit_size(images, max_side: int = 512) -> list:
    """Shrink images whose longer side exceeds ``max_side``, keeping the aspect ratio.

    Large photos make every statistic slow and memory-hungry; statistics
    such as edge density then describe the images at a comparable scale.
    Uses ``cv2.resize`` with area interpolation, one call per large image.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c]), uint8
    max_side : int, default=512

    Returns
    -------
    list of ndarray (h', w'[, c]), same dtype
        Images already small enough are returned as they are (not copied).
    """
    import cv2

    max_side = check_positive_int(max_side, "max_side")
    out = []
    for index, image in enumerate(images):
        array = _check_array(image, f"images[{index}]", batched=False)
        height, width, channels = array.shape
        if max(height, width) <= max_side:
            out.append(image)
            continue
        scale = max_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(array if channels > 1 else array[..., 0], size, interpolation=cv2.INTER_AREA)
        if small.ndim == 2 and np.ndim(image) == 3:
            small = small[..., None]  # keep (h, w, 1) as it came
        out.append(small)
    return out
