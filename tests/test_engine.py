"""Engine.load / analyze / classify, annotate, thread safety, and the serving process's imports."""
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from support import ASTRONAUT_FACE, REPO, astronaut, encode, group_photo, lfw_faces, no_face, run_module

from fer_core import EMOTIONS, Engine, ImageError, ModelError, annotate
from fer_core.classifier import EmotionClassifier
from fer_core.faces import iou
from fer_core.report import face_records, to_csv, to_json


def test_one_face(engine):
    (face,) = engine.analyze(astronaut())
    assert iou(face.box, ASTRONAUT_FACE) > 0.5
    assert len(face.probs) == len(EMOTIONS) and abs(sum(face.probs) - 1) < 1e-4
    assert face.label == EMOTIONS[int(np.argmax(face.probs))] and face.confidence == max(face.probs)
    (record,) = face_records("astronaut.png", [face])
    assert [record[name] for name in EMOTIONS] == pytest.approx(face.probs, abs=1e-4)
    assert json.loads(to_json([record])) == [record] and to_csv([record]).count("\n") == 2


def test_no_face_and_several_faces(engine):
    assert engine.analyze(no_face()) == []
    faces = engine.analyze(group_photo())
    assert len(faces) == 6
    assert len(engine.analyze(group_photo(), max_faces=2)) == 2
    assert engine.analyze(group_photo(), min_score=1.01) == []


def test_all_faces_of_an_image_go_in_one_batch(engine, monkeypatch):
    calls = []
    predict = engine.classifier.predict
    monkeypatch.setattr(engine.classifier, "predict", lambda faces: calls.append(len(faces)) or predict(faces))
    engine.analyze(group_photo())
    assert calls == [6]


def test_every_input_kind_gives_the_same_result(engine, tmp_path):
    png = encode(astronaut())
    (tmp_path / "a.png").write_bytes(png)
    expected = engine.analyze(astronaut())
    for src in (png, tmp_path / "a.png", str(tmp_path / "a.png")):
        assert engine.analyze(src) == expected
    with pytest.raises(ImageError):
        engine.analyze(b"not an image")


def test_classify_matches_analyze_and_batching(engine):
    faces = lfw_faces(9)
    batch = engine.classify(faces)
    assert batch.shape == (9, 7) and np.allclose(batch.sum(1), 1, atol=1e-4)
    one_by_one = np.concatenate([engine.classify(f[None]) for f in faces])
    np.testing.assert_allclose(batch, one_by_one, atol=1e-5)
    assert engine.classify(np.zeros((0, 48, 48), np.uint8)).shape == (0, 7)


def test_concurrent_calls_match_sequential_ones(engine):
    images = [astronaut(), group_photo(), no_face(), astronaut()[:, ::-1].copy()] * 6
    sequential = [engine.analyze(im) for im in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(engine.analyze, images))
    assert concurrent == sequential
    barrier = threading.Barrier(4)

    def classify_together(faces):
        barrier.wait()
        return engine.classify(faces)

    batches = [lfw_faces(n) for n in (1, 3, 5, 7)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(classify_together, batches))
    for faces, probs in zip(batches, together):
        np.testing.assert_allclose(probs, engine.classify(faces), atol=1e-5)


def test_shipped_model_reads_a_smile():
    from conftest import shipped_model_dir

    if shipped_model_dir() is None:
        pytest.skip("no shipped model yet")
    engine = Engine.load(detector="haar")  # model=None: the shipped default
    (face,) = engine.analyze(astronaut())
    assert face.label == "happy" and face.confidence > 0.5


def test_models_by_name():
    from fer_core.models import MODELS_DIR, shipped_model_names

    for name in shipped_model_names():
        assert Engine.load(name, "haar").classifier.path == MODELS_DIR / name / "model.tflite"
    with pytest.raises(ModelError, match="Shipped models: " + ", ".join(shipped_model_names())):
        Engine.load("most_accurate_ever", "haar")


WRONG_CONTRACT = """
import sys, keras
from fer_core.training.export import export_tflite
inputs = keras.Input((32, 32, 3))
outputs = keras.layers.Dense(5, activation="softmax")(keras.layers.Flatten()(inputs))
keras.Model(inputs, outputs).save(sys.argv[1])
export_tflite(sys.argv[1])
"""


def test_model_that_breaks_the_contract(tmp_path):
    result = subprocess.run([sys.executable, "-c", WRONG_CONTRACT, str(tmp_path / "rgb32.keras")], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    with pytest.raises(ModelError, match="the contract is N x 48 x 48 x 1 float32"):
        EmotionClassifier(tmp_path / "rgb32.tflite")


def test_model_errors(tmp_path):
    with pytest.raises(ModelError, match="No model file"):
        EmotionClassifier(tmp_path / "missing.tflite")
    broken = tmp_path / "model.tflite"
    broken.write_bytes(b"\x00" * 1000)
    with pytest.raises(ModelError, match="damaged"):
        EmotionClassifier(broken)


@pytest.mark.parametrize("size", [(60, 80), (512, 512), (3000, 4000)])
def test_annotate_draws_on_a_copy(size):
    image = np.full((*size, 3), 30, np.uint8)
    h, w = size
    from fer_core.results import FaceResult

    face = FaceResult((w // 4, h // 4, w // 2, h // 2), 0.9, (0, 0, 0, 0.9, 0.1, 0, 0))
    out = annotate(image, [face])
    assert out.shape == image.shape and (image == 30).all()  # the input is untouched
    changed = (out != 30).any(axis=2)
    assert changed[h // 4, w // 4 + w // 8]  # the box's top edge
    assert changed.mean() < 0.5


def test_cli(model_dir, tmp_path):
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(encode(astronaut(), "JPEG"))
    result = run_module("fer_core", "predict", photo, "--json", "--model", model_dir, "--detector", "haar")
    assert result.returncode == 0, result.stderr
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["label"] in EMOTIONS and iou([record[k] for k in "xywh"], ASTRONAUT_FACE) > 0.5
    result = run_module("fer_core", "predict", photo, "--csv", "--model", model_dir)
    header, row = result.stdout.splitlines()
    assert header.split(",")[:3] == ["image", "face", "x"] and row.startswith(str(photo))
    not_image = tmp_path / "notes.jpg"
    not_image.write_text("hello")
    result = run_module("fer_core", "predict", not_image, tmp_path / "missing.png", photo, "--model", model_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "not an image" in errors[0] and "No file" in errors[1]
    assert "face 1" in result.stdout  # the good image still got its result


IMPORT_ORDERS = {
    "engine then aiortc": "import fer_core; engine = fer_core.Engine.load(MODEL); import aiortc",
    "aiortc then engine": "import aiortc; import fer_core; engine = fer_core.Engine.load(MODEL)",
}


@pytest.mark.parametrize("order", IMPORT_ORDERS)
def test_engine_and_aiortc_share_a_process(order, model_dir):
    code = (f"MODEL = {str(model_dir)!r}\n{IMPORT_ORDERS[order]}\n"
            "from support import astronaut\n"
            "assert len(engine.analyze(astronaut())) == 1\n"
            "import sys; assert 'tensorflow' not in sys.modules, 'TensorFlow was loaded'\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": f"{REPO}:{REPO / 'tests'}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and result.stdout.strip() == "ok", (result.returncode, result.stderr[-2000:])
