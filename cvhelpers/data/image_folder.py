"""Load a user's folder of images, one subfolder per class.

:func:`load_image_folder` never stops half-way because of one bad file:
corrupt, truncated, empty, non-image and oversized (decompression bomb) files
are skipped and listed, with a reason, in the per-file manifest of the
returned :class:`ImageFolder` (see :attr:`ImageFolder.problems`). EXIF
orientation is applied and every Pillow mode is converted to the one asked
for. The folder is only read, never written.

Re-exported by :mod:`cvhelpers.data`, so ``datasets.load_image_folder``
keeps working.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "IMAGE_EXTENSIONS",
    "ImageFolder",
    "load_image_folder",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")
_MODES = (None, "RGB", "RGBA", "L")


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
        ``height`` describe the file as stored, before any conversion.
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


def _to_uint8_array(image, mode, background):
    """Convert a decoded Pillow image to a uint8 array in the requested mode."""
    from PIL import Image

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float64)
        # 16-bit (and 32-bit integer) grayscale: scale the full range to 8 bits.
        scale = 65535.0 if values.max(initial=0) <= 65535 else values.max()
        image = Image.fromarray(np.clip(values / max(scale, 1) * 255.0 + 0.5, 0, 255).astype(np.uint8))
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
) -> ImageFolder:
    """Load a folder of images with one subfolder per class.

    Every file below a class subfolder (at any depth) is tried. Files that are
    corrupt, truncated, empty, not images, or larger than ``max_pixels``
    (decompression bombs) are skipped and listed in the manifest with a
    reason; loading never stops because of one bad file. The folder is only
    read, never written. Hidden files (names starting with ``.``) are ignored.

    Formats: PNG, JPEG, GIF (first frame), BMP, WebP, TIFF — whatever Pillow
    decodes. Modes L, LA, P, RGB, RGBA, CMYK and 16-bit are converted to
    ``mode``; EXIF orientation is applied.

    Parameters
    ----------
    path : path-like
        The folder; each subfolder is a class.
    size : (height, width), optional
        Resize every image to this size and stack them into one array.
        Without it, images keep their own sizes and are returned as a list.
    mode : {"RGB", "RGBA", "L", None}, default="RGB"
        Colour mode of the returned arrays. ``None`` keeps L, LA, RGB or RGBA
        as stored (other modes become RGB).
    background : tuple of 3 int, default=(255, 255, 255)
        Colour that transparent pixels are composited over for "RGB" and "L".
    max_pixels : int, default=89,478,485
        Images with more pixels are skipped as decompression bombs (the
        default is Pillow's own limit). Checked before decoding.
    progress : bool, default=True
        Show a progress bar.

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
    ValueError
        If the folder has no class subfolders, no files, or no readable
        image; or on a bad ``mode`` or ``size``.
    """
    import pandas as pd
    from PIL import Image, ImageOps, UnidentifiedImageError

    from cvhelpers.progress import progress_bar

    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if size is not None:
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"size must be (height, width) with positive ints, got {size!r}")
        size = (int(size[0]), int(size[1]))
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
    files = []
    for label, class_dir in enumerate(class_dirs):
        for file in sorted(class_dir.rglob("*")):
            relative = file.relative_to(class_dir).parts
            if file.is_file() and not any(part.startswith(".") for part in relative):
                files.append((file, label))
    if not files:
        raise ValueError(f"{root} has class subfolders but no files in them")

    rows, images, labels = [], [], []
    for file, label in progress_bar(files, desc=f"loading {root.name}", disable=not progress, unit="file"):
        row = {
            "path": str(file),
            "class_name": class_names[label],
            "status": "skipped",
            "reason": "",
            "format": None,
            "mode": None,
            "width": np.nan,
            "height": np.nan,
        }
        try:
            if file.stat().st_size == 0:
                raise _Skip("empty file (0 bytes)")
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(file) as image:
                    row.update(format=image.format, mode=image.mode, width=image.width, height=image.height)
                    if image.width * image.height > max_pixels:
                        raise _Skip(
                            f"decompression bomb: {image.width}x{image.height} pixels "
                            f"exceeds max_pixels={max_pixels}"
                        )
                    image.load()
                    image = ImageOps.exif_transpose(image)
                    array = _to_uint8_array(image, mode, background)
            if size is not None:
                resized = Image.fromarray(array.squeeze(-1) if array.shape[-1] == 1 else array)
                resized = resized.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                array = np.asarray(resized, dtype=np.uint8)
                array = array[..., None] if array.ndim == 2 else array
        except _Skip as skip:
            row["reason"] = str(skip)
        except UnidentifiedImageError:
            row["reason"] = f"not an image Pillow can read ({file.suffix or 'no extension'})"
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            row["reason"] = f"decompression bomb: {error}"
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            # Pillow reports truncated and corrupt data as OSError/SyntaxError.
            row["reason"] = f"corrupt or truncated: {error}"
        else:
            row["status"] = "ok"
            images.append(array)
            labels.append(label)
        rows.append(row)

    manifest = pd.DataFrame(rows)
    if not images:
        reasons = manifest["reason"].value_counts().head(3).to_dict()
        raise ValueError(f"no readable image in {root}; most common problems: {reasons}")
    if size is not None:
        channels = {a.shape[-1] for a in images}
        if len(channels) > 1:  # mode=None can mix L and RGB
            raise ValueError("images have different channel counts; pass mode='RGB' or 'L' to stack them")
        images = np.stack(images)
    return ImageFolder(images, np.asarray(labels, dtype=np.int64), class_names, manifest)


class _Skip(Exception):
    """Internal: a file is skipped for the given reason."""
