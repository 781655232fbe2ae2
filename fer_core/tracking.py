"""Follow faces from frame to frame (Live and video files): stable ids, smoothed probabilities, and boxes moved
by optical flow between two detections."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import cv2
import numpy as np

from fer_core.faces import iou, scale_box
from fer_core.limits import FLOW_MAX_SIDE
from fer_core.results import FaceResult

Box = tuple[int, int, int, int]


class TrackedFace(NamedTuple):
    """A face of a stream with the id it keeps while it stays in view."""
    id: int
    face: FaceResult  # probabilities smoothed over recent frames

    @property
    def name(self) -> str:
        return f"Face #{self.id}"

    @property
    def overlay(self) -> str:
        """What is drawn beside its box: "#2: happy 93%", "#3: not sure"."""
        return self.face.marker(f"#{self.id}")


@dataclass
class Track:
    id: int
    face: FaceResult  # box of the latest frame, probabilities smoothed over recent frames
    missed: int = 0


class FaceTracker:
    """Gives each face an id that it keeps while it stays in view.

    A face in a new frame continues the track whose last box overlaps it most (IoU over ``min_overlap``), or,
    when none overlaps enough (a quick move between two frames far apart, as when a loaded server analyzes
    few), the nearest track of a like size whose centre is within a face's width;
    its probabilities are an exponential moving average (``smoothing`` is the weight of the past), so labels
    do not flicker. A track unseen for ``max_missed`` frames is forgotten, and a face that comes back later
    gets a new id. Not thread-safe: one tracker per stream.
    """

    def __init__(self, smoothing: float = 0.6, max_missed: int = 5, min_overlap: float = 0.3):
        self.smoothing = smoothing
        self.max_missed = max_missed
        self.min_overlap = min_overlap
        self._tracks: list[Track] = []
        self._next_id = 1

    def rescale(self, scale: tuple[float, float], bounds: tuple[int, int]) -> None:
        """The frames changed size (a browser's encoder scales its video down under load, and back up): the
        tracks' boxes follow, so that each face keeps its id."""
        for track in self._tracks:
            track.face = replace(track.face, box=scale_box(track.face.box, scale, bounds))

    def update(self, faces: list[FaceResult]) -> list[TrackedFace]:
        """The faces of the next frame -> each with its track's id and smoothed result, in the order given."""
        unmatched = list(self._tracks)
        current = []
        for face in faces:  # most confident detections pick their track first
            overlap, best = max(((iou(t.face.box, face.box), t) for t in unmatched), key=lambda pair: pair[0],
                                default=(0.0, None))
            if overlap <= self.min_overlap:
                best = min((t for t in unmatched if _near(t.face.box, face.box)),
                           key=lambda t: _distance(t.face.box, face.box), default=None)
            if best is not None:
                unmatched.remove(best)
                probs = self.smoothing * np.array(best.face.probs) + (1 - self.smoothing) * np.array(face.probs)
                best.face = replace(face, probs=tuple(float(p) for p in probs / probs.sum()))
                best.missed = 0
                current.append(best)
            else:
                current.append(Track(self._next_id, face))
                self._next_id += 1
        for track in unmatched:
            track.missed += 1
        self._tracks = current + [t for t in unmatched if t.missed <= self.max_missed]
        return [TrackedFace(t.id, t.face) for t in current]


def _centre(box: Box) -> np.ndarray:
    x, y, w, h = box
    return np.array([x + w / 2, y + h / 2])


def _distance(a: Box, b: Box) -> float:
    return float(np.linalg.norm(_centre(a) - _centre(b)))


def _near(a: Box, b: Box) -> bool:
    """The same face moved: centres within a face's width, sides within 1.5x of each other."""
    ratio = max(a[2], b[2]) / max(1, min(a[2], b[2]))
    return ratio <= 1.5 and _distance(a, b) <= max(a[2], b[2])


class BoxFollower:
    """Moves face boxes from one frame to the next by optical flow, far cheaper than a new detection.

    Corners inside each box are followed with pyramidal Lucas-Kanade, both ways (a point that does not come back
    to where it started is dropped); the box moves by the median shift of the points and grows or shrinks by the
    median change of their spread (as OpenCV's MedianFlow tracker does). A box whose points mostly fail is lost:
    ``follow`` returns None for it, and the stream detects again. Works on a grey copy at most ``FLOW_MAX_SIDE``
    across. Not thread-safe: one per stream.
    """

    MIN_POINTS = 6

    def __init__(self):
        self._previous: np.ndarray | None = None
        self._scale = 1.0

    def remember(self, gray: np.ndarray) -> None:
        """The frame that the next :meth:`follow` moves boxes from."""
        self._scale = min(1.0, FLOW_MAX_SIDE / max(gray.shape))
        self._previous = self._small(gray)

    def follow(self, gray: np.ndarray, boxes: list[Box]) -> list[Box | None]:
        """``boxes`` of the remembered frame, moved onto ``gray`` (None: lost); ``gray`` is remembered next."""
        small = self._small(gray)
        previous, self._previous = self._previous, small
        if previous is None or previous.shape != small.shape:
            return [None] * len(boxes)
        return [self._follow_one(previous, small, box, gray.shape) for box in boxes]

    def _small(self, gray: np.ndarray) -> np.ndarray:
        if self._scale == 1.0:
            return gray
        return cv2.resize(gray, None, fx=self._scale, fy=self._scale, interpolation=cv2.INTER_AREA)

    def _follow_one(self, previous, current, box: Box, shape) -> Box | None:
        s = self._scale
        x, y, w, h = (v * s for v in box)
        x0, y0 = max(0, int(x)), max(0, int(y))
        region = previous[y0:int(y + h), x0:int(x + w)]
        if region.size == 0:
            return None
        points = cv2.goodFeaturesToTrack(region, maxCorners=40, qualityLevel=0.01, minDistance=3)
        if points is None or len(points) < self.MIN_POINTS:
            return None
        points = (points + np.float32([x0, y0])).astype(np.float32)
        moved, ok, _ = cv2.calcOpticalFlowPyrLK(previous, current, points, None, winSize=(15, 15), maxLevel=2)
        back, ok_back, _ = cv2.calcOpticalFlowPyrLK(current, previous, moved, None, winSize=(15, 15), maxLevel=2)
        good = (ok[:, 0] == 1) & (ok_back[:, 0] == 1) & (np.linalg.norm(back - points, axis=2)[:, 0] < 1.0)
        if good.sum() < max(self.MIN_POINTS, len(points) // 2):
            return None
        before, after = points[good, 0], moved[good, 0]
        shift = np.median(after - before, axis=0)
        spread_before = np.linalg.norm(before - before.mean(axis=0), axis=1)
        spread_after = np.linalg.norm(after - after.mean(axis=0), axis=1)
        growth = float(np.median(spread_after[spread_before > 0] / spread_before[spread_before > 0]))
        cx, cy = x + w / 2 + shift[0], y + h / 2 + shift[1]
        w, h = w * growth, h * growth
        height, width = shape[:2]
        x1, y1 = max(0, round((cx - w / 2) / s)), max(0, round((cy - h / 2) / s))
        x2, y2 = min(width, round((cx + w / 2) / s)), min(height, round((cy + h / 2) / s))
        return (x1, y1, x2 - x1, y2 - y1) if x2 - x1 > 1 and y2 - y1 > 1 else None
