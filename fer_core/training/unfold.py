"""Unfold a shipped single-network LiteRT model (Fast) back into a trainable Keras network, for fine-tuning when
its Keras file is gone.

    python -m fer_core.training.unfold models/fast --data ../shared/data/fer2013.npz --out /tmp/fast_unfolded

The converter folds each batch norm into the convolution (or dense layer) before it, the input's 1/255 into the
first convolution, and bakes the temperature in after the softmax. So the network is rebuilt with
:func:`~fer_core.training.networks.build_cnn` at the file's width, its kernels and biases copied from the file,
and each batch norm given the statistics its layer's outputs have on training faces, with a scale and shift
that leave the function unchanged (``gamma = sqrt(var + eps)``, ``beta = mean + bias``): so the network reads
faces as the shipped file does (checked on PublicTest), and a fine-tune's first batches see what it learned.
The temperature is dropped (calibration fits a new one). The result is ``OUT/model.keras``, for
``python -m fer_core.training.train --init-weights OUT/model.keras``.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from fer_core.models import resolve_model_file

STATISTICS_FACES = 4096  # training faces whose layer outputs set each batch norm's statistics


def folded_weights(tflite_path: Path) -> dict[str, np.ndarray]:
    """The file's folded kernels and biases by our layer names: ``conv0_0`` ... ``conv3_1``, ``fc``, ``logits``
    (Keras layouts; ``/bias`` for each bias)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(str(tflite_path))
    interpreter.allocate_tensors()
    weights = {}
    for tensor in interpreter.get_tensor_details():
        name, shape = tensor["name"], tuple(tensor["shape"])
        if tensor["dtype"] != np.float16:
            continue
        value = interpreter.get_tensor(tensor["index"]).astype(np.float32)
        if match := re.search(r"/conv(\d)_(\d)_1/convolution$", name):
            weights[f"conv{match[1]}_{match[2]}"] = value.transpose(1, 2, 3, 0)
        elif (match := re.search(r"/relu(\d)_(\d)_1/Relu", name)) and len(shape) == 4:  # the first: bias-free
            weights[f"conv{match[1]}_{match[2]}"] = value.transpose(1, 2, 3, 0) * 255.0  # its 1/255 back out
        elif match := re.search(r"/relu(\d)_(\d)_1/Relu", name):
            weights[f"conv{match[1]}_{match[2]}/bias"] = value
        elif "/bn_fc_1/batchnorm/mul_1" in name:
            weights["fc"] = value.T
        elif "/relu_fc_1/Relu" in name:
            weights["fc/bias"] = value
        elif name.endswith("/logits_1/MatMul"):
            weights["logits"] = value.T
        elif name.endswith("/logits_1/BiasAdd"):
            weights["logits/bias"] = value
    return weights


def unfold(tflite_path: Path, faces: np.ndarray):
    """The Keras network of ``tflite_path`` (see the module's doc); ``faces``: uint8 training faces (N, 48, 48)
    whose layer outputs set the batch norms' statistics."""
    import keras

    from fer_core.training.networks import build_cnn

    weights = folded_weights(tflite_path)
    model = build_cnn(width=weights["conv0_0"].shape[-1])
    folded = [name for name in weights if "/" not in name and name != "logits"]
    for name in folded:
        model.get_layer(name).set_weights([weights[name]])
        norm = model.get_layer("bn_fc" if name == "fc" else name.replace("conv", "bn"))
        width = weights[name].shape[-1]
        norm.set_weights([np.full(width, np.sqrt(1 + norm.epsilon), np.float32), weights[f"{name}/bias"],
                          np.zeros(width, np.float32), np.ones(width, np.float32)])
    model.get_layer("logits").set_weights([weights["logits"], weights["logits/bias"]])
    # Each layer's outputs on training faces: the statistics its batch norm normalizes with while training.
    probe = keras.Model(model.input, [model.get_layer(name).output for name in folded])
    outputs = probe.predict(faces[:STATISTICS_FACES, ..., None].astype(np.float32), batch_size=256, verbose=0)
    for name, out in zip(folded, outputs):
        axes = tuple(range(out.ndim - 1))
        mean, var = out.mean(axis=axes), out.var(axis=axes)
        norm = model.get_layer("bn_fc" if name == "fc" else name.replace("conv", "bn"))
        norm.set_weights([np.sqrt(var + norm.epsilon), mean + weights[f"{name}/bias"], mean, var])
    return model


def calibrated(probs: np.ndarray, folder: Path) -> np.ndarray:
    """The unfolded network's probabilities as the file gives them: with its temperature and class offsets."""
    from fer_core.labels import EMOTIONS
    from fer_core.models import read_metrics
    from fer_core.training.calibrate import soften

    calibration = (read_metrics(folder).calibration or {}) if read_metrics(folder) else {}
    offsets = calibration.get("class_bias") or {}
    bias = np.array([offsets.get(name, 0.0) for name in EMOTIONS], np.float32) if offsets else None
    return soften(probs, calibration.get("temperature", 1.0), bias)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fer_core.training.unfold", description=__doc__.split("\n")[0])
    p.add_argument("model", help="a shipped single-network model folder or .tflite, e.g. models/fast")
    p.add_argument("--data", required=True, help="FER2013 (for the batch norms' statistics and the check)")
    p.add_argument("--out", required=True, help="output folder: OUT/model.keras")
    args = p.parse_args(argv)

    from fer_core.classifier import EmotionClassifier
    from fer_core.training.data import load_fer2013

    data = load_fer2013(args.data)
    x_train, _ = data.split("Training")
    tflite = resolve_model_file(args.model)
    model = unfold(tflite, x_train)
    x_val, _ = data.split("PublicTest")
    ours = calibrated(model.predict(x_val[..., None].astype(np.float32), batch_size=256, verbose=0), tflite.parent)
    ours = ours.argmax(axis=1)
    shipped = EmotionClassifier(tflite).predict(x_val).argmax(axis=1)
    same = float((ours == shipped).mean())
    print(f"the unfolded network reads {same:.2%} of PublicTest's faces as {tflite} does")
    if same < 0.99:
        print("that is too few: this file is not a build_cnn network", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.keras")
    print(f"wrote {out / 'model.keras'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
