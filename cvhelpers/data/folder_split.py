"""A stratified train/validation/test split of a user's folder, kept in a JSON manifest.

:func:`split_folder` splits the images :func:`cvhelpers.data.load_image_folder`
loaded, class by class (so every class has at least one image in each
split), with :func:`sklearn.model_selection.train_test_split` and a seed.
The split is a :class:`FolderSplit`: per file its path relative to the
folder and its split, plus the class names kept and the classes refused
(fewer than :data:`MIN_PER_CLASS` readable images). :meth:`FolderSplit.to_json`
is the manifest; passing it back (``manifest=``) makes a rerun reuse the
same split. :func:`folder_arrays` turns a folder into the arrays of
:meth:`cvhelpers.experiment.LongTailProtocol.from_folder`.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cvhelpers.validation import check_number, check_seed

__all__ = ["MIN_PER_CLASS", "SPLITS", "FolderSplit", "split_folder", "load_split", "folder_arrays"]

#: A class needs one readable image in each split.
MIN_PER_CLASS = 3
SPLITS = ("train", "val", "test")
_VERSION = 1


@dataclass
class FolderSplit:
    """Which split each loaded image belongs to.

    Attributes
    ----------
    class_names : list of str
        The classes kept, sorted; labels index into it.
    files : list of dict
        One per image of a kept class, sorted by path: ``path`` (relative to
        the folder, POSIX), ``class_name`` and ``split`` (one of :data:`SPLITS`).
    refused : dict of str to int
        Classes left out and their readable images (fewer than
        :data:`MIN_PER_CLASS`).
    seed : int
    fractions : dict of str to float
        ``val`` and ``test``, the share of each class they get.

    Raises
    ------
    TypeError
        When ``class_names`` is not a list of str.
    ValueError
        When a row of ``files`` lacks a path, a known class or a split.
    """

    class_names: list
    files: list
    refused: dict = field(default_factory=dict)
    seed: int = 0
    fractions: dict = field(default_factory=lambda: {"val": 0.15, "test": 0.15})

    def __post_init__(self):
        if not isinstance(self.class_names, list) or not all(isinstance(n, str) for n in self.class_names):
            raise TypeError(f"class_names must be a list of str, got {self.class_names!r}")
        if not isinstance(self.files, list) or not all(
                isinstance(row, dict) and isinstance(row.get("path"), str) and row.get("split") in SPLITS
                and row.get("class_name") in self.class_names for row in self.files):
            raise ValueError("files must be a list of dicts with a str 'path', a 'class_name' of class_names and "
                             f"a 'split' in {SPLITS}")
        self.files = sorted(self.files, key=lambda row: row["path"])

    def to_json(self) -> str:
        """The manifest: a JSON text with ``version, seed, fractions, class_names, refused, files``."""
        payload = {"version": _VERSION, "seed": self.seed, "fractions": self.fractions,
                   "class_names": list(self.class_names), "refused": dict(self.refused),
                   "files": self.files}
        return json.dumps(payload, indent=1) + "\n"

    @property
    def sha256(self) -> str:
        """SHA-256 of :meth:`to_json`: the split's identity."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def counts(self) -> dict:
        """Images per split and class: ``{split: {class_name: n}}``."""
        out = {split: dict.fromkeys(self.class_names, 0) for split in SPLITS}
        for row in self.files:
            out[row["split"]][row["class_name"]] += 1
        return out


def load_split(manifest) -> FolderSplit:
    """Read a manifest written from :meth:`FolderSplit.to_json`.

    Parameters
    ----------
    manifest : path-like or str
        The JSON file, or its text (a str that starts with ``{``).

    Returns
    -------
    FolderSplit

    Raises
    ------
    TypeError
        When ``manifest`` is neither a path nor a str.
    FileNotFoundError
        When the file does not exist.
    ValueError
        When it is not a split manifest (naming ``manifest``).
    """
    if not isinstance(manifest, (str, os.PathLike)):
        raise TypeError(f"manifest must be a path or a JSON text, got {type(manifest).__name__}")
    text = manifest if isinstance(manifest, str) and manifest.lstrip().startswith("{") else Path(manifest).read_text()
    try:
        payload = json.loads(text)
        if payload.get("version") != _VERSION:
            raise ValueError(f"version {payload.get('version')!r} is not {_VERSION}")
        split = FolderSplit([str(n) for n in payload["class_names"]], list(payload["files"]),
                            dict(payload.get("refused", {})), int(payload["seed"]), dict(payload["fractions"]))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"manifest is not a split manifest ({error})") from error
    return split


def split_folder(folder, root, *, val_fraction: float = 0.15, test_fraction: float = 0.15, seed: int = 0,
                 manifest=None) -> FolderSplit:
    """Split a loaded folder into train, validation and test, stratified by class.

    Each class with at least :data:`MIN_PER_CLASS` readable images gets
    ``max(1, round(n * test_fraction))`` test images, then
    ``max(1, round(n * val_fraction))`` validation images, the rest (at
    least one) for training, drawn with
    :func:`sklearn.model_selection.train_test_split` (``random_state=seed``).
    Smaller classes are left out with a warning naming them and their counts.

    Parameters
    ----------
    folder : cvhelpers.data.ImageFolder
        What :func:`cvhelpers.data.load_image_folder` returned for ``root``.
    root : path-like
        The folder it was loaded from (paths are stored relative to it).
    val_fraction, test_fraction : float in (0, 1), default=0.15
        Together below 1.
    seed : int, default=0
    manifest : path-like or str, optional
        An earlier split (:func:`load_split`) to reuse; it must list the
        same images.

    Returns
    -------
    FolderSplit

    Raises
    ------
    TypeError
        When ``folder`` is not an ``ImageFolder``.
    ValueError
        Naming the argument: fractions out of range, a bad ``seed``, fewer
        than 2 classes with enough images (naming the folder and the counts),
        or a ``manifest`` that does not list the folder's images.

    Warns
    -----
    UserWarning
        When classes are refused for having too few images.
    """
    from cvhelpers.data.image_folder import ImageFolder

    if not isinstance(folder, ImageFolder):
        raise TypeError(f"folder must be an ImageFolder (load_image_folder), got {type(folder).__name__}")
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a folder path, got {type(root).__name__}")
    val_fraction = check_number(val_fraction, "val_fraction", low=0, high=1, low_open=True)
    test_fraction = check_number(test_fraction, "test_fraction", low=0, high=1, low_open=True)
    if val_fraction + test_fraction >= 1:
        raise ValueError(f"val_fraction + test_fraction must be below 1, got {val_fraction} + {test_fraction}")
    seed = check_seed(seed)
    paths = _relative_paths(folder, root)
    if manifest is not None:
        return _reused(load_split(manifest), folder, paths)
    counts = {name: int(n) for name, n in zip(folder.class_names, np.bincount(folder.labels, minlength=len(
        folder.class_names)), strict=True)}
    refused = {name: n for name, n in counts.items() if n < MIN_PER_CLASS}
    kept = [name for name in folder.class_names if name not in refused]
    if refused:
        listed = ", ".join(f"{name!r} ({n})" for name, n in refused.items())
        warnings.warn(f"left out classes with fewer than {MIN_PER_CLASS} readable images (one per split): {listed}",
                      UserWarning, stacklevel=2)
    if len(kept) < 2:
        raise ValueError(f"{root} needs at least 2 classes with {MIN_PER_CLASS} or more readable images each; "
                         f"images per class: {counts}")
    return FolderSplit(kept, _assign(folder, paths, kept, val_fraction, test_fraction, seed), refused, seed,
                       {"val": val_fraction, "test": test_fraction})


def _relative_paths(folder, root) -> list:
    base = Path(root)
    return [Path(path).relative_to(base).as_posix() for path in folder.paths]


def _assign(folder, paths, kept, val_fraction, test_fraction, seed) -> list:
    from sklearn.model_selection import train_test_split

    files = []
    for name in kept:
        members = np.flatnonzero(folder.labels == folder.class_names.index(name))
        n = len(members)
        n_test = max(1, round(n * test_fraction))
        n_val = max(1, round(n * val_fraction))
        n_test = min(n_test, n - 2)
        n_val = min(n_val, n - 1 - n_test)
        rest, test = train_test_split(members, test_size=n_test, random_state=seed)
        train, val = train_test_split(rest, test_size=n_val, random_state=seed)
        for split, indices in (("train", train), ("val", val), ("test", test)):
            files.extend({"path": paths[i], "class_name": name, "split": split} for i in sorted(indices))
    return files


def _reused(split: FolderSplit, folder, paths) -> FolderSplit:
    listed = {row["path"] for row in split.files}
    loaded = {path for path, label in zip(paths, folder.labels, strict=True)
              if folder.class_names[label] in split.class_names}
    if listed != loaded:
        raise ValueError(f"manifest lists {len(listed - loaded)} image(s) not loaded now and misses "
                         f"{len(loaded - listed)} loaded one(s): the folder changed since the split was made; "
                         "delete the manifest to split again")
    return split


def folder_arrays(path, image_size=64, *, mode: str = "RGB", seed: int = 0, val_fraction: float = 0.15,
                  test_fraction: float = 0.15, manifest=None, progress: bool = True) -> dict:
    """Load, letterbox and split a folder into the arrays of a long-tail protocol.

    Parameters
    ----------
    path : path-like
        A folder with one subfolder per class.
    image_size : int or (height, width), default=64
        Images are padded to this size keeping their aspect ratio
        (``load_image_folder(resize="pad")``).
    mode : {"RGB", "L"}, default="RGB"
    seed, val_fraction, test_fraction, manifest
        As in :func:`split_folder`.
    progress : bool, default=True

    Returns
    -------
    dict
        ``x_train, y_train, x_val, y_val, x_test, y_test`` (images
        (n, h, w, c) uint8, labels (n,) int64 re-indexed over the kept
        classes), ``split`` (:class:`FolderSplit`), ``problems`` (the files
        skipped and why, a DataFrame), ``folder`` (the ``ImageFolder``),
        ``manifest`` (its per-file table with a ``split`` column: None for
        skipped files and refused classes).

    Raises
    ------
    FileNotFoundError, NotADirectoryError, TypeError, ValueError
        As :func:`cvhelpers.data.load_image_folder` and :func:`split_folder`.
    """
    from cvhelpers.data.image_folder import load_image_folder

    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    size = (image_size, image_size) if isinstance(image_size, (int, np.integer)) else image_size
    folder = load_image_folder(path, size=size, mode=mode, progress=progress, resize="pad")
    split = split_folder(folder, path, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed,
                         manifest=manifest)
    where = {row["path"]: row["split"] for row in split.files}
    paths = _relative_paths(folder, path)
    manifest = folder.manifest.copy()
    manifest["split"] = None
    manifest.loc[manifest["status"] == "ok", "split"] = [where.get(p) for p in paths]
    out = {"split": split, "problems": folder.problems, "folder": folder, "manifest": manifest}
    for name in SPLITS:
        chosen = [i for i, p in enumerate(paths) if where.get(p) == name]
        labels = [split.class_names.index(folder.class_names[folder.labels[i]]) for i in chosen]
        out[f"x_{name}"] = folder.images[chosen]
        out[f"y_{name}"] = np.asarray(labels, dtype=np.int64)
    return out
