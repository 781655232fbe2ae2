"""Video files through the yunet_engine and the CLI: timestamps, stable ids, rotation, the annotated copy, the CSV,
and every bad input's message. The clips are made with PyAV from real face photos."""
import csv
import io
import json

import av
import numpy as np
import pytest
from support import encode_clip, no_face, portrait_frames, run_module, two_faces_frames

from fer_core.limits import MAX_VIDEO_SECONDS
from fer_core.video import AnnotatedWriter, VideoClip, VideoError, analyze_video, video_info

CSV_COLUMNS = ["time_s", "frame", "face", "x", "y", "w", "h", "score", "label", "confidence", "uncertain", "angry",
               "disgust", "fear", "happy", "sad", "surprise", "neutral"]


@pytest.fixture(scope="module")
def two_faces():
    return encode_clip(two_faces_frames())


def test_timestamps_follow_the_frame_rate_and_ids_stay(yunet_engine, two_faces):
    results = list(analyze_video(yunet_engine, two_faces))
    assert [r.frame for r in results] == list(range(60))
    np.testing.assert_allclose([r.time_s for r in results], np.arange(60) / 15, atol=1e-3)
    ids = [{face_id for face_id, _ in r.faces} for r in results]
    first = ids[0]
    assert len(first) == 1
    (a,) = first
    assert all(a in frame_ids for frame_ids in ids)  # face A keeps its id the whole clip
    (b,) = ids[25] - {a}
    assert all(ids[i] == {a, b} for i in range(21, 40))  # B keeps its id while in view
    assert all(ids[i] == {a} for i in range(41, 60))  # and is gone after it leaves
    xs = [dict(r.faces)[a].box[0] for r in results]
    assert xs[-1] - xs[0] > 120  # A's box follows it across the frame


def test_every_analyzes_on_a_time_grid(yunet_engine, two_faces):
    results = list(analyze_video(yunet_engine, two_faces, every=0.5))
    assert [r.frame for r in results] == [0, 8, 15, 23, 30, 38, 45, 53]  # 15 fps: the first frame at or after k/2 s
    assert [round(r.time_s * 2) for r in results] == list(range(8))


def test_a_time_range_is_sought_and_analyzed_alone(yunet_engine, two_faces):
    with VideoClip(two_faces) as clip:
        results = list(clip.analyze(yunet_engine, every=0.5, start_s=1.5, end_s=3.0))
    assert [round(r.time_s * 2) for r in results] == [3, 4, 5]  # 1.5, 2.0 and 2.5 s; 3.0 s is the next range's
    assert results[0].frame == 0 and len(results[1].faces) == 2  # B is in view from 1.33 s to 2.67 s


def test_a_variable_frame_rate_is_followed(yunet_engine):
    times = [0.0, 0.05, 0.1, 0.4, 0.45, 1.2, 1.25, 1.3, 2.0]
    clip = encode_clip(two_faces_frames(len(times)), fps=10, times=times)
    results = list(analyze_video(yunet_engine, clip))
    np.testing.assert_allclose([r.time_s for r in results], times, atol=1e-3)
    assert [r.frame for r in list(analyze_video(yunet_engine, clip, every=0.5))] == [0, 5, 8]


def test_a_portrait_clip_is_turned_upright(yunet_engine):
    clip = encode_clip(portrait_frames(), rotation=90)
    info = video_info(clip)
    assert (info.width, info.height, info.rotation) == (360, 640, 90)
    first = next(iter(analyze_video(yunet_engine, clip)))
    ((_, face),) = first.faces
    x, y, w, h = face.box
    assert 120 < x < 180 and 200 < y < 260 and w < 100  # the face sits at (100-260, 200-370) of the upright frame


def test_the_annotated_copy_has_every_frame(yunet_engine, two_faces):
    out = io.BytesIO()
    writer = AnnotatedWriter(out, fps=15)
    analyzed = list(analyze_video(yunet_engine, two_faces, every=0.2, annotated=writer))
    writer.close()
    assert len(analyzed) == 20
    with av.open(io.BytesIO(out.getvalue())) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert container.streams.video[0].codec_context.name in ("h264", "vp9")
    assert len(frames) == 60 and frames[0].shape == (480, 640, 3)
    source = two_faces_frames(1)[0]
    assert not np.array_equal(frames[0][40:210, 30:190], source[40:210, 30:190])  # drawn on
    # away from the boxes, the picture keeps its colours through the round trip (RGB, yuv420p, H.264, RGB)
    assert np.abs(frames[0][400:].astype(int) - source[400:]).mean(axis=(0, 1)).max() < 4


class FullDisk(io.BytesIO):
    def write(self, data):
        raise OSError(28, "No space left on device")


def test_an_annotated_copy_that_cannot_be_written_says_so():
    writer = AnnotatedWriter(FullDisk(), fps=15)  # the encoder's thread meets the error
    with pytest.raises(VideoError, match="annotated copy could not be written"):
        for _ in range(30):
            writer.write(np.zeros((480, 640, 3), np.uint8))
        writer.close()


def test_a_clip_is_opened_and_decoded_once_for_its_info_and_its_faces(yunet_engine, two_faces, monkeypatch):
    opened = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda *args, **kw: opened.append(args) or real_open(*args, **kw))
    with VideoClip(two_faces) as clip:
        assert (clip.info.width, clip.info.height) == (640, 480)
        frames = list(clip.analyze(yunet_engine))
    assert len(opened) == 1 and [f.frame for f in frames] == list(range(60))  # the first frame is not lost
    assert all(isinstance(r.faces[0].face.uncertain, bool) for r in frames)


def test_a_clip_with_no_face(yunet_engine):
    clip = encode_clip([no_face()[:400, :600]] * 10)
    assert [r.faces for r in analyze_video(yunet_engine, clip)] == [[]] * 10


def audio_only() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def empty_clip() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()  # a header that promises a video, and no frame
    return buffer.getvalue()


BAD = {
    "not a video": (lambda: b"meeting notes, not a video\n" * 50, "not a video we can read"),
    "text FFmpeg would play as ANSI art": (lambda: b"meeting notes, not a photo\n" * 20, "not a video we can read"),
    "empty file": (lambda: b"", "empty"),
    "truncated": (lambda: (lambda clip: clip[: len(clip) // 2])(encode_clip(two_faces_frames(30))), "damaged or incomplete"),
    "zero-length clip": (empty_clip, "no frames"),
    "audio only": (audio_only, "sound but no picture"),
    "8K frames": (lambda: encode_clip([np.zeros((4320, 7680, 3), np.uint8)], codec="mpeg4"), "too large"),
    "over the duration limit": (lambda: encode_clip([np.zeros((48, 64, 3), np.uint8)] * 2, fps=1,
                                                    times=[0.0, MAX_VIDEO_SECONDS + 5.0]), "limit is"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_inputs_get_a_clear_message(yunet_engine, case):
    make, words = BAD[case]
    with pytest.raises(VideoError, match=words):
        list(analyze_video(yunet_engine, make()))


def test_cli_writes_csv_json_and_the_annotated_video(model_dir, two_faces, tmp_path, yunet_model, monkeypatch):
    monkeypatch.setenv("FER_YUNET_MODEL", str(yunet_model))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(two_faces)
    result = run_module("fer_core", "video", clip, "--model", model_dir, "--every", "0.5",
                        "--out", tmp_path / "annotated.mp4", "--csv", tmp_path / "faces.csv")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "100%" in result.stderr  # progress
    with open(tmp_path / "faces.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == CSV_COLUMNS
    assert [float(r["time_s"]) for r in rows if r["face"] == rows[0]["face"]][:3] == pytest.approx([0, 0.533, 1.0], abs=0.01)
    with av.open(str(tmp_path / "annotated.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == 60
    json_run = run_module("fer_core", "video", clip, "--model", model_dir, "--every", "1", "--json",
                          tmp_path / "faces.json")
    assert json_run.returncode == 0, json_run.stderr[-2000:]
    records = json.loads((tmp_path / "faces.json").read_text())
    assert {r["time_s"] for r in records} == {0.0, 1.0, 2.0, 3.0} and set(records[0]) == set(CSV_COLUMNS)


def test_cli_bad_file_gets_one_line_and_a_non_zero_exit(model_dir, tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(b"not a video" * 100)
    result = run_module("fer_core", "video", bad, "--model", model_dir, "--csv", tmp_path / "out.csv")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ") and "not a video" in result.stderr


def test_summary_per_face_counts_not_sure_time():
    from fer_core.report import video_summary

    rows = [{"face": 1, "time_s": t, "label": "sad", "uncertain": c < 0.5} for t, c in ((0, 0.9), (0.5, 0.4), (1, 0.3))]
    rows += [{"face": 2, "time_s": 0.5, "label": "happy", "uncertain": False}]
    first, second = video_summary(rows)
    assert (first["dominant"], first["not sure"], first["sad"], first["from_s"], first["to_s"]) == \
        ("not sure", 0.667, 0.333, 0, 1)
    assert (second["dominant"], second["happy"], second["frames"]) == ("happy", 1.0, 1)


def test_a_summary_card_draws_a_strip_per_face_in_its_readings_colours(yunet_engine):
    from PIL import Image

    from fer_core.annotate import EMOTION_COLORS
    from fer_core.report import video_records
    from fer_core.share import CARD_WIDTH, summary_card

    records = []
    with VideoClip(encode_clip(two_faces_frames())) as clip:
        for time_s, frame, faces in clip.analyze(yunet_engine, every=0.2):
            records += video_records(time_s, frame, faces)
    card = Image.open(io.BytesIO(summary_card("meeting.mp4", records, 4.0, "Accurate"))).convert("RGB")
    assert card.width == CARD_WIDTH
    pixels = np.asarray(card).reshape(-1, 3)
    happy = np.all(pixels == EMOTION_COLORS["happy"], axis=1).sum()
    assert happy > 2 * 34 * 300  # two strips, mostly happy, each 34 px tall and most of 1,000 px long
    last = records[-1]["time_s"]  # a duration a hair short of the last moment (a rounded clock) still draws
    assert Image.open(io.BytesIO(summary_card("meeting.mp4", records, last * (1 - 1e-7), "Accurate"))).width == CARD_WIDTH
