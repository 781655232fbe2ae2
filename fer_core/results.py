"""What the engine says of one face, and every way that is worded: the overlay on an image, the heading in a
page, the record in a CSV. Photos, video files and Live all use these, so a reading reads the same everywhere."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fer_core.faces import scale_box
from fer_core.labels import EMOTIONS
from fer_core.uncertainty import focus, verdict

RECORD_FIELDS = ["x", "y", "w", "h", "score", "label", "confidence", "uncertain", *EMOTIONS]


@dataclass(frozen=True)
class FaceResult:
    box: tuple[int, int, int, int]  # x, y, w, h in the input's pixels
    score: float  # the detector's confidence that this is a face
    probs: tuple[float, ...]  # one per class of EMOTIONS, summing to 1
    threshold: float = 0.0  # the model's "not sure" threshold of focus (see fer_core.uncertainty)

    @property
    def label(self) -> str:
        return EMOTIONS[int(np.argmax(self.probs))]

    @property
    def confidence(self) -> float:
        return float(max(self.probs))

    @property
    def focus(self) -> float:
        """How sure the reading is, from the spread of all seven probabilities (see fer_core.uncertainty)."""
        return float(focus(self.probs))

    @property
    def uncertain(self) -> bool:
        """True when the reading is too spread to state one emotion."""
        return self.focus < self.threshold

    @property
    def verdict(self) -> str:
        """What a person reads: "happy", or "not sure: happy or neutral?"."""
        return verdict(self.probs, self.uncertain)

    @property
    def reading(self) -> str:
        """The verdict with its confidence where it is sure: "happy 93%", or "not sure: happy or neutral?"."""
        return self.verdict if self.uncertain else f"{self.label} {self.confidence:.0%}"

    @property
    def tag(self) -> str:
        """The reading as short as an image's label must be: "happy 93%", or "not sure"."""
        return "not sure" if self.uncertain else self.reading

    def heading(self, name: str) -> str:
        """A page's bold line for the face called ``name``: "**Face 1: happy** (93% sure)", or, when unsure,
        "**Face 1: not sure: sad or fear?** (sad 41%, fear 30%)"."""
        if self.uncertain:
            top = sorted(zip(self.probs, EMOTIONS), reverse=True)[:2]
            return f"**{name}: {self.verdict}** ({', '.join(f'{emotion} {p:.0%}' for p, emotion in top)})"
        return f"**{name}: {self.label}** ({self.confidence:.0%} sure)"

    def numbered(self, number: int | str) -> str:
        """The reading after the face's number, as listed under an image: "1: happy 93%", "2: not sure: sad or
        fear?"."""
        return f"{number}: {self.reading}"

    def marker(self, number: int | str) -> str:
        """The face's label on an image: "1: happy 93%", "2: not sure" (the full reading is in the list)."""
        return f"{number}: {self.tag}"

    def record(self) -> dict:
        """The face as a flat record (RECORD_FIELDS), for tables, CSV and JSON."""
        x, y, w, h = self.box
        return {"x": x, "y": y, "w": w, "h": h, "score": round(self.score, 4), "label": self.label,
                "confidence": round(self.confidence, 4), "uncertain": self.uncertain,
                **{name: round(p, 4) for name, p in zip(EMOTIONS, self.probs)}}


def rescale(faces: list[FaceResult], scale: tuple[float, float], bounds: tuple[int, int]) -> list[FaceResult]:
    """``faces`` with boxes multiplied by ``scale`` (across, down), kept within ``bounds`` (width, height)."""
    if scale == (1.0, 1.0):
        return faces
    return [replace(face, box=scale_box(face.box, scale, bounds)) for face in faces]
