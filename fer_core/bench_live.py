"""The benchmark's Live section (``python -m fer_core.bench --live``): where a Live frame's time goes, and the
scheduled stream against a naive per-frame pipeline, in one run.

A 640x480 camera stream at 30 frames a second of a real face drifting (the astronaut), encoded as the browser
sends it (VP8, through aiortc's own codec, the one the server runs). Each step of a frame is timed on its own:
the server's VP8 decode, ``to_ndarray``, the detector, the model on the face, the tracker, optical flow,
drawing, ``from_ndarray`` and the VP8 encode of the annotated frame (as RGB, and as the encoder's yuv420p).
Then whole frames: the naive pipeline (detect and classify every frame, RGB back) against ours (the Live page's
``LiveAnalyzer.process_frame``: search at most every ``REDETECT_SECONDS``, mostly on a small copy, flow between,
yuv420p back), each through the codecs, as milliseconds a frame and the frame rate that one core could hold.
"""
from __future__ import annotations

import fractions
import time

import av
import numpy as np

from fer_core.annotate import annotate
from fer_core.bench_batch import face_frames
from fer_core.engine import Engine
from fer_core.faces import crop_faces, to_gray
from fer_core.frames import rgb_frame, yuv_frame
from fer_core.live import LiveAnalyzer
from fer_core.stepper import FrameStepper
from fer_core.tracking import BoxFollower, FaceTracker

FPS = 30
SIZE = (640, 480)


def _vp8_stream(frames: list[np.ndarray]) -> list[bytes]:
    """The frames as the browser sends them: VP8 frames, depacketized (what the server's decoder is fed)."""
    from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload

    encoder, encoded = Vp8Encoder(), []
    for i, rgb in enumerate(frames):
        payloads, _ = encoder.encode(_video_frame(rgb, i))
        encoded.append(b"".join(vp8_depayload(p) for p in payloads))
    return encoded


def _video_frame(rgb: np.ndarray, index: int) -> av.VideoFrame:
    return _stamped(av.VideoFrame.from_ndarray(rgb, format="rgb24"), index)


def _yuv_frame(rgb: np.ndarray, index: int) -> av.VideoFrame:
    return _stamped(yuv_frame(rgb), index)


def _stamped(frame: av.VideoFrame, index: int) -> av.VideoFrame:
    frame.pts, frame.time_base = index * 3000, fractions.Fraction(1, 90000)
    return frame


class Codecs:
    """The server's side of a WebRTC video session: decode what arrives, encode what goes back."""

    def __init__(self):
        from aiortc.codecs.vpx import Vp8Decoder, Vp8Encoder

        self.decoder, self.encoder = Vp8Decoder(), Vp8Encoder()

    def decode(self, data: bytes, index: int) -> av.VideoFrame:
        from aiortc.jitterbuffer import JitterFrame

        return self.decoder.decode(JitterFrame(data, index * 3000))[0]

    def encode(self, frame: av.VideoFrame) -> None:
        self.encoder.encode(frame)


def _per_frame_ms(step, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        step(i)
    return (time.perf_counter() - start) * 1000 / count


def main(engine: Engine, seconds: float = 10) -> None:
    count = int(seconds * FPS)
    frames = list(face_frames(SIZE, count))
    packets = _vp8_stream(frames)
    codecs = Codecs()
    decoded = [codecs.decode(data, i) for i, data in enumerate(packets)]
    rgbs = [frame.to_ndarray(format="rgb24") for frame in decoded]
    boxes = [engine.detector.detect(rgb)[0].box for rgb in rgbs[:1]] * count
    grays = [to_gray(rgb) for rgb in rgbs]
    crops = [crop_faces(gray, [box]) for gray, box in zip(grays, boxes)]
    faces = engine.analyze(rgbs[0], stream=True)
    yuvs = [_yuv_frame(rgb, i) for i, rgb in enumerate(rgbs)]
    follower, tracker = BoxFollower(), FaceTracker()
    follower.remember(grays[0])

    print(f"\nLive: one 640x480 camera stream at {FPS} fps, one face, {count} frames "
          f"({engine.classifier.path.parent.name} model, {type(engine.detector).__name__})")
    steps = {
        "VP8 decode (aiortc)": lambda i: codecs.decode(packets[i], i),
        "to_ndarray, rgb24 (naive)": lambda i: decoded[i].to_ndarray(format="rgb24"),
        "rgb_frame (ours)": lambda i: rgb_frame(decoded[i]),
        "detect": lambda i: engine.detector.detect(rgbs[i]),
        "grey + crop + classify one face": lambda i: engine.classify(crop_faces(to_gray(rgbs[i]), [boxes[i]])),
        "  of which classify": lambda i: engine.classify(crops[i]),
        "optical flow (between detections)": lambda i: follower.follow(grays[i], [boxes[i]]),
        "track": lambda i: tracker.update(faces),
        "draw": lambda i: annotate(rgbs[i], faces, ["#1: happy 93%"]),
        "from_ndarray, RGB (naive)": lambda i: av.VideoFrame.from_ndarray(rgbs[i], format="rgb24"),
        "VP8 encode of that (aiortc; naive)": lambda i: codecs.encode(_video_frame(rgbs[i], i)),
        "from_ndarray, yuv420p (ours)": lambda i: _yuv_frame(rgbs[i], i),
        "VP8 encode of that (aiortc; ours)": lambda i: codecs.encode(yuvs[i]),
    }
    for name, step in steps.items():
        print(f"  {name:<38} {_per_frame_ms(step, count):7.2f} ms a frame")

    print("  whole frames, codecs included:")
    results = {}
    naive_stepper, codecs = FrameStepper(engine, redetect_s=0.0), Codecs()

    def naive(i):
        rgb = codecs.decode(packets[i], i).to_ndarray(format="rgb24")
        naive_stepper.analyze(rgb, i / FPS)
        codecs.encode(_video_frame(naive_stepper.draw(rgb), i))

    results["naive"] = ms = _per_frame_ms(naive, count)
    print(f"  {'naive: detect + classify every frame, RGB out':<52} {ms:7.2f} ms a frame   {1000 / ms:6.1f} fps a core"
          f"   ({naive_stepper.detections} of {count} frames searched)")
    clock = iter(np.arange(count + 1) / FPS)
    analyzer, ours_codecs = LiveAnalyzer(engine, clock=lambda: next(clock)), Codecs()

    def ours(i):
        annotated, _ = analyzer.process_frame(ours_codecs.decode(packets[i], i))
        ours_codecs.encode(_stamped(annotated, i))

    results["ours"] = ms = _per_frame_ms(ours, count)
    print(f"  {'ours (LiveAnalyzer.process_frame), yuv420p out':<52} {ms:7.2f} ms a frame   {1000 / ms:6.1f} fps a core"
          f"   ({analyzer.detections} of {count} frames searched)")
    naive, ours = results.values()
    print(f"  ours is {naive / ours:.2f}x the naive pipeline's frame rate")
