"""The photo path of the app (Upload and Snapshot): one call from the uploaded bytes to the faces, the crops
the model read and a copy fit to show, within the upload limits.

    analysis = analyze_photo(engine, uploaded_bytes)
    analysis.faces, analysis.crops, analysis.annotated()
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer_core.annotate import annotate_photo
from fer_core.engine import Engine
from fer_core.imageio import ImageError, Photo, load_photo
from fer_core.limits import DISPLAY_MAX_SIDE, MAX_IMAGES_PER_UPLOAD, MAX_UPLOAD_MB
from fer_core.results import FaceResult


@dataclass(frozen=True)
class PhotoAnalysis:
    faces: list[FaceResult]  # boxes in the whole photo's pixels
    crops: np.ndarray  # uint8 (N, 48, 48): exactly what the model read for each face, in the same order
    display: Photo  # the photo at most DISPLAY_MAX_SIDE across, for the page

    def annotated(self) -> np.ndarray:
        """The display copy with each face's box and numbered label drawn."""
        return annotate_photo(self.display, self.faces, numbered_markers(self.faces))


def numbered_readings(faces: list[FaceResult]) -> list[str]:
    """Each face's full reading after its number in the photo, from 1: "1: happy 93%", "2: not sure: sad or
    fear?" (the list under the image, its text alternative)."""
    return [face.numbered(i + 1) for i, face in enumerate(faces)]


def numbered_markers(faces: list[FaceResult]) -> list[str]:
    """Each face's label on the image: "1: happy 93%", "2: not sure"."""
    return [face.marker(i + 1) for i, face in enumerate(faces)]


def within_upload_limit(items: list) -> tuple[list, str | None]:
    """The photos of one upload that are analyzed, and a note when some were left out."""
    if len(items) <= MAX_IMAGES_PER_UPLOAD:
        return items, None
    return items[:MAX_IMAGES_PER_UPLOAD], (f"{len(items)} images were given; the first {MAX_IMAGES_PER_UPLOAD} "
                                           "are analyzed.")


def analyze_photo(engine: Engine, source, min_score: float = 0.0) -> PhotoAnalysis:
    """``source`` (bytes, a file object, a path...) decoded once at analysis size, its faces read, and a copy
    made for display; the analysis copy is dropped before returning. Raises :class:`ImageError` for a file
    over the upload limit or one that is not a photo we read."""
    size = source.size if hasattr(source, "size") else len(source) if isinstance(source, (bytes, bytearray)) else 0
    if size > MAX_UPLOAD_MB * 2**20:  # as Streamlit counts its upload limit
        raise ImageError(f"This file is larger than {MAX_UPLOAD_MB} MB, the limit for photos.")
    photo = load_photo(source)
    faces, crops = engine.analyze_with_crops(photo, min_score=min_score)
    return PhotoAnalysis(faces, crops, load_photo(photo, DISPLAY_MAX_SIDE))
