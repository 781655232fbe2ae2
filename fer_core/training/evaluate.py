"""Evaluate a trained model on PrivateTest and write its artifacts.

    python -m fer_core.training.evaluate --data ../shared/data/fer2013.npz --model models/NAME

Every figure in ``metrics.json`` is recomputed from the saved model, through the same LiteRT file
that the app serves. ``class_counts.json`` and the model card ``model.md`` are written beside it.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
from pathlib import Path

import numpy as np

from fer_core import ferplus
from fer_core.classifier import EmotionClassifier
from fer_core.fer2013 import Fer2013, load_fer2013
from fer_core.labels import EMOTIONS, LABEL_SETS
from fer_core.models import TFLITE_FILE, read_metrics
from fer_core.timing import timed
from fer_core.training.calibrate import BINS, chance_ece, ece_of, nll, reliability
from fer_core.training.card import model_card, runs
from fer_core.uncertainty import (
    MAX_NOT_SURE_WHERE_PEOPLE_AGREE,
    TARGET_ACCURACY,
    accuracy_coverage,
    choose_threshold,
    curve,
    focus,
    threshold_for_agreed_faces,
)

TEST_SPLIT = "PrivateTest"


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n: int = len(EMOTIONS)) -> np.ndarray:
    """Counts: rows are true classes, columns predicted ones."""
    return np.bincount(y_true.astype(int) * n + y_pred.astype(int), minlength=n * n).reshape(n, n)


def classification_report(cm: np.ndarray) -> dict:
    tp = np.diag(cm).astype(float)
    precision = np.divide(tp, cm.sum(0), out=np.zeros_like(tp), where=cm.sum(0) > 0)
    recall = np.divide(tp, cm.sum(1), out=np.zeros_like(tp), where=cm.sum(1) > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    per_class = {name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                 for name, p, r, f, s in zip(EMOTIONS, precision, recall, f1, cm.sum(1))}
    return {"accuracy": float(tp.sum() / cm.sum()), "macro_f1": float(f1.mean()), "per_class": per_class}


def predict_all(classifier: EmotionClassifier, x: np.ndarray, batch: int = 256) -> np.ndarray:
    return np.concatenate([classifier.predict(x[i:i + batch]) for i in range(0, len(x), batch)])


def predict_with_tta(classifier: EmotionClassifier, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plain probabilities, and probabilities averaged with the horizontally flipped face."""
    plain = predict_all(classifier, x)
    return plain, (plain + predict_all(classifier, x[:, :, ::-1])) / 2


def uncertainty_report(val: np.ndarray, y_val: np.ndarray, test: np.ndarray, y_test: np.ndarray,
                       val_votes: np.ndarray | None = None, test_votes: np.ndarray | None = None) -> dict:
    """The "not sure" threshold chosen on PublicTest (following the people where their votes are known, see
    fer_core.uncertainty), and how it does there and on PrivateTest: how often a sure reading is the original
    label, and, with votes, the people's majority (the label set the threshold follows)."""
    if val_votes is not None:
        agreed = ferplus.people_agree(val_votes)
        threshold = math.floor(threshold_for_agreed_faces(focus(val)[agreed]) * 1e4) / 1e4  # stored: 4 places, down
        report = {"threshold": threshold, "max_not_sure_where_people_agree": MAX_NOT_SURE_WHERE_PEOPLE_AGREE,
                  "agreed_faces": int(agreed.sum()), "chosen_on": "PublicTest"}
    else:
        threshold = choose_threshold(focus(val), val.argmax(1) == y_val)
        report = {"threshold": round(threshold, 4), "target_accuracy": TARGET_ACCURACY, "chosen_on": "PublicTest"}
    for split, probs, y, votes in (("public_test", val, y_val, val_votes), ("private_test", test, y_test, test_votes)):
        accuracy, coverage = accuracy_coverage(focus(probs), probs.argmax(1) == y, threshold)
        report[split] = {"accuracy_when_sure": round(accuracy, 4), "coverage": round(coverage, 4)}
        if votes is not None:
            crowd = ferplus.majority(votes)
            valid = crowd >= 0
            agreement, _ = accuracy_coverage(focus(probs)[valid], probs.argmax(1)[valid] == crowd[valid], threshold)
            report[split]["agreement_when_sure"] = round(agreement, 4)
    report["curve"] = curve(focus(test), test.argmax(1) == y_test)
    return report


def reliability_report(probs: np.ndarray, labels: np.ndarray) -> dict:
    """The reliability table of ``probs`` with its ECE and NLL (the Dashboard's reliability diagram), and the
    ECE that chance alone would give an honest model on as many faces."""
    rows = reliability(probs, labels)
    return {"bins": BINS, "ece": ece_of(rows), "ece_by_chance": chance_ece(probs), "nll": nll(probs, labels),
            "rows": rows}


def people_report(probs: np.ndarray, votes: np.ndarray, threshold: float, labels: np.ndarray) -> dict:
    """How the model's readings agree with FER+'s ten people per face: its top emotion against their majority
    (over the faces whose majority is one of our seven; also as a confusion matrix), on the faces they call
    neutral, how often it says "not sure" where they agree (8 or more of 10) and where they split (no emotion has
    half the votes), its calibration error against their majority, and, to set beside it, how often one person
    agrees with the other nine. Also its accuracy on the *clear* faces, where the original label and 8 or more
    of 10 people name the same emotion: FER2013's nearest thing to a posed face, which a model that learns the
    people's taste for calm must still read."""
    top, unsure = probs.argmax(1), focus(probs) < threshold
    crowd = ferplus.majority(votes)
    valid, agreed, split = crowd >= 0, ferplus.people_agree(votes), ferplus.people_split(votes)
    neutral = crowd == EMOTIONS.index("neutral")
    clear = agreed & (crowd == labels)
    def rate(hits: np.ndarray, where: np.ndarray) -> float | None:
        return round(float(hits[where].mean()), 4) if where.any() else None

    return {"faces": int(valid.sum()), "agreement": rate(top == crowd, valid),
            "agreement_on_neutral": rate(top == crowd, neutral), "neutral_faces": int(neutral.sum()),
            "not_sure_where_people_agree": rate(unsure, agreed),
            "not_sure_where_people_split": rate(unsure, split),
            "ece": round(ece_of(reliability(probs[valid], crowd[valid])), 4) if valid.any() else None,
            "one_person_agreement": round(ferplus.one_person_agreement(votes), 4),
            "agreement_by_emotion": {name: rate(top == crowd, crowd == i) for i, name in enumerate(EMOTIONS)},
            "clear_faces": int(clear.sum()), "accuracy_on_clear_faces": rate(top == crowd, clear),
            "confusion_matrix": {"classes": list(EMOTIONS), "rows": LABEL_SETS["people"]["rows"], "columns": "predicted",
                                 "counts": confusion_matrix(crowd[valid], top[valid]).tolist()}}


def face_latency_ms(classifier: EmotionClassifier, face: np.ndarray, runs: int = 300) -> dict:
    """Per-face latency of one engine call with one face (p50 and p95, milliseconds)."""
    times = timed(lambda: classifier.predict(face[None]), runs)
    return {"p50": round(float(np.percentile(times, 50)), 3), "p95": round(float(np.percentile(times, 95)), 3)}


def evaluate(model_dir: Path, data: Fer2013, training: dict | None = None, ensemble: dict | None = None,
             calibration: dict | None = None, parameters: int | None = None) -> dict:
    """Compute metrics.json's content for the model in ``model_dir``; ``training`` is the run's record (see
    fer_core.training.run_state.training_record). What is not given is kept from the metrics.json there."""
    classifier = EmotionClassifier(model_dir / TFLITE_FILE)
    x_test, y_test = data.split(TEST_SPLIT)
    x_val, y_val = data.split("PublicTest")
    plain, tta = predict_with_tta(classifier, x_test)
    val = predict_all(classifier, x_val) if len(y_val) else None
    votes = data.split_votes("PublicTest") if data.votes is not None else None
    test_votes = data.split_votes(TEST_SPLIT) if data.votes is not None else None
    uncertainty = uncertainty_report(val, y_val, plain, y_test, votes, test_votes) if val is not None else None
    cm = confusion_matrix(y_test, plain.argmax(1))
    report = classification_report(cm)
    metrics = {
        "model": model_dir.name,
        "classes": list(EMOTIONS),
        "test_split": TEST_SPLIT,
        "test_images": int(len(y_test)),
        "accuracy": report["accuracy"],
        "accuracy_tta": float((tta.argmax(1) == y_test).mean()),
        "tta": "mean of the face and its horizontal mirror",
        "macro_f1": report["macro_f1"],
        "per_class": report["per_class"],
        "confusion_matrix": {"classes": list(EMOTIONS), "rows": "true", "columns": "predicted",
                             "counts": cm.tolist()},
        "val_accuracy": float((val.argmax(1) == y_val).mean()) if val is not None else None,
        "uncertainty": uncertainty, "reliability": reliability_report(plain, y_test),
        "people": (people_report(plain, test_votes, uncertainty["threshold"] if uncertainty else 0.0, y_test)
                   if test_votes is not None else None),
        "file_bytes": {f.name: f.stat().st_size for f in sorted(model_dir.glob("model.*"))},
        "latency_ms_per_face": face_latency_ms(classifier, x_test[0]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
    }
    stored = read_metrics(model_dir)
    previous = stored.raw if stored else {}
    metrics["parameters"] = parameters or _count_parameters(model_dir) or previous.get("parameters")
    metrics["training"] = training or previous.get("training")
    metrics["ensemble"] = ensemble or previous.get("ensemble")
    metrics["calibration"] = calibration or previous.get("calibration")
    metrics["runs"] = runs(metrics)
    return metrics


def _count_parameters(model_dir: Path) -> int | None:
    keras_file = model_dir / "model.keras"
    if not keras_file.is_file():
        return None
    import keras

    return int(keras.models.load_model(keras_file, compile=False).count_params())


def write_artifacts(model_dir: Path, data: Fer2013, metrics: dict) -> None:
    (model_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (model_dir / "class_counts.json").write_text(json.dumps(data.class_counts(), indent=2) + "\n")
    (model_dir / "model.md").write_text(model_card(metrics))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fer_core.training.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="fer2013.csv, fer2013.npz or the image-folder release")
    p.add_argument("--model", required=True, help="a model folder holding model.tflite")
    p.add_argument("--check", action="store_true", help="compare with metrics.json instead of rewriting it")
    args = p.parse_args(argv)
    model_dir, data = Path(args.model), load_fer2013(args.data)
    metrics = evaluate(model_dir, data)
    if args.check:
        stored = read_metrics(model_dir)
        stored = stored.raw if stored else {}
        for key in ("accuracy", "accuracy_tta", "macro_f1"):
            print(f"{key}: stored {stored.get(key)}, now {metrics[key]}")
        return 0 if stored.get("confusion_matrix") == metrics["confusion_matrix"] else 1
    write_artifacts(model_dir, data, metrics)
    print(json.dumps({k: metrics[k] for k in ("accuracy", "accuracy_tta", "macro_f1", "latency_ms_per_face")}))
    if metrics["people"]:  # beside the original labels, the people's figures
        print(json.dumps({k: metrics["people"][k] for k in ("agreement", "agreement_on_neutral", "ece",
                                                            "one_person_agreement", "accuracy_on_clear_faces")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
