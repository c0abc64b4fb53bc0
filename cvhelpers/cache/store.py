"""The cache on disk: entries of a few files named by kind and key, written atomically.

:func:`entry_for` is what trainers call; :class:`ModelCache` and
:class:`CacheEntry` are the folder and one entry; :func:`write_atomically`
is also used for the course's result records.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from cvhelpers.cache.fingerprint import NotCacheable, _canonical, describe
from cvhelpers.paths import build_dir

__all__ = ["CacheWarning", "ModelCache", "CacheEntry", "default_cache_dir", "entry_for", "write_atomically"]

_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_KEY = re.compile(r"[0-9a-f]{32}")


class CacheWarning(UserWarning):
    """A cache entry was unusable (and retrained), or a result could not be cached."""


def default_cache_dir() -> Path:
    """``$CVLAB_MODEL_CACHE``; else ``models`` in :func:`cvhelpers.paths.build_dir`.

    That is ``build/models`` in the cvlab checkout, else under the current folder.
    """
    if os.environ.get("CVLAB_MODEL_CACHE"):
        return Path(os.environ["CVLAB_MODEL_CACHE"])
    return build_dir() / "models"


# --------------------------------------------------------------------------
# the cache on disk
# --------------------------------------------------------------------------
class ModelCache:
    """A folder of cache entries, each a few files named ``<kind>-<key><suffix>``.

    Parameters
    ----------
    folder : path-like, optional
        Default :func:`default_cache_dir`.

    Examples
    --------
    >>> entry = ModelCache("/tmp/models").entry("fit", {"seed": 0})   # doctest: +SKIP
    >>> entry.load(lambda meta: meta["history"])                      # doctest: +SKIP
    """

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        if self.folder.exists() and not self.folder.is_dir():
            raise NotADirectoryError(f"folder must be a folder for the model cache, got the file {self.folder}")

    def entry(self, kind: str, config) -> CacheEntry:
        """The entry for ``config`` (described and hashed with :func:`key_of`)."""
        described = describe(config)
        return CacheEntry(self, kind, hashlib.sha256(_canonical(described).encode()).hexdigest()[:32], described)

    def path(self, kind: str, key: str, suffix: str) -> Path:
        """Where an entry's file lives; refuses anything that could leave the folder.

        Raises
        ------
        ValueError
            When ``kind`` is not a short lowercase word, ``key`` not 32
            lowercase hex digits, or ``suffix`` not of the form ``.name``.
        """
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise ValueError(f"kind must be a short lowercase word ([a-z][a-z0-9_]*), got {kind!r}")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"key must be 32 lowercase hex digits (from key_of), got {key!r}")
        if not isinstance(suffix, str) or not re.fullmatch(r"(\.[a-z0-9_]+)+", suffix):
            raise ValueError(f"suffix must look like '.json' or '.weights.h5', got {suffix!r}")
        return self.folder / f"{kind}-{key}{suffix}"


class CacheEntry:
    """One cached result: a ``.json`` of metadata (written last) and data files.

    Attributes
    ----------
    kind : str
        Which trainer wrote it (``"fit"``, ``"gan"``, ``"simclr"``).
    key : str
        32 hex digits.
    config : JSON-able
        The description the key was made from; stored in the ``.json`` and
        compared on load.
    """

    def __init__(self, cache: ModelCache, kind: str, key: str, config):
        self.cache, self.kind, self.key, self.config = cache, kind, key, config
        self.meta_path = cache.path(kind, key, ".json")

    def file(self, suffix: str) -> Path:
        """The path of this entry's data file with ``suffix`` (e.g. ``".weights.h5"``)."""
        return self.cache.path(self.kind, self.key, suffix)

    def load(self, read: Callable[[dict], object]):
        """``read(meta)`` if the entry is there and sound, else None.

        ``read`` gets the stored metadata and loads the data files itself
        (via :meth:`file`). When the metadata cannot be parsed, its stored
        description differs from this entry's, or ``read`` raises, the
        problem is reported with the path in a :class:`CacheWarning`, the
        entry is removed, and None is returned so that the caller retrains.
        """
        if not self.meta_path.is_file():
            return None
        try:
            meta = json.loads(self.meta_path.read_text())
            if not isinstance(meta, dict) or _canonical(meta.get("config")) != _canonical(self.config):
                raise ValueError("it was stored for another configuration")
            return read(meta)
        except Exception as error:  # any unreadable entry is retrained, never served
            warnings.warn(
                f"cache entry {self.meta_path} is unusable ({type(error).__name__}: {error}); retraining",
                CacheWarning, stacklevel=3,
            )
            self.remove()
            return None

    def save(self, meta: dict, files: dict | None = None) -> None:
        """Write the data files, then the metadata, each atomically under a unique temporary name.

        Parameters
        ----------
        meta : dict
            JSON-able; the entry's ``config`` is added.
        files : dict of str to callable, optional
            Suffix -> ``write(path)`` that writes the file (e.g.
            ``model.save_weights``). The temporary path ends with the same
            suffix, as Keras requires.
        """
        text = json.dumps({**meta, "config": self.config})
        for suffix, write in (files or {}).items():
            write_atomically(self.file(suffix), write)
        write_atomically(self.meta_path, lambda temporary: Path(temporary).write_text(text))

    def remove(self) -> None:
        """Delete the entry's files (metadata first, so a half-removed entry is never read)."""
        for path in [self.meta_path, *self.meta_path.parent.glob(f"{self.kind}-{self.key}.*")]:
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def entry_for(kind: str, config, cache_dir=None, what: str = "model") -> CacheEntry | None:
    """The cache entry for ``config``, or None when it cannot be keyed.

    The trainers' one way in: when :func:`describe` raises
    :class:`NotCacheable`, a :class:`CacheWarning` says that ``what`` is
    trained but not cached, and why.
    """
    try:
        return ModelCache(cache_dir).entry(kind, config)
    except NotCacheable as error:
        warnings.warn(f"this {what} is trained but not cached: {error}", CacheWarning, stacklevel=3)
        return None


def write_atomically(path, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)``, then rename the file to ``path``.

    The temporary name is unique (``tempfile.mkstemp`` in the same folder)
    and ends with ``path``'s suffixes, so writers that check the extension
    (``model.save_weights`` wants ``.weights.h5``) accept it. The file gets
    the permissions a plain ``open`` would give (``mkstemp`` makes it
    private). On any error the temporary file is removed and the error
    re-raised; ``path`` is untouched.
    """
    if not callable(write):
        raise TypeError(f"write must be a function of the temporary path, got {type(write).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"path must name a file, got the folder {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".weights.h5" if path.name.endswith(".weights.h5") else path.suffix
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        write(temporary)
        os.replace(temporary, path)
    except BaseException:  # KeyboardInterrupt too: leave no temporary file behind
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path
