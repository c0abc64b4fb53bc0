"""Within-class similarity: class mean images, perceptual hashes and near-duplicates.

Question 10 of notebook 01: :func:`class_mean_images` gives each class's
mean and standard-deviation image; :func:`perceptual_hash` a 64-bit DCT
hash (pHash) of each image, :func:`hamming_distance` the bits two hashes
differ in, and :func:`near_duplicates` an exhaustive search for pairs of
images within a few bits of each other (within one set, or between a
training and a test set: leakage). :func:`pixel_digests` finds exact copies.
"""

from __future__ import annotations

import hashlib

import numpy as np

from cvhelpers.eda._batching import _batches, _check_labels, _luminance, _map, _num_images, _to_float
from cvhelpers.eda.resize import _check_size, _resize_float, resize_batch
from cvhelpers.validation import check_positive_int

__all__ = [
    "class_mean_images",
    "perceptual_hash",
    "hamming_distance",
    "near_duplicates",
    "pixel_digests",
]


def class_mean_images(images, labels, size=(32, 32)):
    """Per-class mean and standard-deviation images (question 10).

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    labels : ndarray of shape (n,), int
    size : (height, width), default=(32, 32)
        Images are area-resized to this size first.

    Returns
    -------
    mean, std : ndarray of shape (C, height, width, c), float32
        In [0, 1]; a class without images gives NaN.
    """
    labels = _check_labels(labels, _num_images(images))
    small = resize_batch(images, size)
    num_classes = int(labels.max()) + 1
    mean = np.full((num_classes,) + small.shape[1:], np.nan, dtype=np.float32)
    std = np.full_like(mean, np.nan)
    order = np.argsort(labels, kind="stable")
    present, starts = np.unique(labels[order], return_index=True)
    for label, members in zip(present, np.split(order, starts[1:]), strict=True):
        chosen = small[members]
        mean[label] = chosen.mean(axis=0)
        std[label] = chosen.std(axis=0)
    return np.clip(mean, 0, 1, out=mean), std


def perceptual_hash(images, hash_size: int = 8) -> np.ndarray:
    """DCT perceptual hash (pHash) of each image, as 64-bit integers (question 10).

    The definition of ``imagehash.phash``: luminance resized to
    ``4 * hash_size`` squared (area averaging), 2-D DCT-II, the top-left
    ``hash_size`` x ``hash_size`` coefficients compared with their median.
    Values differ from imagehash in a few bits because the resize differs.

    Contract: copies that are resized, re-compressed, slightly blurred, or
    changed in brightness or contrast stay within a few bits (found by
    :func:`near_duplicates`); a copy rotated by 90 degrees or mirrored is a
    different hash and is NOT flagged, as the hash encodes where the low
    frequencies lie. Check for rotated copies by hashing ``np.rot90`` of the
    images too.

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    hash_size : int, default=8
        Only 8 (64 bits) is supported, so hashes fit one ``uint64``.

    Returns
    -------
    ndarray of shape (n,), uint64
    """
    from scipy.fft import dctn

    if check_positive_int(hash_size, "hash_size") != 8:
        raise ValueError(f"hash_size must be 8 (64-bit hashes), got {hash_size!r}")

    def hash_batch(batch):
        lum = _luminance(_to_float(batch))[..., None]
        small = _resize_float(lum, (4 * hash_size, 4 * hash_size))[..., 0]
        low = dctn(small.astype(np.float64), type=2, axes=(1, 2))[:, :hash_size, :hash_size]
        low = low.reshape(len(low), -1)
        bits = low > np.median(low, axis=1, keepdims=True)
        return np.packbits(bits, axis=1).view(">u8")[:, 0].astype(np.uint64)

    return _map(images, hash_batch, dtype=np.uint64)


def hamming_distance(a, b) -> np.ndarray:
    """Bits that differ between 64-bit hashes (broadcasting).

    Parameters
    ----------
    a, b : array-like of uint64
        Hashes from :func:`perceptual_hash` (non-negative ints).

    Returns
    -------
    ndarray of uint8
    """
    return np.bitwise_count(_as_hashes(a, "a") ^ _as_hashes(b, "b"))


def _as_hashes(values, name: str) -> np.ndarray:
    """Non-negative integers as uint64; floats, strings and negative numbers refused."""
    if not hasattr(values, "dtype"):  # Python ints: beyond int64, NumPy would make floats of them
        items = np.asarray(values, dtype=object).ravel()
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
            if any(v < 0 or v >= 2**64 for v in items):
                raise ValueError(f"{name} must hold 64-bit hashes, ints from 0 to 2**64 - 1")
            return np.asarray(values, dtype=np.uint64)
    array = np.asarray(values)
    if not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"{name} must hold 64-bit hashes (unsigned ints) from perceptual_hash, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.signedinteger) and array.size and array.min() < 0:
        raise ValueError(f"{name} must hold non-negative hashes, got {array.min()}")
    return array.astype(np.uint64, copy=False)


def near_duplicates(hashes, threshold: int = 4, other=None, labels=None, other_labels=None, tile=(256, 4096)):
    """Pairs of images whose perceptual hashes differ in at most ``threshold`` bits.

    An exhaustive all-pairs search with XOR and ``np.bitwise_count``, in
    tiles small enough to stay in the CPU cache (about 2.5 billion pairs for
    70,000 images: seconds, not minutes). Exhaustive, so no pair is missed,
    unlike bucketed (LSH) searches.

    Parameters
    ----------
    hashes : ndarray of shape (n,), uint64
        From :func:`perceptual_hash`.
    threshold : int, default=4
        Largest Hamming distance (of 64 bits) counted as a near-duplicate.
    other : ndarray of shape (m,), uint64, optional
        A second set (e.g. the test set): then only pairs between the two
        sets are returned (leakage). Without it, pairs within ``hashes``.
    labels, other_labels : ndarray of int, optional
        Class of each image; adds ``label_i``, ``label_j`` and ``same_class``
        (within one set ``labels`` serves both sides).
    tile : (int, int), default=(256, 4096)
        Rows and columns compared at once.

    Returns
    -------
    pandas.DataFrame
        Columns ``i, j, distance`` (and the label columns), sorted by
        distance. ``i`` indexes ``hashes``; ``j`` indexes ``other`` if given,
        else ``hashes`` with ``i < j``.
    """
    import pandas as pd

    hashes = _check_hashes(hashes, "hashes")
    if check_positive_int(threshold, "threshold", smallest=0) > 64:
        raise ValueError(f"threshold must be an int from 0 to 64, got {threshold!r}")
    rows_per_tile, cols_per_tile = _check_size(tile, "tile")
    cross = other is not None
    targets = _check_hashes(other, "other") if cross else hashes
    xor = np.empty((rows_per_tile, cols_per_tile), np.uint64)
    bits = np.empty(xor.shape, np.uint8)
    close = np.empty(xor.shape, bool)
    found_i, found_j, found_d = [], [], []
    for r0 in range(0, len(hashes), rows_per_tile):
        r1 = min(r0 + rows_per_tile, len(hashes))
        for c0 in range(0 if cross else r0, len(targets), cols_per_tile):
            c1 = min(c0 + cols_per_tile, len(targets))
            k, m = r1 - r0, c1 - c0
            np.bitwise_xor(hashes[r0:r1, None], targets[None, c0:c1], out=xor[:k, :m])
            np.bitwise_count(xor[:k, :m], out=bits[:k, :m])
            if not np.less_equal(bits[:k, :m], threshold, out=close[:k, :m]).any():
                continue
            rows, cols = np.nonzero(close[:k, :m])
            if not cross:
                keep = cols + c0 > rows + r0  # strictly upper triangle
                rows, cols = rows[keep], cols[keep]
            found_i.append(rows + r0)
            found_j.append(cols + c0)
            found_d.append(bits[rows, cols])
    frame = pd.DataFrame(
        {
            "i": np.concatenate(found_i).astype(np.int64) if found_i else np.empty(0, np.int64),
            "j": np.concatenate(found_j).astype(np.int64) if found_j else np.empty(0, np.int64),
            "distance": np.concatenate(found_d).astype(np.int64) if found_d else np.empty(0, np.int64),
        }
    )
    if labels is not None:
        labels = _check_labels(labels, len(hashes), length_of="hashes", allow_empty=True)
        frame["label_i"] = labels[frame["i"].to_numpy()]
        second = labels if not cross else None
        if cross and other_labels is not None:
            second = _check_labels(other_labels, len(targets), "other_labels", length_of="hashes in other",
                                   allow_empty=True)
        if second is not None:
            frame["label_j"] = second[frame["j"].to_numpy()]
            frame["same_class"] = frame["label_i"] == frame["label_j"]
    return frame.sort_values(["distance", "i", "j"], kind="stable").reset_index(drop=True)


def _check_hashes(hashes, name):
    hashes = np.asarray(hashes)
    if hashes.ndim != 1 or hashes.dtype != np.uint64:
        raise TypeError(f"{name} must be a 1-D uint64 array from perceptual_hash, got {hashes.dtype} {hashes.shape}")
    return hashes


def pixel_digests(images) -> np.ndarray:
    """A BLAKE2b digest of each image's pixels: equal digests mean identical images.

    Returns
    -------
    ndarray of shape (n,), object (str, 32 hex characters)
    """
    out = np.empty(_num_images(images), dtype=object)
    for indices, batch in _batches(images):
        for index, image in zip(indices, batch, strict=True):
            out[index] = hashlib.blake2b(
                np.ascontiguousarray(image).tobytes() + str(image.shape).encode(), digest_size=16
            ).hexdigest()
    return out
