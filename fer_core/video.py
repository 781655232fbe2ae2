"""Video files: decoded in memory with PyAV, analyzed at a chosen rate through the frame stepper that Live
uses too (faces followed with stable ids), and an annotated copy written as the frames go by. Nothing touches
the disk unless the caller names a path. A clip is opened, checked and decoded once:

    with VideoClip("clip.mp4") as clip:              # clip.info: size, frame rate, length, rotation
        for time_s, frame, faces in clip.analyze(engine, every=0.1):
            for face_id, face in faces: ...
"""
from __future__ import annotations

import io
import itertools
import math
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np

from fer_core.engine import Engine
from fer_core.frames import rgb_frame, yuv_frame
from fer_core.limits import MAX_VIDEO_MB, MAX_VIDEO_PIXELS, MAX_VIDEO_SECONDS, VIDEO_OUTPUT_MAX_SIDE
from fer_core.results import rescale
from fer_core.stepper import FrameStepper
from fer_core.tracking import TrackedFace

WRITER_QUEUE_FRAMES = 4  # annotated frames waiting for the encoder: a 1280x720 one is 2.8 MB
FORMATS = "MP4, MOV, WebM, MKV or AVI"
UPLOAD_TYPES = ["mp4", "m4v", "mov", "webm", "mkv", "avi"]
DEMUXERS = {"mov", "mp4", "matroska", "webm", "avi"}  # FFmpeg's names of those containers; it would also
# "play" a text file (its tty demuxer) or a still image, which are not videos here


class VideoError(ValueError):
    """A file that cannot be used as a video. ``str(err)`` is meant for a non-technical reader."""


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed, after the rotation phones record
    height: int
    fps: float  # average frame rate
    duration: float  # seconds
    rotation: int  # degrees counter-clockwise that turn the stored frames upright


class AnalyzedFrame(NamedTuple):
    time_s: float  # from the start of the video
    frame: int  # index among all decoded frames, from 0
    faces: list[TrackedFace]  # boxes in the upright frame's pixels


def _open(source, limited: bool) -> av.container.InputContainer:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise VideoError(f"No file named '{path.name}' was found.")
        size = path.stat().st_size
    elif isinstance(source, (bytes, bytearray, memoryview)):
        size, source = len(source), io.BytesIO(source)
    elif hasattr(source, "read") and hasattr(source, "seek"):
        source.seek(0, io.SEEK_END)
        size = source.tell()
        source.seek(0)
    else:
        raise VideoError(f"Cannot read a video from a {type(source).__name__}.")
    if size == 0:
        raise VideoError("The file is empty.")
    if limited and size > MAX_VIDEO_MB * 2**20:  # as Streamlit counts an upload limit
        raise VideoError(f"This video is {size / 2**20:.0f} MB; the limit is {MAX_VIDEO_MB} MB.")
    try:
        container = av.open(str(source) if isinstance(source, os.PathLike) else source, mode="r")
    except av.error.InvalidDataError as err:
        if _is_video_container(_head(source)):  # e.g. an MP4 cut short before its index
            raise VideoError("This video is damaged or incomplete and cannot be read.") from err
        raise VideoError(f"This file is not a video we can read ({FORMATS}).") from err
    except av.error.FFmpegError as err:
        raise VideoError("This video is damaged or incomplete and cannot be read.") from err
    if container.streams.video and not DEMUXERS & set(container.format.name.split(",")):
        container.close()
        raise VideoError(f"This file is not a video we can read ({FORMATS}).")
    return container


def _head(source) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read(16)
    source.seek(0)
    return source.read(16)


def _is_video_container(head: bytes) -> bool:
    """MP4/MOV ('ftyp'), Matroska/WebM (EBML) or AVI (RIFF ... AVI) by their first bytes."""
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3" or (head[:4] == b"RIFF" and head[8:11] == b"AVI")


def _checked_info(container: av.container.InputContainer,
                  limited: bool) -> tuple[VideoInfo, Iterator[av.VideoFrame]]:
    """The video's info after checking it against the limits, and its frames from the first: the first
    frame is decoded here already, for the rotation that phones record."""
    if not container.streams.video:
        if container.streams.audio:
            raise VideoError("This file has sound but no picture.")
        raise VideoError("This video has no frames.")
    stream = container.streams.video[0]
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height == 0:
        raise VideoError("This video has no frames.")
    if width * height > MAX_VIDEO_PIXELS:
        raise VideoError(f"This video's frames are too large ({width}x{height}); the limit is "
                         f"{MAX_VIDEO_PIXELS / 1e6:.1f} megapixels a frame (3840x2160, 4K).")
    fps = float(stream.average_rate or stream.guessed_rate or 0) or 30.0
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    else:
        duration = (container.duration or 0) / av.time_base
    if limited and duration > MAX_VIDEO_SECONDS:
        raise VideoError(f"This video lasts {duration / 60:.1f} minutes; the limit is {MAX_VIDEO_SECONDS // 60} "
                         "minutes. Cut it into shorter clips.")
    stream.thread_type = "AUTO"  # decode on every core
    frames = container.decode(stream)
    try:
        first = next(frames)
    except StopIteration:
        raise VideoError("This video has no frames.") from None
    except av.error.FFmpegError as err:
        raise VideoError("This video is damaged or incomplete and cannot be read.") from err
    rotation = int(first.rotation or 0)
    if rotation % 180:
        width, height = height, width
    return VideoInfo(width, height, fps, duration, rotation), itertools.chain([first], frames)


class VideoClip:
    """A video (bytes, a path or a binary file object), opened and checked against the limits: its
    :attr:`info`, then one pass of :meth:`analyze`. Raises :class:`VideoError`, worded for the person who gave
    the file, for anything we cannot use. Use it as a context manager (or call :meth:`close`).

    ``limited``: hold the file to the app's upload limits on size and length; the batch command reads archives
    of any length (the limit on a frame's pixels always holds)."""

    def __init__(self, source, limited: bool = True):
        self._container = _open(source, limited)
        try:
            self.info, self._frames = _checked_info(self._container, limited)
        except BaseException:
            self._container.close()
            raise
        stream = self._container.streams.video[0]
        self._start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0

    def __enter__(self) -> "VideoClip":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def analyze(self, engine: Engine, every: float | None = None, min_score: float = 0.0,
                annotated: AnnotatedWriter | None = None, start_s: float = 0.0,
                end_s: float | None = None) -> Iterator[AnalyzedFrame]:
        """Yield each analyzed frame as it is reached: every frame, or one every ``every`` seconds of video
        time (the timestamps decide, so a variable frame rate is followed). With ``annotated``, every frame is
        written with the latest boxes and readings drawn on it. Raises :class:`VideoError` mid-way if the rest
        of the file turns out to be damaged. The frames are decoded once: a clip is analyzed once.

        ``start_s`` and ``end_s`` analyze only the frames from ``start_s`` (seeking there) to before ``end_s``:
        one time range of a long video, as the batch command splits them. ``frame`` then counts from the first
        frame of the range."""
        if every is not None and every <= 0:
            raise ValueError("every must be a positive number of seconds, or None")
        if start_s > 0:
            self._seek(start_s)
        stepper, next_due, index = FrameStepper(engine, min_score), start_s, -1
        try:
            for frame in self._frames:
                time_s = max(0.0, float(frame.time) - self._start) if frame.time is not None else (index + 1) / 30.0
                if time_s + 1e-6 < start_s:  # a seek lands on the key frame before the range
                    continue
                if end_s is not None and time_s + 1e-6 >= end_s:
                    return
                index += 1
                due = every is None or time_s + 1e-6 >= next_due
                rgb = rgb_frame(frame, VIDEO_OUTPUT_MAX_SIDE) if (due or annotated) else None
                if due:
                    next_due = (math.floor(time_s / every + 1e-6) + 1) * every if every else 0.0
                    tracked = stepper.analyze(rgb, time_s)
                    full = (frame.height, frame.width) if (frame.rotation or 0) % 180 else (frame.width, frame.height)
                    scale = (full[0] / rgb.shape[1], full[1] / rgb.shape[0])
                    faces = rescale([t.face for t in tracked], scale, full)
                    yield AnalyzedFrame(round(time_s, 4), index,
                                        [TrackedFace(t.id, face) for t, face in zip(tracked, faces)])
                if annotated:
                    annotated.write(stepper.draw(rgb))
        except av.error.FFmpegError as err:
            raise VideoError("This video is damaged or incomplete after "
                             f"{max(index, 0)} frames; the part before was analyzed.") from err

    def _seek(self, start_s: float) -> None:
        """Go to the key frame at or before ``start_s``: the frames decoded from there replace the first one."""
        stream = self._container.streams.video[0]
        try:
            self._container.seek(int((self._start + start_s) / stream.time_base), stream=stream, backward=True)
        except av.error.FFmpegError as err:
            raise VideoError("This video cannot be searched for a time; it is damaged or incomplete.") from err
        self._frames = self._container.decode(stream)


def video_info(source) -> VideoInfo:
    """Size, frame rate, length and rotation of a video, after checking it against the limits."""
    with VideoClip(source) as clip:
        return clip.info


def analyze_video(engine: Engine, source, every: float | None = None, min_score: float = 0.0,
                  annotated: AnnotatedWriter | None = None) -> Iterator[AnalyzedFrame]:
    """Open ``source`` and yield its analyzed frames (see :meth:`VideoClip.analyze`)."""
    with VideoClip(source) as clip:
        yield from clip.analyze(engine, every, min_score, annotated)


class AnnotatedWriter:
    """Encodes annotated frames into ``target`` (a path or a binary file object): H.264 in MP4 where PyAV has
    libx264, VP9 in WebM otherwise; both play in browsers.

    The encoding runs in a thread of its own, a few frames behind :meth:`write` (the encoder and OpenCV let go
    of Python's lock), so that it overlaps the decoding and analysis of the next frames: a 1080p clip analyzed
    10 times a second runs about 1.15x faster for it on two cores. An encoder's error is raised by the next ``write`` or by
    :meth:`close`, which must be called (it waits for the last frames)."""

    def __init__(self, target, fps: float):
        self.codec, self.format = ("libx264", "mp4") if "libx264" in av.codecs_available else ("libvpx-vp9", "webm")
        self.mime = f"video/{self.format}"
        self._container = av.open(target, mode="w", format=self.format)
        self._fps = fps
        self._stream = None
        self._frames: queue.Queue = queue.Queue(maxsize=WRITER_QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode_all, name="annotated-writer", daemon=True)
        self._thread.start()

    def write(self, rgb: np.ndarray) -> None:
        """Queue one frame (kept as it is: do not change it afterwards)."""
        self._raise_error()
        self._frames.put(rgb)

    def close(self) -> None:
        self._frames.put(None)
        self._thread.join()
        try:
            self._container.close()
        except (av.error.FFmpegError, OSError, ValueError) as err:
            self._error = self._error or err
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise VideoError("The annotated copy could not be written.") from self._error

    def _encode_all(self) -> None:
        try:
            while (rgb := self._frames.get()) is not None:
                self._encode(rgb)
            if self._stream is not None:
                for packet in self._stream.encode():  # the frames the encoder still holds
                    self._container.mux(packet)
        except (av.error.FFmpegError, OSError, ValueError) as err:
            self._error = err
            while self._frames.get() is not None:  # keep taking frames, so that write never blocks
                pass

    def _encode(self, rgb: np.ndarray) -> None:
        if self._stream is None:
            self._stream = self._container.add_stream(self.codec, rate=Fraction(self._fps).limit_denominator(1001))
            self._stream.width, self._stream.height = rgb.shape[1], rgb.shape[0]
            self._stream.pix_fmt = "yuv420p"
            if self.codec == "libx264":
                self._stream.options = {"preset": "ultrafast", "crf": "23"}  # 1.5x faster than veryfast here
        for packet in self._stream.encode(yuv_frame(rgb)):
            self._container.mux(packet)
