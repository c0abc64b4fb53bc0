import gzip
from pathlib import Path

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


def _gzip_bytes(payload: bytes) -> bytes:
    return gzip.compress(payload, mtime=0)


def _labels_file(value: int, count: int = 60000) -> bytes:
    return _gzip_bytes((2049).to_bytes(4, "big") + count.to_bytes(4, "big") + bytes([value]) * count)


@needs_debian
def test_the_known_checksums_are_those_of_the_debian_files():
    import hashlib

    for name, known in fashion_mnist._KNOWN_FILES.items():
        with gzip.open(DEBIAN / name, "rb") as handle:
            content = handle.read()
        assert (len(content), hashlib.sha256(content).hexdigest()) == (known.size, known.sha256)
        assert int.from_bytes(content[:4], "big") == known.magic
        assert int.from_bytes(content[4:8], "big") == known.count


@needs_debian
def test_a_half_downloaded_cached_file_is_moved_aside_and_the_debian_copy_used(fashion, tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))  # the default cache, never the real one
    cached = tmp_path / "keras" / "datasets" / "fashion-mnist"
    cached.mkdir(parents=True)
    name = "train-images-idx3-ubyte.gz"
    half = (DEBIAN / name).read_bytes()[:1_000_000]
    (cached / name).write_bytes(half)
    with pytest.warns(UserWarning) as caught:
        data = fashion_mnist.load_fashion_mnist()
    (message,) = [str(w.message) for w in caught]
    assert str(cached / name) in message and str(cached / f"{name}.corrupt") in message
    assert "half-downloaded" in message and str(DEBIAN / name) in message
    assert (cached / f"{name}.corrupt").read_bytes() == half  # kept, never deleted
    assert (cached / name).resolve() == DEBIAN / name
    np.testing.assert_array_equal(data.x_train, fashion.x_train)


@needs_debian
def test_wrong_labels_in_the_cache_are_refused_and_earlier_corrupt_files_kept(fashion, tmp_path):
    cached = tmp_path / "datasets" / "fashion-mnist"
    cached.mkdir(parents=True)
    name = "train-labels-idx1-ubyte.gz"
    (cached / name).write_bytes(_labels_file(42))
    (cached / f"{name}.corrupt").write_bytes(b"an earlier bad file")
    with pytest.warns(UserWarning, match=r"labels must be in 0\.\.9, found 42") as caught:
        data = fashion_mnist.load_fashion_mnist(cache_dir=tmp_path)
    assert str(cached / f"{name}.corrupt-1") in str(caught[0].message)
    assert (cached / f"{name}.corrupt").read_bytes() == b"an earlier bad file"
    assert (cached / f"{name}.corrupt-1").read_bytes() == _labels_file(42)
    np.testing.assert_array_equal(data.y_train, fashion.y_train)
    # Labels in range but not the published ones are refused by their checksum.
    (cached / name).unlink()
    (cached / name).write_bytes(_labels_file(3))
    with pytest.warns(UserWarning, match="SHA-256"):
        fashion_mnist.load_fashion_mnist(cache_dir=tmp_path)


@needs_debian
def test_without_debian_a_bad_cached_file_is_downloaded_again(tmp_path, monkeypatch):
    import keras

    cached = tmp_path / "datasets" / "fashion-mnist"
    cached.mkdir(parents=True)
    for name in fashion_mnist._FASHION_MNIST_FILES:
        (cached / name).write_bytes((DEBIAN / name).read_bytes())
    bad = "t10k-labels-idx1-ubyte.gz"
    (cached / bad).write_bytes(_labels_file(1, count=10000))
    downloads = []
    served = {name: (DEBIAN / name).read_bytes() for name in fashion_mnist._FASHION_MNIST_FILES}

    def fake_get_file(fname, origin, cache_dir, cache_subdir):
        path = Path(cache_dir) / cache_subdir / fname
        if not path.exists():  # as Keras: an existing file is not fetched again
            downloads.append(fname)
            path.write_bytes(served[fname])
        return str(path)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    with pytest.warns(UserWarning, match="downloading it again"):
        data = fashion_mnist.load_fashion_mnist(cache_dir=tmp_path, debian_dir=tmp_path / "no-debian")
    assert downloads == [bad]
    assert (cached / f"{bad}.corrupt").is_file()
    assert (np.bincount(data.y_test) == 1000).all()
    # A download that is bad again is an error that names the file.
    (cached / bad).unlink()
    (cached / bad).write_bytes(_labels_file(1, count=10000))
    served[bad] = served[bad][:100]
    with pytest.warns(UserWarning), pytest.raises(sources.DataSourceError, match=str(cached / bad)):
        fashion_mnist.load_fashion_mnist(cache_dir=tmp_path, debian_dir=tmp_path / "no-debian")


@pytest.mark.parametrize("kwargs", [dict(cache_dir=3), dict(debian_dir=None)])
def test_fashion_mnist_refuses_folders_that_are_not_paths(kwargs):
    with pytest.raises(TypeError, match=next(iter(kwargs))):
        fashion_mnist.load_fashion_mnist(**kwargs)


@needs_debian
def test_a_relative_debian_dir_gives_links_that_work_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(DEBIAN.parent)
    fashion_mnist.load_fashion_mnist(cache_dir=tmp_path, debian_dir=DEBIAN.name)
    for name in fashion_mnist._FASHION_MNIST_FILES:
        assert (tmp_path / "datasets" / "fashion-mnist" / name).readlink().is_absolute()
