"""Unfold a shipped LiteRT network (Fast, or one member of an ensemble) back into a trainable Keras network, for
fine-tuning or re-ensembling when its Keras file is gone.

    python -m fer_core.training.unfold models/fast --data ../shared/data/fer2013.npz --out /tmp/fast_unfolded
    python -m fer_core.training.unfold models/accurate --member 0 --data ../shared/data/fer2013.npz --out /tmp/m0

The converter folds each batch norm into the convolution (or dense layer) before it, the input's 1/255 into the
first convolution, and bakes the temperature in after the softmax. So the network is rebuilt with
:func:`~fer_core.training.networks.build_cnn` at the file's width, its kernels and biases copied from the file,
and each batch norm given the statistics its layer's outputs have on training faces, with a scale and shift
that leave the function unchanged (``gamma = sqrt(var + eps)``, ``beta = mean + bias``): so the network reads
faces as the shipped file does (checked on PublicTest), and a fine-tune's first batches see what it learned.
The temperature is dropped (calibration fits a new one). An ensemble's
members are ``member0``, ``member1``, ... in the order of its metrics.json ``ensemble.members``; a member is
checked against its own probabilities inside the file, before the members are averaged. The result is ``OUT/model.keras``, for
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
_MEMBER = r"/member(\d+)_1/"  # how build_ensemble's member networks are named inside the file


def folded_weights(tflite_path: Path, member: int | None = None) -> dict[str, np.ndarray]:
    """The file's folded kernels and biases by our layer names: ``conv0_0`` ... ``conv3_1``, ``fc``, ``logits``
    (Keras layouts; ``/bias`` for each bias); of ensemble member ``member`` where the file is an ensemble."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(str(tflite_path))
    interpreter.allocate_tensors()
    tensors = [t for t in interpreter.get_tensor_details() if t["dtype"] == np.float16]
    members = sorted({int(m[1]) for t in tensors if (m := re.search(_MEMBER, t["name"]))})
    if member is None and len(members) > 1:
        raise ValueError(f"{tflite_path} is an ensemble of {len(members)} networks: name one (member 0 to "
                         f"{len(members) - 1})")
    if member is not None and member not in members:
        raise ValueError(f"{tflite_path} has no member {member}" + (f"; its members: 0 to {len(members) - 1}"
                                                                     if members else ": it is a single network"))
    weights = {}
    for tensor in tensors:
        name, shape = tensor["name"], tuple(tensor["shape"])
        if member is not None and f"/member{member}_1/" not in name:
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


def unfold(tflite_path: Path, faces: np.ndarray, member: int | None = None):
    """The Keras network of ``tflite_path``, or of its ensemble member ``member`` (see the module's doc);
    ``faces``: uint8 training faces (N, 48, 48) whose layer outputs set the batch norms' statistics."""
    import keras

    from fer_core.training.networks import build_cnn

    weights = folded_weights(tflite_path, member)
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
    """The unfolded network's probabilities as the file gives them: with its temperature and class offsets (the
    recall floors' and, where it has one, the lean's, which add up inside the graph)."""
    from fer_core.models import read_metrics
    from fer_core.training.calibrate import graph_offsets, soften

    metrics = read_metrics(folder)
    calibration = (metrics.calibration or {}) if metrics else {}
    return soften(probs, calibration.get("temperature", 1.0), graph_offsets(calibration))


def member_probabilities(tflite_path: Path, member: int, faces: np.ndarray, batch: int = 128) -> np.ndarray:
    """Ensemble member ``member``'s own probabilities for ``faces`` (uint8, N x 48 x 48) inside the file: its
    softmax on the faces themselves, before any mirror image and before the members are averaged."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(str(tflite_path), experimental_preserve_all_tensors=True)
    pixels = interpreter.get_input_details()[0]["index"]
    probs = []
    for start in range(0, len(faces), batch):
        chunk = faces[start:start + batch, ..., None].astype(np.float32)
        interpreter.resize_tensor_input(pixels, chunk.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(pixels, chunk)
        interpreter.invoke()
        softmax = next(t["index"] for t in interpreter.get_tensor_details()
                       if f"/member{member}_1/" in t["name"] and t["name"].endswith("/Softmax"))
        probs.append(interpreter.get_tensor(softmax)[:len(chunk)].copy())  # the faces come first, then mirrors
    return np.concatenate(probs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fer_core.training.unfold", description=__doc__.split("\n")[0])
    p.add_argument("model", help="a shipped model folder or .tflite, e.g. models/fast")
    p.add_argument("--member", type=int, help="for an ensemble (e.g. models/accurate): which member, from 0")
    p.add_argument("--data", required=True, help="FER2013 (for the batch norms' statistics and the check)")
    p.add_argument("--out", required=True, help="output folder: OUT/model.keras")
    args = p.parse_args(argv)

    from fer_core.classifier import EmotionClassifier
    from fer_core.fer2013 import load_fer2013

    data = load_fer2013(args.data)
    x_train, _ = data.split("Training")
    tflite = resolve_model_file(args.model)
    try:
        model = unfold(tflite, x_train, args.member)
    except ValueError as error:
        p.error(str(error))
    x_val, _ = data.split("PublicTest")
    ours = model.predict(x_val[..., None].astype(np.float32), batch_size=256, verbose=0)
    if args.member is None:
        ours, shipped = calibrated(ours, tflite.parent), EmotionClassifier(tflite).predict(x_val)
    else:
        shipped = member_probabilities(tflite, args.member, x_val)
    same = float((ours.argmax(axis=1) == shipped.argmax(axis=1)).mean())
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
