"""Convert a trained Keras model to the LiteRT file the engine serves, and, after training, export and
evaluate a run or an ensemble in one step.

    python -m fer_core.training.export models/NAME/model.keras      # writes models/NAME/model.tflite
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from fer_core.fer2013 import Fer2013  # noqa: E402
from fer_core.models import TFLITE_FILE  # noqa: E402
from fer_core.training.evaluate import evaluate, write_artifacts  # noqa: E402


def as_float32(model: keras.Model) -> keras.Model:
    """The same network and weights with every layer in float32: bf16 casts would slow LiteRT down."""
    config = model.get_config()
    for layer in config["layers"]:
        layer["config"]["dtype"] = "float32"
    clean = keras.Model.from_config(config)
    clean.set_weights(model.get_weights())
    return clean


def export_model(model: keras.Model, tflite_path: str | os.PathLike) -> Path:
    """A float32 Keras model (a network or a whole ensemble) -> the LiteRT file the engine serves.

    The file keeps its weights in float16: half the bytes, which matters because every model a clone has ever
    shipped stays in its history. LiteRT widens them to float32 once, as it loads, so a face costs the same
    time and its probabilities move by less than 0.003 (measured on PublicTest with Fast)."""
    tflite_path = Path(tflite_path)
    with tempfile.TemporaryDirectory() as saved_model:
        # The SavedModel route keeps a dynamic batch size and freezes every weight.
        model.export(saved_model, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
        tflite_path.write_bytes(converter.convert())
    return tflite_path


def export_tflite(keras_path: str | os.PathLike, tflite_path: str | os.PathLike | None = None) -> Path:
    keras_path = Path(keras_path)
    model = as_float32(keras.models.load_model(keras_path, compile=False))
    return export_model(model, tflite_path or keras_path.with_suffix(".tflite"))


def export_and_evaluate(out: Path, model, data: Fer2013, training: dict | None = None,
                        ensemble: dict | None = None, calibrate: bool = False,
                        recall_floors: dict[str, float] | None = None, labels_floor: float | None = None,
                        calibrate_to: str = "majority", calibrate_by: str = "brier") -> dict:
    """After training: the float32 Keras ``model`` -> model.tflite (and, for a single network, model.keras
    without optimizer state, to ensemble or fine-tune later), then metrics.json, class_counts.json, model.md.
    With ``calibrate`` the served file has a temperature fitted on PublicTest baked in (and the class offsets
    that ``recall_floors`` and ``labels_floor`` ask for), fitted to ``calibrate_to`` by ``calibrate_by`` (see
    fer_core.training.calibrate)."""
    from fer_core.training.calibrate import calibrate_on_public_test

    if ensemble is None:
        model.save(out / "model.keras")
    served, calibration = (calibrate_on_public_test(model, data, recall_floors=recall_floors, target=calibrate_to,
                                                    objective=calibrate_by, labels_floor=labels_floor)
                           if calibrate else (model, None))
    if calibration:
        print(f"temperature {calibration['temperature']:.3f}: {json.dumps(calibration['private_test'])}",
              file=sys.stderr)
    export_model(served, out / TFLITE_FILE)
    metrics = evaluate(out, data, training, ensemble, calibration, parameters=model.count_params())
    write_artifacts(out, data, metrics)
    print(json.dumps({k: metrics[k] for k in ("accuracy", "accuracy_tta", "macro_f1", "latency_ms_per_face")}))
    return metrics


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fer_core.training.export", description=__doc__.split("\n")[0])
    p.add_argument("model", help="a .keras file")
    p.add_argument("--out", help="the .tflite to write (default: beside the model)")
    args = p.parse_args(argv)
    print(export_tflite(args.model, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
