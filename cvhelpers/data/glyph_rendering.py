"""Glyph rendering: the letters of each script's Noto font, drawn clean and by random "writers".

:func:`script_fonts` and :func:`script_letters` choose the fonts and letters,
:func:`render_clean` draws them at high resolution, :func:`draw_writers`
redraws each one by several writers (stroke width, affine and elastic
distortion, :data:`DISTORTION`), and :func:`dedupe` drops near-identical
glyphs. :mod:`cvhelpers.data.glyphs` assembles and caches the set.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import numpy as np

from cvhelpers.data.sources import NOTO_DIR, DataSourceError
from cvhelpers.validation import check_finite_array, check_number, check_positive_int, check_seed

__all__ = ["script_fonts", "script_letters", "render_clean", "draw_writers", "DISTORTION", "dedupe"]

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


def _check_path_argument(value, name: str) -> Path:
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or path-like), got {type(value).__name__} {value!r}")
    return Path(value)


def _check_font(font_path) -> Path:
    """``font_path`` as a Path to an existing file; ``FileNotFoundError`` naming it otherwise."""
    path = _check_path_argument(font_path, "font_path")
    if not path.is_file():
        raise FileNotFoundError(f"font_path must be a font file, but {path} is not a file")
    return path


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
    TypeError
        When ``font_dir`` is not a path.
    """
    font_dir = _check_path_argument(font_dir, "font_dir")
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

    Raises
    ------
    FileNotFoundError
        When ``font_path`` is not a file.
    TypeError
        When ``script`` is not a string.
    """
    from fontTools.ttLib import TTFont

    if not isinstance(script, str):
        raise TypeError(f"script must be a script name (str), got {type(script).__name__} {script!r}")
    font_path = _check_font(font_path)
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
        Single characters (a string is a sequence of them).
    side : int, default=64
        At least 8.

    Returns
    -------
    images : ndarray of shape (m, side, side), uint8
        Only the characters that rendered with visible ink.
    kept : list of str
        The characters of ``images``, in order.

    Raises
    ------
    FileNotFoundError
        When ``font_path`` is not a file.
    ValueError
        When an item of ``characters`` is not a single character, or ``side`` < 8.
    """
    from PIL import Image, ImageDraw, ImageFont

    side = check_positive_int(side, "side", smallest=8)
    characters = list(characters)
    wrong = [char for char in characters if not (isinstance(char, str) and len(char) == 1)]
    if wrong:
        raise ValueError(f"characters must be single characters, got {wrong[:3]!r}")
    font_path = _check_font(font_path)
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

    Raises
    ------
    TypeError
        When ``clean`` is not a uint8 array, or ``strength`` is not a number.
    ValueError
        Naming the argument: ``clean`` not of shape (m, s, s), ``writers`` < 1,
        ``size`` < 8, ``strength`` negative or not finite, ``seed`` negative.
    """
    import cv2

    clean = np.asarray(clean)
    if clean.dtype != np.uint8:
        raise TypeError(f"clean must be uint8 glyphs (0-255, from render_clean), got dtype {clean.dtype}")
    if clean.ndim != 3 or clean.shape[1] != clean.shape[2]:
        raise ValueError(f"clean must have shape (m, s, s), got {clean.shape}")
    writers = check_positive_int(writers, "writers")
    size = check_positive_int(size, "size", smallest=8)
    check_number(strength, "strength", low=0)
    check_seed(seed)
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
        Sorted indices of the images kept (the first of each look-alike group);
        empty for no images.

    Raises
    ------
    TypeError
        When ``images`` is not numeric or ``threshold`` not a number.
    ValueError
        When ``images`` is not 3-D or holds NaN or inf, or ``threshold`` is not in (0, 1].
    """
    check_number(threshold, "threshold", low=0, high=1, low_open=True)
    images = check_finite_array(images, "images", ndim=3)
    if len(images) == 0:
        return np.zeros(0, int)
    flat = images.astype(np.float32).reshape(len(images), -1)
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
