"""Load a user's folder of images, one subfolder per class.

:func:`load_image_folder` never stops half-way because of one bad file:
corrupt, truncated, empty, non-image and oversized (decompression bomb) files
are skipped and listed, with a reason, in the per-file manifest of the
returned :class:`ImageFolder` (see :attr:`ImageFolder.problems`), and so are
unreadable files and folders, dangling symbolic links and images whose
values have no defined 8-bit scale. EXIF orientation is applied and every
Pillow mode is converted to the one asked for. The folder is only read,
never written.

Re-exported by :mod:`cvhelpers.data`, so ``datasets.load_image_folder``
keeps working.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cvhelpers.validation import check_positive_int

__all__ = [
    "IMAGE_EXTENSIONS",
    "RESIZE_MODES",
    "ImageFolder",
    "load_image_folder",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")
_MODES = (None, "RGB", "RGBA", "L")
#: How :func:`load_image_folder` fits an image into ``size``: ``"pad"``
#: letterboxes (aspect ratio kept, borders in the background colour),
#: ``"crop"`` scales the short side to fit and cuts the centre, ``"stretch"``
#: resizes both sides independently (distorts shapes).
RESIZE_MODES = ("pad", "crop", "stretch")
# Modes with more than 8 bits per pixel, and the value that maps to 255.
_WIDE_MODES = {"F": 1.0, "I": 65535.0, "I;16": 65535.0, "I;16B": 65535.0, "I;16L": 65535.0, "I;16N": 65535.0}


@dataclass
class ImageFolder:
    """Images loaded from a folder with one subfolder per class.

    Attributes
    ----------
    images : list of ndarray (h, w, c) uint8, or ndarray of shape (n, h, w, c)
        One array per readable image; stacked when a ``size`` was given.
    labels : ndarray of shape (n,), int64
        Class index of each image, into ``class_names``.
    class_names : list of str
        Subfolder names, sorted.
    manifest : pandas.DataFrame
        One row per file seen: ``path, class_name, status ("ok" or "skipped"),
        reason, format, mode, width, height``. ``mode``, ``width`` and
        ``height`` describe the file as stored, before any conversion. A
        folder that could not be listed, a dangling symbolic link, a link to
        a folder (not followed) and a special file (a pipe, a socket) get a
        "skipped" row of their own.
    """

    images: list | np.ndarray
    labels: np.ndarray
    class_names: list
    manifest: object = field(repr=False)

    @property
    def problems(self):
        """The rows of :attr:`manifest` for files that were skipped."""
        return self.manifest[self.manifest["status"] != "ok"].reset_index(drop=True)

    @property
    def paths(self) -> list:
        """Paths of the loaded images, aligned with :attr:`images`."""
        return self.manifest.loc[self.manifest["status"] == "ok", "path"].tolist()


def _wide_to_8bit(image):
    """A mode "L" copy of a 16-bit, 32-bit integer or 32-bit float image.

    Integer images are scaled from 0..65535 and float ones from [0, 1] to
    0..255, the same scale for every image. Values outside that range (or NaN)
    have no defined 8-bit scale: the image is skipped, since scaling each image
    by its own range would make intensities incomparable across the set.
    """
    from PIL import Image

    full = _WIDE_MODES[image.mode]
    values = np.asarray(image, dtype=np.float64)
    low, high = values.min(initial=np.inf), values.max(initial=-np.inf)
    kind = "32-bit float (mode F)" if image.mode == "F" else f"{image.mode} integer"
    if not (np.isfinite(low) and np.isfinite(high)):
        raise _Skip(f"{kind} image with NaN or infinite values")
    if low < 0 or high > full:
        raise _Skip(f"{kind} image with values in [{low:g}, {high:g}], outside [0, {full:g}]: "
                    "no defined 8-bit scale; rescale it to that range or save it as 8-bit")
    return Image.fromarray((values / full * 255.0 + 0.5).astype(np.uint8))


def _to_uint8_array(image, mode, background):
    """Convert a decoded Pillow image to a uint8 array in the requested mode."""
    from PIL import Image

    if image.mode in _WIDE_MODES:
        image = _wide_to_8bit(image)
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    elif image.mode in ("CMYK", "YCbCr", "LAB", "HSV", "1"):
        image = image.convert("RGB" if image.mode != "1" else "L")
    if mode is None:
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGB")
    elif mode == "RGBA":
        image = image.convert("RGBA")
    elif image.mode in ("LA", "RGBA"):
        # Composite over a background so transparent pixels get a defined colour.
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        image = Image.alpha_composite(canvas, rgba).convert(mode)
    else:
        image = image.convert(mode)
    array = np.asarray(image, dtype=np.uint8)
    return array[..., None] if array.ndim == 2 else array


def load_image_folder(
    path,
    size: tuple[int, int] | None = None,
    mode: str | None = "RGB",
    background=(255, 255, 255),
    max_pixels: int = 89_478_485,
    progress: bool = True,
    resize: str = "pad",
) -> ImageFolder:
    """Load a folder of images with one subfolder per class.

    Every file below a class subfolder (at any depth) is tried. Files that are
    corrupt, truncated, empty, not images, unreadable (permission denied), or
    larger than ``max_pixels`` (decompression bombs) are skipped and listed in
    the manifest with a reason; so are subfolders that cannot be listed,
    dangling symbolic links, links to folders (not followed) and special
    files. Loading never stops because of one bad file. The folder is only
    read, never written. Hidden files and folders (names starting with ``.``)
    are ignored. Every subfolder is a class, even one with no readable image.

    Formats: PNG, JPEG, GIF (first frame), BMP, WebP, TIFF — whatever Pillow
    decodes. Modes L, LA, P, RGB, RGBA, CMYK, 16-bit and 32-bit are converted
    to ``mode``; EXIF orientation is applied. 16-bit and 32-bit integer images
    are scaled from 0..65535 to 0..255, and 32-bit float images (mode "F")
    from [0, 1] to 0..255; one whose values fall outside that range, or are
    NaN, is skipped with its value range as the reason rather than rescaled
    by its own minimum and maximum, which would make intensities incomparable
    across images.

    Parameters
    ----------
    path : path-like
        The folder; each subfolder is a class.
    size : (height, width), optional
        Resize every image to this size (see ``resize``) and stack them into
        one array of shape (n, height, width, c). Without it, images keep
        their own sizes and are returned as a list.
    mode : {"RGB", "RGBA", "L", None}, default="RGB"
        Colour mode of the returned arrays. ``None`` keeps L, LA, RGB or RGBA
        as stored (other modes become RGB).
    background : tuple of 3 int, default=(255, 255, 255)
        Colour (0-255 each) that transparent pixels are composited over for
        "RGB" and "L".
    max_pixels : int, default=89,478,485
        Images with more pixels are skipped as decompression bombs (the
        default is Pillow's own limit). Checked before decoding. A value above
        Pillow's ``Image.MAX_IMAGE_PIXELS`` raises that limit for this call
        only; it is restored afterwards.
    progress : bool, default=True
        Show a progress bar.
    resize : {"pad", "crop", "stretch"}, default="pad"
        How an image whose aspect ratio differs from ``size`` is fitted
        (bilinear resampling in every case): ``"pad"`` scales it to fit
        inside ``size`` keeping its aspect ratio and fills the borders with
        ``background`` (letterbox; transparent for "RGBA"); ``"crop"``
        scales its short side to fit and keeps the centre; ``"stretch"``
        resizes width and height independently, which distorts shapes.
        Ignored without ``size``. Notebook 01 loads without ``size``, so
        this default does not change it.

    Returns
    -------
    ImageFolder
        ``images``, ``labels``, ``class_names`` and the per-file ``manifest``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    NotADirectoryError
        If ``path`` is not a folder.
    TypeError
        If ``path`` is not a path.
    ValueError
        If the folder has no class subfolders, no files, or no readable
        image; or on a bad ``mode``, ``size``, ``background``, ``max_pixels``
        or ``resize``.
    """
    import pandas as pd

    from cvhelpers.progress import progress_bar

    size, background, max_pixels = _check_arguments(path, size, mode, background, max_pixels)
    if resize not in RESIZE_MODES:
        raise ValueError(f"resize must be one of {RESIZE_MODES}, got {resize!r}")
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"image folder not found: {root}")
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder: {root}")

    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise ValueError(
            f"{root} has no class subfolders; put each class's images in its own subfolder, "
            "e.g. data/cats/1.jpg, data/dogs/2.jpg"
        )
    class_names = [p.name for p in class_dirs]
    files, unusable = [], []
    for label, class_dir in enumerate(class_dirs):
        found, problems = _list_class_folder(class_dir)
        files.extend((file, label) for file in found)
        unusable.extend(_problem_row(item, class_names[label], reason) for item, reason in problems)
    if not files:
        details = "; ".join(f"{row['path']}: {row['reason']}" for row in unusable[:3])
        raise ValueError(f"{root} has class subfolders but no files in them" + (f" ({details})" if details else ""))

    rows, images, labels = [], [], []
    with _pillow_pixel_limit(max_pixels):
        for file, label in progress_bar(files, desc=f"loading {root.name}", disable=not progress, unit="file"):
            row, array = _load_file(file, class_names[label], size, mode, background, max_pixels, resize)
            if array is not None:
                images.append(array)
                labels.append(label)
            rows.append(row)

    manifest = pd.DataFrame(rows + unusable)
    if not images:
        reasons = manifest["reason"].value_counts().head(3).to_dict()
        raise ValueError(f"no readable image in {root}; most common problems: {reasons}")
    if size is not None:
        channels = {a.shape[-1] for a in images}
        if len(channels) > 1:  # mode=None can mix L and RGB
            raise ValueError("images have different channel counts; pass mode='RGB' or 'L' to stack them")
        images = np.stack(images)
    return ImageFolder(images, np.asarray(labels, dtype=np.int64), class_names, manifest)


def _check_arguments(path, size, mode, background, max_pixels) -> tuple:
    """``(size, background, max_pixels)`` checked and normalized, before anything is read."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a folder path (str or path-like), got {type(path).__name__} {path!r}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if size is not None:
        if isinstance(size, (str, bytes)) or not hasattr(size, "__len__") or len(size) != 2:
            raise ValueError(f"size must be (height, width) with positive ints, got {size!r}")
        size = (check_positive_int(size[0], "size[0] (height)"), check_positive_int(size[1], "size[1] (width)"))
    colour = tuple(background) if isinstance(background, (tuple, list, np.ndarray)) else ()
    if len(colour) != 3 or not all(
        isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 0 <= value <= 255 for value in colour
    ):
        raise ValueError(f"background must be an RGB colour of 3 ints in 0..255, got {background!r}")
    return size, tuple(int(value) for value in colour), check_positive_int(max_pixels, "max_pixels")


@contextmanager
def _pillow_pixel_limit(max_pixels: int):
    """Raise Pillow's decompression-bomb limit to ``max_pixels`` while loading, if it is lower."""
    from PIL import Image

    before = Image.MAX_IMAGE_PIXELS
    if before is not None and max_pixels > before:
        Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = before


def _list_class_folder(class_dir: Path) -> tuple[list, list]:
    """The files below ``class_dir`` (sorted) and ``(path, reason)`` for what cannot be loaded.

    Symbolic links to files are followed; links to folders are not (as
    ``Path.rglob``), and are reported, like dangling links, special files
    and folders that cannot be listed.
    """
    files, problems, pending = [], [], [class_dir]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = [entry for entry in listing if not entry.name.startswith(".")]
        except OSError as error:
            problems.append((folder, _listing_reason(error)))
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif entry.is_file():
                    files.append(path)
                elif entry.is_symlink():
                    problems.append((path, _link_reason(path)))
                else:
                    problems.append((path, "not a regular file (a pipe, socket or device)"))
            except OSError as error:
                problems.append((path, f"cannot check this file: {error.strerror or error}"))
    return sorted(files), sorted(problems)


def _listing_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied: this folder cannot be listed, its files were not loaded"
    return f"this folder cannot be listed ({error.strerror or error}), its files were not loaded"


def _link_reason(path: Path) -> str:
    target = os.readlink(path)
    if path.is_dir():
        return f"symbolic link to the folder {target}: not followed"
    if not os.path.exists(path):
        return f"dangling symbolic link: its target {target} does not exist (or the link loops)"
    return f"symbolic link to {target}, which is not a regular file"


def _problem_row(path, class_name: str, reason: str) -> dict:
    return {
        "path": str(path),
        "class_name": class_name,
        "status": "skipped",
        "reason": reason,
        "format": None,
        "mode": None,
        "width": np.nan,
        "height": np.nan,
    }


def _load_file(file: Path, class_name: str, size, mode, background, max_pixels, resize="pad") -> tuple:
    """``(manifest row, uint8 array)`` for one file; the array is None when it is skipped."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    row = _problem_row(file, class_name, "")
    try:
        if file.stat().st_size == 0:
            raise _Skip("empty file (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                row.update(format=image.format, mode=image.mode, width=image.width, height=image.height)
                if image.width * image.height > max_pixels:
                    raise _Skip(
                        f"decompression bomb: {image.width}x{image.height} pixels exceeds max_pixels={max_pixels}"
                    )
                image.load()
                image = ImageOps.exif_transpose(image)
                array = _to_uint8_array(image, mode, background)
        if size is not None:
            array = _fit_to_size(array, size, resize, background)
    except _Skip as skip:
        row["reason"] = str(skip)
    except UnidentifiedImageError:
        row["reason"] = f"not an image Pillow can read ({file.suffix or 'no extension'})"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        row["reason"] = f"decompression bomb: {error}"
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        row["reason"] = _read_error_reason(error)
    else:
        row["status"] = "ok"
        return row, array
    return row, None


def _fit_to_size(array, size, resize: str, background) -> np.ndarray:
    """``array`` (h, w, c) uint8 resized to ``size`` (height, width) by ``resize``: (height, width, c) uint8."""
    from PIL import Image

    image = Image.fromarray(array.squeeze(-1) if array.shape[-1] == 1 else array)
    height, width = size
    if resize == "stretch":
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    else:
        pick = min if resize == "pad" else max
        scale = pick(height / image.height, width / image.width)
        scaled = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(scaled, Image.Resampling.BILINEAR)
        left, top = (scaled[0] - width) // 2, (scaled[1] - height) // 2
        if resize == "crop":
            image = image.crop((left, top, left + width, top + height))
        else:
            fill = tuple(background) + (0,) if image.mode == "RGBA" else tuple(background)
            canvas = Image.new("RGBA" if image.mode == "RGBA" else "RGB", (width, height), fill).convert(image.mode)
            canvas.paste(image, (-left, -top))
            image = canvas
    out = np.asarray(image, dtype=np.uint8)
    return out[..., None] if out.ndim == 2 else out


def _read_error_reason(error: Exception) -> str:
    """Tell a file the system would not read from data Pillow could not decode."""
    if isinstance(error, PermissionError):
        return "permission denied: the file cannot be read"
    if isinstance(error, OSError) and error.errno is not None:
        return f"the file cannot be read: {error.strerror or error}"
    # Pillow reports truncated and corrupt data as OSError (without errno) or SyntaxError.
    return f"corrupt or truncated: {error}"


class _Skip(Exception):
    """Internal: a file is skipped for the given reason."""
