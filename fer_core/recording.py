"""A Live session's recording: how each face read over time, kept in the session's memory only.

It keeps times, face ids, boxes, scores and probabilities, never pixels: about 50 bytes a face a sample, in
flat arrays. A sample is taken every ``RECORDING_EVERY_SECONDS``, at most ``RECORDING_MAX_MINUTES`` long: past
that the recording stops growing and says so (``full``). At the end it gives the same records as a video file
(:func:`fer_core.report.video_records`), so that the page shows it with the video's timeline and downloads.
"""
from __future__ import annotations

import math
import threading
from array import array

from fer_core.labels import EMOTIONS
from fer_core.limits import RECORDING_EVERY_SECONDS, RECORDING_MAX_MINUTES
from fer_core.report import video_records
from fer_core.results import FaceResult
from fer_core.tracking import TrackedFace


class Recording:
    """Filled from the frame callback's thread (:meth:`add`), read from the page's (:meth:`records`)."""

    def __init__(self, threshold: float, every_s: float = RECORDING_EVERY_SECONDS,
                 max_minutes: float = RECORDING_MAX_MINUTES):
        self.threshold = threshold  # the model's "not sure" threshold, for the records' verdicts
        self.every_s = every_s
        self.max_s = max_minutes * 60
        self.full = False  # reached max_minutes: later frames are not kept
        self.stopped = False  # the user ended it: later frames are not kept
        self._lock = threading.Lock()
        self._start: float | None = None
        self._next_due = 0.0
        self._samples, self._last_s = 0, 0.0
        self._times, self._samples_of = array("f"), array("i")  # per face row: its moment, and that moment's index
        self._ids, self._boxes = array("i"), array("i")
        self._scores, self._probs = array("f"), array("f")

    def add(self, clock_s: float, faces: list[TrackedFace]) -> None:
        """The faces of a frame at ``clock_s`` (any clock in seconds); kept when a sample is due."""
        with self._lock:
            if self._start is None:
                self._start = clock_s
            time_s = clock_s - self._start
            if time_s + 1e-6 < self._next_due or self.full or self.stopped:
                return
            if time_s > self.max_s:
                self.full = True
                return
            self._next_due = (math.floor(time_s / self.every_s + 1e-6) + 1) * self.every_s
            for face_id, face in faces:
                self._times.append(time_s)
                self._samples_of.append(self._samples)
                self._ids.append(face_id)
                self._boxes.extend(face.box)
                self._scores.append(face.score)
                self._probs.extend(face.probs)
            self._samples, self._last_s = self._samples + 1, time_s

    def stop(self) -> None:
        self.stopped = True

    @property
    def seconds(self) -> float:
        """How long it has run, from its first frame to its last sample."""
        return self._last_s

    @property
    def nbytes(self) -> int:
        """The memory its samples take."""
        parts = (self._times, self._samples_of, self._ids, self._boxes, self._scores, self._probs)
        return sum(part.itemsize * len(part) for part in parts)

    def records(self) -> list[dict]:
        """One record per face per sample, as a video file's: ``time_s``, ``frame`` (the sample's number),
        ``face`` (its id), then the reading."""
        n, records = len(EMOTIONS), []
        with self._lock:
            for i, (time_s, sample, face_id) in enumerate(zip(self._times, self._samples_of, self._ids)):
                face = FaceResult(tuple(self._boxes[4 * i:4 * i + 4]), float(self._scores[i]),
                                  tuple(float(p) for p in self._probs[n * i:n * i + n]), self.threshold)
                records += video_records(float(time_s), sample, [TrackedFace(face_id, face)])
        return records
