"""Distillation: a student learns from a teacher's calibrated probabilities and ships calibrated itself."""
import hashlib
import json

import numpy as np
import pytest
from support import lfw_faces, run_module, tiny_fer2013

from fer_core.classifier import EmotionClassifier
from fer_core.training.calibrate import soften
from fer_core.training.recipe import Recipe
from fer_core.training.teacher import augmented_views, blend_targets, cached_teacher_targets, teacher_probabilities
from fer_core.training.train import ViewBatches

pytestmark = pytest.mark.slow


def test_targets_blend_the_label_with_the_teacher(tiny_model):
    tiny = tiny_fer2013()
    faces, labels = tiny["x"][:20], tiny["y"][:20]
    teacher = teacher_probabilities(tiny_model, faces, batch=7)  # batches that do not divide the set
    np.testing.assert_allclose(teacher, EmotionClassifier(tiny_model).predict(faces), atol=1e-6)
    targets = blend_targets(np.eye(7)[labels], teacher, 0.7)
    np.testing.assert_allclose(targets.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(targets - 0.7 * teacher, 0.3 * np.eye(7)[labels], atol=1e-6)
    np.testing.assert_array_equal(blend_targets(np.eye(7)[labels], teacher, 0.0), np.eye(7)[labels])
    with pytest.raises(ValueError, match="weight"):
        blend_targets(np.eye(7)[labels], teacher, 1.5)
    # The card says what the targets were: a blend, or the teacher alone.
    sentence = {w: Recipe(teacher="models/accurate", teacher_weight=w).teacher_words() for w in (0.7, 1.0)}
    assert "0.3 x its label plus 0.7 x the teacher's" in sentence[0.7]
    assert "the teacher's calibrated probabilities (its label is not used)" in sentence[1.0]


def test_distillation_runs_an_epoch_and_exports_a_calibrated_student(tiny_model, tiny_npz, tmp_path):
    # The student starts from the teacher's own weights, widened, as a student grown from an earlier one does.
    student = tmp_path / "fast"
    result = run_module("fer_core.training.distill", "--data", tiny_npz, "--teacher", tiny_model, "--out", student,
                        "--epochs", "1", "--width", "6", "--batch-size", "16", "--verbose", "0",
                        "--precision", "float32", "--init-weights", tiny_model / "best.weights.npz",
                        "--teacher-views", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "reads view 3 of 3" in result.stderr and "temperature" in result.stderr

    metrics = json.loads((student / "metrics.json").read_text())
    assert metrics["training"]["teacher"] == tiny_model.name  # its run, not a path on the training machine
    assert metrics["training"]["teacher_weight"] == 0.7
    assert metrics["training"]["teacher_views"] == 3
    with np.load(student / "teacher_probs.npz") as kept:
        assert kept["faces"].shape == (3, 42, 48, 48) and kept["probs"].shape == (3, 42, 7)
    teacher_file = (tiny_model / "model.tflite").read_bytes()
    assert metrics["training"]["teacher_sha256"] == hashlib.sha256(teacher_file).hexdigest()
    # The runs table lists the run it started from, then this one.
    earlier, this = metrics["runs"]
    assert earlier["model"] == tiny_model.name and earlier["epochs"] == 1 and "distilled" not in earlier["recipe"]
    assert this["recipe"].endswith(f"distilled from {tiny_model.name} (weight 0.7) on 3 views a face, "
                                   f"started from run {tiny_model.name}")
    card = (student / "model.md").read_text()
    assert f"started from the best weights of run `{tiny_model.name}`" in card and "its own row below" in card
    assert "each face and 2 augmented copies of it" in card and "Those were width 4, widened to 6" in card
    calibration = metrics["calibration"]
    assert calibration["target"] == "labels" and 0.25 <= calibration["temperature"] <= 8  # no votes: the labels
    assert calibration["fitted_on"] == "PublicTest, the original labels (42 faces)"

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
    views, probs = cached_teacher_targets(kept, str(tiny_model), faces)
    np.testing.assert_array_equal(views, faces[None])
    np.testing.assert_allclose(probs[0], EmotionClassifier(tiny_model).predict(faces), atol=1e-6)
    # A machine without the teacher (a GPU machine that got only the run) uses what the run carries.
    np.testing.assert_array_equal(cached_teacher_targets(kept, str(tmp_path / "absent"), faces)[1], probs)
    with pytest.raises(SystemExit, match="no teacher"):
        cached_teacher_targets(tmp_path / "none.npz", str(tmp_path / "absent"), faces)
    # ... but not for other faces, nor another number of views.
    with pytest.raises(SystemExit, match="no teacher"):
        cached_teacher_targets(kept, str(tmp_path / "absent"), faces[::-1])
    with pytest.raises(SystemExit, match="no teacher"):
        cached_teacher_targets(kept, str(tmp_path / "absent"), faces, views=2)
    # Probabilities of another teacher file are not reused: the teacher reads the faces again.
    with np.load(kept) as saved:
        np.savez(kept, **{**saved, "teacher_sha256": "0" * 64, "probs": np.zeros_like(probs)})
    np.testing.assert_allclose(cached_teacher_targets(kept, str(tiny_model), faces)[1], probs, atol=1e-6)


def test_the_teacher_reads_augmented_views_and_the_run_keeps_them(tiny_model, tmp_path):
    faces = lfw_faces(12)
    kept = tmp_path / "teacher_probs.npz"
    views, probs = cached_teacher_targets(kept, str(tiny_model), faces, views=3, seed=5)
    assert views.shape == (3, 12, 48, 48) and views.dtype == np.uint8 and probs.shape == (3, 12, 7)
    np.testing.assert_array_equal(views[0], faces)
    # Every face is changed in each copy, and each copy differently.
    for copy in views[1:]:
        assert (np.abs(copy.astype(float) - faces).mean(axis=(1, 2)) > 1).all()
    assert (np.abs(views[1].astype(float) - views[2]).mean(axis=(1, 2)) > 1).all()
    for view, view_probs in zip(views, probs):
        np.testing.assert_allclose(view_probs, EmotionClassifier(tiny_model).predict(view), atol=1e-5)
    # The views travel with the run: where the teacher is absent, the same views and probabilities come back.
    again = cached_teacher_targets(kept, str(tmp_path / "absent"), faces, views=3, seed=5)
    np.testing.assert_array_equal(again[0], views)
    np.testing.assert_array_equal(again[1], probs)
    # The views are drawn from the seed.
    np.testing.assert_array_equal(augmented_views(faces, 3, seed=5), views)
    assert not np.array_equal(augmented_views(faces, 3, seed=6)[1], views[1])


def test_a_run_with_more_views_has_the_teacher_read_only_the_new_ones(tiny_model, tmp_path, monkeypatch):
    from fer_core.training import teacher

    faces = lfw_faces(12)
    kept = tmp_path / "teacher_probs.npz"
    two_views, two_probs = cached_teacher_targets(kept, str(tiny_model), faces, views=2, seed=5)
    read = []
    monkeypatch.setattr(teacher, "teacher_probabilities", lambda teacher, view: read.append(view) or
                        teacher_probabilities(teacher, view))
    views, probs = cached_teacher_targets(kept, str(tiny_model), faces, views=3, seed=5)
    assert len(read) == 1
    np.testing.assert_array_equal(read[0], views[2])
    np.testing.assert_array_equal(views[:2], two_views)
    np.testing.assert_array_equal(probs[:2], two_probs)
    np.testing.assert_allclose(probs[2], EmotionClassifier(tiny_model).predict(views[2]), atol=1e-5)
    # Fewer views than the run holds are its first ones, and need no teacher.
    fewer = cached_teacher_targets(kept, str(tmp_path / "absent"), faces, views=2, seed=5)
    np.testing.assert_array_equal(fewer[0], two_views)
    np.testing.assert_array_equal(fewer[1], two_probs)
    # Views that the seed no longer draws are not mixed with new ones.
    with np.load(kept) as saved:
        np.savez(kept, **{**saved, "faces": saved["faces"][:, ::-1]})
    with pytest.raises(SystemExit, match="no longer draws"):
        cached_teacher_targets(kept, str(tiny_model), faces, views=4, seed=5)


def test_each_epoch_shows_every_face_once_as_one_of_its_views_with_that_views_targets():
    faces, count = 50, 4
    # View v of face i is filled with the value 4i + v, and its target says v: a batch shows which view it took.
    views = (4 * np.arange(faces)[None, :, None, None] + np.arange(count)[:, None, None, None]) * np.ones((1, 1, 2, 2))
    targets = np.eye(7, dtype=np.float32)[np.broadcast_to(np.arange(count)[:, None], (count, faces))]
    batches = ViewBatches(views.astype(np.float32), targets, batch_size=8, seed=3)
    assert len(batches) == faces // 8

    def epoch(source):
        shown = [source[i] for i in range(len(source))]
        pixels = np.concatenate([x[:, 0, 0, 0] for x, _ in shown])
        picked = np.concatenate([y.argmax(1) for _, y in shown])
        return pixels, picked

    pixels, picked = epoch(batches)
    assert len(np.unique(pixels // 4)) == len(pixels) == 48  # each face at most once; the last 2 wait
    np.testing.assert_array_equal(pixels % 4, picked)  # the target is the shown view's
    assert len(np.unique(picked)) == count
    batches.on_epoch_end()
    second, _ = epoch(batches)
    assert not np.array_equal(second, pixels)
    # A run resumed at epoch 1 draws what the uninterrupted run drew.
    np.testing.assert_array_equal(epoch(ViewBatches(views.astype(np.float32), targets, 8, seed=3, epoch=1))[0], second)
    assert len(ViewBatches(views, targets, 8, seed=3, steps=2)) == 2
