"""The face-to-emotion engine that every mode of the app shares."""
from __future__ import annotations

import os

import numpy as np

from fer_core.classifier import EmotionClassifier
from fer_core.explain import saliency_maps
from fer_core.faces import FaceDetector, crop_faces, make_detector, reading_order, to_gray
from fer_core.imageio import load_photo
from fer_core.limits import MAX_FACES_PER_IMAGE
from fer_core.results import FaceResult, rescale


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
             yunet_model: str | os.PathLike | None = None, download: bool = False,
             threads: int | None = None) -> "Engine":
        """``model`` is a shipped model's name ("accurate": the most accurate; "fast": the cheapest per face), a
        model folder or .tflite file, or None for the default named in models/DEFAULT ("accurate");
        ``detector`` is auto, yunet or haar.

        ``auto`` uses YuNet when its file is found (``yunet_model``, ``$FER_YUNET_MODEL``, the cache, or a
        verified download when ``download`` is true) and Haar otherwise. ``threads``: the classifier's threads a
        call (default: up to 2); one where each of several processes has a core.
        """
        face_detector, note = make_detector(detector, yunet_model, download)
        return cls(EmotionClassifier(model, threads), face_detector, note)

    def classify(self, faces: np.ndarray) -> np.ndarray:
        """Already-cropped faces, uint8 (N, 48, 48) -> (N, 7) probabilities."""
        return self.classifier.predict(faces)

    def read(self, crops: np.ndarray, boxes, scores) -> list[FaceResult]:
        """Already-cropped faces, uint8 (N, 48, 48), as results: each with its box and detector score, the
        model's probabilities and its "not sure" threshold."""
        probs = self.classify(crops)
        return [FaceResult(box, score, tuple(float(p) for p in row), self.classifier.threshold)
                for box, score, row in zip(boxes, scores, probs)]

    def explain(self, faces: np.ndarray) -> np.ndarray:
        """Already-cropped faces, uint8 (N, 48, 48) -> float32 (N, 48, 48) maps in [0, 1] of how much each
        pixel pushed the model toward its predicted emotion (randomized input sampling, see fer_core.explain)."""
        return saliency_maps(self.classify, faces)

    def analyze(self, image, min_score: float = 0.0, max_faces: int = MAX_FACES_PER_IMAGE,
                stream: bool = False, search_side: int | None = None) -> list[FaceResult]:
        """Every face in ``image`` (a :class:`Photo` or anything :func:`read_image` takes) with its emotion
        probabilities, in reading order (rows from the top, each left to right); boxes in the full image's
        pixels. Large photos are analyzed on a reduced copy. Beyond ``max_faces``, the most confident are kept.
        ``stream``: a frame of a video or of Live, searched on the detector's cheap path (see
        :meth:`FaceDetector.for_photos`); ``search_side``: faces are searched on a copy at most this large
        (default: the detector's own size)."""
        return self.analyze_with_crops(image, min_score, max_faces, stream, search_side)[0]

    def analyze_with_crops(self, image, min_score: float = 0.0, max_faces: int = MAX_FACES_PER_IMAGE,
                           stream: bool = False, search_side: int | None = None) -> tuple[list[FaceResult], np.ndarray]:
        """:meth:`analyze`, and the uint8 (N, 48, 48) crops the model read for those faces, in their order
        (what "Why?" explains)."""
        photo = load_photo(image)
        detector = self.detector if stream else self.detector.for_photos()
        detections = [d for d in detector.detect(photo.rgb, search_side) if d.score >= min_score][:max_faces]
        detections = [detections[i] for i in reading_order([d.box for d in detections])]  # "Face 1" is top left
        crops = crop_faces(to_gray(photo.rgb), [d.box for d in detections])
        if not detections:
            return [], crops
        faces = self.read(crops, [d.box for d in detections], [d.score for d in detections])
        return rescale(faces, photo.scale, photo.full_size), crops
