"""Archives of photos and videos to one table of faces, on this machine's cores or on a Ray cluster:

    python -m fer_core batch INPUT... --out results.parquet [--every 1] [--workers N] [--ray [ADDRESS]]

A job (run whole by fer_core.batch_job) is a list of :class:`Task`: a photo, a video, or one time range of a long
video (so that one long clip does not hold one worker for hours). A worker holds one :class:`Engine` and writes
each task's rows to a part file of its own, atomically, in ``<out>.parts/``. So a run killed at any moment loses
only the tasks in flight, and the same command run again does only the tasks that have no part yet. At the end the
parts are joined in task order into ``--out`` (Parquet, or CSV for a ``.csv`` name), streamed part by part, and the
failures go to ``<out>.errors.csv``. Memory stays flat in the archive's size: rows never pass through the process
that plans the job. Local workers and Ray's actors (``fer_core.batch_ray``) run the same :func:`run_task` and write
the same parts, so both give the same table.
"""
from __future__ import annotations

import concurrent.futures
import csv
import glob
import hashlib
import json
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from fer_core.engine import Engine
from fer_core.faces import YuNetDetector, find_yunet_model, make_detector
from fer_core.imageio import UPLOAD_TYPES as PHOTO_TYPES
from fer_core.labels import EMOTIONS
from fer_core.limits import BATCH_VIDEO_PART_SECONDS
from fer_core.models import resolve_model_file
from fer_core.video import UPLOAD_TYPES as VIDEO_TYPES
from fer_core.video import VideoClip, VideoError

COLUMNS = ["source", "kind", "time_s", "face_id", "x", "y", "w", "h", "score", *EMOTIONS, "label", "uncertain"]
SCHEMA = pa.schema([("source", pa.string()), ("kind", pa.string()), ("time_s", pa.float64()),
                    ("face_id", pa.int64()), *((name, pa.int32()) for name in "xywh"), ("score", pa.float32()),
                    *((name, pa.float32()) for name in EMOTIONS), ("label", pa.string()), ("uncertain", pa.bool_())])
ERROR_COLUMNS = ["source", "error"]
FACE_IDS_PER_PART = 10_000  # a video's part k numbers its faces from k * 10,000 + 1: ids stay unique in a video
_ERROR_KEY = b"fer_core.error"  # a part's failure, kept in its Parquet metadata


@dataclass(frozen=True)
class Settings:
    """A job's options: what every worker needs to analyze like every other (the engine, the rate of a video's
    frames) and how long videos are split. A resumed job must have the same ones."""
    model: str | None = None  # accurate, fast, a folder or a .tflite; None: models/DEFAULT
    detector: str = "auto"
    every: float | None = 1.0  # seconds between a video's analyzed frames; None: every frame
    min_score: float = 0.0
    yunet_model: str | None = None
    part_seconds: float = BATCH_VIDEO_PART_SECONDS

    def resolved(self) -> "Settings":
        """The same settings with the model file and the detector that this machine finds, as absolute paths:
        every worker, on any node, then loads exactly these (auto never means YuNet on one node, Haar on
        another). Raises ModelError or DetectorError when they cannot be found."""
        detector, _ = make_detector(self.detector, self.yunet_model)
        yunet = find_yunet_model(self.yunet_model) if isinstance(detector, YuNetDetector) else None
        return replace(self, model=str(resolve_model_file(self.model).resolve()),
                       detector="yunet" if yunet else "haar", yunet_model=str(yunet.resolve()) if yunet else None)

    def engine(self, threads: int | None = None) -> Engine:
        return Engine.load(self.model, self.detector, self.yunet_model, threads=threads)


@dataclass(frozen=True)
class Task:
    source: str  # the path as the input named it
    kind: str  # photo or video
    start_s: float = 0.0  # a video's time range: from start_s to before end_s (None: its end)
    end_s: float | None = None
    part: int = 0  # the range's index within its video

    @property
    def key(self) -> str:
        """The task's part-file name: the same task of the same job always has the same one."""
        return hashlib.sha256(f"{self.source}\0{self.start_s}\0{self.end_s}".encode()).hexdigest()[:24]


class TaskDone(NamedTuple):
    key: str
    source: str
    faces: int  # rows written
    error: str | None  # the plain message of a failure; rows analyzed before it are kept


class BatchError(ValueError):
    """A job that cannot start: no inputs, or an output folder that another job's options made."""


# ---------------------------------------------------------------- the job

def find_sources(inputs: Iterable[str]) -> tuple[list[str], list[TaskDone]]:
    """The files that ``inputs`` name, in order without repeats: files as given, folders searched recursively
    for the photo and video types the app accepts, glob patterns expanded. An input that names nothing comes
    back as a failure, worded like the app's."""
    wanted = {f".{ext}" for ext in (*PHOTO_TYPES, *VIDEO_TYPES)}
    sources, missing = {}, []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in wanted)
        elif path.is_file():
            found = [name]
        elif glob.has_magic(name):
            found = sorted(p for p in glob.glob(name, recursive=True) if Path(p).is_file())
        else:
            found = []
        if not found:
            what = "files matching" if glob.has_magic(name) else "file or folder named"
            missing.append(TaskDone("", name, 0, f"No {what} '{name}' was found."))
        sources.update(dict.fromkeys(found))
    return list(sources), missing


def plan_tasks(sources: Iterable[str], part_seconds: float) -> list[Task]:
    """One task a photo; a video longer than ``part_seconds`` becomes one task for each such range of it. A
    video that cannot be opened gets one task, whose worker records why."""
    tasks = []
    for source in sources:
        if Path(source).suffix.lower().lstrip(".") not in VIDEO_TYPES:
            tasks.append(Task(source, "photo"))
            continue
        try:
            with VideoClip(source, limited=False) as clip:
                duration = clip.info.duration
        except VideoError:
            duration = 0.0
        parts = max(1, -int(-duration // part_seconds))
        tasks += [Task(source, "video", k * part_seconds, (k + 1) * part_seconds if k < parts - 1 else None, k)
                  for k in range(parts)]
    return tasks


# ---------------------------------------------------------------- one task

def task_rows(engine: Engine, task: Task, settings: Settings) -> Iterator[dict]:
    """The rows of one task: one per face (per analyzed frame of a video), in COLUMNS."""
    if task.kind == "photo":
        for face_id, face in enumerate(engine.analyze(task.source, settings.min_score), start=1):
            yield _row(task, 0.0, face_id, face.record())
        return
    with VideoClip(task.source, limited=False) as clip:
        for time_s, _, faces in clip.analyze(engine, settings.every, settings.min_score,
                                             start_s=task.start_s, end_s=task.end_s):
            for face_id, face in faces:
                yield _row(task, time_s, task.part * FACE_IDS_PER_PART + face_id, face.record())


def _row(task: Task, time_s: float, face_id: int, record: dict) -> dict:
    return {"source": task.source, "kind": task.kind, "time_s": time_s, "face_id": face_id,
            **{name: record[name] for name in COLUMNS[4:]}}


def run_task(engine: Engine, task: Task, settings: Settings, parts: Path) -> TaskDone:
    """Analyze ``task`` and write its part, whatever happens: a file that cannot be read, or a fault of ours
    on one strange file, is recorded with the rows before it, and the job goes on."""
    rows, error = [], None
    try:
        for row in task_rows(engine, task, settings):
            rows.append(row)
    except ValueError as err:  # ImageError, VideoError: worded for people
        error = str(err)
    except Exception as err:  # noqa: BLE001 - one file must not end a job of thousands
        error = f"This file could not be analyzed ({type(err).__name__}: {err})."
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    if error:
        table = table.replace_schema_metadata({_ERROR_KEY: error.encode()})
    _write_atomically(parts / f"{task.key}.parquet", lambda path: pq.write_table(table, path))
    return TaskDone(task.key, task.source, len(rows), error)


def _write_atomically(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


# ---------------------------------------------------------------- the run

def parts_folder(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def errors_path(out: Path) -> Path:
    return out.with_name(out.stem + ".errors.csv")


def open_parts(out: Path, settings: Settings) -> Path:
    """The job's part folder, made for these settings, or refused if an earlier job made it with others."""
    parts = parts_folder(out)
    parts.mkdir(parents=True, exist_ok=True)
    job, wanted = parts / "job.json", json.dumps(asdict(settings), sort_keys=True)
    if job.exists() and job.read_text() != wanted:
        raise BatchError(f"{parts} holds a job run with other options ({job.read_text()}). Run it with the same "
                         f"options to resume it, or remove that folder (or choose another --out) to start anew.")
    job.write_text(wanted)
    for stale in parts.glob(".*.tmp"):  # a part being written when a run was killed
        stale.unlink()
    return parts


def is_done(parts: Path, task: Task) -> bool:
    """Whether ``task`` has a part without a failure: a failed task is tried again (its file may be fixed)."""
    path = parts / f"{task.key}.parquet"
    return path.exists() and _ERROR_KEY not in (pq.read_schema(path).metadata or {})


def run_local(tasks: list[Task], settings: Settings, parts: Path, workers: int) -> Iterator[TaskDone]:
    """Yield each task as it is done, on ``workers`` processes that each load the engine once (one: in this
    process). At most two tasks a worker are in flight, so the queue stays small whatever the job's size."""
    if workers <= 1:
        engine = settings.engine()
        for task in tasks:
            yield run_task(engine, task, settings, parts)
        return
    context = multiprocessing.get_context("spawn")  # no fork of a process that already runs threads
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                                initargs=(settings, parts)) as pool:
        queue, pending = iter(tasks), set()
        try:
            while True:
                pending |= {pool.submit(_work, task) for task in _take(queue, 2 * workers - len(pending))}
                if not pending:
                    return
                done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                yield from (future.result() for future in done)
        finally:
            pool.shutdown(cancel_futures=True)


def _take(queue: Iterator[Task], count: int) -> list[Task]:
    return [task for _, task in zip(range(count), queue)]


_worker: tuple[Engine, Settings, Path] | None = None


def _start_worker(settings: Settings, parts: Path) -> None:
    global _worker
    import cv2
    cv2.setNumThreads(1)  # a process a core: threads inside each would only contend
    _worker = settings.engine(threads=1), settings, parts


def _work(task: Task) -> TaskDone:
    engine, settings, parts = _worker
    return run_task(engine, task, settings, parts)


def join_parts(tasks: list[Task], parts: Path, out: Path, failures: list[TaskDone]) -> tuple[int, list[TaskDone]]:
    """Write ``out`` from the tasks' parts in task order, one part in memory at a time, and ``<out>.errors.csv``
    from ``failures`` and the parts' own; return the rows written and every failure."""
    failures = list(failures)
    tmp, rows = out.with_name(f".{out.name}.tmp"), 0
    writer = pa_csv.CSVWriter(tmp, SCHEMA) if out.suffix.lower() == ".csv" else pq.ParquetWriter(tmp, SCHEMA)
    with writer:
        for task in tasks:
            part = pq.read_table(parts / f"{task.key}.parquet")
            error = (part.schema.metadata or {}).get(_ERROR_KEY)
            if error:
                failures.append(TaskDone(task.key, task.source, part.num_rows, error.decode()))
            if part.num_rows:
                writer.write_table(part.replace_schema_metadata(None).cast(SCHEMA))
                rows += part.num_rows
    os.replace(tmp, out)
    errors = errors_path(out)
    if failures:
        with open(errors, "w", newline="") as f:
            table = csv.writer(f)
            table.writerow(ERROR_COLUMNS)
            table.writerows([failure.source, failure.error] for failure in failures)
    elif errors.exists():
        errors.unlink()  # from an earlier run whose failures were since fixed
    return rows, failures
