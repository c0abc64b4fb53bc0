"""Data: where images come from, and how they reach a model.

The loaders are re-exported here (``from cvhelpers.data import load_fashion_mnist``).

Modules
-------
sources
    The offline sources (Debian packages) and :class:`DataSourceError`;
    ``python -m cvhelpers.data --install`` installs what is missing.
fashion_mnist
    :func:`load_fashion_mnist`: the real Fashion-MNIST, offline or online.
long_tail
    :func:`make_long_tailed` for any labelled array, and
    :func:`load_fashion_mnist_lt`, pinned by the manifests in ``manifests/``.
image_folder
    :func:`load_image_folder`: a user's folder of images, one subfolder per class.
glyphs
    An Omniglot-style alphabet set rendered offline from Noto fonts, and
    the real Omniglot online.
faces
    Real face photos (Olivetti, LFW) through scikit-learn's fetchers.
pipeline
    ``tf.data`` pipelines from arrays: :func:`~cvhelpers.data.pipeline.make_dataset`,
    class-balanced batches, images to float.
sampling
    Class counts, the effective number, class weights, undersampling and
    balanced epochs (indices only; :mod:`cvhelpers.augment.resampling`
    builds the augmented pipelines).
"""

from cvhelpers.data.fashion_mnist import FASHION_MNIST_CLASSES, FashionMNIST, load_fashion_mnist
from cvhelpers.data.image_folder import IMAGE_EXTENSIONS, ImageFolder, load_image_folder
from cvhelpers.data.long_tail import (
    HARD_TAIL_ORDER,
    LongTailed,
    default_manifest_path,
    load_fashion_mnist_lt,
    load_manifest,
    long_tailed_counts,
    make_long_tailed,
    save_manifest,
)
from cvhelpers.data.sources import DataSourceError

__all__ = [
    "DataSourceError",
    "FASHION_MNIST_CLASSES",
    "FashionMNIST",
    "load_fashion_mnist",
    "HARD_TAIL_ORDER",
    "LongTailed",
    "make_long_tailed",
    "long_tailed_counts",
    "load_fashion_mnist_lt",
    "save_manifest",
    "load_manifest",
    "default_manifest_path",
    "IMAGE_EXTENSIONS",
    "ImageFolder",
    "load_image_folder",
]
