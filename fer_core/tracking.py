"""Follow faces from frame to frame (Live and video files): stable ids, smoothed probabilities."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from fer_core.faces import iou
from fer_core.results import FaceResult


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

    A face in a new frame continues the track whose last box overlaps it most (IoU over ``min_overlap``);
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

    def update(self, faces: list[FaceResult]) -> list[TrackedFace]:
        """The faces of the next frame -> each with its track's id and smoothed result, in the order given."""
        unmatched = list(self._tracks)
        current = []
        for face in faces:  # most confident detections pick their track first
            overlap, best = max(((iou(t.face.box, face.box), t) for t in unmatched), key=lambda pair: pair[0],
                                default=(0.0, None))
            if overlap > self.min_overlap:
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
