"""Live video: analyse each frame, follow its faces (fer_core.tracking), measure the frame rate."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from fer_core.annotate import annotate
from fer_core.engine import Engine, FaceResult
from fer_core.imageio import ImageError
from fer_core.tracking import FaceTracker


@dataclass
class Readout:
    """What the page shows beside the video, for one processed frame."""
    fps: float
    faces: list[tuple[int, FaceResult]] = field(default_factory=list)  # (track id, smoothed result)
    error: str | None = None


class LiveAnalyzer:
    """One per video session. ``process`` takes an RGB frame and returns it annotated, with a readout."""

    def __init__(self, engine: Engine, smoothing: float = 0.6, max_missed: int = 5, min_score: float = 0.0):
        self.engine = engine
        self.min_score = min_score
        self._tracker = FaceTracker(smoothing, max_missed)
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
            tracked = self._tracker.update(faces)
        smoothed = [face for _, face in tracked]
        return annotate(rgb, smoothed, [f"#{i} {f.reading}" for i, f in tracked]), Readout(fps, tracked)

    def _tick(self) -> float:
        now = time.perf_counter()
        if self._last_time is not None:
            instant = 1.0 / max(now - self._last_time, 1e-6)
            self._fps = instant if self._fps == 0 else 0.9 * self._fps + 0.1 * instant
        self._last_time = now
        return self._fps
