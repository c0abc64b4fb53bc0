"""Glyph alphabets in the style of Omniglot, offline, and the real ones online.

Omniglot (Lake et al. 2015) has 1,623 characters from 50 alphabets, each drawn
by 20 people. It needs a download. :func:`load_glyph_alphabets` builds a set of
the same shape with no network: the letters of about 150 scripts are rendered
from the Debian package ``fonts-noto-core`` (one font per script) and each is
redrawn by 20 random "writers" (stroke width, affine and elastic distortion).

Cleaning, done once on the clean renderings:

* letters only (Unicode category L), no precomposed or compatibility forms
  (accented Latin, Arabic presentation forms), and one case per script;
* letters of another script that a font carries (Latin in a Cherokee font)
  are dropped; Latin, Greek and Cyrillic come from ``NotoSans`` itself;
* glyphs that render empty or tiny are dropped;
* near-identical glyphs **across the whole set** (pixel correlation above
  0.95 at the working size: the plain vertical stroke of many scripts, Latin
  look-alikes in Cherokee, Lisu, Osage, Coptic, ...) keep only their first
  occurrence, so no episode holds two classes that cannot be told apart and
  no look-alike leaks across the background/evaluation split;
* scripts left with fewer than ``min_letters`` letters are dropped, and large
  syllabaries are subsampled to ``max_letters`` letters (Omniglot has 14–55).

Ink is normalized (each drawing is scaled so its brightest stroke is 255)
before the soft threshold, so thin or wide glyphs never fade away.

The rendering is :mod:`cvhelpers.data.glyph_rendering` (its names are
re-exported here). The rendered set is cached under ``data/cache/`` (one ``.npz`` per set of
arguments and version of this module's source), so a notebook renders it once.

:func:`load_omniglot` (tensorflow-datasets) loads real Omniglot where there is
a network, and raises :class:`~cvhelpers.data.DataSourceError` with the way
out where there is none. Real faces for the same one-shot pipeline are in
:mod:`cvhelpers.data.faces`.

Used in notebook 07.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvhelpers.cache import CacheWarning, key_of, source_fingerprint, write_atomically
from cvhelpers.data.glyph_rendering import (
    DISTORTION,
    dedupe,
    draw_writers,
    render_clean,
    script_fonts,
    script_letters,
)
from cvhelpers.data.sources import NOTO_DIR, DataSourceError
from cvhelpers.paths import data_dir, project_root
from cvhelpers.validation import check_labels, check_number, check_positive_int, check_seed

__all__ = [
    "NOTO_DIR",
    "GlyphSet",
    "script_fonts",
    "script_letters",
    "render_clean",
    "draw_writers",
    "DISTORTION",
    "dedupe",
    "load_glyph_alphabets",
    "split_alphabets",
    "default_cache_dir",
    "load_omniglot",
]


def default_cache_dir() -> Path:
    """``$CVLAB_CACHE_DIR``; else ``data/cache`` in the checkout; else ``~/.cache/cvlab``.

    The checkout is :func:`cvhelpers.paths.project_root`.
    """
    if os.environ.get("CVLAB_CACHE_DIR"):
        return Path(os.environ["CVLAB_CACHE_DIR"])
    if project_root() is not None:
        return data_dir() / "cache"
    return Path.home() / ".cache" / "cvlab"


@dataclass
class GlyphSet:
    """Characters drawn by several writers, grouped by alphabet.

    Attributes
    ----------
    images : ndarray of shape (n_chars, n_drawings, size, size), uint8
        White ink on black.
    alphabet : ndarray of shape (n_chars,), int
        Index into ``alphabet_names`` for each character.
    alphabet_names : tuple of str
    characters : tuple of str
        The Unicode character (or an id) of each class.
    """

    images: np.ndarray
    alphabet: np.ndarray
    alphabet_names: tuple
    characters: tuple

    def __post_init__(self):
        self.images = np.asarray(self.images)
        if self.images.ndim != 4:
            raise ValueError(
                f"images must have shape (n_chars, n_drawings, size, size), got {self.images.shape}"
            )
        n_chars = self.images.shape[0]
        if len(self.characters) != n_chars:
            raise ValueError(f"characters has {len(self.characters)} entries but images holds {n_chars} characters")
        if n_chars or len(self.alphabet):
            check_labels(self.alphabet, "alphabet", num_classes=len(self.alphabet_names), length=n_chars,
                         length_of="characters in images")

    @property
    def n_chars(self) -> int:
        return int(self.images.shape[0])

    @property
    def n_drawings(self) -> int:
        return int(self.images.shape[1])

    def subset(self, chars) -> GlyphSet:
        """The characters ``chars`` (indices), alphabets renumbered densely."""
        chars = np.asarray(chars)
        if chars.size and not np.issubdtype(chars.dtype, np.integer):
            raise TypeError(f"chars must be character indices (ints), got dtype {chars.dtype}; "
                            "for a boolean mask pass np.flatnonzero(mask)")
        chars = chars.astype(int)
        used = np.unique(self.alphabet[chars])
        remap = {old: new for new, old in enumerate(used)}
        return GlyphSet(
            self.images[chars],
            np.array([remap[a] for a in self.alphabet[chars]], int),
            tuple(self.alphabet_names[a] for a in used),
            tuple(self.characters[c] for c in chars),
        )

    def flat(self) -> tuple:
        """``(x, y, alphabet)``: x (n_chars*n_drawings, size, size) uint8; y, alphabet (n,) int."""
        n, k = self.images.shape[:2]
        x = self.images.reshape(n * k, *self.images.shape[2:])
        return x, np.repeat(np.arange(n), k), np.repeat(self.alphabet, k)


def load_glyph_alphabets(
    max_scripts: int | None = None,
    writers: int = 20,
    size: int = 28,
    strength: float = 1.0,
    max_letters: int = 55,
    min_letters: int = 10,
    dedupe_threshold: float = 0.95,
    seed: int = 0,
    font_dir=NOTO_DIR,
    cache_dir=None,
    use_cache: bool = True,
) -> GlyphSet:
    """The offline Omniglot-style set: Noto letters redrawn by random writers.

    Parameters
    ----------
    max_scripts : int, optional
        Use only this many scripts (a seeded sample), for a quick profile;
        ``None`` uses all of them (about 150).
    writers : int, default=20
        Drawings per character (Omniglot has 20).
    size : int, default=28
        Side of each drawing, px.
    strength : float, default=1.0
        Distortion strength, see :func:`draw_writers`.
    max_letters, min_letters : int, default=55, 10
        Scripts with more letters are subsampled (seeded); with fewer, dropped.
    dedupe_threshold : float, default=0.95
        See :func:`dedupe`.
    seed : int, default=0
    font_dir : path-like, default=NOTO_DIR
    cache_dir : path-like, optional
        Default :func:`default_cache_dir`.
    use_cache : bool, default=True
        Read and write the cache.

    Returns
    -------
    GlyphSet
        ``images`` of shape (n_chars, writers, size, size), uint8.

    Raises
    ------
    DataSourceError
        When fonts-noto-core is not installed.
    TypeError, ValueError
        Naming the argument, for a bad one; checked before anything is read or rendered.
    """
    _check_build_arguments(max_scripts, writers, size, strength, max_letters, min_letters, dedupe_threshold, seed)
    for value, name in ((font_dir, "font_dir"), (cache_dir, "cache_dir")):
        if not (isinstance(value, (str, os.PathLike)) or (value is None and name == "cache_dir")):
            raise TypeError(f"{name} must be a folder path (str or path-like), got {type(value).__name__} {value!r}")
    params = dict(
        source=source_fingerprint(_build), max_scripts=max_scripts, writers=writers, size=size,
        strength=float(strength), max_letters=max_letters, min_letters=min_letters,
        dedupe_threshold=dedupe_threshold, seed=seed, font_dir=str(font_dir),
    )
    path = Path(cache_dir or default_cache_dir()) / f"glyphs_{key_of(params)}.npz"
    if use_cache and path.is_file():
        try:
            with np.load(path) as data:
                return GlyphSet(
                    data["images"],
                    data["alphabet"],
                    tuple(str(name) for name in data["alphabet_names"]),
                    tuple(str(char) for char in data["characters"]),
                )
        except Exception as error:  # a truncated or foreign file is rebuilt, never served
            warnings.warn(f"glyph cache {path} is unreadable ({type(error).__name__}: {error}); rebuilding",
                          CacheWarning, stacklevel=2)
    glyphs = _build(font_dir, max_scripts, writers, size, strength, max_letters, min_letters, dedupe_threshold, seed)
    if use_cache:
        write_atomically(path, lambda temporary: np.savez(
            temporary, images=glyphs.images, alphabet=glyphs.alphabet,
            alphabet_names=np.array(glyphs.alphabet_names), characters=np.array(glyphs.characters),
        ))
    return glyphs


def _check_build_arguments(max_scripts, writers, size, strength, max_letters, min_letters, threshold, seed) -> None:
    if max_scripts is not None:
        check_positive_int(max_scripts, "max_scripts", smallest=2)
    check_positive_int(writers, "writers")
    check_positive_int(size, "size", smallest=8)
    check_number(strength, "strength", low=0)
    if check_positive_int(max_letters, "max_letters") < check_positive_int(min_letters, "min_letters"):
        raise ValueError(f"need min_letters <= max_letters, got min_letters={min_letters}, max_letters={max_letters}")
    check_number(threshold, "dedupe_threshold", low=0, high=1, low_open=True)
    check_seed(seed)


def _build(font_dir, max_scripts, writers, size, strength, max_letters, min_letters, threshold, seed) -> GlyphSet:
    import cv2

    fonts = script_fonts(font_dir)
    names = list(fonts)
    rng = np.random.default_rng(seed)
    clean, owners, chars = [], [], []
    for script in names:
        letters = script_letters(fonts[script], script)
        if len(letters) < min_letters:
            continue
        if len(letters) > 2 * max_letters:  # large syllabaries: render a seeded sample
            letters = [letters[i] for i in np.sort(rng.choice(len(letters), 2 * max_letters, replace=False))]
        images, letters = render_clean(fonts[script], letters)
        if len(letters) < min_letters:
            continue
        clean.append(images)
        owners.extend([script] * len(letters))
        chars.extend(letters)
    clean = np.concatenate(clean)
    owners = np.array(owners)
    small = np.stack([cv2.resize(g, (size, size), interpolation=cv2.INTER_AREA) for g in clean])
    keep = dedupe(small, threshold)
    clean, owners, chars = clean[keep], owners[keep], [chars[i] for i in keep]
    # Per script: drop if too few letters, subsample if too many.
    selected, scripts = [], []
    for script in dict.fromkeys(owners):
        members = np.flatnonzero(owners == script)
        if len(members) < min_letters:
            continue
        if len(members) > max_letters:
            members = np.sort(rng.choice(members, max_letters, replace=False))
        selected.append(members)
        scripts.append(script)
    if max_scripts is not None and max_scripts < len(scripts):
        picks = np.sort(rng.choice(len(scripts), max_scripts, replace=False))
        selected, scripts = [selected[i] for i in picks], [scripts[i] for i in picks]
    index = np.concatenate(selected)
    alphabet = np.concatenate([np.full(len(m), a) for a, m in enumerate(selected)])
    images = draw_writers(clean[index], writers=writers, size=size, strength=strength, seed=seed)
    return GlyphSet(images, alphabet.astype(int), tuple(scripts), tuple(chars[i] for i in index))


def split_alphabets(glyphs: GlyphSet, n_evaluation: int = 20, min_eval_letters: int = 20, seed: int = 0) -> tuple:
    """Split by alphabet, as Omniglot: background for training, evaluation held out.

    Parameters
    ----------
    glyphs : GlyphSet
    n_evaluation : int, default=20
        Evaluation alphabets, drawn (seeded) among those with at least
        ``min_eval_letters`` letters, so a within-alphabet 20-way episode works.
    min_eval_letters : int, default=20
    seed : int, default=0

    Returns
    -------
    background, evaluation : GlyphSet
        They share no alphabet and no character.

    Raises
    ------
    TypeError
        When ``glyphs`` is not a :class:`GlyphSet`.
    ValueError
        Naming the argument: ``n_evaluation`` not an int in the range the set
        allows, ``min_eval_letters`` < 1, ``seed`` negative.
    """
    if not isinstance(glyphs, GlyphSet):
        raise TypeError(f"glyphs must be a GlyphSet, got {type(glyphs).__name__}")
    check_positive_int(n_evaluation, "n_evaluation")
    check_positive_int(min_eval_letters, "min_eval_letters")
    check_seed(seed)
    counts = np.bincount(glyphs.alphabet, minlength=len(glyphs.alphabet_names))
    eligible = np.flatnonzero(counts >= min_eval_letters)
    if n_evaluation < 1 or n_evaluation >= len(counts) or n_evaluation > len(eligible):
        raise ValueError(
            f"n_evaluation must be in [1, {min(len(counts) - 1, len(eligible))}] for this set "
            f"({len(eligible)} alphabets have >= {min_eval_letters} letters), got {n_evaluation}"
        )
    rng = np.random.default_rng(seed)
    evaluation = np.sort(rng.choice(eligible, n_evaluation, replace=False))
    is_eval = np.isin(glyphs.alphabet, evaluation)
    return glyphs.subset(np.flatnonzero(~is_eval)), glyphs.subset(np.flatnonzero(is_eval))


# --------------------------------------------------------------------------- online sources


def load_omniglot(split: str = "train", size: int = 28, data_dir=None) -> GlyphSet:
    """Real Omniglot through tensorflow-datasets (online, or its local cache).

    Parameters
    ----------
    split : {"train", "test", "small1", "small2"}, default="train"
        tensorflow-datasets' names: ``"train"`` is Omniglot's 30 background
        alphabets (964 characters), ``"test"`` its 20 evaluation alphabets.
    size : int, default=28
        Side of each drawing, px; a positive int.
    data_dir : path-like, optional
        tensorflow-datasets' data folder.

    Returns
    -------
    GlyphSet
        ``images`` of shape (n_chars, 20, size, size), uint8, ink white on black
        like :func:`load_glyph_alphabets`.

    Raises
    ------
    DataSourceError
        When the package ``tensorflow-datasets`` is missing or the download
        fails; the offline alternative is :func:`load_glyph_alphabets`.
    """
    import cv2

    if split not in ("train", "test", "small1", "small2"):
        raise ValueError(f"split must be 'train', 'test', 'small1' or 'small2', got {split!r}")
    check_positive_int(size, "size")
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise DataSourceError(
            "real Omniglot needs the package tensorflow-datasets (pip install tensorflow-datasets) and a "
            "network; offline, use cvhelpers.data.glyphs.load_glyph_alphabets() (Debian fonts-noto-core)"
        ) from error
    try:
        dataset = tfds.load("omniglot", split=split, data_dir=data_dir)
        records = list(tfds.as_numpy(dataset))
    except Exception as error:  # tfds raises many kinds on a failed download
        raise DataSourceError(
            f"tensorflow-datasets could not load omniglot ({type(error).__name__}: {error}); it needs a "
            "network the first time; offline, use cvhelpers.data.glyphs.load_glyph_alphabets()"
        ) from error
    by_label: dict = {}
    alphabet_of = {}
    for record in records:
        gray = record["image"][..., 0] if record["image"].ndim == 3 else record["image"]
        ink = 255 - cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)
        by_label.setdefault(int(record["label"]), []).append(ink.astype(np.uint8))
        alphabet_of[int(record["label"])] = int(record["alphabet"])
    labels = sorted(by_label)
    drawings = min(len(by_label[label]) for label in labels)
    images = np.stack([np.stack(by_label[label][:drawings]) for label in labels])
    alphabets = sorted(set(alphabet_of.values()))
    remap = {a: i for i, a in enumerate(alphabets)}
    return GlyphSet(
        images,
        np.array([remap[alphabet_of[label]] for label in labels], int),
        tuple(f"omniglot-{a}" for a in alphabets),
        tuple(str(label) for label in labels),
    )
