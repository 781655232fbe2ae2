"""The batch command on Ray (``--ray [ADDRESS]``): Ray Data over the job's tasks, through a pool of actors that
each hold one Engine and run :func:`fer_core.batch.run_task`, so a cluster writes the same parts and the same
table as local workers. Ray is optional (requirements-ray.txt) and imported only here.

On a cluster, the repository (models included), the inputs and ``--out`` must be at the same paths on every
node, as on shared storage: actors read the sources and write the parts themselves, and only each task's
count of faces comes back to the driver.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from fer_core.batch import Settings, Task, TaskDone, run_task

REPOSITORY = Path(__file__).resolve().parent.parent
BLOCKS_PER_ACTOR = 8  # enough to balance a long video against photos, few enough to schedule cheaply


class _Analyzer:
    """One Ray actor: the engine loaded once, then one task a call."""

    def __init__(self, settings: dict, parts: str):
        self.settings, self.parts = Settings(**settings), Path(parts)
        self.engine = self.settings.engine(threads=1)

    def __call__(self, batch: dict) -> dict:
        done = [run_task(self.engine, Task(**json.loads(task)), self.settings, self.parts) for task in batch["task"]]
        return {"key": [d.key for d in done], "source": [d.source for d in done], "faces": [d.faces for d in done],
                "error": [d.error or "" for d in done]}


def run_ray(tasks: list[Task], settings: Settings, parts: Path, address: str,
            workers: int | None) -> Iterator[TaskDone]:
    """Yield each task as Ray finishes it. ``address`` "" starts a local cluster of this machine's CPUs;
    otherwise it is joined ("auto", or "ray://head:10001"). ``workers``: actors in the pool (default: the
    cluster's CPUs)."""
    try:
        import ray
    except ImportError as err:
        raise SystemExit("--ray needs Ray: pip install -r requirements-ray.txt") from err
    if not tasks:
        return
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))}
    ray.init(address=address or None, runtime_env={"env_vars": env}, include_dashboard=False,
             logging_level="ERROR", log_to_driver=False, ignore_reinit_error=True)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the batch command's own bar counts tasks and faces
        context.print_on_execution_start = False
        actors = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        items = [{"task": json.dumps(asdict(task))} for task in tasks]
        # A few blocks an actor: one block a task made Ray schedule 500 of them for 500 photos (+70% time).
        blocks = min(len(items), BLOCKS_PER_ACTOR * actors)
        results = ray.data.from_items(items, override_num_blocks=blocks).map_batches(
            _Analyzer, fn_constructor_kwargs={"settings": asdict(settings), "parts": str(parts.resolve())},
            batch_size=1, num_cpus=1, compute=ray.data.ActorPoolStrategy(size=min(actors, len(items))))
        for row in results.iter_rows():
            yield TaskDone(row["key"], row["source"], int(row["faces"]), row["error"] or None)
    finally:
        ray.shutdown()
