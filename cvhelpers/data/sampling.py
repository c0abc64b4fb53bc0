"""Over- and undersampling, and class weights.

* :func:`effective_number` — Cui et al.'s (2019) effective number of
  samples, (1 - β^n) / (1 - β), computed stably for β close to 1 (also
  :func:`cvhelpers.eda.effective_number`, used by notebook 01).
* :func:`class_weights` — inverse frequency, scikit-learn's "balanced", and
  the inverse of the effective number of samples.
* :func:`check_class_weight` — a class_weight dict must name every class.
* :func:`random_undersample` — imbalanced-learn's ``RandomUnderSampler`` to a
  target count per class.
* :func:`balanced_epoch_indices` — class-balanced epochs as index arrays that
  also flag which draws are *copies* of an image already used in the epoch,
  so augmentation can be applied to the copies only.
* Balanced batches straight from tf.data: :func:`cvhelpers.data.pipeline.balanced_dataset`.

Used in notebooks 03-05.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.validation import (
    check_finite_array,
    check_labels,
    check_number,
    check_positive_int,
    check_same_length,
    check_seed,
)

__all__ = [
    "class_counts",
    "effective_number",
    "class_weights",
    "check_class_weight",
    "random_undersample",
    "balanced_epoch_indices",
]

_WEIGHT_METHODS = ("inverse", "balanced", "effective")


def class_counts(y, num_classes: int | None = None) -> np.ndarray:
    """Images per class.

    Parameters
    ----------
    y : array-like of shape (n,)
        Class indices (whole numbers >= 0).
    num_classes : int, optional
        C; default ``max(y) + 1``. With ``num_classes`` an empty ``y`` counts
        zero images in every class; without it an empty ``y`` is refused,
        since the number of classes is unknown.

    Returns
    -------
    ndarray of shape (C,), int64

    Raises
    ------
    ValueError
        Naming ``y`` (empty, not 1-D, not whole numbers, negative, or
        ``>= num_classes``) or ``num_classes`` (not a positive int).
    """
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "num_classes")
        if np.ndim(y) == 1 and np.size(y) == 0:
            return np.zeros(num_classes, dtype=np.int64)
    labels = check_labels(y, "y", num_classes=num_classes)
    return np.bincount(labels, minlength=num_classes or 0).astype(np.int64)


def effective_number(counts, beta: float = 0.999) -> np.ndarray:
    """Effective number of samples, (1 - beta^n) / (1 - beta) (Cui et al. 2019).

    With beta = 0 every class counts as one sample; as beta approaches 1
    the effective number approaches n. Cui et al. use
    beta in {0.9, 0.99, 0.999, 0.9999}.

    Parameters
    ----------
    counts : array-like of shape (C,), int >= 0
    beta : float in [0, 1), default=0.999

    Returns
    -------
    ndarray of shape (C,), float64

    Examples
    --------
    >>> effective_number([1, 10], beta=0.9).round(3)
    array([1.   , 6.513])
    """
    counts = check_finite_array(counts, "counts", ndim=1, nonnegative=True)
    _check_beta(beta)
    if beta == 0:
        return np.minimum(counts, 1.0)
    # expm1/log keep precision when beta is close to 1 (1 - beta^n is tiny).
    return -np.expm1(counts * np.log(beta)) / (1.0 - beta)


def _check_beta(beta) -> float:
    """``beta`` as a float in [0, 1)."""
    beta = check_number(beta, "beta", low=0)
    if beta >= 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    return beta


def class_weights(y, method: str = "inverse", beta: float = 0.999, num_classes: int | None = None) -> dict:
    """Per-class loss weights for ``model.fit(class_weight=...)``.

    * ``"inverse"``: w_c ∝ 1 / n_c.
    * ``"balanced"``: scikit-learn's ``compute_class_weight("balanced")``,
      w_c = n / (C · n_c).
    * ``"effective"`` (Cui et al. 2019): w_c ∝ (1 - β) / (1 - β^{n_c}), the
      inverse of the effective number of samples (:func:`effective_number`).

    "inverse" and "effective" are scaled so the weights sum to C, as in Cui
    et al.; "balanced" is left exactly as scikit-learn computes it.

    Parameters
    ----------
    y : ndarray of shape (n,), int
        Training labels.
    method : {"inverse", "balanced", "effective"}
    beta : float in [0, 1), default=0.999
        Only for "effective". β = 0 gives equal weights; β → 1 approaches
        inverse frequency.
    num_classes : int, optional

    Returns
    -------
    dict of int to float
    """
    if not isinstance(method, str) or method not in _WEIGHT_METHODS:
        raise ValueError(f"method must be one of {_WEIGHT_METHODS}, got {method!r}")
    counts = class_counts(y, num_classes)
    if np.any(counts == 0):
        raise ValueError(f"every class needs at least one image; empty classes: {np.flatnonzero(counts == 0).tolist()}")
    if method == "balanced":
        from sklearn.utils.class_weight import compute_class_weight

        labels = np.arange(len(counts))
        weights = compute_class_weight("balanced", classes=labels, y=check_labels(y, "y"))
    else:
        if method == "inverse":
            raw = 1.0 / counts
        else:
            raw = 1.0 / effective_number(counts, beta)
        weights = raw / raw.sum() * len(counts)
    return {int(label): float(weight) for label, weight in enumerate(weights)}


def check_class_weight(class_weight: dict, num_classes: int) -> dict:
    """Return ``class_weight`` if it has one non-negative weight for each class 0..C-1.

    Raises
    ------
    ValueError
        Naming the missing and the extra classes, or negative weights.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{label: weight}}, got {type(class_weight).__name__}")
    num_classes = check_positive_int(num_classes, "num_classes")
    bad_keys = [k for k in class_weight if isinstance(k, bool) or not isinstance(k, (int, np.integer))]
    if bad_keys:
        raise TypeError(f"class_weight keys must be int class indices, got {bad_keys[:3]}")
    keys = {int(k) for k in class_weight}
    expected = set(range(num_classes))
    if keys != expected:
        raise ValueError(
            f"class_weight must have one entry per class 0..{num_classes - 1}; "
            f"missing {sorted(expected - keys)}, extra {sorted(keys - expected)}"
        )
    for label, weight in class_weight.items():
        check_number(weight, f"class_weight[{label!r}]", low=0)
    return class_weight


def random_undersample(x, y, target: int | str = "min", seed: int = 0):
    """Randomly drop images of large classes down to ``target`` per class.

    Uses imbalanced-learn's ``RandomUnderSampler``; classes already at or
    below the target keep all their images.

    Parameters
    ----------
    x : ndarray of shape (n, ...)
    y : ndarray of shape (n,), int
    target : int, "min" or "median", default="min"
        Images to keep per class: the smallest class's size, the median class
        size, or a number.
    seed : int, default=0

    Returns
    -------
    x_kept : ndarray of shape (m, ...)
    y_kept : ndarray of shape (m,)
    indices : ndarray of shape (m,), int64
        Positions in the input, ascending.
    """
    from imblearn.under_sampling import RandomUnderSampler

    x, y = np.asarray(x), np.asarray(y)
    counts = class_counts(y)
    if x.ndim == 0:
        raise ValueError(f"x must be an array of shape (n, ...), got {x!r}")
    check_same_length(x, "x", y, "y")
    seed = check_seed(seed)
    present = np.flatnonzero(counts)
    if isinstance(target, str):
        if target not in ("min", "median"):
            raise ValueError(f"target must be 'min', 'median' or an int, got {target!r}")
        target = int(counts[present].min() if target == "min" else np.median(counts[present]))
    target = check_positive_int(target, "target")
    strategy = {int(c): int(min(counts[c], target)) for c in present}
    sampler = RandomUnderSampler(sampling_strategy=strategy, random_state=seed)
    positions = np.arange(len(y)).reshape(-1, 1)
    sampler.fit_resample(positions, y)
    indices = np.sort(sampler.sample_indices_).astype(np.int64)
    return np.asarray(x)[indices], y[indices], indices


def balanced_epoch_indices(y, epoch_size: int | None = None, epochs: int = 1, seed: int = 0):
    """Class-balanced epochs as index arrays, marking the repeated draws.

    Each epoch draws ``epoch_size / C`` images from every class. Within a
    class the draws walk through a fresh random permutation of its images,
    starting over when it runs out; every draw after the first pass is a
    *copy*. Head classes are thus undersampled within an epoch (no copies) and
    tail classes oversampled (many copies).

    Parameters
    ----------
    y : ndarray of shape (n,), int
    epoch_size : int, optional
        Draws per epoch; default ``n``, so an epoch costs the same compute as
        one pass over the original data.
    epochs : int, default=1
    seed : int, default=0

    Returns
    -------
    indices : ndarray of shape (epochs * epoch_size,), int64
        Shuffled within each epoch.
    is_copy : ndarray of shape (epochs * epoch_size,), bool
    """
    y = np.asarray(y)
    counts = class_counts(y)
    classes = np.flatnonzero(counts)
    epoch_size = len(y) if epoch_size is None else check_positive_int(epoch_size, "epoch_size")
    if epoch_size < len(classes):
        raise ValueError(f"epoch_size must be at least the number of classes ({len(classes)}), got {epoch_size}")
    epochs = check_positive_int(epochs, "epochs")
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    per_class = np.full(len(classes), epoch_size // len(classes))
    per_class[: epoch_size - per_class.sum()] += 1  # spread the remainder
    all_indices, all_copies = [], []
    for _ in range(epochs):
        indices, copies = [], []
        for label, draws in zip(classes, per_class, strict=True):
            members = np.flatnonzero(y == label)
            passes = int(np.ceil(draws / len(members)))
            walk = np.concatenate([rng.permutation(members) for _ in range(passes)])[:draws]
            indices.append(walk)
            copies.append(np.arange(draws) >= len(members))
        indices, copies = np.concatenate(indices), np.concatenate(copies)
        order = rng.permutation(len(indices))
        all_indices.append(indices[order])
        all_copies.append(copies[order])
    return np.concatenate(all_indices).astype(np.int64), np.concatenate(all_copies)
