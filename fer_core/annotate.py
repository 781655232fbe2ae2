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
UNCERTAIN_COLOR = (255, 255, 255)  # a "not sure" box on the image
NOT_SURE_COLOR = (150, 150, 150)  # "not sure" in charts and on the result card, drawn on white


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


Rect = tuple[int, int, int, int]  # x0, y0, x1, y1


def place_labels(boxes: list[tuple[int, int, int, int]], sizes: list[tuple[int, int]],
                 bounds: tuple[int, int]) -> list[Rect]:
    """Where each face's label goes: a rectangle of its ``sizes`` (width, height) inside ``bounds`` (width,
    height), above its box, else below it, else inside its top, else nudged up or down from above until it
    clears the labels placed before it (first come, first placed). Only where no spot is free at all (more
    labels than the image can hold) does a label overlap another; none ever leaves the image."""
    width, height = bounds
    placed: list[Rect] = []
    for (x, y, w, h), (tw, th) in zip(boxes, sizes):
        tw, th = min(tw, width), min(th, height)
        left = min(max(0, x), width - tw)
        candidates = [y - th, y + h, y]  # above, below, inside the top
        step = max(1, th // 2)
        candidates += [c for k in range(1, 2 * height // step + 2) for c in (y - th - k * step, y + h + k * step)]
        spots = [(left, top, left + tw, top + th) for top in candidates if 0 <= top <= height - th]
        spots = spots or [(left, max(0, min(y, height - th)), left + tw, max(0, min(y, height - th)) + th)]
        free = next((spot for spot in spots if not any(_overlap(spot, other) for other in placed)), None)
        placed.append(free or min(spots, key=lambda spot: sum(_overlap_area(spot, o) for o in placed)))
    return placed


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _overlap_area(a: Rect, b: Rect) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def label_style(image_shape) -> tuple[int, float]:
    """Line thickness and font scale for an image of this shape: they follow its size."""
    unit = max(image_shape[:2]) / 640
    return max(1, round(2 * unit)), max(0.4, 0.6 * unit)


def label_size(text: str, thickness: int, font_scale: float) -> tuple[int, int]:
    """Width and height of ``text``'s label, its padding included."""
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
    return tw + 2 * thickness, th + base + 2 * thickness


def annotate(image: np.ndarray, results, labels: list[str] | None = None) -> np.ndarray:
    """A copy of RGB ``image`` with each result's box and label drawn ("1: happy 93%", "2: not sure"; ``labels``
    overrides the text), the labels placed so that they neither overlap nor leave the image (:func:`place_labels`).
    An uncertain face gets a dashed white-on-black box: colour is never the only cue."""
    out = np.ascontiguousarray(image, dtype=np.uint8).copy()
    height, width = out.shape[:2]
    thickness, font_scale = label_style(out.shape)
    texts = [labels[i] if labels else result.tag for i, result in enumerate(results)]
    spots = place_labels([r.box for r in results], [label_size(t, thickness, font_scale) for t in texts],
                         (width, height))
    for result, text, (x0, y0, x1, y1) in zip(results, texts, spots):
        x, y, w, h = result.box
        color = UNCERTAIN_COLOR if result.uncertain else EMOTION_COLORS[result.label]
        if result.uncertain:
            _dashed_rectangle(out, (x, y), (x + w, y + h), color, thickness)
        else:
            cv2.rectangle(out, (x, y), (x + w, y + h), color, thickness, cv2.LINE_AA)
    for result, text, (x0, y0, x1, y1) in zip(results, texts, spots):  # labels over every box
        color = UNCERTAIN_COLOR if result.uncertain else EMOTION_COLORS[result.label]
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), color, -1)
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), (0, 0, 0), 1)  # an edge: a label stays apart from its neighbour
        (_, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        cv2.putText(out, text, (x0 + thickness, y0 + th + thickness), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (0, 0, 0),
                    thickness, cv2.LINE_AA)
    return out


def annotate_photo(photo: Photo, results, labels: list[str] | None = None) -> np.ndarray:
    """``photo.rgb`` annotated with ``results``, whose boxes are in the full photo's pixels."""
    (sx, sy), (height, width) = photo.scale, photo.rgb.shape[:2]
    return annotate(photo.rgb, rescale(results, (1 / sx, 1 / sy), (width, height)), labels)
