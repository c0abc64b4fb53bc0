import gzip

import numpy as np
import pytest

from cvhelpers.data import fashion_mnist, sources

DEBIAN = sources.FASHION_MNIST_DEBIAN_DIR
needs_debian = pytest.mark.skipif(
    not (DEBIAN / "train-images-idx3-ubyte.gz").is_file(), reason="Debian dataset-fashion-mnist not installed"
)


def _idx(name, offset):
    with gzip.open(DEBIAN / name, "rb") as handle:
        return handle.read()[offset:]


@needs_debian
def test_fashion_mnist_matches_debian_files_byte_for_byte(fashion):
    assert fashion.x_train.shape == (60000, 28, 28) and fashion.x_test.shape == (10000, 28, 28)
    assert fashion.x_train.dtype == np.uint8 and fashion.y_train.dtype == np.uint8
    assert fashion.x_train.tobytes() == _idx("train-images-idx3-ubyte.gz", 16)
    assert fashion.y_train.tobytes() == _idx("train-labels-idx1-ubyte.gz", 8)
    assert fashion.x_test.tobytes() == _idx("t10k-images-idx3-ubyte.gz", 16)
    assert fashion.y_test.tobytes() == _idx("t10k-labels-idx1-ubyte.gz", 8)
    assert (np.bincount(fashion.y_train) == 6000).all()
    assert (np.bincount(fashion.y_test) == 1000).all()
    assert fashion.class_names[0] == "T-shirt/top" and len(fashion.class_names) == 10


@needs_debian
def test_fashion_mnist_wires_debian_files_into_keras_cache(tmp_path):
    data = fashion_mnist.load_fashion_mnist(cache_dir=tmp_path)
    cached = tmp_path / "datasets" / "fashion-mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(fashion_mnist._FASHION_MNIST_FILES)
    assert (cached / "train-images-idx3-ubyte.gz").resolve() == DEBIAN / "train-images-idx3-ubyte.gz"
    assert data.x_train.shape == (60000, 28, 28)


def test_fashion_mnist_without_any_source_names_both_routes(tmp_path, monkeypatch):
    import keras

    def no_network(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(sources.DataSourceError) as info:
        fashion_mnist.load_fashion_mnist(cache_dir=tmp_path, debian_dir=tmp_path / "missing")
    message = str(info.value)
    assert "dataset-fashion-mnist" in message and "keras.datasets.fashion_mnist" in message
