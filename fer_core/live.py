"""Live video: each frame through the shared frame stepper (fer_core.stepper), and the frame rate."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from fer_core.engine import Engine
from fer_core.imageio import ImageError
from fer_core.limits import REDETECT_SECONDS
from fer_core.recording import Recording
from fer_core.stepper import FrameStepper
from fer_core.tracking import TrackedFace


@dataclass
class Readout:
    """What the page shows beside the video, for one processed frame."""
    fps: float
    faces: list[TrackedFace] = field(default_factory=list)
    error: str | None = None


class LiveAnalyzer:
    """One per video session. ``process`` takes an RGB frame and returns it annotated, with a readout."""

    def __init__(self, engine: Engine, smoothing: float = 0.6, max_missed: int = 5, min_score: float = 0.0,
                 redetect_s: float = REDETECT_SECONDS):
        self._stepper = FrameStepper(engine, min_score, smoothing, max_missed, redetect_s)
        self._fps = 0.0
        self._last_time: float | None = None
        self._lock = threading.Lock()
        self.recording: Recording | None = None  # set by the page while the user records

    def process(self, rgb: np.ndarray) -> tuple[np.ndarray, Readout]:
        with self._lock:
            fps = self._tick()
            try:
                faces = self._stepper.analyze(rgb, self._last_time)
            except ImageError as err:  # a frame of a size or format we cannot read
                return rgb, Readout(fps, error=str(err))
            recording = self.recording
            if recording is not None:
                recording.add(self._last_time, faces)
            return self._stepper.draw(rgb), Readout(fps, faces)

    def _tick(self) -> float:
        now = time.perf_counter()
        if self._last_time is not None:
            instant = 1.0 / max(now - self._last_time, 1e-6)
            self._fps = instant if self._fps == 0 else 0.9 * self._fps + 0.1 * instant
        self._last_time = now
        return self._fps
