"""Command line: ``python -m fer_core predict IMAGE... [--json | --csv]``.

Prints one record per face. A missing file or a non-image gets a one-line error on stderr and the
exit status 1; the other images are still processed.
"""
from __future__ import annotations

import argparse
import json
import sys

from fer_core.classifier import ModelError
from fer_core.engine import Engine
from fer_core.faces import DetectorError
from fer_core.imageio import ImageError
from fer_core.report import face_records, to_csv


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fer_core", description="Facial emotion recognition.")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="emotions of every face in the images")
    predict.add_argument("images", nargs="+")
    form = predict.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object per line")
    form.add_argument("--csv", action="store_true", help="CSV with a header row")
    predict.add_argument("--model", help="model folder or .tflite (default: the shipped model)")
    predict.add_argument("--detector", choices=["auto", "yunet", "haar"], default="auto")
    predict.add_argument("--min-score", type=float, default=0.0, help="minimum face-detector confidence")
    args = parser.parse_args(argv)

    try:
        engine = Engine.load(args.model, args.detector)
    except (ModelError, DetectorError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    status, records = 0, []
    for image in args.images:
        try:
            faces = engine.analyze(image, min_score=args.min_score)
        except ImageError as err:
            print(f"error: {image}: {err}", file=sys.stderr)
            status = 1
            continue
        found = face_records(image, faces)
        records += found
        for record in found:
            if args.json:
                print(json.dumps(record))
            elif not args.csv:
                box = ", ".join(str(record[k]) for k in "xywh")
                print(f"{image}\tface {record['face']}\t({box})\t{record['label']} {record['confidence']:.0%}")
        if not found and not (args.json or args.csv):
            print(f"{image}\tno face found")
    if args.csv:
        print(to_csv(records), end="")
    return status


if __name__ == "__main__":
    sys.exit(main())
