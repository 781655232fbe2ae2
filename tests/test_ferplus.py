"""FER+'s ten votes per face: read from both forms, blended into the targets, and used to score a model."""
import csv

import numpy as np
import pytest
from support import tiny_fer2013, write_csv

from fer_core.labels import EMOTIONS
from fer_core.training import ferplus
from fer_core.training.data import DatasetError, load_fer2013
from fer_core.training.evaluate import people_report

# Columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
VOTES = np.array([
    [8, 2, 0, 0, 0, 0, 0, 0, 0, 0],  # neutral, 8 of 10 agree
    [0, 0, 0, 5, 5, 0, 0, 0, 0, 0],  # sad and angry tie: angry comes first in our order
    [4, 0, 0, 0, 0, 0, 0, 4, 2, 0],  # neutral ties contempt: neutral
    [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt and unknown: no emotion of ours
    [0] * 10,                        # no votes (FER+ left the face out)
    [1, 4, 3, 0, 0, 0, 0, 0, 2, 0],  # split: happy leads with 4 of 10
], np.uint8)


def test_majority_and_the_people_distribution():
    assert ferplus.majority(VOTES).tolist() == [EMOTIONS.index(e) for e in ("neutral", "angry", "neutral")] + \
        [-1, -1, EMOTIONS.index("happy")]
    people, usable = ferplus.people_distribution(VOTES)
    assert usable.tolist() == [True, True, True, False, False, True]
    np.testing.assert_allclose(people[0], np.eye(7)[6] * 0.8 + np.eye(7)[3] * 0.2)
    np.testing.assert_allclose(people[5], (np.eye(7)[6] + 4 * np.eye(7)[3] + 3 * np.eye(7)[5]) / 8)
    np.testing.assert_allclose(people[usable].sum(1), 1.0)


def test_targets_blend_the_label_with_the_votes_and_faces_without_votes_keep_their_label():
    labels = np.array([4, 0, 2, 1, 5, 3])  # sad, angry, fear, disgust, surprise, happy
    people, _ = ferplus.people_distribution(VOTES)
    targets = ferplus.label_targets(labels, VOTES, 0.5)
    np.testing.assert_allclose(targets[0], 0.5 * np.eye(7)[4] + 0.5 * people[0])  # half sad, 0.4 neutral, 0.1 happy
    np.testing.assert_allclose(targets[0][[4, 6, 3]], [0.5, 0.4, 0.1])
    np.testing.assert_array_equal(targets[3:5], np.eye(7)[[1, 5]])  # no votes of ours: the label alone
    np.testing.assert_allclose(targets.sum(1), 1.0)
    np.testing.assert_array_equal(ferplus.label_targets(labels, VOTES, 0.0), np.eye(7)[labels])
    np.testing.assert_array_equal(ferplus.label_targets(labels, None, 0.5), np.eye(7)[labels])
    with pytest.raises(ValueError, match="votes' weight"):
        ferplus.label_targets(labels, VOTES, 1.5)


def write_release(path, usage, votes, names=None):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Usage", "Image name", *ferplus.COLUMNS])
        for i, (u, v) in enumerate(zip(usage, votes)):
            writer.writerow([u, f"fer{i:07d}.png" if names is None else names[i], *map(int, v)])


def test_votes_are_read_from_ferplus_release_beside_fer2013_csv(tmp_path):
    tiny = tiny_fer2013()
    votes = np.random.default_rng(0).integers(0, 4, (len(tiny["y"]), 10)).astype(np.uint8)
    write_csv(tiny, tmp_path / "fer2013.csv")
    assert load_fer2013(tmp_path / "fer2013.csv").votes is None  # no release beside it: no votes
    names = [""] + [f"fer{i:07d}.png" for i in range(1, len(votes))]  # FER+ left out the first face
    write_release(tmp_path / "fer2013new.csv", tiny["usage"], votes, names)
    data = load_fer2013(tmp_path / "fer2013.csv")
    np.testing.assert_array_equal(data.votes[1:], votes[1:])
    assert not data.votes[0].any()
    np.testing.assert_array_equal(data.split_votes("PublicTest"), data.votes[tiny["usage"] == "PublicTest"])
    # The project's .npz carries the same votes.
    np.savez(tmp_path / "fer2013.npz", **tiny, ferplus_votes=votes, has_ferplus=np.array(names) != "")
    np.testing.assert_array_equal(load_fer2013(tmp_path / "fer2013.npz").votes, data.votes)


def test_a_misaligned_release_is_refused_with_a_clear_message(tmp_path):
    tiny = tiny_fer2013()
    write_csv(tiny, tmp_path / "fer2013.csv")
    votes = np.ones((len(tiny["y"]), 10), np.uint8)
    write_release(tmp_path / "fer2013new.csv", tiny["usage"][:-1], votes[:-1])  # one row short
    with pytest.raises(DatasetError, match="does not line up with fer2013.csv"):
        load_fer2013(tmp_path / "fer2013.csv")
    write_release(tmp_path / "fer2013new.csv", tiny["usage"][::-1], votes)  # the splits in another order
    with pytest.raises(DatasetError, match="does not line up"):
        load_fer2013(tmp_path / "fer2013.csv")


def test_agreement_with_the_people_on_a_hand_made_set():
    # The model reads: neutral (sure), sad (unsure), happy (sure), angry, angry, happy (unsure).
    probs = np.zeros((6, 7))
    for face, (emotion, p) in enumerate([(6, 0.9), (4, 0.4), (3, 0.9), (0, 0.9), (0, 0.9), (3, 0.45)]):
        probs[face] = (1 - p) / 6
        probs[face, emotion] = p
    report = people_report(probs, VOTES, threshold=0.5)
    # Faces with a majority of ours: 0 (neutral, right), 1 (angry; read sad), 2 (neutral; read happy), 5 (happy).
    assert report["faces"] == 4 and report["agreement"] == 0.5
    assert report["neutral_faces"] == 2 and report["agreement_on_neutral"] == 0.5
    assert report["not_sure_where_people_agree"] == 0.0  # face 0, the only one with 8 of 10, was read surely
    assert report["not_sure_where_people_split"] == 0.5  # faces 2 and 5 split (4 of 10 at most); only 5 unsure
    assert 0 < report["ece"] < 1
