"""Seeded batch samplers: P×K batches for the triplet losses, same/different pairs for the contrastive loss.

:class:`PKBatches` (P classes × K images) and :class:`PairBatches` (balanced
pairs from :func:`make_pairs`) are ``keras.utils.PyDataset`` s whose batch
``i`` of epoch ``e`` depends only on ``(seed, e, i)``. :func:`make_pairs` also
draws the verification pairs.
"""

from __future__ import annotations

import keras
import numpy as np

from cvhelpers.data.pipeline import to_float_images
from cvhelpers.methods.siamese._labels import _class_index
from cvhelpers.validation import check_labels, check_number, check_positive_int, check_same_length, check_seed

__all__ = ["PKBatches", "PairBatches", "make_pairs"]


def _pk_indices(members, p, k, rng):
    """One P×K batch of indices: P distinct classes, K distinct images each."""
    eligible = [m for m in members if len(m) >= k]
    chosen = rng.choice(len(eligible), p, replace=False)
    return np.concatenate([rng.choice(eligible[c], k, replace=False) for c in chosen])


class _SeededBatches:
    """Mixin: reproducible per-batch generators."""

    def _rng(self, index):
        return np.random.default_rng([self.seed, self.epoch, index])

    def on_epoch_end(self):
        self.epoch += 1


class PKBatches(_SeededBatches, keras.utils.PyDataset):
    """P×K batches for triplet losses: P classes, K images of each.

    Every anchor then has K - 1 positives and (P - 1)·K negatives in its
    batch, which batch-hard and semi-hard mining need. A random batch of
    many classes would hold almost no positive pair.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, 1)
        uint8 (scaled to [0, 1]) or float.
    y : ndarray of shape (n,), int
        Class indices (>= 0).
    p, k : int
        Classes per batch and images per class (batch size P·K), both >= 2.
    steps : int
        Batches per epoch.
    seed : int, default=0
        Batch ``i`` of epoch ``e`` depends only on ``(seed, e, i)``.

    Yields
    ------
    (x_batch, y_batch) : (P·K, h, w, 1) float32 and (P·K,) int32
    """

    def __init__(self, x, y, p: int = 16, k: int = 4, steps: int = 100, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        k = check_positive_int(k, "k", smallest=2)
        p = check_positive_int(p, "p", smallest=2)
        steps = check_positive_int(steps, "steps")
        seed = check_seed(seed)
        self.x = to_float_images(x)
        check_same_length(self.x, "x", np.asarray(y), "y")
        self.y = check_labels(y, "y")
        self.classes, self.members = _class_index(self.y)
        n_eligible = sum(len(m) >= k for m in self.members)
        if p > n_eligible:
            raise ValueError(f"p must be in [2, {n_eligible}] (classes with >= k={k} images), got {p}")
        self.p, self.k, self.steps, self.seed, self.epoch = p, k, steps, seed, 0

    def __len__(self):
        return self.steps

    def indices(self, index: int) -> np.ndarray:
        """The image indices of batch ``index``, shape (P·K,), grouped by class."""
        return _pk_indices(self.members, self.p, self.k, self._rng(index))

    def __getitem__(self, index):
        picks = self.indices(index)
        return self.x[picks], self.y[picks].astype(np.int32)


def _check_seeds(seed):
    """A seed for ``numpy.random.default_rng``: an int >= 0 or a sequence of them."""
    for value in seed if isinstance(seed, (list, tuple)) else [seed]:
        check_seed(value)


def make_pairs(y, n_pairs: int, positive_fraction: float = 0.5, seed: int = 0) -> tuple:
    """Random same/different pairs of distinct images.

    Parameters
    ----------
    y : ndarray of shape (n,)
        Labels (ints or strings), at least two classes.
    n_pairs : int
    positive_fraction : float, default=0.5
        Share of "same" pairs, in [0, 1].
    seed : int or sequence of int, default=0
        Each >= 0, as ``numpy.random.default_rng`` takes it.

    Returns
    -------
    first, second : ndarray of shape (n_pairs,), int
        Image indices, never equal within a pair.
    same : ndarray of shape (n_pairs,), int
        1 where both images have the same label.
    """
    positive_fraction = check_number(positive_fraction, "positive_fraction", low=0.0, high=1.0)
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    _check_seeds(seed)
    classes, members = _class_index(y)
    if len(classes) < 2:
        raise ValueError("y must hold at least two classes")
    return _pairs_of(members, n_pairs, positive_fraction, seed)


def _pairs_of(members, n_pairs, positive_fraction, seed):
    """:func:`make_pairs` on a class index (arrays of image indices per class), already checked."""
    rng = np.random.default_rng(seed)
    n_same = int(round(n_pairs * positive_fraction))
    multi = [m for m in members if len(m) >= 2]
    if n_same and not multi:
        raise ValueError("no class has two images, so there is no same pair")
    first, second = [], []
    for _ in range(n_same):
        a, b = rng.choice(multi[rng.integers(len(multi))], 2, replace=False)
        first.append(a)
        second.append(b)
    for _ in range(n_pairs - n_same):
        c1, c2 = rng.choice(len(members), 2, replace=False)
        first.append(rng.choice(members[c1]))
        second.append(rng.choice(members[c2]))
    same = np.r_[np.ones(n_same, int), np.zeros(n_pairs - n_same, int)]
    order = rng.permutation(n_pairs)
    return np.array(first)[order], np.array(second)[order], same[order]


class PairBatches(_SeededBatches, keras.utils.PyDataset):
    """Balanced same/different pairs for a Siamese network with contrastive loss.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, 1)
    y : ndarray of shape (n,), int
    batch_size : int, default=64
    steps : int, default=100
    seed : int, default=0

    Yields
    ------
    ((x1, x2), same) : two (batch, h, w, 1) float32 and (batch,) float32
    """

    def __init__(self, x, y, batch_size: int = 64, steps: int = 100, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        batch_size = check_positive_int(batch_size, "batch_size", smallest=2)
        steps = check_positive_int(steps, "steps")
        seed = check_seed(seed)
        self.x = to_float_images(x)
        self.y = np.asarray(y)
        check_same_length(self.x, "x", self.y, "y")
        classes, self.members = _class_index(self.y)  # once: indexing 100,000 labels costs as much as a step
        if len(classes) < 2:
            raise ValueError("y must hold at least two classes")
        self.batch_size, self.steps, self.seed, self.epoch = batch_size, steps, seed, 0

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        first, second, same = _pairs_of(self.members, self.batch_size, 0.5, [self.seed, self.epoch, index])
        return (self.x[first], self.x[second]), same.astype(np.float32)
