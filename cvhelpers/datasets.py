"""Dataset loaders and the long-tailed benchmark builder.

* :func:`load_fashion_mnist` returns the real Fashion-MNIST (70,000 images),
  offline from the Debian package ``dataset-fashion-mnist`` or online through
  Keras.
* :func:`make_long_tailed` builds Fashion-MNIST-LT (Cao et al. 2019; Cui et
  al. 2019) or any other long-tailed subset of a labelled array.
* :func:`load_fashion_mnist_lt` is the course's default split, pinned by the
  committed manifest in ``data/``.
* :func:`load_image_folder` (from :mod:`cvhelpers.image_folder`, re-exported
  here) loads a user's folder of images, one subfolder per class, and never
  stops half-way because of one bad file.

Used in every notebook.
"""

from __future__ import annotations

import gzip
import json
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cvhelpers.image_folder import IMAGE_EXTENSIONS as IMAGE_EXTENSIONS
from cvhelpers.image_folder import ImageFolder as ImageFolder
from cvhelpers.image_folder import load_image_folder as load_image_folder
from cvhelpers.paths import data_dir
from cvhelpers.sources import FASHION_MNIST_DEBIAN_DIR

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_DEBIAN_DIR",
    "HARD_TAIL_ORDER",
    "FashionMNIST",
    "LongTailed",
    "ImageFolder",
    "DataSourceError",
    "load_fashion_mnist",
    "make_long_tailed",
    "long_tailed_counts",
    "load_fashion_mnist_lt",
    "save_manifest",
    "load_manifest",
    "default_manifest_path",
    "load_image_folder",
]

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

#: A head-to-tail class order for Fashion-MNIST in which the four confusable
#: upper-body garments (T-shirt/top, Pullover, Coat, Shirt) are the rarest, so
#: the rare classes are also the hard ones. Label order is the default.
HARD_TAIL_ORDER = (5, 7, 9, 8, 1, 3, 0, 2, 4, 6)


class DataSourceError(RuntimeError):
    """No offline copy and no online route could provide a dataset."""


class FashionMNIST(NamedTuple):
    """Fashion-MNIST as arrays.

    Attributes
    ----------
    x_train : ndarray of shape (60000, 28, 28), uint8
    y_train : ndarray of shape (60000,), uint8
    x_test : ndarray of shape (10000, 28, 28), uint8
    y_test : ndarray of shape (10000,), uint8
    class_names : tuple of str, length 10
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple


def _keras_cache_dir(cache_dir) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    # Keras's own rule (keras.src.backend.config), without importing TensorFlow:
    # $KERAS_HOME, else ~/.keras, else /tmp/.keras when home is not writable.
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    if not os.access(home if home.exists() else home.parent, os.W_OK):
        home = Path("/tmp") / ".keras"
    return home


def _wire_debian_into_keras_cache(debian_dir: Path, target: Path) -> bool:
    """Link the Debian files into the Keras cache; True when all four are there.

    Links rather than copies, so the cache costs no disk. An existing file in
    the cache is left untouched (it may be a user's earlier download).
    """
    if not all((debian_dir / name).is_file() for name in _FASHION_MNIST_FILES):
        return False
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in _FASHION_MNIST_FILES:
            link = target / name
            if not link.exists():
                if link.is_symlink():  # dangling link from an old install
                    link.unlink()
                link.symlink_to(debian_dir / name)
    except OSError:
        return False
    return all((target / name).is_file() for name in _FASHION_MNIST_FILES)


def _read_idx_gz(path: Path, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), np.uint8, offset=offset)


def load_fashion_mnist(cache_dir=None, debian_dir=FASHION_MNIST_DEBIAN_DIR) -> FashionMNIST:
    """Load the real Fashion-MNIST: 60,000 training and 10,000 test images.

    The offline source is the Debian package ``dataset-fashion-mnist``; its
    four files are linked into the Keras cache
    (``$KERAS_HOME/datasets/fashion-mnist/``), where
    ``keras.datasets.fashion_mnist.load_data()`` finds them with no network.
    Without them, Keras downloads the files as usual.

    Parameters
    ----------
    cache_dir : path-like, optional
        The Keras cache folder; default ``$KERAS_HOME`` or ``~/.keras``.
    debian_dir : path-like
        Where the Debian package puts the files.

    Returns
    -------
    FashionMNIST
        ``(x_train, y_train, x_test, y_test, class_names)``; images are uint8
        arrays of shape (n, 28, 28), labels uint8 arrays of shape (n,).

    Raises
    ------
    DataSourceError
        When neither the Debian files nor the download are available. The
        message names both routes.

    Examples
    --------
    >>> data = load_fashion_mnist()              # doctest: +SKIP
    >>> data.x_train.shape, data.class_names[0]  # doctest: +SKIP
    ((60000, 28, 28), 'T-shirt/top')
    """
    cache = _keras_cache_dir(cache_dir)
    target = cache / "datasets" / "fashion-mnist"
    if not _wire_debian_into_keras_cache(Path(debian_dir), target):
        _download_fashion_mnist(cache, target, debian_dir)
    # Read the cached files the same way keras.datasets.fashion_mnist does.
    y_train = _read_idx_gz(target / "train-labels-idx1-ubyte.gz", 8)
    x_train = _read_idx_gz(target / "train-images-idx3-ubyte.gz", 16)
    y_test = _read_idx_gz(target / "t10k-labels-idx1-ubyte.gz", 8)
    x_test = _read_idx_gz(target / "t10k-images-idx3-ubyte.gz", 16)
    x_train = x_train.reshape(len(y_train), 28, 28)
    x_test = x_test.reshape(len(y_test), 28, 28)
    return FashionMNIST(x_train, y_train, x_test, y_test, FASHION_MNIST_CLASSES)


_FASHION_MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _download_fashion_mnist(cache: Path, target: Path, debian_dir) -> None:
    """The online route: Keras's own download into the same cache folder."""
    import keras

    try:
        for name in _FASHION_MNIST_FILES:
            keras.utils.get_file(
                name,
                origin=_FASHION_MNIST_ORIGIN + name,
                cache_dir=str(cache),
                cache_subdir=os.path.join("datasets", "fashion-mnist"),
            )
    except Exception as error:  # get_file raises plain Exception on network errors
        raise DataSourceError(
            "Fashion-MNIST is not available.\n"
            "  Offline: install the Debian package 'dataset-fashion-mnist' "
            "(sudo apt-get install dataset-fashion-mnist), which puts the files in "
            f"{debian_dir}; or copy the four *-ubyte.gz files to {target}.\n"
            "  Online: keras.datasets.fashion_mnist.load_data() downloads them, "
            f"but the download failed: {error}"
        ) from error


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


def _check_labels(y, name="y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels, got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError(f"{name} holds negative labels; labels must be in [0, n_classes)")
    return y


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
    """
    if profile not in _PROFILES:
        raise ValueError(f"profile must be one of {_PROFILES}, got {profile!r}")
    if not np.isfinite(imbalance_ratio) or imbalance_ratio < 1:
        raise ValueError(f"imbalance_ratio must be a number >= 1, got {imbalance_ratio!r}")
    if num_classes < 2:
        raise ValueError(f"a long-tailed set needs at least 2 classes, got {num_classes}")
    if n_max < 1:
        raise ValueError(f"n_max must be at least 1, got {n_max}")
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
    ValueError
        On a ratio below 1, an unknown profile, a single class, a bad
        ``class_order``, or a class with fewer images than it must keep.

    Examples
    --------
    >>> lt = make_long_tailed(x_train, y_train, imbalance_ratio=100)  # doctest: +SKIP
    >>> lt.counts[0], lt.counts[9]                                    # doctest: +SKIP
    (6000, 60)
    """
    y = _check_labels(y)
    x = np.asarray(x)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"y must hold at least 2 classes, got {classes.tolist()}")
    if class_order is None:
        class_order = tuple(int(c) for c in classes)
    else:
        class_order = tuple(int(c) for c in class_order)
        if sorted(class_order) != sorted(classes.tolist()):
            raise ValueError(
                f"class_order must be a permutation of the labels {classes.tolist()}, "
                f"got {list(class_order)}"
            )
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
    """Where the committed manifest for a Fashion-MNIST-LT split lives, in :func:`cvhelpers.paths.data_dir`."""
    ratio = f"{imbalance_ratio:g}"
    return data_dir() / f"fashion_mnist_lt_r{ratio}_{profile}_{order}_seed{seed}.json"


def save_manifest(lt: LongTailed, path, **metadata) -> Path:
    """Write a long-tailed split's indices and counts to JSON, atomically.

    Parameters
    ----------
    lt : LongTailed
    path : path-like
    **metadata
        Extra fields to record (dataset name, ratio, profile, seed, ...).
    """
    from cvhelpers.results import atomic_write_text

    payload = {
        **metadata,
        "class_order": list(lt.class_order),
        "counts": {str(k): v for k, v in lt.counts.items()},
        "size": int(len(lt.indices)),
        "indices": lt.indices.tolist(),
    }
    return atomic_write_text(Path(path), json.dumps(payload, indent=1) + "\n")


def load_manifest(path) -> dict:
    """Read a manifest written by :func:`save_manifest`."""
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
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
    the committed manifest in ``data/`` so it is identical everywhere; it is
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
    if data is None:
        data = load_fashion_mnist()
    if isinstance(class_order, str):
        orders = {"label": None, "hard": HARD_TAIL_ORDER}
        if class_order not in orders:
            raise ValueError(f"class_order must be 'label', 'hard' or a sequence, got {class_order!r}")
        order_name, order = class_order, orders[class_order]
    else:
        order_name, order = "custom", class_order
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
