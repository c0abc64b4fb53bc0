"""Objects in the images: faces, eyes, bodies and cat faces found by OpenCV's Haar cascades.

Question 8 of notebook 01: :func:`detect_objects` counts the detections of
each cascade in :data:`HAAR_CASCADES` per image. The cascades ship inside
``opencv-python-headless`` below version 5, so this works offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cvhelpers.eda._batching import _batches, _luminance, _num_images, _to_float
from cvhelpers.validation import check_number, check_positive_int

__all__ = [
    "HAAR_CASCADES",
    "detect_objects",
]


#: Detector name -> OpenCV Haar cascade file (shipped in opencv-python < 5).
HAAR_CASCADES = {
    "face": "haarcascade_frontalface_default.xml",
    "eye": "haarcascade_eye.xml",
    "body": "haarcascade_fullbody.xml",
    "cat_face": "haarcascade_frontalcatface_extended.xml",
}


def _load_cascades(detectors):
    import cv2

    if not hasattr(cv2, "data") or not hasattr(cv2.data, "haarcascades"):
        raise RuntimeError(
            "this OpenCV build ships no Haar cascades; install opencv-python-headless<5 "
            "(version 5 dropped cv2.data.haarcascades)"
        )
    cascades = {}
    for name in detectors:
        if name not in HAAR_CASCADES:
            raise ValueError(f"detectors must be among {tuple(HAAR_CASCADES)}, got {name!r}")
        path = Path(cv2.data.haarcascades) / HAAR_CASCADES[name]
        cascade = cv2.CascadeClassifier(str(path))
        if cascade.empty():
            raise RuntimeError(f"could not load the Haar cascade {path}")
        cascades[name] = cascade
    return cascades


def detect_objects(
    images,
    detectors: Sequence[str] = ("face", "eye", "body", "cat_face"),
    min_side: int = 0,
    scale_factor: float = 1.1,
    min_neighbors: int = 5,
):
    """Count faces, eyes, bodies and cat faces with OpenCV's Haar cascades (question 8).

    The cascades (Viola and Jones 2001) ship inside ``opencv-python-headless``
    below version 5, so this works offline. They find frontal, upright
    photographic faces; drawings and small images give few detections, and
    a count of 0 means "not found", not "absent".

    Parameters
    ----------
    images : ndarray (n, h, w[, c]) or list of ndarray (h, w[, c])
    detectors : sequence of str, default all of :data:`HAAR_CASCADES`
    min_side : int, default=0
        Images whose shorter side is smaller are upscaled to it first
        (the cascades' windows are 24 px and up).
    scale_factor, min_neighbors
        Passed to ``cv2.CascadeClassifier.detectMultiScale``: a number > 1
        and an int >= 0.

    Returns
    -------
    pandas.DataFrame
        n rows, one int column per detector: detections in that image.
    """
    import cv2
    import pandas as pd

    if isinstance(detectors, str):
        raise TypeError(f"detectors must be a sequence of names, e.g. ({detectors!r},), not one string")
    min_side = check_positive_int(min_side, "min_side", smallest=0)
    scale_factor = check_number(scale_factor, "scale_factor", low=1.0, low_open=True)
    min_neighbors = check_positive_int(min_neighbors, "min_neighbors", smallest=0)
    cascades = _load_cascades(detectors)
    n = _num_images(images)
    counts = {name: np.zeros(n, dtype=np.int64) for name in cascades}
    for indices, batch in _batches(images):
        gray = np.rint(_luminance(_to_float(batch)) * 255).astype(np.uint8)
        for index, image in zip(indices, gray, strict=True):
            short = min(image.shape)
            if min_side and short < min_side:
                scale = min_side / short
                image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
            image = cv2.equalizeHist(image)
            for name, cascade in cascades.items():
                found = cascade.detectMultiScale(image, scaleFactor=scale_factor, minNeighbors=min_neighbors)
                counts[name][index] = len(found)
    return pd.DataFrame(counts)
