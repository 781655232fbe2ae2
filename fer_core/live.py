"""Live video: each frame through the shared frame stepper (fer_core.stepper), and the frame rate."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import av
import numpy as np

from fer_core.engine import Engine
from fer_core.frames import rgb_frame, yuv_frame
from fer_core.imageio import ImageError
from fer_core.limits import REDETECT_SECONDS
from fer_core.recording import Recording
from fer_core.stepper import FrameStepper
from fer_core.tracking import TrackedFace

FPS_WINDOW_SECONDS = 2.0  # the frame rate shown is counted over this much of the last frames


@dataclass
class Readout:
    """What the page shows beside the video, for one processed frame."""
    fps: float
    faces: list[TrackedFace] = field(default_factory=list)
    error: str | None = None


class LiveAnalyzer:
    """One per video session. ``process`` takes an RGB frame and returns it annotated, with a readout."""

    def __init__(self, engine: Engine, smoothing: float = 0.6, max_missed: int = 5, min_score: float = 0.0,
                 redetect_s: float = REDETECT_SECONDS, clock=time.perf_counter):
        self._clock = clock  # seconds; the benchmark plays a camera's frames at their own times
        self._stepper = FrameStepper(engine, min_score, smoothing, max_missed, redetect_s, keep_up=True)
        self._times: deque[float] = deque()  # when the frames of the last FPS_WINDOW_SECONDS were analyzed
        self._last_time: float | None = None
        self._lock = threading.Lock()
        self.recording: Recording | None = None  # set by the page while the user records

    @property
    def detections(self) -> int:
        """Frames searched for faces so far."""
        return self._stepper.detections

    def process_frame(self, frame: av.VideoFrame) -> tuple[av.VideoFrame, Readout]:
        """A WebRTC frame in, its annotated copy out (what the frame callback does). The copy goes back in
        yuv420p, the encoder's own format: the stream re-sends the last annotated frame until the next is ready,
        and an RGB frame would be converted again at each sending (about 2.5 of a VP8 encode's 4 ms here)."""
        annotated, readout = self.process(rgb_frame(frame))
        return yuv_frame(annotated), readout

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
        """Frames analyzed a second over the last ``FPS_WINDOW_SECONDS``: the rate the viewer really gets (an
        average of instant rates would overstate it when frames come in bursts)."""
        now = self._clock()
        self._last_time = now
        self._times.append(now)
        while now - self._times[0] > FPS_WINDOW_SECONDS:
            self._times.popleft()
        return (len(self._times) - 1) / (now - self._times[0]) if len(self._times) > 1 else 0.0
