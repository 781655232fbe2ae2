"""The batch command on a real archive: real faces in real photo and video files, a broken photo, a text file
and a missing path; resumed after a real SIGKILL; and on a real local Ray cluster (slow tier)."""
import csv
import os
import signal
import time
from dataclasses import replace

import pyarrow.parquet as pq
import pytest
from support import astronaut, encode, encode_clip, group_photo, phone_photo, run_module, start_module, two_faces_frames

from fer_core.batch import COLUMNS, Settings, Task, find_sources, parts_folder, plan_tasks
from fer_core.batch_job import run_batch
from fer_core.imageio import ImageError, load_photo
from fer_core.labels import EMOTIONS


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A study's folder: photos in a subfolder (JPEG, an iPhone's HEIC, a group PNG), a 4-second clip of two
    faces, a photo cut short, and a text file that a folder search skips."""
    root = tmp_path_factory.mktemp("archive")
    (root / "day1").mkdir()
    (root / "day1" / "astronaut.JPG").write_bytes(encode(astronaut(), "JPEG", quality=90))
    (root / "day1" / "phone.heic").write_bytes(phone_photo("HEIF"))
    (root / "group.png").write_bytes(encode(group_photo()))
    (root / "interview.mp4").write_bytes(encode_clip(two_faces_frames(60, enter=10, leave=50), fps=15))
    (root / "cut.jpg").write_bytes(encode(astronaut(), "JPEG")[:5000])
    (root / "notes.txt").write_text("not a photo")
    return root


@pytest.fixture(scope="module")
def settings(model_dir, yunet_model):
    return Settings(str(model_dir), "yunet", every=0.5, yunet_model=str(yunet_model))


def read_rows(path):
    return pq.read_table(path).to_pylist()


def test_folders_files_and_globs_are_searched_for_what_the_app_reads(archive):
    sources, missing = find_sources([str(archive), str(archive / "day1" / "*.heic"), str(archive / "notes.txt"),
                                     str(archive / "nowhere")])
    names = [os.path.relpath(s, archive) for s in sources]
    assert names == ["cut.jpg", "day1/astronaut.JPG", "day1/phone.heic", "group.png", "interview.mp4", "notes.txt"]
    assert [(m.source, m.error) for m in missing] == [(str(archive / "nowhere"),
                                                       f"No file or folder named '{archive / 'nowhere'}' was found.")]


def test_an_archive_becomes_one_table_of_faces_and_a_list_of_failures(archive, settings, tmp_path):
    out = tmp_path / "results.parquet"
    summary = run_batch([str(archive), str(archive / "notes.txt")], out, settings, workers=1, progress=False)
    rows = read_rows(out)
    assert pq.read_schema(out).names == COLUMNS
    by_source = {}
    for row in rows:
        by_source.setdefault(os.path.relpath(row["source"], archive), []).append(row)
    assert set(by_source) == {"day1/astronaut.JPG", "day1/phone.heic", "group.png", "interview.mp4"}
    assert len(by_source["group.png"]) >= 5
    for row in rows:
        probs = [row[e] for e in EMOTIONS]
        assert sum(probs) == pytest.approx(1, abs=2e-3)
        assert row["label"] == EMOTIONS[probs.index(max(probs))]
    photo = by_source["day1/astronaut.JPG"]
    assert [(r["kind"], r["time_s"], r["face_id"]) for r in photo] == [("photo", 0.0, 1)]
    assert photo[0]["label"] == "happy" and not photo[0]["uncertain"]
    video = by_source["interview.mp4"]
    assert {r["kind"] for r in video} == {"video"}
    times = sorted({r["time_s"] for r in video})
    assert times[:3] == pytest.approx([0, 0.533, 1.0], abs=0.01) and times[-1] < 4
    two = [t for t in times if sum(r["time_s"] == t for r in video) == 2]
    assert two and 0.6 <= two[0] <= 1.1 and 3.0 <= two[-1] <= 3.4  # face B is in view from 0.67 s to 3.33 s
    assert len({r["face_id"] for r in video}) == 2
    with open(tmp_path / "results.errors.csv") as f:
        errors = list(csv.DictReader(f))
    for name in ("cut.jpg", "notes.txt"):
        with pytest.raises(ImageError) as err:
            load_photo(archive / name)
        assert {"source": str(archive / name), "error": str(err.value)} in errors
    assert len(errors) == 2 and len(summary.failures) == 2 and summary.rows == len(rows)


def test_a_long_video_is_split_into_time_ranges_that_cover_it_once(archive, settings, tmp_path):
    clip = str(archive / "interview.mp4")
    tasks = plan_tasks([clip], part_seconds=1.5)
    assert [(t.start_s, t.end_s, t.part) for t in tasks] == [(0, 1.5, 0), (1.5, 3.0, 1), (3.0, None, 2)]
    whole = run_batch([clip], tmp_path / "whole.parquet", settings, workers=1, progress=False)
    split = run_batch([clip], tmp_path / "split.parquet", replace(settings, part_seconds=1.5), workers=1,
                      progress=False)
    assert split.tasks == 3 and whole.tasks == 1 and split.rows == whole.rows
    key = ("time_s", "x", "y", "w", "h")
    assert sorted(tuple(r[k] for k in key) for r in read_rows(tmp_path / "split.parquet")) == \
        sorted(tuple(r[k] for k in key) for r in read_rows(tmp_path / "whole.parquet"))
    ids = {(r["face_id"] // 10_000, r["face_id"]) for r in read_rows(tmp_path / "split.parquet")}
    assert {part for part, _ in ids} == {0, 1, 2}  # each part numbers its own faces, unique in the video


def test_a_csv_name_writes_the_same_rows_as_csv(archive, settings, tmp_path):
    run_batch([str(archive / "day1")], tmp_path / "faces.parquet", settings, workers=1, progress=False)
    run_batch([str(archive / "day1")], tmp_path / "faces.csv", settings, workers=1, progress=False)
    with open(tmp_path / "faces.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == COLUMNS
    expected = read_rows(tmp_path / "faces.parquet")
    assert [(r["source"], int(r["x"]), r["label"]) for r in rows] == [(r["source"], r["x"], r["label"]) for r in expected]
    assert not (tmp_path / "faces.errors.csv").exists()


def batch_cli(archive, out, settings, *options):
    return ("fer_core", "batch", str(archive), "--out", str(out), "--model", settings.model, "--detector", "yunet",
            "--every", str(settings.every), *options)


def test_a_killed_run_resumes_to_the_same_table_and_counts_failures_in_its_exit_status(archive, settings, tmp_path):
    env = {"FER_YUNET_MODEL": settings.yunet_model}
    whole = run_module(*batch_cli(archive, tmp_path / "whole.parquet", settings, "--workers", "2"), env=env)
    assert whole.returncode == 1, whole.stderr[-2000:]  # the photo cut short (a folder search skips the text)
    assert "faces=" in whole.stderr and "1 failed, listed in" in whole.stderr

    out = tmp_path / "killed.parquet"
    process = start_module(*batch_cli(archive, out, settings, "--workers", "2", "--quiet"), env=env,
                           start_new_session=True)
    parts, deadline = parts_folder(out), time.monotonic() + 120
    while len(list(parts.glob("*.parquet"))) < 2 and time.monotonic() < deadline:  # one done besides cut.jpg's
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its workers, mid-run
    process.wait()
    assert not out.exists() and 2 <= len(list(parts.glob("*.parquet"))) < 5
    again = run_module(*batch_cli(archive, out, settings, "--workers", "2"), env=env)
    assert again.returncode == 1 and "tasks done by an earlier run" in again.stderr
    assert pq.read_table(out).equals(pq.read_table(tmp_path / "whole.parquet"))

    other = run_module(*batch_cli(archive, out, settings, "--every", "0.25"), env=env)
    assert other.returncode == 101 and "holds a job run with other options" in other.stderr


def test_a_failed_task_is_tried_again_and_a_fixed_file_then_counts(archive, settings, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    photo = folder / "late.jpg"
    photo.write_bytes(b"\xff\xd8 not yet written")
    out = tmp_path / "out.parquet"
    assert len(run_batch([str(folder)], out, settings, workers=1, progress=False).failures) == 1
    photo.write_bytes((archive / "day1" / "astronaut.JPG").read_bytes())
    fixed = run_batch([str(folder)], out, settings, workers=1, progress=False)
    assert fixed.resumed == 0 and fixed.rows == 1 and not fixed.failures
    assert not (tmp_path / "out.errors.csv").exists()


def test_task_keys_name_the_source_and_its_range():
    assert Task("a.mp4", "video", 0, 60).key != Task("a.mp4", "video", 60, None, 1).key
    assert Task("a.jpg", "photo").key == Task("a.jpg", "photo").key


@pytest.mark.slow
def test_ray_writes_the_same_table_as_local_workers(archive, settings, tmp_path):
    pytest.importorskip("ray", reason="pip install -r requirements-ray.txt")
    env = {"FER_YUNET_MODEL": settings.yunet_model}
    local = run_module(*batch_cli(archive, tmp_path / "local.parquet", settings, "--workers", "2"), env=env)
    on_ray = run_module(*batch_cli(archive, tmp_path / "ray.parquet", settings, "--ray", "--workers", "2"), env=env)
    assert on_ray.returncode == local.returncode == 1, on_ray.stderr[-3000:]
    assert pq.read_table(tmp_path / "ray.parquet").equals(pq.read_table(tmp_path / "local.parquet"))
    assert (tmp_path / "ray.errors.csv").read_text() == (tmp_path / "local.errors.csv").read_text()
