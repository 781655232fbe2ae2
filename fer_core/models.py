"""The model folders under models/: which there are, which one is the default, where a name points, and what a
folder's files say of its model (``metrics.json`` typed, the training history, class counts and the card).
Reading them needs no dataset and no TensorFlow."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fer_core.labels import LABEL_SETS

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
TFLITE_FILE = "model.tflite"
METRICS_FILE = "metrics.json"
FEW_FACES = 100  # an emotion the people give to fewer PrivateTest faces: its agreement is said with its count


class ModelError(RuntimeError):
    """The emotion model is missing, damaged or breaks the contract; the message says which."""


def default_model_dir() -> Path:
    """The folder named in models/DEFAULT: the model the app runs when none is named."""
    marker = MODELS_DIR / "DEFAULT"
    if not marker.is_file():
        raise ModelError(f"{marker} is missing, so there is no default model.")
    return MODELS_DIR / marker.read_text().strip()


def shipped_model_names() -> list[str]:
    """The model folders under models/ that can be served ("accurate", "fast", ...), sorted."""
    return sorted(p.parent.name for p in MODELS_DIR.glob(f"*/{TFLITE_FILE}"))


def model_dir(model: str | os.PathLike | None) -> Path:
    """The folder of a model given by name ("accurate", "fast": a folder under models/), by path (relative
    paths that are not found here are tried from the repository, as an ensemble records its members), or None
    for the default; a path to a file is returned as it is."""
    if model is None:
        return default_model_dir()
    path = Path(model)
    if not path.exists() and not path.is_absolute():
        found = [base / path for base in (MODELS_DIR, MODELS_DIR.parent) if (base / path).exists()]
        return found[0] if found else path
    return path


def resolve_model_file(model: str | os.PathLike | None) -> Path:
    """A .tflite path from a model name, a model folder, a .tflite file, a .keras file with its .tflite beside
    it, or None (the default)."""
    path = model_dir(model)
    if path.is_dir():
        path = path / TFLITE_FILE
    elif path.suffix == ".keras":
        path = path.with_suffix(".tflite")
        if not path.is_file():
            raise ModelError(f"No {path.name} beside the Keras model; make one with "
                             f"`python -m fer_core.training.export {path.with_suffix('.keras')}`.")
    if not path.is_file():
        names = ", ".join(shipped_model_names()) or "none"
        raise ModelError(f"No model file at {path}. Shipped models: {names}; or give a model folder or .tflite.")
    return path


@dataclass(frozen=True)
class ModelMetrics:
    """What ``metrics.json`` (written by fer_core.training.evaluate) says of a model: every figure measured on
    FER2013's PrivateTest unless named otherwise. The nested tables stay as written; ``raw`` is the whole file."""
    accuracy: float
    accuracy_tta: float
    macro_f1: float
    test_images: int
    latency_p50_ms: float  # one face a call, on ``machine``
    latency_p95_ms: float
    machine: str
    parameters: int | None
    file_bytes: dict[str, int]
    per_class: dict[str, dict]  # precision, recall, f1, support per emotion
    confusion_matrix: dict  # counts, rows true, columns predicted
    val_accuracy: float | None = None  # PublicTest
    reliability: dict | None = None  # the reliability table, ECE and NLL
    calibration: dict | None = None  # the temperature and what it changed
    uncertainty: dict | None = None  # the "not sure" threshold and the accuracy-coverage curve
    ensemble: dict | None = None  # members, mirroring, each member's figures
    people: dict | None = None  # agreement with FER+'s ten people a face (fer_core.training.evaluate.people_report)
    training: dict | None = None  # the recipe and the run's record (fer_core.training.recipe)
    runs: list[dict] = field(default_factory=list)  # the training runs behind the model
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict) -> "ModelMetrics":
        latency = data["latency_ms_per_face"]
        optional = ("parameters", "val_accuracy", "reliability", "calibration", "uncertainty", "ensemble", "training",
                    "people")
        return cls(accuracy=float(data["accuracy"]), accuracy_tta=float(data["accuracy_tta"]),
                   macro_f1=float(data["macro_f1"]), test_images=int(data["test_images"]),
                   latency_p50_ms=float(latency["p50"]), latency_p95_ms=float(latency["p95"]),
                   machine=data["machine"], file_bytes=data["file_bytes"], per_class=data["per_class"],
                   confusion_matrix=data["confusion_matrix"], runs=data.get("runs") or [], raw=data,
                   **{name: data.get(name) for name in optional})

    @property
    def threshold(self) -> float:
        """Below this focus (fer_core.uncertainty.focus) a face reads "not sure"; 0 (never unsure) for a
        model without one."""
        return float(self.uncertainty["threshold"]) if self.uncertainty else 0.0

    @property
    def agreement_words(self) -> str | None:
        """The model's first figure, for the card, the Dashboard and the README: "It agrees with the majority of
        ten people on 75.1% of faces; one person alone agrees with that majority on 70.7%." None where the
        people's votes were not there to measure it."""
        p = self.people
        if not p or p.get("one_person_agreement") is None:
            return None
        return (f"It agrees with the majority of ten people on {p['agreement']:.1%} of faces; one person alone "
                f"agrees with that majority on {p['one_person_agreement']:.1%}.")

    @property
    def clear_faces_words(self) -> str | None:
        """How it reads the faces that leave no doubt, for the card and the Dashboard: "On the 1,524 clear faces,
        where ... it is right on 95.1%." None where it was not measured."""
        p = self.people or {}
        if p.get("accuracy_on_clear_faces") is None:
            return None
        return (f"On the {p['clear_faces']:,} clear faces, where the original label and 8 or more of 10 people name "
                f"the same emotion (FER2013's nearest thing to a posed face), it is right on "
                f"{p['accuracy_on_clear_faces']:.1%}.")

    @property
    def agreement_by_emotion_words(self) -> str | None:
        """Per emotion, against the people, in a sentence for the Dashboard: the emotion it agrees on most and
        least often, with how few faces the rarest stands on. None where it was not measured."""
        rates = {k: v for k, v in ((self.people or {}).get("agreement_by_emotion") or {}).items() if v is not None}
        if not rates:
            return None
        best, worst = max(rates, key=rates.get), min(rates, key=rates.get)
        cm = self.confusion("people")
        faces = dict(zip(cm["classes"], np.asarray(cm["counts"]).sum(axis=1))) if cm else {}
        few = f" (only {faces[worst]:,} faces)" if faces.get(worst, FEW_FACES) < FEW_FACES else ""
        return (f"On the faces most of the ten people call {best}, it agrees with them {rates[best]:.0%} of the time; "
                f"on those they call {worst}{few}, the hardest for it, {rates[worst]:.0%}.")

    @property
    def calibration_words(self) -> str:
        """How honest its probabilities are, for the Dashboard: the gap against FER2013's labels (the reliability
        diagram's), against the people's majority where measured, and what the temperature changed."""
        people_ece = (self.people or {}).get("ece")
        text = (f"The average gap (expected calibration error) is {self.reliability['ece']:.3f} against FER2013's "
                "labels" + (f", and **{people_ece:.3f}** against the ten people's majority" if people_ece is not None
                            else "") + ".")
        if self.calibration:
            c, after = self.calibration, self.calibration["private_test"]
            before = (f"{after['people_ece_before']:.3f} against the people and " if "people_ece_before" in after
                      else "")
            text += (f"\n\nIts raw probabilities were {'softened' if c['temperature'] > 1 else 'sharpened'} by a "
                     f"temperature of {c['temperature']:.2f}, fitted on {c['fitted_on']}. Before it, the gap was "
                     f"{before}{after['ece_before']:.3f} against the labels.")
        return text

    def confusion(self, against: str = "labels") -> dict | None:
        """The confusion matrix against one of :data:`LABEL_SETS`: FER2013's labels, or the people's majority
        (None where their votes were not there to measure it)."""
        return self.confusion_matrix if against == "labels" else (self.people or {}).get("confusion_matrix")

    def confusion_words(self, against: str = "labels") -> str:
        """A confusion matrix in a sentence: its most common mix-up."""
        cm = self.confusion(against)
        counts, classes = np.asarray(cm["counts"], float), cm["classes"]
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        np.fill_diagonal(shares, 0)
        true, read = np.unravel_index(shares.argmax(), shares.shape)
        return (f"Its most common mix-up: {shares[true, read]:.0%} of the faces {LABEL_SETS[against]['faces']} "
                f"{classes[true]} are read as {classes[read]}.")

    @property
    def per_class_words(self) -> str:
        """The per-class figures in a sentence: the emotion it finds most and least often."""
        recall = {name: row["recall"] for name, row in self.per_class.items()}
        best, worst = max(recall, key=recall.get), min(recall, key=recall.get)
        return (f"It finds {recall[best]:.0%} of the {best} faces, and {recall[worst]:.0%} of the {worst} ones, the "
                "hardest for it.")

    @property
    def model_mb(self) -> float:
        return self.file_bytes.get(TFLITE_FILE, 0) / 1e6


def read_metrics(folder: str | os.PathLike) -> ModelMetrics | None:
    """A model folder's metrics.json, or None if it has none (or one that is broken or incomplete)."""
    try:
        return ModelMetrics.from_json(json.loads((Path(folder) / METRICS_FILE).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class ModelArtifacts:
    folder: Path
    metrics: ModelMetrics | None
    history: pd.DataFrame | None
    class_counts: dict | None
    model_card: str | None


def _read(path: Path, parse):
    try:
        return parse(path)
    except (OSError, ValueError):
        return None


def load_artifacts(model: str | os.PathLike | None = None) -> ModelArtifacts:
    """What the model folder of ``model`` (a name such as "fast", a folder, or None for the default) holds."""
    folder = model_dir(model)
    return ModelArtifacts(folder, read_metrics(folder), _read(folder / "history.csv", pd.read_csv),
                          _read(folder / "class_counts.json", lambda p: json.loads(p.read_text())),
                          _read(folder / "model.md", Path.read_text))
