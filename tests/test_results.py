"""A reading is worded once (fer_core.results): the same words on images, in headings, in Live and in records."""
from fer_core.results import RECORD_FIELDS, FaceResult
from fer_core.tracking import TrackedFace

SURE = FaceResult((10, 20, 30, 40), 0.9, (0.02, 0.01, 0.02, 0.9, 0.02, 0.02, 0.01), threshold=0.6)
UNSURE = FaceResult((0, 0, 5, 5), 0.8, (0.05, 0.0, 0.3, 0.05, 0.41, 0.09, 0.1), threshold=0.6)


def test_headings_overlays_and_records_say_the_same():
    assert SURE.heading("Face 1") == "**Face 1: happy** (90% sure)"
    assert UNSURE.heading("Face 2") == "**Face 2: not sure: sad or fear?** (sad 41%, fear 30%)"
    assert SURE.numbered(1) == "1: happy 90%" and UNSURE.numbered(2) == "2: not sure: sad or fear?"
    tracked = TrackedFace(3, UNSURE)
    assert tracked.name == "Face #3" and tracked.overlay == "#3: not sure"
    assert SURE.marker(1) == "1: happy 90%" and UNSURE.marker(2) == "2: not sure" and UNSURE.tag == "not sure"
    assert TrackedFace(3, UNSURE).face.heading(tracked.name).startswith("**Face #3: not sure: sad or fear?**")
    record = UNSURE.record()
    assert list(record) == RECORD_FIELDS and record["uncertain"] is True and record["label"] == "sad"
    assert (record["x"], record["w"], record["sad"]) == (0, 5, 0.41)


def test_a_video_summary_and_the_room_are_worded_for_people():
    from fer_core.report import room_counts, summary_sentence, video_records, video_summary

    happy, unsure = TrackedFace(1, SURE), TrackedFace(2, UNSURE)
    records = (video_records(0.0, 0, [happy]) + video_records(0.5, 5, [happy, unsure])
               + video_records(1.0, 10, [happy, unsure]) + video_records(1.5, 15, [unsure]))
    first, second = video_summary(records)
    assert summary_sentence(first) == "Face #1, in view from 0.0 to 1.0 s: happy most of the time (100%)."
    assert summary_sentence(second) == ("Face #2, in view from 0.5 to 1.5 s: the model was not sure most of the time "
                                        "(100%).")
    room = room_counts(records)
    assert [(r["time_s"], r["happy"], r["not sure"]) for r in room] == [(0.0, 1, 0), (0.5, 1, 1), (1.0, 1, 1),
                                                                        (1.5, 0, 1)]


def test_why_speaks_of_both_candidates_when_not_sure():
    from fer_core.explain import explanation_words

    assert explanation_words(UNSURE).startswith("The model was not sure between sad and fear.")
    assert "toward sad, its first guess" in explanation_words(UNSURE)
    assert "“happy”" in explanation_words(SURE) and "not sure" not in explanation_words(SURE)
