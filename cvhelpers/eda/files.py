"""The image files themselves: EXIF metadata, and the files a folder load skipped.

Question 9 of notebook 01: :func:`read_exif` reads camera, date, GPS,
orientation and resolution with Pillow and never raises for one bad file.
:func:`file_problems` splits the files that
:func:`cvhelpers.data.load_image_folder` skipped into real problems
(corrupt, truncated or empty images) and other files (sounds, text).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = [
    "read_exif",
    "file_problems",
]


_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TAGS = {"make": 271, "model": 272, "datetime": 306, "orientation": 274, "x_resolution": 282, "y_resolution": 283}
_DATETIME_ORIGINAL = 36867


def read_exif(paths):
    """EXIF metadata of image files (question 9), read with Pillow.

    Never raises for one bad file: its ``error`` column says why.

    Parameters
    ----------
    paths : sequence of path-like

    Returns
    -------
    pandas.DataFrame
        One row per path: ``path, format, width, height, has_exif, make,
        model, camera ("make model", without a repeated make, or "unknown"), taken (Timestamp, from
        DateTimeOriginal, else DateTime), year, has_gps, orientation (1-8 or
        NaN), dpi (from EXIF XResolution, else the file's dpi), error``.
    """
    import pandas as pd
    from PIL import Image, UnidentifiedImageError

    if isinstance(paths, (str, Path)):
        raise TypeError("paths must be a sequence of paths, not a single path")
    rows = []
    for path in paths:
        row = {"path": str(path), "format": None, "width": np.nan, "height": np.nan, "has_exif": False,
               "make": None, "model": None, "taken": None, "has_gps": False, "orientation": np.nan,
               "dpi": np.nan, "error": ""}
        try:
            with Image.open(path) as image:
                row.update(format=image.format, width=image.width, height=image.height)
                exif = image.getexif()
                dpi = image.info.get("dpi")
                if dpi:
                    row["dpi"] = float(dpi[0])
                if exif:
                    row["has_exif"] = True
                    row["make"] = _clean(exif.get(_TAGS["make"]))
                    row["model"] = _clean(exif.get(_TAGS["model"]))
                    original = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
                    row["taken"] = _clean(original) or _clean(exif.get(_TAGS["datetime"]))
                    row["has_gps"] = bool(exif.get_ifd(_GPS_IFD))
                    if exif.get(_TAGS["orientation"]) is not None:
                        row["orientation"] = float(exif[_TAGS["orientation"]])
                    if exif.get(_TAGS["x_resolution"]) is not None:
                        row["dpi"] = float(exif[_TAGS["x_resolution"]])
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError, TypeError, ZeroDivisionError) as error:
            row["error"] = f"{type(error).__name__}: {error}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["camera"] = [_camera_name(make, model) for make, model in zip(frame["make"], frame["model"], strict=True)]
    frame["taken"] = pd.to_datetime(frame["taken"], format="%Y:%m:%d %H:%M:%S", errors="coerce")
    frame["year"] = frame["taken"].dt.year
    return frame


def _camera_name(make, model) -> str:
    make = make if isinstance(make, str) else ""
    model = model if isinstance(model, str) else ""
    if make and model.lower().startswith(make.split()[0].lower()):
        return model  # "Canon" + "Canon PowerShot S50" -> "Canon PowerShot S50"
    return " ".join(part for part in (make, model) if part) or "unknown"


def _clean(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    value = str(value).replace("\x00", "").strip()
    return value or None


def file_problems(manifest, image_extensions=(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff")):
    """The files a folder load skipped, split into real problems and other files.

    Parameters
    ----------
    manifest : pandas.DataFrame
        ``ImageFolder.manifest`` (columns ``path, class_name, status, reason``).
    image_extensions : sequence of str
        Endings with their dot (``".png"``). A skipped file with one of these endings is a *problem* (corrupt,
        truncated, empty, too large); others (sounds, text, vector files)
        are merely *not images*.

    Returns
    -------
    problems : pandas.DataFrame
        One row per skipped image file: ``path, class_name, reason``.
    others : pandas.DataFrame
        Skipped non-image files counted by extension: ``extension, files``.
    """
    import pandas as pd

    required = {"path", "class_name", "status", "reason"}
    if not hasattr(manifest, "columns") or not required <= set(manifest.columns):
        raise TypeError(f"manifest must be a DataFrame with columns {sorted(required)}")
    if isinstance(image_extensions, str):
        raise TypeError(f"image_extensions must be a sequence of endings, e.g. ({image_extensions!r},), "
                        "not one string")
    bad = [e for e in image_extensions if not isinstance(e, str) or not e.startswith(".")]
    if bad:
        raise ValueError(f"image_extensions must be endings that start with '.', e.g. '.png', got {bad}")
    skipped = manifest[manifest["status"] != "ok"]
    extensions = skipped["path"].map(lambda p: Path(p).suffix.lower())
    is_image = extensions.isin([e.lower() for e in image_extensions])
    problems = skipped.loc[is_image, ["path", "class_name", "reason"]].reset_index(drop=True)
    others = (
        extensions[~is_image]
        .replace("", "(none)")
        .value_counts()
        .rename_axis("extension")
        .rename("files")
        .reset_index()
    )
    return problems, pd.DataFrame(others)
