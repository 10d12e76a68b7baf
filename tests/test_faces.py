"""Face counting on pictures drawn here: a cartoon face the Haar cascade takes for a real one."""

from __future__ import annotations

from pathlib import Path

import cv2
import cv2.data
import numpy as np
import numpy.typing as npt
import pytest
from cv2.typing import MatLike

from classifiers import faces
from classifiers.faces import FaceDetectorUnavailable, count_faces


def draw_face(canvas: npt.NDArray[np.uint8], centre: tuple[int, int], size: int) -> None:
    """A pale oval with dark eyebrows, eyes, nose shadow and mouth, ``size`` px high."""
    cx, cy = centre

    def at(dx: float, dy: float) -> tuple[int, int]:
        return cx + round(dx * size), cy + round(dy * size)

    def axes(w: float, h: float) -> tuple[int, int]:
        return round(w * size), round(h * size)

    cv2.ellipse(canvas, centre, axes(0.32, 0.42), 0, 0, 360, (190, 200, 225), -1)
    for side in (-1, 1):
        cv2.ellipse(canvas, at(side * 0.13, -0.15), axes(0.08, 0.02), 0, 0, 360, (40, 45, 50), -1)
        cv2.ellipse(canvas, at(side * 0.13, -0.07), axes(0.06, 0.03), 0, 0, 360, (25, 25, 30), -1)
    cv2.ellipse(canvas, at(0, 0.08), axes(0.03, 0.03), 0, 0, 360, (120, 130, 150), -1)
    cv2.ellipse(canvas, at(0, 0.22), axes(0.12, 0.03), 0, 0, 360, (50, 50, 120), -1)


def encode(image: MatLike, ext: str = ".png") -> bytes:
    ok, data = cv2.imencode(ext, image)
    assert ok
    return data.tobytes()


def blank(height: int = 300, width: int = 300, colour: int = 90) -> npt.NDArray[np.uint8]:
    return np.full((height, width, 3), colour, np.uint8)


@pytest.mark.parametrize("ext", [".png", ".jpg"])
def test_one_face(ext: str) -> None:
    image = blank()
    draw_face(image, (150, 150), 300)
    assert count_faces(encode(cv2.GaussianBlur(image, (9, 9), 0), ext)) == 1


def test_two_faces_in_a_wide_photo() -> None:
    image = blank(300, 640)
    draw_face(image, (160, 150), 280)
    draw_face(image, (480, 150), 280)
    assert count_faces(encode(image)) == 2


def test_large_photo_is_shrunk_and_still_counted() -> None:
    image = blank(3000, 4000)
    draw_face(image, (2000, 1500), 1600)
    assert count_faces(encode(image, ".jpg")) == 1


@pytest.mark.parametrize("colour", [0, 90, 255])
def test_blank_image_has_no_faces(colour: int) -> None:
    assert count_faces(encode(blank(colour=colour))) == 0


def test_text_like_picture_has_no_faces() -> None:
    image = blank(colour=255)
    for row in range(30, 280, 30):
        cv2.putText(image, "Term dates 2025", (10, row), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0))
    assert count_faces(encode(image)) == 0


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, bytes(range(256)) * 4],
)
def test_junk_bytes_are_not_an_image(data: bytes) -> None:
    assert count_faces(data) is None


def test_cascade_is_loaded_once() -> None:
    assert faces._cascade() is faces._cascade()


def test_missing_cascade_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cv2.data, "haarcascades", str(tmp_path))
    faces._cascade.cache_clear()
    try:
        with pytest.raises(FaceDetectorUnavailable, match="cannot load the face cascade"):
            count_faces(encode(blank()))
    finally:
        faces._cascade.cache_clear()
