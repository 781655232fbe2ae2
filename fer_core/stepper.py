"""One step for every stream of frames, video files and Live alike: detect, classify, track, annotate.

In the manner of MediaPipe Tasks' one task for image, video and live-stream modes: a stream owns a
:class:`FrameStepper`, calls :meth:`~FrameStepper.analyze` on the frames it analyzes and :meth:`~FrameStepper.draw`
on every frame it shows, so that the boxes of the last analyzed frame stay on the frames in between.

The detector is the dearest step (YuNet about 20 ms a 640x480 frame, against 1-6 ms a face for a model), so a
stream searches for faces at most every ``REDETECT_SECONDS`` of its own time, and moves the boxes it has by
optical flow on the frames between. Most of those searches look at a ``QUICK_SEARCH_SIDE`` copy, where a
face at a laptop's camera is still large; one every ``FULL_SEARCH_SECONDS`` looks at the detector's full size,
so that small faces further away are found too. A file analyzed more sparsely than that (a few frames a
second) is searched in full on every analyzed frame, so that a video split into parts reads as the whole; a live
stream (``keep_up``) keeps to the quick copy however far apart its frames come, since a loaded server that
fell behind would otherwise pay for a full search on every frame. Every analyzed frame is classified afresh, so a
reading is never older than its frame. A face lost by the flow, or a frame with no face yet, is searched at once.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from fer_core.annotate import annotate
from fer_core.engine import Engine
from fer_core.faces import crop_faces, to_gray
from fer_core.imageio import load_photo
from fer_core.limits import FULL_SEARCH_SECONDS, QUICK_SEARCH_SIDE, REDETECT_SECONDS
from fer_core.tracking import BoxFollower, FaceTracker, TrackedFace


class FrameStepper:
    """The faces of one stream, followed from frame to frame. Not thread-safe: one stepper per stream.

    ``redetect_s``: the longest stream time between two searches for faces (0: search every analyzed frame in
    full); ``keep_up``: a live stream (see above).
    """

    def __init__(self, engine: Engine, min_score: float = 0.0, smoothing: float = 0.6, max_missed: int = 5,
                 redetect_s: float = REDETECT_SECONDS, keep_up: bool = False):
        self.engine = engine
        self.min_score = min_score
        self.redetect_s = redetect_s
        self.keep_up = keep_up
        self._tracker = FaceTracker(smoothing, max_missed)
        self._follower = BoxFollower()
        self._detected_at: float | None = None
        self._full_search_at: float | None = None
        self._last_time: float | None = None
        self._size: tuple[int, int] | None = None  # (width, height) of the last analyzed frame
        self.detections = 0  # frames searched for faces, of those analyzed
        self.faces: list[TrackedFace] = []  # of the last analyzed frame, boxes in its pixels

    def analyze(self, rgb: np.ndarray, time_s: float) -> list[TrackedFace]:
        """The faces of the next frame (at ``time_s`` seconds of the stream), each with the id of its track and
        its smoothed probabilities."""
        photo = load_photo(rgb)
        if self._size is not None and photo.full_size != self._size:
            scale = (photo.full_size[0] / self._size[0], photo.full_size[1] / self._size[1])
            self._tracker.rescale(scale, photo.full_size)
            self.faces, self._detected_at = [], None  # the flow cannot cross a change of size: search
        self._size = photo.full_size
        gray = to_gray(photo.rgb)
        moved = self._moved_faces(gray, time_s) if photo.scale == (1.0, 1.0) else None
        if moved is None:
            dense = self._last_time is not None and (self.keep_up or time_s - self._last_time < self.redetect_s)
            full = self._full_search_at is None or time_s - self._full_search_at >= FULL_SEARCH_SECONDS
            search_side = QUICK_SEARCH_SIDE if dense and self.redetect_s and not full else None
            moved = self.engine.analyze(photo, min_score=self.min_score, stream=True, search_side=search_side)
            self._detected_at, self.detections = time_s, self.detections + 1
            self._full_search_at = time_s if search_side is None else self._full_search_at
            self._follower.remember(gray)
        self.faces, self._last_time = self._tracker.update(moved), time_s
        return self.faces

    def _moved_faces(self, gray: np.ndarray, time_s: float):
        """The last faces, moved onto this frame and read again; None when a search is due or a face is lost."""
        if not self.faces or self._detected_at is None or time_s - self._detected_at >= self.redetect_s:
            return None
        boxes = self._follower.follow(gray, [t.face.box for t in self.faces])
        if any(box is None for box in boxes):
            return None
        probs = self.engine.classify(crop_faces(gray, boxes))
        return [replace(t.face, box=box, probs=tuple(float(p) for p in row))
                for t, box, row in zip(self.faces, boxes, probs)]

    def draw(self, rgb: np.ndarray) -> np.ndarray:
        """A copy of ``rgb`` with the last analyzed faces' boxes and readings drawn."""
        return annotate(rgb, [t.face for t in self.faces], [t.overlay for t in self.faces])
