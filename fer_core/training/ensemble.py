"""Ensembles: several independently trained members in one graph that keeps the model contract.

Raw 48x48 pixels go in; each member reads the face and its mirror image; the probabilities of all of
them are averaged, then softened by a temperature fitted on PublicTest. One ``invoke`` of the exported
LiteRT file returns the averaged, calibrated 7 probabilities.
"""
from __future__ import annotations

import keras

from fer_core.labels import FACE_SIZE


def build_ensemble(members: list[keras.Model], mirror: bool = True, name: str = "ensemble") -> keras.Model:
    """One model averaging ``members`` (each on the face, and on its mirror image if ``mirror``); the
    temperature is added at export (see fer_core.training.calibrate)."""
    pixels = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="pixels")
    views = [pixels, keras.ops.flip(pixels, axis=2)] if mirror else [pixels]
    outputs = []
    for i, member in enumerate(members):
        renamed = keras.Model(member.input, member.output, name=f"member{i}")  # names must differ in one graph
        outputs += [renamed(view) for view in views]
    mean = keras.layers.Average(name="mean")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(pixels, mean, name=name)


MEMBER_FIGURES = ("model", "accuracy", "accuracy_tta", "val_accuracy", "parameters", "training")


def main(argv=None) -> int:
    """python -m fer_core.training.ensemble --data fer2013.npz --members models/a models/b --out models/accurate"""
    import argparse
    from pathlib import Path

    from fer_core.artifacts import read_metrics
    from fer_core.training.data import load_fer2013
    from fer_core.training.evaluate import export_and_evaluate
    from fer_core.training.export import as_float32

    p = argparse.ArgumentParser(prog="python -m fer_core.training.ensemble", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="fer2013.csv, fer2013.npz or the image-folder release")
    p.add_argument("--members", nargs="+", required=True, help="model folders holding model.keras and metrics.json")
    p.add_argument("--out", required=True, help="the ensemble's model folder")
    p.add_argument("--no-mirror", action="store_true", help="members read only the face, not its mirror image")
    args = p.parse_args(argv)

    members = [as_float32(keras.models.load_model(Path(m) / "model.keras", compile=False)) for m in args.members]
    member_metrics = [{k: v for k, v in (read_metrics(m) or {"model": Path(m).name}).items() if k in MEMBER_FIGURES}
                      for m in args.members]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ensemble = {"members": [str(m) for m in args.members], "mirror": not args.no_mirror,
                "member_metrics": member_metrics}
    model = build_ensemble(members, mirror=not args.no_mirror)
    export_and_evaluate(out, model, load_fer2013(args.data), ensemble=ensemble, calibrate=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
