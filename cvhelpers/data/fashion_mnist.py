"""Fashion-MNIST (Xiao et al. 2017): 70,000 grey 28x28 garment images in 10 classes.

:func:`load_fashion_mnist` reads them offline from the Debian package
``dataset-fashion-mnist`` (linked into the Keras cache, so Keras and this
loader share one copy) or, without it, downloads them through Keras.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from cvhelpers.data.sources import FASHION_MNIST_DEBIAN_DIR, DataSourceError

__all__ = ["FASHION_MNIST_CLASSES", "FashionMNIST", "load_fashion_mnist"]

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
