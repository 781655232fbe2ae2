"""Live video: follow faces from frame to frame, smooth their probabilities, measure the frame rate."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from fer_core.annotate import annotate
from fer_core.engine import Engine, FaceResult
from fer_core.faces import iou
from fer_core.imageio import ImageError


@dataclass
class Track:
    id: int
    face: FaceResult  # box of the latest frame, probabilities smoothed over recent frames
    missed: int = 0


@dataclass
class Readout:
    """What the page shows beside the video, for one processed frame."""
    fps: float
    faces: list[tuple[int, FaceResult]] = field(default_factory=list)  # (track id, smoothed result)
    error: str | None = None


class LiveAnalyzer:
    """One per video session. ``process`` takes an RGB frame and returns it annotated, with a readout.

    Probabilities are an exponential moving average per tracked face (``smoothing`` is the weight of
    the past), so labels do not flicker from frame to frame; a face unseen for ``max_missed`` frames
    is forgotten.
    """

    def __init__(self, engine: Engine, smoothing: float = 0.6, max_missed: int = 5, min_score: float = 0.0):
        self.engine = engine
        self.smoothing = smoothing
        self.max_missed = max_missed
        self.min_score = min_score
        self._tracks: list[Track] = []
        self._next_id = 1
        self._fps = 0.0
        self._last_time: float | None = None
        self._lock = threading.Lock()

    def process(self, rgb: np.ndarray) -> tuple[np.ndarray, Readout]:
        with self._lock:
            fps = self._tick()
            try:
                faces = self.engine.analyze(rgb, min_score=self.min_score)
            except ImageError as err:  # a frame of a size or format we cannot read
                return rgb, Readout(fps, error=str(err))
            tracked = self._update(faces)
        smoothed = [face for _, face in tracked]
        return annotate(rgb, smoothed, [f"#{i} {f.reading}" for i, f in tracked]), Readout(fps, tracked)

    def _tick(self) -> float:
        now = time.perf_counter()
        if self._last_time is not None:
            instant = 1.0 / max(now - self._last_time, 1e-6)
            self._fps = instant if self._fps == 0 else 0.9 * self._fps + 0.1 * instant
        self._last_time = now
        return self._fps

    def _update(self, faces: list[FaceResult]) -> list[tuple[int, FaceResult]]:
        unmatched = list(self._tracks)
        current = []
        for face in faces:  # most confident detections pick their track first
            overlap, best = max(((iou(t.face.box, face.box), t) for t in unmatched), key=lambda pair: pair[0],
                                default=(0.0, None))
            if overlap > 0.3:
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
        return [(t.id, t.face) for t in current]
