"""LiveAnalyzer: the Live page's frame callback logic, on frames of a real face."""
import numpy as np
import pytest
from support import astronaut, group_photo

from fer_core.faces import iou
from fer_core.live import LiveAnalyzer
from fer_core.stepper import FrameStepper


def moving_face_frames(n: int, step: int = 8):
    for i in range(n):
        frame = np.full((480, 640, 3), 170, np.uint8)
        x = 100 + step * i
        frame[100:340, x:x + 230] = astronaut()[20:260, 110:340]
        yield frame


def test_a_moving_face_keeps_its_id_and_its_probabilities_are_smoothed(haar_engine):
    analyzer = LiveAnalyzer(haar_engine, smoothing=0.6)
    raw, smoothed = [], []
    for frame in moving_face_frames(10):
        annotated, readout = analyzer.process(frame)
        assert annotated.shape == frame.shape and not np.array_equal(annotated, frame)
        ((track_id, face),) = readout.faces
        assert track_id == 1
        raw.append(haar_engine.analyze(frame)[0].probs)
        smoothed.append(face.probs)
    assert readout.fps > 0 and readout.error is None
    # Smoothed probabilities move less from frame to frame than the raw ones.
    assert np.abs(np.diff(smoothed, axis=0)).sum() < np.abs(np.diff(raw, axis=0)).sum()
    np.testing.assert_allclose(np.sum(smoothed, axis=1), 1, atol=1e-5)


def test_faces_get_distinct_ids_and_are_forgotten_when_gone(haar_engine):
    analyzer = LiveAnalyzer(haar_engine, max_missed=2)
    _, readout = analyzer.process(group_photo())
    assert sorted(i for i, _ in readout.faces) == [1, 2, 3, 4, 5, 6]
    empty = np.full((480, 640, 3), 170, np.uint8)
    for _ in range(3):
        _, readout = analyzer.process(empty)
        assert readout.faces == []
    _, readout = analyzer.process(group_photo())
    assert min(i for i, _ in readout.faces) == 7  # old tracks expired, new ids given


@pytest.mark.parametrize("frame", [np.zeros((1, 1, 3), np.uint8), np.zeros((48, 2000, 3), np.uint8),
                                   np.zeros((480, 640), np.uint8), np.zeros((480, 640, 3), np.float32)])
def test_frames_of_unusual_size_or_format(haar_engine, frame):
    annotated, readout = LiveAnalyzer(haar_engine).process(frame)
    assert readout.faces == [] and readout.error is None and annotated.shape[:2] == frame.shape[:2]


def test_unreadable_frame_is_reported_not_raised(haar_engine):
    frame = np.zeros((480, 640, 2), np.uint8)
    annotated, readout = LiveAnalyzer(haar_engine).process(frame)
    assert annotated is frame and "image array" in readout.error


def test_the_readout_leads_with_the_emotion_and_ends_with_the_frame_rate_in_small_print():
    from fer_core.live import Readout
    from fer_core.results import FaceResult
    from fer_core.tracking import TrackedFace
    from ui.live import readout_text

    face = TrackedFace(1, FaceResult((0, 0, 9, 9), 0.9, (0.02, 0.01, 0.02, 0.9, 0.02, 0.02, 0.01), threshold=0.5))
    lines = readout_text(Readout(6.2, [face])).split("  \n")
    assert lines[0] == "### **Face #1: happy** (90% sure)"  # the photo pages' heading, large
    assert lines[-1] == ":small[:gray[6.2 frames per second]]"
    assert readout_text(Readout(6.2, [])).startswith("No face in view.")


def test_between_detections_the_boxes_follow_the_face(haar_engine):
    """At 30 frames a second the face is searched about 4 times a second; on the frames between, optical flow
    moves its box, which stays on the face as a fresh detection finds it."""
    stepper = FrameStepper(haar_engine, redetect_s=0.25)
    frames = list(moving_face_frames(30, step=10))  # a box left behind for 7 frames: IoU 0.53
    for i, frame in enumerate(frames):
        ((track_id, face),) = stepper.analyze(frame, time_s=i / 30)
        (found,) = haar_engine.analyze(frame, stream=True)
        assert track_id == 1 and iou(face.box, found.box) > 0.7, (i, face.box, found.box)
    assert stepper.detections <= 30 / 30 / 0.25 + 2  # the rest were followed, not searched


def test_an_id_survives_a_two_frame_miss(haar_engine):
    stepper = FrameStepper(haar_engine, max_missed=5)
    frames = list(moving_face_frames(8))
    blank = np.full_like(frames[0], 170)
    seen = []
    for i, frame in enumerate(frames[:3] + [blank, blank] + frames[5:]):
        seen.append([t.id for t in stepper.analyze(frame, time_s=i / 2)])  # 2 a second: each frame is searched
    assert seen == [[1], [1], [1], [], [], [1], [1], [1]]


def test_a_recording_keeps_readings_not_pixels_and_half_an_hour_of_three_faces_fits_in_a_megabyte():
    from fer_core.recording import Recording
    from fer_core.report import video_summary
    from fer_core.results import FaceResult
    from fer_core.tracking import TrackedFace

    happy, sad = (0.02, 0.01, 0.02, 0.9, 0.02, 0.02, 0.01), (0.05, 0.01, 0.04, 0.05, 0.8, 0.02, 0.03)
    recording = Recording(threshold=0.5, max_minutes=31)
    for frame in range(30 * 60 * 25):  # 30 minutes of a 25 fps stream, three faces, one turning sad at 10 min
        faces = [TrackedFace(i + 1, FaceResult((100 * i, 50, 80, 80), 0.9, sad if i == 2 and frame > 15000 else happy,
                                               threshold=0.5)) for i in range(3)]
        recording.add(1000 + frame / 25, faces)
    assert recording.seconds == pytest.approx(30 * 60, abs=1) and not recording.full
    assert recording.nbytes < 1_000_000  # the issue allows 20 MB
    records = recording.records()
    assert len(records) == 3 * 30 * 60 * 2  # twice a second
    assert records[0] == {**records[0], "time_s": 0.0, "frame": 0, "face": 1, "label": "happy", "x": 0}
    summary = {row["face"]: row for row in video_summary(records)}
    assert summary[1]["happy"] == 1.0 and summary[3]["sad"] == pytest.approx(2 / 3, abs=0.01)
    assert not any(isinstance(v, np.ndarray) for r in records for v in r.values())


def test_a_recording_stops_growing_at_its_limit_and_says_so():
    from fer_core.recording import Recording

    recording = Recording(threshold=0.5, max_minutes=1)
    for second in range(0, 120):
        recording.add(second, [])
    assert recording.full and recording.seconds == 60


def test_the_analyzer_records_while_a_recording_is_attached(haar_engine):
    from fer_core.recording import Recording

    analyzer = LiveAnalyzer(haar_engine)
    frames = list(moving_face_frames(6))
    analyzer.process(frames[0])
    analyzer.recording = recording = Recording(haar_engine.classifier.threshold, every_s=0.0001)
    for frame in frames[1:]:
        analyzer.process(frame)
    analyzer.recording = None
    analyzer.process(frames[0])
    assert [r["face"] for r in recording.records()] == [1] * 5


def test_a_face_keeps_its_id_when_the_browser_scales_its_video_down_and_up(haar_engine):
    """Under load, a browser's WebRTC encoder sends smaller frames, then full-size ones again."""
    import cv2

    stepper = FrameStepper(haar_engine)
    seen = []
    for i, frame in enumerate(moving_face_frames(9, step=4)):
        if i in (3, 4, 5):
            frame = cv2.resize(frame, (320, 240), interpolation=cv2.INTER_AREA)
        seen.append([t.id for t in stepper.analyze(frame, time_s=i / 2)])
    assert seen == [[1]] * 9


def test_a_face_that_jumps_most_of_its_width_between_two_frames_keeps_its_id_and_two_faces_do_not_swap():
    """A loaded server analyzes a few frames a second: a face can move 70 px of its 90 between two of them."""
    from fer_core.results import FaceResult
    from fer_core.tracking import FaceTracker

    def face(x, w=90):
        return FaceResult((x, 160, w, 110), 0.9, (0.02, 0.01, 0.02, 0.9, 0.02, 0.02, 0.01), threshold=0.5)

    tracker = FaceTracker()
    assert [t.id for t in tracker.update([face(230), face(450)])] == [1, 2]
    assert [t.id for t in tracker.update([face(300), face(520)])] == [1, 2]  # IoU 0.13 each: nearest wins
    assert [t.id for t in tracker.update([face(230), face(600)])] == [1, 2]
    assert [t.id for t in tracker.update([face(10, w=40)])] == [3]  # far and of another size: someone new
