"""Long-tailed subsets: Fashion-MNIST-LT and any other labelled array.

* :func:`long_tailed_counts` and :func:`make_long_tailed` build a
  long-tailed subset (Cao et al. 2019; Cui et al. 2019) of any labelled
  array: exponential or step profile, imbalance ratio, head-to-tail order.
* :func:`load_fashion_mnist_lt` is the course's default split. Its indices
  are pinned by the manifests shipped in the package
  (``cvhelpers/data/manifests/``), so the split is the same everywhere,
  also in an installed wheel.
* :func:`save_manifest` / :func:`load_manifest` write and read such a
  manifest for a split of your own.

Used in every notebook.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cvhelpers.data.fashion_mnist import FashionMNIST, load_fashion_mnist
from cvhelpers.validation import check_labels, check_number, check_positive_int, check_same_length, check_seed

__all__ = [
    "HARD_TAIL_ORDER",
    "LongTailed",
    "make_long_tailed",
    "long_tailed_counts",
    "load_fashion_mnist_lt",
    "save_manifest",
    "load_manifest",
    "default_manifest_path",
]

#: A head-to-tail class order for Fashion-MNIST in which the four confusable
#: upper-body garments (T-shirt/top, Pullover, Coat, Shirt) are the rarest, so
#: the rare classes are also the hard ones. Label order is the default.
HARD_TAIL_ORDER = (5, 7, 9, 8, 1, 3, 0, 2, 4, 6)


# ---------------------------------------------------------------------------
# Long-tailed subsets
# ---------------------------------------------------------------------------

_PROFILES = ("exponential", "step")


class LongTailed(NamedTuple):
    """A long-tailed subset of a labelled array.

    Attributes
    ----------
    x : ndarray of shape (m, ...)
        The chosen images, in ascending order of ``indices``.
    y : ndarray of shape (m,)
        Their labels.
    indices : ndarray of shape (m,), int64
        Positions of the chosen images in the source arrays, ascending.
    counts : dict of int to int
        Images kept per class label.
    class_order : tuple of int
        Class labels from head (most images) to tail (fewest).
    """

    x: np.ndarray
    y: np.ndarray
    indices: np.ndarray
    counts: dict
    class_order: tuple


def _check_profile(profile) -> None:
    if not isinstance(profile, str) or profile not in _PROFILES:
        raise ValueError(f"profile must be one of {_PROFILES}, got {profile!r}")


def _check_class_order(class_order, classes: np.ndarray) -> tuple:
    """``class_order`` as a tuple of int, a permutation of ``classes``; floats are refused, never truncated."""
    if isinstance(class_order, (str, bytes)) or not isinstance(class_order, Sequence | np.ndarray):
        raise TypeError(f"class_order must be a sequence of int class labels, got {class_order!r}")
    bad = [c for c in class_order if isinstance(c, bool) or not isinstance(c, (int, np.integer))]
    if bad:
        raise TypeError(f"class_order must hold int class labels, got {bad[:3]}")
    class_order = tuple(int(c) for c in class_order)
    if sorted(class_order) != sorted(classes.tolist()):
        raise ValueError(
            f"class_order must be a permutation of the labels {classes.tolist()}, got {list(class_order)}"
        )
    return class_order


def long_tailed_counts(
    n_max: int,
    num_classes: int,
    imbalance_ratio: float = 100.0,
    profile: str = "exponential",
) -> np.ndarray:
    """Images per class, head to tail, for a long-tailed profile.

    * ``"exponential"`` (Cao et al. 2019): the class of rank i keeps
      ``floor(n_max * r ** (-i / (C - 1)))`` images.
    * ``"step"`` (Buda et al. 2018): the first ``ceil(C / 2)`` classes keep
      ``n_max`` images, the others ``floor(n_max / r)``.

    Parameters
    ----------
    n_max : int
        Images in the head class.
    num_classes : int
        C, at least 2.
    imbalance_ratio : float, default=100
        r = n_max / n_min, at least 1.
    profile : {"exponential", "step"}

    Returns
    -------
    ndarray of shape (num_classes,), int64
        Counts by rank, from head to tail.

    Raises
    ------
    TypeError
        When ``imbalance_ratio`` is not a number.
    ValueError
        Naming the argument: a ratio below 1 (or NaN), an unknown profile,
        ``num_classes`` not an int >= 2, ``n_max`` not an int >= 1, or a ratio
        so large that a class keeps no image.
    """
    _check_profile(profile)
    check_number(imbalance_ratio, "imbalance_ratio", low=1)
    check_positive_int(num_classes, "num_classes", smallest=2)
    check_positive_int(n_max, "n_max")
    ranks = np.arange(num_classes)
    if profile == "exponential":
        # The tiny epsilon keeps exact products such as 6000 / 100 from
        # rounding down to 59 through floating-point error.
        counts = np.floor(n_max * imbalance_ratio ** (-ranks / (num_classes - 1)) + 1e-9)
    else:
        n_head = int(np.ceil(num_classes / 2))
        counts = np.where(ranks < n_head, n_max, np.floor(n_max / imbalance_ratio + 1e-9))
    counts = counts.astype(np.int64)
    if counts.min() < 1:
        raise ValueError(
            f"imbalance_ratio={imbalance_ratio} with n_max={n_max} leaves a class with no "
            "images; lower the ratio or raise n_max"
        )
    return counts


def make_long_tailed(
    x,
    y,
    imbalance_ratio: float = 100.0,
    profile: str = "exponential",
    seed: int = 0,
    n_max: int | None = None,
    class_order: Sequence[int] | None = None,
) -> LongTailed:
    """Draw a long-tailed subset of a labelled array.

    Class ``class_order[i]`` keeps ``long_tailed_counts(...)[i]`` images,
    drawn without replacement with ``numpy.random.default_rng(seed)``. The
    same arguments give the same subset.

    Parameters
    ----------
    x : ndarray of shape (n, ...)
        Images (or any features).
    y : ndarray of shape (n,), int
        Class labels in [0, C).
    imbalance_ratio : float, default=100
        r = n_max / n_min, at least 1.
    profile : {"exponential", "step"}, default="exponential"
    seed : int, default=0
    n_max : int, optional
        Images in the head class; default the smallest class size in ``y``.
    class_order : sequence of int, optional
        Class labels from head to tail; default label order (class 0 is the
        head), as CIFAR-10-LT is built. See :data:`HARD_TAIL_ORDER`.

    Returns
    -------
    LongTailed
        ``(x, y, indices, counts, class_order)``.

    Raises
    ------
    TypeError
        On a ratio that is not a number or a ``class_order`` that is not a
        sequence of int.
    ValueError
        Naming the argument: a ratio below 1 (or NaN), an unknown profile, a
        seed that is not an int >= 0, labels that are not class indices or
        not one per image, a single class, a ``class_order`` that is not a
        permutation of the labels, or a class with fewer images than it must keep.

    Examples
    --------
    >>> lt = make_long_tailed(x_train, y_train, imbalance_ratio=100)  # doctest: +SKIP
    >>> lt.counts[0], lt.counts[9]                                    # doctest: +SKIP
    (6000, 60)
    """
    check_labels(y, "y")
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0:
        raise ValueError(f"x must be an array of shape (n, ...), got {x!r}")
    check_same_length(x, "x", y, "y")
    _check_profile(profile)
    check_number(imbalance_ratio, "imbalance_ratio", low=1)
    check_seed(seed)
    if n_max is not None:
        check_positive_int(n_max, "n_max")
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"y must hold at least 2 classes, got {classes.tolist()}")
    if class_order is None:
        class_order = tuple(int(c) for c in classes)
    else:
        class_order = _check_class_order(class_order, classes)
    available = {int(c): int(np.sum(y == c)) for c in classes}
    if n_max is None:
        n_max = min(available.values())
    counts = long_tailed_counts(n_max, len(class_order), imbalance_ratio, profile)

    rng = np.random.default_rng(seed)
    chosen = []
    for label, count in zip(class_order, counts, strict=True):
        if available[label] < count:
            raise ValueError(
                f"class {label} has {available[label]} images but the profile needs {count}; "
                "lower n_max"
            )
        members = np.flatnonzero(y == label)
        chosen.append(rng.choice(members, size=int(count), replace=False))
    indices = np.sort(np.concatenate(chosen)).astype(np.int64)
    count_map = {int(label): int(count) for label, count in zip(class_order, counts, strict=True)}
    return LongTailed(x[indices], y[indices], indices, count_map, class_order)


def default_manifest_path(
    imbalance_ratio: float = 100,
    profile: str = "exponential",
    seed: int = 0,
    order: str = "label",
) -> Path:
    """Where the manifest for a Fashion-MNIST-LT split lives: ``cvhelpers/data/manifests/`` (package data).

    The file exists for the splits the course pins (ratio 100, exponential,
    seed 0, label or hard order); for any other split the path does not
    exist and :func:`load_fashion_mnist_lt` rebuilds the split from its seed.

    Raises
    ------
    TypeError, ValueError
        Naming the argument: a ratio that is not a number >= 1, an unknown
        profile, a seed that is not an int >= 0, or an ``order`` that is not
        a plain name such as ``"label"``.
    """
    check_number(imbalance_ratio, "imbalance_ratio", low=1)
    _check_profile(profile)
    check_seed(seed)
    if not isinstance(order, str) or not order.isidentifier():
        raise ValueError(f"order must be a name such as 'label' or 'hard', got {order!r}")
    ratio = f"{imbalance_ratio:g}"
    return Path(str(resources.files("cvhelpers.data").joinpath(
        "manifests", f"fashion_mnist_lt_r{ratio}_{profile}_{order}_seed{seed}.json")))


def save_manifest(lt: LongTailed, path, **metadata) -> Path:
    """Write a long-tailed split's indices and counts to JSON, atomically.

    Parameters
    ----------
    lt : LongTailed
    path : path-like
    **metadata
        Extra fields to record (dataset name, ratio, profile, seed, ...),
        JSON-serializable.

    Raises
    ------
    TypeError
        When ``lt`` is not a :class:`LongTailed` or ``metadata`` cannot be
        written as JSON.
    """
    from cvhelpers.course.results import atomic_write_text

    if not isinstance(lt, LongTailed):
        raise TypeError(f"lt must be a LongTailed (from make_long_tailed), got {type(lt).__name__}")
    payload = {
        **metadata,
        "class_order": list(lt.class_order),
        "counts": {str(k): v for k, v in lt.counts.items()},
        "size": int(len(lt.indices)),
        "indices": np.asarray(lt.indices).tolist(),
    }
    try:
        text = json.dumps(payload, indent=1) + "\n"
    except TypeError as error:
        raise TypeError(f"metadata must be JSON-serializable: {error}") from error
    return atomic_write_text(Path(path), text)


def load_manifest(path) -> dict:
    """Read a manifest written by :func:`save_manifest`.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When ``path`` is not such a manifest (not JSON, or no indices or counts).
    """
    with open(path, encoding="utf-8") as handle:
        try:
            manifest = json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f"path {path} is not a JSON manifest: {error}") from error
    missing = [key for key in ("indices", "counts") if not isinstance(manifest, dict) or key not in manifest]
    if missing:
        raise ValueError(f"path {path} is not a manifest written by save_manifest: no {missing}")
    manifest["indices"] = np.asarray(manifest["indices"], dtype=np.int64)
    manifest["counts"] = {int(k): int(v) for k, v in manifest["counts"].items()}
    return manifest


def load_fashion_mnist_lt(
    imbalance_ratio: float = 100,
    profile: str = "exponential",
    seed: int = 0,
    class_order: str | Sequence[int] = "label",
    data: FashionMNIST | None = None,
):
    """Fashion-MNIST-LT: a long-tailed training set and the balanced test set.

    The default split (r = 100, exponential, label order, seed 0) is read from
    the manifest shipped in the package so it is identical everywhere; it is
    also rebuilt from the seed and the two must agree. Other settings are
    built from the seed.

    Parameters
    ----------
    imbalance_ratio : float, default=100
    profile : {"exponential", "step"}
    seed : int, default=0
    class_order : {"label", "hard"} or sequence of int
        ``"label"``: class 0 is the head; ``"hard"``: :data:`HARD_TAIL_ORDER`.
    data : FashionMNIST, optional
        Already-loaded Fashion-MNIST, to skip reloading.

    Returns
    -------
    lt : LongTailed
        The long-tailed training subset.
    test : tuple of (x_test, y_test)
        The balanced test set, 1,000 images per class.
    """
    check_number(imbalance_ratio, "imbalance_ratio", low=1)
    _check_profile(profile)
    check_seed(seed)
    if data is not None and not all(hasattr(data, field) for field in FashionMNIST._fields):
        raise TypeError(f"data must be a FashionMNIST (from load_fashion_mnist), got {type(data).__name__}")
    if isinstance(class_order, str):
        orders = {"label": None, "hard": HARD_TAIL_ORDER}
        if class_order not in orders:
            raise ValueError(f"class_order must be 'label', 'hard' or a sequence, got {class_order!r}")
        order_name, order = class_order, orders[class_order]
    else:
        order_name, order = "custom", class_order
    if data is None:
        data = load_fashion_mnist()
    lt = make_long_tailed(data.x_train, data.y_train, imbalance_ratio, profile, seed, class_order=order)
    manifest_path = default_manifest_path(imbalance_ratio, profile, seed, order_name)
    if order_name != "custom" and manifest_path.is_file():
        manifest = load_manifest(manifest_path)
        if not np.array_equal(manifest["indices"], lt.indices):
            warnings.warn(
                f"The split rebuilt from seed {seed} differs from the committed manifest "
                f"{manifest_path.name} (a NumPy change?); using the manifest.",
                stacklevel=2,
            )
            indices = manifest["indices"]
            lt = LongTailed(
                data.x_train[indices],
                data.y_train[indices],
                indices,
                manifest["counts"],
                tuple(manifest["class_order"]),
            )
    return lt, (data.x_test, data.y_test)
