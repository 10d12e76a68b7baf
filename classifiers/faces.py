"""Count faces in a posted picture: a photo with faces in a class group is likely of pupils.

Uses the frontal-face Haar cascade that OpenCV 4 ships. It is quick on a CPU and
needs no model download; it misses faces in profile and now and then finds one
in a pattern, which is fine for raising or lowering a ``pupil_image`` score.
OpenCV 5 moved Haar cascades out of the standard package, so OpenCV 4 is needed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import cv2.data
import numpy as np
from cv2.typing import MatLike

CASCADE_FILE = "haarcascade_frontalface_default.xml"
#: Larger pictures are shrunk to this longest side first: phone photos are ~4000 px,
#: and a child's face in a class photo still spans well over the cascade's 24 px.
MAX_SIDE = 1280


class FaceDetectorUnavailable(RuntimeError):
    """The installed OpenCV has no Haar cascade classifier or no frontal-face cascade."""


def count_faces(image: bytes) -> int | None:
    """The number of frontal faces in encoded image bytes; None if they are not an image."""
    gray = _decode(image)
    if gray is None:
        return None
    faces = _cascade().detectMultiScale(
        cv2.equalizeHist(_shrink(gray)), scaleFactor=1.1, minNeighbors=5, minSize=(24, 24)
    )
    return len(faces)


def _decode(image: bytes) -> MatLike | None:
    if not image:
        return None
    try:
        return cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_GRAYSCALE)
    except cv2.error:
        return None


def _shrink(gray: MatLike) -> MatLike:
    scale = MAX_SIDE / max(gray.shape[:2])
    if scale >= 1:
        return gray
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


@cache
def _cascade() -> cv2.CascadeClassifier:
    """The face cascade, loaded on first use and kept."""
    if not hasattr(cv2, "CascadeClassifier"):
        raise FaceDetectorUnavailable(
            f"OpenCV {cv2.__version__} has no Haar cascades; install opencv-python-headless<5"
        )
    path = Path(cv2.data.haarcascades) / CASCADE_FILE
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise FaceDetectorUnavailable(f"cannot load the face cascade {path}")
    return cascade
