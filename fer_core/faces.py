"""Find faces and cut them out the way FER2013's faces were made (square, grayscale, 48x48)."""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fer_core.limits import ANALYSIS_MAX_SIDE, DETECTION_MAX_SIDE, HAAR_MAX_SIDE, HAAR_PHOTO_MAX_SIDE

FACE_SIZE = 48  # the side of the grey square a face is cut to: FER2013's, and every model's input
YUNET_FILE = "face_detection_yunet_2023mar.onnx"
YUNET_URL = ("https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/" + YUNET_FILE)
YUNET_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
HAAR_FILE = "haarcascade_frontalface_default.xml"
HAAR_PROFILE_FILE = "haarcascade_profileface.xml"  # faces turned to their left; mirrored, to their right


class DetectorError(RuntimeError):
    """A face detector could not be set up; the message says why and what to do."""


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, w, h in the input's pixels
    score: float  # 0-1: how sure the detector is that this is a face


class FaceDetector:
    """Base: downscale, detect (under a lock: OpenCV detectors keep per-call state), scale boxes back."""

    def __init__(self, max_side: int = DETECTION_MAX_SIDE):
        self.max_side = max_side
        self._lock = threading.Lock()

    def detect(self, rgb: np.ndarray, max_side: int | None = None) -> list[Detection]:
        """Faces in ``rgb``, most confident first, searched on a copy at most ``max_side`` (default: the
        detector's own) across."""
        height, width = rgb.shape[:2]
        scale = min(1.0, min(self.max_side, max_side or self.max_side) / max(height, width))
        small = rgb if scale == 1.0 else cv2.resize(
            rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        with self._lock:
            found = self._detect(small)
        detections = []
        for box, score in found:
            box = scale_box(box, (1 / scale, 1 / scale), (width, height))
            if box[2] > 0 and box[3] > 0:
                detections.append(Detection(box, float(score)))
        return sorted(detections, key=lambda d: -d.score)

    def _detect(self, rgb: np.ndarray) -> list[tuple[tuple[float, float, float, float], float]]:
        raise NotImplementedError

    def for_photos(self) -> "FaceDetector":
        """The detector for still photos, where a search may cost more than a stream's frame can: this one."""
        return self


class HaarDetector(FaceDetector):
    """OpenCV's frontal-face Haar cascade, bundled with opencv-python-headless 4.x: works offline."""

    def __init__(self, max_side: int = HAAR_MAX_SIDE, min_neighbors: int = 5, scale_factor: float = 1.2,
                 profiles: bool = False, small_faces_side: int | None = None):
        super().__init__(max_side)
        self.small_faces_side = small_faces_side  # a second search for small faces only, on a copy this large
        if not hasattr(cv2, "CascadeClassifier"):
            raise DetectorError("This OpenCV build has no Haar cascades (OpenCV 5); install "
                                "opencv-python-headless<5 or use the YuNet detector.")
        self._cascades = [_cascade(HAAR_FILE)] + ([_cascade(HAAR_PROFILE_FILE)] if profiles else [])
        self.min_neighbors = min_neighbors
        self.scale_factor = scale_factor
        self._contrast = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        self._photo_detector: HaarDetector | None = None

    def detect(self, rgb: np.ndarray, max_side: int | None = None) -> list[Detection]:
        found = super().detect(rgb, max_side)
        height, width = rgb.shape[:2]
        if not self.small_faces_side or max(height, width) <= self.max_side:
            return found
        # Faces under the cascade's 20 px window on the first copy: searched again on a larger copy, at those
        # sizes only (a few scales: a fraction of a full search of it).
        scale = min(1.0, self.small_faces_side / max(height, width))
        larger = cv2.resize(rgb, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        first_scale = self.max_side / max(height, width)  # of the first search's copy
        largest = math.ceil(20 * 2 * scale / first_scale)  # twice its smallest face: Haar is weak near its window
        with self._lock:
            small = self._search(self._cascades[0], self._contrast.apply(cv2.cvtColor(larger, cv2.COLOR_RGB2GRAY)),
                                 max_size=largest)
        small = [Detection(scale_box(box, (1 / scale, 1 / scale), (width, height)), float(score)) for box, score in small]
        kept = _without_repeats([(d.box, d.score) for d in found + small])
        return sorted((Detection(box, score) for box, score in kept), key=lambda d: -d.score)

    def _detect(self, rgb):
        # Local contrast (CLAHE): a global equalization lets a bright wall wash out a crowd's small faces.
        gray = self._contrast.apply(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        found = self._search(self._cascades[0], gray)
        if len(self._cascades) > 1:  # faces turned to either side: the profile cascade, on the image and its mirror
            width = gray.shape[1]
            found += self._search(self._cascades[1], gray)
            found += [((width - x - w, y, w, h), score)
                      for (x, y, w, h), score in self._search(self._cascades[1], np.ascontiguousarray(gray[:, ::-1]))]
            found = _without_repeats(found)
        return found

    def _search(self, cascade, gray, max_size: int = 0):
        boxes, _, weights = cascade.detectMultiScale3(
            gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors, minSize=(20, 20),
            maxSize=(max_size, max_size), outputRejectLevels=True)
        # The last stage's weight is a margin, not a probability; a logistic maps it onto 0-1.
        return [(tuple(int(v) for v in b), 1.0 / (1.0 + math.exp(-float(w)))) for b, w in zip(boxes, np.ravel(weights))]

    def for_photos(self) -> "HaarDetector":
        """For a still photo: a larger copy (HAAR_PHOTO_MAX_SIDE) searched, faces turned to the side included
        (0.3-0.5 s on two cores, against 15 ms for a Live frame): 60-90 px faces of a 1024 px photo are found;
        in a larger photo, faces too small for that copy are searched again on one up to ANALYSIS_MAX_SIDE, so
        that faces of 40 px in a 2048 px photo are found too."""
        if self._photo_detector is None:
            # One more neighbour than a frame needs: a finer search otherwise finds faces in textures (coins).
            self._photo_detector = HaarDetector(HAAR_PHOTO_MAX_SIDE, self.min_neighbors + 1, self.scale_factor, True,
                                                small_faces_side=ANALYSIS_MAX_SIDE)
        return self._photo_detector


def _cascade(name: str):
    cascade = cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, name))
    if cascade.empty():
        raise DetectorError(f"OpenCV's {name} could not be loaded.")
    return cascade


def _without_repeats(found, overlap: float = 0.3):
    """The most confident of each group of boxes that overlap by more than ``overlap`` (intersection over union)."""
    kept = []
    for box, score in sorted(found, key=lambda f: -f[1]):
        if all(iou(box, other) <= overlap for other, _ in kept):
            kept.append((box, score))
    return kept


class YuNetDetector(FaceDetector):
    """YuNet (cv2.FaceDetectorYN): more accurate than Haar on turned and small faces."""

    def __init__(self, model_path: str | os.PathLike, max_side: int = DETECTION_MAX_SIDE,
                 score_threshold: float = 0.6):
        super().__init__(max_side)
        try:
            self._net = cv2.FaceDetectorYN.create(str(model_path), "", (320, 320), score_threshold, 0.3, 5000)
        except cv2.error as err:
            raise DetectorError(f"The YuNet model at {model_path} could not be loaded: it is missing or damaged."
                                ) from err

    # YuNet's coarsest feature map is 1/32 of the input: on an image 32 px or less across, after a larger one,
    # it returned boxes of 10^7 px at score 0.9995. Black borders (below and right, so the boxes keep their
    # coordinates) bring every input to this size first.
    MIN_SIDE = 64

    def _detect(self, rgb):
        height, width = rgb.shape[:2]
        if height < self.MIN_SIDE or width < self.MIN_SIDE:
            rgb = cv2.copyMakeBorder(rgb, 0, max(0, self.MIN_SIDE - height), 0, max(0, self.MIN_SIDE - width),
                                     cv2.BORDER_CONSTANT, value=0)
        self._net.setInputSize((rgb.shape[1], rgb.shape[0]))
        _, faces = self._net.detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        return [] if faces is None else [(tuple(f[:4]), float(f[-1])) for f in faces]


def yunet_cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fer_core" / YUNET_FILE


def find_yunet_model(path: str | os.PathLike | None = None, download: bool = False) -> Path:
    """The YuNet file: ``path``, else ``$FER_YUNET_MODEL``, else the cache, else (if allowed) downloaded there.

    A downloaded file is checked against its published SHA-256 before use.
    """
    for candidate in (path, os.environ.get("FER_YUNET_MODEL"), yunet_cache_path()):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if path:
        raise DetectorError(f"No YuNet model file at {path}.")
    if not download:
        raise DetectorError("No YuNet model file is configured (set FER_YUNET_MODEL) and downloading is off.")
    return _download_yunet(yunet_cache_path())


def _download_yunet(target: Path) -> Path:
    try:
        with urllib.request.urlopen(YUNET_URL, timeout=10) as response:
            payload = response.read(2_000_000)
    except OSError as err:
        raise DetectorError(f"The YuNet model could not be downloaded ({err}).") from err
    if hashlib.sha256(payload).hexdigest() != YUNET_SHA256:
        raise DetectorError("The downloaded YuNet model failed its SHA-256 check and was discarded.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(payload)
    os.replace(tmp.name, target)  # atomic: concurrent sessions never see half a file
    return target


def make_detector(kind: str = "auto", yunet_model=None, download: bool = False) -> tuple[FaceDetector, str | None]:
    """The detector for ``kind`` (auto, yunet, haar) and a note when auto had to fall back to Haar."""
    if kind not in ("auto", "yunet", "haar"):
        raise DetectorError(f"Unknown detector {kind!r}; choose auto, yunet or haar.")
    if kind == "haar":
        return HaarDetector(), None
    try:
        return YuNetDetector(find_yunet_model(yunet_model, download)), None
    except DetectorError as err:
        if kind == "yunet":
            raise
        return HaarDetector(), f"YuNet is unavailable, so the Haar detector is used. {err}"


def reading_order(boxes) -> list[int]:
    """Indices of ``boxes`` (x, y, w, h) as a person reads them: rows from the top, each left to right. A box
    joins a row when its centre lies within half a face's height of the row's first centre."""
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][1] + boxes[i][3] / 2)
    rows: list[list[int]] = []
    for i in order:
        if rows and abs(_centre_y(boxes[i]) - _centre_y(boxes[rows[-1][0]])) <= boxes[i][3] / 2:
            rows[-1].append(i)
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda i: boxes[i][0])]


def _centre_y(box) -> float:
    return box[1] + box[3] / 2


def crop_faces(gray: np.ndarray, boxes, margin: float = 0.1) -> np.ndarray:
    """Square crops around ``boxes`` (x, y, w, h), grown by ``margin`` per side, as uint8 (N, 48, 48).

    Parts of a crop outside the image are filled by replicating the border, as a tight FER2013 face
    near the edge of a photo would be.
    """
    crops = np.empty((len(boxes), FACE_SIZE, FACE_SIZE), np.uint8)
    height, width = gray.shape
    for i, (x, y, w, h) in enumerate(boxes):
        side = max(w, h) * (1 + 2 * margin)
        cx, cy = x + w / 2, y + h / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        x1, y1 = x0 + max(1, round(side)), y0 + max(1, round(side))
        patch = gray[max(0, y0):min(height, y1), max(0, x0):min(width, x1)]
        pad = (max(0, -y0), max(0, y1 - height), max(0, -x0), max(0, x1 - width))
        if any(pad):
            patch = cv2.copyMakeBorder(patch, *pad, cv2.BORDER_REPLICATE)
        interpolation = cv2.INTER_AREA if patch.shape[0] > FACE_SIZE else cv2.INTER_LINEAR
        crops[i] = cv2.resize(patch, (FACE_SIZE, FACE_SIZE), interpolation=interpolation)
    return crops


def scale_box(box, scale: tuple[float, float], bounds: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) multiplied by ``scale`` (across, down), rounded outwards, clipped to ``bounds`` (w, h)."""
    (x, y, w, h), (sx, sy), (width, height) = box, scale, bounds
    x0, y0 = max(0, math.floor(x * sx)), max(0, math.floor(y * sy))
    x1, y1 = min(width, math.ceil((x + w) * sx)), min(height, math.ceil((y + h) * sy))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def iou(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    union = aw * ah + bw * bh - w * h
    return w * h / union if union else 0.0


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
