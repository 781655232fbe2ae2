"""Evaluate a trained model on PrivateTest and write its artifacts.

    python -m fer_core.training.evaluate --data ../shared/data/fer2013.npz --model models/NAME

Every figure in ``metrics.json`` is recomputed from the saved model, through the same LiteRT file
that the app serves. ``class_counts.json`` and the model card ``model.md`` are written beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

from fer_core.bench import timed
from fer_core.classifier import EmotionClassifier
from fer_core.labels import EMOTIONS
from fer_core.models import TFLITE_FILE, read_metrics
from fer_core.training.calibrate import BINS, chance_ece, ece_of, nll, reliability
from fer_core.training.data import Fer2013, load_fer2013
from fer_core.uncertainty import TARGET_ACCURACY, accuracy_coverage, choose_threshold, curve

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


def uncertainty_report(val: np.ndarray, y_val: np.ndarray, test: np.ndarray, y_test: np.ndarray) -> dict:
    """The "not sure" threshold chosen on PublicTest, and how it does on PrivateTest."""
    threshold = choose_threshold(val.max(1), val.argmax(1) == y_val)
    report = {"threshold": round(threshold, 4), "target_accuracy": TARGET_ACCURACY, "chosen_on": "PublicTest"}
    for split, probs, y in (("public_test", val, y_val), ("private_test", test, y_test)):
        accuracy, coverage = accuracy_coverage(probs.max(1), probs.argmax(1) == y, threshold)
        report[split] = {"accuracy_when_sure": round(accuracy, 4), "coverage": round(coverage, 4)}
    report["curve"] = curve(test.max(1), test.argmax(1) == y_test)
    return report


def reliability_report(probs: np.ndarray, labels: np.ndarray) -> dict:
    """The reliability table of ``probs`` with its ECE and NLL (the Dashboard's reliability diagram), and the
    ECE that chance alone would give an honest model on as many faces."""
    rows = reliability(probs, labels)
    return {"bins": BINS, "ece": ece_of(rows), "ece_by_chance": chance_ece(probs), "nll": nll(probs, labels),
            "rows": rows}


def face_latency_ms(classifier: EmotionClassifier, face: np.ndarray, runs: int = 300) -> dict:
    """Per-face latency of one engine call with one face (p50 and p95, milliseconds)."""
    times = timed(lambda: classifier.predict(face[None]), runs)
    return {"p50": round(float(np.percentile(times, 50)), 3), "p95": round(float(np.percentile(times, 95)), 3)}


def evaluate(model_dir: Path, data: Fer2013, training: dict | None = None, ensemble: dict | None = None,
             calibration: dict | None = None, parameters: int | None = None) -> dict:
    """Compute metrics.json's content for the model in ``model_dir``."""
    classifier = EmotionClassifier(model_dir / TFLITE_FILE)
    x_test, y_test = data.split(TEST_SPLIT)
    x_val, y_val = data.split("PublicTest")
    plain, tta = predict_with_tta(classifier, x_test)
    val = predict_all(classifier, x_val) if len(y_val) else None
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
        "uncertainty": uncertainty_report(val, y_val, plain, y_test) if val is not None else None,
        "reliability": reliability_report(plain, y_test),
        "file_bytes": {f.name: f.stat().st_size for f in sorted(model_dir.glob("model.*"))},
        "latency_ms_per_face": face_latency_ms(classifier, x_test[0]),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
    }
    stored = read_metrics(model_dir)
    previous = stored.raw if stored else {}
    metrics["parameters"] = parameters or _count_parameters(model_dir) or previous.get("parameters")
    metrics["training"] = _training_summary(training) if training else previous.get("training")
    metrics["ensemble"] = ensemble or previous.get("ensemble")
    metrics["calibration"] = calibration or previous.get("calibration")
    metrics["runs"] = runs(metrics)
    return metrics


def runs(m: dict) -> list[dict]:
    """The runs table: one row per trained network behind this model (the model itself, or each candidate
    member of an ensemble, and whether PublicTest chose it): recipe, epochs, machines, wall time and PublicTest
    accuracy. PublicTest chose every checkpoint."""
    ensemble = m.get("ensemble")
    if ensemble:
        chosen = {member["model"] for member in ensemble["member_metrics"]}
        return [{**row, "in_ensemble": candidate["model"] in chosen}
                for candidate in ensemble.get("candidates", ensemble["member_metrics"]) for row in runs(candidate)]
    t = m.get("training")
    if not t:
        return []
    # A run that started from another run's weights follows that run's row.
    earlier = runs({"model": _run_name(t["init_weights"]), "training": t["init_run"]}) if t.get("init_run") else []
    stretches = t.get("stretches") or []
    recipe = (f"width {t.get('width')}, {t.get('optimizer', 'adamw')} lr {t.get('lr')}, wd {t.get('weight_decay')}, "
              f"smoothing {t.get('label_smoothing')}, seed {t.get('seed')}")
    if t.get("erasing"):
        recipe += ", random erasing"
    if t.get("teacher"):
        recipe += f", distilled from {Path(t['teacher']).name} (weight {t.get('teacher_weight')})"
        if t.get("teacher_views", 1) > 1:
            recipe += f" on {t['teacher_views']} views a face"
    if t.get("init_weights"):
        recipe += f", started from run {_run_name(t['init_weights'])}"
    return earlier + [{"model": m["model"], "recipe": recipe, "epochs": t["epochs"],
             "machines": "; ".join(f"{s['machine']} ({s['precision']}, {s['epochs']} epochs)" for s in stretches)
                         or f"not recorded ({t.get('precision')})",
             "hours": round(t["seconds"] / 3600, 2), "public_test": round(t["best_val_accuracy"], 4)}]


def _count_parameters(model_dir: Path) -> int | None:
    keras_file = model_dir / "model.keras"
    if not keras_file.is_file():
        return None
    import keras

    return int(keras.models.load_model(keras_file, compile=False).count_params())


def _training_summary(state: dict) -> dict:
    args = state.get("args", {})
    return {"epochs": state["epochs_done"], "seconds": round(state["train_seconds"]),
            "best_val_accuracy": state["best_val_accuracy"],
            "best_epoch": state.get("best_epoch"), "stretches": state.get("stretches", []),
            **{k: state[k] for k in ("teacher_sha256", "init_sha256") if state.get(k)},
            **({"init_run": _training_summary(state["init_state"])} if state.get("init_state") else {}),
            **{k: args[k] for k in ("optimizer", "batch_size", "lr", "weight_decay", "label_smoothing", "width",
                                    "spatial_dropout", "erasing", "precision", "seed", "warmup_epochs", "teacher",
                                    "teacher_weight", "teacher_views", "init_weights") if args.get(k) is not None}}


def write_artifacts(model_dir: Path, data: Fer2013, metrics: dict) -> None:
    (model_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (model_dir / "class_counts.json").write_text(json.dumps(data.class_counts(), indent=2) + "\n")
    (model_dir / "model.md").write_text(model_card(metrics))


def model_card(m: dict) -> str:
    """The model card, its figures taken from metrics.json so that it never drifts from them."""
    t = m.get("training") or {}
    rows = "\n".join(f"| {name} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
                     for name, c in m["per_class"].items())
    size_mb = m["file_bytes"].get("model.tflite", 0) / 1e6
    return f"""# Model card: {m['model']}

## What it does
Reads one of seven emotions ({', '.join(m['classes'])}) from a 48x48 grayscale face. Input: raw pixels 0-255,
float32, shape N x 48 x 48 x 1; output: 7 probabilities in that order. Scaling happens inside the model.

## Data
FER2013 (ICML 2013 representation-learning challenge): 35,887 faces found by web image search, 48x48 grayscale.
Trained on `Training` (28,709), model selection on `PublicTest` (3,589), tested once on `PrivateTest`
(3,589), with the original FER2013 labels.

{_recipe_section(m)}
## Results on {m['test_split']} ({m['test_images']:,} faces)
| figure | value |
|---|---|
| accuracy | {m['accuracy']:.2%} |
| accuracy with test-time augmentation ({m['tta']}) | {m['accuracy_tta']:.2%} |
| macro F1 | {m['macro_f1']:.3f} |
| PublicTest accuracy (validation) | {m['val_accuracy'] or 0:.2%} |
| per-face latency through the engine, {m['machine']} | p50 {m['latency_ms_per_face']['p50']} ms, p95 {m['latency_ms_per_face']['p95']} ms |
| model.tflite | {size_mb:.1f} MB |

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

{_calibration_section(m)}
{_uncertainty_section(m.get('uncertainty'))}
{_runs_section(m.get('runs'))}
Reproduce: `python -m fer_core.training.evaluate --data PATH/fer2013.npz --model models/{m['model']}`.

## Limits
- FER2013's faces come from web searches: mostly adults, more light-skinned faces than the world has,
  many posed or exaggerated expressions. Expect lower accuracy on spontaneous, subtle expressions.
- Disgust has 436 training faces (1.5%) and is recognised poorly; fear and sad are often confused.
- The labels themselves are noisy: people agree with FER2013's labels about 65% of the time.
- 48x48 grayscale: no colour and little detail; faces far from frontal or half hidden are read poorly.
- It reads facial expressions, not feelings. Do not use it to make decisions about people.
"""


def _recipe_section(m: dict) -> str:
    e = m.get("ensemble")
    if e:
        members = "\n".join(f"| {k['model']} | {k.get('parameters') or 0:,} | {k['val_accuracy']:.2%} | "
                            f"{k['accuracy']:.2%} |" for k in e["member_metrics"])
        return f"""## Architecture
An ensemble of {len(e['members'])} independently trained networks, {m.get('parameters') or 0:,} parameters in all.
Each reads the face{' and its mirror image' if e['mirror'] else ''}; their probabilities are averaged, then
calibrated (below). Everything is inside one LiteRT graph: one call returns the calibrated probabilities.
Built with `python -m fer_core.training.ensemble --data PATH/fer2013.npz --members {' '.join(e['members'])} --out models/{m['model']}`.

| member | parameters | PublicTest | PrivateTest (alone, no mirror) |
|---|---|---|---|
{members}
"""
    t = m.get("training") or {}
    optimizer = ("SGD with Nesterov momentum 0.9" if t.get("optimizer") == "sgd" else "AdamW")
    erasing = t.get("erasing", "optimizer" not in t)  # fer_cnn, trained before the option, used erasing
    changes = (f"rotation up to about 15 degrees, zoom and shift up to 15% and 10%, contrast"
               f"{', random erasing' if erasing else ''}")
    augmentation = (f"Augmentation by Keras layers in the training graph: horizontal flip,\n{changes}."
                    if t.get("teacher_views", 1) == 1 else
                    f"Augmentation: the teacher's views (below) were made once by Keras layers ({changes});\n"
                    "the training graph mirrors each view at random.")
    return f"""## Architecture and recipe
A VGG-style CNN: four stages of two 3x3 convolutions with batch norm and ReLU (width {t.get('width', '?')}
doubling each stage), max pooling and spatial dropout ({t.get('spatial_dropout', 0.1)}) after each stage, one dense layer of
{8 * t.get('width', 0)} units, softmax. {m.get('parameters') or 0:,} parameters. {optimizer} (peak learning rate
{t.get('lr', '?')}, weight decay {t.get('weight_decay', '?')}), cosine decay after {t.get('warmup_epochs', '?')} warm-up
epochs, label smoothing {t.get('label_smoothing', '?')}, batch {t.get('batch_size', '?')}, {t.get('precision', '?')}
precision, seed {t.get('seed', '?')}. {augmentation}
The epoch with the best
PublicTest accuracy is kept. Trained for {t.get('epochs', '?')} epochs in {t.get('seconds', 0) / 3600:.1f} h (see the runs below).
{_init_sentence(t)}{_teacher_sentence(t)}"""


def _init_sentence(t: dict) -> str:
    if not t.get("init_weights"):
        return ""
    which = f" (SHA-256 `{t['init_sha256'][:16]}…`)" if t.get("init_sha256") else ""
    row = ", and that run has its own row below" if t.get("init_run") else ""
    earlier_width = t.get("init_run", {}).get("width")
    widened = (f" Those were width {earlier_width}, widened to {t['width']}: the new channels started at no effect "
               "on the output.") if earlier_width and earlier_width != t.get("width") else ""
    return (f"It started from the best weights of run `{_run_name(t['init_weights'])}`{which}, not from random "
            f"ones; the epochs and hours here count this run alone{row}.{widened}\n")


def _run_name(weights: str) -> str:
    """The run a weights file came from: its folder's name."""
    return Path(weights).parent.name


def _teacher_sentence(t: dict) -> str:
    if not t.get("teacher"):
        return ""
    which = f" (its `model.tflite` then had SHA-256 `{t['teacher_sha256'][:16]}…`)" if t.get("teacher_sha256") else ""
    count = t.get("teacher_views", 1)
    views = (f" The teacher read each face and {count - 1} augmented copies of it; each epoch the student saw every "
             "face as one of those views, picked and mirrored at random, with the teacher's probabilities for that "
             "view.") if count > 1 else ""
    weight = t["teacher_weight"]
    target = ("the teacher's calibrated probabilities (its label is not used)" if weight == 1 else
              f"{1 - weight:.2g} x its label plus {weight:.2g} x the teacher's calibrated probabilities")
    return f"Distilled from `{t['teacher']}`{which}: each training face's target is {target}.{views}\n"


def _calibration_section(m: dict) -> str:
    c, r = m.get("calibration"), m.get("reliability")
    if not r:
        return ""
    if c:
        after = c["private_test"]
        text = (f"The probabilities are divided in log space by a temperature of {c['temperature']:.2f}, fitted on "
                f"{c['fitted_on']}\nand baked into the graph. On PrivateTest it moved the NLL from "
                f"{after['nll_before']:.3f} to {after['nll_after']:.3f}\nand the expected calibration error "
                f"({c['bins']} bins) from {after['ece_before']:.3f} to {after['ece_after']:.3f}.")
    else:
        text = (f"Not calibrated. On PrivateTest: expected calibration error ({r['bins']} bins) {r['ece']:.3f}, "
                f"NLL {r['nll']:.3f}.")
    return f"## Calibration\n{text}{_chance_sentence(r, m['test_images'])}\n"


def _chance_sentence(r: dict, faces: int) -> str:
    chance = r.get("ece_by_chance")
    if not chance:
        return ""
    return (f"\nA perfectly honest model with the same confidences would still measure an ECE of about "
            f"{chance['mean']:.3f}\n(95th percentile {chance['p95']:.3f}) on {faces:,} faces, by chance alone.")


def _runs_section(rows: list[dict] | None) -> str:
    if not rows:
        return ""
    ensemble = "in_ensemble" in rows[0]
    lines = "\n".join(f"| {r['model']} | {r['recipe']} | {r['epochs']} | {r['machines']} | {r['hours']:.1f} | "
                       f"{r['public_test']:.2%} |" + (f" {'yes' if r['in_ensemble'] else 'no'} |" if ensemble else "")
                       for r in rows)
    return f"""## Training runs
| network | recipe | epochs | machines (precision, epochs) | hours | best PublicTest |{' in the ensemble |' * ensemble}
|---|---|---|---|---|---|{'---|' * ensemble}
{lines}
"""


def _uncertainty_section(u: dict | None) -> str:
    if not u:
        return ""
    return f"""## "Not sure"
A face whose top probability is below **{u['threshold']:.2f}** reads "not sure: A or B?" instead of a label. The
threshold was chosen on {u['chosen_on']} as the lowest at which the remaining faces are right at least
{u['target_accuracy']:.0%} of the time. On PrivateTest the model is sure of {u['private_test']['coverage']:.1%} of
faces, and right about {u['private_test']['accuracy_when_sure']:.1%} of those.
"""


def export_and_evaluate(out: Path, model, data: Fer2013, training: dict | None = None,
                        ensemble: dict | None = None, calibrate: bool = False) -> dict:
    """After training: the float32 Keras ``model`` -> model.tflite (and, for a single network, model.keras
    without optimizer state, to ensemble or fine-tune later), then metrics.json, class_counts.json, model.md.
    With ``calibrate`` the served file has a temperature fitted on PublicTest baked in."""
    from fer_core.training.calibrate import calibrate_on_public_test
    from fer_core.training.export import export_model

    if ensemble is None:
        model.save(out / "model.keras")
    served, calibration = calibrate_on_public_test(model, data) if calibrate else (model, None)
    if calibration:
        print(f"temperature {calibration['temperature']:.3f}: {json.dumps(calibration['private_test'])}",
              file=sys.stderr)
    export_model(served, out / TFLITE_FILE)
    metrics = evaluate(out, data, training, ensemble, calibration, parameters=model.count_params())
    write_artifacts(out, data, metrics)
    print(json.dumps({k: metrics[k] for k in ("accuracy", "accuracy_tta", "macro_f1", "latency_ms_per_face")}))
    return metrics


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
