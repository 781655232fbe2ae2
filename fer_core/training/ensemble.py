"""Ensembles: several independently trained members in one graph that keeps the model contract.

Raw 48x48 pixels go in; each member reads the face and its mirror image; the probabilities of all of
them are averaged, then softened by a temperature fitted on PublicTest. One ``invoke`` of the exported
LiteRT file returns the averaged, calibrated 7 probabilities.
"""
from __future__ import annotations

import keras

from fer_core.labels import FACE_SIZE
from fer_core.training.calibrate import with_temperature


def build_ensemble(members: list[keras.Model], temperature: float = 1.0, mirror: bool = True,
                   name: str = "ensemble") -> keras.Model:
    """One model averaging ``members`` (each on the face, and on its mirror image if ``mirror``)."""
    pixels = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="pixels")
    views = [pixels, keras.ops.flip(pixels, axis=2)] if mirror else [pixels]
    outputs = []
    for i, member in enumerate(members):
        renamed = keras.Model(member.input, member.output, name=f"member{i}")  # names must differ in one graph
        outputs += [renamed(view) for view in views]
    mean = keras.layers.Average(name="mean")(outputs) if len(outputs) > 1 else outputs[0]
    averaged = keras.Model(pixels, mean, name=name)
    return averaged if temperature == 1.0 else with_temperature(averaged, temperature)


def main(argv=None) -> int:
    """python -m fer_core.training.ensemble --data fer2013.npz --members models/a models/b --out models/accurate"""
    import argparse
    import json
    import sys
    from pathlib import Path

    import numpy as np

    from fer_core.training.calibrate import ece, fit_temperature, nll, soften
    from fer_core.training.data import load_fer2013
    from fer_core.training.evaluate import export_and_evaluate

    p = argparse.ArgumentParser(prog="python -m fer_core.training.ensemble", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="fer2013.csv, fer2013.npz or the image-folder release")
    p.add_argument("--members", nargs="+", required=True, help="model folders holding model.keras")
    p.add_argument("--out", required=True, help="the ensemble's model folder")
    p.add_argument("--no-mirror", action="store_true", help="members read only the face, not its mirror image")
    args = p.parse_args(argv)

    members = [keras.models.load_model(Path(m) / "model.keras", compile=False) for m in args.members]
    data = load_fer2013(args.data)
    averaged = build_ensemble(members, mirror=not args.no_mirror)
    x_val, y_val = data.split("PublicTest")
    x_test, y_test = data.split("PrivateTest")
    val = averaged.predict(x_val[..., None].astype("float32"), batch_size=256, verbose=0)
    temperature = fit_temperature(val, y_val)
    test = averaged.predict(x_test[..., None].astype("float32"), batch_size=256, verbose=0)
    calibration = {"temperature": round(temperature, 4), "fitted_on": "PublicTest", "bins": 15,
                   "private_test": {"nll_before": nll(test, y_test), "nll_after": nll(soften(test, temperature), y_test),
                                    "ece_before": ece(test, y_test), "ece_after": ece(soften(test, temperature), y_test)}}
    print(f"temperature {temperature:.3f}: " + json.dumps(calibration["private_test"]), file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_ensemble(members, temperature, mirror=not args.no_mirror)
    ensemble = {"members": [str(m) for m in args.members], "mirror": not args.no_mirror, "calibration": calibration}
    export_and_evaluate(out, model, data, ensemble=ensemble)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
