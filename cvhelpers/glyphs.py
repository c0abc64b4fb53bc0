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

The rendered set is cached under ``data/cache/`` (one ``.npz`` per set of
arguments and version of this module's source), so a notebook renders it once.

:func:`load_omniglot` (tensorflow-datasets) loads real Omniglot where there is
a network, and raises :class:`~cvhelpers.datasets.DataSourceError` with the way
out where there is none. Real faces for the same one-shot pipeline are in
:mod:`cvhelpers.faces`.

Used in notebook 07.
"""

from __future__ import annotations

import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvhelpers.cache import CacheWarning, key_of, source_fingerprint, write_atomically
from cvhelpers.datasets import DataSourceError
from cvhelpers.paths import data_dir, project_root
from cvhelpers.sources import NOTO_DIR

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

_MASTER = 64  # side of the clean high-resolution rendering, px

# Fonts that are not a script, or a second style of a script that another font covers.
_SKIP_FONT = re.compile(
    r"Mono|Display|Music|Symbols|Math|Numbers|Unjoined|Supplement|Slanted|Kufi|Naskh|Nastaliq|Looped|Rashi|"
    r"SignWriting|Tifinagh[A-Z]|Traditional|Hieroglyphs|Cuneiform|UI"
)
# Letters whose Unicode name starts with one of these belong to NotoSans's scripts.
_SHARED = ("LATIN", "GREEK", "CYRILLIC")
# Their core blocks only (Latin-1, Greek, basic Cyrillic), not IPA and the extensions.
_SHARED_RANGES = {"LATIN": (0x0041, 0x00FF), "GREEK": (0x0370, 0x03FF), "CYRILLIC": (0x0400, 0x045F)}


def default_cache_dir() -> Path:
    """``$CVLAB_CACHE_DIR``; else ``data/cache`` in the checkout; else ``~/.cache/cvlab``.

    The checkout is :func:`cvhelpers.paths.project_root`.
    """
    if os.environ.get("CVLAB_CACHE_DIR"):
        return Path(os.environ["CVLAB_CACHE_DIR"])
    if project_root() is not None:
        return data_dir() / "cache"
    return Path.home() / ".cache" / "cvlab"


def script_fonts(font_dir=NOTO_DIR) -> dict:
    """One font per script in a Noto font folder.

    ``NotoSans<Script>-Regular.ttf`` is preferred, ``NotoSerif<Script>`` is the
    fallback; ``NotoSans-Regular.ttf`` gives Latin, Greek and Cyrillic.

    Parameters
    ----------
    font_dir : path-like, default=NOTO_DIR

    Returns
    -------
    dict of str to Path
        Script name (e.g. ``"Cherokee"``) to font file, sorted by name.

    Raises
    ------
    DataSourceError
        When the folder has no Noto fonts (the package is not installed).
    """
    font_dir = Path(font_dir)
    fonts = {}
    for style in ("Serif", "Sans"):  # Sans overwrites Serif
        for path in sorted(font_dir.glob(f"Noto{style}*-Regular.ttf")):
            script = path.name[len(f"Noto{style}") : -len("-Regular.ttf")]
            if _SKIP_FONT.search(script):
                continue
            if script == "":
                if style == "Sans":
                    for shared in _SHARED:
                        fonts[shared.title()] = path
                continue
            fonts[script] = path
    if not fonts:
        raise DataSourceError(
            f"no Noto fonts in {font_dir}: install the Debian package fonts-noto-core "
            "(sudo apt-get install fonts-noto-core), or load real Omniglot online with "
            "load_omniglot() (needs tensorflow-datasets and a network)"
        )
    return dict(sorted(fonts.items()))


def script_letters(font_path, script: str) -> list:
    """The letters of ``script`` that a font draws, after the Unicode cleaning.

    Keeps category L only, drops characters with any decomposition (accented
    and presentation forms), keeps the lower case where a script has two, and
    drops letters of Latin, Greek or Cyrillic unless ``script`` is one of them.

    Parameters
    ----------
    font_path : path-like
    script : str
        As returned by :func:`script_fonts`.

    Returns
    -------
    list of str
        Single characters, in code-point order.
    """
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path), lazy=True) as font:
        codepoints = sorted(font.getBestCmap() or {})
    shared = script.upper() in _SHARED
    available = {chr(cp) for cp in codepoints}
    letters = []
    for cp in codepoints:
        char = chr(cp)
        if not unicodedata.category(char).startswith("L") or unicodedata.decomposition(char):
            continue
        if 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF:
            continue  # Arabic presentation forms (a few have no decomposition)
        name = unicodedata.name(char, "")
        if shared:
            low, high = _SHARED_RANGES[script.upper()]
            if not (name.startswith(script.upper() + " ") and low <= cp <= high):
                continue
        elif name.startswith(_SHARED):
            continue
        if "MODIFIER" in name or "SUBSCRIPT" in name or "SUPERSCRIPT" in name:
            continue
        lower = char.lower()
        if lower != char and len(lower) == 1 and lower in available:
            continue  # keep one case: the lower one is in the set
        letters.append(char)
    return letters


def _fit(image: np.ndarray, side: int, fill: float = 0.8) -> np.ndarray | None:
    """Crop to the ink, scale the longer side to ``fill * side``, centre."""
    import cv2

    rows = np.flatnonzero(image.max(axis=1) > 32)
    cols = np.flatnonzero(image.max(axis=0) > 32)
    if len(rows) == 0 or len(cols) == 0:
        return None
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if max(crop.shape) < 6:
        return None  # a dot or a tiny mark
    scale = fill * side / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    crop = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
    out = np.zeros((side, side), np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    out[top : top + h, left : left + w] = crop
    return out


def render_clean(font_path, characters, side: int = _MASTER) -> tuple:
    """Render characters in white on black, cropped to the ink and centred.

    Parameters
    ----------
    font_path : path-like
    characters : sequence of str
    side : int, default=64

    Returns
    -------
    images : ndarray of shape (m, side, side), uint8
        Only the characters that rendered with visible ink.
    kept : list of str
        The characters of ``images``, in order.
    """
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), size=2 * side)
    canvas = 4 * side
    images, kept = [], []
    for char in characters:
        image = Image.new("L", (canvas, canvas), 0)
        ImageDraw.Draw(image).text((side, side), char, font=font, fill=255)
        fitted = _fit(np.asarray(image), side)
        if fitted is not None:
            images.append(fitted)
            kept.append(char)
    return (np.stack(images) if images else np.zeros((0, side, side), np.uint8)), kept


#: Distortion amplitudes at ``strength=1``, calibrated so that raw-pixel nearest
#: neighbour scores about 22% 20-way 1-shot on the evaluation alphabets (at
#: 0.83 of these it scored 30%, a useful ceiling for a task that needs learning; published Omniglot pixel
#: baselines score a fifth to a quarter).
DISTORTION = {
    "rotation_deg": 18.0,  # uniform in ±
    "log_scale_sd": 0.12,  # per axis, so also the aspect ratio
    "shear": 0.30,  # uniform in ±
    "shift": 0.11,  # uniform in ±, as a share of the side
    "elastic": 0.06,  # standard deviation of the displacement, share of the side
}


def _smooth_fields(rng, n: int, side: int, grid: int = 4) -> np.ndarray:
    """``n`` smooth random fields, shape (n, side, side), about unit standard deviation."""
    import cv2

    coarse = rng.normal(size=(grid, grid, n)).astype(np.float32)
    fields = cv2.resize(coarse, (side, side), interpolation=cv2.INTER_CUBIC)
    return np.moveaxis(fields.reshape(side, side, n), -1, 0)


def draw_writers(clean, writers: int = 20, size: int = 28, strength: float = 1.0, seed: int = 0) -> np.ndarray:
    """Redraw each clean glyph as ``writers`` random writers would.

    Each drawing gets its own stroke width (dilation or erosion), affine
    transform (rotation, anisotropic scale, shear, translation) and elastic
    deformation (a smooth random displacement field), with the amplitudes of
    :data:`DISTORTION` times ``strength``; it is then shrunk to ``size``, its
    ink normalized (brightest pixel 255) and softly thresholded, like a pen
    stroke.

    Parameters
    ----------
    clean : ndarray of shape (m, s, s), uint8
        From :func:`render_clean`.
    writers : int, default=20
    size : int, default=28
    strength : float, default=1.0
        0 gives clean glyphs (only the resize); 1 is the course's calibration.
    seed : int, default=0
        Drawings of glyph ``i`` depend only on ``(seed, i)``.

    Returns
    -------
    ndarray of shape (m, writers, size, size), uint8
    """
    import cv2

    clean = np.asarray(clean)
    if clean.ndim != 3 or clean.shape[1] != clean.shape[2]:
        raise ValueError(f"clean must have shape (m, s, s), got {clean.shape}")
    if writers < 1 or size < 8:
        raise ValueError(f"writers must be >= 1 and size >= 8, got writers={writers}, size={size}")
    if strength < 0:
        raise ValueError(f"strength must be >= 0, got {strength}")
    side = clean.shape[1]
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    centre = (side - 1) / 2
    kernel = np.ones((3, 3), np.uint8)
    amp = {key: value * strength for key, value in DISTORTION.items()}
    out = np.zeros((len(clean), writers, size, size), np.uint8)
    for index, glyph in enumerate(clean):
        rng = np.random.default_rng([seed, index])
        angle = rng.uniform(-1, 1, writers) * np.deg2rad(amp["rotation_deg"])
        scale = np.exp(rng.normal(0, amp["log_scale_sd"], (writers, 2)))
        shear = rng.uniform(-1, 1, writers) * amp["shear"]
        shift = rng.uniform(-1, 1, (writers, 2)) * amp["shift"] * side
        stroke = rng.choice([-1, 0, 0, 1, 1, 2], size=writers) if strength > 0 else np.zeros(writers, int)
        if (glyph > 127).mean() > 0.12:  # a dense glyph would become a blob
            stroke = np.minimum(stroke, 1)
        fields = _smooth_fields(rng, 2 * writers, side) * amp["elastic"] * side
        # Inverse maps (output pixel -> source pixel) for all writers at once.
        cos, sin = np.cos(angle), np.sin(angle)
        forward = np.empty((writers, 2, 2))
        forward[:, 0, 0] = cos * scale[:, 0]
        forward[:, 0, 1] = (cos * shear - sin) * scale[:, 1]
        forward[:, 1, 0] = sin * scale[:, 0]
        forward[:, 1, 1] = (sin * shear + cos) * scale[:, 1]
        inverse = np.linalg.inv(forward).astype(np.float32)
        dx = xs[None] - centre - shift[:, 0, None, None].astype(np.float32)
        dy = ys[None] - centre - shift[:, 1, None, None].astype(np.float32)
        map_x = inverse[:, 0, 0, None, None] * dx + inverse[:, 0, 1, None, None] * dy + centre + fields[:writers]
        map_y = inverse[:, 1, 0, None, None] * dx + inverse[:, 1, 1, None, None] * dy + centre + fields[writers:]
        sources = {0: glyph, 1: cv2.dilate(glyph, kernel), 2: cv2.dilate(glyph, kernel, iterations=2)}
        eroded = cv2.erode(glyph, kernel)
        sources[-1] = eroded if eroded.max() >= 128 else glyph  # a thin glyph would vanish
        small = np.stack(
            [
                cv2.resize(
                    cv2.remap(sources[int(stroke[w])], map_x[w], map_y[w], cv2.INTER_LINEAR, borderValue=0),
                    (size, size),
                    interpolation=cv2.INTER_AREA,
                )
                for w in range(writers)
            ]
        ).astype(np.float32)
        peak = small.max(axis=(1, 2), keepdims=True)
        if (peak <= 0).any():  # warped off the canvas: fall back to the clean glyph
            fallback = cv2.resize(glyph, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
            small[peak[:, 0, 0] <= 0] = fallback
            peak = np.maximum(small.max(axis=(1, 2), keepdims=True), 1.0)
        ink = np.clip((small / peak - 0.15) / 0.55, 0.0, 1.0)  # normalize, then soft threshold
        out[index] = np.round(ink * 255).astype(np.uint8)
    return out


def dedupe(images, threshold: float = 0.95) -> np.ndarray:
    """Indices of images to keep: drop any image too like an earlier one.

    Parameters
    ----------
    images : ndarray of shape (m, h, w)
        One clean rendering per character, at the working size.
    threshold : float, default=0.95
        Pixel (Pearson) correlation above which two glyphs count as the same.

    Returns
    -------
    ndarray of shape (k,), int
        Sorted indices of the images kept (the first of each look-alike group).
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    flat = np.asarray(images, np.float32).reshape(len(images), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    flat /= np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-6)
    keep = []
    kept = np.zeros((0, flat.shape[1]), np.float32)
    for start in range(0, len(flat), 512):
        block = flat[start : start + 512]
        within = block @ block.T
        against = block @ kept.T if len(kept) else np.zeros((len(block), 0), np.float32)
        chosen = []
        for i in range(len(block)):
            if against.shape[1] and against[i].max() > threshold:
                continue
            if chosen and within[i, chosen].max() > threshold:
                continue
            chosen.append(i)
        keep.extend(start + np.array(chosen, int))
        kept = np.concatenate([kept, block[chosen]])
    return np.array(keep, int)


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

    @property
    def n_chars(self) -> int:
        return int(self.images.shape[0])

    @property
    def n_drawings(self) -> int:
        return int(self.images.shape[1])

    def subset(self, chars) -> GlyphSet:
        """The characters ``chars`` (indices), alphabets renumbered densely."""
        chars = np.asarray(chars, int)
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
    """
    if max_scripts is not None and max_scripts < 2:
        raise ValueError(f"max_scripts must be None or >= 2, got {max_scripts}")
    if min_letters < 1 or max_letters < min_letters:
        raise ValueError(f"need 1 <= min_letters <= max_letters, got {min_letters}, {max_letters}")
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
    """
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
    try:
        import tensorflow_datasets as tfds
    except ImportError as error:
        raise DataSourceError(
            "real Omniglot needs the package tensorflow-datasets (pip install tensorflow-datasets) and a "
            "network; offline, use cvhelpers.glyphs.load_glyph_alphabets() (Debian fonts-noto-core)"
        ) from error
    try:
        dataset = tfds.load("omniglot", split=split, data_dir=data_dir)
        records = list(tfds.as_numpy(dataset))
    except Exception as error:  # tfds raises many kinds on a failed download
        raise DataSourceError(
            f"tensorflow-datasets could not load omniglot ({type(error).__name__}: {error}); it needs a "
            "network the first time; offline, use cvhelpers.glyphs.load_glyph_alphabets()"
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
