"""Tests for cvhelpers.data.faces: the online face loaders."""

import urllib.error

import numpy as np
import pytest
from numpy.testing import assert_allclose

import cvhelpers.data.faces
from cvhelpers.data import DataSourceError


def test_faces_offline_error_names_the_fetcher(monkeypatch):
    from sklearn import datasets as skdatasets

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(skdatasets, "fetch_olivetti_faces", offline)
    monkeypatch.setattr(skdatasets, "fetch_lfw_people", offline)
    with pytest.raises(DataSourceError, match="fetch_olivetti_faces"):
        cvhelpers.data.faces.load_faces("olivetti")
    with pytest.raises(DataSourceError, match="fetch_lfw_people"):
        cvhelpers.data.faces.load_faces("lfw")
    with pytest.raises(ValueError, match="name"):
        cvhelpers.data.faces.load_faces("mnist")


def test_faces_converts_to_uint8(monkeypatch):
    from types import SimpleNamespace

    from sklearn import datasets as skdatasets

    fake = SimpleNamespace(images=np.full((2, 4, 4), 0.5, np.float32), target=np.array([0, 1]))
    monkeypatch.setattr(skdatasets, "fetch_olivetti_faces", lambda **kwargs: fake)
    faces = cvhelpers.data.faces.load_faces("olivetti")
    assert faces.images.dtype == np.uint8 and (faces.images == 128).all()
    assert_allclose(faces.labels, [0, 1])


def test_faces_if_available_offline_is_quiet_and_skips_the_fetcher(monkeypatch, capsys):
    """Offline, the cell that asks for faces shows nothing: no output, no warning, no retries."""
    import socket
    import warnings

    from sklearn import datasets as skdatasets

    cache_reads = []

    def not_cached(*args, download_if_missing=True, **kwargs):
        if download_if_missing:
            raise AssertionError("offline, the fetcher must not be asked to download")
        cache_reads.append(kwargs)
        raise OSError("Data not found and `download_if_missing` is False")

    hosts = []

    def unreachable(address, timeout=None, *args, **kwargs):
        hosts.append((address, timeout))
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(skdatasets, "fetch_olivetti_faces", not_cached)
    monkeypatch.setattr(skdatasets, "fetch_lfw_people", not_cached)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cvhelpers.data.faces.faces_if_available("olivetti", timeout=0.5) is None
        assert cvhelpers.data.faces.faces_if_available("lfw") is None
    assert len(cache_reads) == 2  # the cache was read, nothing downloaded
    assert hosts == [(("ndownloader.figshare.com", 443), 0.5), (("ndownloader.figshare.com", 443), 3.0)]
    assert capsys.readouterr().out == ""


def test_faces_if_available_returns_the_cached_set(monkeypatch):
    import socket
    import warnings
    from types import SimpleNamespace

    from sklearn import datasets as skdatasets

    fake = SimpleNamespace(images=np.full((2, 4, 4), 0.5, np.float32), target=np.array([0, 1]))
    calls = []

    def cached(*args, **kwargs):
        calls.append(kwargs)
        return fake

    def no_network(*args, **kwargs):
        raise AssertionError("a cached set needs no network check")

    monkeypatch.setattr(skdatasets, "fetch_olivetti_faces", cached)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        faces = cvhelpers.data.faces.faces_if_available("olivetti")
    assert isinstance(faces, cvhelpers.data.faces.FaceSet)
    assert faces.images.dtype == np.uint8 and (faces.images == 128).all()
    assert_allclose(faces.labels, [0, 1])
    assert [call["download_if_missing"] for call in calls] == [False]


def test_faces_if_available_downloads_when_the_server_answers(monkeypatch, tmp_path):
    import contextlib
    import socket
    from types import SimpleNamespace

    from sklearn import datasets as skdatasets

    fake = SimpleNamespace(images=np.zeros((2, 3, 3), np.float32), target=np.array([0, 1]), target_names=["a", "b"])
    calls = []

    def fetch(*args, download_if_missing=True, **kwargs):
        calls.append(download_if_missing)
        if not download_if_missing:
            raise OSError("not cached")
        return fake

    monkeypatch.setattr(skdatasets, "fetch_lfw_people", fetch)
    monkeypatch.setattr(socket, "create_connection", lambda *args, **kwargs: contextlib.nullcontext())
    faces = cvhelpers.data.faces.faces_if_available("lfw", data_home=tmp_path)
    assert faces.names == ("a", "b") and calls == [False, True]
    # A download that fails after the server answered still gives None, not an error.
    monkeypatch.setattr(skdatasets, "fetch_lfw_people", lambda **kwargs: (_ for _ in ()).throw(OSError("reset")))
    assert cvhelpers.data.faces.faces_if_available("lfw", data_home=tmp_path) is None


@pytest.mark.parametrize("timeout", [0, -1.0, float("inf"), float("nan"), "3", None, True])
def test_faces_if_available_rejects_bad_timeout(timeout):
    with pytest.raises(ValueError, match="timeout"):
        cvhelpers.data.faces.faces_if_available("olivetti", timeout=timeout)


def test_faces_if_available_rejects_bad_name():
    with pytest.raises(ValueError, match="name.*'olivetti' or 'lfw'"):
        cvhelpers.data.faces.faces_if_available("mnist")


def test_load_faces_cache_only_error_says_so(monkeypatch):
    from sklearn import datasets as skdatasets

    seen = []

    def not_cached(*args, **kwargs):
        seen.append(kwargs["download_if_missing"])
        raise OSError("Data not found and `download_if_missing` is False")

    monkeypatch.setattr(skdatasets, "fetch_olivetti_faces", not_cached)
    with pytest.raises(DataSourceError, match="not in scikit-learn's cache"):
        cvhelpers.data.faces.load_faces("olivetti", download_if_missing=False)
    assert seen == [False]


@pytest.mark.parametrize("minimum", [-1, 2.5, "20", True])
def test_load_faces_refuses_a_bad_minimum_before_fetching(minimum, monkeypatch):
    from sklearn import datasets as skdatasets

    def never(*args, **kwargs):
        raise AssertionError("a bad argument must be refused before the fetcher runs")

    monkeypatch.setattr(skdatasets, "fetch_lfw_people", never)
    with pytest.raises(ValueError, match="min_faces_per_person"):
        cvhelpers.data.faces.load_faces("lfw", min_faces_per_person=minimum)
