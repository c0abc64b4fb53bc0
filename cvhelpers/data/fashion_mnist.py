"""Fashion-MNIST (Xiao et al. 2017): 70,000 grey 28x28 garment images in 10 classes.

:func:`load_fashion_mnist` reads them offline from the Debian package
``dataset-fashion-mnist`` (linked into the Keras cache, so Keras and this
loader share one copy) or, without it, downloads them through Keras. Every
file is checked against the published data before it is used; a truncated or
wrong file in the Keras cache is moved aside, never deleted.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import warnings
import zlib
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
_LABELS_MAGIC, _IMAGES_MAGIC = 2049, 2051


class _KnownFile(NamedTuple):
    """The published content of one file, once gunzipped: IDX magic number, items, bytes, SHA-256."""

    magic: int
    count: int
    size: int
    sha256: str


# Debian's gzip files are not byte-identical to the downloaded ones (Debian's
# gzip headers store no file name), so the check is on the gunzipped IDX
# content, which is the same in both.
_KNOWN_FILES = {
    "train-images-idx3-ubyte.gz": _KnownFile(
        _IMAGES_MAGIC, 60000, 47040016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
    ),
    "train-labels-idx1-ubyte.gz": _KnownFile(
        _LABELS_MAGIC, 60000, 60008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
    ),
    "t10k-images-idx3-ubyte.gz": _KnownFile(
        _IMAGES_MAGIC, 10000, 7840016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
    ),
    "t10k-labels-idx1-ubyte.gz": _KnownFile(
        _LABELS_MAGIC, 10000, 10008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
    ),
}


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
    the cache is left untouched here (it may be a user's earlier download);
    :func:`load_fashion_mnist` then checks it.
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


class _BadFile(Exception):
    """Internal: a file is not the Fashion-MNIST file it is named after; the message says why."""


def _read_idx_gz(path: Path, name: str) -> np.ndarray:
    """The IDX payload of ``path`` (labels, or image pixels) after checking it against the published file.

    Raises
    ------
    _BadFile
        When the file is missing, not a complete gzip file, or its content is
        not the published one (magic number, item count, labels outside 0..9,
        size, SHA-256).
    """
    known = _KNOWN_FILES[name]
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read(known.size + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise _BadFile(
            f"not a complete gzip file, half-downloaded or damaged ({type(error).__name__}: {error})"
        ) from error
    except OSError as error:
        raise _BadFile(f"cannot be read ({error.strerror or error})") from error
    header = 8 if known.magic == _LABELS_MAGIC else 16
    if len(data) < header:
        raise _BadFile(f"only {len(data)} bytes once unzipped, too short for an IDX header")
    magic, count = int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")
    if magic != known.magic:
        raise _BadFile(f"IDX magic number {magic}, expected {known.magic}")
    if count != known.count:
        raise _BadFile(f"holds {count} items, expected {known.count}")
    if len(data) != known.size:
        raise _BadFile(f"{len(data) if len(data) <= known.size else 'more than ' + str(known.size)} bytes once "
                       f"unzipped, expected {known.size}")
    values = np.frombuffer(data, np.uint8, offset=header)
    if known.magic == _LABELS_MAGIC and values.max() > 9:
        raise _BadFile(f"labels must be in 0..9, found {int(values.max())}")
    if hashlib.sha256(data).hexdigest() != known.sha256:
        raise _BadFile("its content differs from the published file (SHA-256 mismatch)")
    return values


def _move_aside(path: Path) -> Path:
    """Rename ``path`` to ``<name>.corrupt`` (``.corrupt-1``, ... if taken), never deleting anything."""
    aside = path.with_name(path.name + ".corrupt")
    number = 1
    while os.path.lexists(aside):
        aside = path.with_name(f"{path.name}.corrupt-{number}")
        number += 1
    path.rename(aside)
    return aside


def _read_checked(name: str, cache: Path, target: Path, debian_dir: Path) -> np.ndarray:
    """Read ``target / name``; a bad file is moved aside (with a warning) and replaced from its source."""
    path = target / name
    try:
        return _read_idx_gz(path, name)
    except _BadFile as bad:
        problem = str(bad)
    debian = debian_dir / name
    if debian.is_file() and path.exists() and os.path.samefile(path, debian):
        problem += f" (it is the Debian copy {debian})"
        debian = None
    elif not debian.is_file():
        debian = None
    where = ""
    try:
        if os.path.lexists(path):
            where = f"; moved it to {_move_aside(path)}"
    except OSError as error:
        if debian is None:
            raise DataSourceError(
                f"{path} is not the Fashion-MNIST file {name} ({problem}) and cannot be moved aside "
                f"({error.strerror or error}); remove or replace it by hand"
            ) from error
        where = f"; it cannot be moved aside ({error.strerror or error})"
    source = f"using the Debian copy {debian}" if debian else "downloading it again"
    warnings.warn(f"{path} is not the Fashion-MNIST file {name}: {problem}{where}; {source}", stacklevel=3)
    if debian is not None:
        _link(debian, path)
        return _read_replacement(debian, name, problem)
    try:
        _download_fashion_mnist(cache, target, debian_dir, names=(name,))
    except DataSourceError as error:
        raise DataSourceError(f"{path} was not the Fashion-MNIST file {name} ({problem}). {error}") from error
    return _read_replacement(path, name, problem)


def _link(source: Path, link: Path) -> None:
    """Link ``source`` at ``link`` for Keras, where nothing is in the way and the cache allows it."""
    if os.path.lexists(link):
        return
    try:
        link.symlink_to(source)
    except OSError:
        pass


def _read_replacement(path: Path, name: str, problem: str) -> np.ndarray:
    """Read the file that replaces a bad cached one; a bad replacement is a :class:`DataSourceError` naming it."""
    try:
        return _read_idx_gz(path, name)
    except _BadFile as bad:
        raise DataSourceError(
            f"{path} is not the Fashion-MNIST file {name} either ({bad}), after the cached copy was bad "
            f"({problem}); reinstall the Debian package dataset-fashion-mnist or download the file again"
        ) from bad


def _check_folder_argument(value, name: str, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, (str, os.PathLike)):
        expected = "None or a folder path" if optional else "a folder path"
        raise TypeError(f"{name} must be {expected} (str or path-like), got {type(value).__name__} {value!r}")


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

    Each file is checked against the published Fashion-MNIST (IDX magic
    number, item count, label range, size and SHA-256 of the unzipped
    content). A bad file in the Keras cache (half-downloaded, truncated, or
    other data under the same name) is renamed to ``<name>.corrupt`` (or
    ``.corrupt-1``, ...; never deleted) with a warning naming both paths, and
    replaced by the Debian copy or, without it, downloaded again.

    Raises
    ------
    DataSourceError
        When neither the Debian files nor the download are available (the
        message names both routes), or when the replacement of a bad file is
        bad too (the message names the file).
    TypeError
        When ``cache_dir`` or ``debian_dir`` is not a path.

    Examples
    --------
    >>> data = load_fashion_mnist()              # doctest: +SKIP
    >>> data.x_train.shape, data.class_names[0]  # doctest: +SKIP
    ((60000, 28, 28), 'T-shirt/top')
    """
    _check_folder_argument(cache_dir, "cache_dir", optional=True)
    _check_folder_argument(debian_dir, "debian_dir")
    cache = _keras_cache_dir(cache_dir)
    target = cache / "datasets" / "fashion-mnist"
    debian_dir = Path(debian_dir).absolute()  # the links in the cache must not depend on the working folder
    if not _wire_debian_into_keras_cache(debian_dir, target):
        _download_fashion_mnist(cache, target, debian_dir)
    # Read the cached files the same way keras.datasets.fashion_mnist does, checking each.
    y_train = _read_checked("train-labels-idx1-ubyte.gz", cache, target, debian_dir)
    x_train = _read_checked("train-images-idx3-ubyte.gz", cache, target, debian_dir)
    y_test = _read_checked("t10k-labels-idx1-ubyte.gz", cache, target, debian_dir)
    x_test = _read_checked("t10k-images-idx3-ubyte.gz", cache, target, debian_dir)
    x_train = x_train.reshape(len(y_train), 28, 28)
    x_test = x_test.reshape(len(y_test), 28, 28)
    return FashionMNIST(x_train, y_train, x_test, y_test, FASHION_MNIST_CLASSES)


_FASHION_MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _download_fashion_mnist(cache: Path, target: Path, debian_dir, names=_FASHION_MNIST_FILES) -> None:
    """The online route: Keras's own download of ``names`` into the same cache folder."""
    import keras

    # get_file saves to /tmp/.keras when cache_dir is missing or not writable, where the loader would not look.
    cache.mkdir(parents=True, exist_ok=True)
    try:
        for name in names:
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
