"""The online routes of the loaders, without a network: a local HTTP server, or a fake tensorflow-datasets.

Each route is the one a hosted runtime (Colab) takes: Keras's download of
Fashion-MNIST into its cache, real Omniglot through tensorflow-datasets,
scikit-learn's download of the Olivetti faces, and the OpenCV example photos
of the set-up cell (cvhelpers.course.hosted). The files served are small but
in the real formats; the published sizes and SHA-256 sums are replaced by
those of the small files.
"""

import contextlib
import functools
import gzip
import hashlib
import http.server
import sys
import threading
import urllib.error
from types import ModuleType

import numpy as np
import pytest

from cvhelpers.course import hosted
from cvhelpers.data import DataSourceError, faces, fashion_mnist, glyphs


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """``(folder, url)``: an HTTP server on 127.0.0.1 (a free port) serving ``folder``."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(None, functools.partial(httpd.serve_forever, poll_interval=0.05), daemon=True)
        thread.start()
        try:
            yield folder, f"http://127.0.0.1:{httpd.server_address[1]}/"
        finally:
            httpd.shutdown()
            thread.join(5)


# --------------------------------------------------------------------------- Fashion-MNIST through Keras


def _idx(magic: int, values: np.ndarray) -> bytes:
    dims = values.shape
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in dims)
    return header + values.astype(np.uint8).tobytes()


def _serve_small_fashion_mnist(folder, monkeypatch, train: int = 30, test: int = 20) -> dict:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (train, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.arange(train) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (test, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": np.arange(test)[::-1] % 10,
    }
    known = {}
    for name, values in arrays.items():
        magic = 2051 if "images" in name else 2049
        payload = _idx(magic, values)
        (folder / name).write_bytes(gzip.compress(payload, mtime=0))
        known[name] = fashion_mnist._KnownFile(magic, len(values), len(payload), hashlib.sha256(payload).hexdigest())
    monkeypatch.setattr(fashion_mnist, "_KNOWN_FILES", known)
    return arrays


def _keras_cache(tmp_path):
    """A Keras cache folder that does not exist yet: the loader creates it (Keras alone would use /tmp/.keras)."""
    return tmp_path / "keras"


def test_fashion_mnist_is_downloaded_into_the_keras_cache(server, tmp_path, monkeypatch):
    folder, url = server
    arrays = _serve_small_fashion_mnist(folder, monkeypatch)
    monkeypatch.setattr(fashion_mnist, "_FASHION_MNIST_ORIGIN", url)
    cache = _keras_cache(tmp_path)
    data = fashion_mnist.load_fashion_mnist(cache_dir=cache, debian_dir=tmp_path / "no-debian")
    np.testing.assert_array_equal(data.x_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert data.x_test.shape == (20, 28, 28) and data.y_train.dtype == np.uint8
    cached = cache / "datasets" / "fashion-mnist"
    assert sorted(path.name for path in cached.iterdir()) == sorted(arrays)
    # The second load reads the cache: the server is not asked again.
    for path in folder.iterdir():
        path.unlink()
    again = fashion_mnist.load_fashion_mnist(cache_dir=cache, debian_dir=tmp_path / "no-debian")
    np.testing.assert_array_equal(again.x_train, data.x_train)


def test_a_download_that_is_not_the_published_file_is_refused(server, tmp_path, monkeypatch):
    folder, url = server
    _serve_small_fashion_mnist(folder, monkeypatch)
    known = dict(fashion_mnist._KNOWN_FILES)
    name = "train-labels-idx1-ubyte.gz"
    known[name] = known[name]._replace(sha256="0" * 64)
    monkeypatch.setattr(fashion_mnist, "_KNOWN_FILES", known)
    monkeypatch.setattr(fashion_mnist, "_FASHION_MNIST_ORIGIN", url)
    with pytest.warns(UserWarning, match="SHA-256"), pytest.raises(DataSourceError, match=name):
        fashion_mnist.load_fashion_mnist(cache_dir=_keras_cache(tmp_path), debian_dir=tmp_path / "no-debian")


def test_a_missing_file_on_the_server_names_both_routes(server, tmp_path, monkeypatch):
    _, url = server
    monkeypatch.setattr(fashion_mnist, "_FASHION_MNIST_ORIGIN", url)
    with pytest.raises(DataSourceError, match="dataset-fashion-mnist.*\n.*download failed"):
        fashion_mnist.load_fashion_mnist(cache_dir=_keras_cache(tmp_path), debian_dir=tmp_path / "no-debian")


# --------------------------------------------------------------------------- Omniglot through tensorflow-datasets


def _fake_tfds(records, calls, error=None) -> ModuleType:
    module = ModuleType("tensorflow_datasets")

    def load(name, split, data_dir=None):
        calls.append((name, split, data_dir))
        if error is not None:
            raise error
        return records

    module.load = load
    module.as_numpy = lambda dataset: iter(dataset)
    return module


def test_omniglot_through_tensorflow_datasets(monkeypatch, tmp_path):
    records = []
    for label, alphabet in ((7, 3), (2, 3), (5, 9)):
        for drawing in range(3 if label != 5 else 4):  # a character with an extra drawing is trimmed
            image = np.full((105, 105, 3), 255, np.uint8)
            image[10:40, 10 + drawing:20 + drawing] = 0  # black ink on white, as Omniglot
            records.append({"image": image, "label": label, "alphabet": alphabet})
    calls = []
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", _fake_tfds(records, calls))
    omniglot = glyphs.load_omniglot("test", size=21, data_dir=tmp_path)
    assert calls == [("omniglot", "test", tmp_path)]
    assert omniglot.images.shape == (3, 3, 21, 21) and omniglot.images.dtype == np.uint8
    assert omniglot.characters == ("2", "5", "7")
    assert omniglot.alphabet_names == ("omniglot-3", "omniglot-9")
    np.testing.assert_array_equal(omniglot.alphabet, [0, 1, 0])
    assert omniglot.images[:, :, 0, 0].max() == 0 and omniglot.images[:, :, 4, 2].min() > 100  # white ink


def test_omniglot_download_failure_says_what_to_use_offline(monkeypatch):
    fake = _fake_tfds([], [], error=ConnectionError("no network"))
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", fake)
    with pytest.raises(DataSourceError, match="could not load omniglot.*load_glyph_alphabets"):
        glyphs.load_omniglot()


# --------------------------------------------------------------------------- faces through scikit-learn's download


def test_olivetti_faces_are_downloaded_checked_and_cached(server, tmp_path, monkeypatch):
    import scipy.io
    from sklearn.datasets import _base, _olivetti_faces

    folder, url = server
    person = np.repeat(np.arange(40), 10)
    scipy.io.savemat(folder / "olivettifaces.mat", {"faces": np.tile(person * 6, (4096, 1)).astype(np.uint8)})
    checksum = hashlib.sha256((folder / "olivettifaces.mat").read_bytes()).hexdigest()
    monkeypatch.setattr(_olivetti_faces, "FACES",
                        _base.RemoteFileMetadata("olivettifaces.mat", url + "olivettifaces.mat", checksum))
    with contextlib.redirect_stdout(None):
        loaded = faces.load_faces("olivetti", data_home=tmp_path / "sklearn")
    assert loaded.images.shape == (400, 64, 64) and loaded.images.dtype == np.uint8
    assert len(loaded.names) == 40 and sorted(set(loaded.labels)) == list(range(40))
    brightness = [loaded.images[loaded.labels == p].mean() for p in range(40)]
    assert brightness[0] == 0 and brightness[-1] == 255 and np.all(np.diff(brightness) > 0)
    for p in range(40):  # every image of a person is that person's (constant) face
        assert np.ptp(loaded.images[loaded.labels == p]) == 0
    # Once cached, the faces come back with no network at all.
    monkeypatch.setattr(faces.socket, "create_connection", lambda *a, **k: pytest.fail("no network needed"))
    (folder / "olivettifaces.mat").unlink()
    cached = faces.faces_if_available("olivetti", data_home=tmp_path / "sklearn")
    np.testing.assert_array_equal(cached.images, loaded.images)


def test_a_faces_download_with_the_wrong_checksum_is_refused(server, tmp_path, monkeypatch):
    from sklearn.datasets import _base, _olivetti_faces

    folder, url = server
    (folder / "olivettifaces.mat").write_bytes(b"not the faces")
    monkeypatch.setattr(_olivetti_faces, "FACES",
                        _base.RemoteFileMetadata("olivettifaces.mat", url + "olivettifaces.mat", "0" * 64))
    with contextlib.redirect_stdout(None), pytest.raises((DataSourceError, OSError), match="(?i)checksum|sha256"):
        faces.load_faces("olivetti", data_home=tmp_path / "sklearn")


# --------------------------------------------------------------------------- the OpenCV example photos


def test_the_opencv_photos_are_downloaded_once(server, tmp_path):
    folder, url = server
    for name in ("a.jpg", "b.jpg"):
        (folder / name).write_bytes(name.encode() * 100)
    assert hosted._fetch_photos(tmp_path / "photos", base_url=url, names=("a.jpg", "b.jpg")) == 2
    assert (tmp_path / "photos" / "data" / "b.jpg").read_bytes() == b"b.jpg" * 100
    assert hosted._fetch_photos(tmp_path / "photos", base_url=url, names=("a.jpg", "b.jpg")) == 0
    with pytest.raises(urllib.error.HTTPError, match="404"):
        hosted._fetch_photos(tmp_path / "photos", base_url=url, names=("missing.jpg",))
    assert sorted(path.name for path in (tmp_path / "photos" / "data").iterdir()) == ["a.jpg", "b.jpg"]
