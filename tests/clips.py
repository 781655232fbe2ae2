"""Test videos made with PyAV from real face photos, in memory."""
from __future__ import annotations

import io
from fractions import Fraction

import av
import cv2
import numpy as np
from support import astronaut

FACE = cv2.resize(astronaut()[20:260, 110:340], (160, 170))  # one frontal face, 160 x 170


def encode_clip(frames, fps: float = 15, codec: str = "libx264", fmt: str = "mp4", rotation: int = 0,
                times: list[float] | None = None) -> bytes:
    """RGB frames -> a video file's bytes. ``times`` (seconds) gives each frame's timestamp: a variable rate."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        first = frames[0]
        stream.width, stream.height, stream.pix_fmt = first.shape[1], first.shape[0], "yuv420p"
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[i] * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def two_faces_frames(count: int = 60, enter: int = 20, leave: int = 40) -> list[np.ndarray]:
    """640x480: face A drifts left to right the whole time; face B is in view from ``enter`` to ``leave``."""
    frames = []
    for i in range(count):
        frame = np.full((480, 640, 3), 180, np.uint8)
        x = 30 + 3 * i
        frame[40:210, x:x + 160] = FACE
        if enter <= i < leave:
            frame[280:450, 440:600] = FACE[:, ::-1]
        frames.append(frame)
    return frames


def portrait_frames(count: int = 15) -> list[np.ndarray]:
    """What a phone held upright stores: 640x360 frames with the face turned a quarter clockwise (the
    container's display rotation of 90 degrees counter-clockwise turns it upright, 360x640)."""
    upright = np.full((640, 360, 3), 180, np.uint8)
    upright[200:370, 100:260] = FACE
    return [np.ascontiguousarray(np.rot90(upright, -1)) for _ in range(count)]
