"""The face-to-emotion engine that every mode of the app shares."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np

from fer_core.classifier import EmotionClassifier
from fer_core.explain import saliency_maps
from fer_core.faces import FaceDetector, crop_faces, make_detector, scale_box, to_gray
from fer_core.imageio import load_photo
from fer_core.labels import EMOTIONS
from fer_core.limits import MAX_FACES_PER_IMAGE
from fer_core.uncertainty import verdict


@dataclass(frozen=True)
class FaceResult:
    box: tuple[int, int, int, int]  # x, y, w, h in the input's pixels
    score: float  # the detector's confidence that this is a face
    probs: tuple[float, ...]  # one per class of EMOTIONS, summing to 1
    threshold: float = 0.0  # the model's "not sure" threshold (see fer_core.uncertainty)

    @property
    def label(self) -> str:
        return EMOTIONS[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        return float(max(self.probs))

    @property
    def uncertain(self) -> bool:
        """True when the model is not sure enough of its top emotion to state it."""
        return self.confidence < self.threshold

    @property
    def verdict(self) -> str:
        """What a person reads: "happy", or "not sure: happy or neutral?"."""
        return verdict(self.probs, self.uncertain)

    @property
    def reading(self) -> str:
        """The verdict with its confidence where it is sure: "happy 93%", or "not sure: happy or neutral?"."""
        return self.verdict if self.uncertain else f"{self.label} {self.confidence:.0%}"


class Engine:
    """Detect faces, crop them like FER2013, classify all faces of an image in one batch.

    Safe to share between threads (Streamlit sessions, video callbacks): the detector locks around
    OpenCV's stateful call and the classifier lends each call an interpreter from its pool.
    """

    def __init__(self, classifier: EmotionClassifier, detector: FaceDetector, note: str | None = None):
        self.classifier = classifier
        self.detector = detector
        self.note = note  # e.g. why "auto" fell back to Haar

    @classmethod
    def load(cls, model: str | os.PathLike | None = None, detector: str = "auto",
             yunet_model: str | os.PathLike | None = None, download: bool = False) -> "Engine":
        """``model`` is a shipped model's name ("accurate": the most accurate; "fast": the cheapest per face), a
        model folder or .tflite file, or None for the default named in models/DEFAULT ("accurate");
        ``detector`` is auto, yunet or haar.

        ``auto`` uses YuNet when its file is found (``yunet_model``, ``$FER_YUNET_MODEL``, the cache, or a
        verified download when ``download`` is true) and Haar otherwise.
        """
        face_detector, note = make_detector(detector, yunet_model, download)
        return cls(EmotionClassifier(model), face_detector, note)

    def classify(self, faces: np.ndarray) -> np.ndarray:
        """Already-cropped faces, uint8 (N, 48, 48) -> (N, 7) probabilities."""
        return self.classifier.predict(faces)

    def explain(self, faces: np.ndarray) -> np.ndarray:
        """Already-cropped faces, uint8 (N, 48, 48) -> float32 (N, 48, 48) maps in [0, 1] of how much each
        pixel pushed the model toward its predicted emotion (randomized input sampling, see fer_core.explain)."""
        return saliency_maps(self.classify, faces)

    def analyze_video(self, source, every: float | None = None, min_score: float = 0.0, annotated=None):
        """Faces through a video file (bytes, path or file object), as they are reached: yields
        ``(time_s, frame_index, [(face_id, FaceResult), ...])`` for every frame, or one every ``every``
        seconds; ids stay while a face stays in view. See :func:`fer_core.video.analyze_video`."""
        from fer_core.video import analyze_video  # fer_core.video builds on this module

        return analyze_video(self, source, every, min_score, annotated)

    def crops(self, image, faces: list[FaceResult]) -> np.ndarray:
        """The 48x48 grey faces the model read for ``faces``, as :meth:`analyze` returned them for ``image``."""
        photo = load_photo(image)
        (sx, sy), (height, width) = photo.scale, photo.rgb.shape[:2]
        return crop_faces(to_gray(photo.rgb), [scale_box(f.box, (1 / sx, 1 / sy), (width, height)) for f in faces])

    def analyze(self, image, min_score: float = 0.0, max_faces: int = MAX_FACES_PER_IMAGE) -> list[FaceResult]:
        """Every face in ``image`` (a :class:`Photo` or anything :func:`read_image` takes) with its emotion
        probabilities; boxes in the full image's pixels. Large photos are analysed on a reduced copy."""
        photo = load_photo(image)
        detections = [d for d in self.detector.detect(photo.rgb) if d.score >= min_score][:max_faces]
        if not detections:
            return []
        probs = self.classify(crop_faces(to_gray(photo.rgb), [d.box for d in detections]))
        threshold = self.classifier.threshold
        faces = [FaceResult(d.box, d.score, tuple(float(p) for p in row), threshold)
                 for d, row in zip(detections, probs)]
        return rescale(faces, photo.scale, photo.full_size)


def rescale(faces: list[FaceResult], scale: tuple[float, float], bounds: tuple[int, int]) -> list[FaceResult]:
    """``faces`` with boxes multiplied by ``scale`` (across, down), kept within ``bounds`` (width, height)."""
    if scale == (1.0, 1.0):
        return faces
    return [replace(face, box=scale_box(face.box, scale, bounds)) for face in faces]
