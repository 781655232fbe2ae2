"""Ensembles: several independently trained members in one graph that keeps the model contract.

Raw 48x48 pixels go in; each member reads the face and its mirror image; the probabilities of all of
them are averaged, then softened by a temperature fitted on PublicTest. One ``invoke`` of the exported
LiteRT file returns the averaged, calibrated 7 probabilities.
"""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import keras
import numpy as np

from fer_core.faces import FACE_SIZE


def build_ensemble(members: list[keras.Model], mirror: bool = True, name: str = "ensemble") -> keras.Model:
    """One model averaging ``members`` (each on the face, and on its mirror image if ``mirror``); the
    temperature is added at export (see fer_core.training.calibrate)."""
    pixels = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="pixels")
    # The face and its mirror image go through each member as one batch of 2N: one pass over its weights.
    views = keras.ops.concatenate([pixels, keras.ops.flip(pixels, axis=2)], axis=0) if mirror else pixels
    outputs = []
    for i, member in enumerate(members):
        probs = keras.Model(member.input, member.output, name=f"member{i}")(views)  # names must differ in one graph
        outputs.append(keras.ops.mean(keras.ops.reshape(probs, (2, -1, probs.shape[-1])), axis=0) if mirror else probs)
    mean = keras.layers.Average(name="members_mean")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model(pixels, mean, name=name)


def public_test_table(members: list[keras.Model], names: list[str], data, max_size: int | None = None,
                      recall_floors: dict[str, float] | None = None, select_by: str = "labels",
                      labels_floor: float | None = None) -> list[dict]:
    """Every subset of ``members`` (of at most ``max_size``), with and without the mirror image, scored on
    PublicTest as it would be built: with the class offsets ``recall_floors`` and ``labels_floor`` ask for, how
    many network passes a face costs, the accuracy on the labels, the agreement with the people's majority (where
    the data has their votes) and the NLL after its own temperature. Best by ``select_by`` first (see recipe.selection_score)."""
    from fer_core import ferplus
    from fer_core.training.calibrate import fit_offsets, fit_temperature, nll, read_figures, soften
    from fer_core.training.recipe import selection_score

    x, y = data.split("PublicTest")
    votes = data.split_votes("PublicTest")
    majority = ferplus.majority(votes) if votes is not None else None
    x = x[..., None].astype("float32")
    plain = [m.predict(x, batch_size=256, verbose=0) for m in members]
    mirrored = [m.predict(x[:, :, ::-1], batch_size=256, verbose=0) for m in members]
    rows = []
    for size in range(1, min(len(members), max_size or len(members)) + 1):
        for subset in combinations(range(len(members)), size):
            for mirror in (False, True):
                views = [plain[i] for i in subset] + ([mirrored[i] for i in subset] if mirror else [])
                probs = np.mean(views, axis=0)
                bias = fit_offsets(probs, y, majority, recall_floors, labels_floor)
                labels, agreement = read_figures(probs, y, majority, bias).values()
                rows.append({"members": [names[i] for i in subset], "mirror": mirror, "passes": len(views),
                             "public_test": labels, "agreement": agreement,
                             "selection": selection_score(select_by, labels, agreement, labels_floor),
                             "nll": nll(soften(probs, fit_temperature(probs, y)), y)})
    return sorted(rows, key=lambda r: (-r["selection"], r["passes"]))


def best_within(rows: list[dict], max_passes: int) -> dict:
    """The best row of :func:`public_test_table` that costs at most ``max_passes`` network passes."""
    affordable = [r for r in rows if r["passes"] <= max_passes]
    if not affordable:
        raise ValueError(f"no ensemble costs {max_passes} network passes or fewer")
    return affordable[0]


MEMBER_FIGURES = ("model", "accuracy", "accuracy_tta", "val_accuracy", "parameters", "training")


def _member_metrics(folders: list[str]) -> list[dict]:
    """What the card tells of each member: MEMBER_FIGURES from its metrics.json."""
    from fer_core.models import read_metrics

    figures = [read_metrics(m) for m in folders]
    return [{k: v for k, v in (f.raw if f else {"model": Path(m).name}).items() if k in MEMBER_FIGURES}
            for m, f in zip(folders, figures)]


def main(argv=None) -> int:
    """python -m fer_core.training.ensemble --data fer2013.npz --members models/a models/b --out models/accurate"""
    import argparse
    import sys

    from fer_core import ferplus
    from fer_core.fer2013 import load_fer2013
    from fer_core.training.export import as_float32, export_and_evaluate
    from fer_core.training.recipe import Recipe
    from fer_core.training.run_state import shown_path

    p = argparse.ArgumentParser(prog="python -m fer_core.training.ensemble", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="fer2013.csv, fer2013.npz or the image-folder release")
    p.add_argument("--members", nargs="+", required=True, help="model folders holding model.keras and metrics.json")
    p.add_argument("--out", help="the ensemble's model folder (needed unless --compare)")
    p.add_argument("--no-mirror", action="store_true", help="members read only the face, not its mirror image")
    p.add_argument("--max-passes", type=int, default=None,
                   help="choose on PublicTest: the best subset of --members by --select-by, with or without the mirror "
                        "image, costing at most this many network passes per face")
    p.add_argument("--max-members", type=int, default=None,
                   help="at most this many members: each adds its weights to the file (Accurate and Fast share "
                        "a 25 MB budget)")
    Recipe.add_arguments(p, only=("calibrate_to", "calibrate_by", "select_by", "recall_floor", "labels_floor"))
    p.add_argument("--compare", action="store_true", help="print the best subsets' PublicTest figures and stop")
    p.add_argument("--rows", type=int, default=25, help="how many of the best subsets to print")
    args = p.parse_args(argv)
    if not (args.compare or args.out):
        p.error("--out is needed unless --compare")
    try:
        recipe = Recipe.from_args(args)
    except ValueError as err:
        p.error(str(err))
    recall_floors, labels_floor = recipe.recall_floors, recipe.labels_floor
    names = [str(m) for m in args.members]
    members = [as_float32(keras.models.load_model(Path(m) / "model.keras", compile=False)) for m in names]
    data = load_fer2013(args.data)
    if data.votes is None and (needing := recipe.needing_votes()):
        p.error(f"{needing[0]} needs FER+'s votes: {ferplus.WHERE_VOTES_COME_FROM}")
    mirror = not args.no_mirror
    candidates = _member_metrics(names)
    picked = list(range(len(names)))
    if args.compare or args.max_passes or args.max_members:
        largest = min(n for n in (args.max_members, args.max_passes, len(members)) if n)
        passes = args.max_passes or 2 * largest  # with no pass budget, any mirroring of the largest subset
        rows = public_test_table(members, names, data, max_size=largest, recall_floors=recall_floors,
                                 select_by=recipe.select_by, labels_floor=labels_floor)
        print("| members | mirror | passes | PublicTest labels | agreement with the people | NLL |\n"
              "|---|---|---|---|---|---|")
        for r in rows[:args.rows]:
            agreement = "" if r["agreement"] is None else f"{r['agreement']:.2%}"
            print(f"| {', '.join(Path(m).name for m in r['members'])} | {'yes' if r['mirror'] else 'no'} | "
                  f"{r['passes']} | {r['public_test']:.2%} | {agreement} | {r['nll']:.3f} |")
        if args.compare:
            return 0
        chosen = best_within(rows, passes)
        print(f"chosen within {passes} passes and {largest} members: {chosen}", file=sys.stderr)
        picked, mirror = [names.index(m) for m in chosen["members"]], chosen["mirror"]

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    calibrate_to, calibrate_by = recipe.calibrate_to, recipe.calibrate_by
    members, names = [members[i] for i in picked], [names[i] for i in picked]
    shown = [shown_path(m) for m in names]
    ensemble = {"members": shown, "mirror": mirror, "member_metrics": [candidates[i] for i in picked],
                "command": " ".join(["--members", *shown, *([] if mirror else ["--no-mirror"]),
                                     *(f"--recall-floor {k}={v:g}" for k, v in recall_floors.items()),
                                     *([] if labels_floor is None else [f"--labels-floor {labels_floor:g}"]),
                                     f"--calibrate-to {calibrate_to}", f"--calibrate-by {calibrate_by}"])}
    if len(candidates) > len(names):
        ensemble["candidates"] = candidates
    model = build_ensemble(members, mirror=mirror)
    export_and_evaluate(out, model, data, ensemble=ensemble, calibrate=True, recall_floors=recall_floors,
                        labels_floor=labels_floor, calibrate_to=calibrate_to, calibrate_by=calibrate_by)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
