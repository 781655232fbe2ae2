"""The benchmark's batch section (``python -m fer_core.bench --batch``): the batch command against a naive loop,
on a generated archive of real faces, in one run. Every figure times a fresh process from start to end.

The archive: ``--batch-photos`` photos of the faces in assets/ (every other one 640x480, the rest 12 MP, each
mirrored, cropped and lit a little differently) and four one-minute 640x480 clips. The naive loop is one
process that decodes and analyzes each file in turn. Then the batch command on local workers and, where Ray
is installed, on a local Ray cluster of this machine's CPUs; then the batch command's peak memory (the whole
process tree) on 500 small photos and on ten times as many; then a run killed half-way and resumed, against
an uninterrupted one. (It also holds the test clip of a face that the benchmark's video section uses.)
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from fer_core.batch import Settings, find_sources, parts_folder
from fer_core.engine import Engine
from fer_core.imageio import read_image
from fer_core.memory import MemorySampler
from fer_core.video import VideoClip

ASSETS = Path(__file__).resolve().parent.parent / "assets"
EVERY = 1.0  # seconds between a clip's analyzed frames, as the batch command's default


def make_photos(folder: Path, count: int, large_every: int = 2) -> None:
    """``count`` JPEGs of real faces, each different; every ``large_every``-th one 12 MP, the rest 640x480."""
    folder.mkdir(parents=True, exist_ok=True)
    faces = [read_image(ASSETS / "astronaut.jpg"), read_image(ASSETS / "six-faces.jpg")]
    rng = np.random.default_rng(0)
    for i in range(count):
        rgb = faces[i % 2]
        h, w = rgb.shape[:2]
        dx, dy = rng.integers(0, w // 10), rng.integers(0, h // 10)
        rgb = rgb[dy:h - rng.integers(0, h // 10), dx:w - rng.integers(0, w // 10)]
        rgb = np.clip(rgb * rng.uniform(0.8, 1.1), 0, 255).astype(np.uint8)
        rgb = rgb[:, ::-1] if i % 3 == 0 else rgb
        size = (4000, 3000) if large_every and i % large_every == 1 else (640, 480)
        Image.fromarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)).save(folder / f"photo{i:05d}.jpg",
                                                                                 quality=90)


def face_frames(size: tuple[int, int], count: int):
    """``count`` RGB frames of ``size`` with the astronaut's face drifting across: a camera's or a clip's."""
    width, height = size
    face = cv2.resize(read_image(ASSETS / "astronaut.jpg")[20:260, 110:340], (height * 23 // 48, height // 2))
    for i in range(count):
        frame = np.full((height, width, 3), 170, np.uint8)
        x = int((width - face.shape[1]) * (0.5 + 0.4 * np.sin(i / 40)))
        frame[height // 4:height // 4 + face.shape[0], x:x + face.shape[1]] = face
        yield frame


def face_clip(size: tuple[int, int], seconds: float, fps: int = 30) -> bytes:
    """An H.264 clip of :func:`face_frames`."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for frame in face_frames(size, int(seconds * fps)):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def make_clips(folder: Path, count: int = 4, seconds: float = 60) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    clip = face_clip((640, 480), seconds)
    for i in range(count):
        (folder / f"clip{i}.mp4").write_bytes(clip)


def naive_loop(sources: list[str]) -> int:
    """Faces found by one process that loads the engine, then decodes and analyzes each file in turn."""
    engine, faces = Engine.load(Settings().resolved().model, "auto"), 0
    for source in sources:
        if source.endswith(".mp4"):
            with VideoClip(source, limited=False) as clip:
                faces += sum(len(found) for _, _, found in clip.analyze(engine, EVERY))
        else:
            faces += len(engine.analyze(source))
    return faces


def naive_command(folder: Path) -> tuple[float, int]:
    """Seconds and faces of :func:`naive_loop` in a fresh process, timed as the batch command is: from its start
    (imports and the engine's load included) to its end."""
    script = ("import sys; from fer_core.batch import find_sources; from fer_core.bench_batch import naive_loop; "
              "print(naive_loop(find_sources([sys.argv[1]])[0]))")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, int(done.stdout.split()[-1])


def batch_command(inputs: list[str], out: Path, *options: str, kill_after: float | None = None) -> tuple[float, float]:
    """Seconds and peak memory (MB, the process and its workers) of ``python -m fer_core batch`` in a fresh
    process; with ``kill_after``, the run is killed (SIGKILL, the whole group) after that many seconds."""
    command = [sys.executable, "-m", "fer_core", "batch", *inputs, "--out", str(out), "--quiet", *options]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    with MemorySampler(process.pid) as memory:
        try:
            process.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return time.perf_counter() - start, memory.peak


def rows(out: Path) -> int:
    return pq.read_metadata(out).num_rows


def main(photos: int = 500) -> None:
    with tempfile.TemporaryDirectory(prefix="fer-bench-batch-") as tmp:
        root = Path(tmp)
        print(f"\nbatch: making an archive of {photos} photos (half 640x480, half 12 MP) and 4 one-minute clips…")
        make_photos(root / "archive", photos)
        make_clips(root / "archive")
        sources, _ = find_sources([str(root / "archive")])
        seconds, faces = naive_command(root / "archive")
        naive = len(sources) / seconds
        print(f"{'naive loop (one process, file by file)':<44} {seconds:7.1f} s   {naive:6.1f} files/s   {faces} faces")
        cpus = os.cpu_count() or 1
        runs = [("local", f"batch, {cpus} local workers", [])]
        try:
            import ray  # noqa: F401
            runs.append(("ray", f"batch --ray, local cluster of {cpus} CPUs", ["--ray"]))
        except ImportError:
            print("(--ray skipped: pip install -r requirements-ray.txt)")
        times = {}
        for name, title, options in runs:
            out = root / f"{name}.parquet"
            seconds, peak = batch_command([str(root / "archive")], out, *options)
            times[name] = seconds
            print(f"{title:<44} {seconds:7.1f} s   {len(sources) / seconds:6.1f} files/s   {rows(out)} faces   "
                  f"{len(sources) / seconds / naive:4.2f}x the naive loop   peak {peak:4.0f} MB")
        if "ray" in times:
            print(f"    Ray's overhead against local workers: {times['ray'] / times['local'] - 1:+.0%} of the time "
                  "(its start included)")

        print("\nbatch, peak memory against the archive's size (640x480 photos; the larger archive links each "
              "photo ten times)")
        make_photos(root / "small", 500, large_every=0)
        many = root / "many"
        many.mkdir()
        for copy in range(10):
            for photo in (root / "small").iterdir():
                (many / f"{copy}-{photo.name}").symlink_to(photo)
        peaks = {}
        for folder, count in (("small", 500), ("many", 5000)):
            seconds, peaks[count] = batch_command([str(root / folder)], root / f"{folder}.parquet")
            print(f"{count:>5} photos   {seconds:7.1f} s   peak {peaks[count]:4.0f} MB")
        print(f"    5,000 against 500: {peaks[5000] / peaks[500] - 1:+.1%} peak memory")

        print("\nbatch, killed half-way (SIGKILL) and run again, against an uninterrupted run")
        whole, resumed = root / "local.parquet", root / "resumed.parquet"
        batch_command([str(root / "archive")], resumed, kill_after=times["local"] / 2)
        done = len(list(parts_folder(resumed).glob("*.parquet")))
        batch_command([str(root / "archive")], resumed)
        tasks = len(list(parts_folder(resumed).glob("*.parquet")))
        same = pq.read_table(whole).equals(pq.read_table(resumed))
        print(f"killed with {done} of {tasks} tasks done; the resumed output is "
              f"{'identical to' if same else 'DIFFERENT from'} the uninterrupted run's ({rows(resumed)} faces)")
        shutil.rmtree(root, ignore_errors=True)
