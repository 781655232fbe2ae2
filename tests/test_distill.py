"""Distillation: a student learns from a teacher's calibrated probabilities and ships calibrated itself."""
import hashlib
import json

import numpy as np
import pytest

from fer_core.classifier import EmotionClassifier
from fer_core.training.calibrate import soften
from fer_core.training.distill import blend_targets, teacher_probabilities
from fer_core.training.train import cached_teacher_probabilities
from support import lfw_faces, run_module, tiny_fer2013

pytestmark = pytest.mark.slow


def test_targets_blend_the_label_with_the_teacher(tiny_model):
    tiny = tiny_fer2013()
    faces, labels = tiny["x"][:20], tiny["y"][:20]
    teacher = teacher_probabilities(tiny_model, faces, batch=7)  # batches that do not divide the set
    np.testing.assert_allclose(teacher, EmotionClassifier(tiny_model).predict(faces), atol=1e-6)
    targets = blend_targets(labels, teacher, 0.7)
    np.testing.assert_allclose(targets.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(targets - 0.7 * teacher, 0.3 * np.eye(7)[labels], atol=1e-6)
    np.testing.assert_array_equal(blend_targets(labels, teacher, 0.0), np.eye(7)[labels])
    with pytest.raises(ValueError, match="weight"):
        blend_targets(labels, teacher, 1.5)


def test_distillation_runs_an_epoch_and_exports_a_calibrated_student(tiny_model, tiny_npz, tmp_path):
    # The student starts from the teacher's own weights, as a student distilled again from a better teacher does.
    student = tmp_path / "fast"
    result = run_module("fer_core.training.distill", "--data", tiny_npz, "--teacher", tiny_model, "--out", student,
                        "--epochs", "1", "--width", "4", "--batch-size", "16", "--verbose", "0",
                        "--precision", "float32", "--init-weights", tiny_model / "best.weights.npz")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "the teacher" in result.stderr and "temperature" in result.stderr

    metrics = json.loads((student / "metrics.json").read_text())
    assert metrics["training"]["teacher"] == str(tiny_model) and metrics["training"]["teacher_weight"] == 0.7
    teacher_file = (tiny_model / "model.tflite").read_bytes()
    assert metrics["training"]["teacher_sha256"] == hashlib.sha256(teacher_file).hexdigest()
    # The runs table lists the run it started from, then this one.
    earlier, this = metrics["runs"]
    assert earlier["model"] == tiny_model.name and earlier["epochs"] == 1 and "distilled" not in earlier["recipe"]
    assert this["recipe"].endswith(f"distilled from {tiny_model.name} (weight 0.7), started from run {tiny_model.name}")
    assert (f"started from the best weights of run `{tiny_model.name}`" in (student / "model.md").read_text()
            and "that run has its own row below" in (student / "model.md").read_text())
    calibration = metrics["calibration"]
    assert calibration["fitted_on"] == "PublicTest" and 0.25 <= calibration["temperature"] <= 8

    # The served file is the saved network with that temperature baked in, and keeps the contract.
    faces = lfw_faces(16)
    served = EmotionClassifier(student).predict(faces)
    network = run_module("fer_core.training.export", student / "model.keras", "--out", tmp_path / "raw.tflite")
    assert network.returncode == 0, network.stderr[-3000:]
    raw = EmotionClassifier(tmp_path / "raw.tflite").predict(faces)
    np.testing.assert_allclose(served, soften(raw, calibration["temperature"]), atol=2e-4)


def test_distill_says_what_it_needs(tiny_npz, tmp_path):
    result = run_module("fer_core.training.distill", "--data", tiny_npz, "--out", tmp_path / "fast")
    assert result.returncode == 2 and "--teacher" in result.stderr


def test_the_teachers_probabilities_are_kept_with_the_run_for_that_teacher_file(tiny_model, tmp_path):
    faces = tiny_fer2013()["x"][:10]
    kept = tmp_path / "teacher_probs.npz"
    probs = cached_teacher_probabilities(kept, str(tiny_model), faces)
    np.testing.assert_allclose(probs, EmotionClassifier(tiny_model).predict(faces), atol=1e-6)
    # A machine without the teacher (a GPU machine that got only the run) uses what the run carries.
    np.testing.assert_array_equal(cached_teacher_probabilities(kept, str(tmp_path / "absent"), faces), probs)
    with pytest.raises(SystemExit, match="no teacher"):
        cached_teacher_probabilities(tmp_path / "none.npz", str(tmp_path / "absent"), faces)
    # Probabilities of another teacher file are not reused: the teacher reads the faces again.
    np.savez(kept, teacher=str(tiny_model), teacher_sha256="0" * 64, probs=np.zeros_like(probs))
    np.testing.assert_allclose(cached_teacher_probabilities(kept, str(tiny_model), faces), probs, atol=1e-6)
