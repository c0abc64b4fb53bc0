"""Known-answer tests for cvhelpers.eda.detection: OpenCV Haar cascades."""

from __future__ import annotations

from cvhelpers import eda
from known_images import constant


def test_haar_face_detector_finds_the_astronaut():
    from skimage import data

    counts = eda.detect_objects([data.astronaut(), constant(128, (64, 64))], detectors=("face",))
    assert counts["face"].tolist()[1] == 0
    assert counts["face"].tolist()[0] >= 1
