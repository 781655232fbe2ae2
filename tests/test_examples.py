"""The Dashboard's FER2013 faces beside the ten people: which faces are of which kind, how the votes are worded,
each face read by the model as it is served, and a real draw from the shared FER2013."""
import numpy as np
import pytest
from support import lfw_faces

from fer_core import Engine, ferplus
from fer_core.examples import EXAMPLES_PER_KIND, EXAMPLES_SPLIT, KINDS, draw_examples, find_examples, kind_of_faces
from fer_core.fer2013 import Fer2013, find_default_data, load_fer2013
from fer_core.labels import EMOTIONS

# Columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
VOTES = np.array([
    [9, 0, 0, 1, 0, 0, 0, 0, 0, 0],  # 9 neutral, labelled neutral: agreed
    [0, 8, 0, 0, 0, 0, 0, 1, 1, 0],  # 8 happy, labelled sad: relabelled
    [4, 0, 0, 3, 0, 0, 2, 1, 0, 0],  # no emotion has 5: split
    [6, 0, 0, 4, 0, 0, 0, 0, 0, 0],  # 6 neutral, labelled neutral: none of the kinds
    [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt and unknown: none
    [0] * 10,                        # no votes: none
], np.uint8)
LABELS = np.array([EMOTIONS.index(e) for e in ("neutral", "sad", "fear", "neutral", "angry", "happy")], np.uint8)


def test_each_face_is_of_one_kind_at_most_and_the_kinds_follow_the_votes():
    kinds = kind_of_faces(VOTES, LABELS)
    assert list(kinds) == list(KINDS)
    assert {k: np.flatnonzero(v).tolist() for k, v in kinds.items()} == {"agreed": [0], "split": [2],
                                                                         "relabelled": [1]}
    assert ferplus.people_agree(VOTES).tolist() == [True, True, False, False, False, False]
    assert ferplus.people_split(VOTES).tolist() == [False, False, True, False, False, False]


def test_a_draw_words_the_votes_and_reads_each_face_as_the_served_model_does():
    faces = lfw_faces(len(VOTES))
    data = Fer2013(x=faces, y=LABELS, usage=np.array([EXAMPLES_SPLIT] * len(VOTES)), votes=VOTES)
    engine = Engine.load("fast")
    examples = draw_examples(data, engine)
    assert [e.kind for e in examples] == ["agreed", "split", "relabelled"]  # one face of each kind here
    agreed, split, relabelled = examples
    assert agreed.votes_words == "9 neutral, 1 sad" and agreed.label == "neutral"
    assert split.votes_words == "4 neutral, 3 sad, 2 fear, 1 other"
    assert relabelled.words.startswith("FER2013's label: sad. The ten people: 8 happy, 2 other. The model: ")
    assert relabelled.people_share[EMOTIONS.index("happy")] == 0.8 and sum(relabelled.people_share) == 0.8
    for example, i in zip(examples, (0, 2, 1)):
        np.testing.assert_array_equal(example.face, faces[i])
        np.testing.assert_allclose(example.reading.probs, engine.classify(faces[i][None])[0], atol=1e-6)
        assert example.reading.threshold == engine.classifier.threshold
        assert example.words.endswith(example.reading.reading + ("" if example.reading.uncertain else "."))
    assert draw_examples(Fer2013(x=faces, y=LABELS, usage=data.usage), engine) == []  # no votes, no one to compare


def test_a_real_draw_from_fer2013_is_the_same_each_time_and_of_the_kinds_it_says():
    path = find_default_data()
    if path is None:
        pytest.skip("no FER2013 copy (FER_DATA, or ../shared/data/fer2013.npz)")
    engine = Engine.load("fast")
    examples = find_examples(engine, path)
    assert [e.kind for e in examples] == [k for k in KINDS for _ in range(EXAMPLES_PER_KIND)]
    assert [e.face.tobytes() for e in find_examples(engine, path)] == [e.face.tobytes() for e in examples]
    data = load_fer2013(path)
    x, y = data.split(EXAMPLES_SPLIT)
    votes = data.split_votes(EXAMPLES_SPLIT)
    kinds, ours = kind_of_faces(votes, y), ferplus.our_votes(votes)
    for example in examples:  # FER2013 holds a few duplicate faces: one of the face's rows is the one drawn
        rows = np.flatnonzero((x == example.face).all(axis=(1, 2)))
        assert any(kinds[example.kind][r] and EMOTIONS[y[r]] == example.label
                   and example.votes == tuple(ours[r]) for r in rows)
