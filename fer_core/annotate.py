"""Draw boxes and labels on a copy of an image, legible from thumbnails to full-size photos."""
from __future__ import annotations

import cv2
import numpy as np

from fer_core.imageio import Photo
from fer_core.labels import EMOTIONS
from fer_core.results import rescale

# One colour per class (RGB), chosen to stay distinct for common colour-vision deficiencies.
EMOTION_COLORS: dict[str, tuple[int, int, int]] = {
    "angry": (213, 94, 0),
    "disgust": (0, 158, 115),
    "fear": (204, 121, 167),
    "happy": (240, 228, 66),
    "sad": (0, 114, 178),
    "surprise": (230, 159, 0),
    "neutral": (190, 190, 190),
}
assert tuple(EMOTION_COLORS) == EMOTIONS
UNCERTAIN_COLOR = (255, 255, 255)


def _dashed_rectangle(image: np.ndarray, top_left, bottom_right, color, thickness: int) -> None:
    """Dashes of ``color`` on a black box: visible on light and dark backgrounds alike."""
    cv2.rectangle(image, top_left, bottom_right, (0, 0, 0), thickness, cv2.LINE_AA)
    (x0, y0), (x1, y1) = top_left, bottom_right
    dash = max(4, 4 * thickness)
    for start in range(x0, x1, 2 * dash):
        for y in (y0, y1):
            cv2.line(image, (start, y), (min(start + dash, x1), y), color, thickness, cv2.LINE_AA)
    for start in range(y0, y1, 2 * dash):
        for x in (x0, x1):
            cv2.line(image, (x, start), (x, min(start + dash, y1)), color, thickness, cv2.LINE_AA)


def annotate(image: np.ndarray, results, labels: list[str] | None = None) -> np.ndarray:
    """A copy of RGB ``image`` with each result's box and reading ("happy 93%", "not sure: happy or neutral?")
    drawn; ``labels`` overrides the text. An uncertain face gets a dashed white-on-black box: colour is never the
    only cue."""
    out = np.ascontiguousarray(image, dtype=np.uint8).copy()
    height, width = out.shape[:2]
    unit = max(height, width) / 640  # line and text size follow the image size
    thickness = max(1, round(2 * unit))
    font_scale = max(0.4, 0.6 * unit)
    for i, result in enumerate(results):
        x, y, w, h = result.box
        color = UNCERTAIN_COLOR if result.uncertain else EMOTION_COLORS[result.label]
        text = labels[i] if labels else result.reading
        if result.uncertain:
            _dashed_rectangle(out, (x, y), (x + w, y + h), color, thickness)
        else:
            cv2.rectangle(out, (x, y), (x + w, y + h), color, thickness, cv2.LINE_AA)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        top = y - th - base - 2 * thickness
        if top < 0:  # no room above the box: put the label inside it
            top = y
        cv2.rectangle(out, (x, top), (x + tw + 2 * thickness, top + th + base + 2 * thickness), color, -1)
        cv2.putText(out, text, (x + thickness, top + th + thickness), cv2.FONT_HERSHEY_SIMPLEX,
                    font_scale, (0, 0, 0), thickness, cv2.LINE_AA)
    return out


def annotate_photo(photo: Photo, results, labels: list[str] | None = None) -> np.ndarray:
    """``photo.rgb`` annotated with ``results``, whose boxes are in the full photo's pixels."""
    (sx, sy), (height, width) = photo.scale, photo.rgb.shape[:2]
    return annotate(photo.rgb, rescale(results, (1 / sx, 1 / sy), (width, height)), labels)
