"""Results as flat records, CSV and JSON: one record per face, the same for the app and the CLI."""
from __future__ import annotations

import csv
import io
import json

from fer_core.labels import EMOTIONS
from fer_core.results import RECORD_FIELDS, FaceResult
from fer_core.tracking import TrackedFace

FIELDS = ["image", "face", *RECORD_FIELDS]
NOT_SURE = "not sure"
READINGS = (*EMOTIONS, NOT_SURE)  # what a face can read as, in the order ties are broken
SUMMARY_FIELDS = ["image", "faces", *READINGS, "summary"]


def face_records(image_name: str, faces: list[FaceResult]) -> list[dict]:
    return [{"image": image_name, "face": i + 1, **face.record()} for i, face in enumerate(faces)]


VIDEO_FIELDS = ["time_s", "frame", "face", *RECORD_FIELDS]


def video_records(time_s: float, frame: int, faces: list[TrackedFace]) -> list[dict]:
    """One record per face of an analyzed video frame; ``face`` is the id it keeps while in view."""
    return [{"time_s": round(time_s, 3), "frame": frame, "face": face_id, **face.record()} for face_id, face in faces]


def video_summary(records: list[dict]) -> list[dict]:
    """Per face of a video: when it was in view, its dominant reading and its share of time in each emotion
    (the share of its analyzed frames; frames the model was unsure of count as not sure, and a face that was
    mostly unsure is summed up as "not sure")."""
    faces: dict[int, list[dict]] = {}
    for record in records:
        faces.setdefault(record["face"], []).append(record)
    summary = []
    for face_id, rows in sorted(faces.items()):
        readings = [NOT_SURE if row["uncertain"] else row["label"] for row in rows]
        shares = {name: readings.count(name) / len(rows) for name in READINGS}
        dominant = max(READINGS, key=lambda name: (shares[name], -READINGS.index(name)))  # ties: the first in order
        summary.append({"face": face_id, "from_s": rows[0]["time_s"], "to_s": rows[-1]["time_s"],
                        "frames": len(rows), "dominant": dominant,
                        **{name: round(share, 3) for name, share in shares.items()}})
    return summary


def summary_sentence(row: dict) -> str:
    """One face of :func:`video_summary` in plain words: "Face #1, in view from 0.0 to 4.5 s: happy most of the
    time (82%), then neutral (12%)." A face the model was mostly unsure of says so."""
    shares = sorted(((row[name], name) for name in READINGS if row[name] and name != row["dominant"]), reverse=True)
    main = (f"the model was not sure most of the time ({row[NOT_SURE]:.0%})" if row["dominant"] == NOT_SURE
            else f"{row['dominant']} most of the time ({row[row['dominant']]:.0%})")
    then = f", then {_as_reading(shares[0][1])} ({shares[0][0]:.0%})" if shares else ""
    return f"Face #{row['face']}, in view from {row['from_s']:.1f} to {row['to_s']:.1f} s: {main}{then}."


def _as_reading(name: str) -> str:
    return "not sure" if name == NOT_SURE else name


def room_counts(records: list[dict]) -> list[dict]:
    """At each analyzed moment of a video, how many of the faces in view read each emotion (and "not sure"):
    the room's mood over time, which a face entering or leaving changes by one face, not by half."""
    moments: dict[float, dict] = {}
    for record in records:
        counts = moments.setdefault(record["time_s"], {"time_s": record["time_s"], **dict.fromkeys(READINGS, 0)})
        counts[NOT_SURE if record["uncertain"] else record["label"]] += 1
    return [moments[t] for t in sorted(moments)]


def mood_counts(faces: list[FaceResult]) -> dict[str, int]:
    """How many faces read each emotion, plus "not sure"; most frequent first, then in EMOTIONS' order."""
    counts = {name: 0 for name in READINGS}
    for face in faces:
        counts[NOT_SURE if face.uncertain else face.label] += 1
    order = {name: i for i, name in enumerate(counts)}
    return dict(sorted(((k, n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], order[kv[0]])))


def mood_summary(faces: list[FaceResult]) -> str:
    """The group's mood in one line: "6 faces: 4 happy, 1 neutral, 1 not sure"."""
    parts = ", ".join(f"{n} {name}" for name, n in mood_counts(faces).items())
    return f"{len(faces)} face{'s' * (len(faces) != 1)}" + (f": {parts}" if parts else "")


def summary_record(image_name: str, faces: list[FaceResult]) -> dict:
    """One row of the per-image summary table: counts per emotion and the summary line."""
    counts = mood_counts(faces)
    return {"image": image_name, "faces": len(faces), **{name: counts.get(name, 0) for name in READINGS},
            "summary": mood_summary(faces)}


def to_csv(records: list[dict], fields: list[str] = FIELDS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields)
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def to_json(records: list[dict]) -> str:
    return json.dumps(records, indent=2)
