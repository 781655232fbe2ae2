"""The batch command's whole job (``python -m fer_core batch``): find the sources, plan the tasks, skip what an
earlier run did, analyze the rest on local workers (fer_core.batch) or on Ray (fer_core.batch_ray), show the
progress, and join the parts into the table."""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

from fer_core.batch import (
    BatchError,
    Settings,
    TaskDone,
    find_sources,
    is_done,
    join_parts,
    open_parts,
    plan_tasks,
    run_local,
)


class BatchSummary(NamedTuple):
    sources: int
    tasks: int
    resumed: int  # tasks an earlier run had done
    rows: int
    failures: list[TaskDone]


def run_batch(inputs: Iterable[str], out: str | os.PathLike, settings: Settings = Settings(),
              workers: int | None = None, ray_address: str | None = None, progress: bool = True) -> BatchSummary:
    """The whole job: find, plan, skip what an earlier run did, analyze the rest (locally on ``workers``
    processes, default the CPU count; or on Ray when ``ray_address`` is given, "" for a local cluster), then
    join the parts into ``out``. A bar on stderr shows the tasks done and left, faces, rate and time left
    (under Ray too: its own bars are turned off)."""
    out = Path(out)
    sources, missing = find_sources(inputs)
    if not sources and not missing:
        raise BatchError("No inputs were given.")
    tasks = plan_tasks(sources, settings.part_seconds)
    settings = settings.resolved()
    parts = open_parts(out, settings)
    todo = [task for task in tasks if not is_done(parts, task)]
    if ray_address is not None:
        from fer_core.batch_ray import run_ray
        finished = run_ray(todo, settings, parts, ray_address, workers)
    else:
        finished = run_local(todo, settings, parts, workers or os.cpu_count() or 1)
    videos = len({t.source for t in tasks if t.kind == "video"})
    with tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit="task", disable=not progress,
              desc=f"{len(sources) - videos} photos, {videos} videos") as bar:
        faces = failed = 0
        for done in finished:
            faces, failed = faces + done.faces, failed + bool(done.error)
            bar.set_postfix(faces=faces, failed=failed, refresh=False)
            bar.update()
    rows, failures = join_parts(tasks, parts, out, missing)
    return BatchSummary(len(sources), len(tasks), len(tasks) - len(todo), rows, failures)
