"""Results as flat records, CSV and JSON: one record per face, the same for the app and the CLI."""
from __future__ import annotations

import csv
import io
import json

from fer_core.engine import FaceResult
from fer_core.labels import EMOTIONS

FIELDS = ["image", "face", "x", "y", "w", "h", "score", "label", "confidence", *EMOTIONS]


def face_records(image_name: str, faces: list[FaceResult]) -> list[dict]:
    records = []
    for i, face in enumerate(faces):
        x, y, w, h = face.box
        records.append({"image": image_name, "face": i + 1, "x": x, "y": y, "w": w, "h": h,
                        "score": round(face.score, 4), "label": face.label,
                        "confidence": round(face.confidence, 4),
                        **{name: round(p, 4) for name, p in zip(EMOTIONS, face.probs)}})
    return records


def to_csv(records: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, FIELDS)
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def to_json(records: list[dict]) -> str:
    return json.dumps(records, indent=2)
