"""Command line.

    python -m fer_core predict IMAGE... [--json | --csv]
    python -m fer_core video IN [--out annotated.mp4] [--csv faces.csv | --json faces.json] [--every SECONDS]
    python -m fer_core batch INPUT... --out results.parquet [--every SECONDS] [--workers N] [--ray [ADDRESS]]

``predict`` prints one record per face. A missing file or a non-image gets a one-line error on stderr and the
exit status 1; the other images are still processed. ``video`` writes one record per face per analyzed frame,
with its time and the face's id, and shows its progress on stderr; a bad file gets a one-line error and the
exit status 1. ``batch`` (see fer_core.batch) writes a table of every face in folders of photos and videos,
resumes where a killed run stopped, records failures in ``<out>.errors.csv``, and exits with the number of
sources that failed (at most 100), or 101 when the job cannot start.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fer_core.engine import Engine
from fer_core.faces import DetectorError
from fer_core.imageio import ImageError
from fer_core.models import ModelError
from fer_core.report import VIDEO_FIELDS, face_records, to_csv, video_records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fer_core", description="Facial emotion recognition.")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="emotions of every face in the images")
    predict.add_argument("images", nargs="+")
    form = predict.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object per line")
    form.add_argument("--csv", action="store_true", help="CSV with a header row")
    video = commands.add_parser("video", help="follow every face through a video file")
    video.add_argument("input")
    video.add_argument("--out", help="write the annotated video here (.mp4 with H.264, else .webm)")
    video_form = video.add_mutually_exclusive_group()
    video_form.add_argument("--csv", help="write one row per face per analyzed frame here")
    video_form.add_argument("--json", help="write the same records as a JSON list here")
    video.add_argument("--every", type=float, default=None, help="seconds between analyzed frames (default: all)")
    batch = commands.add_parser("batch", help="every face in folders of photos and videos, to one table")
    batch.add_argument("inputs", nargs="+", metavar="INPUT", help="files, folders (searched recursively) or globs")
    batch.add_argument("--out", required=True, help="results.parquet, or a .csv name for CSV")
    batch.add_argument("--every", type=float, default=1.0, help="seconds between a video's analyzed frames "
                                                                "(default 1; 0: every frame)")
    batch.add_argument("--workers", type=int, help="worker processes, or Ray actors (default: the CPU count)")
    batch.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                       help="run on Ray: a local cluster, or the one at ADDRESS (needs requirements-ray.txt)")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    for command in (predict, video, batch):
        command.add_argument("--model", help="accurate, fast, a model folder or a .tflite (default: the one named in "
                                              "models/DEFAULT)")
        command.add_argument("--detector", choices=["auto", "yunet", "haar"], default="auto")
        command.add_argument("--min-score", type=float, default=0.0, help="minimum face-detector confidence")
    args = parser.parse_args(argv)
    if args.command == "batch":
        return run_batch_command(args)

    try:
        engine = Engine.load(args.model, args.detector)
    except (ModelError, DetectorError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.command == "video":
        return run_video(engine, args)
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


def run_video(engine: Engine, args) -> int:
    from fer_core.video import AnnotatedWriter, VideoClip, VideoError

    try:
        with VideoClip(args.input) as clip:
            info = clip.info
            writer = AnnotatedWriter(args.out, info.fps) if args.out else None
            records, shown = [], -1
            try:
                for time_s, frame, faces in clip.analyze(engine, args.every, args.min_score, writer):
                    records += video_records(time_s, frame, faces)
                    done = min(100, int(100 * time_s / info.duration)) if info.duration else 0
                    if done // 10 > shown:
                        shown = done // 10
                        print(f"analyzing {args.input}: {done}% ({time_s:.1f} of {info.duration:.1f} s)",
                              file=sys.stderr)
            finally:
                if writer:
                    writer.close()
    except VideoError as err:
        print(f"error: {args.input}: {err}", file=sys.stderr)
        return 1
    print(f"analyzing {args.input}: 100%, {len(records)} face records"
          + (f"; annotated video in {args.out}" if args.out else ""), file=sys.stderr)
    if args.csv:
        Path(args.csv).write_text(to_csv(records, VIDEO_FIELDS))
    elif args.json:
        Path(args.json).write_text(json.dumps(records, indent=2))
    else:
        print(to_csv(records, VIDEO_FIELDS), end="")
    return 0


def run_batch_command(args) -> int:
    from fer_core.batch import BatchError, Settings, errors_path
    from fer_core.batch_job import run_batch

    settings = Settings(args.model, args.detector, args.every or None, args.min_score)
    try:
        summary = run_batch(args.inputs, args.out, settings, args.workers, args.ray, progress=not args.quiet)
    except (BatchError, ModelError, DetectorError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 101
    failed = len(summary.failures)
    print(f"{summary.rows} faces from {summary.sources} sources in {args.out}"
          + (f" ({summary.resumed} of {summary.tasks} tasks done by an earlier run)" if summary.resumed else "")
          + (f"; {failed} failed, listed in {errors_path(Path(args.out))}" if failed else ""), file=sys.stderr)
    return min(failed, 100)


if __name__ == "__main__":
    sys.exit(main())
