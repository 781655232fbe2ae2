"""One step for every stream of frames, video files and Live alike: detect, classify, track, annotate.

In the manner of MediaPipe Tasks' one task for image, video and live-stream modes: a stream owns a
:class:`FrameStepper`, calls :meth:`~FrameStepper.analyze` on the frames it analyzes and :meth:`~FrameStepper.draw`
on every frame it shows, so that the boxes of the last analyzed frame stay on the frames in between.
"""
from __future__ import annotations

import numpy as np

from fer_core.annotate import annotate
from fer_core.engine import Engine
from fer_core.tracking import FaceTracker, TrackedFace


class FrameStepper:
    """The faces of one stream, followed from frame to frame. Not thread-safe: one stepper per stream."""

    def __init__(self, engine: Engine, min_score: float = 0.0, smoothing: float = 0.6, max_missed: int = 5):
        self.engine = engine
        self.min_score = min_score
        self._tracker = FaceTracker(smoothing, max_missed)
        self.faces: list[TrackedFace] = []  # of the last analyzed frame, boxes in its pixels

    def analyze(self, rgb: np.ndarray) -> list[TrackedFace]:
        """The faces of the next frame, each with the id of its track and its smoothed probabilities."""
        self.faces = self._tracker.update(self.engine.analyze(rgb, min_score=self.min_score, stream=True))
        return self.faces

    def draw(self, rgb: np.ndarray) -> np.ndarray:
        """A copy of ``rgb`` with the last analyzed faces' boxes and readings drawn."""
        return annotate(rgb, [t.face for t in self.faces], [t.overlay for t in self.faces])
