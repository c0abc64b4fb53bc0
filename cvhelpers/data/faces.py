"""Real face photos for one-shot recognition, online (scikit-learn's fetchers).

:func:`load_faces` loads the Olivetti faces (40 people × 10 photos, 64×64) or
Labeled Faces in the Wild through scikit-learn's ``fetch_olivetti_faces`` /
``fetch_lfw_people``. They need a network the first time (then scikit-learn's
cache); where there is none, :func:`load_faces` raises
:class:`~cvhelpers.data.DataSourceError` with the way out, and
:func:`faces_if_available` returns ``None``, quietly, for optional notebook
cells. There is no offline package for faces: the offline one-shot set is
:func:`cvhelpers.data.glyphs.load_glyph_alphabets`.

Used in notebook 07 (with :func:`cvhelpers.methods.siamese.one_shot_experiment`).
"""

from __future__ import annotations

import math
import numbers
import socket
from typing import NamedTuple

import numpy as np

from cvhelpers.data.sources import DataSourceError
from cvhelpers.validation import check_positive_int

__all__ = [
    "FaceSet",
    "load_faces",
    "faces_if_available",
]


class FaceSet(NamedTuple):
    """Face photos for verification.

    Attributes
    ----------
    images : ndarray of shape (n, h, w), uint8
    labels : ndarray of shape (n,), int
    names : tuple of str
    """

    images: np.ndarray
    labels: np.ndarray
    names: tuple


_FACE_SETS = ("olivetti", "lfw")
_FACE_FETCHERS = {"olivetti": "fetch_olivetti_faces", "lfw": "fetch_lfw_people"}


def _check_face_name(name) -> None:
    if name not in _FACE_SETS:
        raise ValueError(f"name must be 'olivetti' or 'lfw', got {name!r}")


def load_faces(
    name: str = "olivetti", data_home=None, min_faces_per_person: int = 20, download_if_missing: bool = True
) -> FaceSet:
    """Real faces through scikit-learn's fetchers (need a network the first time).

    Parameters
    ----------
    name : {"olivetti", "lfw"}, default="olivetti"
        ``"olivetti"``: 400 images of 40 people, 64×64;
        ``"lfw"``: Labeled Faces in the Wild, people with at least
        ``min_faces_per_person`` images, 62×47.
    data_home : path-like, optional
        scikit-learn's data folder.
    min_faces_per_person : int, default=20
        An int >= 0 (0 keeps everyone); used for ``"lfw"`` only.
    download_if_missing : bool, default=True
        Passed to the fetcher: ``False`` reads scikit-learn's cache only and
        never touches the network.

    Returns
    -------
    FaceSet

    Raises
    ------
    DataSourceError
        When the download fails, or with ``download_if_missing=False`` when the
        faces are not in the cache. There is no offline package for faces; use
        :func:`cvhelpers.data.glyphs.load_glyph_alphabets` offline.
    ValueError
        For a ``name`` other than ``"olivetti"`` or ``"lfw"``, or a negative
        or non-integer ``min_faces_per_person``.
    """
    _check_face_name(name)
    check_positive_int(min_faces_per_person, "min_faces_per_person", smallest=0)
    from sklearn import datasets as skdatasets

    try:
        if name == "olivetti":
            bunch = skdatasets.fetch_olivetti_faces(data_home=data_home, download_if_missing=download_if_missing)
            names = tuple(f"person {i}" for i in range(40))
        else:
            bunch = skdatasets.fetch_lfw_people(
                data_home=data_home, min_faces_per_person=min_faces_per_person, download_if_missing=download_if_missing
            )
            names = tuple(bunch.target_names)
    except OSError as error:  # URLError and socket errors are OSErrors
        fetcher = _FACE_FETCHERS[name]
        if not download_if_missing:
            raise DataSourceError(
                f"the {name} faces are not in scikit-learn's cache ({error}) and download_if_missing=False; "
                f"call {fetcher} once with a network"
            ) from error
        raise DataSourceError(
            f"scikit-learn's {fetcher} could not download the {name} faces ({error}); it needs a network "
            "the first time. Offline, use cvhelpers.data.glyphs.load_glyph_alphabets() (Debian fonts-noto-core)"
        ) from error
    images = np.asarray(bunch.images, np.float32)
    if images.max() <= 1.0:
        images = images * 255
    return FaceSet(np.clip(np.round(images), 0, 255).astype(np.uint8), np.asarray(bunch.target, int), names)


#: Where scikit-learn's Olivetti and LFW fetchers download from (scikit-learn 1.x).
_FACE_HOST = "ndownloader.figshare.com"


def faces_if_available(name: str = "olivetti", data_home=None, timeout: float = 3.0) -> FaceSet | None:
    """Real faces if they are cached or downloadable now, else ``None``.

    For optional notebook cells: scikit-learn's cache is read first (no
    network); if the faces are not there, a TCP connection to the fetcher's
    download server (port 443) is tried for at most ``timeout`` seconds, and
    only if it answers is the fetcher called to download them (it prints
    what it downloads). Offline, the fetcher is never called, so its retries
    (each a "Retry downloading" warning and a pause) do not happen and the
    call is silent.

    Parameters
    ----------
    name : {"olivetti", "lfw"}, default="olivetti"
        As :func:`load_faces` (LFW with its default ``min_faces_per_person=20``;
        its first download is about 200 MB).
    data_home : path-like, optional
        scikit-learn's data folder.
    timeout : float, default=3.0
        Seconds to wait for the download server; positive and finite. It
        bounds the connection, not the name lookup before it (fast where
        there is no resolver, as on an offline machine) nor the download.

    Returns
    -------
    FaceSet or None
        ``None`` when the faces are neither cached nor downloadable (no
        network, server down, or the download failed).

    Raises
    ------
    ValueError
        For a ``name`` other than ``"olivetti"`` or ``"lfw"``, or a ``timeout``
        that is not a positive finite number.

    Examples
    --------
    >>> faces = faces_if_available("olivetti")  # doctest: +SKIP
    >>> if faces is None:  # doctest: +SKIP
    ...     print("no faces offline: skipping the cell")
    """
    _check_face_name(name)
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not (
        math.isfinite(timeout) and timeout > 0
    ):
        raise ValueError(f"timeout must be a positive finite number of seconds, got {timeout!r}")
    try:
        return load_faces(name, data_home=data_home, download_if_missing=False)
    except DataSourceError:
        pass
    try:
        with socket.create_connection((_FACE_HOST, 443), timeout=float(timeout)):
            pass
    except OSError:  # no route, refused, DNS failure, timeout
        return None
    try:
        return load_faces(name, data_home=data_home, download_if_missing=True)
    except DataSourceError:
        return None
